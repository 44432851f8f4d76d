/**
 * Winograd's minimal filtering F(4×4, 5×5) for stride-1 5×5 convolutions
 * (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016):
 * each 4×4 block of outputs of one channel pair is `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A`
 * over the 8×8 block of inputs `d` that it reads, so that summed over input
 * channels, the 400 multiply-adds per block become 64 (one product of
 * transformed tiles by transformed filters per point of the 8×8 transform),
 * plus the transforms. The points are 0, ±1, ±2, ±½ and ∞.
 *
 * Float32 results differ from the direct convolution's by rounding: about
 * 1e-5 of the largest output in magnitude (direct: 3e-7), as with cuDNN's and
 * oneDNN's Winograd convolutions; `spec/kernels/winograd.spec.ts` measures it.
 *
 * This file holds the transforms, the filter transform shared by both
 * implementations, and the reference ({@link winogradConv2d}): plain loops
 * that do each float32 operation of the WebAssembly kernel
 * (`wasm/winograd.ts`) in the same order, so the two agree bit for bit.
 */
import type { WindowGeometry } from './conv.js';

/** Points of the transform (8 = 4 outputs + 5 taps − 1). */
export const ALPHA = 8;
/** Output rows (and columns) per tile. */
export const TILE_OUT = 4;
/** Filter rows (and columns). */
export const TAPS = 5;

/** The input transform Bᵀ (8 × 8), integers. */
export const BT: readonly (readonly number[])[] = [
  [4, 0, -21, 0, 21, 0, -4, 0],
  [0, -4, -4, 17, 17, -4, -4, 0],
  [0, 4, -4, -17, 17, 4, -4, 0],
  [0, 2, 1, -10, -5, 8, 4, 0],
  [0, -2, 1, 10, -5, -8, 4, 0],
  [0, 64, 128, -80, -160, 16, 32, 0],
  [0, -64, 128, 80, -160, -16, 32, 0],
  [0, -4, 0, 21, 0, -21, 0, 4],
];

/** The output transform Aᵀ (4 × 8), powers of two. */
export const AT: readonly (readonly number[])[] = [
  [1, 1, 1, 1, 1, 1, 1, 0],
  [0, 1, -1, 2, -2, 1 / 2, -1 / 2, 0],
  [0, 1, 1, 4, 4, 1 / 4, 1 / 4, 0],
  [0, 1, -1, 8, -8, 1 / 8, -1 / 8, 1],
];

/** The filter transform G (8 × 5), applied in float64. */
export const G: readonly (readonly number[])[] = [
  [1 / 4, 0, 0, 0, 0],
  [1 / 18, 1 / 18, 1 / 18, 1 / 18, 1 / 18],
  [1 / 18, -1 / 18, 1 / 18, -1 / 18, 1 / 18],
  [1 / 360, 1 / 180, 1 / 90, 1 / 45, 2 / 45],
  [1 / 360, -1 / 180, 1 / 90, -1 / 45, 2 / 45],
  [1 / 45, 1 / 90, 1 / 180, 1 / 360, 1 / 720],
  [1 / 45, -1 / 90, 1 / 180, -1 / 360, 1 / 720],
  [0, 0, 0, 0, 1 / 4],
];

/** G's first and last rows' one coefficient. */
const G0 = 1 / 4;

/** Output channels per panel of the transformed filter (the WebAssembly product's NR). */
export const PANEL = 8;

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/** {@link transformFilter}'s float64 working arrays. */
let work = new Float64Array(0);

/**
 * A stride-1 5×5 convolution in the terms the Winograd kernels take: NHWC
 * input and output sizes and the padding before (the padding after is
 * whatever makes the output size; reads past the input are zeros).
 */
