/// <reference types="@webgpu/types" />
/**
 * The WebGPU kernels of the spike (docs/design/webgpu.md): upload, read-back, broadcasting binary ops and the
 * matrix product, on GPU arrays rather than typed arrays. Not installed into the ops' kernel table yet, and not
 * exported from lib/index.ts: the specs in spec/webgpu/ check them against the TypeScript kernels.
 */
import type { TypedArray } from '../../dtype.js';
import type { Shape } from '../../shape.js';
import { BufferPool, MAP_MODE_READ, USAGE_COPY_DST, USAGE_MAP_READ, type GpuArray, type GpuDType } from './buffers.js';
import { acquireDevice, type WebGpuContext, type WebGpuOptions } from './device.js';
import { binaryShader, collapseBroadcast, ELEMENTWISE_WORKGROUP, type WgslBinaryKernel } from './elementwise.js';
import { MATMUL_SHADER, MATMUL_TILE, matmulMeta } from './matmul.js';

export type { GpuArray, GpuDType } from './buffers.js';
export type { WebGpuContext, WebGpuOptions } from './device.js';
export type { WgslBinaryKernel } from './elementwise.js';

/** The most workgroups a dispatch may have along one axis (WebGPU's default limit). */
const MAX_GROUPS = 65535;

/** A device with its buffer pool and compiled pipelines: what a `setBackend('webgpu')` would hold. */
export class WebGpuKernels {
  readonly pool: BufferPool;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** The first error the device reported (a shader or a dispatch it refused), thrown at the next read, once. */
  private error: GPUError | undefined;

  private constructor(readonly context: WebGpuContext) {
    this.pool = new BufferPool(context.device);
    context.device.addEventListener('uncapturederror', (event) => {
      this.error ??= (event as GPUUncapturedErrorEvent).error;
    });
  }

  /** Acquires a device (from `options.gpu`, else `globalThis.navigator.gpu`) and sets up its kernels. */
  static async create(options?: WebGpuOptions): Promise<WebGpuKernels> {
    return new WebGpuKernels(await acquireDevice(options));
  }

  private get device(): GPUDevice {
    return this.context.device;
  }

  /** Copies a typed array into a new GPU array (a write queued on the device: synchronous for the caller). */
  upload(values: TypedArray): GpuArray {
    const array = this.pool.allocate(values.length, gpuDType(values));
    if (values.length > 0) this.device.queue.writeBuffer(array.buffer, 0, values);
    return array;
  }

  /** The values of a GPU array, once the device has computed them (WebGPU has no synchronous read). */
  async read(array: GpuArray): Promise<Float32Array | Int32Array> {
    const bytes = array.length * 4;
    const result = array.dtype === 'int32' ? new Int32Array(array.length) : new Float32Array(array.length);
    if (bytes === 0) return result;
    const staging = this.device.createBuffer({ size: bytes, usage: USAGE_MAP_READ | USAGE_COPY_DST });
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(array.buffer, 0, staging, 0, bytes);
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(MAP_MODE_READ);
    const error = this.error;
    if (error !== undefined) {
      this.error = undefined; // reported once
      staging.destroy();
      throw new Error(`tapegrad.webgpu: the device refused earlier work: ${error.message}`);
    }
    result.set(
      array.dtype === 'int32' ? new Int32Array(staging.getMappedRange()) : new Float32Array(staging.getMappedRange()),
    );
    staging.unmap();
    staging.destroy();
    return result;
  }

