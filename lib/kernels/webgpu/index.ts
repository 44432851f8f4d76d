/// <reference types="@webgpu/types" />
/**
 * The WebGPU backend: a device (lib/kernels/webgpu/device.ts), its buffer pool and pipelines (context.ts), and a WGSL
 * kernel for every entry of the kernel table, each with the CPU kernel's arguments over GPU arrays. `setBackend`
 * (lib/backends.ts) makes it current.
 */
import type { TypedArray } from '../../dtype.js';
import type { DeviceBackend, GpuKernels } from '../placement.js';
import type { GpuArray, GpuDType } from './buffers.js';
import { GpuContext } from './context.js';
import { gpuConv } from './conv.js';
import { acquireDevice, type WebGpuOptions } from './device.js';
import { gpuElementwise } from './elementwise.js';
import { gpuLayout } from './layout.js';
import { gpuMatmul } from './matmul.js';
import { gpuOptimizers } from './optimizers.js';
import { gpuPool } from './pool.js';
import { gpuRandom } from './random.js';
import { gpuReduce } from './reduce.js';

export type { WebGpuOptions } from './device.js';

/** The webgpu backend: the device backend ops use, with its context (pool, counters) and the adapter's name. */
export interface WebGpuBackend extends DeviceBackend {
  readonly ctx: GpuContext;
  /** The adapter in words, e.g. `google swiftshader (SwiftShader driver 5.0.0)`. */
  readonly adapterName: string;
}

/** Acquires a device (from `options.gpu`, else `globalThis.navigator.gpu`) and builds every kernel over it. */
export async function createWebGpuBackend(options?: WebGpuOptions): Promise<WebGpuBackend> {
  const context = await acquireDevice(options);
  const ctx = new GpuContext(context);
  // Every entry of the kernel table, or the compiler names the missing one.
  const kernels: GpuKernels = {
    ...gpuElementwise(ctx),
    ...gpuLayout(ctx),
    ...gpuReduce(ctx),
    ...gpuOptimizers(ctx),
    ...gpuRandom(ctx),
    ...gpuMatmul(ctx),
    ...gpuConv(ctx),
    ...gpuPool(ctx),
  };
  return {
    name: 'webgpu',
    kernels,
    ctx,
    adapterName: context.adapterName,
    allocate: (length: number, dtype: GpuDType, zeroed: boolean) => ctx.allocate(length, dtype, zeroed),
    upload: (values: TypedArray, dtype: GpuDType) => ctx.upload(values, dtype),
    read: (array: GpuArray) => ctx.read(array),
    free: (array: GpuArray) => ctx.pool.freeNow(array),
    checkFinite: (array: GpuArray, describe: () => string) => ctx.checkFinite(array, describe),
  };
}
