/**
 * 2-D convolutions in WebAssembly: the reference's im2col and matrix product
 * (`../conv.ts`), with the patch matrix built by an emitted kernel
 * (`im2col.ts`) straight into the kernel memory and multiplied there by the
 * packed `gemm` of `gemm.ts` (no patch matrix in a JS array, no copy in or
 * out of it), and col2im run on the product where it lies.
 *
 * - forward: `y = im2col(x) @ filter`; each block of rows of the patch matrix
 *   is built just before it is packed, so it is still in cache.
 * - input gradient: `dx = col2im(dy @ filterᵀ)`, summed in float64 in the
 *   reference's order (output position ascending), so it is bit for bit the
 *   reference's col2im of the same product: on one thread each block of rows
 *   of the product is scattered onto the sums while it is in cache; on two
 *   threads (blocks finish in any order) col2im gathers, per input element,
 *   the taps that read it from the whole product.
 * - filter gradient: `dFilter = im2col(x)ᵀ @ dy`.
 * - one thread, float32, channels a multiple of 4: im2col writes A already
 *   packed (`im2colLanes`, `im2colPanels`), so it is neither written raw nor
 *   read back to be packed.
 * - one input channel (float32, the plain multiply-add): direct loops over
 *   a zero-padded copy of x (`conv1`, `conv1Filter` in `im2col.ts`) with the
 *   product's operations in its order, on this thread.
 *
 * Each element of a product sums its k terms in order, as `wasmMatmul` does,
 * so the results are bit for bit those of the reference kernels run with
 * `wasmMatmul`. Large float32 convolutions run on both threads (the worker of
 * `threads.ts`, when it is up) as programs of kernel calls in which each task
 * builds its own patch rows, packs, multiplies and (input gradient) scatters,
 * in the running thread's scratch: tasks of output positions (forward, channels
 * a multiple of 4), of runs of the filter's taps (filter gradient, likewise) and
 * of whole images (input gradient); every element sums its terms in the order
 * of one thread. Other large forward products share their blocks of rows as
 * `wasmMatmul` does, the patch matrix for a block of rows built on this thread
 * as its task is published. The programs are built once per geometry and
 * kept, since a training step repeats the same few convolutions.
 *
 * Large float32 5×5 stride-1 convolutions (forward and both gradients) run
 * as Winograd F(4×4, 5×5) instead (`winograd.ts`, `../winograd.ts`): 64
 * multiply-adds per 4×4 block of outputs and channel pair instead of 400.
 * Their results are the Winograd reference's bits, not the direct
 * convolution's: they differ from it by rounding, about 1e-5 of the largest
 * output.
 */
import type { TypedArray } from '../../dtype.js';
import {
  conv2d as referenceConv2d,
  conv2dBackpropFilter as referenceBackpropFilter,
  conv2dBackpropInput as referenceBackpropInput,
  windowArgs,
  type WindowGeometry,
} from '../conv.js';
import type { Tile } from './gemm.js';
import { CONV1_VECTORS } from './im2col.js';
import { packBlock } from './pack.js';
import type { Runtime } from './runtime.js';
import { CallProgram, keptJobs, placeProgram, type MatmulThreads } from './threads.js';
import { winogradFilterGradient, winogradForward, winogradInputGradient } from './winograd.js';
import { winogradFilterFits, winogradFits } from '../winograd.js';

/** Convolutions with fewer multiply-adds than this stay in TypeScript (the reference, with the matmul passed in). */
export const CONV_MIN_WORK = 4096;
/** When a float32 5×5 stride-1 convolution runs as Winograd F(4×4, 5×5) (`winograd.ts`): both thresholds met. */
export interface WinogradThresholds {
  /** At least this many multiply-adds. */
  readonly minWork: number;
  /**
   * At least this many output positions (images × rows × columns): the filter's transform costs about 0.3 µs per
   * channel pair whatever the batch, so few positions with many channels run faster direct (measured here: 64
   * channels into 64 on one 14×14 image, 196 positions, forward 2.7 ms against 1.2 direct; 32 into 64 on 8 images,
   * 1,568 positions, 2.5 against 4.8; 16 into 32 on 4 images, 784 positions, 0.59 against 0.63).
   */
  readonly minPositions: number;
}

/** The installed kernels' thresholds. */
export const WINOGRAD_THRESHOLDS: WinogradThresholds = { minWork: 1 << 20, minPositions: 1024 };
/** Steps of k per packed block (as in `matmul.ts`). */
const KC = 256;
/**
 * Steps of k per block when im2col writes A packed (`fillPackedA`): its
 * panels are then `16 * KC_PACKED` bytes apart, and each row of A is written
 * across all of them; at KC's 4096 bytes every write of a row would fall in
 * one cache set (measured 25% slower than packing), at 63 cache lines they spread.
 */
