/**
 * The WGSL matrix product against the TypeScript kernel: transposes read in place, broadcast batch axes, sizes that
 * are not multiples of the tile, an empty inner dimension, and more rows and columns than one tile holds. Skipped,
 * with the reason in its title, where there is no adapter.
 */
import { referenceKernels } from '../../lib/kernels/index.js';
import { gpuMatmul } from '../../lib/kernels/webgpu/matmul.js';
import { broadcastShapes, sizeOf, type Shape } from '../../lib/shape.js';
import { describeGpu, gpuTitle, seeded, useGpuContext } from './harness.js';

describeGpu(gpuTitle('the WebGPU matrix product'), () => {
  const gpu = useGpuContext();

  const cases: [Shape, Shape, boolean, boolean][] = [
    [[5, 7], [7, 3], false, false],
    [[7, 5], [7, 3], true, false],
    [[5, 7], [3, 7], false, true],
    [[7, 5], [3, 7], true, true],
    [[33, 47], [47, 18], false, false],
    [[2, 3, 17, 19], [3, 19, 18], false, false],
    [[1, 4, 16], [2, 16, 4], false, false],
    [[64, 128], [64, 96], true, false],
    [[130, 70], [70, 129], false, false],
    [[129, 65], [131, 65], false, true],
    [[1, 300], [300, 1], false, false],
    [[3, 0], [0, 4], false, false],
    [[2, 65, 70], [70, 64], false, false],
    [[200, 64], [200, 70], true, false],
    [[64, 0], [0, 64], false, false],
  ];
  it.each(cases)('%j @ %j (transposes %s, %s) matches the TypeScript kernel', async (aShape, bShape, tA, tB) => {
    const ra = aShape.length;
    const rb = bShape.length;
    const m = aShape[tA ? ra - 1 : ra - 2]!;
    const k = aShape[tA ? ra - 2 : ra - 1]!;
    const n = bShape[tB ? rb - 2 : rb - 1]!;
    const aBatch = aShape.slice(0, -2);
    const bBatch = bShape.slice(0, -2);
    const outBatch = broadcastShapes('matmul', aBatch, bBatch);
    const a = seeded(sizeOf(aShape), 4);
    const b = seeded(sizeOf(bShape), 5);
    const expected = new Float32Array(sizeOf(outBatch) * m * n);
    referenceKernels.matmul(a, aBatch, b, bBatch, outBatch, m, k, n, tA, tB, expected);
    const { ctx } = gpu;
    const out = ctx.allocate(expected.length, 'float32');
    ctx.write(
      out,
      Float32Array.from(expected, () => 7),
    ); // stale values the product must overwrite
    gpuMatmul(ctx).matmul(ctx.upload(a), aBatch, ctx.upload(b), bBatch, outBatch, m, k, n, tA, tB, out);
    const got = await ctx.read(out);
    // Sums of k products of values in [-1, 1), in another order: within a few float32 rounding errors of k.
    got.forEach((x, i) => expect(Math.abs(x - expected[i]!)).toBeLessThanOrEqual(Math.max(k, 1) * 2 ** -22));
  });

  it('refuses int32 with what to do', () => {
    const { ctx } = gpu;
    const a = ctx.upload(Int32Array.of(1, 2));
    expect(() => gpuMatmul(ctx).matmul(a, [], a, [], [], 1, 2, 1, false, true, ctx.allocate(1, 'int32'))).toThrow(
      /float32 only on the GPU, got int32/,
    );
  });
});
