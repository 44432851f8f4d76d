/**
 * 2-D convolutions on NHWC tensors, as TensorFlow.js `conv2d`,
 * `conv2dTranspose` and `depthwiseConv2d`. Each convolution is bilinear in
 * (x, filter); its two gradients are the internal ops `...BackpropInput` and
 * `...BackpropFilter`, whose own VJPs are the convolution and each other (as
 * TensorFlow's Conv2DBackpropInput gradient), so every derivative order is a
 * convolution again.
 */
import { convertToTensor } from '../creation.js';
import { isFloat, promoteTypes, type DType } from '../dtype.js';
import { checkDataFormat, checkPadding, checkPair, windowGeometry, type WindowGeometry } from '../kernels/conv.js';
import { active, allocateHere } from '../kernels/placement.js';
import type { Storage } from '../kernels/storage.js';
import { defineOp, type OpRunner } from '../op.js';
import { formatShape, sizeOf } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { applyEpilogue, biasInput } from './epilogue.js';
import { reluGrad } from './fused-grads.js';
import type { FusedActivation } from './matmul.js';
import { installMethods, type Method } from './methods.js';
import { cast, reshape } from './shape.js';

declare module '../op.js' {
  interface OpsWithGradient {
    conv2d: WindowGeometry;
    conv2dBackpropInput: WindowGeometry;
    conv2dBackpropFilter: WindowGeometry;
    depthwiseConv2d: WindowGeometry;
    depthwiseConv2dBackpropInput: WindowGeometry;
    depthwiseConv2dBackpropFilter: WindowGeometry;
    fusedConv2d: { readonly g: WindowGeometry; readonly activation: FusedActivation };
  }
}

// Every op here has the geometry of the forward convolution as its attributes:
// x [batch, inHeight, inWidth, inChannels], filter [filterHeight, filterWidth, ...], y [batch, outHeight, outWidth, outChannels].
const xShapeOf = (g: WindowGeometry) => [g.batch, g.inHeight, g.inWidth, g.inChannels];
const yShapeOf = (g: WindowGeometry) => [g.batch, g.outHeight, g.outWidth, g.outChannels];
const filterShapeOf = (g: WindowGeometry) => [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels];
const depthwiseFilterShapeOf = (g: WindowGeometry) => [
  g.filterHeight,
  g.filterWidth,
  g.inChannels,
  g.outChannels / g.inChannels,
];

/** A new tensor of `shape` and `like`'s dtype, filled by `fill` (`op` names it in a size error). */
function computed(op: string, like: Tensor, shape: number[], fill: (out: Storage) => void): Tensor {
  const out = allocateHere(like.dtype, sizeOf(shape), op);
  fill(out);
  return new Tensor(out, shape, like.dtype);
}

/** The kernels of one kind of convolution, and the shape of its filter. */
interface ConvolutionKernels {
  conv(x: Storage, w: Storage, g: WindowGeometry, out: Storage): void;
  backpropInput(dy: Storage, w: Storage, g: WindowGeometry, out: Storage): void;
  backpropFilter(x: Storage, dy: Storage, g: WindowGeometry, out: Storage): void;
  filterShape(g: WindowGeometry): number[];
}

type ConvolutionOp = OpRunner<WindowGeometry>;

/**
 * The three ops of a convolution, `name`, `nameBackpropInput` and
 * `nameBackpropFilter`. y = conv(x, w) is bilinear; with the adjoint identities
 *   <conv(x, w), dy> = <x, backpropInput(dy, w)> = <w, backpropFilter(x, dy)>,
 * each of the three ops' VJPs is one of the other two (or itself).
 */
