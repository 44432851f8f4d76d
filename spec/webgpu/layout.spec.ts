/**
 * The WebGPU layout, slicing and indexing kernels against the CPU reference kernels. They copy words or add them in
 * the CPU's order, so every result is compared bit for bit (float32 through its bits: -0 and NaN payloads count).
 */
import type { TypedArray } from '../../lib/dtype.js';
import { referenceKernels } from '../../lib/kernels/index.js';
import type { GpuArray, GpuDType } from '../../lib/kernels/webgpu/buffers.js';
import { CONCAT_PARTS_PER_DISPATCH, gpuLayout } from '../../lib/kernels/webgpu/layout.js';
import { sizeOf, type Shape } from '../../lib/shape.js';
import { describeGpu, gpuTitle, seeded, useGpuContext } from './harness.js';

const DTYPES: readonly GpuDType[] = ['float32', 'int32', 'bool'];

/** Seeded values of a dtype: floats in [-1, 1), int32 over its whole range, bools about half true. */
function values(size: number, dtype: GpuDType, seed: number): TypedArray {
  const s = seeded(size, seed);
  if (dtype === 'float32') return s;
  if (dtype === 'int32') return Int32Array.from(s, (v) => Math.round(v * 2 ** 31));
  return Uint8Array.from(s, (v) => (v > 0 ? 1 : 0));
}

/** A zeroed CPU array of a dtype. */
function cpuArray(size: number, dtype: GpuDType): TypedArray {
  return dtype === 'float32' ? new Float32Array(size) : dtype === 'int32' ? new Int32Array(size) : new Uint8Array(size);
}

/** What to compare: float32 as its bits, so that -0 and 0 differ. */
function bits(a: TypedArray): TypedArray | Uint32Array {
  return a instanceof Float32Array ? new Uint32Array(a.buffer, a.byteOffset, a.length) : a;
}

