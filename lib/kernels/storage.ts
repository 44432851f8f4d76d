/**
 * Where a kernel's arrays live: typed arrays on the CPU, {@link GpuArray}s on
 * WebGPU. The kernel table's signatures are written once, for typed arrays
 * (lib/kernels/index.ts); `OnArrays` restates one of them over another kind of
 * array, so that the WebGPU kernels take the same arguments in the same order
 * and the compiler names any that differ.
 */
import type { TypedArray } from '../dtype.js';
import type { GpuArray } from './webgpu/buffers.js';

export type { GpuArray, GpuDType } from './webgpu/buffers.js';

/** A tensor's data: a typed array on the CPU backends, a GPU array on webgpu. */
export type Storage = TypedArray | GpuArray;

/** Argument type `P` with typed arrays (and arrays of them) replaced by `S`. */
export type OnArray<P, S> = P extends TypedArray ? S : P extends readonly TypedArray[] ? readonly S[] : P;

/** Function `F` (a kernel) with its typed-array parameters replaced by `S`. */
export type OnArrays<F, S> = F extends (...args: infer P) => infer R
  ? (...args: { [K in keyof P]: OnArray<P[K], S> }) => R
  : never;

/** Whether `data` is a GPU array rather than a typed array. */
export function isGpuArray(data: Storage): data is GpuArray {
  return !ArrayBuffer.isView(data);
}
