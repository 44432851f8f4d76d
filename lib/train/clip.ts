/**
 * Gradient clipping, as TensorFlow's `tf.clip_by_global_norm` and
 * `tf.clip_by_norm`. Both are written in differentiable ops, so gradients
 * flow through the clipping.
 *
 * @example
 * ```ts
 * import { tensor, train } from 'tapegrad';
 * const [clipped, globalNorm] = train.clipByGlobalNorm([tensor([3, 0]), tensor([4])], 1);
 * globalNorm; // 5
 * clipped; // [[0.6, 0], [0.8]]
 * ```
 * @packageDocumentation
 */
import { convertToTensor, onesLike } from '../creation.js';
import { isFloat } from '../dtype.js';
import { describeValue } from '../format.js';
import { add, addN, div, greater, maximum, mul, sqrt, square, sub, sum, where } from '../ops/index.js';
import { Tensor, type TensorLike } from '../tensor.js';

/** Throws unless `clipNorm` is a finite number > 0. */
function checkClipNorm(op: string, clipNorm: unknown): asserts clipNorm is number {
  if (typeof clipNorm !== 'number') {
    throw new TypeError(`tapegrad.${op}: clipNorm must be a number, got ${describeValue(clipNorm)}`);
  }
  if (!(clipNorm > 0 && clipNorm < Infinity)) {
    throw new RangeError(`tapegrad.${op}: clipNorm must be a finite number > 0, got ${clipNorm}`);
  }
}

/**
 * Scales a list of tensors (gradients, typically) so that their global norm
 * is at most `clipNorm`, as TensorFlow's `tf.clip_by_global_norm`:
 *
 * `globalNorm = sqrt(sum_i sum(t_i^2))`, `clipped_i = t_i * clipNorm / max(globalNorm, clipNorm)`.
 *
 * Tensors whose global norm is already within `clipNorm` come back with their
 * values. `undefined` entries (a source no gradient reached) pass through as
 * `undefined`, as TensorFlow passes `None`. As in TensorFlow, a global norm
 * that is infinite or NaN makes every clipped value NaN. The tensors must be
 * of one float dtype; the global norm is a scalar of that dtype.
 *
 * @param tensors - Float tensors of one dtype, or `undefined`; at least one tensor.
 * @param clipNorm - The largest global norm allowed, a finite number > 0.
 * @returns `[clipped, globalNorm]`: the clipped list, in order, and the global norm before clipping.
 *
 * @example
 * ```ts
 * import { tensor, train } from 'tapegrad';
 * const gradients = [tensor([[6, 0], [0, 0]]), undefined, tensor([8])];
 * const [clipped, globalNorm] = train.clipByGlobalNorm(gradients, 5);
 * globalNorm; // 10
 * clipped; // [[[3, 0], [0, 0]], undefined, [4]]
 * train.clipByGlobalNorm([tensor([1, 1])], 5)[0]; // [[1, 1]]: within the norm, unchanged
 * ```
 */
export function clipByGlobalNorm(tensors: readonly Tensor[], clipNorm: number): [Tensor[], Tensor];
export function clipByGlobalNorm(
  tensors: readonly (Tensor | undefined)[],
  clipNorm: number,
): [(Tensor | undefined)[], Tensor];
export function clipByGlobalNorm(
  tensors: readonly (Tensor | undefined)[],
  clipNorm: number,
): [(Tensor | undefined)[], Tensor] {
  const op = 'train.clipByGlobalNorm';
  if (!Array.isArray(tensors)) {
    throw new TypeError(`tapegrad.${op}: tensors must be an array of tensors, got ${describeValue(tensors)}`);
  }
  checkClipNorm(op, clipNorm);
  const present = tensors.filter((t, i): t is Tensor => {
    if (t === undefined) return false;
    if (!(t instanceof Tensor)) {
      throw new TypeError(`tapegrad.${op}: tensors[${i}] must be a Tensor or undefined, got ${describeValue(t)}`);
    }
    return true;
  });
  if (present.length === 0) {
    throw new RangeError(`tapegrad.${op}: no tensors to clip (the list is empty or all undefined); pass at least one`);
  }
  const dtype = present[0]!.dtype;
  tensors.forEach((t, i) => {
    if (t === undefined) return;
    if (!isFloat(t.dtype) || t.dtype !== dtype) {
      throw new TypeError(
        `tapegrad.${op}: tensors[${i}] is ${t.dtype} but the first tensor is ${dtype}; ` +
          'the tensors must share one float dtype: cast them first',
      );
    }
  });
  const globalNorm = sqrt(addN(present.map((t) => sum(square(t)))));
  // globalNorm - globalNorm is 0 for a finite norm and NaN otherwise: TensorFlow's way of
  // turning an infinite or NaN norm into NaN values rather than silently zeroing them.
  const scale = div(clipNorm, add(maximum(globalNorm, clipNorm), sub(globalNorm, globalNorm)));
  return [tensors.map((t) => (t === undefined ? undefined : mul(t, scale))), globalNorm];
}

/**
 * Scales `x` so that its L2 norm (over `axes`, or over all of it) is at most
 * `clipNorm`, as TensorFlow's `tf.clip_by_norm`:
 *
 * `x * clipNorm / max(l2norm(x, axes, keepDims), clipNorm)`.
 *
 * With `axes`, each slice along the remaining axes is clipped on its own
 * norm. As in TensorFlow, the norm is computed so that its gradient stays
 * finite where it is 0 (a zero slice has gradient `1` per element, not NaN).
 *
 * @param x - A float tensor.
 * @param clipNorm - The largest norm allowed, a finite number > 0.
 * @param axes - The axes to take the norm over (default all).
 *
 * @example
 * ```ts
 * import { tensor, train } from 'tapegrad';
 * train.clipByNorm(tensor([3, 4]), 1); // ~[0.6, 0.8]
 * train.clipByNorm(tensor([[3, 4], [0.3, 0.4]]), 1, 1); // ~[[0.6, 0.8], [0.3, 0.4]]: the second row is within 1
 * ```
 */
export function clipByNorm(x: TensorLike, clipNorm: number, axes?: number | readonly number[]): Tensor {
  const op = 'train.clipByNorm';
  const t = convertToTensor(op, 'x', x);
  if (!isFloat(t.dtype)) {
    throw new TypeError(`tapegrad.${op}: x must be float32 or float64, got ${t.dtype}; cast it first`);
  }
  checkClipNorm(op, clipNorm);
  const l2sum = sum(square(t), axes, true);
  // sqrt is taken only where the sum is positive, so its gradient (1 / 2 sqrt) never meets 0.
  const positive = greater(l2sum, 0);
  const l2norm = where(positive, sqrt(where(positive, l2sum, onesLike(l2sum))), l2sum);
  return div(mul(t, clipNorm), maximum(l2norm, clipNorm));
}
