/**
 * The WebGPU reduction, scan, softmax, optimizer and random kernels against the CPU ones (referenceKernels).
 *
 * Exact: integer and boolean results, max/min (including which of -0 and 0, and NaN), argReduce, int32 cumsum and the
 * seeded fills. Within a tolerance, since the GPU accumulates in f32 where the CPU uses float64: float sums and means
 * within n * 2^-22 * sum|x| of the reduced set; products within n * 2^-22 relative; logSumExp, softmax and the
 * optimizer steps within 2^-18 relative plus 2^-20 absolute (WGSL's exp, log, sqrt and division are not correctly
 * rounded).
 */
import type { TypedArray } from '../../lib/dtype.js';
import { referenceKernels, type ReduceKernel } from '../../lib/kernels/index.js';
import type { GpuArray, GpuDType } from '../../lib/kernels/webgpu/buffers.js';
import { gpuOptimizers } from '../../lib/kernels/webgpu/optimizers.js';
import { gpuRandom } from '../../lib/kernels/webgpu/random.js';
import { gpuReduce } from '../../lib/kernels/webgpu/reduce.js';
import { sizeOf, type Shape } from '../../lib/shape.js';
import { describeGpu, gpuTitle, seeded, useGpuContext } from './harness.js';

function typed(dtype: GpuDType, length: number): TypedArray {
  return dtype === 'float32'
    ? new Float32Array(length)
    : dtype === 'int32'
      ? new Int32Array(length)
      : new Uint8Array(length);
}

/** Integers in [-range, range) from seeded values. */
function seededInts(size: number, seed: number, range: number): Int32Array {
  return Int32Array.from(seeded(size, seed), (v) => Math.floor(v * range));
}

/** A number as a message shows it, -0 included. */
function show(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

/** `got` equals `expected`, with each element within `tolerance(i)` (NaN for NaN, infinities exactly). */
function expectClose(got: ArrayLike<number>, expected: ArrayLike<number>, tolerance: (i: number) => number): void {
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const g = got[i]!;
    if (!Number.isFinite(e) || tolerance(i) === 0) {
      if (!Object.is(g, e)) throw new Error(`element ${i}: got ${show(g)}, expected ${show(e)}`);
    } else if (!(Math.abs(g - e) <= tolerance(i))) {
      throw new Error(`element ${i}: got ${g}, expected ${e} (tolerance ${tolerance(i)})`);
    }
  }
}

const EXACT: readonly ReduceKernel[] = ['max', 'min', 'all', 'any'];
const ALL_KINDS: readonly ReduceKernel[] = ['sum', 'mean', 'max', 'min', 'prod', 'all', 'any', 'logSumExp'];

