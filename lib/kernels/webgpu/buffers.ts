/// <reference types="@webgpu/types" />
/**
 * GPU memory: a pool of storage buffers by size class, and the handle a GPU tensor's storage is. A handle's buffer
 * returns to the pool when the handle is garbage-collected (every tensor sharing it is gone), or at once through
 * `free` (`dispose()` of its last tensor); buffers are reused rather than destroyed, since creating one costs more
 * than a dispatch.
 */

// The flags of GPUBufferUsage and GPUMapMode, written out so that the module needs no WebGPU globals (Node's
// `webgpu` package only defines them once its `globals` are copied onto globalThis).
export const USAGE_MAP_READ = 0x0001;
export const USAGE_COPY_SRC = 0x0004;
export const USAGE_COPY_DST = 0x0008;
export const USAGE_STORAGE = 0x0080;
export const MAP_MODE_READ = 0x0001;

/** The dtypes a GPU array holds: WGSL has no f64; bool is stored as one u32 (0 or 1) an element. */
export type GpuDType = 'float32' | 'int32' | 'bool';

/**
 * A tensor's data in GPU memory: a pooled buffer (possibly larger than needed), its element count and dtype, and how
 * many tensors hold it (reshape and identity share one handle; `dispose()` frees the buffer when the last lets go).
 */
export interface GpuArray {
  readonly buffer: GPUBuffer;
  readonly length: number;
  readonly dtype: GpuDType;
  /** Tensors holding this array that have not been disposed. */
  holders: number;
  /** Set once the buffer went back to the pool: any later use is an error. */
  freed: boolean;
}

/** The smallest buffer the pool makes; every size class is a power of two from here. */
const MIN_BYTES = 256;

/** The size class of a request: the next power of two of at least MIN_BYTES (at most 2x the bytes asked for). */
function sizeClass(bytes: number): number {
  return Math.max(MIN_BYTES, 2 ** Math.ceil(Math.log2(Math.max(bytes, 1))));
}

/** Storage buffers by size class, with counts of the bytes handed out and held free. */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly collected = new FinalizationRegistry<GPUBuffer>((buffer) => this.release(buffer));
  /** Bytes in buffers handed out and not yet returned. */
  bytesInUse = 0;
  /** Bytes in buffers waiting in the pool. */
  bytesFree = 0;
  /** Whether the last `acquire` reused a buffer (a new one is zeroed by WebGPU; a reused one holds old data). */
  reused = false;

  constructor(private readonly device: GPUDevice) {}

  /** A storage buffer of at least `bytes` bytes that can be copied to and from. */
  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const buffer = this.free.get(size)?.pop();
    if (buffer !== undefined) this.bytesFree -= size;
    this.reused = buffer !== undefined;
    this.bytesInUse += size;
    return buffer ?? this.device.createBuffer({ size, usage: USAGE_STORAGE | USAGE_COPY_SRC | USAGE_COPY_DST });
  }

  /**
   * Set while commands that may use released buffers are recorded but not yet submitted: a buffer released then waits
   * in `deferred` until `endDefer` (after the submit), so that no queued write can reach it before those commands run.
   */
  deferring = false;
  private deferred: GPUBuffer[] = [];

  /** Returns a buffer to the pool; the caller must not use it again. */
  release(buffer: GPUBuffer): void {
    this.bytesInUse -= buffer.size;
    if (this.deferring) this.deferred.push(buffer);
    else this.addFree(buffer);
  }

  /** Puts the buffers released while deferring into the pool: the commands that used them are submitted. */
  endDefer(): void {
    this.deferring = false;
    for (const buffer of this.deferred) this.addFree(buffer);
    this.deferred = [];
  }

  private addFree(buffer: GPUBuffer): void {
    this.bytesFree += buffer.size;
    let list = this.free.get(buffer.size);
    if (list === undefined) this.free.set(buffer.size, (list = []));
    list.push(buffer);
  }

  /**
   * An array of `length` elements in a pooled buffer, returned to the pool when the handle is garbage-collected
   * (or earlier by `freeNow`).
   */
  allocate(length: number, dtype: GpuDType): GpuArray {
    const array: GpuArray = { buffer: this.acquire(length * 4), length, dtype, holders: 0, freed: false };
    this.collected.register(array, array.buffer, array);
    return array;
  }

  /** Returns `array`'s buffer to the pool now, not when the handle is collected; once only. */
  freeNow(array: GpuArray): void {
    if (array.freed) return;
    array.freed = true;
    if (this.collected.unregister(array)) this.release(array.buffer);
  }

  /** Destroys the buffers waiting in the pool (their memory goes back to the driver). */
  trim(): void {
    this.endDefer();
    for (const list of this.free.values()) for (const buffer of list) buffer.destroy();
    this.free.clear();
    this.bytesFree = 0;
  }
}
