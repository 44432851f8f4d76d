/**
 * The two-thread matmul against the one-thread WebAssembly kernel: results
 * must be the same bits (each element of C is summed in k order by one
 * thread). A thread pool with no size threshold is built here, so the shared
 * path runs even for tiny products; `workerOnly` makes the worker run every
 * task, so the task code also runs from the worker’s source (its own text).
 * Each case runs with tasks cut by shape (`auto`), and forced to blocks of
 * rows and to blocks of columns.
 */
import fc from 'fast-check';
import { lastJson, runBundled } from './bundled-child.js';
import { caseArb, sizeOf, values, type Case } from './matmul-cases.js';
import { referenceKernels } from '../../lib/kernels/index.js';
import { wasmMatmul } from '../../lib/kernels/wasm/matmul.js';
import { kernelModuleBytes, Runtime, wasmApi } from '../../lib/kernels/wasm/runtime.js';
import { CallProgram, freshTaskCode, MatmulThreads, threadsWanted } from '../../lib/kernels/wasm/threads.js';

const single = wasmMatmul(new Runtime(wasmApi!, new wasmApi!.Module(kernelModuleBytes())), 0);
const sharedRuntime = () =>
  new Runtime(wasmApi!, new wasmApi!.Module(kernelModuleBytes(undefined, true)), undefined, true);
const runtime = sharedRuntime();
const threads = new MatmulThreads(runtime);
threads.minWork = 0;
const shared = wasmMatmul(runtime, 0, threads);

beforeAll(async () => {
  await expect(threads.start()).resolves.toBe(true);
});
afterAll(() => threads.stop());

/** Indices (at most 5) where the shared kernel's result differs from the one-thread kernel's, by Object.is. */
function differences(kernel: typeof shared, c: Case, seed: number): number[] {
  const { dtype, aBatch, bBatch, outBatch, m, k, n, transposeA, transposeB } = c;
  const a = values(dtype, sizeOf(aBatch) * m * k, seed);
  const b = values(dtype, sizeOf(bBatch) * k * n, seed + 1);
  const size = sizeOf(outBatch) * m * n;
  const alloc = () => (dtype === 'float32' ? new Float32Array(size) : new Float64Array(size));
  const got = alloc().fill(NaN);
  const want = alloc().fill(NaN);
  kernel(a, aBatch, b, bBatch, outBatch, m, k, n, transposeA, transposeB, got);
  single(a, aBatch, b, bBatch, outBatch, m, k, n, transposeA, transposeB, want);
  const differ: number[] = [];
  for (let i = 0; i < size && differ.length < 5; i++) if (!Object.is(got[i], want[i])) differ.push(i);
  return differ;
}

/**
 * The largest amount by which an element of the shared kernel's result is
 * further from the reference kernel's than a rounding bound: float64 1e-13
 * and float32 k * 2^-22 of the sum of |a_ip * b_pj| (as in `wasm.spec.ts`).
 */
function excessError(c: Case, seed: number): number {
  const { dtype, aBatch, bBatch, outBatch, m, k, n, transposeA, transposeB } = c;
  const a = values(dtype, sizeOf(aBatch) * m * k, seed);
  const b = values(dtype, sizeOf(bBatch) * k * n, seed + 1);
  const size = sizeOf(outBatch) * m * n;
  const alloc = () => (dtype === 'float32' ? new Float32Array(size) : new Float64Array(size));
  const [got, ref, bound] = [alloc().fill(NaN), alloc(), alloc()];
  shared(a, aBatch, b, bBatch, outBatch, m, k, n, transposeA, transposeB, got);
  referenceKernels.matmul(a, aBatch, b, bBatch, outBatch, m, k, n, transposeA, transposeB, ref);
  const [absA, absB] = [a.map(Math.abs), b.map(Math.abs)];
  referenceKernels.matmul(absA, aBatch, absB, bBatch, outBatch, m, k, n, transposeA, transposeB, bound);
  const eps = dtype === 'float32' ? k * 2 ** -22 : 1e-13;
  let worst = 0;
  for (let i = 0; i < size; i++) {
    const err = Math.abs(got[i]! - ref[i]!) - eps * bound[i]!;
    if (!(err <= 0)) worst = Number.isNaN(err) ? NaN : Math.max(worst, err);
  }
  return worst;
}

