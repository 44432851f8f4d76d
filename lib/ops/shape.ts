/**
 * Ops that move data without arithmetic: reshape, expandDims, squeeze,
 * transpose, reverse, broadcastTo, cast, identity, stopGradient. Reshape,
 * expandDims, squeeze and identity share the input's data.
 */
import { convertToTensor } from '../creation.js';
import { checkDType, isFloat, type DType } from '../dtype.js';
import { active, allocateHere } from '../kernels/placement.js';
import { defineOp, type OpRunner } from '../op.js';
import { broadcastsTo, checkShape, formatShape, normalizeAxes, sizeOf } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { installMethods, type Method } from './methods.js';

declare module '../op.js' {
  interface OpsWithGradient {
    reshape: readonly number[];
    transpose: readonly number[];
    broadcastTo: readonly number[];
    cast: DType;
    reverse: readonly number[];
    identity: undefined;
  }
  interface OpsWithoutGradient {
    stopGradient: undefined;
  }
}

const reshapeOp = defineOp('reshape', {
  forward: ([x], shape) => new Tensor(x!.storage, shape, x!.dtype),
  vjp: (dy, [x]) => [reshape(dy, x!.shape)],
  // JVP: a linear op moves the tangent as it moves the values.
  jvp: ([t], _x, _y, shape) => [reshape(t!, shape)],
});

