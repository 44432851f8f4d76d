/**
 * Where ops run: on the CPU kernels (`kernels`, TypeScript or WebAssembly) unless a device backend (WebGPU) is
 * current, in which case new tensors and op outputs live in its memory and ops run its kernels. Tensors and ops read
 * the current placement here; `setBackend` (lib/backends.ts) changes it.
 */
import { allocate, type DType, type TypedArray } from '../dtype.js';
import { MAX_SIZE, sizeError } from '../shape.js';
import { kernels, type Kernels } from './index.js';
import { outputArray } from './recycling.js';
import type { Tensor } from '../tensor.js';
import type { GpuArray, GpuDType, OnArrays, Storage } from './storage.js';

/** The kernel table over either kind of array: what ops call through {@link active}. */
export type DeviceKernels = { readonly [K in keyof Kernels]: OnArrays<Kernels[K], Storage> };

/** The kernel table of a device backend, over its own arrays. */
export type GpuKernels = { readonly [K in keyof Kernels]: OnArrays<Kernels[K], GpuArray> };

/** A backend whose tensors live in device memory (WebGPU). */
export interface DeviceBackend {
  readonly name: 'webgpu';
  readonly kernels: GpuKernels;
  /** An array of `length` elements: zero-filled if `zeroed`, else as it comes (for an output written whole). */
  allocate(length: number, dtype: GpuDType, zeroed: boolean): GpuArray;
  /** A copy of CPU data in device memory (a queued write: synchronous for the caller). */
  upload(values: TypedArray, dtype: GpuDType): GpuArray;
  /** The data back on the CPU, once the device has computed it. */
  read(array: GpuArray): Promise<TypedArray>;
  /** Returns an array's memory to the pool now (`dispose()`). */
  free(array: GpuArray): void;
  /**
   * Checks `array` for NaN and ±Infinity on the device; where one is found, the next read throws `describe()`'s
   * message (WebGPU has no synchronous read, so the error comes at the next await).
   */
  checkFinite(array: GpuArray, describe: () => string): void;
}

/**
 * The current placement: the device backend if one is current, the device backend made so far (kept while the CPU is
 * current, so that GPU tensors stay readable), and the op running now (for error messages).
 */
export const placement: {
  device: DeviceBackend | undefined;
  held: DeviceBackend | undefined;
  op: string | undefined;
  /** The open `tidy` scopes, innermost last: the GPU tensors made in each (lib/memory.ts frees them at its end). */
  scopes: Tensor[][];
} = { device: undefined, held: undefined, op: undefined, scopes: [] };

/** The kernels ops call now: the device's, or the CPU table. */
export function active(): DeviceKernels {
  // The CPU kernels take typed arrays only; placement (Tensor.placed) hands them nothing else while no device is current.
  return (placement.device?.kernels ?? kernels) as unknown as DeviceKernels;
}

/** The GPU dtype of `dtype`, or an error naming `op` for float64 (WGSL has no f64). */
export function gpuDTypeOf(dtype: DType, op: string | undefined): GpuDType {
  if (dtype === 'float64') {
    throw new TypeError(
      `tapegrad.${op ?? 'webgpu'}: float64 has no kernels on webgpu (WGSL has no f64); cast to float32 with ` +
        "cast(x, 'float32'), or run float64 work on the CPU: await setBackend('wasm-simd')",
    );
  }
  return dtype;
}

/**
 * An output array of `size` elements where ops run now, which the op's kernel must write whole (zeros with `zeroed`,
 * for an output written only in part, as by stridedWrite): on the CPU a typed array, a dead one of the same byte
 * length reused where the backward pass gave one back (lib/kernels/recycling.ts), else a new zero-filled one; on
 * webgpu device memory, cleared only where asked.
 */
export function allocateHere(dtype: DType, size: number, op?: string, zeroed = false): Storage {
  const device = placement.device;
  if (device === undefined) return outputArray(dtype, size, op, zeroed);
  if (size > MAX_SIZE) throw sizeError(op, `${dtype === 'int32' ? 'an' : 'a'} ${dtype} result`, size);
  return device.allocate(size, gpuDTypeOf(dtype, op ?? placement.op), zeroed);
}

/** Sets every element of `out` (an output of `allocateHere`, of `dtype`) to `value`. */
export function fillHere(out: Storage, dtype: DType, value: number): void {
  if (ArrayBuffer.isView(out)) {
    out.fill(value);
    return;
  }
  const one = allocate(dtype, 1);
  one[0] = value;
  const device = placement.device!;
  active().broadcastTo(device.upload(one, out.dtype), [], out, [out.length]);
}
