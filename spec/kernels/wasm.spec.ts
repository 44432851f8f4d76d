/**
 * The WebAssembly SIMD kernels against the reference TypeScript kernels:
 * random shapes (odd sizes, sizes that are not multiples of the SIMD width or
 * of the register tile, blocks crossing KC and MC), transposes, broadcast
 * batch axes, float32 and float64. A kernel instance with no size threshold
 * is built here, so the WASM path runs even for tiny products.
 */
import fc from 'fast-check';
import { caseArb, sizeOf, values, type Case } from './matmul-cases.js';
import * as lib from '../../lib/index.js';
import { referenceKernels } from '../../lib/kernels/index.js';
import { BINARY, UNARY, type BinaryKernel, type UnaryKernel } from '../../lib/kernels/elementwise.js';
import { fastBinary, fastUnary } from '../../lib/kernels/fast-elementwise.js';
import { MATMUL_MIN_WORK, wasmMatmul } from '../../lib/kernels/wasm/matmul.js';
import { kernelModuleBytes, Runtime, wasmApi } from '../../lib/kernels/wasm/runtime.js';
import type { TypedArray } from '../../lib/dtype.js';

const runtime = new Runtime(wasmApi!, new wasmApi!.Module(kernelModuleBytes()));
const fastMatmul = wasmMatmul(runtime, 0);

/**
 * Runs one product with the fast and the reference kernel and expects each
 * element within a rounding bound: float64 within 1e-13 and float32 within
 * k * 2^-22 of the sum of |a_ip * b_pj| (the reference accumulates in float64).
 */
function expectClose(c: Case, seed: number): void {
  const { dtype, aBatch, bBatch, outBatch, m, k, n, transposeA, transposeB } = c;
  const a = values(dtype, sizeOf(aBatch) * m * k, seed);
  const b = values(dtype, sizeOf(bBatch) * k * n, seed + 1);
  const size = sizeOf(outBatch) * m * n;
  const alloc = () => (dtype === 'float32' ? new Float32Array(size) : new Float64Array(size));
  const fast = alloc().fill(NaN);
  const ref = alloc();
  const bound = alloc();
  fastMatmul(a, aBatch, b, bBatch, outBatch, m, k, n, transposeA, transposeB, fast);
  referenceKernels.matmul(a, aBatch, b, bBatch, outBatch, m, k, n, transposeA, transposeB, ref);
  referenceKernels.matmul(
    a.map(Math.abs),
    aBatch,
    b.map(Math.abs),
    bBatch,
    outBatch,
    m,
    k,
    n,
    transposeA,
    transposeB,
    bound,
  );
  const eps = dtype === 'float32' ? k * 2 ** -22 : 1e-13;
  let worst = 0;
  for (let i = 0; i < size; i++) {
    const err = Math.abs(fast[i]! - ref[i]!) - eps * bound[i]!;
    if (!(err <= 0)) worst = Number.isNaN(err) ? NaN : Math.max(worst, err);
  }
  expect({ ...c, worst }).toEqual({ ...c, worst: 0 });
}