function convolutionOps(
  name: 'conv2d' | 'depthwiseConv2d',
  k: ConvolutionKernels,
): { conv: ConvolutionOp; backpropInput: ConvolutionOp; backpropFilter: ConvolutionOp } {
  const conv: ConvolutionOp = defineOp(name, {
    forward: ([x, w], g) => computed(name, x!, yShapeOf(g), (out) => k.conv(x!.placed, w!.placed, g, out)),
    vjp: (dy, [x, w], _y, g, needs) => [
      needs[0] ? backpropInput([dy, w!], g) : undefined,
      needs[1] ? backpropFilter([x!, dy], g) : undefined,
    ],
  });
  const backpropInput: ConvolutionOp = defineOp(`${name}BackpropInput`, {
    forward: ([dy, w], g) =>
      computed(`${name}BackpropInput`, dy!, xShapeOf(g), (out) => k.backpropInput(dy!.placed, w!.placed, g, out)),
    // dx = backpropInput(dy, w): d<dx, G>/d dy = conv(G, w); d<dx, G>/dw = backpropFilter(G, dy).
    vjp: (ddx, [dy, w], _dx, g, needs) => [
      needs[0] ? conv([ddx, w!], g) : undefined,
      needs[1] ? backpropFilter([ddx, dy!], g) : undefined,
    ],
  });
  const backpropFilter: ConvolutionOp = defineOp(`${name}BackpropFilter`, {
    forward: ([x, dy], g) =>
      computed(`${name}BackpropFilter`, x!, k.filterShape(g), (out) => k.backpropFilter(x!.placed, dy!.placed, g, out)),
    // dw = backpropFilter(x, dy): d<dw, G>/dx = backpropInput(dy, G); d<dw, G>/d dy = conv(x, G).
    vjp: (dw, [x, dy], _w, g, needs) => [
      needs[0] ? backpropInput([dy!, dw], g) : undefined,
      needs[1] ? conv([x!, dw], g) : undefined,
    ],
  });
  return { conv, backpropInput, backpropFilter };
}

// Kernels are read when an op runs, so kernels installed later (setKernels) are used.
const conv2dOps = convolutionOps('conv2d', {
  conv: (x, w, g, out) => active().conv2d(x, w, g, out, active().matmul),
  backpropInput: (dy, w, g, out) => active().conv2dBackpropInput(dy, w, g, out, active().matmul),
  backpropFilter: (x, dy, g, out) => active().conv2dBackpropFilter(x, dy, g, out, active().matmul),
  filterShape: filterShapeOf,
});

const depthwiseOps = convolutionOps('depthwiseConv2d', {
  conv: (x, w, g, out) => active().depthwiseConv2d(x, w, g, out),
  backpropInput: (dy, w, g, out) => active().depthwiseConv2dBackpropInput(dy, w, g, out),
  backpropFilter: (x, dy, g, out) => active().depthwiseConv2dBackpropFilter(x, dy, g, out),
  filterShape: depthwiseFilterShapeOf,
});

// y = act(conv2d(x, w) + bias) in one op, as TensorFlow.js's fused conv2d: bias and activation in place on the
// convolution's array. With z = conv2d(x, w) + bias, dz = dy ('linear') or reluGrad(dy, y) ('relu'; y > 0
// exactly where z > 0); then dx, dw as conv2d's, and dbias = dz (the tape sums it to the bias's shape).
const fusedConv2dOp = defineOp('fusedConv2d', {
  forward: ([x, w, bias], { g, activation }) =>
    applyEpilogue(
      'fused.conv2d',
      computed('fused.conv2d', x!, yShapeOf(g), (out) =>
        active().conv2d(x!.placed, w!.placed, g, out, active().matmul),
      ),
      bias,
      activation,
    ),
  vjp: (dy, [x, w, bias], y, { g, activation }, needs) => {
    const dz = activation === 'relu' ? reluGrad(dy, y) : dy;
    return [
      needs[0] ? conv2dOps.backpropInput([dz, w!], g) : undefined,
      needs[1] ? conv2dOps.backpropFilter([x!, dz], g) : undefined,
      bias !== undefined && needs[2] ? dz : undefined,
    ];
  },
});

/**
 * `act(conv2d(x, filter, ...) + bias)` as one recorded op, with conv2d's arguments and checks: the public form
 * is `fused.conv2d`. `bias` (optional, of x's dtype) broadcasts to the result's shape.
 */
export function fusedConv2d(
  x: TensorLike,
  filter: TensorLike,
  strides: readonly [number, number] | number,
  pad: 'valid' | 'same' | number | readonly (readonly [number, number])[],
  dataFormat: 'NHWC' | 'NCHW',
  dilations: readonly [number, number] | number,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  bias: TensorLike | undefined,
  activation: FusedActivation,
): Tensor {
  const op = 'fused.conv2d';
  const { x4, f, batched, g } = convolution(op, x, filter, strides, pad, dataFormat, dilations, dimRoundingMode);
  const b = biasInput(op, bias, x4.dtype, 'x is');
  return unbatch(fusedConv2dOp(b === undefined ? [x4, f] : [x4, f, b], { g, activation }), batched);
}

/**
 * Converts x (rank 3 or 4, NHWC) and a rank-4 filter to tensors of one float
 * dtype; a rank-3 x becomes a batch of one (`batched` says which it was).
 */