const KC_PACKED = 252;
/** The longest k that a product whose A is written packed (not transposed) takes in one block. */
const KC_LANES_MAX = 512;
/** Rows per block (task) of a product (as in `matmul.ts`). */
const MC = 128;
/** A shared product is cut into about this many tasks. */
const TASKS = 16;

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/** One matrix product of a convolution, with A written into the memory by `fillA` rather than copied from an array. */
interface Product {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** op(A) stored transposed (k rows of mPad elements): `fillA` then writes blocks of k (all of k when shared). */
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  readonly b: TypedArray;
  /**
   * Writes rows `r0 .. r1` of op(A) (rows from `m` on as zeros) at element
   * `at` of `mem`, `ld` elements apart; with `transposeA`, rows `r0 .. r1`
   * of the stored A (steps of k) instead, `ld = mPad` elements apart.
   */
  fillA(mem: Float32Array | Float64Array, at: number, ld: number, r0: number, r1: number): void;
  /**
   * If given (float32, MR = 4), used on one thread instead of
   * `fillA` and packing: writes A at element `at` already packed as
   * `packBlock` would. With `transposeA` (m a multiple of MR): steps `r0 ..
   * r1` of k, in panels of all m rows; else rows `r0 .. r1` of op(A) (a
   * whole number of panels, rows from `m` on as zeros) with all of k, which
   * is then one block (k at most {@link KC_LANES_MAX}).
   */
  fillPackedA?(at: number, r0: number, r1: number): void;
  /**
   * If given, on one thread, C is not kept: after each block of rows `r0 ..
   * r1` (ascending) this is called with the block's C at element `c` (row
   * stride `ldc`), to use before the next block overwrites it.
   */
  consume?(c: number, ldc: number, r0: number, r1: number): void;
}

/** Where a product left C: element offset and row stride in the runtime's memory, and the first free element after. */
interface ProductResult {
  readonly c: number;
  readonly ldc: number;
  readonly free: number;
  /** Whether `consume` took C block by block (then `c` holds only the last block). */
  readonly consumed: boolean;
}

/**
 * Runs `p` in the runtime's memory: on both threads (the layout of `Job` in
 * `threads.ts`) when given `threads` (the caller has asked `share()`) and A is not transposed, else block
 * of rows by block of rows on this one, each block's A written and packed
 * just before its products. (A transposed A, the filter gradient's, stays on
 * this thread here: shared, each task streamed all of B and a strip of the
 * whole patch matrix, which this thread wrote first, and that measured slower
 * than one thread, 5.4 against 3.3 ms on 64 RGB 32x32 images. The filter
 * gradients that both threads can speed up go to `sharedFilterGradient`.)
 */
function product(runtime: Runtime, threads: MatmulThreads | undefined, tile: Tile, p: Product): ProductResult {
  const { mr, nr, bytes } = tile;
  const { m, k, n, transposeA } = p;
  const mPad = roundUp(m, mr);
  const nPad = roundUp(n, nr);
  const shared = threads !== undefined && !transposeA;
  // Shared, a task covers all of k.
  const rows = !shared ? Math.min(MC, mPad) : Math.min(MC, roundUp(Math.ceil(m / TASKS), mr));
  const tasks = Math.ceil(m / rows);
  // Layout (elements): packed A (all of it when shared, one block's otherwise), packed B, C, raw A (all of it
  // when shared, else one block of rows or, transposed, of k), raw B.
  const a = 0;
  const b = roundUp(a + (shared ? mPad : rows) * k, 4);
  const c = roundUp(b + nPad * k, 4);
  const raw = roundUp(c + mPad * nPad, 4);
  const bRaw = roundUp(raw + (shared ? mPad * k : transposeA ? mPad * KC : rows * k), 4);
  const free = roundUp(bRaw + k * n, 4);
  runtime.reserve(free * bytes);
  const mem = bytes === 4 ? runtime.f32() : runtime.f64();
  const x = runtime.exports;
  // Without threads, A written packed comes in blocks of KC_PACKED steps (transposed) or all of k, and so must B.
  const packedA = !shared && p.fillPackedA !== undefined;
  const kcBlock = !packedA ? KC : transposeA ? KC_PACKED : k;
  const prepareB = () => {
    mem.set(p.b, bRaw);
    for (let pc = 0; pc < k; pc += kcBlock) {
      const kc = Math.min(kcBlock, k - pc);
      if (p.transposeB) packBlock(x, mem, false, bRaw + pc, k, n, kc, nr, b + pc * nPad);
      else packBlock(x, mem, true, bRaw + pc * n, n, n, kc, nr, b + pc * nPad);
    }
  };
  const fillTask = (t: number, at: number) => {
    const r0 = t * rows;
    p.fillA(mem, at, k, r0, Math.min(r0 + rows, mPad));
  };
  if (shared) {
    const job = {
      f64: bytes === 8,
      a,
      b,
      c,
      raw,
      transposeA: false,
      m,
      mPad,
      nPad,
      k,
      kc: KC,
      mr,
      rows,
      tasksPerBatch: tasks,
      tasks,
    };
    threads!.run(job, (t) => {
      if (t === 0) prepareB();
      fillTask(t, raw + t * rows * k);
    });
    return { c, ldc: nPad, free, consumed: false };
  }
  prepareB();
  const gemm = bytes === 4 ? x.gemmF32 : x.gemmF64;
  const gemmSet = bytes === 4 ? x.gemmSetF32 : x.gemmSetF64;
  if (transposeA) {
    // Block of k by block of k: A's rows pc .. pc+kc (k x mPad) written, then every block of C's rows updated.
    for (let pc = 0; pc < k; pc += kcBlock) {
      const kc = Math.min(kcBlock, k - pc);
      if (packedA) p.fillPackedA!(raw, pc, pc + kc);
      else p.fillA(mem, raw, mPad, pc, pc + kc);
      for (let r0 = 0; r0 < m; r0 += rows) {
        const rPad = roundUp(Math.min(rows, m - r0), mr);
        // Packed, rows r0 .. r0+rPad are panels r0/MR on, kc steps of MR elements each.
        const packed = packedA ? raw + r0 * kc : a;
        if (!packedA) packBlock(x, mem, true, raw + r0, mPad, rPad, kc, mr, a);
        (pc === 0 ? gemmSet : gemm)(
          packed * bytes,
          (b + pc * nPad) * bytes,
          (c + r0 * nPad) * bytes,
          rPad,
          nPad,
          kc,
          nPad * bytes,
        );
      }
    }
    return { c, ldc: nPad, free, consumed: false };
  }
  const consume = p.consume;
  for (let t = 0; t < tasks; t++) {
    const r0 = t * rows;
    const rPad = roundUp(Math.min(rows, m - r0), mr);
    if (packedA) {
      p.fillPackedA!(a, r0, r0 + rPad);
      gemmSet(a * bytes, b * bytes, (c + r0 * nPad) * bytes, rPad, nPad, k, nPad * bytes);
      continue;
    }
    fillTask(t, raw);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packBlock(x, mem, false, raw + pc, k, rPad, kc, mr, a + pc * rPad);
      (pc === 0 ? gemmSet : gemm)(
        (a + pc * rPad) * bytes,
        (b + pc * nPad) * bytes,
        (consume !== undefined ? c : c + r0 * nPad) * bytes,
        rPad,
        nPad,
        kc,
        nPad * bytes,
      );
    }
    consume?.(c, nPad, r0, Math.min(r0 + rows, m));
  }
  return { c, ldc: nPad, free, consumed: consume !== undefined };
}

