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
 * This file holds the transforms, the filter's transforms (forward and back)
 * shared by both implementations, and the reference ({@link winogradConv2d},
 * {@link winogradFilterPartial}): plain loops that do each float32 operation
 * of the WebAssembly kernels (`wasm/winograd-kernel.ts`) in the same order,
 * so the two agree bit for bit.
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

/** Tiles the WebAssembly kernels take at a time (a multiple of the product's 4 rows). */
export const WINOGRAD_CHUNK = 16;
/** Tasks the filter gradient's tiles are cut into (whole chunks each), each summing its own tiles' products. */
export const FILTER_TASKS = 4;

/**
 * Elements between one point's sums of the filter gradient and the next,
 * beyond the point's own: {@link filterSumsStride}. A power-of-two stride
 * would put the 8 points read together in one cache set.
 */
export const SUMS_PAD = 16;

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
export type WinogradShape = Pick<
  WindowGeometry,
  'batch' | 'inHeight' | 'inWidth' | 'inChannels' | 'outHeight' | 'outWidth' | 'outChannels' | 'padTop' | 'padLeft'
>;

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

/** Whether {@link winogradFilterGradient} computes `g`'s filter gradient: {@link winogradFits}, output channels a multiple of 8. */
export function winogradFilterFits(g: WindowGeometry): boolean {
  return winogradFits(g) && g.outChannels % PANEL === 0;
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
  const { batch, outHeight: OH, outWidth: OW, inChannels: cin, outChannels: cout } = s;
  const coutPad = roundUp(cout, PANEL);
  const tiles = tilesOf(s);
  const v = new Float32Array(ALPHA * ALPHA * cin); // [point][c] of one tile
  const d = new Float32Array(ALPHA);
  const col = new Float32Array(ALPHA);
  const m = new Float32Array(ALPHA * ALPHA);
  const s1 = new Float32Array(ALPHA * TILE_OUT);
  for (let b = 0; b < batch; b++) {
    for (let ty = 0; ty < tiles.rows; ty++) {
      for (let tx = 0; tx < tiles.cols; tx++) {
        transformInputTile(x, s, b, ty, tx, v);
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
            for (let o = 0; o < TILE_OUT; o++) s1[i * TILE_OUT + o] = combine(AT[o]!, d);
          }
          for (let o = 0; o < TILE_OUT; o++) {
            for (let i = 0; i < ALPHA; i++) col[i] = s1[i * TILE_OUT + o]!;
            const ow = tx * TILE_OUT + o;
            for (let r = 0; r < TILE_OUT; r++) {
              const oh = ty * TILE_OUT + r;
              const value = combine(AT[r]!, col);
              if (oh < OH && ow < OW) y[((b * OH + oh) * OW + ow) * cout + k] = value;
            }
          }
        }
      }
    }
  }
}

/**
 * `Bᵀ d B` of tile (ty, tx) of image b, for every input channel, into `v`
 * (`[point][channel]`): along rows, then columns, as the kernels do it.
 */
function transformInputTile(x: Float32Array, s: WinogradShape, b: number, ty: number, tx: number, v: Float32Array) {
  const { inHeight: H, inWidth: W, inChannels: cin } = s;
  const h0 = ty * TILE_OUT - s.padTop;
  const w0 = tx * TILE_OUT - s.padLeft;
  for (let c = 0; c < cin; c++) {
    const read = (i: number, j: number) => {
      const [h, w] = [h0 + i, w0 + j];
      return h >= 0 && h < H && w >= 0 && w < W ? x[((b * H + h) * W + w) * cin + c]! : 0;
    };
    transformTile(read, ALPHA, BT, v, cin, c);
  }
}

/**
 * `R d Rᵀ` of the `size` × `size` block `d` (`read(i, j)`), R's rows `rows`
 * (8 of `size` coefficients), along rows, then columns, as the kernels do it:
 * point (ii, jj) goes to `out[(ii · 8 + jj) · stride + at]`.
 */
