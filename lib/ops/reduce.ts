/**
 * Reductions over axes. `axis` may be a number, an array, negative (counted
 * from the end) or omitted (all axes); `keepDims` keeps reduced axes as 1.
 */
import { convertToTensor } from '../creation.js';
import { allocate } from '../dtype.js';
import { kernels, type ReduceKernel } from '../kernels/index.js';
import { defineOp } from '../op.js';
import { normalizeAxes, reducedShape, sizeOf } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { div } from './arithmetic.js';
import { broadcastTo, cast, reshape } from './shape.js';

interface ReduceAttrs {
  readonly axes: readonly number[];
  readonly keepDims: boolean;
}

/** Runs a reduction kernel over `axes` into a new tensor of x's dtype. */
function reduceWith(kernel: ReduceKernel, x: Tensor, { axes, keepDims }: ReduceAttrs): Tensor {
  const out = allocate(x.dtype, sizeOf(reducedShape(x.shape, axes, false)));
  kernels.reduce(kernel, x.values, x.shape, axes, out);
  return new Tensor(out, reducedShape(x.shape, axes, keepDims), x.dtype);
}

/** dy spread back over the reduced axes of x (a keep-dims reshape, then a broadcast). */
function spread(dy: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  return broadcastTo(reshape(dy, reducedShape(x.shape, axes, true)), x.shape);
}

const sumOp = defineOp<ReduceAttrs>('sum', {
  forward: ([x], attrs) => reduceWith('sum', x!, attrs),
  // Every element contributes once: its gradient is dy, spread over the reduced axes.
  vjp: (dy, [x], _y, { axes }) => [spread(dy, x!, axes)],
});

const meanOp = defineOp<ReduceAttrs>('mean', {
  forward: ([x], attrs) => reduceWith('mean', x!, attrs),
  // Every element contributes 1/n of itself.
  vjp: (dy, [x], y, { axes }) => [div(spread(dy, x!, axes), x!.size / Math.max(1, y.size))],
});

function reduceInput(op: string, x: TensorLike, axis: number | readonly number[] | undefined, keepDims: boolean) {
  const t = convertToTensor(op, 'x', x);
  return { t, attrs: { axes: normalizeAxes(op, axis, t.rank), keepDims: Boolean(keepDims) } };
}

/**
 * Sums over `axis` (all axes by default). Bool tensors are summed as int32.
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
 * @example
 * ```ts
 * mean(tensor([[1, 2], [3, 4]]), 0); // [2, 3]
 * ```
 */
export function mean(x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor {
  const { t, attrs } = reduceInput('mean', x, axis, keepDims);
  return meanOp([t.dtype === 'float32' || t.dtype === 'float64' ? t : cast(t, 'float32')], attrs);
}
