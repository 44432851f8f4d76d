/**
 * Batched matmul on the WebAssembly SIMD micro-kernels, blocked as in
 * GotoBLAS: for each block of KC steps of k, B's block is packed into column
 * panels once; for each block of MC rows, A's block is packed into row panels
 * (it stays in cache while every column panel streams past it). Transposes
 * are read through the packing, never materialised. C lives in WASM memory,
 * padded to whole panels, and its real part is copied out at the end. Large
 * products are shared with a worker thread when one is up (`threads.ts`):
 * then all of A and B is packed first, in blocks of rows that either thread
 * may take.
 */
import type { TypedArray } from '../../dtype.js';
import { broadcastOffsets } from '../layout.js';
import { matmul as referenceMatmul } from '../matmul.js';
import type { Tile } from './gemm.js';
import type { Runtime } from './runtime.js';
import type { MatmulThreads } from './threads.js';

/** Steps of k per packed block: a KC x NR panel of B stays in L1. */
const KC = 256;
/** Rows of A per packed block: MC x KC of A stays in L2. */
const MC = 128;
/** Products smaller than this many multiply-adds stay in TypeScript, where copying in and out would dominate. */
export const MATMUL_MIN_WORK = 4096;
/** A shared product is cut into about this many tasks (blocks of rows), so the threads finish close together. */
const TASKS = 16;

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/**
 * A `matmul` kernel (the reference's signature) that runs float32 and float64
 * products of at least {@link MATMUL_MIN_WORK} multiply-adds in WebAssembly and
 * everything else in the reference kernel (`minWork` lowers the threshold for
 * tests). With `threads` (on a shared `runtime`), products of at least
 * `threads.minWork` multiply-adds in all run on two threads once the worker is
 * up (the first one starts it).
 */
export function wasmMatmul(
  runtime: Runtime,
  minWork = MATMUL_MIN_WORK,
  threads?: MatmulThreads,
): typeof referenceMatmul {
  return function matmul(a, aBatch, b, bBatch, outBatch, m, k, n, transposeA, transposeB, out) {
    const f32 = out instanceof Float32Array;
    if ((!f32 && !(out instanceof Float64Array)) || m * n * k < minWork || k === 0) {
      referenceMatmul(a, aBatch, b, bBatch, outBatch, m, k, n, transposeA, transposeB, out);
      return;
    }
    const tile = f32 ? runtime.tiles.f32 : runtime.tiles.f64;
    const aOff = broadcastOffsets(aBatch, outBatch);
    const bOff = broadcastOffsets(bBatch, outBatch);
    if (threads !== undefined && m * n * k * aOff.length >= threads.minWork) {
      if (threads.share()) {
        sharedMatmul(runtime, threads, tile, a, aOff, b, bOff, m, k, n, transposeA, transposeB, out);
        return;
      }
      void threads.start();
    }
    const gemm = f32 ? runtime.exports.gemmF32 : runtime.exports.gemmF64;
    const gemmSet = f32 ? runtime.exports.gemmSetF32 : runtime.exports.gemmSetF64;
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
    for (let batch = 0; batch < aOff.length; batch++) {
      const aBase = aOff[batch]! * m * k;
      const bBase = bOff[batch]! * k * n;
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        packB(b, bBase, transposeB, k, n, pc, kc, tile, mem, bPack, nPad);
        for (let ic = 0; ic < m; ic += MC) {
          const mc = Math.min(MC, m - ic);
          const mcPad = roundUp(mc, mr);
          packA(a, aBase, transposeA, m, k, ic, mc, pc, kc, tile, mem, aPack);
          (pc === 0 ? gemmSet : gemm)(
            aPack * bytes,
            bPack * bytes,
            (cBase + ic * nPad) * bytes,
            mcPad,
            nPad,
            kc,
            nPad * bytes,
          );
        }
      }
      copyOut(mem, cBase, m, n, nPad, out, batch * m * n);
    }
  };
}

/** Copies C (m x n, row stride nPad, at `c` in `mem`) to `out` from `outBase`. */
function copyOut(
  mem: Float32Array | Float64Array,
  c: number,
  m: number,
  n: number,
  nPad: number,
  out: TypedArray,
  outBase: number,
): void {
  if (n === nPad) out.set(mem.subarray(c, c + m * n), outBase);
  else for (let i = 0; i < m; i++) out.set(mem.subarray(c + i * nPad, c + i * nPad + n), outBase + i * n);
}

/**
 * The product on two threads (see `Job` in `threads.ts` for the layout): per
 * group of batches that fits `threads.groupElements`, all of packed A, then
 * all of packed B, then C; tasks are blocks of rows of about m / TASKS.
 */
function sharedMatmul(
  runtime: Runtime,
  threads: MatmulThreads,
  tile: Tile,
  a: TypedArray,
  aOff: Int32Array,
  b: TypedArray,
  bOff: Int32Array,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
  out: TypedArray,
): void {
  const { mr, nr, bytes } = tile;
  const mPad = roundUp(m, mr);
  const nPad = roundUp(n, nr);
  const batches = aOff.length;
  const perBatch = mPad * k + nPad * k + mPad * nPad;
  const group = Math.max(1, Math.min(batches, Math.floor(threads.groupElements / perBatch)));
  const rows = Math.min(MC, roundUp(Math.ceil(m / Math.ceil(TASKS / group)), mr));
  const tasksPerBatch = Math.ceil(m / rows);
  const aPack = 0;
  const bPack = group * mPad * k;
  const cBase = bPack + group * nPad * k;
  runtime.reserve((cBase + group * mPad * nPad) * bytes);
  const mem = bytes === 4 ? runtime.f32() : runtime.f64();
  for (let first = 0; first < batches; first += group) {
    const size = Math.min(group, batches - first);
    const job = { f64: bytes === 8, a: aPack, b: bPack, c: cBase, m, mPad, nPad, k, kc: KC, mr, rows };
    threads.run({ ...job, tasksPerBatch, tasks: size * tasksPerBatch }, (t) => {
      const inGroup = Math.floor(t / tasksPerBatch);
      const batch = first + inGroup;
      const r0 = (t - inGroup * tasksPerBatch) * rows;
      if (r0 === 0) {
        const bDst = bPack + inGroup * nPad * k;
        for (let pc = 0; pc < k; pc += KC)
          packB(b, bOff[batch]! * k * n, transposeB, k, n, pc, Math.min(KC, k - pc), tile, mem, bDst + pc * nPad, nPad);
      }
      const mc = Math.min(rows, m - r0);
      const aDst = aPack + inGroup * mPad * k + r0 * k;
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        packA(a, aOff[batch]! * m * k, transposeA, m, k, r0, mc, pc, kc, tile, mem, aDst + pc * roundUp(mc, mr));
      }
    });
    for (let i = 0; i < size; i++) copyOut(mem, cBase + i * mPad * nPad, m, n, nPad, out, (first + i) * m * n);
  }
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
