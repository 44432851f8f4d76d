/**
 * Batched matmul on the WebAssembly SIMD micro-kernels, blocked as in
 * GotoBLAS: for each block of KC steps of k, B's block is packed into column
 * panels once; for each block of MC rows, A's block is packed into row panels
 * (it stays in cache while every column panel streams past it). Transposes
 * are read through the packing, never materialised. C lives in WASM memory,
 * padded to whole panels, and its real part is copied out at the end. Large
 * products are shared with a worker thread when one is up (`threads.ts`), in
 * tasks that either thread may take: blocks of rows, each packing its own
 * rows of A after this thread has packed all of B; or, for products with few
 * rows or a small A (a training step's), blocks of columns, each packing its
 * own columns of B after this thread has packed all of A. Operands are
 * copied raw into the WebAssembly memory (one `set` each) and packed there by
 * the kernels of `pack.ts`.
 */
import type { TypedArray } from '../../dtype.js';
import { broadcastOffsets } from '../layout.js';
import { matmul as referenceMatmul } from '../matmul.js';
import type { Tile } from './gemm.js';
import { packBlock, type PackExports } from './pack.js';
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
/**
 * Shared products with at most MC rows, or whose A has at most this many elements, are cut into tasks of columns
 * (when they have at least TASKS / 2 panels of columns):
 * A is then packed once, up front (cheap at this size), and each block of it stays in L2 while every task's
 * columns stream past it, and every task multiplies all MC-or-so rows (tasks of rows get a few rows each).
 * Measured on a training step's products (128 x 784 x 256, and 784 x 128 x 256 with A transposed): 3 to 7%
 * faster than tasks of rows; on 512³ the same, on 1024³ rows are faster (by 4%).
 */
const COLUMN_SPLIT_MAX_A = 2 ** 17;

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/**
 * A product as the threaded paths take it: the `matmul` kernel's operands, with each output batch's offsets into A
 * and B (in matrices) instead of the batch shapes.
 */
interface Product {
  readonly a: TypedArray;
  readonly aOff: Int32Array;
  readonly b: TypedArray;
  readonly bOff: Int32Array;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  readonly out: TypedArray;
}

/**
 * A `matmul` kernel (the reference's signature) that runs float32 and float64
 * products of at least {@link MATMUL_MIN_WORK} multiply-adds in WebAssembly and
 * everything else in the reference kernel (`minWork` lowers the threshold for
 * tests). With `threads` (on a shared `runtime`), products of at least
 * `threads.minWork` multiply-adds in all run on two threads once the worker is
 * up (the first one launches it, without waiting).
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
    // share() launches the worker on the first large product, and says yes once it is up.
    if (threads !== undefined && m * n * k * aOff.length >= threads.minWork && threads.share()) {
      sharedMatmul(runtime, threads, tile, { a, aOff, b, bOff, m, k, n, transposeA, transposeB, out });
      return;
    }
    const x = runtime.exports;
    const gemm = f32 ? x.gemmF32 : x.gemmF64;
    const gemmSet = f32 ? x.gemmSetF32 : x.gemmSetF64;
    const { mr, nr, bytes } = tile;
    const mPad = roundUp(m, mr);
    const nPad = roundUp(n, nr);
    const kc0 = Math.min(k, KC);
    const mc0 = Math.min(mPad, MC);
    // Layout (in elements): packed A block, packed B block, C, raw A, raw B.
    const aPack = 0;
    const bPack = aPack + mc0 * kc0;
    const cBase = roundUp(bPack + kc0 * nPad, 16 / bytes);
    const aRaw = cBase + mPad * nPad;
    const bRaw = aRaw + m * k;
    runtime.reserve((bRaw + k * n) * bytes);
    const mem = f32 ? runtime.f32() : runtime.f64();
    for (let batch = 0; batch < aOff.length; batch++) {
      if (batch === 0 || aOff[batch] !== aOff[batch - 1]) copyIn(a, aOff[batch]! * m * k, m * k, mem, aRaw);
      if (batch === 0 || bOff[batch] !== bOff[batch - 1]) copyIn(b, bOff[batch]! * k * n, k * n, mem, bRaw);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        packB(x, mem, bRaw, transposeB, k, n, pc, kc, tile, bPack);
        for (let ic = 0; ic < m; ic += MC) {
          const mc = Math.min(MC, m - ic);
          const mcPad = roundUp(mc, mr);
          packA(x, mem, aRaw, transposeA, m, k, ic, mc, pc, kc, tile, aPack);
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
 * all of packed B, then C, raw A and raw B; tasks are blocks of rows of about
 * m / TASKS. This thread copies each batch's operands in and packs its B
 * before publishing its tasks; each task packs its own rows of A.
 */