/** Whether im2col can write A already packed for `g` (float32, MR = 4, channels a multiple of 4). */
function lanesOk(g: WindowGeometry, tile: Tile): boolean {
  return tile.bytes === 4 && tile.mr === 4 && g.inChannels % 4 === 0;
}

/** Whether a convolution of `work` multiply-adds goes to both threads (launching the worker on first use). */
function sharing(threads: MatmulThreads | undefined, work: number): boolean {
  return threads !== undefined && work >= threads.minWork && threads.share();
}

/** A convolution that both threads run: where, with which tile, and its geometry. */
interface Shared {
  readonly runtime: Runtime;
  readonly threads: MatmulThreads;
  readonly tile: Tile;
  readonly g: WindowGeometry;
}

/** Output positions (the patch matrix's rows) and patch size (its columns) of `g`. */
const positions = (g: WindowGeometry) => g.batch * g.outHeight * g.outWidth;
const patch = (g: WindowGeometry) => g.filterHeight * g.filterWidth * g.inChannels;

/**
 * conv2d on both threads: tasks are blocks of output positions, each one's
 * patch rows written packed by `im2colLanesF32` into the running thread's
 * scratch and multiplied there by the packed filter (all of k is one block):
 * the single-threaded path's calls, so its bits.
 */
function sharedForward({ runtime, threads, tile, g }: Shared, x: TypedArray, filter: TypedArray, y: TypedArray): void {
  const { mr, nr } = tile;
  const [m, k, n] = [positions(g), patch(g), g.outChannels];
  const [mPad, nPad] = [roundUp(m, mr), roundUp(n, nr)];
  const rows = Math.min(MC, roundUp(Math.ceil(m / TASKS), mr));
  // Elements: x, packed filter, raw filter, C.
  const b = roundUp(x.length, 4);
  const bRaw = b + nPad * k;
  const c = roundUp(bRaw + k * n, 4);
  runtime.reserve((c + mPad * nPad) * 4);
  const mem = runtime.f32();
  mem.set(x, 0);
  mem.set(filter, bRaw);
  packBlock(runtime.exports, mem, true, bRaw, n, n, k, nr, b);
  const program = kept(threads, 'forward', tile, g, () => {
    const calls = new CallProgram(threads);
    const geometry = windowArgs(g);
    for (let r0 = 0; r0 < m; r0 += rows) {
      const end = Math.min(r0 + rows, m);
      // Lanes of rows past the last position (in the last panel) keep the scratch's values: they reach only C's
      // rows past the last, which are never read.
      calls
        .task()
        .call('im2colLanesF32', [0, 0, r0, end - r0, k * 16, ...geometry], [1])
        .call('gemmSetF32', [0, b * 4, (c + r0 * nPad) * 4, roundUp(end - r0, mr), nPad, k, nPad * 4], [0]);
    }
    return calls;
  });
  threads.runCalls(placeProgram(runtime, c + mPad * nPad, program, rows * k));
  copyOut(runtime.f32(), c, nPad, m, n, y);
}

