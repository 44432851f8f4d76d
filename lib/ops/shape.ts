/**
 * Ops that move data without arithmetic: reshape, transpose, broadcastTo,
 * cast, identity, stopGradient. Reshape and identity share the input's data.
 */
import { convertToTensor } from '../creation.js';
import { allocate, checkDType, isFloat, type DType } from '../dtype.js';
import { kernels } from '../kernels/index.js';
import { defineOp } from '../op.js';
import { broadcastsTo, checkShape, formatShape, sizeOf } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';

const reshapeOp = defineOp<readonly number[]>('reshape', {
  forward: ([x], shape) => new Tensor(x!.values, shape, x!.dtype),
  vjp: (dy, [x]) => [reshape(dy, x!.shape)],
});

const transposeOp = defineOp<readonly number[]>('transpose', {
  forward: ([x], perm) => {
    const out = allocate(x!.dtype, x!.values.length);
    kernels.transpose(x!.values, x!.shape, perm, out);
    return new Tensor(
      out,
      perm.map((p) => x!.shape[p]!),
      x!.dtype,
    );
  },
  // The inverse permutation undoes it.
  vjp: (dy, _x, _y, perm) => {
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [transpose(dy, inverse)];
  },
});

const broadcastToOp = defineOp<readonly number[]>('broadcastTo', {
  forward: ([x], shape) => {
    const out = allocate(x!.dtype, sizeOf(shape));
    kernels.broadcastTo(x!.values, x!.shape, out, shape);
    return new Tensor(out, shape, x!.dtype);
  },
  // dy has the broadcast shape; the tape sums it back to x's shape.
  vjp: (dy) => [dy],
});

const castOp = defineOp<DType>('cast', {
  forward: ([x], dtype) => {
    const out = allocate(dtype, x!.values.length);
    kernels.cast(x!.values, out);
    return new Tensor(out, x!.shape, dtype);
  },
  // Only a float input has a gradient: the incoming one, cast back.
  vjp: (dy, [x]) => [isFloat(x!.dtype) ? cast(dy, x!.dtype) : undefined],
});

const identityOp = defineOp('identity', {
  forward: ([x]) => new Tensor(x!.values, x!.shape, x!.dtype),
  vjp: (dy) => [dy],
});

/**
 * The same values in a new shape; one dimension may be -1 and is inferred.
 * Shares the data (no copy).
 *
 * @example
 * ```ts
 * import { reshape, range } from 'tapegrad';
 * reshape(range(0, 6), [2, -1]); // [[0, 1, 2], [3, 4, 5]]
 * ```
 */
export function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const t = convertToTensor('reshape', 'x', x);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= -1)) {
    throw new TypeError(`tapegrad.reshape: shape must be an array of integers >= -1, got ${JSON.stringify(shape)}`);
  }
  const unknown = shape.indexOf(-1);
  if (unknown !== shape.lastIndexOf(-1)) {
    throw new Error(`tapegrad.reshape: at most one dimension may be -1, got ${formatShape(shape)}`);
  }
  let target = shape;
  if (unknown >= 0) {
    const known = -sizeOf(shape);
    if (known === 0 || t.size % known !== 0) {
      throw new Error(
        `tapegrad.reshape: cannot reshape ${formatShape(t.shape)} (${t.size} elements) to ${formatShape(shape)}; ` +
          'the other dimensions must divide the size',
      );
    }
    target = shape.map((d) => (d === -1 ? t.size / known : d));
  }
  if (sizeOf(target) !== t.size) {
    throw new Error(
      `tapegrad.reshape: cannot reshape ${formatShape(t.shape)} (${t.size} elements) to ${formatShape(shape)} ` +
        `(${sizeOf(target)} elements); the sizes must match`,
    );
  }
  return reshapeOp([t], target.slice());
}

/**
 * Permutes the axes: output axis `i` is input axis `perm[i]`. By default the
 * axes are reversed (a matrix transpose for rank 2).
 *
 * @example
 * ```ts
 * transpose(tensor([[1, 2, 3]])); // [[1], [2], [3]]
 * transpose(zeros([2, 3, 4]), [1, 0, 2]).shape; // [3, 2, 4]
 * ```
 */
export function transpose(x: TensorLike, perm?: readonly number[]): Tensor {
  const t = convertToTensor('transpose', 'x', x);
  const rank = t.rank;
  const p = perm ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const seen = new Set(p);
  if (p.length !== rank || seen.size !== rank || !p.every((a) => Number.isInteger(a) && a >= 0 && a < rank)) {
    throw new Error(
      `tapegrad.transpose: perm ${JSON.stringify(p)} is not a permutation of the ${rank} axes of ${formatShape(t.shape)}; ` +
        `give each of 0..${rank - 1} once`,
    );
  }
  return transposeOp([t], p.slice());
}

/**
 * Repeats `x` along broadcast dimensions to reach `shape` (NumPy rules).
 *
 * @example
 * ```ts
 * broadcastTo(tensor([1, 2]), [2, 2]); // [[1, 2], [1, 2]]
 * ```
 */
export function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  const t = convertToTensor('broadcastTo', 'x', x);
  checkShape('broadcastTo', shape);
  if (!broadcastsTo(t.shape, shape)) {
    throw new Error(
      `tapegrad.broadcastTo: shape ${formatShape(t.shape)} cannot be broadcast to ${formatShape(shape)}; ` +
        'each dimension must equal the target or be 1, aligned from the right',
    );
  }
  return broadcastToOp([t], shape.slice());
}

/**
 * Converts to another dtype: to int32 truncating toward zero, to bool as
 * `x != 0`. The gradient flows back only into float inputs.
 *
 * @example
 * ```ts
 * cast(tensor([1.7, -1.7]), 'int32'); // [1, -1] (int32)
 * cast(tensor([0, 2]), 'bool');        // [0, 1] (bool)
 * ```
 */
export function cast<D extends DType>(x: TensorLike, dtype: D): Tensor<D> {
  const t = convertToTensor('cast', 'x', x);
  checkDType('cast', dtype);
  if (t.dtype === dtype) return t as Tensor<D>;
  return castOp([t], dtype) as Tensor<D>;
}

/**
 * The same values as a new tensor; its gradient is the incoming one.
 *
 * @example
 * ```ts
 * identity(tensor([1, 2])); // [1, 2]
 * ```
 */
export function identity(x: TensorLike): Tensor {
  return identityOp([convertToTensor('identity', 'x', x)], undefined);
}

/**
 * An untracked copy of `x`: the same values, but no tape sees it as computed
 * from anything, so no gradient flows through it (TensorFlow's `stop_gradient`).
 *
 * @example
 * ```ts
 * import { GradientTape, mul, scalar, stopGradient } from 'tapegrad';
 * const x = scalar(3);
 * const tape = new GradientTape();
 * tape.watch(x);
 * const y = mul(stopGradient(x), x); // 9
 * tape.gradient(y, x); // 3: the first factor counts as a constant (without stopGradient, 6)
 * ```
 */
export function stopGradient<D extends DType>(x: Tensor<D>): Tensor<D> {
  const t = convertToTensor('stopGradient', 'x', x) as Tensor<D>;
  return new Tensor(t.snapshot().values, t.shape, t.dtype);
}
