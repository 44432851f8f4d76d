/**
 * 2-D convolution kernels on NHWC arrays, and the window geometry they share
 * with pooling. A convolution is im2col (each output position's receptive
 * field laid out as one row) followed by one matrix product with the filter,
 * run by the matmul kernel passed in, so a faster matmul speeds convolutions
 * up too. Depthwise convolutions do little arithmetic per element read, so
 * they are direct loops.
 *
 * The geometry (output sizes, padding) is plain arithmetic on numbers, shared
 * by the convolution and pooling ops, so it lives beside the loops that use it.
 */
import type { TypedArray } from '../dtype.js';
import type { matmul as referenceMatmul } from './matmul.js';

/** The signature of the matmul kernel a convolution runs its product with. */
export type MatmulKernel = typeof referenceMatmul;

/**
 * A 2-D window sweep over an NHWC input: output position (i, j), window tap
 * (p, q) reads input row `i * strideHeight + p * dilationHeight - padTop` and
 * column `j * strideWidth + q * dilationWidth - padLeft`; reads outside the
 * input are zeros (convolution) or skipped (pooling).
 */
export interface WindowGeometry {
  /** Images in the batch. */
  readonly batch: number;
  /** Input rows. */
  readonly inHeight: number;
  /** Input columns. */
  readonly inWidth: number;
  /** Input channels. */
  readonly inChannels: number;
  /** Output rows. */
  readonly outHeight: number;
  /** Output columns. */
  readonly outWidth: number;
  /** Output channels. conv2d: the filter's last axis; depthwise: inChannels * multiplier; pooling: inChannels. */
  readonly outChannels: number;
  /** Window rows (before dilation). */
  readonly filterHeight: number;
  /** Window columns (before dilation). */
  readonly filterWidth: number;
  /** Rows between consecutive windows. */
  readonly strideHeight: number;
  /** Columns between consecutive windows. */
  readonly strideWidth: number;
  /** Rows between consecutive window taps. */
  readonly dilationHeight: number;
  /** Columns between consecutive window taps. */
  readonly dilationWidth: number;
  /** Padding rows before the input. */
  readonly padTop: number;
  /** Padding columns before the input. */
  readonly padLeft: number;
  /** Padding rows after, as the arithmetic gave it (negative when rounding drops the last rows). */
  readonly padBottom: number;
  /** Padding columns after, as the arithmetic gave it (negative when rounding drops the last columns). */
  readonly padRight: number;
}

/**
 * The window's parameters in the order the WebAssembly window kernels take them (after their own), and the WGSL ones
 * read them (after the batch): input rows, columns and channels, output rows and columns, filter rows and columns,
 * strides, dilations, and the padding before.
 */
export function windowArgs(g: WindowGeometry): number[] {
  return [
    g.inHeight,
    g.inWidth,
    g.inChannels,
    g.outHeight,
    g.outWidth,
    g.filterHeight,
    g.filterWidth,
    g.strideHeight,
    g.strideWidth,
    g.dilationHeight,
    g.dilationWidth,
    g.padTop,
    g.padLeft,
  ];
}

/** How a window sweep pads: TensorFlow's 'same' or 'valid', or explicit [before, after] per spatial axis. */
export type WindowPadding = 'same' | 'valid' | readonly [readonly [number, number], readonly [number, number]];

/** tfjs's rounding of a fractional output size, for numeric and explicit padding. */
export type DimRoundingMode = 'floor' | 'round' | 'ceil';

/**
 * Output size and padding along one spatial axis.
 * - 'same' (TensorFlow): out = ceil(in / stride); the total padding
 *   max((out - 1) * stride + window - in, 0) is split with the smaller half before.
 * - 'valid': no padding; out = floor((in - window) / stride) + 1.
 * - explicit [before, after]: out = round((in + before + after - window) / stride + 1)
 *   with `rounding`, floor when none (tfjs truncates, which differs only where
 *   the size is negative and TensorFlow reports an error).
 * `window` is the effective (dilated) size. The result may be negative: the caller reports it.
 */