/**
 * conv2dBackpropFilter on both threads: tasks are runs of the filter's taps
 * (so blocks of dFilter's rows, a block of rows at most MC long, at least two
 * tasks), each over all of k (output positions) in blocks of KC_PACKED: per
 * block, the run's columns of the patch matrix written packed by
 * `im2colPanelsF32` into the running thread's scratch, one call per filter
 * row the run touches (the window of that row's taps alone, the padding moved
 * to match), then multiplied into the run's rows. So the patch matrix is built
 * once in all, B streams past each block of rows once as on one thread, and
 * each element of dFilter sums the same terms in the same order. dy is packed
 * on both threads first (a job of its own, blocks of k split between two
 * tasks), and both jobs are built once per geometry ({@link kept}).
 */
function sharedFilterGradient(
  { runtime, threads, tile, g }: Shared,
  x: TypedArray,
  dy: TypedArray,
  dFilter: TypedArray,
): void {
  const { mr, nr } = tile;
  const [m, k, n] = [patch(g), positions(g), g.outChannels];
  const [mPad, nPad] = [roundUp(m, mr), roundUp(n, nr)];
  // Elements: x, raw dy, packed dy (blocks of KC_PACKED steps), C.
  const bRaw = roundUp(x.length, 4);
  const b = roundUp(bRaw + k * n, 4);
  const c = roundUp(b + nPad * k, 4);
  runtime.reserve((c + mPad * nPad) * 4);
  const mem = runtime.f32();
  mem.set(x, 0);
  mem.set(dy, bRaw);
  const jobs = kept(threads, 'filter', tile, g, () => buildFilterGradientJobs(threads, tile, g, bRaw, b, c));
  if (jobs.pack === undefined) {
    for (let pc = 0; pc < k; pc += KC_PACKED) {
      packBlock(runtime.exports, mem, true, bRaw + pc * n, n, n, Math.min(KC_PACKED, k - pc), nr, b + pc * nPad);
    }
  } else {
    threads.runCalls({ ...placeProgram(runtime, c + mPad * nPad, jobs.pack, 0), brief: true });
  }
  threads.runCalls(placeProgram(runtime, c + mPad * nPad, jobs.products, jobs.scratch));
  copyOut(runtime.f32(), c, nPad, m, n, dFilter);
}

/** The jobs of a shared filter gradient: packing dy (undefined: packed on this thread), then the products. */
interface FilterGradientJobs {
  readonly pack: CallProgram | undefined;
  readonly products: CallProgram;
  /** Scratch elements per thread that the products take. */
  readonly scratch: number;
}

/** The jobs of {@link sharedFilterGradient} for geometry `g`, with its operands at elements `bRaw`, `b` and `c`. */
function buildFilterGradientJobs(
  threads: MatmulThreads,
  tile: Tile,
  g: WindowGeometry,
  bRaw: number,
  b: number,
  c: number,
): FilterGradientJobs {
  const { nr } = tile;
  const [m, k, n] = [patch(g), positions(g), g.outChannels];
  const nPad = roundUp(n, nr);
  const { filterHeight: FH, filterWidth: FW, inChannels: C } = g;
  // dy's blocks of k packed in two tasks of whole blocks, where its rows are whole panels of a width that
  // `packRuns` has (as `packBlock` would pack them); else on this thread.
  let pack: CallProgram | undefined;
  const blocks = Math.ceil(k / KC_PACKED);
  if (n % nr === 0 && (nr === 4 || nr === 8) && blocks >= 2) {
    pack = new CallProgram(threads);
    for (let t = 0; t < 2; t++) {
      pack.task();
      for (let block = Math.round((t * blocks) / 2); block < Math.round(((t + 1) * blocks) / 2); block++) {
        const pc = block * KC_PACKED;
        const args = [(bRaw + pc * n) * 4, n * 4, Math.min(KC_PACKED, k - pc), n / nr, (b + pc * nPad) * 4];
        pack.call(`packRuns${nr * 4}`, args);
      }
    }
  }
  const taps = FH * FW;
  const tasks = Math.min(taps, Math.max(2, Math.ceil(m / MC)));
  const products = new CallProgram(threads);
  let longest = 0;
  for (let t = 0; t < tasks; t++) {
    const [t0, t1] = [Math.round((t * taps) / tasks), Math.round(((t + 1) * taps) / tasks)];
    // The run's taps by filter row: [tap index of its first, the window of those taps alone].
    const pieces: [number, number[]][] = [];
    for (let p = Math.floor(t0 / FW); p * FW < t1; p++) {
      const [q0, q1] = [Math.max(t0 - p * FW, 0), Math.min(t1 - p * FW, FW)];
      const padTop = g.padTop - p * g.dilationHeight;
      const padLeft = g.padLeft - q0 * g.dilationWidth;
      pieces.push([p * FW + q0, windowArgs({ ...g, filterHeight: 1, filterWidth: q1 - q0, padTop, padLeft })]);
    }
    const rows = (t1 - t0) * C; // a multiple of MR: the channels are
    longest = Math.max(longest, rows);
    products.task();
    for (let pc = 0; pc < k; pc += KC_PACKED) {
      const kc = Math.min(KC_PACKED, k - pc);
      // Each piece's panels follow the previous piece's (panels of MR = 4 of the patch's entries, kc steps each).
      for (const [tap, piece] of pieces) {
        products.call('im2colPanelsF32', [0, (tap - t0) * C * kc * 4, pc, kc, kc * 16, ...piece], [1]);
      }
      for (let r0 = 0; r0 < rows; r0 += MC) {
        const args = [r0 * kc * 4, (b + pc * nPad) * 4, (c + (t0 * C + r0) * nPad) * 4];
        products.call(pc === 0 ? 'gemmSetF32' : 'gemmF32', [...args, Math.min(MC, rows - r0), nPad, kc, nPad * 4], [0]);
      }
    }
  }
  return { pack, products, scratch: longest * KC_PACKED };
}