describe('the WebAssembly matmul kernel matches the reference kernel', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    test(`${dtype}: random shapes, transposes and broadcast batches`, () => {
      fc.assert(
        fc.property(caseArb(dtype, 37), fc.nat(1000), (c, seed) => {
          expectClose(c, seed);
        }),
        { numRuns: 120 },
      );
    });

    test(`${dtype}: blocks across KC = 256 and MC = 128, with ragged edges`, () => {
      for (const [m, k, n] of [
        [131, 300, 19],
        [129, 513, 65],
        [5, 257, 3],
      ] as const) {
        for (const transposeA of [false, true]) {
          for (const transposeB of [false, true]) {
            expectClose({ dtype, aBatch: [2], bBatch: [1], outBatch: [2], m, k, n, transposeA, transposeB }, m + k);
          }
        }
      }
    });
  }

  test('each element sums its k products in order, one at a time, bit for bit as a plain loop (across KC blocks)', () => {
    // The order is part of the contract: float32 training runs reproduce those of a plain loop.
    for (const dtype of ['float32', 'float64'] as const) {
      const [m, k, n] = [9, 600, 11];
      const a = values(dtype, m * k, 5);
      const b = values(dtype, n * k, 6);
      const fast = dtype === 'float32' ? new Float32Array(m * n) : new Float64Array(m * n);
      fastMatmul(a, [], b, [], [], m, k, n, false, true, fast);
      const round = dtype === 'float32' ? Math.fround : (x: number) => x;
      const plain = fast.map(() => NaN);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let p = 0; p < k; p++) acc = round(acc + round(a[i * k + p]! * b[j * k + p]!));
          plain[i * n + j] = acc;
        }
      }
      expect(fast).toEqual(plain);
    }
  });

  test('memory grows for a large product after small ones, and small ones still work after it', () => {
    const small: Case = {
      dtype: 'float32',
      aBatch: [],
      bBatch: [],
      outBatch: [],
      m: 3,
      k: 5,
      n: 7,
      transposeA: false,
      transposeB: true,
    };
    expectClose(small, 1);
    expectClose({ ...small, m: 300, k: 600, n: 200 }, 2);
    expectClose(small, 3);
  });

  test('int32 products and k = 0 go to the reference kernel and give exactly its result', () => {
    const a = Int32Array.from({ length: 12 }, (_, i) => i - 5);
    const b = Int32Array.from({ length: 12 }, (_, i) => 3 * i - 7);
    const run = (f: typeof fastMatmul, out: TypedArray) => {
      f(a, [], b, [], [], 3, 4, 3, false, false, out);
      return out;
    };
    expect(run(fastMatmul, new Int32Array(9))).toEqual(run(referenceKernels.matmul, new Int32Array(9)));
    const empty = new Float32Array(6).fill(NaN);
    fastMatmul(new Float32Array(0), [], new Float32Array(0), [], [], 2, 0, 3, false, false, empty);
    expect(empty).toEqual(new Float32Array(6));
  });
});

describe('the fast element-wise kernels give exactly the reference results', () => {
  /** Values with zeros of both signs, NaN, infinities, integers and fractions. */
  const specials = [0, -0, NaN, Infinity, -Infinity, 1, -1, 2, 0.5, -3.25, 1e-3, 7];
  const fill = <T extends TypedArray>(out: T, seed: number): T => {
    for (let i = 0; i < out.length; i++)
      out[i] = i % 2 === 0 ? specials[(i / 2 + seed) % specials.length]! : Math.sin(i + seed) * 4;
    return out;
  };
  /** Indices where two arrays differ by Object.is (so -0 differs from 0, and NaN equals NaN). */
  const differences = (x: TypedArray, y: TypedArray) => [...x.keys()].filter((i) => !Object.is(x[i], y[i]));
  const arrays = {
    float32: (n: number, seed: number) => fill(new Float32Array(n), seed),
    float64: (n: number, seed: number) => fill(new Float64Array(n), seed),
    int32: (n: number, seed: number) => fill(new Int32Array(n), seed),
  };

  test.each(Object.keys(arrays) as (keyof typeof arrays)[])('every unary kernel in %s', (dtype) => {
    for (const op of Object.keys(UNARY) as UnaryKernel[]) {
      for (const n of [0, 1, 61]) {
        const x = arrays[dtype](n, 3);
        const fast = arrays[dtype](n, 0).fill(5);
        const ref = arrays[dtype](n, 0).fill(5);
        fastUnary(op, x, fast);
        referenceKernels.unary(op, x, ref);
        expect({ op, n, differ: differences(fast, ref) }).toEqual({ op, n, differ: [] });
      }
    }
  });

  const shapes: [number[], number[], number[]][] = [
    [
      [2, 3],
      [2, 3],
      [2, 3],
    ],
    [[2, 3], [], [2, 3]],
    [[], [2, 3], [2, 3]],
    [[4, 5], [5], [4, 5]],
    [
      [4, 5],
      [1, 5],
      [4, 5],
    ],
    [
      [3, 2, 5],
      [2, 5],
      [3, 2, 5],
    ],
    [
      [4, 1],
      [1, 5],
      [4, 5],
    ],
    [[5], [4, 5], [4, 5]],
    [[0, 3], [3], [0, 3]],
  ];
  test.each(Object.keys(arrays) as (keyof typeof arrays)[])('every binary kernel in %s, broadcasting', (dtype) => {
    for (const op of Object.keys(BINARY) as BinaryKernel[]) {
      for (const [aShape, bShape, outShape] of shapes) {
        const a = arrays[dtype](sizeOf(aShape), 1);
        const b = arrays[dtype](sizeOf(bShape), 2);
        const fast = arrays[dtype](sizeOf(outShape), 0).fill(5);
        const ref = arrays[dtype](sizeOf(outShape), 0).fill(5);
        fastBinary(op, a, aShape, b, bShape, fast, outShape);
        referenceKernels.binary(op, a, aShape, b, bShape, ref, outShape);
        expect({ op, aShape, bShape, differ: differences(fast, ref) }).toEqual({ op, aShape, bShape, differ: [] });
      }
    }
  });
});

