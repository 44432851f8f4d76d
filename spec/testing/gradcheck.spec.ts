/**
 * checkGradients and numericJvp themselves: they pass right gradients, catch
 * wrong ones at order 1 and at order 2, and say what went wrong.
 */
import {
  Tensor,
  add,
  cast,
  checkGradients,
  mul,
  numericJvp,
  square,
  stopGradient,
  sum,
  tanh,
  tensor,
  variable,
  where,
} from '../../lib/index.js';
import { defineOp } from '../../lib/op.js';

const f64 = (values: number[] | number[][]) => tensor(values, undefined, 'float64');

/**
 * x^2 with a VJP that is right in value but computes 2x from the raw data, so
 * a tape cannot differentiate it: right at order 1, wrong at order 2.
 */
const opaqueSquareOp = defineOp('spec.gradcheck.opaqueSquare', {
  forward: ([x]) => square(x!),
  vjp: (dy, [x]) => [
    mul(
      dy,
      new Tensor(
        x!.values.map((v) => 2 * v),
        x!.shape,
        x!.dtype,
      ),
    ),
  ],
});
const opaqueSquare = (x: Tensor) => opaqueSquareOp([x], undefined);

describe('checkGradients', () => {
  test('passes a correct function and reports one comparison per float input', () => {
    const result = checkGradients((a, b) => tanh(mul(a!, b!)), [f64([[0.5, -1]]), f64([3, -2])]);
    expect(result.name).toBe('f');
    expect(result.comparisons.map((c) => [c.order, c.input])).toEqual([
      [1, 0],
      [1, 1],
    ]);
    for (const c of result.comparisons) expect(c.error).toBeLessThanOrEqual(c.tolerance);
    expect(result.worstRatio).toBeLessThan(1);
  });

  test('order 2 also checks the VJP against each input and against the output gradient u', () => {
    const result = checkGradients((a, b) => mul(a!, b!), [f64([1, 2]), f64([3, 4])], { order: 2, name: 'mul' });
    expect(result.name).toBe('mul');
    expect(result.comparisons.map((c) => [c.order, c.input])).toEqual([
      [1, 0],
      [1, 1],
      [2, 0],
      [2, 1],
      [2, 2],
    ]);
  });

  test('a gradient hidden from the tape fails, naming f, the input and both values', () => {
    // f(x) = x * x with one factor cut off: the tape sees x, the function is x^2.
    const hidden = (x: Tensor) => mul(stopGradient(x), x);
    expect(() => checkGradients(hidden, [f64([1, 2, 3])])).toThrow(
      /^tapegrad\.checkGradients: the gradient of hidden with respect to input 0 \(float64 \[3\]\) is wrong: reverse mode gives <VJP\(u\), v> = -?[\d.e-]+ but central differences \(h = 1e-6\) give <u, JVP\(v\)> = -?[\d.e-]+/,
    );
  });

  test('an input the tape gives no gradient for, but f depends on, fails and says so', () => {
    const cut = (x: Tensor) => stopGradient(square(x));
    expect(() => checkGradients(cut, [f64([1, 2])])).toThrow(/the tape gave no gradient for this input at all/);
  });

  test('an input f does not depend on passes: both sides are 0', () => {
    const result = checkGradients((a) => square(a!), [f64([1, 2]), f64([5])].slice(0, 1));
    expect(result.comparisons).toHaveLength(1);
    const unused = checkGradients((a, _b) => square(a!), [f64([1, 2]), f64([5])]);
    expect(unused.comparisons[1]).toMatchObject({ analytic: 0, numeric: 0 });
  });

  test('a VJP that is right but not written in differentiable ops passes order 1 and fails order 2', () => {
    const x = f64([0.5, -1.5, 2]);
    expect(checkGradients(opaqueSquare, [x]).worstRatio).toBeLessThan(1);
    expect(() => checkGradients(opaqueSquare, [x], { order: 2, name: 'opaqueSquare' })).toThrow(
      /the gradient of the gradient \(order 2\) of opaqueSquare with respect to input 0 .*Check that the VJP rule is written in differentiable ops only/,
    );
  });

  test('bool and int32 inputs are passed through unchecked', () => {
    const c = tensor([true, false, true]);
    const result = checkGradients((cond, a) => where(cond!, a!, 0), [c, f64([1, 2, 3])], { order: 2 });
    expect(result.comparisons.map((r) => r.input)).toEqual([1, 1, 2]);
  });

  test('refuses float32 inputs and outputs, saying to cast to float64', () => {
    expect(() => checkGradients(square, [tensor([1, 2])])).toThrow(
      /input 0 of square is float32.*cast\(x, 'float64'\)/,
    );
    expect(() => checkGradients((x) => cast(x!, 'float32'), [f64([1, 2])])).toThrow(
      /returned a tensor of dtype float32.*cast\(y, 'float64'\)/,
    );
  });

  test('the same seed gives the same comparisons; another seed other directions', () => {
    const run = (seed: number) => checkGradients(tanh, [f64([0.1, 0.2])], { seed }).comparisons[0]!.analytic;
    expect(run(3)).toBe(run(3));
    expect(run(3)).not.toBe(run(4));
  });

  test('rejects bad options and arguments with the option named', () => {
    const x = f64([1]);
    expect(() => checkGradients(square, [x], { order: 3 as 2 })).toThrow(/order must be 1 or 2, got 3/);
    expect(() => checkGradients(square, [x], { eps: 0 })).toThrow(/eps must be a finite positive number/);
    expect(() => checkGradients(square, [x], { rtol: -1 })).toThrow(/rtol must be a non-negative number/);
    expect(() => checkGradients(() => 3 as unknown as Tensor, [x])).toThrow(/must return a tensor, got number/);
  });

  test('the same tensor given twice is checked as two inputs, each perturbed alone', () => {
    const x = f64([0.5, 2]);
    const result = checkGradients((a, b) => mul(a!, square(b!)), [x, x], { order: 2 });
    expect(result.comparisons.map((c) => c.input)).toEqual([0, 1, 0, 1, 2]);
  });

  test('a variable is checked at its current value', () => {
    const w = variable(f64([0.3, -0.7]));
    expect(checkGradients((a) => tanh(a!), [w], { order: 2 }).worstRatio).toBeLessThan(1);
  });

  test('accepts a single tensor as the inputs', () => {
    expect(checkGradients((x) => sum(square(x!)), f64([1, 2])).comparisons).toHaveLength(1);
  });
});

describe('numericJvp', () => {
  test('is the central-difference directional derivative: d(x^2) along v is 2 x v', () => {
    const jvp = numericJvp(square, [f64([1, 2, -3])], [f64([1, 0, 2])]);
    const values = Array.from(jvp.dataSync());
    [2, 0, -12].forEach((expected, i) => expect(values[i]).toBeCloseTo(expected, 8));
  });

  test('holds inputs with an undefined direction fixed', () => {
    const jvp = numericJvp((a, b) => add(mul(a!, b!), b!), [f64([2]), f64([5])], [undefined, f64([1])]);
    expect(jvp.dataSync()[0]).toBeCloseTo(3, 8); // d/db (a b + b) = a + 1
  });

  test('checks one direction per input, of its shape', () => {
    expect(() => numericJvp(square, [f64([1, 2])], [])).toThrow(/got 0 directions for 1 inputs/);
    expect(() => numericJvp(square, [f64([1, 2])], [f64([1])])).toThrow(
      /direction 0 has shape \[1\] but input 0 has shape \[2\]/,
    );
  });
});
