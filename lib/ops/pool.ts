/**
 * 2-D max and average pooling on NHWC tensors, as TensorFlow.js `maxPool` and
 * `avgPool`. Each gradient is an internal op whose own VJP is the first op
 * again (or its gather), so higher derivatives stay pooling ops.
 */
import { isFloat, type DType } from '../dtype.js';
import { checkPadding, checkPair, windowGeometry, type WindowGeometry } from '../kernels/conv.js';
import { active, allocateHere } from '../kernels/placement.js';
import type { Storage } from '../kernels/storage.js';
import { defineOp } from '../op.js';
import { formatShape, sizeOf } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { unaryInput } from './elementwise.js';
import { installMethods, type Method } from './methods.js';
import { cast, reshape } from './shape.js';

declare module '../op.js' {
  interface OpsWithGradient {
    maxPool: WindowGeometry;
    maxPoolBackprop: WindowGeometry;
    maxPoolGather: WindowGeometry;
    avgPool: WindowGeometry;
    avgPoolBackprop: WindowGeometry;
  }
}

const xShapeOf = (g: WindowGeometry) => [g.batch, g.inHeight, g.inWidth, g.inChannels];
const yShapeOf = (g: WindowGeometry) => [g.batch, g.outHeight, g.outWidth, g.inChannels];

/** A new tensor of `shape` and `like`'s dtype, filled by `fill`. */
function computed(like: Tensor, shape: number[], fill: (out: Storage) => void): Tensor {
  const out = allocateHere(like.dtype, sizeOf(shape));
  fill(out);
  return new Tensor(out, shape, like.dtype);
}

const maxPoolOp = defineOp('maxPool', {
  forward: ([x], g) => computed(x!, yShapeOf(g), (out) => active().maxPool(x!.placed, g, out)),
  // y picks one element per window, so dx is dy scattered onto the picked
  // elements. A tie goes to the first maximum in row-major window order
  // (TensorFlow's MaxPoolGrad also gives it to a single element).
  vjp: (dy, [x], _y, g) => [maxPoolBackprop(dy, x!, g)],
});

// dx = scatter(dy) onto the argmax of x: linear in dy (its VJP gathers at the
// same positions) and piecewise constant in x, whose gradient is zero almost
// everywhere (left undefined, as TensorFlow's MaxPoolGradGrad gives zeros).
const maxPoolBackpropOp = defineOp('maxPoolBackprop', {
  forward: ([dy, x], g) => computed(dy!, xShapeOf(g), (out) => active().maxPoolBackprop(dy!.placed, x!.placed, g, out)),
  vjp: (ddx, [, x], _dx, g) => [maxPoolGather(ddx, x!, g), undefined],
});

// y = ddx gathered at the argmax of x: the transpose of maxPoolBackprop.
const maxPoolGatherOp = defineOp('maxPoolGather', {
  forward: ([ddx, x], g) =>
    computed(ddx!, yShapeOf(g), (out) => active().maxPoolGather(ddx!.placed, x!.placed, g, out)),
  vjp: (dy, [, x], _y, g) => [maxPoolBackprop(dy, x!, g), undefined],
});

// avgPool is linear, y = A x; its VJP is Aᵀ dy (avgPoolBackprop), whose VJP is A again.
const avgPoolOp = defineOp('avgPool', {
  forward: ([x], g) => computed(x!, yShapeOf(g), (out) => active().avgPool(x!.placed, g, out)),
  vjp: (dy, _x, _y, g) => [avgPoolBackprop(dy, g)],
});

const avgPoolBackpropOp = defineOp('avgPoolBackprop', {
  forward: ([dy], g) => computed(dy!, xShapeOf(g), (out) => active().avgPoolBackprop(dy!.placed, g, out)),
  vjp: (ddx, _dy, _dx, g) => [avgPoolOp([ddx], g)],
});

function maxPoolBackprop(dy: Tensor, x: Tensor, g: WindowGeometry): Tensor {
  return maxPoolBackpropOp([dy, x], g);
}

function maxPoolGather(ddx: Tensor, x: Tensor, g: WindowGeometry): Tensor {
  return maxPoolGatherOp([ddx, x], g);
}

function avgPoolBackprop(dy: Tensor, g: WindowGeometry): Tensor {
  return avgPoolBackpropOp([dy], g);
}

/**
 * Checks a pooling call and returns x as a batch and the window geometry.
 * Every window must cover at least one element of x (a window wholly in the
 * padding would have no maximum and no mean).
 */
function poolInputs(
  op: string,
  x: Tensor,
  filterSize: unknown,
  strides: unknown,
  pad: unknown,
  dimRoundingMode: unknown,
): { x4: Tensor; g: WindowGeometry } {
  if (x.rank !== 3 && x.rank !== 4) {
    throw new Error(
      `tapegrad.${op}: x must have rank 4 [batch, height, width, channels] or rank 3 [height, width, channels], ` +
        `got shape ${formatShape(x.shape)}`,
    );
  }
  const x4 = x.rank === 4 ? x : reshape(x, [1, ...x.shape]);
  const window = checkPair(op, 'filterSize', filterSize);
  const g = windowGeometry(
    op,
    x4.shape,
    window,
    x4.shape[3]!,
    checkPair(op, 'strides', strides),
    [1, 1],
    checkPadding(op, pad, dimRoundingMode),
  );
  const covers = (out: number, inSize: number, stride: number, before: number, size: number) =>
    out === 0 || (inSize > 0 && before < size && (out - 1) * stride - before < inSize);
  if (
    !covers(g.outHeight, g.inHeight, g.strideHeight, g.padTop, g.filterHeight) ||
    !covers(g.outWidth, g.inWidth, g.strideWidth, g.padLeft, g.filterWidth)
  ) {
    throw new RangeError(
      `tapegrad.${op}: some ${window[0]}x${window[1]} windows of x ${formatShape(x4.shape)} lie wholly in the padding ` +
        `(padding top ${g.padTop}, left ${g.padLeft}, bottom ${g.padBottom}, right ${g.padRight}); ` +
        'use less padding than the window size',
    );
  }
  return { x4, g };
}

