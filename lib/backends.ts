/**
 * Choosing where tensors live and ops run, with TensorFlow.js's names: `setBackend`, `backend()` (its
 * `getBackend()`), and `toBackend` to move a tensor explicitly. The CPU backends are `'wasm-simd'` (WebAssembly SIMD,
 * the default where the engine has it) and `'typescript'` (the reference kernels); `'webgpu'` keeps new tensors and
 * op outputs in GPU memory and runs WGSL kernels.
 */
import { referenceKernels, setKernels } from './kernels/index.js';
import { gpuDTypeOf, placement } from './kernels/placement.js';
import { backend as cpuBackend, ready } from './kernels/wasm/index.js';
import { createWebGpuBackend, type WebGpuBackend } from './kernels/webgpu/index.js';
import type { WebGpuOptions } from './kernels/webgpu/options.js';
import type { DataTypeMap, DType } from './dtype.js';
import { Tensor } from './tensor.js';

export type { GpuLike, WebGpuOptions } from './kernels/webgpu/options.js';

/** The name {@link backend} gives the backend in use. */
export type BackendName = 'wasm-simd' | 'typescript' | 'custom' | 'webgpu';

/** A backend {@link setBackend} and {@link toBackend} take. */
export type SettableBackend = 'wasm-simd' | 'typescript' | 'webgpu';

/** The webgpu backend once made: kept when the CPU is current, so that GPU tensors can still be read and moved. */
let webgpu: WebGpuBackend | undefined;
/** Why the last attempt at webgpu failed, warned once per reason. */
const warned = new Set<string>();

/**
 * Makes `name` the backend: `'webgpu'` (GPU memory and WGSL kernels), `'wasm-simd'` or `'typescript'` (the CPU).
 * Resolves `true` when it is in use, as TensorFlow.js's `setBackend` does; where webgpu cannot start (no GPU object,
 * no adapter), it warns with the reason, keeps the current backend and resolves `false`.
 *
 * The GPU comes from `options.gpu`, else `globalThis.navigator.gpu` (browsers; in Node, set it from the `webgpu`
 * package, or pass `{ gpu: create([]) }`). The device is made once and kept: switching back to the CPU leaves GPU
 * tensors readable (`await t.data()`) and movable ({@link toBackend}).
 *
 * @param name - `'webgpu'`, `'wasm-simd'` or `'typescript'`.
 * @param options - For webgpu: where the GPU object comes from, and the adapter's power preference.
 *
 * @example
 * ```ts
 * import { backend, setBackend } from 'tapegrad';
 * await setBackend('typescript'); // true
 * backend(); // 'typescript'
 * await setBackend('wasm-simd'); // true: WebAssembly SIMD runs in Node and in every current browser
 * ```
 */
export async function setBackend(name: SettableBackend, options?: WebGpuOptions): Promise<boolean> {
  if (name === 'webgpu') {
    try {
      webgpu ??= await createWebGpuBackend(options);
      placement.held = webgpu;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (!warned.has(reason)) {
        warned.add(reason);
        console.warn(`tapegrad.setBackend('webgpu'): staying on ${backend()}: ${reason}`);
      }
      return false;
    }
    placement.device = webgpu;
    return true;
  }
  if (name === 'wasm-simd') {
    placement.device = undefined;
    return (await ready()) === 'wasm-simd';
  }
  if (name === 'typescript') {
    placement.device = undefined;
    setKernels(referenceKernels);
    return true;
  }
  throw new TypeError(
    `tapegrad.setBackend: unknown backend ${JSON.stringify(name)}; use 'webgpu', 'wasm-simd' or 'typescript'`,
  );
}

/**
 * The backend in use (TensorFlow.js's `getBackend()`): `'webgpu'` when GPU memory and kernels are current, else the
 * CPU kernels': `'wasm-simd'` (the WebAssembly SIMD kernels, with the TypeScript ones for small problems and the
 * rest), `'typescript'` (the reference kernels only) or `'custom'` (some set with `setKernels`).
 *
 * @example
 * ```ts
 * import { backend, referenceKernels, setKernels } from 'tapegrad';
 * const previous = setKernels(referenceKernels);
 * backend(); // 'typescript'
 * setKernels(previous);
 * ```
 */
export function backend(): BackendName {
  return placement.device !== undefined ? placement.device.name : cpuBackend();
}

/**
 * A copy of `t` on backend `name`: `'webgpu'` uploads it to GPU memory; a CPU backend (`'wasm-simd'` or
 * `'typescript'`, where CPU tensors live) reads it back once the GPU has computed it. A CPU tensor moved to the CPU,
 * or a GPU tensor to webgpu, comes back as it is. The copy is a new tensor that no tape connects to `t`: a gradient
 * cannot cross it (a VJP is synchronous, and reading the GPU is not). Moving does not change the current backend.
 *
 * @param t - The tensor to move.
 * @param name - Where it should live: `'webgpu'`, or a CPU backend (`'wasm-simd'`, `'typescript'`).
 *
 * @example
 * ```ts
 * import { tensor, toBackend } from 'tapegrad';
 * const x = tensor([1, 2, 3]);
 * const same = await toBackend(x, 'wasm-simd'); // x itself: it is already on the CPU
 * ```
 */
export async function toBackend<D extends DType>(t: Tensor<D>, name: SettableBackend): Promise<Tensor<D>> {
  const value = t.snapshot();
  if (name === 'webgpu') {
    if (value.onGpu) return value;
    if (webgpu === undefined) {
      throw new Error("tapegrad.toBackend: webgpu has not been started; await setBackend('webgpu') first");
    }
    return new Tensor(webgpu.upload(value.values, gpuDTypeOf(value.dtype, 'toBackend')), value.shape, value.dtype);
  }
  if (name !== 'wasm-simd' && name !== 'typescript') {
    throw new TypeError(
      `tapegrad.toBackend: unknown backend ${JSON.stringify(name)}; use 'webgpu', 'wasm-simd' or 'typescript'`,
    );
  }
  if (!value.onGpu) return value;
  return new Tensor((await value.data()) as DataTypeMap[D], value.shape, value.dtype);
}

/**
 * The webgpu backend if it has been started (for the bench and the specs: its pool's byte counts, its adapter).
 * @internal
 */
export function webgpuBackend(): WebGpuBackend | undefined {
  return webgpu;
}
