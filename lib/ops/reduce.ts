/**
 * Reductions over axes. `axis` may be a number, an array, negative (counted
 * from the end) or omitted (all axes); `keepDims` keeps reduced axes as 1.
 */
import { convertToTensor, eye } from '../creation.js';
import { isFloat, type DType } from '../dtype.js';
import { type ReduceKernel } from '../kernels/index.js';
import { active, allocateHere } from '../kernels/placement.js';
import type { GpuArray } from '../kernels/storage.js';
import { defineOp } from '../op.js';
import { formatShape, normalizeAxes, reducedShape, sizeOf } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { div, mul, sub } from './arithmetic.js';
import { equal, where } from './compare.js';
import { isFinite } from './logic.js';
import { installMethods, type Method } from './methods.js';
import { abs } from './piecewise.js';
import { exp, sqrt, square } from './powers.js';
import { broadcastTo, cast, reshape, transpose } from './shape.js';

interface ReduceAttrs {
  readonly axes: readonly number[];
  readonly keepDims: boolean;
}

declare module '../op.js' {
  interface OpsWithGradient {
    sum: ReduceAttrs;
    mean: ReduceAttrs;
    prod: ReduceAttrs;
    max: ReduceAttrs;
    min: ReduceAttrs;
    logSumExp: ReduceAttrs;
  }
  interface OpsWithoutGradient {
    all: ReduceAttrs;
    any: ReduceAttrs;
    argMax: { readonly axis: number };
    argMin: { readonly axis: number };
  }
}

/** Runs a reduction kernel over `axes` into a new tensor of x's dtype (or `dtype`). */
function reduceWith(kernel: ReduceKernel, x: Tensor, { axes, keepDims }: ReduceAttrs, dtype: DType = x.dtype): Tensor {
  const out = allocateHere(dtype, sizeOf(reducedShape(x.shape, axes, false)));
  active().reduce(kernel, x.placed, x.shape, axes, out);
  return new Tensor(out, reducedShape(x.shape, axes, keepDims), dtype);
}

/** dy spread back over the reduced axes of x (a keep-dims reshape, then a broadcast). */
function spread(dy: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  return broadcastTo(reshape(dy, reducedShape(x.shape, axes, true)), x.shape);
}

const sumOp = defineOp('sum', {
  forward: ([x], attrs) => reduceWith('sum', x!, attrs),
  // Every element contributes once: its gradient is dy, spread over the reduced axes.
  vjp: (dy, [x], _y, { axes }) => [spread(dy, x!, axes)],
  // JVP: a sum is linear, so the tangent is the same sum of the tangent.
  jvp: ([t], _x, _y, { axes, keepDims }) => [sum(t!, axes, keepDims)],
});

const meanOp = defineOp('mean', {
  forward: ([x], attrs) => reduceWith('mean', x!, attrs),
  // Every element contributes 1/n of itself.
  vjp: (dy, [x], y, { axes }) => [div(spread(dy, x!, axes), x!.size / Math.max(1, y.size))],
  jvp: ([t], _x, _y, { axes, keepDims }) => [mean(t!, axes, keepDims)],
});

/**
 * For each element of x, the product of the other elements of its reduced
 * set: prod's derivative, right with zeros in x (no division). The reduced
 * axes are moved last and flattened to n; each element's row of n copies has
 * a 1 in its own place (an identity mask), and `prod` of that row is the
 * product of the others. Built from ops, so it differentiates again; it costs
 * n times the memory of x.
 */
function productOfOthers(x: Tensor, axes: readonly number[]): Tensor {
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const moved = transpose(x, perm);
  const n = sizeOf(axes.map((a) => x.shape[a]!));
  const m = x.size / Math.max(1, n);
  const rows = broadcastTo(reshape(moved, [m, 1, n]), [m, n, n]);
  const others = prodOp([where(cast(eye(n, n, 'int32'), 'bool'), 1, rows)], { axes: [2], keepDims: false });
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return transpose(reshape(others, moved.shape), inverse);
}