export interface WinogradShape {
  readonly batch: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly outChannels: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/**
 * Whether {@link winogradConv2d} computes `g` (a float32 conv2d): a 5×5
 * filter, strides and dilations 1, padding before of 0 to 4 on both axes
 * and (for the input gradient's mirrored convolution) no more than that
 * after, channels in whole vectors of 4.
 */
export function winogradFits(g: WindowGeometry): boolean {
  const padBottom = g.outHeight + TAPS - 1 - g.inHeight - g.padTop;
  const padRight = g.outWidth + TAPS - 1 - g.inWidth - g.padLeft;
  return (
    g.filterHeight === TAPS &&
    g.filterWidth === TAPS &&
    g.strideHeight === 1 &&
    g.strideWidth === 1 &&
    g.dilationHeight === 1 &&
    g.dilationWidth === 1 &&
    [g.padTop, g.padLeft, padBottom, padRight].every((p) => p >= 0 && p < TAPS) &&
    g.inChannels % 4 === 0 &&
    g.outChannels % 4 === 0 &&
    g.outHeight > 0 &&
    g.outWidth > 0
  );
}

/** conv2d's geometry `g` as a Winograd shape. */
export function forwardShape(g: WindowGeometry): WinogradShape {
  return g;
}

/**
 * conv2dBackpropInput of `g` as the Winograd shape of the convolution that
 * computes it: dy (`outChannels` channels) convolved with the filter rotated
 * half a turn and its channel axes swapped, padded by 4 minus the forward's
 * padding before, giving dx.
 */
export function inputGradientShape(g: WindowGeometry): WinogradShape {
  return {
    batch: g.batch,
    inHeight: g.outHeight,
    inWidth: g.outWidth,
    inChannels: g.outChannels,
    outHeight: g.inHeight,
    outWidth: g.inWidth,
    outChannels: g.inChannels,
    padTop: TAPS - 1 - g.padTop,
    padLeft: TAPS - 1 - g.padLeft,
  };
}

/** Tiles of a Winograd shape: rows and columns of 4×4 output blocks per image, and all of them. */
export function tilesOf(s: WinogradShape): { rows: number; cols: number; perImage: number; total: number } {
  const rows = Math.ceil(s.outHeight / TILE_OUT);
  const cols = Math.ceil(s.outWidth / TILE_OUT);
  return { rows, cols, perImage: rows * cols, total: s.batch * rows * cols };
}

/** Elements of {@link transformFilter}'s output for a shape: 64 points of inChannels × outChannels (padded to 8). */
export function transformedFilterSize(s: WinogradShape): number {
  return ALPHA * ALPHA * s.inChannels * roundUp(s.outChannels, PANEL);
}

/**
 * `U = G g Gᵀ` for every (input, output) channel pair, in float64, rounded
 * once to float32, written at element `at` of `out` as 64 points, each in
 * panels of 8 output channels (channels past the last are zeros), each
 * panel a row of 8 per input channel: the packed B of the product of
 * `wasm/gemm.ts`. `filter` is `[5, 5, C, outC]` (TensorFlow's layout); with
 * `mirrored`, the filter of {@link inputGradientShape} is taken from the
 * forward filter: tap (p, q) of channel pair (c, k) is the forward's tap
 * (4 − p, 4 − q) of pair (k, c).
 */
export function transformFilter(
  filter: Float32Array,
  s: WinogradShape,
  mirrored: boolean,
  out: Float32Array,
  at: number,
): void {
  const cin = s.inChannels;
  const cout = s.outChannels;
  const coutPad = roundUp(cout, PANEL);
  const pairs = cin * cout;
  // Float64 working arrays, kept between calls (fresh ones would fault their pages in on every step).
  const size = (TAPS * TAPS + ALPHA * TAPS) * pairs;
  if (work.length < size) work = new Float64Array(size);
  // g[p][q][pair] in float64, pair = c * cout + k.
  const g = work.subarray(0, TAPS * TAPS * pairs);
  for (let p = 0; p < TAPS; p++) {
    for (let q = 0; q < TAPS; q++) {
      const dst = (p * TAPS + q) * pairs;
      if (!mirrored) {
        for (let i = 0; i < pairs; i++) g[dst + i] = filter[dst + i]!;
      } else {
        // Forward filter [4 - p][4 - q][k][c] (its channel pair is (k, c): k < cout = forward's inChannels).
        const src = ((TAPS - 1 - p) * TAPS + (TAPS - 1 - q)) * pairs;
        for (let c = 0; c < cin; c++) for (let k = 0; k < cout; k++) g[dst + c * cout + k] = filter[src + k * cin + c]!;
      }
    }
  }
  // t[i][q] = Σ_p G[i][p] g[p][q]; then U[i][j] = Σ_q t[i][q] G[j][q], written packed.
  const t = work.subarray(TAPS * TAPS * pairs, (TAPS * TAPS + ALPHA * TAPS) * pairs);
  const o = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let q = 0; q < TAPS; q++) {
    for (let e = 0; e < pairs; e++) {
      const at5 = q * pairs + e;
      const step = TAPS * pairs;
      applyG(g[at5]!, g[at5 + step]!, g[at5 + 2 * step]!, g[at5 + 3 * step]!, g[at5 + 4 * step]!, o);
      for (let i = 0; i < ALPHA; i++) t[(i * TAPS + q) * pairs + e] = o[i]!;
    }
  }
  if (cout !== coutPad) out.fill(0, at, at + ALPHA * ALPHA * cin * coutPad);
  const point = cin * coutPad;
  for (let i = 0; i < ALPHA; i++) {
    const row = i * TAPS * pairs;
    for (let c = 0; c < cin; c++) {
      for (let k = 0; k < cout; k++) {
        const e = row + c * cout + k;
        applyG(t[e]!, t[e + pairs]!, t[e + 2 * pairs]!, t[e + 3 * pairs]!, t[e + 4 * pairs]!, o);
        const lane = k % PANEL;
        let dst = at + i * ALPHA * point + (k - lane) * cin + c * PANEL + lane;
        for (let j = 0; j < ALPHA; j++, dst += point) out[dst] = o[j]!;
      }
    }
  }
}

/**
 * `o[r] = Σ_p G[r][p] a_p` for the 8 rows of G, in float64: rows 1 and 2, 3
 * and 4, 5 and 6 differ only in the signs of the odd taps, so each pair is
 * the sum and the difference of its even and odd parts.
 */
