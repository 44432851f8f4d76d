/// <reference types="@webgpu/types" />
/**
 * Acquiring a WebGPU device: from an option, else from `globalThis.navigator.gpu`
 * (browsers; in Node, where the user has set it from the `webgpu` package).
 * `setBackend('webgpu')` (lib/backends.ts) calls it.
 */

import type { GpuLike, WebGpuOptions } from './options.js';

export type { GpuLike, WebGpuOptions } from './options.js';

/** A device with the adapter and GPU object it came from. */
export interface WebGpuContext {
  /**
   * Held so that it stays reachable as long as the device is used: with Dawn's Node bindings, once the collector
   * takes the GPU object, the next `mapAsync` crashes the process (seen with webgpu 0.6.2 on Node 20).
   */
  readonly gpu: GPU;
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  /** The adapter in words, e.g. `google swiftshader (SwiftShader driver 5.0.0)`. */
  readonly adapterName: string;
}

/** The adapter's vendor, architecture and description, as one line. */
export function describeAdapter(info: GPUAdapterInfo): string {
  const name = [info.vendor, info.architecture].filter((s) => s !== '').join(' ') || 'unknown adapter';
  return info.description === '' ? name : `${name} (${info.description})`;
}

/**
 * Requests an adapter and a device with the adapter's largest storage-buffer limits (the defaults, 128 MiB a binding,
 * are smaller than some tensors).
 */
export async function acquireDevice(options: WebGpuOptions = {}): Promise<WebGpuContext> {
  const gpu = (options.gpu ?? (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu) as GPU | undefined;
  if (gpu === undefined) {
    throw new Error(
      "tapegrad.webgpu: no GPU object: globalThis.navigator.gpu is undefined; in a browser use one with WebGPU, in Node pass { gpu: create([]) } from the 'webgpu' package or set globalThis.navigator = { gpu }",
    );
  }
  const adapter = await gpu.requestAdapter(
    options.powerPreference === undefined ? undefined : { powerPreference: options.powerPreference },
  );
  if (adapter === null) {
    throw new Error(
      'tapegrad.webgpu: the GPU object gave no adapter; in Node on Linux, point VK_ICD_FILENAMES at a Vulkan driver (e.g. SwiftShader, /usr/lib/chromium/vk_swiftshader_icd.json) and install libvulkan1',
    );
  }
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  return { gpu, adapter, device, adapterName: describeAdapter(adapter.info) };
}
