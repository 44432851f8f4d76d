/**
 * The Tensor: an immutable n-dimensional array with a shape, a dtype and its
 * data in a typed array (row-major). Its op methods (`x.add(1)`) are declared
 * and installed by the op families in lib/ops/, each from its op's own
 * signature, when they load (lib/index.ts loads them all).
 */
import type { DataTypeMap, DType, TypedArray } from './dtype.js';
import { formatValues } from './format.js';
import { gpuDTypeOf, placement } from './kernels/placement.js';
import type { GpuArray, Storage } from './kernels/storage.js';
import type { ReadEpoch, TapeNode } from './recording.js';
import { sizeOf, type Shape } from './shape.js';

/** Nested arrays of numbers, as returned by `arraySync()`. */
export type NestedArray = number | NestedArray[];

/**
 * Anything an op accepts in place of a tensor: a tensor, a number or boolean,
 * nested arrays of them, or a typed array. Non-tensors are converted with the
 * dtype of the op's other operand (`mul(x, 2)`), else float32.
 */
export type TensorLike = Tensor | number | boolean | TypedArray | readonly TensorLikeArray[];
/** An element of a nested-array tensor value. */
export type TensorLikeArray = number | boolean | readonly TensorLikeArray[];

let nextId = 0;

/**
 * The key under which Node's `util.inspect` (and so `console.log`) looks for
 * an object's own text. `Symbol.for` gives Node's own symbol without importing
 * node:util, so the library still loads in browsers.
 */
const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/** The console as every JavaScript host has it (the build's type libraries name none). */
declare const console: { log(...data: unknown[]): void };

/** What {@link Tensor.toJSON} gives: the dtype, the shape and the values as nested arrays. */
export interface TensorJSON<D extends DType = DType> {
  /** The element type. */
  dtype: D;
  /** The dimensions, outermost first. */
  shape: number[];
  /** As `arraySync()` gives them: nested arrays, bool as 0 and 1. */
  values: NestedArray;
}

/**
 * The id the next tensor will get: tensor ids only grow, so a tape marks the
 * ranges in which it recorded with these, without making a tensor.
 * @internal
 */
export function nextTensorId(): number {
  return nextId;
}

/**
 * An immutable n-dimensional array. Create tensors with {@link tensor},
 * {@link scalar}, {@link zeros} and friends rather than this constructor.
 *
 * @example
 * ```ts
 * import { tensor } from 'tapegrad';
 * const x = tensor([[1, 2], [3, 4]]);
 * x.shape; // [2, 2]
 * x.dtype; // 'float32'
 * x.add(1).arraySync(); // [[2, 3], [4, 5]]
 * String(x); // 'Tensor([[1, 2], [3, 4]], shape=[2,2], dtype=float32)'
 * ```
 */
export class Tensor<D extends DType = DType> {
  /**
   * A unique number: how tapes and gradients refer to this tensor.
   *
   * @example
   * ```ts
   * import { tensor } from 'tapegrad';
   * const a = tensor([1, 2]);
   * a.id === tensor(a).id; // false: a copy is a new tensor
   * ```
   */
  readonly id: number;
  /**
   * The dimensions, outermost first; `[]` for a scalar.
   *
   * @example
   * ```ts
   * tensor([[1, 2, 3]]).shape; // [1, 3]
   * scalar(5).shape; // []
   * ```
   */
  readonly shape: Shape;
  /**
   * The element type.
   *
   * @example
   * ```ts
   * tensor([1, 2]).dtype; // 'float32'
   * tensor([true, false]).dtype; // 'bool'
   * ```
   */
  readonly dtype: D;
  /**
   * The data, row-major: a typed array on the CPU, or a GPU array on webgpu. Shared, never copied, never mutated.
   * @internal
   */
  storage: DataTypeMap[D] | GpuArray;
  /**
   * Whether `storage` is in GPU memory.
   * @internal
   */
  onGpu: boolean;
  /**
   * The op that computed this tensor, when a tape could want it (lib/recording.ts).
   * @internal
   */
  node: TapeNode | undefined;
  /**
   * Whether a tape has watched this tensor (never cleared: it only means that ops on it get recorded).
   * @internal
   */
  watched: boolean;
  /**
   * For a variable: the stretch in which a recorded op last read it (lib/recording.ts).
   * @internal
   */
  declare readEpoch?: ReadEpoch;

