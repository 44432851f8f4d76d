/**
 * 2-D pooling kernels on NHWC arrays. A window covers only its in-bounds
 * elements: padding is never a candidate for the maximum and never counted in
 * the average (TensorFlow's 'same' pooling). The ops make sure every window
 * has at least one in-bounds element.
 */
import type { TypedArray } from '../dtype.js';
import type { WindowGeometry } from './conv.js';

/**
 * Calls `visit(outAt, start, rows, cols)` for each output position (channel 0),
 * with the flat offset of the window's first in-bounds input element (channel 0)
 * and its in-bounds extent.
 */
function sweep(g: WindowGeometry, visit: (outAt: number, start: number, rows: number, cols: number) => void): void {
  const { inHeight: H, inWidth: W, inChannels: C } = g;
  for (let n = 0; n < g.batch; n++) {
    for (let i = 0; i < g.outHeight; i++) {
      const top = i * g.strideHeight - g.padTop;
      const h0 = Math.max(top, 0);
      const h1 = Math.min(top + g.filterHeight, H);
      for (let j = 0; j < g.outWidth; j++) {
        const left = j * g.strideWidth - g.padLeft;
        const w0 = Math.max(left, 0);
        const w1 = Math.min(left + g.filterWidth, W);
        visit(((n * g.outHeight + i) * g.outWidth + j) * C, ((n * H + h0) * W + w0) * C, h1 - h0, w1 - w0);
      }
    }
  }
}

/**
 * For each output element `[n, i, j, c]`, the flat offset in x of the first
 * maximum of its window (row-major order within the window); a NaN counts as
 * the maximum, so it propagates.
 */
export function maxPoolArgmax(x: TypedArray, g: WindowGeometry): Int32Array {
  const { inWidth: W, inChannels: C } = g;
  const argmax = new Int32Array(g.batch * g.outHeight * g.outWidth * C);
  sweep(g, (outAt, start, rows, cols) => {
    for (let c = 0; c < C; c++) {
      let best = NaN;
      let at = -1;
      for (let r = 0; r < rows; r++) {
        for (let k = 0, s = start + r * W * C + c; k < cols; k++, s += C) {
          const v = x[s]!;
          if (at < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
            best = v;
            at = s;
          }
        }
      }
      argmax[outAt + c] = at;
    }
  });
  return argmax;
}

/**
 * `y[n, i, j, c]` = the maximum of x over the window.
 *
 * @param x - The input, `[N, H, W, C]`.
 * @param g - The window geometry: batch, input and output sizes, window size, strides and padding.
 * @param y - The output, `[N, outH, outW, C]`; written.
 */
export function maxPool(x: TypedArray, g: WindowGeometry, y: TypedArray): void {
  const argmax = maxPoolArgmax(x, g);
  for (let o = 0; o < argmax.length; o++) y[o] = x[argmax[o]!]!;
}

/**
 * The gradient of maxPool: each `dy` element is added to dx at its window's first maximum in x.
 *
 * @param dy - The output gradient, `[N, outH, outW, C]`.
 * @param x - The input the maxima were taken over, `[N, H, W, C]`.
 * @param g - The window geometry: batch, input and output sizes, window size, strides and padding.
 * @param dx - The input gradient, `[N, H, W, C]`; written.
 */
export function maxPoolBackprop(dy: TypedArray, x: TypedArray, g: WindowGeometry, dx: TypedArray): void {
  const argmax = maxPoolArgmax(x, g);
  const sums = new Float64Array(dx.length);
  for (let o = 0; o < argmax.length; o++) sums[argmax[o]!]! += dy[o]!;
  dx.set(sums);
}

/**
 * The transpose of maxPoolBackprop: `y[o] = ddx[argmax of window o in x]`.
 *
 * @param ddx - The tangent of the input gradient, `[N, H, W, C]`.
 * @param x - The input the maxima were taken over, `[N, H, W, C]`.
 * @param g - The window geometry: batch, input and output sizes, window size, strides and padding.
 * @param y - The output, `[N, outH, outW, C]`; written.
 */
export function maxPoolGather(ddx: TypedArray, x: TypedArray, g: WindowGeometry, y: TypedArray): void {
  const argmax = maxPoolArgmax(x, g);
  for (let o = 0; o < argmax.length; o++) y[o] = ddx[argmax[o]!]!;
}

/**
 * `y[n, i, j, c]` = the mean of x over the window's in-bounds elements.
 *
 * @param x - The input, `[N, H, W, C]`.
 * @param g - The window geometry: batch, input and output sizes, window size, strides and padding.
 * @param y - The output, `[N, outH, outW, C]`; written.
 */
export function avgPool(x: TypedArray, g: WindowGeometry, y: TypedArray): void {
  const { inWidth: W, inChannels: C } = g;
  sweep(g, (outAt, start, rows, cols) => {
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let r = 0; r < rows; r++) {
        for (let k = 0, at = start + r * W * C + c; k < cols; k++, at += C) s += x[at]!;
      }
      y[outAt + c] = s / (rows * cols);
    }
  });
}

/**
 * The gradient of avgPool (its transpose): each `dy` element, divided by its window's count, onto the window.
 *
 * @param dy - The output gradient, `[N, outH, outW, C]`.
 * @param g - The window geometry: batch, input and output sizes, window size, strides and padding.
 * @param dx - The input gradient, `[N, H, W, C]`; written.
 */
export function avgPoolBackprop(dy: TypedArray, g: WindowGeometry, dx: TypedArray): void {
  const { inWidth: W, inChannels: C } = g;
  const sums = new Float64Array(dx.length);
  sweep(g, (outAt, start, rows, cols) => {
    for (let c = 0; c < C; c++) {
      const share = dy[outAt + c]! / (rows * cols);
      for (let r = 0; r < rows; r++) {
        for (let k = 0, at = start + r * W * C + c; k < cols; k++, at += C) sums[at]! += share;
      }
    }
  });
  dx.set(sums);
}
