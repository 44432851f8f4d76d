/// <reference types="@webgpu/types" />
/**
 * A WebGPU device with what every kernel needs: the buffer pool, upload and read-back, compiled pipelines by key, and
 * `dispatch`, which runs one compute shader over GPU arrays with a small array of parameters (`dims`).
 *
 * Conventions for the kernels (lib/kernels/webgpu/*.ts): each takes the same arguments as the CPU kernel of the same
 * name (lib/kernels/index.ts), with GPU arrays in place of typed arrays, and writes its output array (`out`, `y`,
 * `dx`, ...) as the CPU kernel does. Shaders bind the arrays in the order given to `dispatch` as
 * `@group(0) @binding(i)` storage buffers, then `dims` (`array<u32>`; floats go in as their bits, read back with
 * `bitcast<f32>`). Bool arrays hold one u32 (0 or 1) an element. `meta` is a reserved word in WGSL.
 */
import type { TypedArray } from '../../dtype.js';
import {
  BufferPool,
  MAP_MODE_READ,
  USAGE_COPY_DST,
  USAGE_COPY_SRC,
  USAGE_MAP_READ,
  USAGE_STORAGE,
  type GpuArray,
  type GpuDType,
} from './buffers.js';
import type { WebGpuContext } from './device.js';

/** The most workgroups a dispatch may have along one axis (WebGPU's default limit). */
export const MAX_GROUPS = 65535;

/** The invocations of a workgroup of the one-element-per-invocation kernels. */
export const WORKGROUP = 64;

/**
 * The WGSL line that gives a flat invocation index `i` over a 2-D grid of workgroups of `WORKGROUP` invocations
 * (see `GpuContext.grid`); use with `@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u`.
 */
export const FLAT_INDEX = `let i = gid.x + gid.y * groups.x * ${WORKGROUP}u;`;