function convInputs(op: string, x: TensorLike, filter: TensorLike): { x4: Tensor; f: Tensor; batched: boolean } {
  let xt = convertToTensor(op, 'x', x);
  let f = convertToTensor(op, 'filter', filter, xt.dtype);
  if (!isFloat(xt.dtype) || !isFloat(f.dtype)) {
    throw new TypeError(
      `tapegrad.${op}: x and filter must be float32 or float64, got ${xt.dtype} and ${f.dtype}; ` +
        "cast them first, e.g. cast(x, 'float32')",
    );
  }
  if (xt.dtype !== f.dtype) {
    const dtype = promoteTypes(xt.dtype, f.dtype);
    xt = cast(xt, dtype);
    f = cast(f, dtype);
  }
  if (xt.rank !== 3 && xt.rank !== 4) {
    throw new Error(
      `tapegrad.${op}: x must have rank 4 [batch, height, width, channels] or rank 3 [height, width, channels], ` +
        `got shape ${formatShape(xt.shape)}`,
    );
  }
  if (f.rank !== 4 || f.shape[0] === 0 || f.shape[1] === 0) {
    throw new Error(
      `tapegrad.${op}: filter must have rank 4 with a height and width of at least 1, got shape ${formatShape(f.shape)}`,
    );
  }
  const batched = xt.rank === 4;
  return { x4: batched ? xt : reshape(xt, [1, ...xt.shape]), f, batched };
}

/**
 * The checked inputs and window geometry of conv2d and depthwiseConv2d: both
 * take an NHWC x and a `[filterHeight, filterWidth, inChannels, n]` filter,
 * whose output has `n` channels (conv2d) or `inChannels * n` (depthwise).
 */
function convolution(
  op: 'conv2d' | 'depthwiseConv2d' | 'fused.conv2d',
  x: TensorLike,
  filter: TensorLike,
  strides: readonly [number, number] | number,
  pad: 'valid' | 'same' | number | readonly (readonly [number, number])[],
  dataFormat: 'NHWC' | 'NCHW',
  dilations: readonly [number, number] | number,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
): { x4: Tensor; f: Tensor; batched: boolean; g: WindowGeometry } {
  checkDataFormat(op, dataFormat);
  const { x4, f, batched } = convInputs(op, x, filter);
  const depthwise = op === 'depthwiseConv2d';
  checkChannels(
    op,
    x4,
    f,
    2,
    `[filterHeight, filterWidth, inChannels, ${depthwise ? 'channelMultiplier' : 'outChannels'}]`,
  );
  const [fh, fw, inChannels, n] = f.shape as [number, number, number, number];
  const g = windowGeometry(
    op,
    x4.shape,
    [fh, fw],
    depthwise ? inChannels * n : n,
    checkPair(op, 'strides', strides),
    checkPair(op, 'dilations', dilations),
    checkPadding(op, pad, dimRoundingMode),
  );
  return { x4, f, batched, g };
}

/** Drops the batch axis again when x came without one. */
const unbatch = (y: Tensor, batched: boolean): Tensor => (batched ? y : reshape(y, y.shape.slice(1)));

function checkChannels(op: string, x: Tensor, f: Tensor, axis: number, filterLayout: string): void {
  if (f.shape[axis] !== x.shape[3]) {
    throw new Error(
      `tapegrad.${op}: x has ${x.shape[3]} channels (shape ${formatShape(x.shape)}) but the filter expects ` +
        `${f.shape[axis]} (shape ${formatShape(f.shape)}); the filter is ${filterLayout}`,
    );
  }
}

/**
 * 2-D convolution (cross-correlation, as TensorFlow) of NHWC images with a
 * filter `[filterHeight, filterWidth, inChannels, outChannels]`:
 * `y[n, i, j, o] = sum_{p, q, c} x[n, i*sh + p*dh - top, j*sw + q*dw - left, c] * filter[p, q, c, o]`,
 * zero outside x.
 *
 * - `strides`, `dilations`: a number or `[height, width]`; both may exceed 1 at once.
 * - `pad`: `'same'` (TensorFlow: output `ceil(in / stride)`, the total padding
 *   `max((out - 1) * stride + (filter - 1) * dilation + 1 - in, 0)` split with
 *   the smaller half before), `'valid'` (none), a number (that many zeros on
 *   every side) or `[[0, 0], [top, bottom], [left, right], [0, 0]]`.
 * - `dataFormat`: only `'NHWC'`; transpose NCHW data first.
 * - `dimRoundingMode`: how a fractional output size is rounded with a numeric
 *   or explicit pad (floor when omitted).
 *
 * A rank-3 x is a batch of one and gives a rank-3 result. Computed as im2col
 * and one matrix product, so a faster matmul kernel speeds it up.
 *
 * @param x - The images, `[batch, height, width, inChannels]` (NHWC), or `[height, width, inChannels]` for one; float32
 *   or float64.
 * @param filter - The filter, `[filterHeight, filterWidth, inChannels, outChannels]`, of `x`'s dtype.
 * @param strides - The step between windows: a number, or `[height, width]`; positive integers.
 * @param pad - `'same'`, `'valid'`, a number of zeros on every side, or
 *   `[[0, 0], [top, bottom], [left, right], [0, 0]]`, as described above.
 * @param dataFormat - The layout of `x`: only `'NHWC'` (the default) is supported; transpose NCHW data first.
 * @param dilations - The spacing between filter taps: a number, or `[height, width]`; default `[1, 1]` (none).
 * @param dimRoundingMode - How a fractional output size is rounded with a numeric or explicit `pad`: `'floor'` (when
 *   omitted), `'round'` or `'ceil'`.
 *
 * @example
 * ```ts
 * import { conv2d, ones, tensor } from 'tapegrad';
 * const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
 * const w = ones([2, 2, 1, 1]);
 * conv2d(x, w, 1, 'valid'); // [[[[12], [16]], [[24], [28]]]]
 * conv2d(x, w, 2, 'same').shape; // [1, 2, 2, 1]
 * conv2d(x, w, 2, 'same'); // [[[[12], [9]], [[15], [9]]]]: 'same' pads 0 before and 1 after
 * ```
 */
