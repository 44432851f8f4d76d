// A compute shader on whatever adapter Dawn finds (SwiftShader here): prints the adapter, checks the result,
// and times a dispatch and a read-back. Run: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node scripts/webgpu-smoke.mjs
/* global GPUBufferUsage, GPUMapMode -- copied from the package's globals */
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
// Dawn's GPU object must stay reachable while its adapters and devices are used: once the collector takes it, the
// next mapAsync crashes the process (a destroyed mutex). Holding it on globalThis.navigator, as browsers do, keeps it.
const gpu = create([]);
globalThis.navigator = { gpu, userAgent: 'node' };
const adapter = await gpu.requestAdapter();
if (!adapter) throw new Error('no WebGPU adapter (is VK_ICD_FILENAMES set to a Vulkan driver?)');
const info = adapter.info;
console.log(
  'adapter:',
  JSON.stringify({
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
  }),
);
console.log(
  'limits: maxStorageBufferBindingSize',
  adapter.limits.maxStorageBufferBindingSize,
  'maxComputeWorkgroupStorageSize',
  adapter.limits.maxComputeWorkgroupStorageSize,
  'f16',
  adapter.features.has('shader-f16'),
);
const device = await adapter.requestDevice();

const n = 1 << 16;
const module = device.createShaderModule({
  code: `@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < arrayLength(&out)) { out[id.x] = a[id.x] * 2.0 + 1.0; }
}`,
});
const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
const input = new Float32Array(n).map((_, i) => i);
const a = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
device.queue.writeBuffer(a, 0, input);
const out = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
const staging = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
const bind = device.createBindGroup({
  layout: pipeline.getBindGroupLayout(0),
  entries: [
    { binding: 0, resource: { buffer: a } },
    { binding: 1, resource: { buffer: out } },
  ],
});

function dispatch() {
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(Math.ceil(n / 64));
  pass.end();
  device.queue.submit([enc.finish()]);
}
async function readBack() {
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(out, 0, staging, 0, n * 4);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const result = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  return result;
}
dispatch();
const first = await readBack();
for (let i = 0; i < n; i++) if (first[i] !== i * 2 + 1) throw new Error(`wrong at ${i}: ${first[i]}`);
console.log(`correct: out[i] = 2 a[i] + 1 for ${n} elements`);

const reps = 50;
let t = performance.now();
for (let r = 0; r < reps; r++) {
  dispatch();
  await device.queue.onSubmittedWorkDone();
}
const perDispatch = (performance.now() - t) / reps;
t = performance.now();
for (let r = 0; r < reps; r++) await readBack();
const perRead = (performance.now() - t) / reps;
t = performance.now();
for (let r = 0; r < reps; r++) dispatch();
await device.queue.onSubmittedWorkDone();
const pipelined = (performance.now() - t) / reps;
console.log(
  `dispatch + onSubmittedWorkDone: ${perDispatch.toFixed(2)} ms; read-back of ${n * 4} bytes: ${perRead.toFixed(2)} ms; ${reps} dispatches queued then one wait: ${pipelined.toFixed(3)} ms each`,
);
device.destroy();