export function windowAxis(
  inSize: number,
  window: number,
  stride: number,
  pad: 'same' | 'valid' | readonly [number, number],
  rounding: DimRoundingMode | undefined,
): { out: number; before: number; after: number } {
  if (pad === 'same') {
    const out = Math.ceil(inSize / stride);
    const total = Math.max((out - 1) * stride + window - inSize, 0);
    const before = Math.floor(total / 2);
    return { out, before, after: total - before };
  }
  const [before, after] = pad === 'valid' ? [0, 0] : pad;
  const exact = (inSize + before + after - window) / stride + 1;
  let out: number;
  if (rounding === 'ceil' && pad !== 'valid') out = Math.ceil(exact);
  else if (rounding === 'round' && pad !== 'valid') out = Math.round(exact);
  else out = Math.floor(exact);
  out = out || 0; // no -0 from rounding up a small negative size
  // The padding after that the output size implies: what the last window reaches past the input.
  return { out, before, after: (out - 1) * stride + window - inSize - before };
}

/** A scratch array of x's kind (float32 stays float32, so a float32 matmul kernel sees float32). */
function scratch(like: TypedArray, size: number): Float32Array | Float64Array {
  return like instanceof Float32Array ? new Float32Array(size) : new Float64Array(size);
}

/**
 * `cols[(n, i, j), (p, q, c)] = x[n, i*sh + p*dh - top, j*sw + q*dw - left, c]`,
 * zero outside x: a `[batch * outHeight * outWidth, filterHeight * filterWidth * inChannels]` matrix.
 */
export function im2col(x: TypedArray, g: WindowGeometry, cols: TypedArray): void {
  const { inHeight: H, inWidth: W, inChannels: C, filterHeight: FH, filterWidth: FW } = g;
  const rowLength = FH * FW * C;
  let row = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let i = 0; i < g.outHeight; i++) {
      for (let j = 0; j < g.outWidth; j++, row++) {
        let o = row * rowLength;
        for (let p = 0; p < FH; p++) {
          const h = i * g.strideHeight + p * g.dilationHeight - g.padTop;
          for (let q = 0; q < FW; q++, o += C) {
            const w = j * g.strideWidth + q * g.dilationWidth - g.padLeft;
            if (h < 0 || h >= H || w < 0 || w >= W) {
              cols.fill(0, o, o + C);
            } else {
              const src = ((n * H + h) * W + w) * C;
              for (let c = 0; c < C; c++) cols[o + c] = x[src + c]!;
            }
          }
        }
      }
    }
  }
}

/** The transpose of {@link im2col}: adds every entry of `cols` onto the element of `dx` it was read from. */
export function col2im(cols: TypedArray, g: WindowGeometry, dx: Float64Array): void {
  const { inHeight: H, inWidth: W, inChannels: C, filterHeight: FH, filterWidth: FW } = g;
  const rowLength = FH * FW * C;
  let row = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let i = 0; i < g.outHeight; i++) {
      for (let j = 0; j < g.outWidth; j++, row++) {
        let o = row * rowLength;
        for (let p = 0; p < FH; p++) {
          const h = i * g.strideHeight + p * g.dilationHeight - g.padTop;
          for (let q = 0; q < FW; q++, o += C) {
            const w = j * g.strideWidth + q * g.dilationWidth - g.padLeft;
            if (h < 0 || h >= H || w < 0 || w >= W) continue;
            const dst = ((n * H + h) * W + w) * C;
            for (let c = 0; c < C; c++) dx[dst + c]! += cols[o + c]!;
          }
        }
      }
    }
  }
}

/**
 * `y = im2col(x) @ filter`: x `[N, H, W, C]`, filter `[FH, FW, C, outC]`, y `[N, outH, outW, outC]`.
 *
 * @param x - The input, `[N, H, W, C]`.
 * @param filter - The filter, `[FH, FW, C, outC]`.
 * @param g - The window geometry: batch, input, filter and output sizes, strides, dilations and padding.
 * @param y - The output, `[N, outH, outW, outC]`; written.
 * @param matmul - The matrix-product kernel to run the product with.
 */
