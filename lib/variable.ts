/**
 * Variables: mutable holders of a tensor value, for model parameters.
 * A variable is a Tensor whose value `assign` replaces (never mutating the
 * old data in place, so what a tape saved stays valid). An optimizer's fused
 * update writes into the variable's own array instead, but only when nothing
 * else can read that array: the variable counts its array as shared once
 * anything is given it (a snapshot for a tape or a function, `values`, an op
 * whose output is the same array) and writes in place only while it is not,
 * the way TensorFlow's variables copy on write.
 */
import { convertToTensor, copyHere, tensor } from './creation.js';
import type { DataTypeMap, DType } from './dtype.js';
import { formatShape, shapesEqual } from './shape.js';
import { withoutRecording } from './recording.js';
import { rememberVariable } from './variable-registry.js';
import { Tensor, type TensorLike } from './tensor.js';

/** Options of {@link variable}. */
export interface VariableOptions<D extends DType = DType> {
  /** Whether tapes watch it automatically when an op reads it (default true). */
  trainable?: boolean;
  /** A name for printing and debugging (default `Variable_<id>`). */
  name?: string;
  /** Convert the initial value to this dtype. */
  dtype?: D;
}

let nextVariable = 0;

/**
 * A mutable tensor: usable wherever a Tensor is. `assign`, `assignAdd` and
 * `assignSub` replace its value (same shape and dtype); they are not recorded.
 * A value taken from a variable (a view such as `reshape`, a tape's saved
 * value, a `customGradient`'s) keeps its values when the variable changes.
 * On the CPU an optimizer's update writes into the variable's own array when
 * nothing has taken it since the variable got it (as TensorFlow's variables
 * copy on write), which spares a new array per step.
 *
 * @example
 * ```ts
 * import { variable, tensor, GradientTape } from 'tapegrad';
 * const w = variable(tensor([1, 2]), { name: 'w' });
 * const tape = new GradientTape();      // watches trainable variables read by ops
 * const loss = w.square().sum();
 * const g = tape.gradient(loss, w)!;    // [2, 4]
 * w.assignSub(g.mul(0.1));              // [0.8, 1.6]
 * ```
 */
export class Variable<D extends DType = DType> extends Tensor<D> {
  /**
   * Whether recording tapes watch this variable when an op reads it.
   *
   * @example
   * ```ts
   * variable([1, 2]).trainable; // true
   * variable(0, { trainable: false }).trainable; // false
   * ```
   */
  readonly trainable: boolean;
  /**
   * The variable's name.
   *
   * @example
   * ```ts
   * variable([1, 2], { name: 'w' }).name; // 'w'
   * ```
   */
  readonly name: string;

  /**
   * A variable holding a copy of `initial`; {@link variable} is the usual way to make one.
   *
   * @param initial - The initial value, copied.
   * @param trainable - Whether tapes watch the variable automatically and optimizers update it.
   * @param name - The name, for printing and debugging; `undefined` for a generated `Variable_<n>`.
   *
   * @example
   * ```ts
   * import { Variable, tensor } from 'tapegrad';
   * const v = new Variable(tensor([1, 2]), true, 'w'); // [1, 2]
   * v.name; // 'w'
   * ```
   */
  constructor(initial: Tensor<D>, trainable: boolean, name: string | undefined) {
    super(copyHere('variable', initial.snapshot(false)) as DataTypeMap[D], initial.shape, initial.dtype);
    this.trainable = trainable;
    this.name = name ?? `Variable_${nextVariable++}`;
    rememberVariable(this); // weakly: optimizers resolve gradients by name among the live variables
  }

  /** @internal */
  override get watchOnRead(): boolean {
    return this.trainable;
  }

  /** @internal */
  override get isVariable(): boolean {
    return true;
  }

  /**
   * Whether something other than this variable may hold its array now: set when the array is given out, cleared
   * when the variable gets a new array of its own.
   */
  private shared = false;

  /** @internal The current value, as an immutable tensor with this variable's id, sharing its array. */
  override snapshot(shared = true): Tensor<D> {
    if (shared) this.shared = true;
    const value = new Tensor(this.storage, this.shape, this.dtype, this.id);
    // Ops on the value (a backward pass reads it) are recorded by tapes that track the variable.
    value.watched = this.watched || this.trainable;
    return value;
  }

  /** @internal The data (see {@link Tensor.values}): the array is shared from now on, as a snapshot's is. */
  override get values(): DataTypeMap[D] {
    this.shared = true;
    return super.values;
  }