/**
 * 2-D max pooling of NHWC images: the maximum of each `filterSize` window.
 * `filterSize` and `strides` are a number or `[height, width]`; `pad` and
 * `dimRoundingMode` are as {@link conv2d} ('same' pads as TensorFlow; padding
 * never wins the maximum). A rank-3 x is a batch of one. Int32 x is pooled
 * too (without gradient). The gradient goes to the first maximum of each
 * window in row-major order when several elements tie (TensorFlow also picks
 * a single element); a NaN in a window is its maximum.
 *
 * @param x - The images, `[batch, height, width, channels]` (NHWC), or `[height, width, channels]` for one; float32,
 *   float64 or int32.
 * @param filterSize - The window size: a number, or `[height, width]`.
 * @param strides - The step between windows: a number, or `[height, width]`.
 * @param pad - `'same'`, `'valid'`, a number of zeros on every side, or
 *   `[[0, 0], [top, bottom], [left, right], [0, 0]]`, as {@link conv2d}.
 * @param dimRoundingMode - How a fractional output size is rounded with a numeric or explicit `pad`: `'floor'` (when
 *   omitted), `'round'` or `'ceil'`.
 *
 * @example
 * ```ts
 * import { maxPool, tensor } from 'tapegrad';
 * const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3, 1]);
 * maxPool(x, 2, 1, 'valid'); // [[[5], [6]], [[8], [9]]]
 * maxPool(x, 2, 2, 'same'); // [[[5], [6]], [[8], [9]]]: 'same' pads 0 before and 1 after
 * ```
 */
export function maxPool(
  x: TensorLike,
  filterSize: readonly [number, number] | number,
  strides: readonly [number, number] | number,
  pad: 'valid' | 'same' | number | readonly (readonly [number, number])[],
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): Tensor {
  const op = 'maxPool';
  const xt = unaryInput(op, x, false);
  const { x4, g } = poolInputs(op, xt, filterSize, strides, pad, dimRoundingMode);
  const y = maxPoolOp([x4], g);
  return xt.rank === 4 ? y : reshape(y, y.shape.slice(1));
}

/**
 * 2-D average pooling of NHWC images: the mean of each `filterSize` window
 * over the elements inside x, so a window that overlaps the padding divides
 * by fewer (TensorFlow's 'same' average). Arguments as {@link maxPool};
 * int32 x is averaged in float32, as tfjs.
 *
 * @param x - The images, `[batch, height, width, channels]` (NHWC), or `[height, width, channels]` for one; float32,
 *   float64 or int32.
 * @param filterSize - The window size: a number, or `[height, width]`.
 * @param strides - The step between windows: a number, or `[height, width]`.
 * @param pad - `'same'`, `'valid'`, a number of zeros on every side, or
 *   `[[0, 0], [top, bottom], [left, right], [0, 0]]`, as {@link conv2d}.
 * @param dimRoundingMode - How a fractional output size is rounded with a numeric or explicit `pad`: `'floor'` (when
 *   omitted), `'round'` or `'ceil'`.
 *
 * @example
 * ```ts
 * import { avgPool, tensor } from 'tapegrad';
 * const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
 * avgPool(x, 2, 1, 'valid'); // [[[[3], [4]], [[6], [7]]]]
 * avgPool(x, 2, 2, 'same'); // [[[[3], [4.5]], [[7.5], [9]]]]: the edge windows average 2 and 1 elements
 * ```
 */
export function avgPool(
  x: TensorLike,
  filterSize: readonly [number, number] | number,
  strides: readonly [number, number] | number,
  pad: 'valid' | 'same' | number | readonly (readonly [number, number])[],
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): Tensor {
  const op = 'avgPool';
  const xt = unaryInput(op, x, false);
  const { x4, g } = poolInputs(
    op,
    isFloat(xt.dtype) ? xt : cast(xt, 'float32'),
    filterSize,
    strides,
    pad,
    dimRoundingMode,
  );
  const y = avgPoolOp([x4], g);
  return xt.rank === 4 ? y : reshape(y, y.shape.slice(1));
}

interface PoolMethods {
  /**
   * {@inheritDoc maxPool}
   *
   * @param rest - The arguments of {@link maxPool} after the tensor, described there.
   */
  maxPool: Method<typeof maxPool>;
  /**
   * {@inheritDoc avgPool}
   *
   * @param rest - The arguments of {@link avgPool} after the tensor, described there.
   */
  avgPool: Method<typeof avgPool>;
}

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merges PoolMethods into Tensor
  interface Tensor<D extends DType = DType> extends PoolMethods {}
}

installMethods<PoolMethods>({ maxPool, avgPool });