function transformTile(
  read: (i: number, j: number) => number,
  size: number,
  rows: readonly (readonly number[])[],
  out: Float32Array,
  stride: number,
  at: number,
): void {
  const d = new Float32Array(size);
  const tmp = new Float32Array(size * ALPHA);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) d[j] = read(i, j);
    for (let jj = 0; jj < ALPHA; jj++) tmp[i * ALPHA + jj] = combine(rows[jj]!, d);
  }
  for (let jj = 0; jj < ALPHA; jj++) {
    for (let i = 0; i < size; i++) d[i] = tmp[i * ALPHA + jj]!;
    for (let ii = 0; ii < ALPHA; ii++) out[(ii * ALPHA + jj) * stride + at] = combine(rows[ii]!, d);
  }
}

/** Rows of A (8 × 4), the transpose of {@link AT}: the transform of a 4×4 block of dy. */
export const A_ROWS = Array.from({ length: ALPHA }, (_, c) => AT.map((row) => row[c]!));

/** Elements from one point's filter-gradient sums to the next: C · outC + {@link SUMS_PAD}. */
export function filterSumsStride(s: WinogradShape): number {
  return s.inChannels * s.outChannels + SUMS_PAD;
}

/** The filter gradient's tasks: `[first tile, tiles]`, {@link FILTER_TASKS} runs of whole chunks. */
export function filterGradientTasks(s: WinogradShape): [number, number][] {
  const total = tilesOf(s).total;
  const perTask = roundUp(Math.ceil(total / FILTER_TASKS), WINOGRAD_CHUNK);
  const tasks: [number, number][] = [];
  for (let t0 = 0; t0 < total; t0 += perTask) tasks.push([t0, Math.min(perTask, total - t0)]);
  return tasks;
}

/**
 * The reference of one task of the filter gradient: adds, for tiles `t0 ..
 * t0 + count` in order, `(Bᵀ d B) ⊙ (A dy Aᵀ)` onto `sums` from element `at`
 * (`[point][input channel][output channel]`, points {@link filterSumsStride}
 * apart), each term rounded to float32
 * and added in float32, as the kernel does. `s` is the forward's shape
 * (output channels a multiple of 8); dy past the output is zeros.
 */
export function winogradFilterPartial(
  x: Float32Array,
  dy: Float32Array,
  s: WinogradShape,
  t0: number,
  count: number,
  sums: Float32Array,
  at: number,
): void {
  const { outHeight: OH, outWidth: OW, inChannels: cin, outChannels: cout } = s;
  const tiles = tilesOf(s);
  const ld = filterSumsStride(s);
  const v = new Float32Array(ALPHA * ALPHA * cin);
  const w = new Float32Array(ALPHA * ALPHA * cout);
  for (let t = t0; t < t0 + count; t++) {
    const b = Math.floor(t / tiles.perImage);
    const ty = Math.floor((t - b * tiles.perImage) / tiles.cols);
    const tx = t - b * tiles.perImage - ty * tiles.cols;
    transformInputTile(x, s, b, ty, tx, v);
    for (let k = 0; k < cout; k++) {
      const read = (i: number, j: number) => {
        const [oh, ow] = [ty * TILE_OUT + i, tx * TILE_OUT + j];
        return oh < OH && ow < OW ? dy[((b * OH + oh) * OW + ow) * cout + k]! : 0;
      };
      transformTile(read, TILE_OUT, A_ROWS, w, cout, k);
    }
    for (let pt = 0; pt < ALPHA * ALPHA; pt++) {
      for (let c = 0; c < cin; c++) {
        const a = v[pt * cin + c]!;
        const row = at + pt * ld + c * cout;
        for (let k = 0; k < cout; k++) sums[row + k] = f(sums[row + k]! + f(a * w[pt * cout + k]!));
      }
    }
  }
}