  /**
   * Wraps a typed array as a tensor without copying it. Prefer {@link tensor},
   * which checks and copies its input: a tensor's data must never change
   * after construction. `id` is for tapegrad itself (a variable's snapshots
   * share its id); leave it out.
   *
   * @param values - The data, row-major, in the typed array of `dtype` (Uint8Array for bool); kept, not copied.
   * @param shape - The shape, whose sizes multiply to `values.length`.
   * @param dtype - The dtype: `'float32'`, `'float64'`, `'int32'` or `'bool'`.
   * @param id - For tapegrad itself; leave it out (a fresh id).
   *
   * @example
   * ```ts
   * const t = new Tensor(new Float32Array([1, 2, 3, 4]), [2, 2], 'float32'); // [[1, 2], [3, 4]]
   * ```
   */
  constructor(values: DataTypeMap[D], shape: Shape, dtype: D, id?: number);
  /**
   * A tensor over data in GPU memory (or either kind of storage): for tapegrad's own ops.
   * @internal
   */
  constructor(values: DataTypeMap[D] | GpuArray, shape: Shape, dtype: D, id?: number);
  constructor(values: DataTypeMap[D] | GpuArray, shape: Shape, dtype: D, id = nextId++) {
    this.storage = values;
    this.onGpu = !ArrayBuffer.isView(values);
    if (this.onGpu) {
      (values as GpuArray).holders++;
      const scopes = placement.scopes;
      if (scopes.length > 0) scopes[scopes.length - 1]!.push(this); // tidy frees it at the scope's end
    }
    this.shape = shape;
    this.dtype = dtype;
    this.id = id;
    this.node = undefined;
    this.watched = false;
  }

  /**
   * The data as a typed array, on the CPU. A GPU tensor's data cannot be read synchronously: this throws, saying to
   * await `data()`.
   * @internal
   */
  get values(): DataTypeMap[D] {
    return this.valuesNow;
  }

  /**
   * The data as {@link Tensor.values} gives it, for a read that keeps no reference to the array once it returns (a
   * copy, a print): a variable does not count such a read as sharing its array (see `Variable.mayUpdateInPlace`).
   * @internal
   */
  get valuesNow(): DataTypeMap[D] {
    if (this.onGpu) throw this.onGpuError('read synchronously');
    return this.storage as DataTypeMap[D];
  }

  /**
   * Replaces the data (a variable's assign): the old data stays with the tensors that share it, and GPU memory no
   * tensor holds any more goes back to the pool at once.
   * @internal
   */
  replaceStorage(storage: DataTypeMap[D] | GpuArray): void {
    if (this.onGpu && --(this.storage as GpuArray).holders === 0) placement.held?.free(this.storage as GpuArray);
    this.storage = storage;
    this.onGpu = !ArrayBuffer.isView(storage);
    if (this.onGpu) (storage as GpuArray).holders++;
    uploads.delete(this);
  }

  /**
   * The data where ops run now: the typed array on the CPU backends; on webgpu the GPU array, uploading a CPU
   * tensor's data the first time (a queued write, kept for later ops). A GPU tensor given to a CPU op is an error that
   * says how to move it.
   * @internal
   */
  get placed(): Storage {
    const device = placement.device;
    if (device === undefined) {
      if (this.onGpu) throw this.onGpuError('used by a CPU op');
      return this.storage as TypedArray;
    }
    if (this.onGpu) {
      if (this.storage === DISPOSED) throw this.disposedError();
      return this.storage as GpuArray;
    }
    let copy = uploads.get(this);
    if (copy === undefined) {
      copy = device.upload(this.storage as TypedArray, gpuDTypeOf(this.dtype, placement.op));
      uploads.set(this, copy);
    }
    return copy;
  }