const prodOp = defineOp('prod', {
  forward: ([x], attrs) => reduceWith('prod', x!, attrs),
  // d(prod x)/dx_i = product of the other elements (TensorFlow's rule, which is right with zeros).
  // That is y / x_i when no x_i is 0 and y is finite and nonzero (in O(size), exact at every order
  // there, as PyTorch does); otherwise the identity-masked products, which need n times x's memory.
  vjp: (dy, [x], y, { axes }) => {
    // On webgpu the test cannot be read synchronously: the masked products, right everywhere, are used there.
    const safe = !x!.onGpu && !any(equal(x!, 0)).item() && !any(equal(y, 0)).item() && all(isFinite(y)).item();
    const others = safe ? div(spread(y, x!, axes), x!) : productOfOthers(x!, axes);
    return [mul(spread(dy, x!, axes), others)];
  },
});

/** max/min's VJP: dy split evenly among the elements equal to the result (TensorFlow's reduce_max rule). */
function extremumVjp(dy: Tensor, x: Tensor, y: Tensor, axes: readonly number[]): Tensor {
  const selected = cast(equal(x, spread(y, x, axes)), dy.dtype);
  const count = sumOp([selected], { axes, keepDims: true });
  return mul(spread(dy, x, axes), div(selected, count));
}

const maxOp = defineOp('max', {
  forward: ([x], attrs) => reduceWith('max', x!, attrs),
  vjp: (dy, [x], y, { axes }) => [extremumVjp(dy, x!, y, axes)],
});

const minOp = defineOp('min', {
  forward: ([x], attrs) => reduceWith('min', x!, attrs),
  vjp: (dy, [x], y, { axes }) => [extremumVjp(dy, x!, y, axes)],
});

const logSumExpOp = defineOp('logSumExp', {
  forward: ([x], attrs) => reduceWith('logSumExp', x!, attrs),
  // d lse(x)/dx_i = exp(x_i - lse(x)), the softmax of x over the reduced axes.
  vjp: (dy, [x], y, { axes }) => [mul(spread(dy, x!, axes), exp(sub(x!, spread(y, x!, axes))))],
});

const allOp = defineOp('all', {
  forward: ([x], attrs) => reduceWith('all', x!, attrs, 'bool'),
  vjp: 'none',
});

const anyOp = defineOp('any', {
  forward: ([x], attrs) => reduceWith('any', x!, attrs, 'bool'),
  vjp: 'none',
});

const argMaxOp = defineOp('argMax', {
  forward: ([x], { axis }) => argReduce('max', x!, axis),
  vjp: 'none',
});

const argMinOp = defineOp('argMin', {
  forward: ([x], { axis }) => argReduce('min', x!, axis),
  vjp: 'none',
});

function argReduce(kind: 'max' | 'min', x: Tensor, axis: number): Tensor {
  const shape = reducedShape(x.shape, [axis], false);
  const out = allocateHere('int32', sizeOf(shape));
  active().argReduce(kind, x.placed, x.shape, axis, out);
  return new Tensor(out as Int32Array | GpuArray, shape, 'int32');
}

function reduceInput(op: string, x: TensorLike, axis: number | readonly number[] | undefined, keepDims: boolean) {
  const t = convertToTensor(op, 'x', x);
  return { t, attrs: { axes: normalizeAxes(op, axis, t.rank), keepDims: Boolean(keepDims) } };
}

/** reduceInput for ops on numbers: bool tensors are refused with a hint. */
function numericReduceInput(
  op: string,
  x: TensorLike,
  axis: number | readonly number[] | undefined,
  keepDims: boolean,
) {
  const input = reduceInput(op, x, axis, keepDims);
  if (input.t.dtype === 'bool') {
    throw new TypeError(`tapegrad.${op}: expects a numeric tensor, got bool; cast it first, e.g. cast(x, 'int32')`);
  }
  return input;
}

/**
 * Sums over `axis` (all axes by default). Bool tensors are summed as int32.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype.
 * @param axis - The axis or axes to reduce, negative counting from the end; all axes when omitted.
 * @param keepDims - Keep each reduced axis with size 1, so the result broadcasts against `x`; default false.
 *
 * @example
 * ```ts
 * import { sum, tensor } from 'tapegrad';
 * const x = tensor([[1, 2], [3, 4]]);
 * sum(x);            // 10
 * sum(x, 1);         // [3, 7]
 * sum(x, -1, true);  // [[3], [7]]
 * ```
 */