export function conv2d(
  x: TypedArray,
  filter: TypedArray,
  g: WindowGeometry,
  y: TypedArray,
  matmul: MatmulKernel,
): void {
  const rows = g.batch * g.outHeight * g.outWidth;
  const k = g.filterHeight * g.filterWidth * g.inChannels;
  const cols = scratch(x, rows * k);
  im2col(x, g, cols);
  matmul(cols, [], filter, [], [], rows, k, g.outChannels, false, false, y);
}

/**
 * The gradient of conv2d with respect to x: `dx = col2im(dy @ filterᵀ)`.
 *
 * @param dy - The output gradient, `[N, outH, outW, outC]`.
 * @param filter - The filter, `[FH, FW, C, outC]`.
 * @param g - The window geometry: batch, input, filter and output sizes, strides, dilations and padding.
 * @param dx - The input gradient, `[N, H, W, C]`; written.
 * @param matmul - The matrix-product kernel to run the product with.
 */
export function conv2dBackpropInput(
  dy: TypedArray,
  filter: TypedArray,
  g: WindowGeometry,
  dx: TypedArray,
  matmul: MatmulKernel,
): void {
  const rows = g.batch * g.outHeight * g.outWidth;
  const k = g.filterHeight * g.filterWidth * g.inChannels;
  const cols = scratch(dy, rows * k);
  matmul(dy, [], filter, [], [], rows, g.outChannels, k, false, true, cols);
  // Accumulate in float64 (an input element collects up to FH * FW terms), then store once.
  const sums = new Float64Array(dx.length);
  col2im(cols, g, sums);
  dx.set(sums);
}

/**
 * The gradient of conv2d with respect to the filter: `dFilter = im2col(x)ᵀ @ dy`.
 *
 * @param x - The input, `[N, H, W, C]`.
 * @param dy - The output gradient, `[N, outH, outW, outC]`.
 * @param g - The window geometry: batch, input, filter and output sizes, strides, dilations and padding.
 * @param dFilter - The filter gradient, `[FH, FW, C, outC]`; written.
 * @param matmul - The matrix-product kernel to run the product with.
 */
export function conv2dBackpropFilter(
  x: TypedArray,
  dy: TypedArray,
  g: WindowGeometry,
  dFilter: TypedArray,
  matmul: MatmulKernel,
): void {
  const rows = g.batch * g.outHeight * g.outWidth;
  const k = g.filterHeight * g.filterWidth * g.inChannels;
  const cols = scratch(x, rows * k);
  im2col(x, g, cols);
  matmul(cols, [], dy, [], [], k, rows, g.outChannels, true, false, dFilter);
}

/**
 * Visits every (output position, window tap, input channel) of a depthwise
 * convolution whose input element is inside x, with the flat offsets of the
 * input element, the filter entry (for multiplier index 0) and the output
 * element (for multiplier index 0); the multiplier axis is innermost in both.
 */
function depthwiseSweep(g: WindowGeometry, visit: (xAt: number, fAt: number, yAt: number) => void): void {
  const { inHeight: H, inWidth: W, inChannels: C, filterHeight: FH, filterWidth: FW } = g;
  const M = g.outChannels / C;
  for (let n = 0; n < g.batch; n++) {
    for (let i = 0; i < g.outHeight; i++) {
      for (let j = 0; j < g.outWidth; j++) {
        const yBase = ((n * g.outHeight + i) * g.outWidth + j) * C * M;
        for (let p = 0; p < FH; p++) {
          const h = i * g.strideHeight + p * g.dilationHeight - g.padTop;
          if (h < 0 || h >= H) continue;
          for (let q = 0; q < FW; q++) {
            const w = j * g.strideWidth + q * g.dilationWidth - g.padLeft;
            if (w < 0 || w >= W) continue;
            const xBase = ((n * H + h) * W + w) * C;
            const fBase = (p * FW + q) * C * M;
            for (let c = 0; c < C; c++) visit(xBase + c, fBase + c * M, yBase + c * M);
          }
        }
      }
    }
  }
}

