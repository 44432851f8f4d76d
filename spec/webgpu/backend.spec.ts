/**
 * The webgpu backend end to end: `setBackend('webgpu')` on the adapter the probe found, tensors in GPU memory,
 * asynchronous reads, the errors a GPU tensor gives where a synchronous read or a CPU op meets it, moving data,
 * disposal and the pool, variables and optimizers, and tapes over GPU ops. Skipped, with the reason in its title,
 * where there is no adapter.
 */
import {
  GradientTape,
  backend,
  cast,
  checkNumerics,
  matmul,
  randomNormal,
  relu,
  scalar,
  setBackend,
  softmax,
  sum,
  tensor,
  toBackend,
  train,
  variable,
  withCheckNumerics,
  zeros,
  type Tensor,
} from '../../lib/index.js';
import { webgpuBackend } from '../../lib/backends.js';
import { uploadOf } from '../../lib/tensor.js';
import { createGpu } from './adapter.js';
import { describeGpu, gpuTitle } from './harness.js';

describeGpu(gpuTitle('the webgpu backend'), () => {
  const gpu = createGpu(); // kept reachable for as long as the device is used
  beforeAll(async () => {
    expect(await setBackend('webgpu', { gpu })).toBe(true);
  });
  afterEach(async () => {
    await setBackend('webgpu', { gpu }); // tests that switch away come back
  });
  afterAll(async () => {
    await setBackend('wasm-simd');
  });

  it('says webgpu, and new tensors and op outputs live in GPU memory', async () => {
    expect(backend()).toBe('webgpu');
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(x.onGpu).toBe(true);
    const y = x.mul(2).add(1);
    expect(y.onGpu).toBe(true);
    expect(await y.data()).toEqual(Float32Array.of(3, 5, 7, 9));
    expect(await y.array()).toEqual([
      [3, 5],
      [7, 9],
    ]);
  });

  it('refuses synchronous reads with what to do', () => {
    const x = tensor([1, 2, 3]);
    expect(() => x.dataSync()).toThrow(/lives on webgpu .*await t\.data\(\)/);
    expect(() => x.arraySync()).toThrow(/await t\.data\(\)/);
    expect(() => scalar(1).item()).toThrow(/await t\.data\(\)/);
  });

  it('prints dtype, shape and where the data is, without reading it', () => {
    const x = tensor([[1, 2, 3]]);
    expect(String(x)).toBe('Tensor(on webgpu, shape=[1,3], dtype=float32)');
    expect(x.printText(false)).toBe('Tensor\n    on webgpu: float32, shape [1,3] (await data() for the values)');
    expect(x.printText(true)).toContain('on webgpu');
    expect(x.printText(true)).toContain('shape: [1,3]');
  });

  it('refuses float64 with what to do', () => {
    expect(() => tensor([1, 2], [2], 'float64')).toThrow(/float64 has no kernels on webgpu .*cast\(x, 'float32'\)/);
  });

  it('a GPU tensor given to a CPU op is an error naming the op and toBackend', async () => {
    const x = tensor([1, 2, 3]);
    await setBackend('wasm-simd');
    expect(() => x.add(1)).toThrow(/tapegrad\.add: .* lives on webgpu.*await toBackend\(t, 'wasm-simd'\)/);
    const moved = await toBackend(x, 'wasm-simd');
    expect(moved.onGpu).toBe(false);
    expect(moved.add(1).dataSync()).toEqual(Float32Array.of(2, 3, 4));
  });

  it('uploads CPU inputs of GPU ops, once per tensor', async () => {
    await setBackend('wasm-simd');
    const cpu = tensor([1, 2, 3]);
    await setBackend('webgpu', { gpu });
    const a = cpu.mul(2);
    const b = cpu.add(1);
    expect(cpu.onGpu).toBe(false);
    expect(uploadOf(cpu)).toBeDefined();
    expect(await a.data()).toEqual(Float32Array.of(2, 4, 6));
    expect(await b.data()).toEqual(Float32Array.of(2, 3, 4));
    const moved = await toBackend(cpu, 'webgpu');
    expect(moved.onGpu).toBe(true);
    expect(await moved.data()).toEqual(Float32Array.of(1, 2, 3));
  });

  it('dispose returns memory to the pool; a disposed tensor errors on use; views keep the memory', async () => {
    const pool = webgpuBackend()!.ctx.pool;
    const x = zeros([1000]);
    const view = x.reshape([10, 100]);
    x.dispose();
    expect(await view.sum().data()).toEqual(Float32Array.of(0)); // the view still holds the memory
    // No await from here on: the pool's collector callbacks (tensors the collector took) cannot run in between.
    const before = pool.bytesInUse;
    view.dispose();
    expect(before - pool.bytesInUse).toBe(4096);
    expect(() => view.add(1)).toThrow(/was disposed/);
    await expect(view.data()).rejects.toThrow(/was disposed/);
  });

  it('matches the CPU on a small MLP forward and backward', async () => {
    const run = (): Tensor[] => {
      const x = randomNormal([8, 5], 0, 1, 'float32', 1);
      const w1 = randomNormal([5, 7], 0, 1, 'float32', 2);
      const w2 = randomNormal([7, 3], 0, 1, 'float32', 3);
      const tape = new GradientTape();
      tape.watch([w1, w2]);
      const logits = matmul(relu(matmul(x, w1)), w2);
      const loss = sum(softmax(logits).mul(logits));
      return [loss, ...(tape.gradient(loss, [w1, w2]) as Tensor[])];
    };
    const gpuValues = await Promise.all(run().map((t) => t.data()));
    await setBackend('wasm-simd');
    const cpuValues = run().map((t) => t.dataSync());
    gpuValues.forEach((g, i) =>
      Array.from(g).forEach((v, j) => expect(Math.abs(v - cpuValues[i]![j]!)).toBeLessThan(1e-4 * (1 + Math.abs(v)))),
    );
  });

  it('trains variables with Adam on the GPU as on the CPU', async () => {
    const fit = async (): Promise<Float32Array> => {
      const w = variable(tensor([[0.5], [-0.25]]), { name: 'w' });
      const x = tensor([
        [1, 2],
        [3, 4],
        [5, 6],
      ]);
      const y = tensor([[1], [2], [3]]);
      const opt = train.adam(0.1);
      for (let i = 0; i < 5; i++) opt.minimize(() => x.matmul(w).sub(y).square().mean() as Tensor<'float32'>);
      return (await w.data()) as Float32Array;
    };
    const onGpu = await fit();
    await setBackend('wasm-simd');
    const onCpu = await fit();
    Array.from(onGpu).forEach((v, i) => expect(Math.abs(v - onCpu[i]!)).toBeLessThan(1e-5));
  });

  it('checkNumerics reports a NaN at the next read, with the message', async () => {
    const x = tensor([1, -1, 4]);
    const ok = checkNumerics(x.sqrt().add(1), 'root'); // no error yet: the device checks
    await expect(ok.data()).rejects.toThrow(
      /tapegrad\.checkNumerics: root: the float32 \[3\] tensor on webgpu holds NaN or ±Infinity/,
    );
    expect(await checkNumerics(x.abs().sqrt(), 'fine').data()).toEqual(Float32Array.of(1, 1, 2)); // reported once
  });

  it('enableCheckNumerics names the op and where it was called, forward and backward, at the next read', async () => {
    const x = tensor([0, 1]);
    await expect(withCheckNumerics(() => x.log().mul(2)).data()).rejects.toThrow(
      /'log' gave NaN or ±Infinity in the forward pass \(a float32 \[2\] result on webgpu, found at this read\)/,
    );
    const tape = new GradientTape();
    tape.watch(x);
    const y = x.sqrt().sum();
    const g = withCheckNumerics(() => tape.gradient(y, x)!);
    await expect(g.data()).rejects.toThrow(/the VJP of 'sqrt' gave NaN or ±Infinity in the backward pass/);
  });

  it('gather with indices on the GPU reports one out of range at the next read', async () => {
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const indices = tensor([2, 0, 1], undefined, 'int32').add(tensor([0, 5, 0], undefined, 'int32')); // on the GPU: [2, 5, 1]
    const rows = x.gather(indices);
    await expect(rows.data()).rejects.toThrow(/tapegrad\.gather: an index held on the GPU was outside its axis/);
    expect(await x.gather(tensor([2, 0], undefined, 'int32')).array()).toEqual([
      [5, 6],
      [1, 2],
    ]);
    const late = x.gather(tensor([3], undefined, 'int32')); // made on the GPU: checked there, not when the op runs
    await expect(late.data()).rejects.toThrow(/outside its axis/);
  });

  it('casts between dtypes and compares on the GPU', async () => {
    const x = tensor([-1.5, 0, 2.7]);
    expect(await cast(x, 'int32').data()).toEqual(Int32Array.of(-1, 0, 2));
    expect(await x.greater(0).data()).toEqual(Uint8Array.of(0, 0, 1));
  });
});
