/**
 * The Tensor: an immutable n-dimensional array with a shape, a dtype and its
 * data in a typed array (row-major). Methods delegate to the ops.
 */
import type { DataTypeMap, DType, TypedArray } from './dtype.js';
import { formatValues } from './format.js';
import * as ops from './ops/index.js';
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
   * The data, row-major. Shared, never copied, never mutated.
   * @internal
   */
  values: DataTypeMap[D];

  /**
   * Wraps a typed array as a tensor without copying it. Prefer {@link tensor},
   * which checks and copies its input: a tensor's data must never change
   * after construction. `id` is for tapegrad itself (a variable's snapshots
   * share its id); leave it out.
   *
   * @example
   * ```ts
   * const t = new Tensor(new Float32Array([1, 2, 3, 4]), [2, 2], 'float32'); // [[1, 2], [3, 4]]
   * ```
   */
  constructor(values: DataTypeMap[D], shape: Shape, dtype: D, id = nextId++) {
    this.values = values;
    this.shape = shape;
    this.dtype = dtype;
    this.id = id;
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
   * immutable, so itself; a variable gives its current value.
   * @internal
   */
  snapshot(): Tensor<D> {
    return this;
  }

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
    return this.values.slice() as DataTypeMap[D];
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
    const values = this.values;
    const shape = this.shape;
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

  /**
   * The single element of a one-element tensor, as a number.
   *
   * @example
   * ```ts
   * scalar(3).item(); // 3
   * ```
   */
  item(): number {
    if (this.values.length !== 1) {
      throw new Error(
        `tapegrad.Tensor.item: the tensor has ${this.values.length} elements (shape [${this.shape.join(',')}]); ` +
          'item() needs exactly one, use dataSync() or arraySync() for more',
      );
    }
    return this.values[0]!;
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
    return `Tensor(${formatValues(this.values, this.shape, this.dtype)}, shape=[${this.shape.join(',')}], dtype=${this.dtype})`;
  }

  // ---- Methods: each is the function of the same name with this tensor first. ----

  /**
   * {@link add}: `this + b`.
   *
   * @example
   * ```ts
   * tensor([1, 2]).add(1); // [2, 3]
   * ```
   */
  add(b: TensorLike): Tensor {
    return ops.add(this, b);
  }

  /**
   * {@link sub}: `this - b`.
   *
   * @example
   * ```ts
   * tensor([1, 2]).sub(1); // [0, 1]
   * ```
   */
  sub(b: TensorLike): Tensor {
    return ops.sub(this, b);
  }

  /**
   * {@link mul}: `this * b`.
   *
   * @example
   * ```ts
   * tensor([1, 2]).mul(2); // [2, 4]
   * ```
   */
  mul(b: TensorLike): Tensor {
    return ops.mul(this, b);
  }

  /**
   * {@link div}: `this / b`.
   *
   * @example
   * ```ts
   * tensor([1, 2]).div(2); // [0.5, 1]
   * ```
   */
  div(b: TensorLike): Tensor {
    return ops.div(this, b);
  }

  /**
   * {@link pow}: `this ** b`.
   *
   * @example
   * ```ts
   * tensor([2, 3]).pow(2); // [4, 9]
   * ```
   */
  pow(b: TensorLike): Tensor {
    return ops.pow(this, b);
  }

  /**
   * {@link maximum}: element-wise larger of `this` and `b`.
   *
   * @example
   * ```ts
   * tensor([1, 5]).maximum(3); // [3, 5]
   * ```
   */
  maximum(b: TensorLike): Tensor {
    return ops.maximum(this, b);
  }

  /**
   * {@link minimum}: element-wise smaller of `this` and `b`.
   *
   * @example
   * ```ts
   * tensor([1, 5]).minimum(3); // [1, 3]
   * ```
   */
  minimum(b: TensorLike): Tensor {
    return ops.minimum(this, b);
  }

  /**
   * {@link neg}: `-this`.
   *
   * @example
   * ```ts
   * tensor([1, -2]).neg(); // [-1, 2]
   * ```
   */
  neg(): Tensor {
    return ops.neg(this);
  }

  /**
   * {@link square}: `this * this`.
   *
   * @example
   * ```ts
   * tensor([2, 3]).square(); // [4, 9]
   * ```
   */
  square(): Tensor {
    return ops.square(this);
  }

  /**
   * {@link sqrt}: square root.
   *
   * @example
   * ```ts
   * tensor([4, 9]).sqrt(); // [2, 3]
   * ```
   */
  sqrt(): Tensor {
    return ops.sqrt(this);
  }

  /**
   * {@link exp}: `e ** this`.
   *
   * @example
   * ```ts
   * tensor([0]).exp(); // [1]
   * ```
   */
  exp(): Tensor {
    return ops.exp(this);
  }

  /**
   * {@link log}: natural logarithm.
   *
   * @example
   * ```ts
   * tensor([1]).log(); // [0]
   * ```
   */
  log(): Tensor {
    return ops.log(this);
  }

  /**
   * {@link relu}: `max(this, 0)`.
   *
   * @example
   * ```ts
   * tensor([-1, 2]).relu(); // [0, 2]
   * ```
   */
  relu(): Tensor {
    return ops.relu(this);
  }

  /**
   * {@link sigmoid}: `1 / (1 + exp(-this))`.
   *
   * @example
   * ```ts
   * tensor([0]).sigmoid(); // [0.5]
   * ```
   */
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }

  /**
   * {@link tanh}: hyperbolic tangent.
   *
   * @example
   * ```ts
   * tensor([0]).tanh(); // [0]
   * ```
   */
  tanh(): Tensor {
    return ops.tanh(this);
  }

  /**
   * {@link matmul}: matrix product.
   *
   * @example
   * ```ts
   * tensor([[1, 2]]).matmul([[3], [4]]); // [[11]]
   * ```
   */
  matmul(b: TensorLike, transposeA = false, transposeB = false): Tensor {
    return ops.matmul(this, b, transposeA, transposeB);
  }

  /**
   * {@link sum}: sum over axes.
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).sum(1); // [3, 7]
   * ```
   */
  sum(axis?: number | readonly number[], keepDims = false): Tensor {
    return ops.sum(this, axis, keepDims);
  }

  /**
   * {@link mean}: mean over axes.
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).mean(0); // [2, 3]
   * ```
   */
  mean(axis?: number | readonly number[], keepDims = false): Tensor {
    return ops.mean(this, axis, keepDims);
  }

  /**
   * {@link reshape}: same data, new shape (one -1 allowed).
   *
   * @example
   * ```ts
   * tensor([1, 2, 3, 4]).reshape([2, -1]); // [[1, 2], [3, 4]]
   * ```
   */
  reshape(shape: readonly number[]): Tensor {
    return ops.reshape(this, shape);
  }

  /**
   * {@link transpose}: permute axes (reverse them by default).
   *
   * @example
   * ```ts
   * tensor([[1, 2]]).transpose(); // [[1], [2]]
   * ```
   */
  transpose(perm?: readonly number[]): Tensor {
    return ops.transpose(this, perm);
  }

  /**
   * {@link broadcastTo}: repeat along broadcast axes.
   *
   * @example
   * ```ts
   * tensor([1, 2]).broadcastTo([2, 2]); // [[1, 2], [1, 2]]
   * ```
   */
  broadcastTo(shape: readonly number[]): Tensor {
    return ops.broadcastTo(this, shape);
  }

  /**
   * {@link identity}: the same values as a new tensor.
   *
   * @example
   * ```ts
   * tensor([1, 2]).identity(); // [1, 2]
   * ```
   */
  identity(): Tensor {
    return ops.identity(this);
  }

  /**
   * {@link equal}: `this == b`, a bool tensor.
   *
   * @example
   * ```ts
   * tensor([1, 2]).equal(2); // [0, 1] (bool)
   * ```
   */
  equal(b: TensorLike): Tensor<'bool'> {
    return ops.equal(this, b);
  }

  /**
   * {@link notEqual}: `this != b`, a bool tensor.
   *
   * @example
   * ```ts
   * tensor([1, 2]).notEqual(2); // [1, 0] (bool)
   * ```
   */
  notEqual(b: TensorLike): Tensor<'bool'> {
    return ops.notEqual(this, b);
  }

  /**
   * {@link less}: `this < b`, a bool tensor.
   *
   * @example
   * ```ts
   * tensor([1, 2]).less(2); // [1, 0] (bool)
   * ```
   */
  less(b: TensorLike): Tensor<'bool'> {
    return ops.less(this, b);
  }

  /**
   * {@link lessEqual}: `this <= b`, a bool tensor.
   *
   * @example
   * ```ts
   * tensor([1, 3]).lessEqual(2); // [1, 0] (bool)
   * ```
   */
  lessEqual(b: TensorLike): Tensor<'bool'> {
    return ops.lessEqual(this, b);
  }

  /**
   * {@link greater}: `this > b`, a bool tensor.
   *
   * @example
   * ```ts
   * tensor([1, 3]).greater(2); // [0, 1] (bool)
   * ```
   */
  greater(b: TensorLike): Tensor<'bool'> {
    return ops.greater(this, b);
  }

  /**
   * {@link greaterEqual}: `this >= b`, a bool tensor.
   *
   * @example
   * ```ts
   * tensor([1, 2]).greaterEqual(2); // [0, 1] (bool)
   * ```
   */
  greaterEqual(b: TensorLike): Tensor<'bool'> {
    return ops.greaterEqual(this, b);
  }

  /**
   * {@link cast}: convert to another dtype.
   *
   * @example
   * ```ts
   * tensor([1.7, -1.7]).cast('int32'); // [1, -1] (int32)
   * ```
   */
  cast<T extends DType>(dtype: T): Tensor<T> {
    return ops.cast(this, dtype);
  }

  // Method forms by family. Each family's methods go after its marker line.
  // -- element-wise methods --
  // -- reduction and softmax methods --
  // -- shape methods --
  // -- neural-network methods --
}