  /**
   * @internal Whether an update may write the new value into the variable's own array: it is on the CPU and
   * nothing else can hold it (no snapshot, `values` read nor op output shares it since the variable got it).
   */
  mayUpdateInPlace(): boolean {
    return !this.shared && !this.onGpu;
  }

  /** @internal Counts the variable's array as shared: an op gave it as its output. */
  override markShared(): void {
    this.shared = true;
  }

  /** @internal */
  override get printHeader(): string {
    return `Variable '${this.name}'`;
  }

  /**
   * Replaces the value with `value` (same shape and dtype), returning this variable.
   *
   * @param value - The new value, of the variable's shape and dtype (a number or array takes its dtype).
   *
   * @example
   * ```ts
   * import { tensor, variable } from 'tapegrad';
   * const v = variable(tensor([1, 2]));
   * v.assign(tensor([5, 6])); // [5, 6]
   * ```
   */
  assign(value: TensorLike): this {
    const t = convertToTensor('Variable.assign', 'value', value, this.dtype);
    if (!shapesEqual(t.shape, this.shape) || t.dtype !== this.dtype) {
      throw new Error(
        `tapegrad.Variable.assign: variable '${this.name}' is ${this.dtype} ${formatShape(this.shape)} but the ` +
          `new value is ${t.dtype} ${formatShape(t.shape)}; give a value of the same shape and dtype`,
      );
    }
    // A fresh array: tensors and tape entries that share the old data keep it.
    this.replaceStorage(copyHere('Variable.assign', t.snapshot(false)) as DataTypeMap[D]);
    this.shared = false;
    return this;
  }

  /**
   * @internal Makes `value`'s array the variable's value without copying it: for a fresh array nobody else
   * holds (an optimizer's fused update), where {@link Variable.assign}'s copy would cost a second array.
   */
  adopt(value: Tensor<D>): void {
    if (!shapesEqual(value.shape, this.shape) || value.dtype !== this.dtype) {
      throw new Error(
        `tapegrad.Variable.adopt: variable '${this.name}' is ${this.dtype} ${formatShape(this.shape)} but the ` +
          `new value is ${value.dtype} ${formatShape(value.shape)}`,
      );
    }
    this.replaceStorage(value.storage);
    this.shared = false;
  }

  /**
   * Adds `delta` to the value, returning this variable.
   *
   * @param delta - The amount to add, broadcast to the variable's shape.
   *
   * @example
   * ```ts
   * variable(tensor([1, 2])).assignAdd(tensor([1, 1])); // [2, 3]
   * ```
   */
  assignAdd(delta: TensorLike): this {
    return this.assign(withoutRecording(() => this.snapshot().add(delta)));
  }

  /**
   * Subtracts `delta` from the value, returning this variable.
   *
   * @param delta - The amount to subtract, broadcast to the variable's shape.
   *
   * @example
   * ```ts
   * variable(tensor([1, 2])).assignSub(tensor([1, 1])); // [0, 1]
   * ```
   */
  assignSub(delta: TensorLike): this {
    return this.assign(withoutRecording(() => this.snapshot().sub(delta)));
  }

  /**
   * The variable as text: its name, then its value as {@link Tensor.toString} gives it.
   *
   * @example
   * ```ts
   * String(variable([1, 2], { name: 'w' })); // "Variable 'w' Tensor([1, 2], shape=[2], dtype=float32)"
   * ```
   */
  override toString(): string {
    return `Variable '${this.name}' ${super.toString()}`;
  }
}

/**
 * Creates a {@link Variable} holding a copy of `initial`.
 *
 * @param initial - The initial value: a tensor, number, boolean, or (nested) array; copied.
 * @param options - `trainable` (default true), `name` (default a generated `Variable_<n>`), `dtype` (default inferred,
 *   as {@link tensor}).
 *
 * @example
 * ```ts
 * import { variable } from 'tapegrad';
 * const w = variable([[1, 2]]); // [[1, 2]]: trainable, float32
 * const step = variable(0, { trainable: false, dtype: 'int32' });
 * step.assignAdd(1); // 1 (int32)
 * ```
 */
export function variable<D extends DType>(initial: Tensor<D>, options?: VariableOptions<D>): Variable<D>;
export function variable<D extends DType = 'float32'>(initial: TensorLike, options?: VariableOptions<D>): Variable<D>;
export function variable<D extends DType>(initial: TensorLike, options: VariableOptions<D> = {}): Variable<D> {
  const value = tensor(initial, undefined, options.dtype);
  return new Variable(value as Tensor<D>, options.trainable ?? true, options.name);
}