/** A device, its pool and its pipelines: what `setBackend('webgpu')` holds. */
export class GpuContext {
  readonly pool: BufferPool;
  /** Compiled pipelines by key, with their bind group layout (asking the pipeline for it costs a native call). */
  private readonly pipelines = new Map<string, { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>();
  /** The first error the device reported (a shader or a dispatch it refused), thrown at the next read, once. */
  private error: GPUError | undefined;
  /** Dispatches so far (for the bench and the specs). */
  dispatches = 0;
  /**
   * Numeric checks waiting for the next read: a check's number is its key here, and the kernel of `checkFinite`
   * lowers the flag buffer's one u32 to the number of the first check that found a NaN or ±Infinity.
   */
  private readonly checks = new Map<number, () => string>();
  private nextCheck = 0;
  private flag: GPUBuffer | undefined;

  constructor(readonly context: WebGpuContext) {
    this.pool = new BufferPool(context.device);
    context.device.addEventListener('uncapturederror', (event) => {
      this.error ??= (event as GPUUncapturedErrorEvent).error;
    });
  }

  get device(): GPUDevice {
    return this.context.device;
  }

  /**
   * A new GPU array of `length` elements: zeros, as the CPU's `allocate` gives (a kernel such as stridedWrite keeps
   * the rest of its output), unless `zeroed` is false, for an output its kernel writes whole. A reused buffer is
   * cleared by a command that goes out with the next dispatch, read or write; a new one is zero already.
   */
  allocate(length: number, dtype: GpuDType, zeroed = true): GpuArray {
    const array = this.pool.allocate(length, dtype);
    if (zeroed && this.pool.reused) this.pendingClears.push(array);
    return array;
  }

  /** Copies a typed array into a new GPU array (a write queued on the device: synchronous for the caller). */
  upload(values: TypedArray, dtype: GpuDType = gpuDType(values)): GpuArray {
    const array = this.pool.allocate(values.length, dtype); // every element is written: no clear
    this.write(array, values);
    return array;
  }

  /** Overwrites `array` with `values` (same length; bool as 0/1 bytes becomes one u32 an element). */
  write(array: GpuArray, values: TypedArray): void {
    if (values.length === 0) return;
    // A queued write runs before commands recorded earlier and submitted later: submit those that use the array.
    if (this.recorded.has(array.buffer)) this.flush();
    this.pendingClears = this.pendingClears.filter((pending) => pending !== array); // overwritten anyway
    const data = values instanceof Uint8Array ? Uint32Array.from(values) : values;
    this.device.queue.writeBuffer(array.buffer, 0, data.buffer, data.byteOffset, data.length * 4);
  }

  /** The values of a GPU array, once the device has computed them (WebGPU has no synchronous read). */
  async read(array: GpuArray): Promise<Float32Array | Int32Array | Uint8Array> {
    if (array.freed) throw new Error('tapegrad.webgpu: this tensor was disposed; its memory went back to the pool');
    this.flush();
    const bytes = array.length * 4;
    const staging =
      bytes === 0 ? undefined : this.device.createBuffer({ size: bytes, usage: USAGE_MAP_READ | USAGE_COPY_DST });
    const checked = this.checks.size > 0 ? this.nextCheck : undefined; // the checks this read answers
    const flagStaging =
      checked === undefined ? undefined : this.device.createBuffer({ size: 4, usage: USAGE_MAP_READ | USAGE_COPY_DST });
    const rangeStaging = this.gathered
      ? this.device.createBuffer({ size: 4, usage: USAGE_MAP_READ | USAGE_COPY_DST })
      : undefined;
    this.gathered = false;
    if (staging !== undefined || flagStaging !== undefined || rangeStaging !== undefined) {
      const encoder = this.device.createCommandEncoder();
      if (staging !== undefined) encoder.copyBufferToBuffer(array.buffer, 0, staging, 0, bytes);
      if (flagStaging !== undefined) encoder.copyBufferToBuffer(this.flag!, 0, flagStaging, 0, 4);
      if (rangeStaging !== undefined) encoder.copyBufferToBuffer(this.outOfRange!.buffer, 0, rangeStaging, 0, 4);
      this.device.queue.submit([encoder.finish()]);
      await Promise.all([
        staging?.mapAsync(MAP_MODE_READ),
        flagStaging?.mapAsync(MAP_MODE_READ),
        rangeStaging?.mapAsync(MAP_MODE_READ),
      ]);
    } else {
      await this.device.queue.onSubmittedWorkDone();
    }
    if (rangeStaging !== undefined) {
      const outside = new Uint32Array(rangeStaging.getMappedRange())[0]!;
      rangeStaging.destroy();
      if (outside !== 0) {
        this.device.queue.writeBuffer(this.outOfRange!.buffer, 0, Uint32Array.of(0));
        staging?.destroy();
        flagStaging?.destroy();
        throw new Error(
          'tapegrad.gather: an index held on the GPU was outside its axis (indices must be in [0, size of the ' +
            'gathered axis)); those elements of the result are 0. Check the indices, or gather with indices on the ' +
            'CPU, which are checked when the op runs',
        );
      }
    }
    if (flagStaging !== undefined) {
      const failed = new Uint32Array(flagStaging.getMappedRange())[0]!;
      flagStaging.destroy();
      const describe = failed < checked! ? this.checks.get(failed) : undefined;
      for (const id of [...this.checks.keys()]) if (id < checked!) this.checks.delete(id);
      if (describe !== undefined) {
        this.device.queue.writeBuffer(this.flag!, 0, Uint32Array.of(NO_CHECK_FAILED));
        staging?.destroy();
        throw new Error(describe());
      }
    }
    const error = this.error;
    if (error !== undefined) {
      this.error = undefined; // reported once
      staging?.destroy();
      throw new Error(`tapegrad.webgpu: the device refused earlier work: ${error.message}`);
    }
    let result: Float32Array | Int32Array | Uint8Array;
    if (staging === undefined) {
      result =
        array.dtype === 'float32'
          ? new Float32Array(0)
          : array.dtype === 'int32'
            ? new Int32Array(0)
            : new Uint8Array(0);
    } else {
      const range = staging.getMappedRange();
      if (array.dtype === 'float32') result = new Float32Array(range).slice();
      else if (array.dtype === 'int32') result = new Int32Array(range).slice();
      else result = Uint8Array.from(new Uint32Array(range));
      staging.unmap();
      staging.destroy();
    }
    return result;
  }

  /** The workgroup grid for `n` invocations of `WORKGROUP` each: x up to MAX_GROUPS, then rows (see FLAT_INDEX). */
  grid(n: number): [number, number, number] {
    const groups = Math.ceil(n / WORKGROUP);
    const x = Math.min(Math.max(groups, 1), MAX_GROUPS);
    return [x, Math.ceil(groups / x), 1];
  }

  /**
   * Records the pipeline named `key` (compiled from `shader()` on first use) with bindings 0.. for `arrays` and the
   * last one for `dims`. Dispatches are recorded into one command encoder and submitted together: at a read, at a
   * write to an array they use, at `finish`, or every {@link DISPATCHES_PER_SUBMIT}. Buffers released meanwhile (the
   * dims buffers, disposed and collected tensors') reach the pool only after the submit. Nothing runs for an empty grid.
   */
  dispatch(
    key: string,
    shader: () => string,
    arrays: readonly GpuArray[],
    dims: Uint32Array,
    groups: readonly [number, number, number],
  ): void {
    if (groups[0] * groups[1] * groups[2] === 0) return;
    for (const array of arrays) {
      if (ArrayBuffer.isView(array)) {
        // An op that allocated its output on the CPU (not with allocateHere): a bug in tapegrad, named plainly.
        throw new TypeError(`tapegrad.webgpu.${key}: got a CPU typed array where GPU memory belongs`);
      }
      if (array.freed)
        throw new Error(`tapegrad.webgpu.${key}: an input was disposed; its memory went back to the pool`);
    }
    const device = this.device;
    let compiled = this.pipelines.get(key);
    if (compiled === undefined) {
      const module = device.createShaderModule({ label: key, code: shader() });
      const pipeline = device.createComputePipeline({
        label: key,
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
      });
      compiled = { pipeline, layout: pipeline.getBindGroupLayout(0) };
      this.pipelines.set(key, compiled);
    }
    const { pipeline, layout } = compiled;
    // From here buffers released go back to the pool only after the submit (a pooled dims buffer among them).
    if (this.encoder === undefined) {
      this.encoder = device.createCommandEncoder();
      this.pool.deferring = true;
    }
    const dimsBuffer = this.dimsBuffer(dims);
    const buffers = [...arrays.map((array) => array.buffer), dimsBuffer];
    // A training step binds the same buffers in the same order at every step (the pool hands them back in turn, and
    // the dims repeat): bind groups are kept by pipeline and buffers, as creating one is most of a dispatch's cost.
    let groupKey = key;
    for (const buffer of buffers) groupKey += `,${this.bufferId(buffer)}`;
    let bindGroup = this.bindGroups.get(groupKey);
    if (bindGroup === undefined) {
      if (this.bindGroups.size >= BIND_GROUPS_KEPT) this.bindGroups.clear();
      bindGroup = device.createBindGroup({
        layout,
        entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      this.bindGroups.set(groupKey, bindGroup);
    }
    if (this.pendingClears.length > 0) {
      // Clears are encoder commands, recorded between passes.
      this.pass?.end();
      this.pass = undefined;
      for (const array of this.pendingClears) {
        if (array.freed) continue;
        this.encoder.clearBuffer(array.buffer, 0, array.buffer.size);
        this.recorded.add(array.buffer);
      }
      this.pendingClears = [];
    }
    this.pass ??= this.encoder.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    for (const buffer of buffers) this.recorded.add(buffer);
    this.dispatches++;
    if (++this.unsubmitted >= DISPATCHES_PER_SUBMIT) this.flush();
  }

  /** Bind groups by pipeline key and buffer ids, and the ids. */
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 0;

  private bufferId(buffer: GPUBuffer): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) this.bufferIds.set(buffer, (id = this.nextBufferId++));
    return id;
  }

  /**
   * A buffer holding `dims`. Dims seen before (shapes repeat from step to step) get a buffer of their own, written once
   * and kept by its contents; others (an optimizer's step-dependent factors) a pooled one, written now and back in the
   * pool after the submit. Buffers dropped from a full cache are destroyed after the next submit, since recorded
   * commands may still read them.
   */
  private dimsBuffer(dims: Uint32Array): GPUBuffer {
    const key = dims.join(',');
    let buffer = this.dims.get(key);
    if (buffer !== undefined) return buffer;
    if (!this.dimsSeen.has(key)) {
      if (this.dimsSeen.size >= DIMS_KEPT) this.dimsSeen.clear();
      this.dimsSeen.add(key);
      buffer = this.pool.acquire(Math.max(dims.byteLength, 4));
      this.device.queue.writeBuffer(buffer, 0, dims.buffer, dims.byteOffset, dims.byteLength);
      this.pool.release(buffer); // held back from the pool until the submit
      return buffer;
    }
    if (this.dims.size >= DIMS_KEPT) {
      this.retired.push(...this.dims.values());
      this.dims.clear();
      this.bindGroups.clear(); // they bind the retired buffers
    }
    buffer = this.device.createBuffer({ size: Math.max(dims.byteLength, 4), usage: USAGE_STORAGE | USAGE_COPY_DST });
    this.device.queue.writeBuffer(buffer, 0, dims.buffer, dims.byteOffset, dims.byteLength);
    this.dims.set(key, buffer);
    return buffer;
  }

  private readonly dimsSeen = new Set<string>();
  private readonly dims = new Map<string, GPUBuffer>();
  private retired: GPUBuffer[] = [];

  /** The command encoder and compute pass being recorded, with the buffers their commands use. */
  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  private readonly recorded = new Set<GPUBuffer>();
  private unsubmitted = 0;

  /** Submits the recorded commands (and pending clears), then lets the buffers released meanwhile into the pool. */
  flush(): void {
    if (this.encoder === undefined && this.pendingClears.length === 0) return;
    const encoder = this.encoder ?? this.device.createCommandEncoder();
    this.pass?.end();
    for (const array of this.pendingClears) if (!array.freed) encoder.clearBuffer(array.buffer, 0, array.buffer.size);
    this.device.queue.submit([encoder.finish()]);
    this.encoder = undefined;
    this.pass = undefined;
    this.pendingClears = [];
    this.recorded.clear();
    this.unsubmitted = 0;
    this.pool.endDefer();
    for (const buffer of this.retired) buffer.destroy(); // the commands that read them are submitted
    this.retired = [];
  }

  /**
   * The flag gatherAxis's kernel raises (to 1) when an index is outside its axis: the next read throws, since the op
   * cannot read GPU indices when it runs. The same buffer every time, so bind groups that hold it are kept.
   */
  indexFlag(): GpuArray {
    this.outOfRange ??= {
      buffer: this.device.createBuffer({ size: 4, usage: USAGE_STORAGE | USAGE_COPY_SRC | USAGE_COPY_DST }),
      length: 1,
      dtype: 'int32',
      holders: 1,
      freed: false,
    };
    this.gathered = true;
    return this.outOfRange;
  }

  private outOfRange: GpuArray | undefined;
  /** Whether a gather ran since the last read (which then reads the flag too). */
  private gathered = false;

  /**
   * Checks `array` (float32) for NaN and ±Infinity on the device. Nothing is read now: where one is found, the next
   * `read` throws `describe()`'s message (for the first check that failed, in submission order), since WebGPU has no
   * synchronous read.
   */
  checkFinite(array: GpuArray, describe: () => string): void {
    if (array.length === 0 || array.dtype !== 'float32') return;
    const id = this.nextCheck++;
    this.checks.set(id, describe);
    if (this.flag === undefined) {
      this.flag = this.device.createBuffer({ size: 4, usage: USAGE_STORAGE | USAGE_COPY_SRC | USAGE_COPY_DST });
      this.device.queue.writeBuffer(this.flag, 0, Uint32Array.of(NO_CHECK_FAILED));
    }
    const flag: GpuArray = { buffer: this.flag, length: 1, dtype: 'int32', holders: 1, freed: false };
    this.dispatch(
      'checkFinite',
      () => CHECK_FINITE_SHADER,
      [array, flag],
      Uint32Array.of(array.length, id),
      this.grid(array.length),
    );
  }

  /** Arrays allocated from reused buffers, to be zeroed before the next command that could read them. */
  private pendingClears: GpuArray[] = [];

  /** Resolves once the device has finished the work submitted so far. */
  async finish(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
  }

  /** Frees the pool's buffers and the device; the context is unusable afterwards. */
  destroy(): void {
    this.flush();
    this.bindGroups.clear();
    for (const buffer of this.dims.values()) buffer.destroy();
    this.dims.clear();
    this.pool.trim();
    this.flag?.destroy();
    this.outOfRange?.buffer.destroy();
    this.device.destroy();
  }
}

/**
 * Dispatches recorded before a submit: enough to amortise a submit's cost, few enough that the GPU starts early.
 */
const DISPATCHES_PER_SUBMIT = 32;

/** Bind groups kept (each a few hundred bytes): enough for the dispatches of several training steps. */
const BIND_GROUPS_KEPT = 4096;

/** Distinct dims arrays kept in buffers of their own (each at least 4 bytes on the device). */
const DIMS_KEPT = 1024;

/** The flag's value while no check has failed. */
const NO_CHECK_FAILED = 0xffffffff;

/** dims = [n, check number]: lowers the flag to the check's number where an element is NaN or ±Infinity (bits). */
const CHECK_FINITE_SHADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> flag: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read> dims: array<u32>;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  ${FLAT_INDEX}
  if (i >= dims[0]) { return; }
  // Exponent all ones: Infinity or NaN (read as bits, which no compiler folds away).
  if ((x[i] & 0x7f800000u) == 0x7f800000u) { atomicMin(&flag[0], dims[1]); }
}`;

/** The bits of float32 `x` as a u32, for a `dims` entry a shader reads with `bitcast<f32>`. */
export function f32Bits(x: number): number {
  return new Uint32Array(Float32Array.of(x).buffer)[0]!;
}

/** The GPU dtype of a typed array; float64 is refused with what to do. */
export function gpuDType(values: TypedArray): GpuDType {
  if (values instanceof Float32Array) return 'float32';
  if (values instanceof Int32Array) return 'int32';
  if (values instanceof Uint8Array) return 'bool';
  throw new TypeError(
    "tapegrad.webgpu: float64 has no GPU kernels (WGSL has no f64); cast to float32, or keep this tensor on the CPU backend (await setBackend('wasm-simd'))",
  );
}

/** The WGSL element type of each GPU dtype (bool as u32). */
export const WGSL_TYPE: Record<GpuDType, string> = { float32: 'f32', int32: 'i32', bool: 'u32' };

/** The name of a GPU dtype in WGSL, or a TypeError naming the kernel and what it takes. */
export function checkType(kernel: string, array: GpuArray, allowed: readonly GpuDType[]): string {
  if (!allowed.includes(array.dtype)) {
    throw new TypeError(`tapegrad.webgpu.${kernel}: takes ${allowed.join(' or ')} on the GPU, got ${array.dtype}`);
  }
  return WGSL_TYPE[array.dtype];
}
