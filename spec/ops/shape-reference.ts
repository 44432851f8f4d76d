/**
 * Helpers for the shape-family specs: naive references on nested arrays
 * (written independently of lib/kernels), tensors whose values tell where
 * they came from, gradients on a tape, and the error matcher.
 */
import {
  GradientTape,
  mul,
  range,
  reshape,
  sum,
  tensor,
  type DType,
  type NestedArray,
  type Tensor,
} from '../../lib/index.js';
export { expectError, loose } from '../support/errors.js';

export const f64 = (values: NestedArray) => tensor(values as number[], undefined, 'float64');
export const i32 = (values: NestedArray, shape?: number[]) => tensor(values as number[], shape, 'int32');
export const values = (xs: readonly Tensor[]) => xs.map((x) => x.arraySync());

// ---- Naive references on nested arrays: an element at a multi-index, and a nested array built element by element. ----

export function at(x: NestedArray, index: readonly number[]): number {
  let v = x;
  for (const i of index) v = (v as NestedArray[])[i]!;
  return v as number;
}

export function build(shape: readonly number[], f: (index: number[]) => number, prefix: number[] = []): NestedArray {
  if (prefix.length === shape.length) return f(prefix);
  return Array.from({ length: shape[prefix.length]! }, (_, i) => build(shape, f, [...prefix, i]));
}

/** The indices Python's `range(n)[b:e:s]` selects (its documented rules for negative and out-of-range bounds). */
export function pythonSlice(n: number, b: number, e: number, s: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  const norm = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v < 0 ? v + n : v));
  const picked: number[] = [];
  if (s > 0) for (let i = norm(b, 0, n); i < norm(e, 0, n); i += s) picked.push(all[i]!);
  else for (let i = norm(b, -1, n - 1); i > norm(e, -1, n - 1); i += s) picked.push(all[i]!);
  return picked;
}

/** A float64 tensor of `shape` whose elements are 1, 2, 3, ... row-major: every position tells where it came from. */
export const counting = (shape: readonly number[], dtype: DType = 'float64') =>
  reshape(range(1, 1 + shape.reduce((a, b) => a * b, 1), 1, dtype), [...shape]);

/** The gradient of `f(x)` with respect to x, with output gradient `u` (ones by default). */
export function gradient(f: (x: Tensor) => Tensor, x: Tensor, u?: Tensor): Tensor | undefined {
  const tape = new GradientTape();
  tape.watch(x);
  const y = f(x);
  return tape.gradient(y, x, u);
}

/** The derivative of `<grad f(x), v>` with respect to x: the Hessian of a scalar f times v. */
export function secondDerivative(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor): Tensor | undefined {
  const outer = new GradientTape();
  outer.watch(x);
  const g = gradient(f, x)!;
  return outer.gradient(sum(mul(g, v)), x);
}