/**
 * `y[n, i, j, c*M + m] = sum_{p,q} x[n, h(i,p), w(j,q), c] filter[p, q, c, m]`; filter `[FH, FW, C, M]`.
 *
 * @param x - The input, `[N, H, W, C]`.
 * @param filter - The filters, `[FH, FW, C, M]`.
 * @param g - The window geometry: batch, input, filter and output sizes, strides, dilations and padding.
 * @param y - The output, `[N, outH, outW, C*M]`; written.
 */
export function depthwiseConv2d(x: TypedArray, filter: TypedArray, g: WindowGeometry, y: TypedArray): void {
  const M = g.outChannels / g.inChannels;
  const sums = new Float64Array(y.length);
  depthwiseSweep(g, (xAt, fAt, yAt) => {
    const v = x[xAt]!;
    for (let m = 0; m < M; m++) sums[yAt + m]! += v * filter[fAt + m]!;
  });
  y.set(sums);
}

/**
 * The gradient of depthwiseConv2d with respect to x.
 *
 * @param dy - The output gradient, `[N, outH, outW, C*M]`.
 * @param filter - The filters, `[FH, FW, C, M]`.
 * @param g - The window geometry: batch, input, filter and output sizes, strides, dilations and padding.
 * @param dx - The input gradient, `[N, H, W, C]`; written.
 */
export function depthwiseConv2dBackpropInput(
  dy: TypedArray,
  filter: TypedArray,
  g: WindowGeometry,
  dx: TypedArray,
): void {
  const M = g.outChannels / g.inChannels;
  const sums = new Float64Array(dx.length);
  depthwiseSweep(g, (xAt, fAt, yAt) => {
    let s = 0;
    for (let m = 0; m < M; m++) s += dy[yAt + m]! * filter[fAt + m]!;
    sums[xAt]! += s;
  });
  dx.set(sums);
}

/**
 * The gradient of depthwiseConv2d with respect to the filter.
 *
 * @param x - The input, `[N, H, W, C]`.
 * @param dy - The output gradient, `[N, outH, outW, C*M]`.
 * @param g - The window geometry: batch, input, filter and output sizes, strides, dilations and padding.
 * @param dFilter - The filter gradient, `[FH, FW, C, M]`; written.
 */
export function depthwiseConv2dBackpropFilter(
  x: TypedArray,
  dy: TypedArray,
  g: WindowGeometry,
  dFilter: TypedArray,
): void {
  const M = g.outChannels / g.inChannels;
  const sums = new Float64Array(dFilter.length);
  depthwiseSweep(g, (xAt, fAt, yAt) => {
    const v = x[xAt]!;
    for (let m = 0; m < M; m++) sums[fAt + m]! += v * dy[yAt + m]!;
  });
  dFilter.set(sums);
}

// -- Argument checks shared by the convolution and pooling ops --

const show = (value: unknown): string =>
  typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));

const isNonNegativeInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * `[height, width]` from a number or a pair of positive integers (strides,
 * dilations, a pooling window's size), as tfjs accepts them.
 */
export function checkPair(op: string, name: string, value: unknown): [number, number] {
  const pair = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((v) => isNonNegativeInteger(v) && v > 0)) {
    throw new (Array.isArray(pair) && pair.length === 2 ? RangeError : TypeError)(
      `tapegrad.${op}: ${name} must be a positive integer or a pair [height, width] of them, got ${show(value)}`,
    );
  }
  return [pair[0] as number, pair[1] as number];
}

/** Refuses data formats other than NHWC, saying how to get there from NCHW. */
export function checkDataFormat(op: string, dataFormat: unknown): void {
  if (dataFormat === 'NHWC') return;
  if (dataFormat === 'NCHW') {
    throw new Error(
      `tapegrad.${op}: dataFormat 'NCHW' is not supported; transpose x to NHWC with transpose(x, [0, 2, 3, 1]) ` +
        "and pass 'NHWC' (transpose the result back with [0, 3, 1, 2])",
    );
  }
  throw new TypeError(
    `tapegrad.${op}: dataFormat must be 'NHWC' (or 'NCHW', which is not supported), got ${show(dataFormat)}`,
  );
}

