/**
 * The WebAssembly SIMD backend: kernels emitted at run time (no committed
 * binaries) and installed with `setKernels`. In Node they are compiled
 * synchronously and installed when tapegrad loads; in a browser, where the
 * main thread may not compile a module synchronously, `ready()` compiles and
 * installs them, and the TypeScript kernels run until then. Set
 * `TAPEGRAD_KERNELS=typescript` in Node's environment to keep the TypeScript ones
 * (at load and through `ready()`).
 * In Node, large matrix products also use a worker thread (`threads.ts`;
 * `TAPEGRAD_THREADS=1` keeps them on one thread). Where the engine has relaxed
 * SIMD (browsers; Node 20 with `--experimental-wasm-relaxed-simd`), matrix
 * products use its fused multiply-adds (`gemm.ts`). Large float32 5×5
 * stride-1 convolutions run as Winograd F(4×4, 5×5) (`winograd.ts`);
 * `TAPEGRAD_WINOGRAD=0` (read at load) keeps them direct, with the reference
 * kernels' bits.
 */
import { kernels, referenceKernels, setKernels, type Kernels } from '../index.js';
import { WINOGRAD_THRESHOLDS, wasmConv, type WinogradThresholds } from './conv.js';
import { wasmBinary, wasmUnary } from './elementwise.js';
import { gemmTiles, relaxedSimdSupported } from './gemm.js';
import { wasmMatmul } from './matmul.js';
import { wasmAdamUpdate, wasmSgdUpdate } from './optimizers.js';
import { wasmPool } from './pool.js';
import { kernelModuleBytes, Runtime, wasmApi, type WasmModule } from './runtime.js';
import { MatmulThreads, threadsWanted } from './threads.js';

/** The name {@link backend} gives each set of CPU kernels. */
export type CpuBackendName = 'wasm-simd' | 'typescript' | 'custom';

let fast: Partial<Kernels> | undefined;
let failure: unknown;
/** In Node the module works in shared memory, so that large products can use a second thread (`threads.ts`). */
const shared = threadsWanted();
let threads: MatmulThreads | undefined;
/** The products' micro-kernels use relaxed SIMD's fused multiply-adds where the engine has them (`gemm.ts`). */
const tiles = gemmTiles(wasmApi !== undefined && relaxedSimdSupported((bytes) => wasmApi!.validate(bytes)));

/** Whether the kernels that run on this thread alone have a memory of their own (see {@link instantiate}). */
let privateMemory = false;

/**
 * The fast kernels from compiled modules: `module` (shared memory where
 * threads are on) for matrix products and convolutions, which the worker
 * takes part in, and `privateModule` (an unshared memory; the same module where threads are off) for the
 * kernels this thread runs alone: element-wise maps, pooling and the optimizer updates. Every
 * copy between a JavaScript array and shared memory is a relaxed atomic copy,
 * about twice as slow as a plain one (a 784 KB copy: 34 against 14 us); on
 * their own memory the W4 step went from 3.2-3.8 ms to 2.9-3.2 ms, and the
 * W6 step from 3.8-4.0 ms to 3.5-3.7 ms.
 */
function instantiate(module: WasmModule, privateModule: WasmModule): Partial<Kernels> {
  const runtime = new Runtime(wasmApi!, module, tiles, shared);
  threads = shared ? new MatmulThreads(runtime) : undefined;
  const alone = privateModule === module ? runtime : new Runtime(wasmApi!, privateModule, tiles);
  privateMemory = alone !== runtime;
  return {
    matmul: wasmMatmul(runtime, undefined, threads),
    unary: wasmUnary(alone),
    binary: wasmBinary(alone),
    // Large convolutions run on both threads, each thread building its own patch rows where it can (conv.ts says
    // which): the bench's CNN step, W7, went from 33.4 ms to 29.2-29.9 ms in three bench runs.
    // Large float32 5x5 stride-1 convolutions run as Winograd F(4x4, 5x5) unless TAPEGRAD_WINOGRAD=0.
    ...wasmConv(runtime, undefined, threads, winogradThresholds()),
    ...wasmPool(alone),
    adamUpdate: wasmAdamUpdate(alone, referenceKernels.adamUpdate),
    sgdUpdate: wasmSgdUpdate(alone, referenceKernels.sgdUpdate),
  };
}

/**
 * The bytes of the module in shared memory (where threads are on) and of the
 * one in private memory (the same bytes where threads are off), if this host
 * runs WebAssembly with SIMD, else undefined.
 */
function validBytes(): [Uint8Array, Uint8Array] | undefined {
  if (wasmApi === undefined) return undefined;
  const bytes = kernelModuleBytes(tiles, shared);
  if (!wasmApi.validate(bytes)) return undefined;
  return [bytes, shared ? kernelModuleBytes(tiles, false) : bytes];
}

/** `validBytes()` compiled: the module in shared memory and the private one (see {@link instantiate}). */
function compiled([bytes, privateBytes]: [Uint8Array, Uint8Array]): [WasmModule, WasmModule] {
  const module = new wasmApi!.Module(bytes);
  return [module, privateBytes === bytes ? module : new wasmApi!.Module(privateBytes)];
}

