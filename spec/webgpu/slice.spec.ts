/**
 * The WebGPU kernels of the spike (lib/kernels/webgpu/) against the TypeScript kernels: broadcasting binary ops and
 * the matrix product, on the adapter Node's `webgpu` package finds (SwiftShader in CI). Skipped, with the reason in
 * its title, where there is none.
 */
import { referenceKernels } from '../../lib/kernels/index.js';
import { WebGpuKernels, type WgslBinaryKernel } from '../../lib/kernels/webgpu/index.js';
import { broadcastShapes, sizeOf, type Shape } from '../../lib/shape.js';
import { adapterProbe, createGpu } from './adapter.js';

const describeGpu = adapterProbe.name !== undefined ? describe : describe.skip;
const title =
  adapterProbe.name !== undefined
    ? `WebGPU kernels on ${adapterProbe.name}`
    : `WebGPU kernels (skipped: no WebGPU adapter: ${adapterProbe.reason})`;
// A suite whose tests are all skipped prints no titles: say why here.
if (adapterProbe.name === undefined) console.warn(title);

/** Seeded values in [-1, 1) (a linear congruential generator: the same on every run). */
function values(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

describeGpu(title, () => {
  let gpu: WebGpuKernels;
  beforeAll(async () => {
    gpu = await WebGpuKernels.create({ gpu: createGpu() });
  });
  afterAll(() => gpu?.destroy());

  const binaryCases: [WgslBinaryKernel, Shape, Shape][] = [
    ['add', [3, 4], [3, 4]],
    ['add', [3, 4], [4]],
    ['add', [2, 1, 5], [3, 1]],
    ['add', [], [7]],
    ['add', [0, 3], [3]],
    ['sub', [4, 1], [1, 6]],
    ['mul', [2, 3, 4, 5], [3, 1, 5]],
    ['mul', [1000, 37], []],
    ['div', [5, 6], [6]],
  ];
  it.each(binaryCases)('%s of %j and %j broadcasts as the TypeScript kernel does', async (op, aShape, bShape) => {
    const outShape = broadcastShapes(op, aShape, bShape);
    const a = values(sizeOf(aShape), 1);
    const b = values(sizeOf(bShape), 2).map((x) => (op === 'div' ? x + 2 : x)); // divisors in [1, 3)
    const expected = new Float32Array(sizeOf(outShape));
    referenceKernels.binary(op, a, aShape, b, bShape, expected, outShape);
    const out = gpu.binary(op, gpu.upload(a), aShape, gpu.upload(b), bShape, outShape);
    const got = await gpu.read(out);
    if (op === 'div') {
      // WGSL allows division 2.5 ULP from the rounded quotient.
      got.forEach((x, i) => expect(Math.abs(x - expected[i]!)).toBeLessThanOrEqual(4e-7 * Math.abs(expected[i]!)));
    } else {
      expect(got).toEqual(expected); // one IEEE operation: the same bits
    }
  });

  it('adds int32 arrays exactly', async () => {
    const a = Int32Array.from([1, -2, 2 ** 30, 7]);
    const b = Int32Array.from([10]);
    const out = gpu.binary('add', gpu.upload(a), [4], gpu.upload(b), [1], [4]);
    expect(await gpu.read(out)).toEqual(Int32Array.from([11, 8, 2 ** 30 + 10, 17]));
  });

  it('adds more elements than one row of 65,535 workgroups holds', async () => {
    const n = 65535 * 64 + 1000;
    const a = values(n, 3);
    const out = await gpu.read(gpu.binary('add', gpu.upload(a), [n], gpu.upload(Float32Array.of(1)), [], [n]));
    expect(out[n - 1]).toBe(Math.fround(a[n - 1]! + 1));
    expect(out[0]).toBe(Math.fround(a[0]! + 1));
  });

  const matmulCases: [Shape, Shape, boolean, boolean][] = [
    [[5, 7], [7, 3], false, false],
    [[7, 5], [7, 3], true, false],
    [[5, 7], [3, 7], false, true],
    [[7, 5], [3, 7], true, true],
    [[33, 47], [47, 18], false, false],
    [[2, 3, 17, 19], [3, 19, 18], false, false],
    [[1, 4, 16], [2, 16, 4], false, false],
    [[64, 128], [64, 96], true, false],
  ];
  it.each(matmulCases)(
    'matmul of %j and %j (transposes %s, %s) matches the TypeScript kernel',
    async (aShape, bShape, tA, tB) => {
      const ra = aShape.length;
      const rb = bShape.length;
      const m = aShape[tA ? ra - 1 : ra - 2]!;
      const k = aShape[tA ? ra - 2 : ra - 1]!;
      const n = bShape[tB ? rb - 2 : rb - 1]!;
      const aBatch = aShape.slice(0, -2);
      const bBatch = bShape.slice(0, -2);
      const outBatch = broadcastShapes('matmul', aBatch, bBatch);
      const a = values(sizeOf(aShape), 4);
      const b = values(sizeOf(bShape), 5);
      const expected = new Float32Array(sizeOf(outBatch) * m * n);
      referenceKernels.matmul(a, aBatch, b, bBatch, outBatch, m, k, n, tA, tB, expected);
      const got = await gpu.read(gpu.matmul(gpu.upload(a), aBatch, gpu.upload(b), bBatch, outBatch, m, k, n, tA, tB));
      // Sums of k products of values in [-1, 1), in another order: within a few float32 rounding errors of k.
      got.forEach((x, i) => expect(Math.abs(x - expected[i]!)).toBeLessThanOrEqual(k * 2 ** -22));
    },
  );

  it('reports work the device refused at the next read, once', async () => {
    const array = gpu.upload(Float32Array.of(1, 2));
    gpu.context.device.createBuffer({ size: 4, usage: 0 }); // no usage: a validation error, raised on the device
    await expect(gpu.read(array)).rejects.toThrow(/tapegrad.webgpu: the device refused earlier work: /);
    expect(await gpu.read(array)).toEqual(Float32Array.of(1, 2));
  });

  it('refuses float64 with what to do', () => {
    expect(() => gpu.upload(new Float64Array(2))).toThrow(/float64 has no GPU kernels .*cast to float32.*CPU backend/);
  });

  it('returns buffers to the pool and reuses them', () => {
    const before = gpu.pool.bytesInUse;
    const array = gpu.upload(values(1000, 6)); // 4,000 bytes: a 4,096-byte buffer
    expect(gpu.pool.bytesInUse - before).toBe(4096);
    const owner = {};
    gpu.pool.track(owner, array);
    gpu.pool.freeNow(owner, array);
    gpu.pool.freeNow(owner, array); // once only
    expect(gpu.pool.bytesInUse).toBe(before);
    expect(gpu.upload(values(900, 7)).buffer).toBe(array.buffer);
  });
});