describe('the installed backend', () => {
  test('in Node the WebAssembly kernels are installed when tapegrad loads, unless TAPEGRAD_KERNELS=typescript', () => {
    const expected = process.env.TAPEGRAD_KERNELS === 'typescript' ? 'typescript' : 'wasm-simd';
    expect(lib.backend()).toBe(expected);
  });

  test('ready() installs them again after setKernels(referenceKernels), and products above the threshold use them', async () => {
    const restoreEnv = withKernelsEnv(undefined);
    const previous = lib.setKernels(referenceKernels);
    expect(lib.backend()).toBe('typescript');
    await expect(lib.ready()).resolves.toBe('wasm-simd');
    const n = Math.ceil(Math.cbrt(MATMUL_MIN_WORK)) + 1;
    const x = lib.randomNormal([n, n], 0, 1, 'float64', 1);
    const y = lib.randomNormal([n, n], 0, 1, 'float64', 2);
    const fast = lib.matmul(x, y).dataSync();
    lib.setKernels(referenceKernels);
    const ref = lib.matmul(x, y).dataSync();
    for (let i = 0; i < ref.length; i++) expect(Math.abs(fast[i]! - ref[i]!)).toBeLessThan(1e-12);
    lib.setKernels(previous);
    restoreEnv();
  });

  test('ready() keeps the TypeScript kernels when TAPEGRAD_KERNELS=typescript, read when it is called', async () => {
    const restoreEnv = withKernelsEnv('typescript');
    const previous = lib.setKernels(referenceKernels);
    try {
      await expect(lib.ready()).resolves.toBe('typescript');
      expect(lib.backend()).toBe('typescript');
    } finally {
      lib.setKernels(previous);
      restoreEnv();
    }
  });

  test('loaded with TAPEGRAD_KERNELS=typescript, the backend is TypeScript, and stays so through ready()', async () => {
    const restoreEnv = withKernelsEnv('typescript');
    try {
      let fresh: typeof import('../../lib/kernels/wasm/index.js') | undefined;
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        fresh = require('../../lib/kernels/wasm/index.js') as typeof import('../../lib/kernels/wasm/index.js');
      });
      expect(fresh!.backend()).toBe('typescript');
      await expect(fresh!.ready()).resolves.toBe('typescript');
      expect(fresh!.backend()).toBe('typescript');
    } finally {
      restoreEnv();
    }
  });
});