  /** `op(a, b)` element-wise with NumPy broadcasting, as the `binary` kernel of ../elementwise.ts. */
  binary(op: WgslBinaryKernel, a: GpuArray, aShape: Shape, b: GpuArray, bShape: Shape, outShape: Shape): GpuArray {
    if (a.dtype !== b.dtype) throw new Error(`tapegrad.webgpu.${op}: dtypes differ (${a.dtype}, ${b.dtype})`);
    if (op === 'div' && a.dtype === 'int32') {
      throw new Error('tapegrad.webgpu.div: int32 division (rounding toward -infinity) has no WGSL kernel yet');
    }
    const { shape, aStrides, bStrides } = collapseBroadcast(aShape, bShape, outShape);
    const n = shape.reduce((p, s) => p * s, 1);
    const out = this.pool.allocate(n, a.dtype);
    if (n === 0) return out;
    const meta = Uint32Array.from([n, shape.length, ...shape, ...aStrides, ...bStrides]);
    const groups = Math.ceil(n / ELEMENTWISE_WORKGROUP);
    const x = Math.min(groups, MAX_GROUPS);
    const rank = shape.length;
    const contiguous = rank === 1 && aStrides[0] === 1 && bStrides[0] === 1;
    const key = `binary.${op}.${a.dtype}.${contiguous ? 'contiguous' : rank}`;
    this.dispatch(key, () => binaryShader(op, a.dtype, rank, contiguous), [a, b, out], meta, [
      x,
      Math.ceil(groups / x),
      1,
    ]);
    return out;
  }

  /**
   * The batched product `a @ b` of float32 arrays, with the arguments of the `matmul` kernel of ../matmul.ts
   * (batch shapes broadcast to `outBatch`; transposes read in place).
   */
  matmul(
    a: GpuArray,
    aBatch: Shape,
    b: GpuArray,
    bBatch: Shape,
    outBatch: Shape,
    m: number,
    k: number,
    n: number,
    transposeA: boolean,
    transposeB: boolean,
  ): GpuArray {
    if (a.dtype !== 'float32' || b.dtype !== 'float32') {
      throw new Error(`tapegrad.webgpu.matmul: float32 only so far, got ${a.dtype} and ${b.dtype}`);
    }
    const batch = outBatch.reduce((p, s) => p * s, 1);
    if (batch > MAX_GROUPS)
      throw new Error(`tapegrad.webgpu.matmul: ${batch} matrices in a batch; at most ${MAX_GROUPS} so far`);
    const out = this.pool.allocate(batch * m * n, 'float32');
    if (batch * m * n === 0) return out;
    const meta = matmulMeta(aBatch, bBatch, outBatch, m, k, n, transposeA, transposeB);
    this.dispatch('matmul', () => MATMUL_SHADER, [a, b, out], meta, [
      Math.ceil(n / MATMUL_TILE),
      Math.ceil(m / MATMUL_TILE),
      batch,
    ]);
    return out;
  }

  /** Resolves once the device has finished the work submitted so far. */
  async finish(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
  }

  /** Frees the pool's buffers and the device; the kernels are unusable afterwards. */
  destroy(): void {
    this.pool.trim();
    this.device.destroy();
  }

  /**
   * Runs the pipeline named `key` (compiled from `shader()` on first use) with bindings 0.. for `arrays` and the
   * last one for `meta`, in one command buffer submitted at once. The meta buffer goes back to the pool straight
   * after the submit: the queue orders any later write to it after this dispatch.
   */
  private dispatch(
    key: string,
    shader: () => string,
    arrays: readonly GpuArray[],
    meta: Uint32Array,
    groups: readonly [number, number, number],
  ): void {
    const device = this.device;
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      const module = device.createShaderModule({ label: key, code: shader() });
      pipeline = device.createComputePipeline({ label: key, layout: 'auto', compute: { module, entryPoint: 'main' } });
      this.pipelines.set(key, pipeline);
    }
    const metaBuffer = this.pool.acquire(meta.byteLength);
    device.queue.writeBuffer(metaBuffer, 0, meta);
    const buffers = [...arrays.map((array) => array.buffer), metaBuffer];
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    pass.end();
    device.queue.submit([encoder.finish()]);
    this.pool.release(metaBuffer);
  }
}

/** The GPU dtype of a typed array; float64 and bool are refused with what to do. */
function gpuDType(values: TypedArray): GpuDType {
  if (values instanceof Float32Array) return 'float32';
  if (values instanceof Int32Array) return 'int32';
  if (values instanceof Float64Array) {
    throw new TypeError(
      "tapegrad.webgpu: float64 has no GPU kernels (WGSL has no f64); cast to float32, or keep this tensor on the CPU backend ('wasm-simd')",
    );
  }
  throw new TypeError('tapegrad.webgpu: bool tensors have no GPU storage yet (to be one u32 an element)');
}