const SPLITS = ['auto', 'rows', 'columns'] as const;

describe.each(SPLITS)('the two-thread matmul gives the one-thread kernel’s bits (tasks: %s)', (split) => {
  beforeEach(() => (threads.split = split));
  afterEach(() => (threads.split = 'auto'));
  for (const dtype of ['float32', 'float64'] as const) {
    test(`${dtype}: random shapes, transposes and broadcast batches`, () => {
      fc.assert(
        fc.property(caseArb(dtype, 45), fc.nat(1000), (c, seed) => {
          expect({ ...c, differ: differences(shared, c, seed) }).toEqual({ ...c, differ: [] });
        }),
        { numRuns: 80 },
      );
    });

    test(`${dtype}: blocks across KC = 256 and MC = 128, ragged edges, and batches in several groups`, () => {
      const cases: [number, number, number, number][] = [
        [131, 300, 19, 2],
        [129, 513, 65, 1],
        [5, 257, 3, 3],
        [30, 31, 29, 7], // groups of 2^13 packed elements: 2 batches each
        [45, 20, 90, 3], // 1 batch each
      ];
      threads.groupElements = 2 ** 13;
      for (const [m, k, n, batches] of cases) {
        for (const [transposeA, transposeB] of [
          [false, false],
          [true, true],
          [false, true],
          [true, false],
        ] as const) {
          const c = { dtype, aBatch: [batches], bBatch: [1], outBatch: [batches], m, k, n, transposeA, transposeB };
          expect({ m, k, n, differ: differences(shared, c, m + k) }).toEqual({ m, k, n, differ: [] });
        }
      }
      threads.groupElements = 2 ** 22;
    });

    test(`${dtype}: the worker alone runs every task`, () => {
      threads.workerOnly = true;
      try {
        const before = threads.workerTasks;
        fc.assert(
          fc.property(caseArb(dtype, 45), fc.nat(1000), (c, seed) => {
            expect({ ...c, differ: differences(shared, c, seed) }).toEqual({ ...c, differ: [] });
          }),
          { numRuns: 30 },
        );
        const c = {
          dtype,
          aBatch: [2],
          bBatch: [],
          outBatch: [2],
          m: 77,
          k: 520,
          n: 33,
          transposeA: true,
          transposeB: false,
        };
        expect(differences(shared, c, 7)).toEqual([]);
        expect(threads.workerTasks).toBeGreaterThan(before);
      } finally {
        threads.workerOnly = false;
      }
    });
  }
});

describe('tasks of columns (products with few rows, as in a training step)', () => {
  // The W4 training step's products: X @ W1, and the weight gradient Xᵀ @ dH (forced to columns here).
  const w4: [number, number, number, boolean][] = [
    [128, 784, 256, false],
    [784, 128, 256, true],
    [20, 300, 61, false], // ragged: n not a multiple of NR, k across KC
  ];
  for (const dtype of ['float32', 'float64'] as const) {
    test(`${dtype}: the one-thread kernel’s bits, and the reference within rounding`, () => {
      threads.split = 'columns';
      try {
        for (const [m, k, n, transposeA] of w4) {
          for (const transposeB of [false, true]) {
            const c: Case = { dtype, aBatch: [], bBatch: [], outBatch: [], m, k, n, transposeA, transposeB };
            expect({ m, k, n, transposeB, differ: differences(shared, c, m) }).toEqual({
              m,
              k,
              n,
              transposeB,
              differ: [],
            });
            expect({ m, k, n, transposeB, excess: excessError(c, m) }).toEqual({ m, k, n, transposeB, excess: 0 });
          }
        }
      } finally {
        threads.split = 'auto';
      }
    });
  }

  test('by default (split by shape), a batched product with fewer rows than columns, all on the worker', () => {
    const before = threads.workerTasks;
    threads.workerOnly = true;
    try {
      const c: Case = {
        dtype: 'float32',
        aBatch: [3],
        bBatch: [],
        outBatch: [3],
        m: 9,
        k: 40,
        n: 70,
        transposeA: false,
        transposeB: false,
      };
      expect(differences(shared, c, 11)).toEqual([]);
      expect(excessError(c, 11)).toBe(0);
    } finally {
      threads.workerOnly = false;
    }
    expect(threads.workerTasks).toBeGreaterThan(before);
  });
});