  /** The error for a synchronous use of GPU data, naming the op running (if any) and what to do. */
  private onGpuError(what: string): Error {
    if (this.storage === DISPOSED) return this.disposedError();
    const where = placement.op === undefined ? 'Tensor' : placement.op;
    const shape = `[${this.shape.join(',')}]`;
    return new Error(
      placement.device === undefined
        ? `tapegrad.${where}: a ${this.dtype} tensor of shape ${shape} lives on webgpu, but the backend is now a CPU ` +
            `one; move it first with await toBackend(t, 'wasm-simd') (reading GPU memory is asynchronous)`
        : `tapegrad.${where}: a ${this.dtype} tensor of shape ${shape} lives on webgpu and cannot be ${what}; ` +
            'await t.data() or t.array() (WebGPU has no synchronous read)',
    );
  }

  private disposedError(): Error {
    return new Error(
      `tapegrad.${placement.op ?? 'Tensor'}: a ${this.dtype} tensor of shape [${this.shape.join(',')}] was disposed; ` +
        'its GPU memory went back to the pool. Keep tensors you still use out of dispose() and tidy()',
    );
  }

  /**
   * The number of elements.
   *
   * @example
   * ```ts
   * tensor([[1, 2, 3], [4, 5, 6]]).size; // 6
   * scalar(5).size; // 1
   * ```
   */
  get size(): number {
    return sizeOf(this.shape);
  }

  /**
   * The number of dimensions.
   *
   * @example
   * ```ts
   * tensor([[1, 2, 3]]).rank; // 2
   * scalar(5).rank; // 0
   * ```
   */
  get rank(): number {
    return this.shape.length;
  }

  /**
   * Whether a recording tape that watches accessed variables starts watching
   * this tensor when an op reads it: true for trainable variables.
   * @internal
   */
  get watchOnRead(): boolean {
    return false;
  }

  /**
   * Whether this tensor is a {@link Variable} (tapes list the variables they watch).
   * @internal
   */
  get isVariable(): boolean {
    return false;
  }

  /**
   * The value an op recorded now must keep for its backward pass. A tensor is
   * immutable, so itself; a variable gives its current value, and unless
   * `shared` is false counts its array as shared from then on (a tape of an
   * optimizer's own, spent before the update, passes false).
   * @internal
   */
  snapshot(_shared = true): Tensor<D> {
    return this;
  }

  /**
   * Notes that something else now holds this tensor's array (an op's output over it): a variable then never writes
   * its next value into that array. Nothing for a tensor, whose data never changes.
   * @internal
   */
  markShared(): void {}

  /**
   * A copy of the data as a typed array of the dtype
   * (`Float32Array`, `Float64Array`, `Int32Array`, or `Uint8Array` for bool).
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).dataSync(); // Float32Array [1, 2, 3]
   * ```
   */
  dataSync(): DataTypeMap[D] {
    return this.valuesNow.slice() as DataTypeMap[D];
  }

  /**
   * A copy of the data as a typed array of the dtype, on every backend: on the
   * CPU it resolves at once; on webgpu once the GPU has computed the tensor
   * (WebGPU has no synchronous read, so `dataSync()` throws there). As
   * TensorFlow.js's `data()`.
   *
   * @example
   * ```ts
   * import { tensor } from 'tapegrad';
   * const values = await tensor([1, 2, 3]).mul(2).data(); // Float32Array [2, 4, 6]
   * ```
   */
  async data(): Promise<DataTypeMap[D]> {
    if (!this.onGpu) return this.dataSync();
    const device = placement.held;
    if (this.storage === DISPOSED) throw this.disposedError();
    if (device === undefined)
      throw new Error('tapegrad.Tensor.data: the webgpu backend that holds this tensor is gone');
    return (await device.read(this.storage as GpuArray)) as DataTypeMap[D];
  }