export function sum(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  const { t, attrs } = reduceInput('sum', x, axis, keepDims);
  return sumOp([t.dtype === 'bool' ? cast(t, 'int32') : t], attrs);
}

/**
 * The mean over `axis` (all axes by default). Integer and bool tensors are
 * averaged in float32, as TensorFlow.js.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype.
 * @param axis - The axis or axes to reduce, negative counting from the end; all axes when omitted.
 * @param keepDims - Keep each reduced axis with size 1, so the result broadcasts against `x`; default false.
 *
 * @example
 * ```ts
 * mean(tensor([[1, 2], [3, 4]]), 0); // [2, 3]
 * ```
 */
export function mean(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  const { t, attrs } = reduceInput('mean', x, axis, keepDims);
  return meanOp([t.dtype === 'float32' || t.dtype === 'float64' ? t : cast(t, 'float32')], attrs);
}

/**
 * The product over `axis` (all axes by default). Bool tensors are multiplied
 * as int32. The gradient of each element is the product of the others, so it
 * is right where x has zeros (as TensorFlow's), at every order. Without zeros
 * it is `prod / x`; with zeros in x (or a product that underflows or
 * overflows) it is computed without division, at n times the memory of x for
 * a reduced set of n elements.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype.
 * @param axis - The axis or axes to reduce, negative counting from the end; all axes when omitted.
 * @param keepDims - Keep each reduced axis with size 1, so the result broadcasts against `x`; default false.
 *
 * @example
 * ```ts
 * import { prod, tensor } from 'tapegrad';
 * const x = tensor([[1, 2], [3, 4]]);
 * prod(x);            // 24
 * prod(x, 1);         // [2, 12]
 * prod(x, 0, true);   // [[3, 8]]
 * ```
 */
export function prod(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  const { t, attrs } = reduceInput('prod', x, axis, keepDims);
  return prodOp([t.dtype === 'bool' ? cast(t, 'int32') : t], attrs);
}

/**
 * The maximum over `axis` (all axes by default); NaN if the set holds a NaN,
 * -Infinity over an empty set. The gradient is split evenly among the
 * elements equal to the maximum (TensorFlow's reduce_max rule).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 * @param axis - The axis or axes to reduce, negative counting from the end; all axes when omitted.
 * @param keepDims - Keep each reduced axis with size 1, so the result broadcasts against `x`; default false.
 *
 * @example
 * ```ts
 * import { GradientTape, max, tensor } from 'tapegrad';
 * max(tensor([[1, 5], [3, 2]]), 1); // [5, 3]
 * const x = tensor([1, 3, 3]);
 * const tape = new GradientTape();
 * tape.watch(x);
 * const [g] = tape.gradient(max(x), [x]);
 * g; // [0, 0.5, 0.5]: the tie splits the gradient
 * ```
 */
export function max(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  const { t, attrs } = numericReduceInput('max', x, axis, keepDims);
  return maxOp([t], attrs);
}

/**
 * The minimum over `axis` (all axes by default); NaN if the set holds a NaN,
 * Infinity over an empty set. The gradient is split evenly among the
 * elements equal to the minimum (TensorFlow's rule).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 * @param axis - The axis or axes to reduce, negative counting from the end; all axes when omitted.
 * @param keepDims - Keep each reduced axis with size 1, so the result broadcasts against `x`; default false.
 *
 * @example
 * ```ts
 * min(tensor([[1, 5], [3, 2]]), -1, true); // [[1], [2]]
 * ```
 */
export function min(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  const { t, attrs } = numericReduceInput('min', x, axis, keepDims);
  return minOp([t], attrs);
}

/**
 * `log(sum(exp(x)))` over `axis` (all axes by default), computed as
 * `m + log(sum(exp(x - m)))` with m the maximum, so large inputs do not
 * overflow. Integer tensors are computed in float32.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 * @param axis - The axis or axes to reduce, negative counting from the end; all axes when omitted.
 * @param keepDims - Keep each reduced axis with size 1, so the result broadcasts against `x`; default false.
 *
 * @example
 * ```ts
 * logSumExp(tensor([1000, 1000])); // ~1000.6931
 * logSumExp(tensor([[0, 0], [1, 1]]), 1); // ~[0.6931472, 1.6931472]
 * ```
 */