const transposeOp = defineOp('transpose', {
  forward: ([x], perm) => {
    const out = allocateHere(x!.dtype, x!.size);
    active().transpose(x!.placed, x!.shape, perm, out);
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
  jvp: ([t], _x, _y, perm) => [transpose(t!, perm)],
});

const broadcastToOp = defineOp('broadcastTo', {
  forward: ([x], shape) => {
    const out = allocateHere(x!.dtype, sizeOf(shape));
    active().broadcastTo(x!.placed, x!.shape, out, shape);
    return new Tensor(out, shape, x!.dtype);
  },
  // dy has the broadcast shape; the tape sums it back to x's shape.
  vjp: (dy) => [dy],
  jvp: ([t], _x, _y, shape) => [broadcastTo(t!, shape)],
});

const castOp = defineOp('cast', {
  forward: ([x], dtype) => {
    const out = allocateHere(dtype, x!.size);
    active().cast(x!.placed, out);
    return new Tensor(out, x!.shape, dtype);
  },
  // Only a float input has a gradient: the incoming one, cast back.
  vjp: (dy, [x]) => [isFloat(x!.dtype) ? cast(dy, x!.dtype) : undefined],
  // A float input's tangent, cast to the output's dtype (only a float output gets one).
  jvp: ([t], _x, y) => [cast(t!, y.dtype)],
});

const reverseOp: OpRunner<readonly number[]> = defineOp('reverse', {
  forward: ([x], axes) => {
    // Read each reversed axis from its last element backward.
    const begin = x!.shape.map((n, d) => (axes.includes(d) ? n - 1 : 0));
    const step = x!.shape.map((_, d) => (axes.includes(d) ? -1 : 1));
    const out = allocateHere(x!.dtype, x!.size);
    active().stridedRead(x!.placed, x!.shape, begin, step, x!.shape, out);
    return new Tensor(out, x!.shape, x!.dtype);
  },
  jvp: ([t], _x, _y, axes) => [t && reverseOp([t], axes)],
  // A reversal is its own inverse and its own transpose.
  vjp: (dy, _x, _y, axes) => [reverseOp([dy], axes)],
});

const identityOp = defineOp('identity', {
  forward: ([x]) => new Tensor(x!.storage, x!.shape, x!.dtype),
  vjp: (dy) => [dy],
  jvp: ([t]) => [t],
});

/**
 * The same values in a new shape; one dimension may be -1 and is inferred.
 * Shares the data (no copy).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}).
 * @param shape - The new shape, with as many elements as `x`; one entry may be -1, inferred from the others.
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}).
 * @param perm - The permutation of `[0, ..., rank - 1]` giving each output axis's input axis; default the axes
 *   reversed.
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}).
 * @param shape - The target shape: `x`'s shape must broadcast to it (each axis of `x`, aligned from the end, is 1 or
 *   equal).
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype.
 * @param dtype - The dtype to convert to: `'float32'`, `'float64'`, `'int32'` or `'bool'`.
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}).
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
 * @param x - The tensor to copy without a gradient path.
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
  return stopGradientOp([convertToTensor('stopGradient', 'x', x)], undefined) as Tensor<D>;
}

// An op with no gradient, so that tapes note where it cut a path (for tape.explain). It shares
// the data: an input's values array is never written, and assigning a variable replaces it.
const stopGradientOp = defineOp('stopGradient', {
  forward: ([x]) => new Tensor(x!.storage, x!.shape, x!.dtype),
  vjp: 'none',
});

/**
 * Inserts a dimension of size 1 at `axis` (in `[-(rank + 1), rank]`; negative
 * counts from the end of the result). Shares the data.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}).
 * @param axis - Where the new axis goes, in `[-(rank + 1), rank]`; default 0 (first).
 *
 * @example
 * ```ts
 * import { expandDims, tensor } from 'tapegrad';
 * expandDims(tensor([1, 2])); // [[1, 2]]
 * expandDims(tensor([1, 2]), 1); // [[1], [2]]
 * expandDims(tensor([[1, 2]]), -1).shape; // [1, 2, 1]
 * ```
 */
export function expandDims(x: TensorLike, axis = 0): Tensor {
  const t = convertToTensor('expandDims', 'x', x);
  const rank = t.rank;
  if (!Number.isInteger(axis) || axis < -(rank + 1) || axis > rank) {
    throw new RangeError(
      `tapegrad.expandDims: axis ${String(axis)} is out of range for a tensor of rank ${rank}; ` +
        `use an integer in [${-(rank + 1)}, ${rank}]`,
    );
  }
  const a = axis < 0 ? axis + rank + 1 : axis;
  const shape = t.shape.slice();
  shape.splice(a, 0, 1);
  return reshapeOp([t], shape);
}

/**
 * Removes dimensions of size 1: those in `axis`, or all of them when `axis`
 * is omitted. Shares the data.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}).
 * @param axis - The axis or axes to remove, each of size 1, negative counting from the end; all size-1 axes when
 *   omitted.
 *
 * @example
 * ```ts
 * import { squeeze, zeros } from 'tapegrad';
 * squeeze(zeros([1, 2, 1, 3])).shape; // [2, 3]
 * squeeze(zeros([1, 2, 1, 3]), [-2]).shape; // [1, 2, 3]
 * ```
 */
export function squeeze(x: TensorLike, axis?: number | readonly number[]): Tensor {
  const t = convertToTensor('squeeze', 'x', x);
  const axes =
    axis === undefined ? t.shape.flatMap((n, d) => (n === 1 ? [d] : [])) : normalizeAxes('squeeze', axis, t.rank);
  for (const a of axes) {
    if (t.shape[a] !== 1) {
      throw new Error(
        `tapegrad.squeeze: cannot squeeze axis ${a} of ${formatShape(t.shape)}: its size is ${t.shape[a]}, not 1; ` +
          'squeeze only axes of size 1',
      );
    }
  }
  return reshapeOp(
    [t],
    t.shape.filter((_, d) => !axes.includes(d)),
  );
}

/**
 * Reverses the order of the elements along `axis` (a number or an array;
 * all axes when omitted).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}).
 * @param axis - The axis or axes to reverse, negative counting from the end; all axes when omitted.
 *
 * @example
 * ```ts
 * import { reverse, tensor } from 'tapegrad';
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * reverse(x, 1); // [[3, 2, 1], [6, 5, 4]]
 * reverse(x, -2); // [[4, 5, 6], [1, 2, 3]]
 * reverse(x); // [[6, 5, 4], [3, 2, 1]]
 * ```
 */
export function reverse(x: TensorLike, axis?: number | readonly number[]): Tensor {
  const t = convertToTensor('reverse', 'x', x);
  const axes = normalizeAxes('reverse', axis, t.rank);
  return reverseOp([t], axes);
}

interface ShapeMethods {
  /**
   * {@inheritDoc reshape}
   *
   * @param rest - The arguments of {@link reshape} after the tensor, described there.
   */
  reshape: Method<typeof reshape>;
  /**
   * {@inheritDoc transpose}
   *
   * @param rest - The arguments of {@link transpose} after the tensor, described there.
   */
  transpose: Method<typeof transpose>;
  /**
   * {@inheritDoc broadcastTo}
   *
   * @param rest - The arguments of {@link broadcastTo} after the tensor, described there.
   */
  broadcastTo: Method<typeof broadcastTo>;
  /**
   * {@link cast}: this tensor converted to `dtype`, to int32 truncating toward zero, to bool as
   * `x != 0`. The gradient flows back only into float inputs.
   *
   * @param dtype - The dtype to convert to: `'float32'`, `'float64'`, `'int32'` or `'bool'`.
   *
   * @example
   * ```ts
   * tensor([1.7, -1.7]).cast('int32'); // [1, -1] (int32)
   * tensor([0, 2]).cast('bool'); // [0, 1] (bool)
   * ```
   */
  cast<T extends DType>(dtype: T): Tensor<T>;
  /** {@inheritDoc identity} */
  identity: Method<typeof identity>;
  /**
   * {@inheritDoc expandDims}
   *
   * @param rest - The arguments of {@link expandDims} after the tensor, described there.
   */
  expandDims: Method<typeof expandDims>;
  /**
   * {@inheritDoc squeeze}
   *
   * @param rest - The arguments of {@link squeeze} after the tensor, described there.
   */
  squeeze: Method<typeof squeeze>;
  /**
   * {@inheritDoc reverse}
   *
   * @param rest - The arguments of {@link reverse} after the tensor, described there.
   */
  reverse: Method<typeof reverse>;
}

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merges ShapeMethods into Tensor
  interface Tensor<D extends DType = DType> extends ShapeMethods {}
}

installMethods<ShapeMethods>({ reshape, transpose, broadcastTo, cast, identity, expandDims, squeeze, reverse });
