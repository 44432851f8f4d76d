/**
 * The relaxed-SIMD micro-kernels (fused multiply-adds). Node 20 has relaxed
 * SIMD only behind `--experimental-wasm-relaxed-simd`, which NODE_OPTIONS
 * refuses, so a child `node` with the flag runs the checks: tapegrad picks the
 * relaxed kernel, the worker thread's engine has it too, the relaxed kernel
 * agrees with the plain one within float rounding (not bit for bit: a fused
 * multiply-add rounds once), and two threads give one relaxed thread's bits.
 */
import { lastJson, runBundled } from './bundled-child.js';
import { matmul, tensor } from '../../lib/index.js';
import { gemmVariant } from '../../lib/kernels/wasm/index.js';
import { relaxedSimdSupported } from '../../lib/kernels/wasm/gemm.js';
import { wasmApi } from '../../lib/kernels/wasm/runtime.js';

/**
 * Element [0, 0] of a 16 x 16 x 16 float32 product through tapegrad's
 * `matmul` (large enough for the WebAssembly kernel): row 0 of A is
 * `[1, x, 0, ...]` and column 0 of B is `[-(1 + 2^-11), x, 0, ...]` with
 * `x = 1 + 2^-12`. Summed in k order, `-(1 + 2^-11) + x * x` is 2^-24
 * exactly with a fused multiply-add (one rounding); multiplying first rounds
 * `x * x` to `1 + 2^-11` in float32, and the sum is 0. (Plain JavaScript: the
 * child gets its source.)
 */
/* istanbul ignore next: the child runs its text, which must not call coverage counters */
function fusedProbe(mm: typeof matmul, t: typeof tensor): number {
  const x = 1 + 2 ** -12;
  const a = Array.from({ length: 16 }, (_, i) => Array.from({ length: 16 }, (_, j) => (i > 0 ? 0 : ([1, x][j] ?? 0))));
  const b = Array.from({ length: 16 }, (_, i) =>
    Array.from({ length: 16 }, (_, j) => (j > 0 ? 0 : ([-(1 + 2 ** -11), x][i] ?? 0))),
  );
  return mm(t(a), t(b)).dataSync()[0]!;
}

/**
 * The child: products of every kind with the relaxed and the plain kernel,
 * each checked against the reference kernel (which sums in float64) within
 * `k eps sum |a||b|`, the float32 and float64 rounding bound of a k-term sum.
 */
const CHILD = `
import { Worker } from 'node:worker_threads';
import { backend, matmul, tensor } from '../../lib/index.js';
import { referenceKernels } from '../../lib/kernels/index.js';
import { gemmVariant } from '../../lib/kernels/wasm/index.js';
import { gemmTiles, relaxedSimdSupported } from '../../lib/kernels/wasm/gemm.js';
import { wasmMatmul } from '../../lib/kernels/wasm/matmul.js';
import { kernelModuleBytes, Runtime, wasmApi } from '../../lib/kernels/wasm/runtime.js';
import { MatmulThreads } from '../../lib/kernels/wasm/threads.js';

let probe;
const supported = relaxedSimdSupported((bytes) => ((probe = bytes), wasmApi.validate(bytes)));
const runtime = (relaxed, shared = false) => {
  const tiles = gemmTiles(relaxed);
  return new Runtime(wasmApi, new wasmApi.Module(kernelModuleBytes(tiles, shared)), tiles, shared);
};
const relaxed = wasmMatmul(runtime(true), 0);
const plain = wasmMatmul(runtime(false), 0);
const sharedRuntime = runtime(true, true);
const threads = new MatmulThreads(sharedRuntime);
threads.minWork = 0;
threads.workerOnly = true;
const twoThreads = wasmMatmul(sharedRuntime, 0, threads);

const cases = [
  // [m, k, n, transposeA, transposeB, batches]
  [4, 1, 8, false, false, 1],
  [13, 300, 19, false, true, 2],
  [129, 513, 65, true, false, 1],
  [77, 257, 33, true, true, 3],
  [64, 64, 64, false, false, 1],
];
const result = { supported, variant: gemmVariant(), backend: backend(), worst: 0, fused: 0, differs: 0, threadDiffers: 0 };
await threads.start();
for (const Type of [Float32Array, Float64Array]) {
  const eps = Type === Float32Array ? 2 ** -23 : 2 ** -52;
  for (const [m, k, n, ta, tb, batches] of cases) {
    const a = Type.from({ length: batches * m * k }, (_, i) => Math.sin(i * 1.618 + k));
    const b = Type.from({ length: batches * k * n }, (_, i) => Math.cos(i * 0.577 - n));
    const shape = [batches];
    const run = (kernel, x = a, y = b) => {
      const out = new Type(batches * m * n).fill(NaN);
      kernel(x, shape, y, shape, shape, m, k, n, ta, tb, out);
      return out;
    };
    const got = run(relaxed);
    const base = run(plain);
    const ref = run(referenceKernels.matmul);
    const bound = run(referenceKernels.matmul, a.map(Math.abs), b.map(Math.abs));
    const two = run(twoThreads);
    for (let i = 0; i < got.length; i++) {
      for (const x of [got[i], base[i]]) {
        const err = Math.abs(x - ref[i]) / (2 * k * eps * bound[i] || 1);
        result.worst = Number.isNaN(err) ? NaN : Math.max(result.worst, err);
      }
      if (!Object.is(got[i], base[i])) result.differs++;
      if (!Object.is(two[i], got[i])) result.threadDiffers++;
    }
  }
}
result.workerTasks = threads.workerTasks;
await threads.stop();
result.fused = (${fusedProbe.toString()})(matmul, tensor);
result.workerValidates = await new Promise((resolve, reject) => {
  const worker = new Worker(
    "const { parentPort, workerData } = require('node:worker_threads'); parentPort.postMessage(WebAssembly.validate(workerData));",
    { eval: true, workerData: probe },
  );
  worker.once('message', (ok) => void worker.terminate().then(() => resolve(ok)));
  worker.once('error', reject);
});
console.log(JSON.stringify(result));
`;

describe('relaxed SIMD', () => {
  test('with --experimental-wasm-relaxed-simd: the relaxed kernel runs, in the worker too, within rounding of the plain one', async () => {
    const got = lastJson(await runBundled(CHILD, ['--experimental-wasm-relaxed-simd'])) as Record<string, unknown>;
    expect(got).toEqual({
      ...got,
      supported: true,
      variant: 'relaxed-simd',
      backend: 'wasm-simd',
      threadDiffers: 0,
      workerValidates: true,
    });
    expect(got.worst).toBeLessThanOrEqual(1);
    expect(got.workerTasks).toBeGreaterThan(0);
    // Fused on every machine with FMA (x86-64 with FMA3, every ARM64); relaxed_madd may also multiply, then add.
    expect([2 ** -24, 0]).toContain(got.fused);
  }, 90_000);

  test('where the engine lacks relaxed SIMD the plain kernel runs (Node 20 without the flag)', () => {
    const supported = relaxedSimdSupported((bytes) => wasmApi!.validate(bytes));
    expect(gemmVariant()).toBe(supported ? 'relaxed-simd' : 'simd');
    if (process.versions.node.startsWith('20.')) expect(supported).toBe(false);
    if (!supported) expect(fusedProbe(matmul, tensor)).toBe(0); // multiplied, then added
  });
});