/** The jobs `build()` makes for a shared convolution of `kind` on geometry `g` and `tile`, kept ({@link keptJobs}). */
function kept<T>(threads: MatmulThreads, kind: string, tile: Tile, g: WindowGeometry, build: () => T): T {
  return keptJobs(threads, `${kind} ${tile.mr}x${tile.nr} ${JSON.stringify(g)}`, build);
}

/**
 * conv2dBackpropInput on both threads: tasks are groups of whole images,
 * each one's output positions in blocks of MC rows in ascending order: dy's
 * rows packed, multiplied by the packed filter into the running thread's
 * scratch, and scattered onto the float64 sums by `col2imRowsF32`. An input
 * element's terms all come from its own image, so each is summed in the
 * order of one thread.
 */
function sharedInputGradient(
  { runtime, threads, tile, g }: Shared,
  dy: TypedArray,
  filter: TypedArray,
  dx: TypedArray,
): void {
  const { mr, nr } = tile;
  const [m, k, n] = [positions(g), g.outChannels, patch(g)];
  const [mPad, nPad] = [roundUp(m, mr), roundUp(n, nr)];
  const perImage = g.outHeight * g.outWidth;
  const images = Math.max(1, Math.ceil(g.batch / TASKS));
  // Elements: raw dy (mPad rows, zeros past m), raw filter, packed filter (blocks of KC), float64 sums.
  const aRaw = 0;
  const bRaw = roundUp(mPad * k, 4);
  const b = roundUp(bRaw + k * n, 4);
  const sums = roundUp(b + nPad * k, 4);
  const end = sums + 2 * dx.length;
  runtime.reserve(end * 4);
  const mem = runtime.f32();
  mem.set(dy, aRaw);
  mem.fill(0, aRaw + m * k, aRaw + mPad * k);
  mem.set(filter, bRaw);
  for (let pc = 0; pc < k; pc += KC) {
    packBlock(runtime.exports, mem, false, bRaw + pc, k, n, Math.min(KC, k - pc), nr, b + pc * nPad);
  }
  runtime.f64().fill(0, sums / 2, sums / 2 + dx.length);
  // Scratch (elements): packed rows of dy (MC x k), then C (MC x nPad).
  const cAt = roundUp(MC * k, 4);
  const program = kept(threads, 'input', tile, g, () => {
    const calls = new CallProgram(threads);
    const geometry = windowArgs(g);
    for (let i0 = 0; i0 < g.batch; i0 += images) {
      calls.task();
      const last = Math.min(i0 + images, g.batch) * perImage;
      for (let r0 = i0 * perImage; r0 < last; r0 += MC) {
        const r1 = Math.min(r0 + MC, last);
        const rPad = roundUp(r1 - r0, mr);
        for (let pc = 0; pc < k; pc += KC) {
          const kc = Math.min(KC, k - pc);
          // Rows past r1 (to rPad) are the next image's or zeros: they reach only C's rows that are not scattered.
          calls.call(`packCols4x${mr}`, [(aRaw + r0 * k + pc) * 4, k * 4, kc, rPad / mr, pc * rPad * 4], [4]);
          const args = [pc * rPad * 4, (b + pc * nPad) * 4, cAt * 4, rPad, nPad, kc, nPad * 4];
          calls.call(pc === 0 ? 'gemmSetF32' : 'gemmF32', args, [0, 2]);
        }
        calls.call('col2imRowsF32', [cAt * 4, nPad, r0, r1 - r0, sums * 4, ...geometry], [0]);
      }
    }
    return calls;
  });
  // A task the worker fails on part way has added some of its images' terms: they start again from zero.
  const perImageSums = dx.length / g.batch; // input elements per image
  const reset = (t: number) => {
    const from = sums / 2 + t * images * perImageSums;
    runtime.f64().fill(0, from, Math.min(from + images * perImageSums, sums / 2 + dx.length));
  };
  threads.runCalls({ ...placeProgram(runtime, end, program, cAt + MC * nPad), reset });
  runtime.sumsOut(sums / 2, dx as Float32Array);
}