describe('the heap', () => {
  /**
   * The median growth of this thread's heap over one call of `kernel` on the W4 step's first product
   * (X [128, 784] @ W1 [784, 256]), over 41 calls after 20 to warm up. A collection during a call makes
   * that call's growth negative; the median is of the rest.
   */
  function heapPerProduct(kernel: typeof shared): number {
    const [m, k, n] = [128, 784, 256];
    const a = values('float32', m * k, 1) as Float32Array;
    const b = values('float32', k * n, 2) as Float32Array;
    const out = new Float32Array(m * n);
    const call = () => kernel(a, [], b, [], [], m, k, n, false, false, out);
    for (let i = 0; i < 20; i++) call();
    const growth: number[] = [];
    for (let i = 0; i < 41; i++) {
      const before = process.memoryUsage().heapUsed;
      call();
      const grew = process.memoryUsage().heapUsed - before;
      if (grew >= 0) growth.push(grew);
    }
    growth.sort((x, y) => x - y);
    return growth[growth.length >> 1]!;
  }

  // Whatever a product allocates is alive while a collection runs, and survivors are promoted: the task
  // code's destructured arrays, kernel names and views, and a spread job object, once took 20 KB of the
  // heap per shared product against 3 KB on one thread, and grew the bench's W5 loop by 9 MB.
  test.each(SPLITS)('a shared product (tasks: %s) takes about the heap a one-thread product takes', (split) => {
    threads.split = split;
    try {
      const one = heapPerProduct(single);
      const two = heapPerProduct(shared);
      expect({ one, two, extra: two - one <= 4096 }).toEqual({ one, two, extra: true });
    } finally {
      threads.split = 'auto';
    }
    expect(threads.workerTasks).toBeGreaterThan(0);
  });
});

describe('spinning', () => {
  // Each clock reading allocates: a spin reads the clock every `pollsPerRead` polls, a power of two that
  // doubles while readings come under 20 us apart and halves, down to 256, when they come over 80 us apart.
  test('reads the clock less often while polls are fast, and more often again once they are slow', () => {
    const code = freshTaskCode();
    expect(code.pollsPerRead).toBe(256);
    code.spin(() => false, 3000);
    const fast = code.pollsPerRead;
    expect({ fast, powerOfTwo: Number.isInteger(Math.log2(fast)), grew: fast > 256 }).toEqual({
      fast,
      powerOfTwo: true,
      grew: true,
    });
    // Polls of at least 10 us each: every reading comes at least 256 x 10 us apart, so each spin halves it.
    const slow = () => {
      const start = performance.now();
      while (performance.now() - start < 0.01);
      return false;
    };
    for (let i = 0; i < Math.log2(fast) - 8; i++) code.spin(slow, 1);
    expect(code.pollsPerRead).toBe(256);
  });

  test('returns at once when ready, and with a zero budget', () => {
    const code = freshTaskCode();
    let polls = 0;
    code.spin(() => (polls++, true), 1000);
    code.spin(() => (polls++, false), 0);
    expect(polls).toBe(1);
  });
});

describe('programs of calls', () => {
  test('a task the worker fails on part way is reset, then run again on this thread', async () => {
    const rt = sharedRuntime();
    const own = new MatmulThreads(rt);
    await expect(own.start()).resolves.toBe(true);
    own.workerOnly = true; // the worker claims the task
    rt.reserve(65536);
    const f32 = rt.f32();
    // A (4 x 1, packed) at byte 1024 and again at the scratch (byte 16384), B (1 x 8) at 2048, C (4 x 8) at 4096.
    f32.set([1, 2, 3, 4], 1024 / 4);
    f32.set([1, 2, 3, 4], 16384 / 4);
    f32.set([1, 2, 3, 4, 5, 6, 7, 8], 2048 / 4);
    f32.fill(0, 4096 / 4, 4096 / 4 + 32);
    // C += A B, then a product in the running thread's scratch: the worker's scratch lies past the end of the
    // memory, so the worker traps there, after it has added to C.
    const program = new CallProgram(own)
      .task()
      .call('gemmF32', [1024, 2048, 4096, 4, 8, 1, 32])
      .call('gemmSetF32', [0, 2048, 256, 4, 8, 1, 32], [0, 2]);
    const resets: number[] = [];
    const calls = program.write(rt, 8192, 16384, 0x70000000);
    own.runCalls({ ...calls, reset: (t) => (resets.push(t), f32.fill(0, 4096 / 4, 4096 / 4 + 32)) });
    expect(resets).toEqual([0]);
    const c = Array.from(f32.subarray(4096 / 4, 4096 / 4 + 32));
    expect(c).toEqual([1, 2, 3, 4].flatMap((a) => [1, 2, 3, 4, 5, 6, 7, 8].map((b) => a * b))); // once, not twice
    expect(own.ready).toBe(false); // a worker that failed is not used again
    await own.stop();
  });
});