/**
 * The reference's sum of the tasks' sums (`tasks` blocks of 64 points
 * {@link filterSumsStride} apart, from element `at` of `partials`): added in
 * float32 onto the first task's, task by task, as the WebAssembly path adds
 * them with its float32 add. The result replaces the first task's sums.
 */
export function sumFilterTasks(partials: Float32Array, at: number, tasks: number, s: WinogradShape): void {
  const block = ALPHA * ALPHA * filterSumsStride(s);
  for (let task = 1; task < tasks; task++) {
    const from = at + task * block;
    for (let e = 0; e < block; e++) partials[at + e] = f(partials[at + e]! + partials[from + e]!);
  }
}

/**
 * The filter gradient from the summed products `S` (64 points from element
 * `at` of `sums`, {@link filterSumsStride} apart): `Gᵀ S G` per channel pair
 * in float64, rounded once, into `dFilter` (`[5, 5, C, outC]`).
 */
export function untransformFilterGradient(
  sums: Float32Array,
  at: number,
  s: WinogradShape,
  dFilter: Float32Array,
): void {
  const pairs = s.inChannels * s.outChannels;
  const ld = filterSumsStride(s);
  if (backWork.length < TAPS * ALPHA * ld) backWork = new Float64Array(TAPS * ALPHA * ld);
  const t = backWork; // t[p][j][pair], rows ld apart
  const sv = new Float64Array(ALPHA);
  const o = new Float64Array(TAPS);
  // t[p][j] = Σ_i G[i][p] S[i][j]
  for (let j = 0; j < ALPHA; j++) {
    for (let e = 0; e < pairs; e++) {
      for (let i = 0; i < ALPHA; i++) sv[i] = sums[at + (i * ALPHA + j) * ld + e]!;
      applyGT(sv, o);
      for (let p = 0; p < TAPS; p++) t[(p * ALPHA + j) * ld + e] = o[p]!;
    }
  }
  // dFilter[p][q] = Σ_j t[p][j] G[j][q]
  for (let p = 0; p < TAPS; p++) {
    for (let e = 0; e < pairs; e++) {
      for (let j = 0; j < ALPHA; j++) sv[j] = t[(p * ALPHA + j) * ld + e]!;
      applyGT(sv, o);
      for (let q = 0; q < TAPS; q++) dFilter[(p * TAPS + q) * pairs + e] = o[q]!;
    }
  }
}

/** {@link finishFilterGradient}'s float64 working array, kept between calls. */
let backWork = new Float64Array(0);

/**
 * `o[p] = Σ_i G[i][p] s[i]` for the 5 columns of G, in float64, with the
 * pairs of rows of {@link applyG} folded first (their sum for even taps,
 * their difference for odd ones).
 */
function applyGT(s: Float64Array, o: Float64Array): void {
  const sum1 = s[1]! + s[2]!;
  const dif1 = s[1]! - s[2]!;
  const sum3 = s[3]! + s[4]!;
  const dif3 = s[3]! - s[4]!;
  const sum5 = s[5]! + s[6]!;
  const dif5 = s[5]! - s[6]!;
  o[0] = G1[0]! * sum1 + G3[0]! * sum3 + G5[0]! * sum5 + G0 * s[0]!;
  o[1] = G1[1]! * dif1 + G3[1]! * dif3 + G5[1]! * dif5;
  o[2] = G1[2]! * sum1 + G3[2]! * sum3 + G5[2]! * sum5;
  o[3] = G1[3]! * dif1 + G3[3]! * dif3 + G5[3]! * dif5;
  o[4] = G1[4]! * sum1 + G3[4]! * sum3 + G5[4]! * sum5 + G0 * s[ALPHA - 1]!;
}

/** Rows 1, 3 and 5 of G as float64 arrays (for {@link applyGT}). */
const G1 = Float64Array.from(G[1]!);
const G3 = Float64Array.from(G[3]!);
const G5 = Float64Array.from(G[5]!);