/** Copies C (m x n, row stride ldc, at element `c` of `mem`) into `out`. */
function copyOut(
  mem: Float32Array | Float64Array,
  c: number,
  ldc: number,
  m: number,
  n: number,
  out: TypedArray,
): void {
  if (n === ldc) out.set(mem.subarray(c, c + m * n));
  else for (let i = 0; i < m; i++) out.set(mem.subarray(c + i * ldc, c + i * ldc + n), i * n);
}

/** The float tile of `arrays` if all are float32 or all float64, else undefined (the reference takes them). */
function tileOf(runtime: Runtime, ...arrays: TypedArray[]): Tile | undefined {
  if (arrays.every((a) => a instanceof Float32Array)) return runtime.tiles.f32;
  if (arrays.every((a) => a instanceof Float64Array)) return runtime.tiles.f64;
  return undefined;
}

/**
 * Writes rows `r0 .. r1` of im2col(x) (rows from the last position on as
 * zeros) at element `at` of `mem`, rows `ld` elements apart (zeros after
 * each row's patch); x is at element `xAt` of `mem`.
 */
function im2colRows(
  runtime: Runtime,
  mem: Float32Array | Float64Array,
  g: WindowGeometry,
  xAt: number,
  at: number,
  ld: number,
  r0: number,
  r1: number,
): void {
  const bytes = mem.BYTES_PER_ELEMENT;
  const end = Math.min(r1, positions(g));
  if (end > r0) {
    runtime.exports[`im2colF${bytes * 8}`]!(xAt * bytes, at * bytes, r0, end - r0, ld, ...windowArgs(g));
  }
  if (r1 > end) mem.fill(0, at + (end - r0) * ld, at + (r1 - r0) * ld);
}

/**
 * For the single-channel kernels (`conv1F32v<V>`, `conv1FilterF32v<V>` of
 * `im2col.ts`), from element `at` of the memory on: the table of the taps'
 * byte offsets, x, and x copied into zeros padded so that every tap of
 * every window is in them. Returns where the padded x starts, the kernels'
 * geometry arguments (from `batch` to `tapAt`) and the first free element after.
 */
function singleChannelInput(runtime: Runtime, x: TypedArray, g: WindowGeometry, at: number) {
  const { batch, inHeight: H, inWidth: W, filterHeight: FH, filterWidth: FW } = g;
  const paddedH = (g.outHeight - 1) * g.strideHeight + (FH - 1) * g.dilationHeight + 1;
  const paddedW = (g.outWidth - 1) * g.strideWidth + (FW - 1) * g.dilationWidth + 1;
  const taps = FH * FW;
  const raw = roundUp(at + taps, 4);
  const padded = roundUp(raw + x.length, 4);
  const end = roundUp(padded + batch * paddedH * paddedW, 4);
  runtime.reserve(end * 4);
  const offsets = new Int32Array(runtime.memory.buffer, at * 4, taps);
  for (let p = 0; p < FH; p++) {
    for (let q = 0; q < FW; q++) offsets[p * FW + q] = (p * g.dilationHeight * paddedW + q * g.dilationWidth) * 4;
  }
  const mem = runtime.f32();
  mem.set(x, raw);
  mem.fill(0, padded, end);
  // Input rows and columns past the last window's reach are never read (negative padding after).
  const rows = Math.min(H, paddedH - g.padTop);
  const cols = Math.min(W, paddedW - g.padLeft);
  if (rows > 0 && cols > 0) {
    const to = padded + g.padTop * paddedW + g.padLeft;
    runtime.exports.padRowsF32!(
      raw * 4,
      to * 4,
      batch,
      rows,
      cols * 4,
      W * 4,
      paddedW * 4,
      H * W * 4,
      paddedH * paddedW * 4,
    );
  }
  const args = [batch, g.outHeight, g.outWidth, paddedH * paddedW * 4, g.strideHeight * paddedW * 4, g.strideWidth * 4];
  return { x: padded, args: [...args, taps, at * 4], end };
}

/** The conv2d kernels of {@link wasmConv}. */
export interface ConvKernels {
  /** `y = im2col(x) @ filter`. */
  conv2d: typeof referenceConv2d;
  /** `dx = col2im(dy @ filterᵀ)`. */
  conv2dBackpropInput: typeof referenceBackpropInput;
  /** `dFilter = im2col(x)ᵀ @ dy`. */
  conv2dBackpropFilter: typeof referenceBackpropFilter;
}

/**
 * conv2d, conv2dBackpropInput and conv2dBackpropFilter (the reference's
 * signatures) that run float32 and float64 convolutions of at least
 * `minWork` multiply-adds in `runtime`'s memory, on both threads with
 * `threads` for large products (as `wasmMatmul` does), and pass everything
 * else to the reference kernels with the matmul kernel they were given
 * (which the WebAssembly path does not use: it multiplies in place).
 * Float32 5×5 stride-1 convolutions that meet the `winograd` thresholds run
 * as Winograd F(4×4, 5×5) instead (`winograd.ts`; the filter gradient with
 * output channels in whole panels of 8); `false` keeps every convolution direct.
 */
