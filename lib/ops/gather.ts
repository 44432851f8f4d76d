/**
 * Indexing by an int32 tensor: gather and its adjoint (an internal
 * scatter-add, TensorFlow's unsorted segment sum, whose own VJP is gather
 * again), and oneHot.
 */
import { convertToTensor } from '../creation.js';
import { checkDType, type DType } from '../dtype.js';
import { active, allocateHere } from '../kernels/placement.js';
import { defineOp, type OpRunner } from '../op.js';
import { formatShape, normalizeAxes, sizeOf, type Shape } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { installMethods, type Method } from './methods.js';

interface GatherAttrs {
  readonly axis: number;
  readonly batchDims: number;
}

/** gatherGrad's attributes: gather's, and the size of x along the axis. */
interface GatherGradAttrs extends GatherAttrs {
  readonly dim: number;
}

interface OneHotAttrs {
  readonly depth: number;
  readonly onValue: number;
  readonly offValue: number;
  readonly dtype: DType;
}

declare module '../op.js' {
  interface OpsWithGradient {
    gather: GatherAttrs;
    gatherGrad: GatherGradAttrs;
  }
  interface OpsWithoutGradient {
    oneHot: OneHotAttrs;
  }
}

/** x viewed as [batch, outer, dim, inner], as the gather kernels take it (the indices are [batch, n]). */
function gatherGeometry(xShape: Shape, { axis, batchDims }: GatherAttrs): [number, number, number, number] {
  return [
    sizeOf(xShape.slice(0, batchDims)),
    sizeOf(xShape.slice(batchDims, axis)),
    xShape[axis]!,
    sizeOf(xShape.slice(axis + 1)),
  ];
}

const gatherOp: OpRunner<GatherAttrs> = defineOp('gather', {
  forward: ([x, indices], attrs) => {
    const { axis, batchDims } = attrs;
    const shape = [...x!.shape.slice(0, axis), ...indices!.shape.slice(batchDims), ...x!.shape.slice(axis + 1)];
    const out = allocateHere(x!.dtype, sizeOf(shape), 'gather');
    active().gatherAxis(x!.placed, indices!.placed, ...gatherGeometry(x!.shape, attrs), out);
    return new Tensor(out, shape, x!.dtype);
  },
  jvp: ([t], [, indices], _y, attrs) => [t && gatherOp([t, indices!], attrs), undefined],
  // Each gathered element sends its gradient back to the one it was read from,
  // adding where an index repeats. The indices have no gradient.
  vjp: (dy, [x, indices], _y, attrs) => [
    gatherGradOp([dy, indices!], { ...attrs, dim: x!.shape[attrs.axis]! }),
    undefined,
  ],
});

/** gather's adjoint (TensorFlow's unsorted segment sum along an axis): dy scatter-added into a zero tensor shaped like x. */
const gatherGradOp: OpRunner<GatherGradAttrs> = defineOp('gatherGrad', {
  forward: ([dy, indices], attrs) => {
    const { axis, batchDims, dim } = attrs;
    const indexRank = indices!.rank - batchDims;
    const shape = [...dy!.shape.slice(0, axis), dim, ...dy!.shape.slice(axis + indexRank)];
    const out = allocateHere(dy!.dtype, sizeOf(shape));
    active().scatterAddAxis(dy!.placed, indices!.placed, ...gatherGeometry(shape, attrs), out);
    return new Tensor(out, shape, dy!.dtype);
  },
  jvp: ([t], [, indices], _y, attrs) => [t && gatherGradOp([t, indices!], attrs), undefined],
  // Its adjoint is the gather again.
  vjp: (ddx, [, indices], _y, attrs) => [gatherOp([ddx, indices!], attrs), undefined],
});

const oneHotOp = defineOp('oneHot', {
  forward: ([indices], { depth, onValue, offValue, dtype }) => {
    const out = allocateHere(dtype, indices!.size * depth, 'oneHot');
    const bool = (v: number) => (dtype === 'bool' ? Number(Boolean(v)) : v);
    active().oneHot(indices!.placed, depth, bool(onValue), bool(offValue), out);
    return new Tensor(out, [...indices!.shape, depth], dtype);
  },
  vjp: 'none',
});

/**
 * Gathers slices of `x` along `axis` at `indices` (int32): the result has
 * shape `x.shape[:axis] + indices.shape[batchDims:] + x.shape[axis + 1:]`.
 * With `batchDims = b`, the first `b` axes of `x` and `indices` are batch
 * axes: each batch entry of `x` is indexed by its own indices. Every index
 * must be in `[0, x.shape[axis])`.
 *
 * The gradient adds `dy` back at the gathered positions (repeated indices
 * add up); the indices have none.
 *
 * @param x - The tensor to gather from: a tensor, or a number or nested array (converted as by {@link tensor}); rank >=
 *   1.
 * @param indices - The indices into axis `axis` of `x`: an int32 tensor, or integers; each in `[0, x.shape[axis])`.
 * @param axis - The axis of `x` to gather along, negative counting from the end, at least `batchDims`; default 0.
 * @param batchDims - The number of leading batch axes, shared by `x` and `indices`; negative counts from the end of
 *   `indices`; default 0.
 *
 * @example
 * ```ts
 * import { gather, tensor } from 'tapegrad';
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * gather(x, [1, 1, 0]); // [[4, 5, 6], [4, 5, 6], [1, 2, 3]]
 * gather(x, [2, 0], 1); // [[3, 1], [6, 4]]
 * gather(x, [[2], [0]], 1, 1); // [[3], [4]]: row 0 takes column 2, row 1 column 0
 * ```
 */