describeGpu(gpuTitle('WebGPU layout kernels'), () => {
  const gpu = useGpuContext();

  /**
   * Runs a kernel on the CPU into a fresh array of `size` (or a copy of `initial`) and on the GPU into an uploaded
   * one, and expects the same bits.
   */
  async function same(
    size: number,
    dtype: GpuDType,
    cpu: (out: TypedArray) => void,
    onGpu: (out: GpuArray) => void,
    initial?: TypedArray,
  ): Promise<void> {
    const expected = initial === undefined ? cpuArray(size, dtype) : initial.slice();
    cpu(expected);
    const out = initial === undefined ? gpu.ctx.allocate(size, dtype) : gpu.ctx.upload(initial, dtype);
    onGpu(out);
    const actual = bits(await gpu.ctx.read(out));
    if (actual.length <= 10000) {
      expect(actual).toEqual(bits(expected));
    } else {
      // Jest's deep equality takes seconds over millions of elements: compare the bytes, report the first mismatch.
      const want = bits(expected);
      expect(actual.length).toBe(want.length);
      const i = actual.findIndex((v, j) => v !== want[j]);
      expect(i === -1 ? undefined : { index: i, gpu: actual[i], cpu: want[i] }).toBeUndefined();
    }
  }

  const up = (x: TypedArray, dtype: GpuDType): GpuArray => gpu.ctx.upload(x, dtype);

  describe.each(DTYPES)('%s', (dtype) => {
    it.each<[Shape, number[]]>([
      [[], []],
      [[5], [0]],
      [
        [3, 4],
        [1, 0],
      ],
      [
        [2, 3, 4],
        [2, 0, 1],
      ],
      [
        [2, 3, 4, 5],
        [3, 1, 0, 2],
      ],
      [
        [2, 1, 3, 1],
        [1, 3, 0, 2],
      ],
      [
        [0, 3],
        [1, 0],
      ],
      [
        [2, 0, 3],
        [2, 1, 0],
      ],
    ])('transpose %j by %j', async (shape, perm) => {
      const k = gpuLayout(gpu.ctx);
      const x = values(sizeOf(shape), dtype, 1);
      await same(
        x.length,
        dtype,
        (out) => referenceKernels.transpose(x, shape, perm, out),
        (out) => k.transpose(up(x, dtype), shape, perm, out),
      );
    });

    it.each<[Shape, Shape]>([
      [[], [3, 4]],
      [[1], [5]],
      [[4], [3, 4]],
      [
        [3, 1],
        [2, 3, 4],
      ],
      [
        [2, 1, 3],
        [2, 5, 3],
      ],
      [
        [3, 4],
        [3, 4],
      ],
      [
        [2, 1, 3, 1],
        [2, 2, 3, 2],
      ],
      [
        [1, 4],
        [0, 4],
      ],
    ])('broadcastTo %j -> %j', async (shape, outShape) => {
      const k = gpuLayout(gpu.ctx);
      const x = values(sizeOf(shape), dtype, 2);
      await same(
        sizeOf(outShape),
        dtype,
        (out) => referenceKernels.broadcastTo(x, shape, out, outShape),
        (out) => k.broadcastTo(up(x, dtype), shape, out, outShape),
      );
    });

    // [shape, begin, step, size]
    const windows: [Shape, number[], number[], Shape][] = [
      [[], [], [], []],
      [[10], [9], [-1], [10]],
      [[10], [1], [3], [3]],
      [
        [4, 5],
        [1, 4],
        [2, -2],
        [2, 3],
      ],
      [
        [4, 5],
        [1, 0],
        [1, 1],
        [2, 5],
      ],
      [
        [3, 4, 5],
        [2, 0, 1],
        [-1, 2, 1],
        [3, 2, 3],
      ],
      [
        [2, 3, 4, 5],
        [1, 2, 3, 4],
        [-1, -1, -1, -1],
        [2, 3, 4, 5],
      ],
      [
        [4, 5],
        [0, 0],
        [1, 1],
        [0, 5],
      ],
    ];

    it.each(windows)('stridedRead %j from %j step %j size %j', async (shape, begin, step, size) => {
      const k = gpuLayout(gpu.ctx);
      const x = values(sizeOf(shape), dtype, 3);
      await same(
        sizeOf(size),
        dtype,
        (out) => referenceKernels.stridedRead(x, shape, begin, step, size, out),
        (out) => k.stridedRead(up(x, dtype), shape, begin, step, size, out),
      );
    });

    it.each(windows)(
      'stridedWrite into %j at %j step %j size %j, keeping the rest',
      async (shape, begin, step, size) => {
        const k = gpuLayout(gpu.ctx);
        const src = values(sizeOf(size), dtype, 4);
        const initial = values(sizeOf(shape), dtype, 5);
        await same(
          initial.length,
          dtype,
          (out) => referenceKernels.stridedWrite(src, out, shape, begin, step, size),
          (out) => k.stridedWrite(up(src, dtype), out, shape, begin, step, size),
          initial,
        );
      },
    );

    it('stridedWrite pads into a zero-filled allocation', async () => {
      const k = gpuLayout(gpu.ctx);
      const src = values(12, dtype, 6);
      await same(
        5 * 7,
        dtype,
        (out) => referenceKernels.stridedWrite(src, out, [5, 7], [1, 2], [1, 1], [3, 4]),
        (out) => k.stridedWrite(up(src, dtype), out, [5, 7], [1, 2], [1, 1], [3, 4]),
      );
    });

    it.each<[number[], number]>([
      [[3, 1, 0, 4, 2, 2, 5, 1, 3, 2], 3],
      [[4], 2],
      [[2, 3], 0],
      [[0, 0], 3],
    ])('concat of inners %j, outer %d', async (inners, outer) => {
      const k = gpuLayout(gpu.ctx);
      const parts = inners.map((inner, i) => values(inner * outer, dtype, 10 + i));
      const total = inners.reduce((a, b) => a + b, 0);
      const before = gpu.ctx.dispatches;
      await same(
        outer * total,
        dtype,
        (out) => referenceKernels.concat(parts, inners, outer, out),
        (out) =>
          k.concat(
            parts.map((p) => up(p, dtype)),
            inners,
            outer,
            out,
          ),
      );
      // Parts with no columns take no binding; the others go CONCAT_PARTS_PER_DISPATCH to a dispatch.
      const nonEmpty = outer === 0 ? 0 : inners.filter((n) => n !== 0).length;
      expect(gpu.ctx.dispatches - before).toBe(Math.ceil(nonEmpty / CONCAT_PARTS_PER_DISPATCH));
    });

    it('concat binds one array twice (x with itself)', async () => {
      const k = gpuLayout(gpu.ctx);
      const x = values(6, dtype, 20);
      const onGpu = up(x, dtype);
      await same(
        12,
        dtype,
        (out) => referenceKernels.concat([x, x], [3, 3], 2, out),
        (out) => k.concat([onGpu, onGpu], [3, 3], 2, out),
      );
    });

    it.each<[Shape, number[]]>([
      [[], []],
      [[3], [2]],
      [
        [2, 3],
        [2, 1],
      ],
      [
        [2, 1, 3],
        [1, 3, 2],
      ],
      [
        [1, 2, 2, 1],
        [2, 1, 2, 3],
      ],
      [
        [2, 3],
        [0, 2],
      ],
      [
        [0, 3],
        [2, 2],
      ],
    ])('tile %j by %j', async (shape, reps) => {
      const k = gpuLayout(gpu.ctx);
      const x = values(sizeOf(shape), dtype, 7);
      await same(
        sizeOf(shape.map((n, d) => n * reps[d]!)),
        dtype,
        (out) => referenceKernels.tile(x, shape, reps, out),
        (out) => k.tile(up(x, dtype), shape, reps, out),
      );
    });

    // [batch, outer, dim, inner, indices]
    const geometries: [number, number, number, number, number[]][] = [
      [1, 1, 5, 1, [4, 0, 0, 2]],
      [1, 3, 4, 5, [3, 3, 1, 0, 3]],
      [2, 3, 4, 2, [0, 2, 2, 1, 1, 1]],
      [3, 1, 2, 3, [1, 1, 1, 1, 0, 1]],
      [1, 2, 3, 4, []],
      [0, 2, 3, 4, []],
      [2, 0, 3, 4, [0, 1]],
    ];

    it.each(geometries)('gatherAxis batch %d outer %d dim %d inner %d at %j', async (batch, outer, dim, inner, idx) => {
      const k = gpuLayout(gpu.ctx);
      const indices = Int32Array.from(idx);
      const x = values(batch * outer * dim * inner, dtype, 8);
      const n = batch === 0 ? 0 : indices.length / batch;
      await same(
        batch * outer * n * inner,
        dtype,
        (out) => referenceKernels.gatherAxis(x, indices, batch, outer, dim, inner, out),
        (out) => k.gatherAxis(up(x, dtype), up(indices, 'int32'), batch, outer, dim, inner, out),
      );
    });

    if (dtype !== 'bool') {
      it.each(geometries)(
        'scatterAddAxis batch %d outer %d dim %d inner %d at %j',
        async (batch, outer, dim, inner, idx) => {
          const k = gpuLayout(gpu.ctx);
          const indices = Int32Array.from(idx);
          const n = batch === 0 ? 0 : indices.length / batch;
          const dy = values(batch * outer * n * inner, dtype, 9);
          // A prefilled out: the kernels write every element (the CPU's zero-fill first).
          const initial = values(batch * outer * dim * inner, dtype, 99);
          await same(
            initial.length,
            dtype,
            (out) => referenceKernels.scatterAddAxis(dy, indices, batch, outer, dim, inner, out),
            (out) => k.scatterAddAxis(up(dy, dtype), up(indices, 'int32'), batch, outer, dim, inner, out),
            initial,
          );
        },
      );
    }

    it('oneHot with indices outside [0, depth) giving rows of offValue', async () => {
      const k = gpuLayout(gpu.ctx);
      const indices = Int32Array.from([2, 0, -1, 4, 3, 2, 7]);
      const [on, off] = dtype === 'bool' ? [1, 0] : [5.7, -1.5];
      await same(
        indices.length * 4,
        dtype,
        (out) => referenceKernels.oneHot(indices, 4, on, off, out),
        (out) => k.oneHot(up(indices, 'int32'), 4, on, off, out),
      );
    });
  });

  it('transpose [2100, 2100]: more than 65,535 workgroups of 64', async () => {
    const k = gpuLayout(gpu.ctx);
    const shape = [2100, 2100];
    const x = values(2100 * 2100, 'float32', 30);
    expect(gpu.ctx.grid(x.length)[1]).toBeGreaterThan(1);
    await same(
      x.length,
      'float32',
      (out) => referenceKernels.transpose(x, shape, [1, 0], out),
      (out) => k.transpose(up(x, 'float32'), shape, [1, 0], out),
    );
  });

  it('scatterAddAxis adds many repeats in the CPU order, bit for bit, and 0 + -0 is +0', async () => {
    const k = gpuLayout(gpu.ctx);
    // 200 indices over 3 slots: each slot sums ~67 values whose rounding depends on the order of the additions.
    const indices = Int32Array.from({ length: 200 }, (_, j) => (j * 7) % 3);
    const dy = Float32Array.from(seeded(200 * 4, 40), (v, i) => (i === 1 ? -0 : v * 10 ** ((i % 7) - 3)));
    // Slot 0 receives only -0: the CPU's zeroed out plus -0 is +0, and so must the GPU's sum be.
    const lone = Int32Array.of(0, 1);
    const loneDy = Float32Array.of(-0, 1);
    await same(
      3 * 4,
      'float32',
      (out) => referenceKernels.scatterAddAxis(dy, indices, 1, 1, 3, 4, out),
      (out) => k.scatterAddAxis(up(dy, 'float32'), up(indices, 'int32'), 1, 1, 3, 4, out),
    );
    await same(
      3,
      'float32',
      (out) => referenceKernels.scatterAddAxis(loneDy, lone, 1, 1, 3, 1, out),
      (out) => k.scatterAddAxis(up(loneDy, 'float32'), up(lone, 'int32'), 1, 1, 3, 1, out),
    );
  });

  it('scatterAddAxis on int32 wraps as the CPU does', async () => {
    const k = gpuLayout(gpu.ctx);
    const indices = Int32Array.of(1, 1, 1, 0);
    const dy = Int32Array.of(2 ** 31 - 1, 5, -3, -(2 ** 31));
    await same(
      2,
      'int32',
      (out) => referenceKernels.scatterAddAxis(dy, indices, 1, 1, 2, 1, out),
      (out) => k.scatterAddAxis(up(dy, 'int32'), up(indices, 'int32'), 1, 1, 2, 1, out),
    );
  });

  it('gatherAxis writes 0 for an index outside [0, dim), reads nothing outside x, and the next read says so', async () => {
    const k = gpuLayout(gpu.ctx);
    const x = Float32Array.of(1, 2, 3, 4, 5, 6); // [1, 3, 2]
    const out = gpu.ctx.allocate(4 * 2, 'float32');
    k.gatherAxis(gpu.ctx.upload(x), gpu.ctx.upload(Int32Array.of(2, 3, -1, 1e6)), 1, 1, 3, 2, out);
    await expect(gpu.ctx.read(out)).rejects.toThrow(/tapegrad\.gather: an index held on the GPU was outside its axis/);
    expect(await gpu.ctx.read(out)).toEqual(Float32Array.of(5, 6, 0, 0, 0, 0, 0, 0)); // reported once
    const fine = gpu.ctx.allocate(2, 'float32');
    k.gatherAxis(gpu.ctx.upload(x), gpu.ctx.upload(Int32Array.of(0)), 1, 1, 3, 2, fine);
    expect(await gpu.ctx.read(fine)).toEqual(Float32Array.of(1, 2)); // in range: no error
  });

  it('oneHot converts onValue and offValue as the output dtype stores them', async () => {
    const k = gpuLayout(gpu.ctx);
    const indices = Int32Array.of(1, 0, 2);
    for (const dtype of DTYPES) {
      await same(
        6,
        dtype,
        (out) => referenceKernels.oneHot(indices, 2, 2.75, -0, out),
        (out) => k.oneHot(up(indices, 'int32'), 2, 2.75, -0, out),
      );
    }
    const empty = gpu.ctx.allocate(0, 'float32');
    k.oneHot(up(indices, 'int32'), 0, 1, 0, empty);
    expect(await gpu.ctx.read(empty)).toEqual(new Float32Array(0));
  });
});