export function logSumExp(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  const { t, attrs } = numericReduceInput('logSumExp', x, axis, keepDims);
  return logSumExpOp([isFloat(t.dtype) ? t : cast(t, 'float32')], attrs);
}

/** all/any's argument as a bool tensor (numbers are true where nonzero). */
function boolInput(op: string, x: TensorLike, axis: number | readonly number[] | undefined, keepDims: boolean) {
  const { t, attrs } = reduceInput(op, x, axis, keepDims);
  return { t: t.dtype === 'bool' ? t : cast(t, 'bool'), attrs };
}

/**
 * Logical AND over `axis` (all axes by default): true over an empty set.
 * Numeric tensors count as true where nonzero. No gradient.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype (nonzero
 *   counts as true).
 * @param axis - The axis or axes to reduce, negative counting from the end; all axes when omitted.
 * @param keepDims - Keep each reduced axis with size 1, so the result broadcasts against `x`; default false.
 *
 * @example
 * ```ts
 * all(tensor([[true, false], [true, true]]), 1); // [0, 1] (bool)
 * ```
 */
export function all(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor<'bool'> {
  const { t, attrs } = boolInput('all', x, axis, keepDims);
  return allOp([t], attrs) as Tensor<'bool'>;
}

/**
 * Logical OR over `axis` (all axes by default): false over an empty set.
 * Numeric tensors count as true where nonzero. No gradient.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype (nonzero
 *   counts as true).
 * @param axis - The axis or axes to reduce, negative counting from the end; all axes when omitted.
 * @param keepDims - Keep each reduced axis with size 1, so the result broadcasts against `x`; default false.
 *
 * @example
 * ```ts
 * any(tensor([[true, false], [false, false]]), 1); // [1, 0] (bool)
 * ```
 */
export function any(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor<'bool'> {
  const { t, attrs } = boolInput('any', x, axis, keepDims);
  return anyOp([t], attrs) as Tensor<'bool'>;
}

function argInput(op: string, x: TensorLike, axis: number) {
  const t = convertToTensor(op, 'x', x);
  if (t.dtype === 'bool') {
    throw new TypeError(`tapegrad.${op}: expects a numeric tensor, got bool; cast it first, e.g. cast(x, 'int32')`);
  }
  if (typeof axis !== 'number') {
    throw new TypeError(`tapegrad.${op}: axis must be a single number, got ${JSON.stringify(axis)}`);
  }
  const [a] = normalizeAxes(op, axis, t.rank);
  if (t.shape[a!] === 0) {
    throw new RangeError(
      `tapegrad.${op}: axis ${a} of a tensor shaped ${formatShape(t.shape)} is empty, so it has no ${op === 'argMax' ? 'largest' : 'smallest'} element`,
    );
  }
  return { t, axis: a! };
}

/**
 * The index of the largest element along `axis` (default 0), as int32; the
 * first one on ties. No gradient.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 * @param axis - The axis to search along, negative counting from the end; default 0 (as TensorFlow.js). It must not be
 *   empty.
 *
 * @example
 * ```ts
 * argMax(tensor([[1, 9, 9], [7, 2, 3]]), 1); // [1, 0] (int32)
 * argMax(tensor([[1, 9], [7, 2]])); // [1, 0] (int32)
 * ```
 */
export function argMax(x: TensorLike, axis = 0): Tensor<'int32'> {
  const { t, axis: a } = argInput('argMax', x, axis);
  return argMaxOp([t], { axis: a }) as Tensor<'int32'>;
}

/**
 * The index of the smallest element along `axis` (default 0), as int32; the
 * first one on ties. No gradient.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 * @param axis - The axis to search along, negative counting from the end; default 0 (as TensorFlow.js). It must not be
 *   empty.
 *
 * @example
 * ```ts
 * argMin(tensor([[1, 9, 0], [7, 2, 3]]), -1); // [2, 1] (int32)
 * ```
 */
export function argMin(x: TensorLike, axis = 0): Tensor<'int32'> {
  const { t, axis: a } = argInput('argMin', x, axis);
  return argMinOp([t], { axis: a }) as Tensor<'int32'>;
}

/** What {@link moments} returns. */
export interface Moments {
  /** The mean over the reduced axes. */
  readonly mean: Tensor;
  /** The population variance, `mean((x - mean)^2)`, over the reduced axes. */
  readonly variance: Tensor;
}

/**
 * The mean and variance over `axis` (all axes by default), as TensorFlow.js's
 * `moments`: `variance = mean((x - mean)^2)` (the population variance).
 * Integer tensors are computed in float32. Built from ops, so both results
 * are differentiable to any order.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 * @param axis - The axis or axes to reduce, negative counting from the end; all axes when omitted.
 * @param keepDims - Keep each reduced axis with size 1, so the result broadcasts against `x`; default false.
 *
 * @example
 * ```ts
 * const m = moments(tensor([[1, 2], [3, 6]]), 1);
 * m.mean; // [1.5, 4.5]
 * m.variance; // [0.25, 2.25]
 * ```
 */
export function moments(x: TensorLike, axis?: number | readonly number[], keepDims = false): Moments {
  const { t, attrs } = numericReduceInput('moments', x, axis, keepDims);
  const f = isFloat(t.dtype) ? t : cast(t, 'float32');
  const centre = meanOp([f], { axes: attrs.axes, keepDims: true });
  const variance = meanOp([square(sub(f, centre))], attrs);
  return { mean: attrs.keepDims ? centre : reshape(centre, variance.shape), variance };
}

/** The orders `norm` accepts. */
export type NormOrder = number | 'euclidean' | 'fro';

/**
 * A vector or matrix norm, as TensorFlow.js's `norm`. With `axis` omitted,
 * the norm of x flattened to a vector; with one axis, vector norms along it;
 * with two axes, matrix norms over them.
 *
 * - vectors: `'euclidean'` or 2 (square root of the sum of squares), 1 (sum
 *   of absolute values), Infinity (largest absolute value), -Infinity (smallest);
 * - matrices: `'euclidean'` or `'fro'` (Frobenius), 1 (largest column sum of
 *   absolute values), Infinity (largest row sum), -Infinity (smallest row sum).
 *
 * Other orders throw. The euclidean norm is `sqrt(sum(x^2))`, so, as in
 * TensorFlow, its gradient at x = 0 is NaN (0 times the infinite slope of
 * the square root); add a small constant inside if that can happen.
 * Integer tensors are computed in float32.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 * @param ord - The order: `'euclidean'` (default), `'fro'`, 1, 2, Infinity or -Infinity, as listed above.
 * @param axis - Omitted: the norm of `x` flattened; one axis: vector norms along it; two axes: matrix norms over them
 *   (rows, then columns). Negative axes count from the end.
 * @param keepDims - Keep each reduced axis with size 1, so the result broadcasts against `x`; default false.
 *
 * @example
 * ```ts
 * norm(tensor([3, -4])); // 5
 * norm(tensor([3, -4]), 1); // 7
 * norm(tensor([[1, -2], [3, 4]]), Infinity, [0, 1]); // 7
 * norm(tensor([[3, 4], [6, 8]]), 'euclidean', 1, true); // [[5], [10]]
 * ```
 */
export function norm(
  x: TensorLike,
  ord: NormOrder = 'euclidean',
  axis?: number | readonly number[],
  keepDims = false,
): Tensor {
  const { t, attrs } = numericReduceInput('norm', x, axis, keepDims);
  const f = isFloat(t.dtype) ? t : cast(t, 'float32');
  const { axes } = attrs;
  const vector = axis === undefined || axes.length === 1;
  if (!vector && axes.length !== 2) {
    throw new RangeError(
      `tapegrad.norm: axis ${JSON.stringify(axis)} names ${axes.length} axes; give one axis for vector norms, ` +
        'two for matrix norms, or none for the norm of the flattened tensor',
    );
  }
  // A matrix norm reads its axes in the order given: rows first, then columns.
  const given = typeof axis === 'number' || axis === undefined ? axes : axis.map((a) => (a < 0 ? a + t.rank : a));
  const result = vector ? vectorNorm(f, ord, axis === undefined ? undefined : axes[0]!) : matrixNorm(f, ord, given);
  return reshape(result, reducedShape(t.shape, axes, attrs.keepDims));
}

function invalidOrder(ord: unknown, kind: string, valid: string): Error {
  return new RangeError(`tapegrad.norm: ord ${String(ord)} is not supported for ${kind} norms; use ${valid}`);
}

/** A vector norm along `axis` (of x flattened when undefined). */
function vectorNorm(x: Tensor, ord: NormOrder, axis: number | undefined): Tensor {
  const v = axis === undefined ? reshape(x, [-1]) : x;
  const attrs = { axes: [axis ?? 0], keepDims: false };
  if (ord === 'euclidean' || ord === 2) return sqrt(sumOp([square(v)], attrs));
  if (ord === 1) return sumOp([abs(v)], attrs);
  if (ord === Infinity) return maxOp([abs(v)], attrs);
  if (ord === -Infinity) return minOp([abs(v)], attrs);
  throw invalidOrder(typeof ord === 'string' ? `'${ord}'` : ord, 'vector', "'euclidean', 1, 2, Infinity or -Infinity");
}

/** A matrix norm over `rows` and `cols` (the two axes, in the order given). */
function matrixNorm(x: Tensor, ord: NormOrder, [rows, cols]: readonly number[]): Tensor {
  if (ord === 'euclidean' || ord === 'fro') return sqrt(sumOp([square(x)], { axes: [rows!, cols!], keepDims: false }));
  // Sum |x| over one axis (kept, so the other keeps its index), then take the extreme over the other.
  const sumOver = (a: number) => sumOp([abs(x)], { axes: [a], keepDims: true });
  const both = { axes: [rows!, cols!], keepDims: false };
  if (ord === 1) return maxOp([sumOver(rows!)], both);
  if (ord === Infinity) return maxOp([sumOver(cols!)], both);
  if (ord === -Infinity) return minOp([sumOver(cols!)], both);
  throw invalidOrder(
    typeof ord === 'string' ? `'${ord}'` : ord,
    'matrix',
    "'euclidean', 'fro', 1, Infinity or -Infinity",
  );
}

interface ReduceMethods {
  /**
   * {@inheritDoc sum}
   *
   * @param rest - The arguments of {@link sum} after the tensor, described there.
   */
  sum: Method<typeof sum>;
  /**
   * {@inheritDoc mean}
   *
   * @param rest - The arguments of {@link mean} after the tensor, described there.
   */
  mean: Method<typeof mean>;
  /**
   * {@inheritDoc prod}
   *
   * @param rest - The arguments of {@link prod} after the tensor, described there.
   */
  prod: Method<typeof prod>;
  /**
   * {@inheritDoc max}
   *
   * @param rest - The arguments of {@link max} after the tensor, described there.
   */
  max: Method<typeof max>;
  /**
   * {@inheritDoc min}
   *
   * @param rest - The arguments of {@link min} after the tensor, described there.
   */
  min: Method<typeof min>;
  /**
   * {@inheritDoc logSumExp}
   *
   * @param rest - The arguments of {@link logSumExp} after the tensor, described there.
   */
  logSumExp: Method<typeof logSumExp>;
  /**
   * {@inheritDoc norm}
   *
   * @param rest - The arguments of {@link norm} after the tensor, described there.
   */
  norm: Method<typeof norm>;
  /**
   * {@inheritDoc all}
   *
   * @param rest - The arguments of {@link all} after the tensor, described there.
   */
  all: Method<typeof all>;
  /**
   * {@inheritDoc any}
   *
   * @param rest - The arguments of {@link any} after the tensor, described there.
   */
  any: Method<typeof any>;
  /**
   * {@inheritDoc argMax}
   *
   * @param rest - The arguments of {@link argMax} after the tensor, described there.
   */
  argMax: Method<typeof argMax>;
  /**
   * {@inheritDoc argMin}
   *
   * @param rest - The arguments of {@link argMin} after the tensor, described there.
   */
  argMin: Method<typeof argMin>;
}

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merges ReduceMethods into Tensor
  interface Tensor<D extends DType = DType> extends ReduceMethods {}
}

installMethods<ReduceMethods>({ sum, mean, prod, max, min, logSumExp, norm, all, any, argMax, argMin });