export function conv2d(
  x: TensorLike,
  filter: TensorLike,
  strides: readonly [number, number] | number,
  pad: 'valid' | 'same' | number | readonly (readonly [number, number])[],
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
  dilations: readonly [number, number] | number = [1, 1],
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): Tensor {
  const op = 'conv2d';
  const { x4, f, batched, g } = convolution(op, x, filter, strides, pad, dataFormat, dilations, dimRoundingMode);
  return unbatch(conv2dOps.conv([x4, f], g), batched);
}

/**
 * The transposed 2-D convolution ("deconvolution"): the gradient of
 * {@link conv2d} with respect to its input, for a conv2d whose input has
 * `outputShape`. x is `[batch, height, width, inDepth]` (the conv2d's output
 * shape), filter `[filterHeight, filterWidth, outDepth, inDepth]`,
 * `outputShape` `[batch, outHeight, outWidth, outDepth]` (or without the batch
 * axis); `strides`, `pad` and `dimRoundingMode` are the conv2d's.
 *
 * @param x - The input, `[batch, height, width, inDepth]` (the conv2d's output shape), or without the batch axis;
 *   float32 or float64.
 * @param filter - The filter, `[filterHeight, filterWidth, outDepth, inDepth]`, of `x`'s dtype.
 * @param outputShape - The shape of the result, `[batch, outHeight, outWidth, outDepth]` or
 *   `[outHeight, outWidth, outDepth]`: the conv2d's input shape.
 * @param strides - The conv2d's strides: a number, or `[height, width]`.
 * @param pad - The conv2d's padding: `'same'`, `'valid'`, a number, or explicit
 *   `[[0, 0], [top, bottom], [left, right], [0, 0]]`.
 * @param dimRoundingMode - How a fractional output size is rounded with a numeric or explicit `pad`: `'floor'` (when
 *   omitted), `'round'` or `'ceil'`.
 *
 * @example
 * ```ts
 * import { conv2dTranspose, ones, tensor } from 'tapegrad';
 * const x = tensor([1, 2, 3, 4], [1, 2, 2, 1]);
 * // Each input element spreads over a 2x2 block of a 3x3 output.
 * conv2dTranspose(x, ones([2, 2, 1, 1]), [1, 3, 3, 1], 1, 'valid'); // [[[[1], [3], [2]], [[4], [10], [6]], [[3], [7], [4]]]]
 * ```
 */