export function gather(x: TensorLike, indices: TensorLike, axis = 0, batchDims = 0): Tensor {
  const t = convertToTensor('gather', 'x', x);
  const idx = convertToTensor('gather', 'indices', indices, 'int32');
  if (idx.dtype !== 'int32') {
    throw new TypeError(
      `tapegrad.gather: indices must be int32, got ${idx.dtype}; cast them with cast(indices, 'int32')`,
    );
  }
  const b = batchDims < 0 ? batchDims + idx.rank : batchDims;
  if (!Number.isInteger(batchDims) || b < 0 || b > idx.rank || b > t.rank) {
    throw new RangeError(
      `tapegrad.gather: batchDims ${String(batchDims)} is out of range for indices ${formatShape(idx.shape)} ` +
        `and x ${formatShape(t.shape)}; use an integer in [${-idx.rank}, ${Math.min(idx.rank, t.rank)}]`,
    );
  }
  if (t.rank === 0) throw new RangeError('tapegrad.gather: x is a scalar; gather needs a tensor of rank 1 or more');
  const a = normalizeAxes('gather', axis, t.rank)[0]!;
  if (a < b) {
    throw new RangeError(`tapegrad.gather: axis ${a} is a batch axis (batchDims ${b}); use an axis >= batchDims`);
  }
  for (let d = 0; d < b; d++) {
    if (t.shape[d] !== idx.shape[d]) {
      throw new Error(
        `tapegrad.gather: the batch axes of x ${formatShape(t.shape)} and indices ${formatShape(idx.shape)} ` +
          `differ (axis ${d}: ${t.shape[d]} vs ${idx.shape[d]}); the first ${b} axes must match`,
      );
    }
  }
  const dim = t.shape[a]!;
  // Indices already on the GPU cannot be read here: the GPU kernel gives 0 for one out of range and raises a flag
  // that the next read throws on (docs/guide/gpu.md).
  const values = idx.onGpu ? new Int32Array(0) : (idx.values as Int32Array);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < 0 || v >= dim) {
      throw new RangeError(
        `tapegrad.gather: index ${v} (at flat position ${i} of indices) is out of range for axis ${a} of ` +
          `${formatShape(t.shape)}; indices must be in [0, ${dim})`,
      );
    }
  }
  return gatherOp([t, idx], { axis: a, batchDims: b });
}

/**
 * One-hot encoding: a tensor of shape `[...indices.shape, depth]` holding
 * `onValue` where the last index equals the entry of `indices` and `offValue`
 * elsewhere (an index outside `[0, depth)` gives a row of `offValue`, as in
 * TensorFlow). No gradient flows through it.
 *
 * @param indices - The class indices: an int32 tensor, or integers; any shape.
 * @param depth - The number of classes, the size of the new last axis (a non-negative integer).
 * @param onValue - The value at each index; default 1.
 * @param offValue - The value everywhere else; default 0.
 * @param dtype - The result's dtype; default `'int32'` (as TensorFlow.js).
 *
 * @example
 * ```ts
 * import { oneHot, tensor } from 'tapegrad';
 * oneHot(tensor([0, 2], undefined, 'int32'), 3); // [[1, 0, 0], [0, 0, 1]] (int32)
 * oneHot([1, -1], 2, 5, -5, 'float32'); // [[-5, 5], [-5, -5]] (float32)
 * ```
 */
export function oneHot(indices: TensorLike, depth: number, onValue = 1, offValue = 0, dtype: DType = 'int32'): Tensor {
  const idx = convertToTensor('oneHot', 'indices', indices, 'int32');
  if (idx.dtype !== 'int32') {
    throw new TypeError(
      `tapegrad.oneHot: indices must be int32, got ${idx.dtype}; cast them with cast(indices, 'int32')`,
    );
  }
  if (!Number.isInteger(depth) || depth < 0) {
    throw new RangeError(`tapegrad.oneHot: depth must be a non-negative integer, got ${String(depth)}`);
  }
  checkDType('oneHot', dtype);
  return oneHotOp([idx], { depth, onValue, offValue, dtype });
}

interface GatherMethods {
  /**
   * {@inheritDoc gather}
   *
   * @param rest - The arguments of {@link gather} after the tensor, described there.
   */
  gather: Method<typeof gather>;
  /**
   * {@inheritDoc oneHot}
   *
   * @param rest - The arguments of {@link oneHot} after the tensor, described there.
   */
  oneHot: Method<typeof oneHot>;
}

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merges GatherMethods into Tensor
  interface Tensor<D extends DType = DType> extends GatherMethods {}
}

installMethods<GatherMethods>({ gather, oneHot });