describe('brief jobs', () => {
  // A job too short to show whether the worker has a core (conv2dBackpropFilter packs dy in one, ~0.1 ms) must not
  // start a back-off that would keep the next products on this thread (it did: conv2's filter gradient at W7's
  // shapes, timed alone, took 7.0-7.2 ms instead of 4.2-5.0), nor end one.
  test('leave the back-off as it was; other jobs move it', async () => {
    const rt = sharedRuntime();
    const own = new MatmulThreads(rt);
    await expect(own.start()).resolves.toBe(true);
    rt.reserve(65536);
    const state = own as unknown as { skip: number; backoff: number; calm: number };
    const job = (brief: boolean) => {
      rt.f32().set([1, 2, 3, 4], 1024 / 4);
      rt.f32().set([1, 2, 3, 4, 5, 6, 7, 8], 2048 / 4);
      const program = new CallProgram(own);
      for (let t = 0; t < 4; t++) program.task().call('gemmSetF32', [1024, 2048, 4096 + 128 * t, 4, 8, 1, 32]);
      own.runCalls({ ...program.write(rt, 8192, 16384, 0), brief });
      expect(Array.from(rt.f32().subarray(4096 / 4, 4096 / 4 + 32))).toEqual(
        [1, 2, 3, 4].flatMap((a) => [1, 2, 3, 4, 5, 6, 7, 8].map((b) => a * b)),
      );
    };
    Object.assign(state, { skip: 0, backoff: 8, calm: 0 });
    job(true);
    expect([state.skip, state.backoff, state.calm]).toEqual([0, 8, 0]);
    job(false); // starved: skip 8 and backoff 16; else backoff 1 and calm 1
    expect([state.skip, state.backoff, state.calm]).not.toEqual([0, 8, 0]);
    await own.stop();
  });
});

describe('without a worker', () => {
  test('a stopped worker leaves products on this thread, with the same results', async () => {
    const ownRuntime = sharedRuntime();
    const own = new MatmulThreads(ownRuntime);
    own.minWork = 0;
    const kernel = wasmMatmul(ownRuntime, 0, own);
    await expect(own.start()).resolves.toBe(true);
    expect(own.ready).toBe(true);
    await own.stop();
    expect(own.ready).toBe(false);
    const c: Case = {
      dtype: 'float32',
      aBatch: [],
      bBatch: [],
      outBatch: [],
      m: 40,
      k: 300,
      n: 41,
      transposeA: false,
      transposeB: true,
    };
    expect(differences(kernel, c, 3)).toEqual([]);
    expect(own.workerTasks).toBe(0);
  });

  test('a runtime without shared memory never starts one, and products still run', async () => {
    const plain = new Runtime(wasmApi!, new wasmApi!.Module(kernelModuleBytes()));
    const own = new MatmulThreads(plain);
    await expect(own.start()).resolves.toBe(false);
    expect(own.ready).toBe(false);
    const kernel = wasmMatmul(plain, 0, own);
    const c: Case = {
      dtype: 'float64',
      aBatch: [2],
      bBatch: [2],
      outBatch: [2],
      m: 9,
      k: 10,
      n: 11,
      transposeA: true,
      transposeB: false,
    };
    expect(differences(kernel, c, 5)).toEqual([]);
  });

  test('TAPEGRAD_THREADS below 2 turns threads off; unset or 2 and more leaves them on in Node', () => {
    expect(threadsWanted({ TAPEGRAD_THREADS: '1' })).toBe(false);
    expect(threadsWanted({ TAPEGRAD_THREADS: '0' })).toBe(false);
    expect(threadsWanted({ TAPEGRAD_THREADS: 'no' })).toBe(false);
    expect(threadsWanted({})).toBe(true);
    expect(threadsWanted({ TAPEGRAD_THREADS: '2' })).toBe(true);
  });
});