/**
 * tfjs's `pad` argument as a {@link WindowPadding}: 'same', 'valid', a
 * number (that many zeros on every side) or explicit padding
 * `[[0, 0], [top, bottom], [left, right], [0, 0]]`. `dimRoundingMode` only
 * applies to the last two, as in tfjs.
 */
export function checkPadding(
  op: string,
  pad: unknown,
  dimRoundingMode: unknown,
): { padding: WindowPadding; rounding: DimRoundingMode | undefined } {
  let padding: WindowPadding;
  if (pad === 'same' || pad === 'valid') padding = pad;
  else if (isNonNegativeInteger(pad)) {
    padding = [
      [pad, pad],
      [pad, pad],
    ];
  } else if (
    Array.isArray(pad) &&
    pad.length === 4 &&
    pad.every((p) => Array.isArray(p) && p.length === 2 && p.every(isNonNegativeInteger)) &&
    pad[0][0] === 0 &&
    pad[0][1] === 0 &&
    pad[3][0] === 0 &&
    pad[3][1] === 0
  ) {
    padding = [pad[1] as [number, number], pad[2] as [number, number]];
  } else {
    throw new TypeError(
      `tapegrad.${op}: pad must be 'same', 'valid', a non-negative integer or ` +
        `[[0, 0], [top, bottom], [left, right], [0, 0]] of non-negative integers, got ${show(pad)}`,
    );
  }
  if (dimRoundingMode === undefined || dimRoundingMode === null) return { padding, rounding: undefined };
  if (dimRoundingMode !== 'floor' && dimRoundingMode !== 'round' && dimRoundingMode !== 'ceil') {
    throw new TypeError(
      `tapegrad.${op}: dimRoundingMode must be 'floor', 'round' or 'ceil', got ${show(dimRoundingMode)}`,
    );
  }
  if (typeof padding === 'string') {
    throw new Error(
      `tapegrad.${op}: dimRoundingMode ${show(dimRoundingMode)} applies only to a numeric or explicit pad, ` +
        `got pad ${show(pad)}; leave dimRoundingMode out`,
    );
  }
  return { padding, rounding: dimRoundingMode };
}

/**
 * The geometry of sweeping a `filterHeight x filterWidth` window (dilated by
 * `dilations`) over an NHWC input of shape `xShape` with `strides` and
 * `padding`; throws a RangeError when an output size would be negative.
 */
export function windowGeometry(
  op: string,
  xShape: readonly number[],
  filter: readonly [number, number],
  outChannels: number,
  strides: readonly [number, number],
  dilations: readonly [number, number],
  { padding, rounding }: { padding: WindowPadding; rounding: DimRoundingMode | undefined },
): WindowGeometry {
  const [batch, inHeight, inWidth, inChannels] = xShape as [number, number, number, number];
  const axis = (d: 0 | 1, inSize: number) => {
    const window = (filter[d] - 1) * dilations[d] + 1;
    const result = windowAxis(inSize, window, strides[d], typeof padding === 'string' ? padding : padding[d], rounding);
    if (result.out < 0) {
      const name = d === 0 ? 'height' : 'width';
      throw new RangeError(
        `tapegrad.${op}: the window's effective ${name} ${window} does not fit the input ${name} ${inSize} ` +
          `with pad ${show(padding)} (the output ${name} would be ${result.out}); ` +
          "pad the input (pad 'same') or use a smaller window",
      );
    }
    return result;
  };
  const rows = axis(0, inHeight);
  const cols = axis(1, inWidth);
  return {
    batch,
    inHeight,
    inWidth,
    inChannels,
    outHeight: rows.out,
    outWidth: cols.out,
    outChannels,
    filterHeight: filter[0],
    filterWidth: filter[1],
    strideHeight: strides[0],
    strideWidth: strides[1],
    dilationHeight: dilations[0],
    dilationWidth: dilations[1],
    padTop: rows.before,
    padLeft: cols.before,
    padBottom: rows.after,
    padRight: cols.after,
  };
}