  /**
   * The values as nested JavaScript arrays (bool as 0 and 1), on every
   * backend: `arraySync()` that also waits for the GPU. As TensorFlow.js's `array()`.
   *
   * @example
   * ```ts
   * import { tensor } from 'tapegrad';
   * const rows = await tensor([[1, 2], [3, 4]]).array(); // [[1, 2], [3, 4]]
   * ```
   */
  async array(): Promise<NestedArray> {
    return nest(await this.data(), this.shape);
  }

  /**
   * The values as nested JavaScript arrays (bool as 0 and 1, as TensorFlow.js).
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).arraySync(); // [[1, 2], [3, 4]]
   * tensor([true, false]).arraySync(); // [1, 0]
   * scalar(3).arraySync(); // 3
   * ```
   */
  arraySync(): NestedArray {
    return nest(this.valuesNow, this.shape);
  }

  /**
   * The single element of a one-element tensor, as a number.
   *
   * @example
   * ```ts
   * scalar(3).item(); // 3
   * ```
   */
  item(): number {
    if (this.onGpu) throw this.onGpuError('read synchronously by item()');
    if (this.valuesNow.length !== 1) {
      throw new Error(
        `tapegrad.Tensor.item: the tensor has ${this.valuesNow.length} elements (shape [${this.shape.join(',')}]); ` +
          'item() needs exactly one, use dataSync() or arraySync() for more',
      );
    }
    return this.valuesNow[0]!;
  }

  /**
   * The first line of `print()`: `Tensor`, or for a variable its name.
   * @internal
   */
  get printHeader(): string {
    return 'Tensor';
  }

  /**
   * Prints the tensor with `console.log`, as TensorFlow.js's `print()` does:
   * `Tensor`, then the values indented. `verbose` adds the dtype, rank and
   * shape before them. A variable's first line gives its name. Axes of large
   * tensors are summarised with `...`.
   *
   * @param verbose - Also print the dtype, rank and shape; default false.
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).print();
   * // Tensor
   * //     [[1, 2], [3, 4]]
   * tensor([1, 2]).print(true);
   * // Tensor
   * //   dtype: float32
   * //   rank: 1
   * //   shape: [2]
   * //   values:
   * //     [1, 2]
   * ```
   */
  print(verbose = false): void {
    console.log(this.printText(verbose));
  }

  /**
   * The text `print(verbose)` prints.
   * @internal
   */
  printText(verbose: boolean): string {
    const lines = [this.printHeader];
    if (verbose) {
      lines.push(`  dtype: ${this.dtype}`, `  rank: ${this.rank}`, `  shape: [${this.shape.join(',')}]`, '  values:');
    }
    // GPU memory is not read here (WebGPU has no synchronous read): its dtype and shape stand in for the values.
    const shape = `[${this.shape.join(',')}]`;
    const gpu = `    on webgpu: ${this.dtype}, shape ${shape} (await data() for the values)`;
    lines.push(this.onGpu ? gpu : `    ${formatValues(this.valuesNow, this.shape, this.dtype)}`);
    return lines.join('\n');
  }

  /**
   * What Node's `util.inspect`, and so `console.log(x)`, shows for the tensor:
   * its dtype, rank, shape and values, as `print(true)` prints them (a
   * variable's name first), instead of the object's internals.
   *
   * @example
   * ```ts
   * const x = tensor([[1, 2], [3, 4]]);
   * // In Node, console.log(x) prints what x.print(true) prints:
   * // Tensor
   * //   dtype: float32
   * //   rank: 2
   * //   shape: [2,2]
   * //   values:
   * //     [[1, 2], [3, 4]]
   * ```
   */
  [inspectCustom](): string {
    return this.printText(true);
  }

