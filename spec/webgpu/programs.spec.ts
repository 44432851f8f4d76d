/**
 * Whole programs on the webgpu backend: the seed lesson's three programs written with `await array()`, every
 * transform (grad, valueAndGrad, vjp, hessian, jacobian, batchJacobian, customGradient, forward mode, variableGrads)
 * against the CPU backend, and GPU memory over 1,000 training steps with no `dispose()`: the pool returns buffers
 * once their tensors are collected. Skipped, with the reason in its title, where there is no adapter.
 */
import {
  ForwardAccumulator,
  GradientTape,
  add,
  customGradient,
  grad,
  hessian,
  io,
  matmul,
  randomNormal,
  setBackend,
  stopGradient,
  tensor,
  train,
  valueAndGrad,
  variable,
  variableGrads,
  vjp,
  type SaveFunc,
  type Tensor,
} from '../../lib/index.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { webgpuBackend } from '../../lib/backends.js';
import { loadSafetensors, saveSafetensors } from '../../lib/node.js';
import { createGpu } from './adapter.js';
import { describeGpu, gpuTitle } from './harness.js';

/** Runs V8's full collector, then lets the finalizers it scheduled run (they are tasks, after this one). */
async function collectGarbage(): Promise<void> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  for (let round = 0; round < 3; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** A gradient as the lesson prints it, read asynchronously: its values, or `undefined` (TensorFlow's None). */
async function show(g: Tensor | undefined): Promise<string> {
  return g === undefined ? 'undefined' : JSON.stringify(await g.array()).replace(/,/g, ', ');
}

describeGpu(gpuTitle('programs on the webgpu backend'), () => {
  const gpu = createGpu(); // kept reachable for as long as the device is used
  beforeEach(async () => {
    expect(await setBackend('webgpu', { gpu })).toBe(true);
  });
  afterAll(async () => {
    await setBackend('wasm-simd');
  });

  it("runs the seed lesson's three programs and prints its numbers", async () => {
    const lines: string[] = [];
    {
      const w1 = variable([[1, 2]]);
      const tape = new GradientTape();
      const y = matmul(w1, [[9], [10]]);
      const [g] = tape.gradient(y, [w1]);
      lines.push(await show(g));
    }
    const [w1, w2, w3, w4] = [0, 1, 2, 3].map((i) => variable(tensor([0.1 * i, 0.2 * i]), { name: `w${i + 1}` }));
    const tape = new GradientTape({ persistent: true });
    const y1 = add(add(w1!, w2!), w3!);
    const y2 = add(w3!, w4!);
    const grads = tape.gradient([y1, y2], [w1!, w2!, w3!, w4!], [tensor([1, 2]), tensor([3, 4])]);
    lines.push((await Promise.all(grads.map(show))).join(' '));
    const y3 = add(stopGradient(add(w1!, w2!)), w3!);
    lines.push((await Promise.all(tape.gradient(y3, [w1!, w2!, w3!], tensor([1, 2])).map(show))).join(' '));
    lines.push(await show(tape.gradient(y3, [w3!], tensor([1, 2]))[0]));
    expect(w1!.onGpu).toBe(true);
    expect(lines).toEqual(['[[9, 10]]', '[1, 2] [1, 2] [4, 6] [3, 4]', 'undefined undefined [1, 2]', '[1, 2]']);
  });

  /** Runs `program` on webgpu and then on the CPU (wasm-simd) and gives both results' values. */
  async function both(program: () => Tensor[]): Promise<[Float32Array[], Float32Array[]]> {
    const onGpu = program();
    expect(onGpu.every((t) => t.onGpu)).toBe(true);
    const gpuValues = (await Promise.all(onGpu.map((t) => t.data()))) as Float32Array[];
    await setBackend('wasm-simd');
    const cpuValues = program().map((t) => t.dataSync() as Float32Array);
    return [gpuValues, cpuValues];
  }

  const close = ([gpuValues, cpuValues]: [Float32Array[], Float32Array[]]) => {
    expect(gpuValues.map((v) => v.length)).toEqual(cpuValues.map((v) => v.length));
    gpuValues.forEach((g, i) =>
      g.forEach((v, j) => expect(Math.abs(v - cpuValues[i]![j]!)).toBeLessThanOrEqual(2e-5 * (1 + Math.abs(v)))),
    );
  };

  const x0 = () => randomNormal([3, 4], 0, 1, 'float32', 7);
  const f = (x: Tensor) => x.tanh().mul(x).sum();

  it('grad, valueAndGrad and vjp give the CPU numbers', async () => {
    close(
      await both(() => {
        const x = x0();
        const { value, grad: g } = valueAndGrad(f)(x);
        const [y, back] = vjp((a: Tensor) => a.exp().mul(2), x);
        return [
          grad(f)(x),
          value,
          g,
          y,
          ...back(
            tensor(
              Array.from({ length: 12 }, (_, i) => i / 12),
              [3, 4],
            ),
          ),
        ];
      }),
    );
  });

  it('hessian, jacobian and batchJacobian give the CPU numbers', async () => {
    close(
      await both(() => {
        const x = x0();
        const tape = new GradientTape({ persistent: true });
        tape.watch(x);
        const y = x.sin().mul(x.sum(1, true));
        const rows = x.square().mul(3);
        return [hessian((v) => v.pow(3).sum())(x.reshape([12])), tape.jacobian(y, x)!, tape.batchJacobian(rows, x)!];
      }),
    );
  });

  it('custom gradients, forward mode and variableGrads give the CPU numbers', async () => {
    close(
      await both(() => {
        const x = x0();
        const clipped = customGradient((v: Tensor, save: SaveFunc) => {
          save([v]);
          return { value: v.square(), gradFunc: (dy, [saved]) => [dy.mul(saved!).mul(2).clipByValue(-1, 1)] };
        });
        const acc = new ForwardAccumulator(x, x.mul(0).add(1));
        const y = x.exp().sum(0);
        const tangent = acc.jvp(y)!;
        const w = variable(x, { name: 'w' });
        const { value, grads } = variableGrads(() => w.square().mean());
        return [grad((v) => clipped(v).sum())(x), tangent, value, grads['w']!];
      }),
    );
  });

  it('saves GPU tensors and optimizer state, and loads them back', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-gpu-'));
    const file = path.join(dir, 'w.safetensors');
    const w = variable(
      tensor([
        [1, 2],
        [3, 4],
      ]),
      { name: 'w' },
    );
    const opt = train.adam(0.1);
    opt.minimize(() => w.square().sum());
    expect(() => io.encodeSafetensors({ w })).toThrow(/'w' lives on webgpu.*toBackend\(t, 'wasm-simd'\)/);
    await saveSafetensors(file, { w });
    const loaded = await loadSafetensors(file);
    expect(await loaded['w']!.array()).toEqual(await w.array());
    const state = await opt.getWeights();
    const again = train.adam(0.1);
    await again.setWeights(state);
    expect(again.iterations).toBe(1);
    fs.rmSync(dir, { recursive: true });
  });

  it('gives GPU memory back as tensors are collected: 1,000 training steps with no dispose() hold what 100 did', async () => {
    const pool = webgpuBackend()!.ctx.pool;
    // W4's MLP (a batch through two dense layers, Adam) at a size SwiftShader runs 1,000 steps of in seconds.
    const x = randomNormal([32, 64], 0, 1, 'float32', 1);
    const labels = randomNormal([32, 10], 0, 1, 'float32', 2);
    const w1 = variable(randomNormal([64, 48], 0, 0.1, 'float32', 3), { name: 'w1' });
    const w2 = variable(randomNormal([48, 10], 0, 0.1, 'float32', 4), { name: 'w2' });
    const opt = train.adam(0.01);
    const inUse: number[] = [];
    let first = 0;
    let last = 0;
    for (let step = 1; step <= 1000; step++) {
      // Each step's loss is dropped unread by the next: a tensor the collector may take, which no dispose() frees.
      const loss = opt.minimize(() => x.matmul(w1).relu().matmul(w2).sub(labels).square().mean(), true)!;
      const value = (await loss.data())[0]!; // a read each step, as a training loop logs its loss
      if (step === 1) first = value;
      last = value;
      if (step === 100 || step === 1000) {
        // When the collector runs is V8's choice (it depends on the heap the worker's earlier suites left), so it is
        // made to run here; the buffers of the tensors it takes go back to the pool in the finalizers that follow.
        await collectGarbage();
        inUse.push(pool.bytesInUse);
      }
    }
    console.log(`pool bytes in use after collection at steps 100 and 1,000: ${inUse.join(', ')}`);
    expect(last).toBeLessThan(first);
    // What is in use once the collector has run is what the program still holds (data, weights, Adam's slots, the
    // last loss): the same at step 1,000 as at step 100, not 900 more losses' buffers.
    expect(inUse[1]!).toBe(inUse[0]!);
    expect(inUse[0]!).toBeLessThan(128 * 1024);
  }, 120_000);
});