/**
 * Compiles (once) and installs the WebAssembly SIMD kernels, and resolves to
 * the name of the kernels now in use: `'wasm-simd'`, or `'typescript'` where
 * WebAssembly SIMD is unavailable (the TypeScript kernels then stay). In Node
 * the kernels are already installed when tapegrad loads; in a browser, call
 * this once at start-up (compiling is asynchronous there), and ops use the
 * TypeScript kernels until it resolves. With `TAPEGRAD_KERNELS=typescript`
 * in Node's environment (read at each call) it installs nothing and keeps
 * the kernels in use. In Node it also starts the worker
 * thread that shares large matrix products, and resolves once it is up (the
 * first large product starts it otherwise; `TAPEGRAD_THREADS=1` keeps one thread).
 *
 * @example
 * ```ts
 * import { ready } from 'tapegrad';
 * const loading = ready(); // a Promise of backend()'s name once the kernels are in
 * loading instanceof Promise; // true
 * ```
 */
export async function ready(): Promise<CpuBackendName> {
  if (!wasmWanted()) return backend();
  if (fast === undefined && failure === undefined) {
    try {
      const bytes = validBytes();
      if (bytes !== undefined) {
        const module = await wasmApi!.compile(bytes[0]);
        fast = instantiate(module, bytes[1] === bytes[0] ? module : await wasmApi!.compile(bytes[1]));
      } else failure = new Error('WebAssembly SIMD is not available');
    } catch (error) {
      failure = error;
    }
  }
  if (fast !== undefined) setKernels(fast);
  await threads?.start();
  return backend();
}

/**
 * The kernels ops use now: `'wasm-simd'` (the WebAssembly SIMD kernels, with
 * the TypeScript ones for small problems and the rest), `'typescript'` (the
 * reference kernels only) or `'custom'` (some set with `setKernels`).
 *
 * @example
 * ```ts
 * import { backend, referenceKernels, setKernels } from 'tapegrad';
 * const previous = setKernels(referenceKernels);
 * backend(); // 'typescript'
 * setKernels(previous);
 * ```
 */
export function backend(): CpuBackendName {
  const names = Object.keys(referenceKernels) as (keyof Kernels)[];
  const expected = (name: keyof Kernels) => fast?.[name] ?? referenceKernels[name];
  if (fast !== undefined && names.every((name) => kernels[name] === expected(name))) return 'wasm-simd';
  if (names.every((name) => kernels[name] === referenceKernels[name])) return 'typescript';
  return 'custom';
}

/**
 * Which matrix-product micro-kernel the WebAssembly kernels use (for tests):
 * `'relaxed-simd'` (fused multiply-adds, where the engine has relaxed SIMD),
 * `'simd'` (multiply, then add), or undefined until they are compiled or
 * where WebAssembly SIMD is unavailable.
 */
export function gemmVariant(): 'relaxed-simd' | 'simd' | undefined {
  if (fast === undefined) return undefined;
  return tiles.f32.fma === true ? 'relaxed-simd' : 'simd';
}

/**
 * Which memory the kernels that run on this thread alone (element-wise maps,
 * pooling, the optimizer updates) work in (for tests): `'private'`, apart from the products'
 * shared memory (Node, threads on), `'products'` (the one memory: threads off,
 * or a browser), or undefined until the kernels are compiled.
 */
export function threadAloneMemory(): 'private' | 'products' | undefined {
  if (fast === undefined) return undefined;
  return privateMemory ? 'private' : 'products';
}

/**
 * Whether the WebAssembly kernels may be installed: not where Node's
 * environment sets `TAPEGRAD_KERNELS=typescript`, read each time (at load, and
 * by `ready()`).
 */
function wasmWanted(): boolean {
  return nodeProcess()?.env?.TAPEGRAD_KERNELS !== 'typescript';
}

/**
 * When convolutions run as Winograd: `WINOGRAD_THRESHOLDS`, or never (every convolution direct, the reference's
 * bits) where Node's environment sets `TAPEGRAD_WINOGRAD=0`.
 */
function winogradThresholds(): WinogradThresholds | false {
  return nodeProcess()?.env?.TAPEGRAD_WINOGRAD === '0' ? false : WINOGRAD_THRESHOLDS;
}

function nodeProcess(): { versions?: { node?: string }; env?: Record<string, string | undefined> } | undefined {
  return (globalThis as { process?: { versions?: { node?: string }; env?: Record<string, string | undefined> } })
    .process;
}

/** Node (not a browser): compile synchronously and install now, unless TAPEGRAD_KERNELS=typescript. */
function installInNode(): void {
  if (nodeProcess()?.versions?.node === undefined || !wasmWanted()) return;
  try {
    const bytes = validBytes();
    if (bytes === undefined) return;
    fast = instantiate(...compiled(bytes));
    setKernels(fast);
  } catch (error) {
    failure = error;
  }
}

installInNode();