  /**
   * The tensor as JSON data, so that `JSON.stringify(x)` gives
   * `{"dtype":..., "shape":[...], "values":[...]}` with the values as nested
   * arrays (as `arraySync()` gives them: bool as 0 and 1). As always in JSON,
   * NaN and ±Infinity become `null`. `tensor(json.values, json.shape, json.dtype)`
   * reads it back (when every value is finite).
   *
   * @example
   * ```ts
   * const x = tensor([[1, 2]]);
   * JSON.stringify(x); // '{"dtype":"float32","shape":[1,2],"values":[[1,2]]}'
   * x.toJSON().values; // [[1, 2]]
   * JSON.stringify(tensor([NaN, Infinity, 1])); // '{"dtype":"float32","shape":[3],"values":[null,null,1]}'
   * ```
   */
  toJSON(): TensorJSON<D> {
    return { dtype: this.dtype, shape: [...this.shape], values: this.arraySync() };
  }

  /**
   * Frees the tensor's memory early, as TensorFlow.js's `dispose()`. On
   * webgpu its GPU memory goes back to the pool now, once no other tensor
   * (a reshape, a variable's value) shares it, and using the tensor afterwards
   * is an error. On the CPU backends (JavaScript and WebAssembly) it does
   * nothing: a tensor's memory is the garbage collector's, freed once nothing
   * refers to the tensor, and the tensor stays usable; do not rely on that.
   * Without `dispose()`, GPU memory goes back to the pool when the collector
   * takes the tensor.
   *
   * @example
   * ```ts
   * const x = tensor([1, 2]);
   * x.dispose(); // nothing to free: the garbage collector owns CPU memory
   * ```
   */
  dispose(): void {
    if (!this.onGpu || this.storage === DISPOSED) return; // the garbage collector owns CPU memory
    const array = this.storage as GpuArray;
    this.storage = DISPOSED; // this tensor's own: views sharing the array keep it
    if (--array.holders === 0) placement.held?.free(array);
  }

  /**
   * The tensor as text, like TensorFlow's: values, shape and dtype.
   *
   * @example
   * ```ts
   * String(tensor([[1, 2]])); // 'Tensor([[1, 2]], shape=[1,2], dtype=float32)'
   * ```
   */
  toString(): string {
    const values = this.onGpu ? 'on webgpu' : formatValues(this.valuesNow, this.shape, this.dtype);
    return `Tensor(${values}, shape=[${this.shape.join(',')}], dtype=${this.dtype})`;
  }
}

/**
 * The storage of a disposed GPU tensor: using it is an error (views that shared its array keep the array). Kept in the
 * tensor rather than a flag, so that tensors carry no field for it.
 */
const DISPOSED: GpuArray = {
  buffer: undefined as unknown as GpuArray['buffer'],
  length: 0,
  dtype: 'float32',
  holders: 0, // a view made of a disposed tensor shares this, and is disposed too
  freed: true,
};

/** CPU tensors' copies in GPU memory, made the first time a GPU op read them (a tensor never changes: once). */
const uploads = new WeakMap<Tensor, GpuArray>();

/**
 * The copy in GPU memory that GPU ops read for CPU tensor `t`, if one has been made (for the specs).
 * @internal
 */
export function uploadOf(t: Tensor): GpuArray | undefined {
  return uploads.get(t);
}

/** `values` (row-major, of `shape`) as nested arrays; a scalar as a number. */
function nest(values: TypedArray, shape: Shape): NestedArray {
  const build = (axis: number, offset: number, stride: number): NestedArray => {
    if (axis === shape.length) return values[offset]!;
    const n = shape[axis]!;
    const inner = stride / (n || 1);
    const out: NestedArray[] = new Array<NestedArray>(n);
    for (let i = 0; i < n; i++) out[i] = build(axis + 1, offset + i * inner, inner);
    return out;
  };
  return build(0, 0, values.length);
}
