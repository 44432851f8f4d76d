/**
 * The WebAssembly module of the fast kernels and the memory it works in.
 * Tensors keep their data in ordinary typed arrays (garbage collection stays
 * the memory model); a kernel copies its operands into this one scratch
 * memory, runs, and copies the result out. The memory only grows, to the
 * largest problem seen so far.
 */
import { ModuleBuilder } from './emitter.js';
import { emitGemm, TILE_F32, TILE_F64, type Tile } from './gemm.js';
import { emitIm2colKernels, ROUND_F64_TO_F32 } from './im2col.js';
import { emitMath, type EXACT_F32, type MATH_F32, type RELU_GRAD_F32 } from './math.js';
import { emitAdam, emitSgd } from './optimizers.js';
import { emitPacks, type PackKernel } from './pack.js';
import { emitPool } from './pool.js';
import { emitWinogradKernels } from './winograd-kernel.js';

/** The exports of the kernel module. */
export interface KernelExports {
  /** `gemm(a, b, c, mc, nc, kc, ldc)` in float32; see `emitGemm`. */
  readonly gemmF32: (a: number, b: number, c: number, mc: number, nc: number, kc: number, ldc: number) => void;
  /** The same in float64. */
  readonly gemmF64: (a: number, b: number, c: number, mc: number, nc: number, kc: number, ldc: number) => void;
  /** `gemmF32` that overwrites C instead of adding to it (for the first block of k). */
  readonly gemmSetF32: (a: number, b: number, c: number, mc: number, nc: number, kc: number, ldc: number) => void;
  /** `gemmF64` that overwrites C. */
  readonly gemmSetF64: (a: number, b: number, c: number, mc: number, nc: number, kc: number, ldc: number) => void;
  /** The pack kernels of `pack.ts` (`packRuns16`, `packCols4x4`, ...). */
  readonly [pack: `pack${string}`]: PackKernel;
}

/** The float32 maps of `math.ts` (`expF32(p, n)`, ...): in place over n floats from byte address p. */
export type MathExports = {
  readonly [K in (typeof MATH_F32 & typeof EXACT_F32)[keyof (typeof MATH_F32 & typeof EXACT_F32)]]: (
    p: number,
    n: number,
  ) => void;
} & {
  /** `reluGradF32(pa, pb, po, n)`: the float32 relu gradient of same-size operands. */
  readonly [RELU_GRAD_F32]: (pa: number, pb: number, po: number, n: number) => void;
} & {
  /** The binary maps of `math.ts`, by `arithName` (`mulF32vs(pa, pb, po, n)`, ...). */
  readonly [name: string]: (...args: number[]) => void;
};

/** The register tiles of the float32 and float64 products. */
export interface Tiles {
  readonly f32: Tile;
  readonly f64: Tile;
}

/** The most pages a shared memory may grow to: all of wasm32's 4 GiB (only address space is reserved). */
export const SHARED_MAXIMUM_PAGES = 65536;

/**
 * The kernel module's binary, emitted afresh (it is a few kilobytes and takes
 * well under a millisecond); `shared`: it imports a shared memory, for threads.
 */
export function kernelModuleBytes(tiles: Tiles = { f32: TILE_F32, f64: TILE_F64 }, shared = false): Uint8Array {
  const module = new ModuleBuilder(shared ? SHARED_MAXIMUM_PAGES : undefined);
  emitGemm(module, 'gemmF32', tiles.f32);
  emitGemm(module, 'gemmF64', tiles.f64);
  emitGemm(module, 'gemmSetF32', tiles.f32, true);
  emitGemm(module, 'gemmSetF64', tiles.f64, true);
  emitPacks(module, [tiles.f32, tiles.f64]);
  emitMath(module);
  emitAdam(module);
  emitSgd(module);
  emitIm2colKernels(module);
  emitPool(module);
  emitWinogradKernels(module);
  return module.encode();
}

const PAGE = 65536;

/** The parts of the WebAssembly JS API used here (typed locally: the build has no DOM or Node types). */
export interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: object) => { readonly exports: object };
  readonly Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
}
/** A compiled module (opaque). */
export type WasmModule = object;
/** A WebAssembly memory (its buffer is a SharedArrayBuffer when it is shared). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The host's WebAssembly, if it has one. */
export const wasmApi: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** An instantiated kernel module and typed views of its memory, refreshed when it grows. */
export class Runtime {
  /** The memory the kernels work in; shared (and importable by a worker thread) if `shared`. */
  readonly memory: WasmMemory;
  readonly exports: KernelExports & MathExports;
  private buffer: ArrayBuffer;
  private f32View: Float32Array;
  private f64View: Float64Array;

  /** `module` must have been emitted with `tiles` and `shared`. */
  constructor(
    api: WasmApi,
    readonly module: WasmModule,
    readonly tiles: Tiles = { f32: TILE_F32, f64: TILE_F64 },
    readonly shared = false,
  ) {
    this.memory = new api.Memory(
      shared ? { initial: 16, maximum: SHARED_MAXIMUM_PAGES, shared: true } : { initial: 16 },
    );
    const instance = new api.Instance(module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as KernelExports & MathExports;
    this.buffer = this.memory.buffer;
    this.f32View = new Float32Array(this.buffer);
    this.f64View = new Float64Array(this.buffer);
  }

  /** Grows the memory to at least `bytes` bytes. */
  reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  /** A float32 view of the whole memory (valid until the next `reserve`). */
  f32(): Float32Array {
    if (this.buffer !== this.memory.buffer) this.refresh();
    return this.f32View;
  }

  /** A float64 view of the whole memory (valid until the next `reserve`). */
  f64(): Float64Array {
    if (this.buffer !== this.memory.buffer) this.refresh();
    return this.f64View;
  }

  /**
   * Copies the `out.length` float64 values from float64 element `at` into `out`: a `Float64Array` as they are; a
   * `Float32Array` rounded in place by `roundF64ToF32` (to nearest, as JavaScript's conversion), then copied as
   * float32. The values' memory is left changed.
   */
  sumsOut(at: number, out: Float32Array | Float64Array): void {
    const n = out.length;
    if (out instanceof Float64Array) {
      out.set(this.f64().subarray(at, at + n));
      return;
    }
    this.exports[ROUND_F64_TO_F32]!(at * 8, at * 8, n);
    out.set(this.f32().subarray(2 * at, 2 * at + n));
  }

  private refresh(): void {
    this.buffer = this.memory.buffer;
    this.f32View = new Float32Array(this.buffer);
    this.f64View = new Float64Array(this.buffer);
  }
}
