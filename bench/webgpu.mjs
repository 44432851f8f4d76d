// WebGPU in Node for the bench (`npm run bench -- --backend=webgpu`): one GPU object from the npm `webgpu` package
// (Dawn's Node bindings), kept reachable for the life of the process, and the notes the report prints.
//
// Dawn's GPU object must stay reachable as long as a device made from it is used: once the collector takes it, the
// next mapAsync crashes the process (webgpu 0.6.2, Node 20). Every library in a process (tapegrad, TensorFlow.js,
// jax-js) gets its device from the one object `gpuObject()` returns, pinned on globalThis.

/** The SwiftShader Vulkan ICD of Debian's chromium-common: a CPU emulation of a GPU. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

import os from 'node:os';
import { pathToFileURL } from 'node:url';

const PIN = Symbol.for('tapegrad.bench.gpu');
const PIN_GLOBALS = Symbol.for('tapegrad.bench.gpu.globals');

/**
 * The process's GPU object (`create([])` from `webgpu`), made once. `navigator: true` also sets
 * `globalThis.navigator = { gpu, userAgent: 'node' }` and WebGPU's globals (`GPUBufferUsage`, ...) (TensorFlow.js's and jax-js's WebGPU backends look there).
 */
export async function gpuObject({ navigator = false } = {}) {
  if (!globalThis[PIN]) {
    const { create, globals } = await import('webgpu');
    globalThis[PIN] = create([]);
    globalThis[PIN_GLOBALS] = globals;
  }
  const gpu = globalThis[PIN];
  if (navigator && globalThis.navigator?.gpu !== gpu) {
    // and WebGPU's globals (GPUBufferUsage, GPUMapMode, ...), which TensorFlow.js's backend reads
    for (const [k, v] of Object.entries(globalThis[PIN_GLOBALS] ?? {})) globalThis[k] ??= v;
    // Node 20 has no navigator; Node 21+ has one whose `gpu` is missing: define ours over it.
    Object.defineProperty(globalThis, 'navigator', {
      value: { ...(globalThis.navigator ?? {}), gpu, userAgent: 'node' },
      configurable: true,
      writable: true,
    });
  }
  return gpu;
}

/** The adapter in words, as tapegrad's backend describes it: vendor, architecture (description). */
export function describeAdapter(info = {}) {
  const name = [info.vendor, info.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  return info.description ? `${name} (${info.description})` : name;
}

/** Whether an adapter name (or info) is SwiftShader, Dawn's CPU emulation. */
export const isSwiftShader = (name) => /swiftshader/i.test(String(name ?? ''));

export const SWIFTSHADER_NOTE =
  'SwiftShader is a CPU emulation of a GPU (Vulkan on the CPU): about 1.3 ms per dispatch and ~2 ms per read-back ' +
  'before any arithmetic, and every kernel runs on the CPU cores. These numbers check that the webgpu paths run and ' +
  'agree; they say nothing about GPU speed, and the ratios below are not meaningful for the targets.';

/**
 * The environment a child that loads dawn.node needs: XDG_RUNTIME_DIR (Dawn warns without it), and the Vulkan ICD
 * when `icd` is given (SwiftShader's, or whatever the user set in VK_ICD_FILENAMES, which is kept as it is).
 */
export function dawnEnv(icd) {
  const env = {};
  if (!process.env.XDG_RUNTIME_DIR) env.XDG_RUNTIME_DIR = '/tmp';
  if (icd && !process.env.VK_ICD_FILENAMES) env.VK_ICD_FILENAMES = icd;
  return env;
}

/** In this process: the adapter Dawn gives (its name), or null when there is none. Used by the parent's probe. */
export async function probeAdapter() {
  const gpu = await gpuObject();
  const adapter = await gpu.requestAdapter();
  return adapter ? describeAdapter(adapter.info) : null;
}

// `node bench/webgpu.mjs --probe`: prints the adapter's name as JSON (null: none).
if (
  process.argv.includes('--probe') &&
  /webgpu\.mjs$/.test(process.argv[1] ?? '') &&
  import.meta.url === pathToFileURL(process.argv[1]).href
) {
  {
    console.log(JSON.stringify({ adapter: await probeAdapter() }));
    process.exit(0);
  }
}

/**
 * The head of a webgpu run's results (the JSON that bench/report.mjs prints): the adapter, whether it is SwiftShader
 * (with the note that its numbers say nothing about GPU speed), and W4's step counts; `extra` joins the webgpu part.
 */
export function webgpuResults({ common, adapter, swift, timed, warmup, extra = {} }) {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    quick: common.QUICK,
    backend: 'webgpu',
    webgpu: {
      adapter,
      swiftshader: swift,
      note: swift ? SWIFTSHADER_NOTE : undefined,
      w4: timed ? { warmup: Number(warmup), timed: Number(timed) } : { warmup: 10, timed: common.CFG.w4Steps },
      ...extra,
    },
    loadBefore: os.loadavg(),
  };
}