/**
 * A fresh process that never yields to the event loop: products of
 * THREAD_MIN_WORK (the first launches the worker) until the worker has taken
 * tasks, then 20 more, each checked bit for bit against the one-thread kernel.
 */
const SYNC_LOOP = `
import { wasmMatmul } from '../../lib/kernels/wasm/matmul.js';
import { kernelModuleBytes, Runtime, wasmApi } from '../../lib/kernels/wasm/runtime.js';
import { MatmulThreads, THREAD_MIN_WORK } from '../../lib/kernels/wasm/threads.js';
const runtime = new Runtime(wasmApi, new wasmApi.Module(kernelModuleBytes(undefined, true)), undefined, true);
const threads = new MatmulThreads(runtime);
const two = wasmMatmul(runtime, undefined, threads);
const one = wasmMatmul(new Runtime(wasmApi, new wasmApi.Module(kernelModuleBytes())), 0);
const [m, k, n] = [96, 171, 128];
if (m * k * n < THREAD_MIN_WORK) throw new Error('too small to share');
const cases = [Float32Array, Float64Array].map((Type, c) => {
  const a = Type.from({ length: m * k }, (_, i) => Math.sin(i * 0.37 + c));
  const b = Type.from({ length: k * n }, (_, i) => Math.cos(i * 0.91 - c));
  const want = new Type(m * n);
  one(a, [], b, [], [], m, k, n, c === 1, c === 0, want);
  return { a, b, want, transposeA: c === 1, transposeB: c === 0, Type };
});
let products = 0;
let differ = 0;
const product = () => {
  const { a, b, want, transposeA, transposeB, Type } = cases[products++ % 2];
  const got = new Type(m * n).fill(NaN);
  two(a, [], b, [], [], m, k, n, transposeA, transposeB, got);
  for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) differ++;
};
const started = Date.now();
while (threads.workerTasks === 0 && products < 100000 && Date.now() - started < 30000) product();
const before = products;
for (let i = 0; i < 20; i++) product();
console.log(JSON.stringify({ up: threads.ready, workerTasks: threads.workerTasks, before, products, differ }));
`;

/**
 * A fresh process running tapegrad's own matmul in a loop that never awaits,
 * then telling the next worker's thread id. (It imports `backend`: the
 * package's `sideEffects` names only dist/, so a bundle of lib/ that used
 * nothing from the kernels' module would drop it, and its kernels with it.)
 */
const LIBRARY_LOOP = `
import { Worker } from 'node:worker_threads';
import { backend, matmul, randomNormal } from '../../lib/index.js';
const a = randomNormal([256, 256]);
for (let i = 0; i < 5; i++) matmul(a, a).dataSync();
const probe = new Worker('', { eval: true });
console.log(JSON.stringify({ backend: backend(), threadId: probe.threadId }));
void probe.terminate();
`;

describe('in a loop that never awaits', () => {
  test('the worker comes up and takes tasks, with the one-thread kernel’s bits, and the process still exits', async () => {
    const got = lastJson(await runBundled(SYNC_LOOP)) as Record<string, number | boolean>;
    expect(got).toEqual({ ...got, up: true, differ: 0 });
    expect(got.workerTasks).toBeGreaterThan(0);
  }, 90_000);

  test('tapegrad’s matmul starts the worker (the next worker is thread 2); TAPEGRAD_THREADS=1 starts none (thread 1)', async () => {
    const [two, one] = await Promise.all([
      runBundled(LIBRARY_LOOP),
      runBundled(LIBRARY_LOOP, [], { TAPEGRAD_THREADS: '1' }),
    ]);
    expect(lastJson(two)).toEqual({ backend: 'wasm-simd', threadId: 2 });
    expect(lastJson(one)).toEqual({ backend: 'wasm-simd', threadId: 1 });
  }, 90_000);
});