function applyG(a0: number, a1: number, a2: number, a3: number, a4: number, o: number[]): void {
  o[0] = G0 * a0;
  for (let r = 1; r < ALPHA - 1; r += 2) {
    const w = G[r]!;
    const even = w[0]! * a0 + w[2]! * a2 + w[4]! * a4;
    const odd = w[1]! * a1 + w[3]! * a3;
    o[r] = even + odd;
    o[r + 1] = even - odd;
  }
  o[ALPHA - 1] = G0 * a4;
}

const f = Math.fround;

/**
 * `Σ coefs[k] · v[k]` in float32, in the order the WebAssembly kernel does it:
 * terms of nonzero coefficients by ascending k, the first as `v`, `−v` or
 * `v · c`, each next one added or subtracted, as `v` or `v · |c|`.
 */
function combine(coefs: readonly number[], v: Float32Array | number[]): number {
  let acc = 0;
  let first = true;
  for (let k = 0; k < coefs.length; k++) {
    const c = coefs[k]!;
    if (c === 0) continue;
    const x = v[k]!;
    if (first) {
      acc = c === 1 ? x : c === -1 ? -x : f(x * c);
      first = false;
    } else {
      const term = Math.abs(c) === 1 ? x : f(x * Math.abs(c));
      acc = c > 0 ? f(acc + term) : f(acc - term);
    }
  }
  return acc;
}

/**
 * The reference Winograd convolution: `y` (`[N, outH, outW, outC]`) from `x`
 * (`[N, H, W, C]`) and the transformed filter `u` ({@link transformFilter}),
 * tile by tile and channel by channel, with the WebAssembly kernel's float32
 * operations in its order: the input transform along rows, then columns;
 * per point, the products summed over input channels in ascending order from
 * +0; the output transform along rows, then columns.
 */
export function winogradConv2d(x: Float32Array, u: Float32Array, s: WinogradShape, y: Float32Array): void {
  const { batch, inHeight: H, inWidth: W, inChannels: cin, outHeight: OH, outWidth: OW, outChannels: cout } = s;
  const coutPad = roundUp(cout, PANEL);
  const tiles = tilesOf(s);
  const d = new Float32Array(ALPHA);
  const tmp = new Float32Array(ALPHA * ALPHA);
  const v = new Float32Array(ALPHA * ALPHA * cin); // [point][c] of one tile
  const col = new Float32Array(ALPHA);
  const m = new Float32Array(ALPHA * ALPHA);
  const s1 = new Float32Array(ALPHA * TILE_OUT);
  for (let b = 0; b < batch; b++) {
    for (let ty = 0; ty < tiles.rows; ty++) {
      for (let tx = 0; tx < tiles.cols; tx++) {
        const h0 = ty * TILE_OUT - s.padTop;
        const w0 = tx * TILE_OUT - s.padLeft;
        for (let c = 0; c < cin; c++) {
          for (let i = 0; i < ALPHA; i++) {
            const h = h0 + i;
            for (let j = 0; j < ALPHA; j++) {
              const w = w0 + j;
              d[j] = h >= 0 && h < H && w >= 0 && w < W ? x[((b * H + h) * W + w) * cin + c]! : 0;
            }
            for (let jj = 0; jj < ALPHA; jj++) tmp[i * ALPHA + jj] = combine(BT[jj]!, d);
          }
          for (let jj = 0; jj < ALPHA; jj++) {
            for (let i = 0; i < ALPHA; i++) col[i] = tmp[i * ALPHA + jj]!;
            for (let ii = 0; ii < ALPHA; ii++) v[(ii * ALPHA + jj) * cin + c] = combine(BT[ii]!, col);
          }
        }
        for (let k = 0; k < cout; k++) {
          const panel = k - (k % PANEL);
          for (let pt = 0; pt < ALPHA * ALPHA; pt++) {
            let acc = 0;
            const uRow = pt * cin * coutPad + panel * cin + (k - panel);
            for (let c = 0; c < cin; c++) acc = f(acc + f(v[pt * cin + c]! * u[uRow + c * PANEL]!));
            m[pt] = acc;
          }
          for (let i = 0; i < ALPHA; i++) {
            for (let j = 0; j < ALPHA; j++) d[j] = m[i * ALPHA + j]!;
            for (let jp = 0; jp < TILE_OUT; jp++) s1[i * TILE_OUT + jp] = combine(AT[jp]!, d);
          }
          for (let jp = 0; jp < TILE_OUT; jp++) {
            for (let i = 0; i < ALPHA; i++) col[i] = s1[i * TILE_OUT + jp]!;
            const ow = tx * TILE_OUT + jp;
            for (let ip = 0; ip < TILE_OUT; ip++) {
              const oh = ty * TILE_OUT + ip;
              const value = combine(AT[ip]!, col);
              if (oh < OH && ow < OW) y[((b * OH + oh) * OW + ow) * cout + k] = value;
            }
          }
        }
      }
    }
  }
}