export function wasmConv(
  runtime: Runtime,
  minWork = CONV_MIN_WORK,
  threads?: MatmulThreads,
  winograd: WinogradThresholds | false = WINOGRAD_THRESHOLDS,
): ConvKernels {
  const work = (g: WindowGeometry) =>
    g.batch * g.outHeight * g.outWidth * g.filterHeight * g.filterWidth * g.inChannels * g.outChannels;
  /** Reserves room for `size` elements after everything a product uses, and returns where they start. */
  const scratchAfter = (tile: Tile, p: Product, size: number): number => {
    const mPad = roundUp(p.m, tile.mr);
    const nPad = roundUp(p.n, tile.nr);
    // At least the largest layout `product` can choose (the sum of its regions, whichever it picks).
    const end = roundUp(2 * mPad * p.k + mPad * KC + nPad * p.k + mPad * nPad + p.k * p.n + 32, 4);
    runtime.reserve((end + size) * tile.bytes);
    return end;
  };
  /**
   * Whether `g` goes to the direct single-channel kernels: one input channel
   * (a patch of a few taps, which the product handles poorly), whole vectors
   * of output channels, float32, and the plain multiply, then add of the
   * product's micro-kernel (with fused multiply-adds the product's bits differ).
   */
  const singleChannel = (g: WindowGeometry, tile: Tile) =>
    g.inChannels === 1 && g.outChannels % 4 === 0 && tile.bytes === 4 && tile.fma !== true && positions(g) > 0;
  /** Calls `kernel` (a `conv1...F32v<V>`) for each group of at most CONV1_VECTORS vectors of output channels. */
  const byChannelGroups = (g: WindowGeometry, kernel: string, run: (name: string, c0: number) => void) => {
    for (let c0 = 0; c0 < g.outChannels; c0 += 4 * CONV1_VECTORS) {
      run(`${kernel}${Math.min(CONV1_VECTORS, (g.outChannels - c0) / 4)}`, c0);
    }
  };
  /** Whether `g` runs as Winograd F(4×4, 5×5): float32, at least `winogradMinWork` multiply-adds, `winogradFits`. */
  const winogradTakes = (g: WindowGeometry, tile: Tile) =>
    winograd !== false &&
    tile.bytes === 4 &&
    work(g) >= winograd.minWork &&
    positions(g) >= winograd.minPositions &&
    winogradFits(g);
  return {
    conv2d(x, filter, g, y, matmul) {
      const tile = tileOf(runtime, x, filter, y);
      if (tile === undefined || work(g) < minWork) return referenceConv2d(x, filter, g, y, matmul);
      if (singleChannel(g, tile)) {
        const input = singleChannelInput(runtime, x, g, 0);
        const f = input.end;
        const out = roundUp(f + filter.length, 4);
        runtime.reserve((out + y.length) * 4);
        const mem = runtime.f32();
        mem.set(filter, f);
        const ld = g.outChannels * 4;
        byChannelGroups(g, 'conv1F32v', (name, c0) =>
          runtime.exports[name]!(input.x * 4, (f + c0) * 4, (out + c0) * 4, ...input.args, ld, ld),
        );
        y.set(mem.subarray(out, out + y.length));
        return;
      }
      if (winogradTakes(g, tile)) {
        winogradForward(runtime, sharing(threads, work(g)) ? threads : undefined, g, x, filter, y);
        return;
      }
      const k = patch(g);
      // share() is asked once per convolution (it counts the products it keeps on this thread while backing off).
      const shared = sharing(threads, work(g));
      if (shared && lanesOk(g, tile) && k <= KC_LANES_MAX) {
        sharedForward({ runtime, threads: threads!, tile, g }, x, filter, y);
        return;
      }
      const p: { -readonly [K in keyof Product]: Product[K] } = {
        m: positions(g),
        k,
        n: g.outChannels,
        transposeA: false,
        transposeB: false,
        b: filter,
        fillA: (mem, at, ld, r0, r1) => im2colRows(runtime, mem, g, xAt, at, ld, r0, r1),
      };
      if (lanesOk(g, tile) && k <= KC_LANES_MAX) {
        // Each element of a patch row goes straight to its lane of its panel (packCols4x4's layout).
        p.fillPackedA = (at, r0, r1) => {
          const end = Math.min(r1, p.m);
          // Rows past the last position: zeros in the lanes of the last panel (the kernel writes the rest).
          if (r1 > end) runtime.f32().fill(0, at + (end - r0 - ((end - r0) % 4)) * k, at + (r1 - r0) * k);
          if (end > r0) runtime.exports.im2colLanesF32!(xAt * 4, at * 4, r0, end - r0, k * 16, ...windowArgs(g));
        };
      }
      const xAt = scratchAfter(tile, p, x.length);
      (tile.bytes === 4 ? runtime.f32() : runtime.f64()).set(x, xAt);
      const r = product(runtime, shared ? threads : undefined, tile, p);
      copyOut(tile.bytes === 4 ? runtime.f32() : runtime.f64(), r.c, r.ldc, p.m, p.n, y);
    },
    conv2dBackpropInput(dy, filter, g, dx, matmul) {
      const tile = tileOf(runtime, dy, filter, dx);
      if (tile === undefined || work(g) < minWork) return referenceBackpropInput(dy, filter, g, dx, matmul);
      if (winogradTakes(g, tile)) {
        winogradInputGradient(runtime, sharing(threads, work(g)) ? threads : undefined, g, dy, filter, dx);
        return;
      }
      const n = g.outChannels;
      const shared = sharing(threads, work(g));
      if (shared && tile.bytes === 4) {
        sharedInputGradient({ runtime, threads: threads!, tile, g }, dy, filter, dx);
        return;
      }
      const p: { -readonly [K in keyof Product]: Product[K] } = {
        m: positions(g),
        k: n,
        n: patch(g),
        transposeA: false,
        transposeB: true,
        b: filter,
        fillA: (mem, at, _ld, r0, r1) => {
          const end = Math.min(r1, p.m);
          if (end > r0) mem.set(dy.subarray(r0 * n, end * n), at);
          if (r1 > end) mem.fill(0, at + (end - r0) * n, at + (r1 - r0) * n);
        },
      };
      const { bytes } = tile;
      // On one thread, each block of C is scattered (in the reference's order) onto float64 sums as it is made.
      const sums = scratchAfter(tile, p, (dx.length * 8) / bytes);
      runtime.f64().fill(0, (sums * bytes) / 8, (sums * bytes) / 8 + dx.length);
      p.consume = (c, ldc, r0, r1) =>
        runtime.exports[`col2imRowsF${bytes * 8}`]!(c * bytes, ldc, r0, r1 - r0, sums * bytes, ...windowArgs(g));
      const r = product(runtime, shared ? threads : undefined, tile, p);
      if (r.consumed) {
        runtime.sumsOut((sums * bytes) / 8, dx as Float32Array | Float64Array);
        return;
      }
      // On two threads, C is whole: gather each element's terms from it, in the same order.
      const acc = roundUp(r.free, 4);
      const out = acc + roundUp(g.inChannels * 2, 4);
      runtime.reserve((out + dx.length) * bytes);
      runtime.exports[`col2imF${bytes * 8}`]!(r.c * bytes, r.ldc, out * bytes, acc * bytes, g.batch, ...windowArgs(g));
      const mem = bytes === 4 ? runtime.f32() : runtime.f64();
      dx.set(mem.subarray(out, out + dx.length));
    },
    conv2dBackpropFilter(x, dy, g, dFilter, matmul) {
      const tile = tileOf(runtime, x, dy, dFilter);
      if (tile === undefined || work(g) < minWork) return referenceBackpropFilter(x, dy, g, dFilter, matmul);
      if (winogradTakes(g, tile) && winogradFilterFits(g)) {
        winogradFilterGradient(runtime, sharing(threads, work(g)) ? threads : undefined, g, x, dy, dFilter);
        return;
      }
      if (singleChannel(g, tile)) {
        const input = singleChannelInput(runtime, x, g, 0);
        const sums = input.end;
        const dyAt = roundUp(sums + dFilter.length, 4);
        runtime.reserve((dyAt + dy.length) * 4);
        const mem = runtime.f32();
        mem.fill(0, sums, sums + dFilter.length);
        mem.set(dy, dyAt);
        const ld = g.outChannels * 4;
        byChannelGroups(g, 'conv1FilterF32v', (name, c0) =>
          runtime.exports[name]!(input.x * 4, (dyAt + c0) * 4, (sums + c0) * 4, ...input.args, ld, ld),
        );
        dFilter.set(mem.subarray(sums, sums + dFilter.length));
        return;
      }
      // Tasks are pieces of the filter (see sharedFilterGradient): it needs at least two taps.
      if (lanesOk(g, tile) && g.filterHeight * g.filterWidth >= 2 && sharing(threads, work(g))) {
        sharedFilterGradient({ runtime, threads: threads!, tile, g }, x, dy, dFilter);
        return;
      }
      const p: { -readonly [K in keyof Product]: Product[K] } = {
        m: patch(g),
        k: positions(g),
        n: g.outChannels,
        transposeA: true,
        transposeB: false,
        b: dy,
        fillA: (mem, at, ld, r0, r1) => im2colRows(runtime, mem, g, xAt, at, ld, r0, r1),
      };
      if (lanesOk(g, tile)) {
        // Whole chunks of 16 bytes of each patch row come from one tap: im2col writes them straight into panels.
        p.fillPackedA = (at, r0, r1) =>
          runtime.exports.im2colPanelsF32!(xAt * 4, at * 4, r0, r1 - r0, (r1 - r0) * 16, ...windowArgs(g));
      }
      const xAt = scratchAfter(tile, p, x.length);
      (tile.bytes === 4 ? runtime.f32() : runtime.f64()).set(x, xAt);
      const r = product(runtime, undefined, tile, p);
      copyOut(tile.bytes === 4 ? runtime.f32() : runtime.f64(), r.c, r.ldc, p.m, p.n, dFilter);
    },
  };
}