function sharedMatmul(runtime: Runtime, threads: MatmulThreads, tile: Tile, product: Product): void {
  const { a, aOff, b, bOff, m, k, n, transposeA, transposeB, out } = product;
  const { mr, nr, bytes } = tile;
  const mPad = roundUp(m, mr);
  const nPad = roundUp(n, nr);
  const batches = aOff.length;
  const fewRows = m <= MC || m * k <= COLUMN_SPLIT_MAX_A;
  // Only with enough panels of columns for both threads to share (n = 256 makes 32).
  if (threads.split === 'columns' || (threads.split === 'auto' && fewRows && nPad / nr >= TASKS / 2)) {
    columnMatmul(runtime, threads, tile, product);
    return;
  }
  const perBatch = mPad * k + nPad * k + mPad * nPad + mPad * k + k * n;
  const group = Math.max(1, Math.min(batches, Math.floor(threads.groupElements / perBatch)));
  const rows = Math.min(MC, roundUp(Math.ceil(m / Math.ceil(TASKS / group)), mr));
  const tasksPerBatch = Math.ceil(m / rows);
  const aPack = 0;
  const bPack = group * mPad * k;
  const cBase = bPack + group * nPad * k;
  const aRaw = cBase + group * mPad * nPad;
  const bRaw = aRaw + group * mPad * k;
  runtime.reserve((bRaw + group * k * n) * bytes);
  const mem = bytes === 4 ? runtime.f32() : runtime.f64();
  const x = runtime.exports;
  for (let first = 0; first < batches; first += group) {
    const size = Math.min(group, batches - first);
    // One literal, not spread from parts: a spread object here cost 6 KB of the heap per product.
    const tasks = size * tasksPerBatch;
    const job = {
      f64: bytes === 8,
      a: aPack,
      b: bPack,
      c: cBase,
      raw: aRaw,
      transposeA,
      m,
      mPad,
      nPad,
      k,
      kc: KC,
      mr,
      rows,
      tasksPerBatch,
      tasks,
    };
    const pack = (t: number) => {
      if (t % tasksPerBatch !== 0) return; // the task packs its rows of A itself
      const inGroup = t / tasksPerBatch;
      const batch = first + inGroup;
      // Raw A, zero-padded to mPad rows of op(A), so that every task packs whole panels.
      const aSrc = aRaw + inGroup * mPad * k;
      const aBase = aOff[batch]! * m * k;
      if (!transposeA) {
        copyIn(a, aBase, m * k, mem, aSrc);
        mem.fill(0, aSrc + m * k, aSrc + mPad * k);
      } else if (m === mPad) copyIn(a, aBase, m * k, mem, aSrc);
      else
        for (let p = 0; p < k; p++) {
          copyIn(a, aBase + p * m, m, mem, aSrc + p * mPad);
          mem.fill(0, aSrc + p * mPad + m, aSrc + (p + 1) * mPad);
        }
      const bSrc = bRaw + inGroup * k * n;
      copyIn(b, bOff[batch]! * k * n, k * n, mem, bSrc);
      const bDst = bPack + inGroup * nPad * k;
      for (let pc = 0; pc < k; pc += KC)
        packB(x, mem, bSrc, transposeB, k, n, pc, Math.min(KC, k - pc), tile, bDst + pc * nPad);
    };
    // The output's fresh pages are touched while the worker multiplies (see `columnMatmul`).
    threads.run(job, pack, () => out.fill(0, first * m * n, (first + size) * m * n));
    for (let i = 0; i < size; i++) copyOut(mem, cBase + i * mPad * nPad, m, n, nPad, out, (first + i) * m * n);
  }
}

/**
 * The product on two threads in tasks of columns (see `Job` in `threads.ts`),
 * for products with few rows, where tasks of rows would each stream all of B
 * for a few rows of A: per group of batches, all of packed A, then all of
 * packed B, then C, raw A and raw B (zero-padded to whole panels of columns).
 * This thread copies each batch's operands in and packs its A before
 * publishing its tasks; each task packs its own columns of B.
 */