describeGpu(gpuTitle('WebGPU reduction, scan, softmax, optimizer and random kernels'), () => {
  const gpu = useGpuContext();

  /** Runs `kind` on the GPU and the CPU and compares them, exactly where the GPU can be exact. */
  async function checkReduce(kind: ReduceKernel, x: TypedArray, shape: Shape, axes: readonly number[]): Promise<void> {
    const k = gpuReduce(gpu.ctx);
    const xType: GpuDType = x instanceof Float32Array ? 'float32' : x instanceof Int32Array ? 'int32' : 'bool';
    const outType: GpuDType = kind === 'all' || kind === 'any' ? 'bool' : xType;
    const m = sizeOf(shape.filter((_, d) => !axes.includes(d)));
    const n = sizeOf(axes.map((a) => shape[a]!));
    const expected = typed(outType, m);
    referenceKernels.reduce(kind, x, shape, axes, expected);
    const out = gpu.ctx.allocate(m, outType);
    k.reduce(kind, gpu.ctx.upload(x, xType), shape, axes, out);
    const got = await gpu.ctx.read(out);
    const context = `${kind} ${xType} [${shape.join(',')}] over [${axes.join(',')}]`;
    try {
      if (xType !== 'float32' || EXACT.includes(kind)) {
        expectClose(got, expected, () => 0);
      } else {
        const abs = new Float64Array(m);
        referenceKernels.reduce('sum', Float64Array.from(x, Math.abs), shape, axes, abs);
        const eps = Math.max(n, 1) * 2 ** -22;
        expectClose(got, expected, (i) => {
          if (kind === 'sum') return eps * abs[i]! + 1e-30;
          if (kind === 'mean') return (eps * abs[i]!) / n + 1e-30;
          if (kind === 'prod') return eps * Math.abs(expected[i]!) + 1e-30;
          return 2 ** -18 * Math.abs(expected[i]!) + 2 ** -20; // logSumExp
        });
      }
    } catch (error) {
      throw new Error(`${context}: ${(error as Error).message}`, { cause: error });
    }
  }

  const CASES: readonly [Shape, readonly number[]][] = [
    [[], []],
    [[7], [0]],
    [[7], []],
    [[3, 5], [0]],
    [[3, 5], [1]],
    [
      [3, 5],
      [0, 1],
    ],
    [[2, 3, 4], [1]],
    [
      [2, 3, 4],
      [0, 2],
    ],
    [
      [2, 3, 4],
      [0, 1, 2],
    ],
    [
      [2, 1, 3, 4],
      [1, 2],
    ],
    [
      [2, 3, 4, 5],
      [1, 2],
    ],
    [
      [2, 3, 4, 5],
      [0, 3],
    ],
    [
      [2, 3, 4, 5],
      [1, 3],
    ],
    [
      [2, 3, 4, 5],
      [0, 1, 2, 3],
    ],
    // Long reduced sets: a workgroup per output, chunks through strided and odometer-walked axes.
    [[3, 300], [1]],
    [[300, 3], [0]],
    [
      [2, 40, 3, 5],
      [1, 3],
    ],
    [
      [4, 20, 10],
      [0, 2],
    ],
  ];

  it('reduces float32 over leading, trailing, middle, several and all axes (every kind)', async () => {
    for (const kind of ALL_KINDS) {
      for (const [shape, axes] of CASES) {
        const size = sizeOf(shape);
        // prod of values near 1 stays in range; all/any need zeros to mean anything.
        const x = seeded(size, size + 7);
        if (kind === 'prod') x.forEach((v, i) => (x[i] = 1 + v / 8));
        if (kind === 'all' || kind === 'any') x.forEach((v, i) => (x[i] = v > 0.6 ? 0 : v < -0.95 ? 0 : v));
        await checkReduce(kind, x, shape, axes);
      }
    }
  });

  it('reduces int32 exactly (every kind), and bool for all and any', async () => {
    for (const kind of ALL_KINDS) {
      for (const [shape, axes] of CASES) {
        const size = sizeOf(shape);
        const x = seededInts(size, size + 3, kind === 'prod' ? 3 : 1000);
        await checkReduce(kind, x, shape, axes);
        if (kind === 'all' || kind === 'any') {
          await checkReduce(
            kind,
            Uint8Array.from(x, (v) => (v % 5 === 0 ? 0 : 1)),
            shape,
            axes,
          );
          await checkReduce(kind, new Uint8Array(size).fill(1), shape, axes);
        }
      }
    }
  });

  it('matches the CPU on int32 overflow: sums wrap, means truncate the exact quotient, products wrap', async () => {
    await checkReduce('sum', Int32Array.of(2 ** 31 - 1, 1, 5), [3], [0]);
    await checkReduce('mean', Int32Array.of(2e9, 2e9, 2e9), [3], [0]);
    await checkReduce('mean', Int32Array.of(-2e9, -2e9, -2e9, 1), [4], [0]);
    await checkReduce('mean', Int32Array.of(-7, 2, 7, -2, 0, 0, -1, -(2 ** 31)), [4, 2], [1]);
    await checkReduce('mean', Int32Array.of(-(2 ** 31), -(2 ** 31)), [2], [0]);
    await checkReduce('max', Int32Array.of(-(2 ** 31), -(2 ** 31)), [2], [0]);
    await checkReduce('min', Int32Array.of(2 ** 31 - 1, 2 ** 31 - 1), [2], [0]);
    await checkReduce('prod', Int32Array.of(65536, 65536, 7, 100000, 3, -5, 46341, 46341), [4, 2], [1]);
    // A long int32 mean of large values: the 64-bit accumulator through the workgroup tree.
    const big = Int32Array.from(seeded(1000, 5), (v) => Math.floor(v * 2 ** 31));
    await checkReduce('mean', big, [1000], [0]);
    await checkReduce('sum', big, [2, 500], [1]);
  });

  it('writes the CPU values for empty reduced sets and nothing for empty outputs', async () => {
    for (const kind of ALL_KINDS) {
      await checkReduce(kind, new Float32Array(0), [3, 0], [1]);
      await checkReduce(kind, new Int32Array(0), [3, 0], [1]);
      await checkReduce(kind, new Float32Array(0), [0], [0]);
      await checkReduce(kind, new Float32Array(0), [0, 3], [1]);
    }
  });

  it('propagates NaN and infinities as the CPU (max, min, sum, logSumExp, all, any), and keeps -0 where it comes first', async () => {
    const x = seeded(24, 11);
    x[1] = NaN; // row 0 of [4, 6]
    x[7] = Infinity; // row 1
    x[13] = -Infinity; // row 2
    x[20] = NaN; // row 3, with an infinity
    x[21] = Infinity;
    for (const kind of ALL_KINDS) {
      await checkReduce(kind, x, [4, 6], [1]);
      await checkReduce(kind, x, [4, 6], [0]);
    }
    const allNegInf = new Float32Array(400).fill(-Infinity);
    await checkReduce('logSumExp', allNegInf, [2, 200], [1]);
    await checkReduce('logSumExp', allNegInf, [200, 2], [1]);
    const long = seeded(600, 4);
    long[450] = NaN;
    for (const kind of ['max', 'min', 'logSumExp', 'sum'] as const) await checkReduce(kind, long, [2, 300], [1]);
    await checkReduce('max', Float32Array.of(-0, 0, 0, -0, -1, -0), [3, 2], [1]);
    await checkReduce('min', Float32Array.of(0, -0, -0, 0, 1, 0), [3, 2], [1]);
    // Long sets: the workgroup's partial results combine in order, so the first of equal extremes still wins.
    await checkReduce(
      'max',
      Float32Array.from({ length: 300 }, (_, i) => (i === 0 ? 0 : -0)),
      [300],
      [0],
    );
    await checkReduce(
      'min',
      Float32Array.from({ length: 300 }, (_, i) => (i === 0 ? -0 : 0)),
      [300],
      [0],
    );
    await checkReduce('any', Float32Array.of(0, -0, NaN, 0, -0, 0), [2, 3], [1]);
    await checkReduce('all', Float32Array.of(1, NaN, -0, 1, 2, 3), [2, 3], [1]);
  });

  it('reduces 100,000 elements to a scalar (float32 within the sum tolerance)', async () => {
    const x = seeded(100_000, 9);
    for (const kind of ['sum', 'mean', 'max', 'min', 'logSumExp', 'any'] as const)
      await checkReduce(kind, x, [100_000], [0]);
    await checkReduce('sum', seededInts(100_000, 3, 50_000), [100, 1000], [0, 1]);
  });

  it('runs one invocation per output past 65,535 workgroups', async () => {
    const x = seeded(4_200_000, 2);
    await checkReduce('max', x, [4_200_000, 1], [1]);
  });

  it('argReduce: first index of the max or min, NaN as the extreme, 0 for an empty axis', async () => {
    const k = gpuReduce(gpu.ctx);
    const check = async (kind: 'max' | 'min', x: TypedArray, shape: Shape, axis: number) => {
      const length = sizeOf(shape.filter((_, d) => d !== axis));
      const expected = new Int32Array(length);
      referenceKernels.argReduce(kind, x, shape, axis, expected);
      const out = gpu.ctx.allocate(length, 'int32');
      if (length > 0) gpu.ctx.write(out, new Int32Array(length).fill(-9)); // the kernel must write every index
      k.argReduce(kind, gpu.ctx.upload(x), shape, axis, out);
      expect(await gpu.ctx.read(out)).toEqual(expected);
    };
    const shapes: [Shape, number][] = [
      [[1], 0],
      [[9], 0],
      [[4, 6], 0],
      [[4, 6], 1],
      [[2, 3, 5], 1],
      [[2, 3, 4, 5], 2],
      [[3, 300], 1],
    ];
    for (const kind of ['max', 'min'] as const) {
      for (const [shape, axis] of shapes) {
        const size = sizeOf(shape);
        // Few distinct values: ties, where the first index wins.
        const x = Float32Array.from(seeded(size, size), (v) => Math.round(v * 3));
        await check(kind, x, shape, axis);
        await check(kind, Int32Array.from(x), shape, axis);
        x[Math.floor(size / 2)] = NaN;
        x[size - 1] = NaN;
        await check(kind, x, shape, axis);
      }
      await check(kind, new Float32Array(0), [3, 0], 1);
      await check(kind, new Float32Array(0), [2, 0, 3], 1);
      await check(kind, new Float32Array(0), [0, 3], 1);
    }
  });

  it('cumsum: inclusive, exclusive, reversed, along any axis (int32 exactly)', async () => {
    const k = gpuReduce(gpu.ctx);
    const shapes: [Shape, number][] = [
      [[1], 0],
      [[7], 0],
      [[3, 5], 0],
      [[3, 5], 1],
      [[2, 3, 4], 1],
      [[2, 3, 4, 2], 3],
      [[2, 0, 3], 1],
    ];
    for (const [shape, axis] of shapes) {
      for (const exclusive of [false, true]) {
        for (const reverse of [false, true]) {
          const size = sizeOf(shape);
          for (const x of [seeded(size, size + 1), seededInts(size, size, 2 ** 30)] as TypedArray[]) {
            const dtype: GpuDType = x instanceof Float32Array ? 'float32' : 'int32';
            const expected = typed(dtype, size);
            referenceKernels.cumsum(x, shape, axis, exclusive, reverse, expected);
            const out = gpu.ctx.allocate(size, dtype);
            k.cumsum(gpu.ctx.upload(x), shape, axis, exclusive, reverse, out);
            const n = shape[axis]!;
            expectClose(await gpu.ctx.read(out), expected, () => (dtype === 'int32' ? 0 : n * 2 ** -22));
          }
        }
      }
    }
  });

  it('softmax and log-softmax along any axis, with NaN, +Infinity and all -Infinity lanes', async () => {
    const k = gpuReduce(gpu.ctx);
    const shapes: [Shape, number][] = [
      [[1], 0],
      [[9], 0],
      [[4, 6], 0],
      [[4, 6], 1],
      [[2, 3, 5], 1],
      [[2, 3, 4, 5], 3],
      [[2, 0, 3], 1],
    ];
    const special = Float32Array.of(1, NaN, 2, 3, Infinity, -1, -Infinity, -Infinity, 5, Infinity, 100, -Infinity);
    const cases: [Float32Array, Shape, number][] = [
      ...shapes.map(([shape, axis]): [Float32Array, Shape, number] => [
        Float32Array.from(seeded(sizeOf(shape), 3), (v) => v * 20),
        shape,
        axis,
      ]),
      [special, [4, 3], 1],
      [Float32Array.of(1000, 1001, -1000, 88, 89, 90), [2, 3], 1],
    ];
    for (const [x, shape, axis] of cases) {
      for (const log of [false, true]) {
        const expected = new Float32Array(x.length);
        referenceKernels.softmax(x, shape, axis, log, expected);
        const out = gpu.ctx.allocate(x.length, 'float32');
        k.softmax(gpu.ctx.upload(x), shape, axis, log, out);
        expectClose(await gpu.ctx.read(out), expected, (i) => 2 ** -18 * Math.abs(expected[i]!) + 2 ** -20);
      }
    }
  });

  describe('optimizer steps (one dispatch, in place or not)', () => {
    const n = 300;
    const h = { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 3 };
    const tolerance = (expected: Float32Array) => (i: number) => 2 ** -18 * Math.abs(expected[i]!) + 2 ** -20;

    it('adamUpdate into fresh outputs and in place (outW = w, outM = m, outV = v)', async () => {
      const k = gpuOptimizers(gpu.ctx);
      const w = seeded(n, 1);
      const g = seeded(n, 2);
      const m = Float32Array.from(seeded(n, 3), (v) => v / 10);
      const v = Float32Array.from(seeded(n, 4), (x) => x * x);
      const [ew, em, ev] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
      referenceKernels.adamUpdate(w, g, m, v, h, ew, em, ev);
      for (const inPlace of [false, true]) {
        const [gw, gg, gm, gv] = [w, g, m, v].map((a) => gpu.ctx.upload(a)) as [GpuArray, GpuArray, GpuArray, GpuArray];
        const outs = inPlace ? [gw, gm, gv] : [0, 1, 2].map(() => gpu.ctx.allocate(n, 'float32'));
        const before = gpu.ctx.dispatches;
        k.adamUpdate(gw, gg, gm, gv, h, outs[0]!, outs[1]!, outs[2]!);
        expect(gpu.ctx.dispatches - before).toBe(1);
        expectClose(await gpu.ctx.read(outs[0]!), ew, tolerance(ew));
        expectClose(await gpu.ctx.read(outs[1]!), em, tolerance(em));
        expectClose(await gpu.ctx.read(outs[2]!), ev, tolerance(ev));
      }
    });

    it('sgdUpdate into a fresh output and in place', async () => {
      const k = gpuOptimizers(gpu.ctx);
      const w = seeded(n, 5);
      const g = seeded(n, 6);
      const expected = new Float32Array(n);
      referenceKernels.sgdUpdate(w, g, 0.3, expected);
      for (const inPlace of [false, true]) {
        const gw = gpu.ctx.upload(w);
        const out = inPlace ? gw : gpu.ctx.allocate(n, 'float32');
        k.sgdUpdate(gw, gpu.ctx.upload(g), 0.3, out);
        expectClose(await gpu.ctx.read(out), expected, tolerance(expected));
      }
    });
  });

  it('fillUniform and fillNormal give the CPU draws bit for bit (float32 and int32)', async () => {
    const k = gpuRandom(gpu.ctx);
    for (const dtype of ['float32', 'int32'] as const) {
      const expected = typed(dtype, 101);
      referenceKernels.fillUniform(expected, -3, 7, 42);
      const out = gpu.ctx.allocate(101, dtype);
      k.fillUniform(out, -3, 7, 42);
      expect(await gpu.ctx.read(out)).toEqual(expected);
      const normal = typed(dtype, 101);
      referenceKernels.fillNormal(normal, 2, 5, 7);
      k.fillNormal(out, 2, 5, 7);
      expect(await gpu.ctx.read(out)).toEqual(normal);
    }
  });
});
