/**
 * Batched matmul on the WebAssembly SIMD micro-kernels, blocked as in
 * GotoBLAS: for each block of KC steps of k, B's block is packed into column
 * panels once; for each block of MC rows, A's block is packed into row panels
 * (it stays in cache while every column panel streams past it). Transposes
 * are read through the packing, never materialised. C lives in WASM memory,
 * padded to whole panels, and its real part is copied out at the end.
 */
import type { TypedArray } from '../../dtype.js';
import { broadcastOffsets } from '../layout.js';
import { matmul as referenceMatmul } from '../matmul.js';
import type { Tile } from './gemm.js';
import type { Runtime } from './runtime.js';

/** Steps of k per packed block: a KC x NR panel of B stays in L1. */
const KC = 256;
/** Rows of A per packed block: MC x KC of A stays in L2. */
const MC = 128;
/** Products smaller than this many multiply-adds stay in TypeScript, where copying in and out would dominate. */
export const MATMUL_MIN_WORK = 4096;

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/**
 * A `matmul` kernel (the reference's signature) that runs float32 and float64
 * products of at least {@link MATMUL_MIN_WORK} multiply-adds in WebAssembly and
 * everything else in the reference kernel (`minWork` lowers the threshold for tests).
 */
export function wasmMatmul(runtime: Runtime, minWork = MATMUL_MIN_WORK): typeof referenceMatmul {
  return function matmul(a, aBatch, b, bBatch, outBatch, m, k, n, transposeA, transposeB, out) {
    const f32 = out instanceof Float32Array;
    if ((!f32 && !(out instanceof Float64Array)) || m * n * k < minWork || k === 0) {
      referenceMatmul(a, aBatch, b, bBatch, outBatch, m, k, n, transposeA, transposeB, out);
      return;
    }
    const tile = f32 ? runtime.tiles.f32 : runtime.tiles.f64;
    const gemm = f32 ? runtime.exports.gemmF32 : runtime.exports.gemmF64;
    const { mr, nr, bytes } = tile;
    const mPad = roundUp(m, mr);
    const nPad = roundUp(n, nr);
    const kc0 = Math.min(k, KC);
    const mc0 = Math.min(mPad, MC);
    // Layout (in elements): packed A block, packed B block, C.
    const aPack = 0;
    const bPack = aPack + mc0 * kc0;
    const cBase = roundUp(bPack + kc0 * nPad, 16 / bytes);
    runtime.reserve((cBase + mPad * nPad) * bytes);
    const mem = f32 ? runtime.f32() : runtime.f64();
    const aOff = broadcastOffsets(aBatch, outBatch);
    const bOff = broadcastOffsets(bBatch, outBatch);
    for (let batch = 0; batch < aOff.length; batch++) {
      const aBase = aOff[batch]! * m * k;
      const bBase = bOff[batch]! * k * n;
      mem.fill(0, cBase, cBase + mPad * nPad);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        packB(b, bBase, transposeB, k, n, pc, kc, tile, mem, bPack, nPad);
        for (let ic = 0; ic < m; ic += MC) {
          const mc = Math.min(MC, m - ic);
          const mcPad = roundUp(mc, mr);
          packA(a, aBase, transposeA, m, k, ic, mc, pc, kc, tile, mem, aPack);
          gemm(aPack * bytes, bPack * bytes, (cBase + ic * nPad) * bytes, mcPad, nPad, kc, nPad * bytes);
        }
      }
      const outBase = batch * m * n;
      if (n === nPad) out.set(mem.subarray(cBase, cBase + m * n), outBase);
      else for (let i = 0; i < m; i++) out.set(mem.subarray(cBase + i * nPad, cBase + i * nPad + n), outBase + i * n);
    }
  };
}

/**
 * Packs rows `ic .. ic+mc` and steps `pc .. pc+kc` of op(A) (m x k, `t`:
 * stored transposed as k x m) into panels of MR rows: element (r, p) of
 * panel q at `dst + q*MR*kc + p*MR + r`, rows past `mc` zero.
 */
function packA(
  a: TypedArray,
  base: number,
  t: boolean,
  m: number,
  k: number,
  ic: number,
  mc: number,
  pc: number,
  kc: number,
  { mr }: Tile,
  mem: Float32Array | Float64Array,
  dst: number,
): void {
  if (t) {
    // A(i, p) = a[p*m + i]: p outermost, so each step reads one contiguous run of mc elements
    // (a panel-first order would read MR elements at a stride of m, which thrashes a cache set).
    for (let p = 0; p < kc; p++) {
      const src = base + (pc + p) * m + ic;
      for (let i0 = 0; i0 < mc; i0 += mr) {
        const d = dst + i0 * kc + p * mr;
        const rows = Math.min(mr, mc - i0);
        for (let r = 0; r < rows; r++) mem[d + r] = a[src + i0 + r]!;
        for (let r = rows; r < mr; r++) mem[d + r] = 0;
      }
    }
    return;
  }
  for (let i0 = 0; i0 < mc; i0 += mr) {
    const panel = dst + i0 * kc;
    const rows = Math.min(mr, mc - i0);
    // A(i, p) = a[i*k + p]: each row is read contiguously.
    for (let r = 0; r < rows; r++) {
      const src = base + (ic + i0 + r) * k + pc;
      for (let p = 0; p < kc; p++) mem[panel + p * mr + r] = a[src + p]!;
    }
    for (let r = rows; r < mr; r++) for (let p = 0; p < kc; p++) mem[panel + p * mr + r] = 0;
  }
}

/**
 * Packs steps `pc .. pc+kc` of op(B) (k x n, `t`: stored transposed as n x k)
 * into panels of NR columns: element (p, j) of panel q at
 * `dst + q*NR*kc + p*NR + j`, columns past `n` zero.
 */
function packB(
  b: TypedArray,
  base: number,
  t: boolean,
  k: number,
  n: number,
  pc: number,
  kc: number,
  { nr }: Tile,
  mem: Float32Array | Float64Array,
  dst: number,
  nPad: number,
): void {
  if (!t) {
    // B(p, j) = b[p*n + j]: p outermost, so each step reads one contiguous row of n elements.
    for (let p = 0; p < kc; p++) {
      const src = base + (pc + p) * n;
      for (let j0 = 0; j0 < nPad; j0 += nr) {
        const d = dst + j0 * kc + p * nr;
        const cols = Math.max(0, Math.min(nr, n - j0));
        for (let j = 0; j < cols; j++) mem[d + j] = b[src + j0 + j]!;
        for (let j = cols; j < nr; j++) mem[d + j] = 0;
      }
    }
    return;
  }
  for (let j0 = 0; j0 < nPad; j0 += nr) {
    const panel = dst + j0 * kc;
    const cols = Math.max(0, Math.min(nr, n - j0));
    // B(p, j) = b[j*k + p]: each column is read contiguously.
    for (let j = 0; j < cols; j++) {
      const src = base + (j0 + j) * k + pc;
      for (let p = 0; p < kc; p++) mem[panel + p * nr + j] = b[src + p]!;
    }
    for (let j = cols; j < nr; j++) for (let p = 0; p < kc; p++) mem[panel + p * nr + j] = 0;
  }
}
