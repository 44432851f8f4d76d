/**
 * Loops along one axis: cumulative sums and (log-)softmax. Each views the
 * array as `[outer, n, inner]`, with `n` the length of the axis, and walks the
 * `outer * inner` lanes of stride `inner`.
 */
import type { TypedArray } from '../dtype.js';
import { stridesOf, type Shape } from '../shape.js';

/** `[outer, n, inner]` for `axis` of `shape`: the lanes the scan kernels (CPU and WebGPU) run along. */
export function lanes(shape: Shape, axis: number): [number, number, number] {
  const n = shape[axis]!;
  const inner = stridesOf(shape)[axis]!;
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d]!;
  return [outer, n, inner];
}

/**
 * Cumulative sum along `axis` into `out` (accumulated in float64). With
 * `exclusive`, element `i` sums the elements before it (the first is 0); with
 * `reverse`, the sums run from the end of the axis.
 *
 * @param x - The input elements, row-major.
 * @param shape - The shape of `x`.
 * @param axis - The axis to sum along (non-negative).
 * @param exclusive - Leave each element out of its own sum.
 * @param reverse - Sum from the end of the axis.
 * @param out - The output array, of `x`'s length; written.
 */
export function cumsum(
  x: TypedArray,
  shape: Shape,
  axis: number,
  exclusive: boolean,
  reverse: boolean,
  out: TypedArray,
): void {
  const [outer, n, inner] = lanes(shape, axis);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const base = o * n * inner + k;
      let acc = 0;
      for (let j = 0; j < n; j++) {
        const p = base + (reverse ? n - 1 - j : j) * inner;
        const v = x[p]!;
        if (exclusive) {
          out[p] = acc;
          acc += v;
        } else {
          acc += v;
          out[p] = acc;
        }
      }
    }
  }
}

/**
 * Softmax along `axis` (`log` gives log-softmax) into `out`: each lane is
 * shifted by its maximum (when finite) before `exp`, so large logits do not
 * overflow, and log-softmax is `x - m - log(sum(exp(x - m)))` without a `log(0)`.
 *
 * @param x - The logits, row-major.
 * @param shape - The shape of `x`.
 * @param axis - The axis to normalise over (non-negative).
 * @param log - Give log-softmax instead of softmax.
 * @param out - The output array, of `x`'s length; written.
 */
export function softmax(x: TypedArray, shape: Shape, axis: number, log: boolean, out: TypedArray): void {
  const [outer, n, inner] = lanes(shape, axis);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const base = o * n * inner + k;
      let m = -Infinity;
      for (let j = 0; j < n; j++) {
        const v = x[base + j * inner]!;
        if (v > m || Number.isNaN(v)) m = v;
      }
      if (!Number.isFinite(m)) m = Number.isNaN(m) ? m : 0;
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.exp(x[base + j * inner]! - m);
      const logS = Math.log(s);
      for (let j = 0; j < n; j++) {
        const p = base + j * inner;
        out[p] = log ? x[p]! - m - logS : Math.exp(x[p]! - m) / s;
      }
    }
  }
}