function columnMatmul(runtime: Runtime, threads: MatmulThreads, tile: Tile, product: Product): void {
  const { a, aOff, b, bOff, m, k, n, transposeA, transposeB, out } = product;
  const { mr, nr, bytes } = tile;
  const mPad = roundUp(m, mr);
  const nPad = roundUp(n, nr);
  const batches = aOff.length;
  const perBatch = mPad * k + nPad * k + mPad * nPad + m * k + k * nPad;
  const group = Math.max(1, Math.min(batches, Math.floor(threads.groupElements / perBatch)));
  const cols = roundUp(Math.ceil(n / Math.ceil(TASKS / group)), nr);
  const tasksPerBatch = Math.ceil(n / cols);
  const aPack = 0;
  const bPack = group * mPad * k;
  const cBase = bPack + group * nPad * k;
  const aRaw = cBase + group * mPad * nPad;
  const bRaw = aRaw + group * m * k;
  runtime.reserve((bRaw + group * k * nPad) * bytes);
  const mem = bytes === 4 ? runtime.f32() : runtime.f64();
  const x = runtime.exports;
  for (let first = 0; first < batches; first += group) {
    const size = Math.min(group, batches - first);
    const tasks = size * tasksPerBatch;
    const job = {
      f64: bytes === 8,
      a: aPack,
      b: bPack,
      c: cBase,
      raw: aRaw,
      rawB: bRaw,
      transposeA,
      transposeB,
      m,
      mPad,
      nPad,
      k,
      kc: KC,
      mr,
      nr,
      rows: mPad,
      cols,
      tasksPerBatch,
      tasks,
    };
    const pack = (t: number) => {
      if (t % tasksPerBatch !== 0) return; // the task packs its columns of B itself
      const inGroup = t / tasksPerBatch;
      const batch = first + inGroup;
      const aSrc = aRaw + inGroup * m * k;
      copyIn(a, aOff[batch]! * m * k, m * k, mem, aSrc);
      const aDst = aPack + inGroup * mPad * k;
      for (let pc = 0; pc < k; pc += KC)
        packA(x, mem, aSrc, transposeA, m, k, 0, m, pc, Math.min(KC, k - pc), tile, aDst + pc * mPad);
      // Raw B, zero-padded to nPad columns of op(B), so that every task packs whole panels.
      const bSrc = bRaw + inGroup * k * nPad;
      const bBase = bOff[batch]! * k * n;
      if (transposeB) {
        copyIn(b, bBase, k * n, mem, bSrc);
        mem.fill(0, bSrc + k * n, bSrc + k * nPad);
      } else if (n === nPad) copyIn(b, bBase, k * n, mem, bSrc);
      else
        for (let p = 0; p < k; p++) {
          copyIn(b, bBase + p * n, n, mem, bSrc + p * nPad);
          mem.fill(0, bSrc + p * nPad + n, bSrc + (p + 1) * nPad);
        }
    };
    // A fresh output's pages fault on first touch (0.1 ms for 800 KB, as long as the copy itself): touched
    // here while the worker multiplies, that cost is shared instead of added after the last task.
    threads.run(job, pack, () => out.fill(0, first * m * n, (first + size) * m * n));
    for (let i = 0; i < size; i++) copyOut(mem, cBase + i * mPad * nPad, m, n, nPad, out, (first + i) * m * n);
  }
}

/** Copies `len` elements of `src` from `from` to element `to` of `mem` (one `set`: a memory copy). */
function copyIn(src: TypedArray, from: number, len: number, mem: Float32Array | Float64Array, to: number): void {
  mem.set(src.subarray(from, from + len), to);
}

/**
 * Packs rows `ic .. ic+mc` and steps `pc .. pc+kc` of op(A) (m x k, `t`:
 * stored transposed as k x m), copied raw to element `raw` of `mem`, into
 * panels of MR rows: element (r, p) of panel q at `dst + q*MR*kc + p*MR + r`,
 * rows past `mc` zero.
 */
function packA(
  x: PackExports,
  mem: Float32Array | Float64Array,
  raw: number,
  t: boolean,
  m: number,
  k: number,
  ic: number,
  mc: number,
  pc: number,
  kc: number,
  { mr }: Tile,
  dst: number,
): void {
  // A(i, p) = raw[p*m + i] (runs along i at each p), or raw[i*k + p] (each row runs along p).
  if (t) packBlock(x, mem, true, raw + pc * m + ic, m, mc, kc, mr, dst);
  else packBlock(x, mem, false, raw + ic * k + pc, k, mc, kc, mr, dst);
}

/**
 * Packs steps `pc .. pc+kc` of op(B) (k x n, `t`: stored transposed as n x k),
 * copied raw to element `raw` of `mem`, into panels of NR columns: element
 * (p, j) of panel q at `dst + q*NR*kc + p*NR + j`, columns past `n` zero.
 */
function packB(
  x: PackExports,
  mem: Float32Array | Float64Array,
  raw: number,
  t: boolean,
  k: number,
  n: number,
  pc: number,
  kc: number,
  { nr }: Tile,
  dst: number,
): void {
  // B(p, j) = raw[p*n + j] (runs along j at each p), or raw[j*k + p] (each column runs along p).
  if (t) packBlock(x, mem, false, raw + pc, k, n, kc, nr, dst);
  else packBlock(x, mem, true, raw + pc * n, n, n, kc, nr, dst);
}