describe('memories', () => {
  /** A fresh copy of the backend module, loaded with TAPEGRAD_THREADS set to `threads` (and the WebAssembly kernels). */
  function loadedWith(threads: string): typeof import('../../lib/kernels/wasm/index.js') {
    const restoreEnv = withKernelsEnv(undefined);
    const saved = process.env.TAPEGRAD_THREADS;
    process.env.TAPEGRAD_THREADS = threads;
    let fresh: typeof import('../../lib/kernels/wasm/index.js') | undefined;
    try {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        fresh = require('../../lib/kernels/wasm/index.js') as typeof import('../../lib/kernels/wasm/index.js');
      });
    } finally {
      if (saved === undefined) delete process.env.TAPEGRAD_THREADS;
      else process.env.TAPEGRAD_THREADS = saved;
      restoreEnv();
    }
    return fresh!;
  }

  // Copies between JavaScript arrays and shared memory are relaxed atomic copies, about twice as slow as plain
  // ones: the kernels this thread runs alone (element-wise maps, pooling, Adam) keep out of the shared memory.
  test('with two threads, the kernels this thread runs alone have a memory of their own, apart from the shared one', () => {
    const fresh = loadedWith('2');
    expect(fresh.backend()).toBe('wasm-simd');
    expect(fresh.threadAloneMemory()).toBe('private');
  });

  test('with one thread, every kernel works in the one memory', () => {
    const fresh = loadedWith('1');
    expect(fresh.backend()).toBe('wasm-simd');
    expect(fresh.threadAloneMemory()).toBe('products');
  });
});

describe('float64 sums leave the memory rounded to float32 as JavaScript rounds them (Runtime.sumsOut)', () => {
  const shared = new Runtime(wasmApi!, new wasmApi!.Module(kernelModuleBytes(undefined, true)), undefined, true);
  const f32max = 3.4028234663852886e38;
  /** Values where rounding is delicate: ties, the edges of float32's range, subnormals, signed zeros, NaN. */
  const edges = [
    0,
    -0,
    NaN,
    Infinity,
    -Infinity,
    1,
    -1,
    1 + 2 ** -24,
    1 + 3 * 2 ** -24,
    1 - 2 ** -25,
    f32max,
    f32max * (1 + 2 ** -25),
    f32max * (1 + 2 ** -23),
    -f32max * 2,
    2 ** -149,
    2 ** -150,
    3 * 2 ** -151,
    2 ** -151,
    1e-40,
    -1e-45,
    1 / 3,
    Math.PI,
    -1e30,
    123456789.123,
  ];

  /** Writes `values` as float64 from float64 element `at` of `runtime`'s memory and takes them out as float32. */
  function roundTrip(runtime: Runtime, values: readonly number[], at: number): Float32Array {
    runtime.reserve((at + values.length + 1) * 8);
    runtime.f64().set(values, at);
    const out = new Float32Array(values.length).fill(7);
    runtime.sumsOut(at, out);
    return out;
  }

  test.each([
    ['its own', runtime],
    ['a shared', shared],
  ])('every edge case, in %s memory, at even and odd lengths and offsets', (_, memory) => {
    for (const length of [0, 1, 2, 3, edges.length - 1, edges.length]) {
      for (const at of [0, 1, 5]) {
        const values = edges.slice(0, length);
        const got = roundTrip(memory, values, at);
        const want = Float32Array.from(values);
        const differ = values.map((_, i) => i).filter((i) => !Object.is(got[i], want[i]));
        expect({ length, at, differ }).toEqual({ length, at, differ: [] });
      }
    }
  });

  test('any float64 values (a property, 1 to 3,000 of them)', () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { minLength: 1, maxLength: 3000 }), fc.nat(64), (values, at) => {
        const got = roundTrip(runtime, values, at);
        const want = Float32Array.from(values);
        return values.every((_, i) => Object.is(got[i], want[i]));
      }),
      { numRuns: 200 },
    );
  });

  test('a Float64Array output takes the values as they are', () => {
    runtime.reserve(4096);
    runtime.f64().set([1 / 3, -0, 2 ** -1074], 3);
    const out = new Float64Array(3);
    runtime.sumsOut(3, out);
    expect(Array.from(out)).toEqual([1 / 3, -0, 2 ** -1074]);
  });
});

/** Sets (or, with undefined, unsets) TAPEGRAD_KERNELS; returns what puts it back. */
function withKernelsEnv(value: string | undefined): () => void {
  const saved = process.env.TAPEGRAD_KERNELS;
  const set = (v: string | undefined) => {
    if (v === undefined) delete process.env.TAPEGRAD_KERNELS;
    else process.env.TAPEGRAD_KERNELS = v;
  };
  set(value);
  return () => set(saved);
}