export function conv2dTranspose(
  x: TensorLike,
  filter: TensorLike,
  outputShape: readonly number[],
  strides: readonly [number, number] | number,
  pad: 'valid' | 'same' | number | readonly (readonly [number, number])[],
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): Tensor {
  const op = 'conv2dTranspose';
  const { x4, f, batched } = convInputs(op, x, filter);
  if (
    !Array.isArray(outputShape) ||
    (outputShape.length !== 3 && outputShape.length !== 4) ||
    !outputShape.every((d) => Number.isInteger(d) && d >= 0)
  ) {
    throw new TypeError(
      `tapegrad.${op}: outputShape must be [batch, height, width, outDepth] or [height, width, outDepth] ` +
        `of non-negative integers, got ${JSON.stringify(outputShape)}`,
    );
  }
  const out4 = outputShape.length === 3 ? [1, ...outputShape] : outputShape;
  checkChannels(op, x4, f, 3, '[filterHeight, filterWidth, outDepth, inDepth]');
  if (out4[0] !== x4.shape[0] || out4[3] !== f.shape[2]) {
    throw new Error(
      `tapegrad.${op}: outputShape ${formatShape(outputShape)} needs batch ${x4.shape[0]} (x is ` +
        `${formatShape(x4.shape)}) and depth ${f.shape[2]} (filter is ${formatShape(f.shape)}); ` +
        'the filter is [filterHeight, filterWidth, outDepth, inDepth]',
    );
  }
  const g = windowGeometry(
    op,
    out4,
    [f.shape[0]!, f.shape[1]!],
    f.shape[3]!,
    checkPair(op, 'strides', strides),
    [1, 1],
    checkPadding(op, pad, dimRoundingMode),
  );
  if (g.outHeight !== x4.shape[1] || g.outWidth !== x4.shape[2]) {
    throw new Error(
      `tapegrad.${op}: a conv2d of an input shaped ${formatShape(out4)} with these strides and pad gives ` +
        `${g.outHeight}x${g.outWidth} outputs, but x is ${x4.shape[1]}x${x4.shape[2]} (${formatShape(x4.shape)}); ` +
        'give the outputShape whose conv2d has the shape of x',
    );
  }
  const y = conv2dOps.backpropInput([x4, f], g);
  return unbatch(y, batched);
}

/**
 * Depthwise 2-D convolution: each input channel c is convolved with its own
 * `channelMultiplier` filters `filter[:, :, c, m]`, giving output channel
 * `c * channelMultiplier + m`. filter is
 * `[filterHeight, filterWidth, inChannels, channelMultiplier]`; the other
 * arguments are as {@link conv2d}.
 *
 * @param x - The images, `[batch, height, width, inChannels]` (NHWC), or `[height, width, inChannels]` for one; float32
 *   or float64.
 * @param filter - The filters, `[filterHeight, filterWidth, inChannels, channelMultiplier]`, of `x`'s dtype.
 * @param strides - The step between windows: a number, or `[height, width]`; positive integers.
 * @param pad - `'same'`, `'valid'`, a number of zeros on every side, or
 *   `[[0, 0], [top, bottom], [left, right], [0, 0]]`, as {@link conv2d}.
 * @param dataFormat - The layout of `x`: only `'NHWC'` (the default) is supported; transpose NCHW data first.
 * @param dilations - The spacing between filter taps: a number, or `[height, width]`; default `[1, 1]` (none).
 * @param dimRoundingMode - How a fractional output size is rounded with a numeric or explicit `pad`: `'floor'` (when
 *   omitted), `'round'` or `'ceil'`.
 *
 * @example
 * ```ts
 * import { depthwiseConv2d, tensor } from 'tapegrad';
 * const x = tensor([1, 10, 2, 20, 3, 30, 4, 40], [1, 2, 2, 2]); // two channels
 * const w = tensor([1, -1, 1, 1, 1, -1, 1, 1], [2, 2, 2, 1]); // channel 0: [[1, 1], [1, 1]]; 1: [[-1, 1], [-1, 1]]
 * depthwiseConv2d(x, w, 1, 'valid'); // [[[[10, 20]]]]
 * ```
 */
export function depthwiseConv2d(
  x: TensorLike,
  filter: TensorLike,
  strides: readonly [number, number] | number,
  pad: 'valid' | 'same' | number | readonly (readonly [number, number])[],
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
  dilations: readonly [number, number] | number = [1, 1],
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): Tensor {
  const op = 'depthwiseConv2d';
  const { x4, f, batched, g } = convolution(op, x, filter, strides, pad, dataFormat, dilations, dimRoundingMode);
  return unbatch(depthwiseOps.conv([x4, f], g), batched);
}

interface ConvMethods {
  /**
   * {@inheritDoc conv2d}
   *
   * @param rest - The arguments of {@link conv2d} after the tensor, described there.
   */
  conv2d: Method<typeof conv2d>;
  /**
   * {@inheritDoc conv2dTranspose}
   *
   * @param rest - The arguments of {@link conv2dTranspose} after the tensor, described there.
   */
  conv2dTranspose: Method<typeof conv2dTranspose>;
  /**
   * {@inheritDoc depthwiseConv2d}
   *
   * @param rest - The arguments of {@link depthwiseConv2d} after the tensor, described there.
   */
  depthwiseConv2d: Method<typeof depthwiseConv2d>;
}

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merges ConvMethods into Tensor
  interface Tensor<D extends DType = DType> extends ConvMethods {}
}

installMethods<ConvMethods>({ conv2d, conv2dTranspose, depthwiseConv2d });
