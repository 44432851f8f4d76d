/**
 * Times the WebGPU spike's kernels (lib/kernels/webgpu/) on the adapter Node's `webgpu` package finds: one dispatch
 * waited for, many queued, a read-back, and matrix products. On SwiftShader (a CPU) the numbers say nothing about
 * GPU speed, only about the overhead a design must amortise. Run:
 *   npx esbuild scripts/webgpu-slice-timing.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=build/webgpu-slice-timing.mjs && VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
 *     node build/webgpu-slice-timing.mjs
 */
import { create } from 'webgpu';
import { WebGpuKernels } from '../lib/kernels/webgpu/index.js';

const gpu = create([]);
const kernels = await WebGpuKernels.create({ gpu });
console.log(`adapter: ${kernels.context.adapterName} (on a software GPU these times are not GPU speed)`);

async function time(label: string, reps: number, body: () => Promise<void> | void): Promise<void> {
  await body(); // compiles the pipeline
  await kernels.finish();
  const start = performance.now();
  for (let r = 0; r < reps; r++) await body();
  await kernels.finish();
  console.log(`${label}: ${((performance.now() - start) / reps).toFixed(2)} ms`);
}

for (const n of [1024, 1 << 16, 1 << 20]) {
  const a = kernels.upload(new Float32Array(n).fill(1));
  const b = kernels.upload(new Float32Array(n).fill(2));
  // Each output goes straight back to the pool: the queue orders the next write to it after this dispatch.
  const add = () => kernels.pool.release(kernels.binary('add', a, [n], b, [n], [n]).buffer);
  await time(`add of ${n} elements, waited for`, 20, async () => {
    add();
    await kernels.finish();
  });
  await time(`add of ${n} elements, 20 queued`, 20, add);
  await time(`read-back of ${n} elements`, 20, async () => void (await kernels.read(a)));
}
for (const [m, k, n] of [
  [128, 784, 256],
  [256, 256, 256],
]) {
  const a = kernels.upload(new Float32Array(m! * k!).fill(0.5));
  const b = kernels.upload(new Float32Array(k! * n!).fill(0.25));
  await time(`matmul ${m}x${k}x${n}, waited for`, 5, async () => {
    kernels.pool.release(kernels.matmul(a, [], b, [], [], m!, k!, n!, false, false).buffer);
    await kernels.finish();
  });
}
console.log(`pool: ${kernels.pool.bytesInUse} bytes in use, ${kernels.pool.bytesFree} free`);
kernels.destroy();
