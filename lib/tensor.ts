/**
 * The Tensor: an immutable n-dimensional array with a shape, a dtype and its
 * data in a typed array (row-major). Methods delegate to the ops.
 */
import type { DataTypeMap, DType, TypedArray } from './dtype.js';
import { formatValues } from './format.js';
import * as ops from './ops/index.js';
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
 * The id the next tensor will get: tensor ids only grow, so a tape marks the
 * ranges in which it recorded with these, without making a tensor.
 * @internal
 */
export function nextTensorId(): number {
  return nextId;
}

/**
 * A set of tensor ids for the recording and backward paths. Ids only grow, so
 * the outputs a tape records are dense above the id current when it started:
 * those take one byte each in a bitmap from `base` up, with no hashing and no
 * rehash garbage as a tape grows. Older ids (watched tensors, variables) and
 * ids so far above the rest that the bitmap would be mostly empty go to a Set,
 * so the bitmap never takes more than about 16 bytes per id it holds.
 * @internal
 */
export class IdSet {
  private bits = new Uint8Array(256);
  private count = 0;
  private other: Set<number> | undefined;
  constructor(private readonly base: number = nextId) {}
  has(id: number): boolean {
    const i = id - this.base;
    if (i >= 0 && i < this.bits.length) return this.bits[i] === 1;
    return this.other !== undefined && this.other.has(id);
  }
  add(id: number): void {
    const i = id - this.base;
    if (i >= this.bits.length && i >= 0) {
      let size = this.bits.length * 2;
      while (size <= i) size *= 2;
      if (size > 16 * (this.count + 256)) {
        (this.other ??= new Set()).add(id);
        return;
      }
      const grown = new Uint8Array(size);
      grown.set(this.bits);
      this.bits = grown;
      // Ids set aside above the old bitmap now fall inside it: move them in, so has() reads one place.
      if (this.other !== undefined) {
        for (const old of this.other) {
          const j = old - this.base;
          if (j >= 0 && j < size) {
            this.other.delete(old);
            grown[j] = 1;
            this.count++;
          }
        }
      }
    }
    if (i < 0) {
      (this.other ??= new Set()).add(id);
    } else if (this.bits[i] === 0) {
      this.bits[i] = 1;
      this.count++;
    }
  }
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
   * The data, row-major. Shared, never copied, never mutated.
   * @internal
   */
  values: DataTypeMap[D];
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
   * The last recorded op that used this tensor, for `GradientTape.explain`.
   * @internal
   */
  lastUse: TapeNode | undefined;
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
    this.node = undefined;
    this.watched = false;
    this.lastUse = undefined;
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
  /**
   * {@link abs}: absolute value.
   *
   * @example
   * ```ts
   * tensor([-2, 3]).abs(); // [2, 3]
   * ```
   */
  abs(): Tensor {
    return ops.abs(this);
  }

  /**
   * {@link sign}: -1, 0 or 1 by sign.
   *
   * @example
   * ```ts
   * tensor([-2, 0, 3]).sign(); // [-1, 0, 1]
   * ```
   */
  sign(): Tensor {
    return ops.sign(this);
  }

  /**
   * {@link reciprocal}: `1 / this`.
   *
   * @example
   * ```ts
   * tensor([2, 4]).reciprocal(); // [0.5, 0.25]
   * ```
   */
  reciprocal(): Tensor {
    return ops.reciprocal(this);
  }

  /**
   * {@link rsqrt}: `1 / sqrt(this)`.
   *
   * @example
   * ```ts
   * tensor([4]).rsqrt(); // [0.5]
   * ```
   */
  rsqrt(): Tensor {
    return ops.rsqrt(this);
  }

  /**
   * {@link expm1}: `exp(this) - 1`, accurate near 0.
   *
   * @example
   * ```ts
   * tensor([0]).expm1(); // [0]
   * ```
   */
  expm1(): Tensor {
    return ops.expm1(this);
  }

  /**
   * {@link log1p}: `ln(1 + this)`, accurate near 0.
   *
   * @example
   * ```ts
   * tensor([0]).log1p(); // [0]
   * ```
   */
  log1p(): Tensor {
    return ops.log1p(this);
  }

  /**
   * {@link softplus}: `ln(1 + exp(this))`.
   *
   * @example
   * ```ts
   * tensor([0]).softplus(); // [0.6931472]
   * ```
   */
  softplus(): Tensor {
    return ops.softplus(this);
  }

  /**
   * {@link logSigmoid}: `ln(sigmoid(this))`.
   *
   * @example
   * ```ts
   * tensor([0]).logSigmoid(); // [-0.6931472]
   * ```
   */
  logSigmoid(): Tensor {
    return ops.logSigmoid(this);
  }

  /**
   * {@link relu6}: `min(max(this, 0), 6)`.
   *
   * @example
   * ```ts
   * tensor([-1, 8]).relu6(); // [0, 6]
   * ```
   */
  relu6(): Tensor {
    return ops.relu6(this);
  }

  /**
   * {@link leakyRelu}: `this` where positive, else `alpha * this`.
   *
   * @example
   * ```ts
   * tensor([-1, 2]).leakyRelu(); // [-0.2, 2]
   * ```
   */
  leakyRelu(alpha = 0.2): Tensor {
    return ops.leakyRelu(this, alpha);
  }

  /**
   * {@link elu}: exponential linear unit.
   *
   * @example
   * ```ts
   * tensor([0, 2]).elu(); // [0, 2]
   * ```
   */
  elu(): Tensor {
    return ops.elu(this);
  }

  /**
   * {@link selu}: scaled exponential linear unit.
   *
   * @example
   * ```ts
   * tensor([0]).selu(); // [0]
   * ```
   */
  selu(): Tensor {
    return ops.selu(this);
  }

  /**
   * {@link sin}: sine.
   *
   * @example
   * ```ts
   * tensor([0]).sin(); // [0]
   * ```
   */
  sin(): Tensor {
    return ops.sin(this);
  }

  /**
   * {@link cos}: cosine.
   *
   * @example
   * ```ts
   * tensor([0]).cos(); // [1]
   * ```
   */
  cos(): Tensor {
    return ops.cos(this);
  }

  /**
   * {@link tan}: tangent.
   *
   * @example
   * ```ts
   * tensor([0]).tan(); // [0]
   * ```
   */
  tan(): Tensor {
    return ops.tan(this);
  }

  /**
   * {@link asin}: inverse sine.
   *
   * @example
   * ```ts
   * tensor([0]).asin(); // [0]
   * ```
   */
  asin(): Tensor {
    return ops.asin(this);
  }

  /**
   * {@link acos}: inverse cosine.
   *
   * @example
   * ```ts
   * tensor([1]).acos(); // [0]
   * ```
   */
  acos(): Tensor {
    return ops.acos(this);
  }

  /**
   * {@link atan}: inverse tangent.
   *
   * @example
   * ```ts
   * tensor([0]).atan(); // [0]
   * ```
   */
  atan(): Tensor {
    return ops.atan(this);
  }

  /**
   * {@link sinh}: hyperbolic sine.
   *
   * @example
   * ```ts
   * tensor([0]).sinh(); // [0]
   * ```
   */
  sinh(): Tensor {
    return ops.sinh(this);
  }

  /**
   * {@link cosh}: hyperbolic cosine.
   *
   * @example
   * ```ts
   * tensor([0]).cosh(); // [1]
   * ```
   */
  cosh(): Tensor {
    return ops.cosh(this);
  }

  /**
   * {@link asinh}: inverse hyperbolic sine.
   *
   * @example
   * ```ts
   * tensor([0]).asinh(); // [0]
   * ```
   */
  asinh(): Tensor {
    return ops.asinh(this);
  }

  /**
   * {@link acosh}: inverse hyperbolic cosine.
   *
   * @example
   * ```ts
   * tensor([1]).acosh(); // [0]
   * ```
   */
  acosh(): Tensor {
    return ops.acosh(this);
  }

  /**
   * {@link atanh}: inverse hyperbolic tangent.
   *
   * @example
   * ```ts
   * tensor([0]).atanh(); // [0]
   * ```
   */
  atanh(): Tensor {
    return ops.atanh(this);
  }

  /**
   * {@link erf}: the error function.
   *
   * @example
   * ```ts
   * tensor([0]).erf(); // [0]
   * ```
   */
  erf(): Tensor {
    return ops.erf(this);
  }

  /**
   * {@link floor}: rounds down (zero gradient).
   *
   * @example
   * ```ts
   * tensor([1.5, -1.5]).floor(); // [1, -2]
   * ```
   */
  floor(): Tensor {
    return ops.floor(this);
  }

  /**
   * {@link ceil}: rounds up (zero gradient).
   *
   * @example
   * ```ts
   * tensor([1.5, -1.5]).ceil(); // [2, -1]
   * ```
   */
  ceil(): Tensor {
    return ops.ceil(this);
  }

  /**
   * {@link round}: rounds half to even (zero gradient).
   *
   * @example
   * ```ts
   * tensor([0.5, 1.5]).round(); // [0, 2]
   * ```
   */
  round(): Tensor {
    return ops.round(this);
  }

  /**
   * {@link squaredDifference}: `(this - b)^2`.
   *
   * @example
   * ```ts
   * tensor([1, 4]).squaredDifference([3, 1]); // [4, 9]
   * ```
   */
  squaredDifference(b: TensorLike): Tensor {
    return ops.squaredDifference(this, b);
  }

  /**
   * {@link atan2}: the angle of the point `(b, this)`.
   *
   * @example
   * ```ts
   * tensor([1]).atan2([0]); // [1.5707964]
   * ```
   */
  atan2(b: TensorLike): Tensor {
    return ops.atan2(this, b);
  }

  /**
   * {@link mod}: floor modulo, with the sign of `b`.
   *
   * @example
   * ```ts
   * tensor([5, -5]).mod(3); // [2, 1]
   * ```
   */
  mod(b: TensorLike): Tensor {
    return ops.mod(this, b);
  }

  /**
   * {@link floorDiv}: `floor(this / b)` (no gradient).
   *
   * @example
   * ```ts
   * tensor([7, -7]).floorDiv(2); // [3, -4]
   * ```
   */
  floorDiv(b: TensorLike): Tensor {
    return ops.floorDiv(this, b);
  }

  /**
   * {@link logicalAnd}: `this AND b` on bool tensors.
   *
   * @example
   * ```ts
   * tensor([true, false]).logicalAnd([true, true]); // [1, 0] (bool)
   * ```
   */
  logicalAnd(b: TensorLike): Tensor<'bool'> {
    return ops.logicalAnd(this, b);
  }

  /**
   * {@link logicalOr}: `this OR b` on bool tensors.
   *
   * @example
   * ```ts
   * tensor([true, false]).logicalOr([false, false]); // [1, 0] (bool)
   * ```
   */
  logicalOr(b: TensorLike): Tensor<'bool'> {
    return ops.logicalOr(this, b);
  }

  /**
   * {@link logicalNot}: `NOT this` on a bool tensor.
   *
   * @example
   * ```ts
   * tensor([true, false]).logicalNot(); // [0, 1] (bool)
   * ```
   */
  logicalNot(): Tensor<'bool'> {
    return ops.logicalNot(this);
  }

  /**
   * {@link isNaN}: whether each element is NaN.
   *
   * @example
   * ```ts
   * tensor([1, NaN]).isNaN(); // [0, 1] (bool)
   * ```
   */
  isNaN(): Tensor<'bool'> {
    return ops.isNaN(this);
  }

  /**
   * {@link isFinite}: whether each element is finite.
   *
   * @example
   * ```ts
   * tensor([1, Infinity]).isFinite(); // [1, 0] (bool)
   * ```
   */
  isFinite(): Tensor<'bool'> {
    return ops.isFinite(this);
  }

  /**
   * {@link isInf}: whether each element is ±Infinity.
   *
   * @example
   * ```ts
   * tensor([1, -Infinity]).isInf(); // [0, 1] (bool)
   * ```
   */
  isInf(): Tensor<'bool'> {
    return ops.isInf(this);
  }

  /**
   * {@link clipByValue}: clips to `[clipValueMin, clipValueMax]`.
   *
   * @example
   * ```ts
   * tensor([-2, 0.5, 3]).clipByValue(0, 1); // [0, 0.5, 1]
   * ```
   */
  clipByValue(clipValueMin: number, clipValueMax: number): Tensor {
    return ops.clipByValue(this, clipValueMin, clipValueMax);
  }

  // -- reduction and softmax methods --

  /**
   * {@link prod}: product over axes.
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).prod(1); // [2, 12]
   * ```
   */
  prod(axis?: number | readonly number[], keepDims = false): Tensor {
    return ops.prod(this, axis, keepDims);
  }

  /**
   * {@link max}: maximum over axes.
   *
   * @example
   * ```ts
   * tensor([[1, 5], [3, 2]]).max(0); // [3, 5]
   * ```
   */
  max(axis?: number | readonly number[], keepDims = false): Tensor {
    return ops.max(this, axis, keepDims);
  }

  /**
   * {@link min}: minimum over axes.
   *
   * @example
   * ```ts
   * tensor([[1, 5], [3, 2]]).min(); // 1
   * ```
   */
  min(axis?: number | readonly number[], keepDims = false): Tensor {
    return ops.min(this, axis, keepDims);
  }

  /**
   * {@link logSumExp}: `log(sum(exp(x)))` over axes, without overflow.
   *
   * @example
   * ```ts
   * tensor([0, 0]).logSumExp(); // ~0.6931472
   * ```
   */
  logSumExp(axis?: number | readonly number[], keepDims = false): Tensor {
    return ops.logSumExp(this, axis, keepDims);
  }

  /**
   * {@link norm}: vector or matrix norm.
   *
   * @example
   * ```ts
   * tensor([3, 4]).norm(); // 5
   * ```
   */
  norm(ord: ops.NormOrder = 'euclidean', axis?: number | readonly number[], keepDims = false): Tensor {
    return ops.norm(this, ord, axis, keepDims);
  }

  /**
   * {@link all}: logical AND over axes.
   *
   * @example
   * ```ts
   * tensor([true, false]).all(); // 0 (bool)
   * ```
   */
  all(axis?: number | readonly number[], keepDims = false): Tensor<'bool'> {
    return ops.all(this, axis, keepDims);
  }

  /**
   * {@link any}: logical OR over axes.
   *
   * @example
   * ```ts
   * tensor([true, false]).any(); // 1 (bool)
   * ```
   */
  any(axis?: number | readonly number[], keepDims = false): Tensor<'bool'> {
    return ops.any(this, axis, keepDims);
  }

  /**
   * {@link argMax}: index of the largest element along an axis.
   *
   * @example
   * ```ts
   * tensor([2, 7, 1]).argMax(); // 1 (int32)
   * ```
   */
  argMax(axis = 0): Tensor<'int32'> {
    return ops.argMax(this, axis);
  }

  /**
   * {@link argMin}: index of the smallest element along an axis.
   *
   * @example
   * ```ts
   * tensor([2, 7, 1]).argMin(); // 2 (int32)
   * ```
   */
  argMin(axis = 0): Tensor<'int32'> {
    return ops.argMin(this, axis);
  }

  /**
   * {@link cumsum}: cumulative sum along an axis.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).cumsum(); // [1, 3, 6]
   * ```
   */
  cumsum(axis = 0, exclusive = false, reverse = false): Tensor {
    return ops.cumsum(this, axis, exclusive, reverse);
  }

  /**
   * {@link softmax}: softmax along an axis (the last by default).
   *
   * @example
   * ```ts
   * tensor([0, 0]).softmax(); // [0.5, 0.5]
   * ```
   */
  softmax(dim = -1): Tensor {
    return ops.softmax(this, dim);
  }

  /**
   * {@link logSoftmax}: log-softmax along an axis (the last by default).
   *
   * @example
   * ```ts
   * tensor([0, -1000]).logSoftmax(); // [0, -1000]
   * ```
   */
  logSoftmax(axis = -1): Tensor {
    return ops.logSoftmax(this, axis);
  }
  // -- shape methods --
  /**
   * {@link expandDims}: insert an axis of size 1.
   *
   * @example
   * ```ts
   * tensor([1, 2]).expandDims(1); // [[1], [2]]
   * ```
   */
  expandDims(axis = 0): Tensor {
    return ops.expandDims(this, axis);
  }

  /**
   * {@link squeeze}: remove axes of size 1.
   *
   * @example
   * ```ts
   * tensor([[1], [2]]).squeeze(); // [1, 2]
   * ```
   */
  squeeze(axis?: number | readonly number[]): Tensor {
    return ops.squeeze(this, axis);
  }

  /**
   * {@link reverse}: reverse the order along axes (all by default).
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).reverse(); // [3, 2, 1]
   * ```
   */
  reverse(axis?: number | readonly number[]): Tensor {
    return ops.reverse(this, axis);
  }

  /**
   * {@link concat}: join this tensor and `x` (one tensor or several) along `axis`.
   *
   * @example
   * ```ts
   * tensor([1, 2]).concat([tensor([3]), tensor([4, 5])]); // [1, 2, 3, 4, 5]
   * ```
   */
  concat(x: Tensor | readonly Tensor[], axis = 0): Tensor {
    return ops.concat([this, ...(x instanceof Tensor ? [x] : x)], axis);
  }

  /**
   * {@link stack}: stack this tensor and `x` (one tensor or several) along a new axis.
   *
   * @example
   * ```ts
   * tensor([1, 2]).stack(tensor([3, 4])); // [[1, 2], [3, 4]]
   * ```
   */
  stack(x: Tensor | readonly Tensor[], axis = 0): Tensor {
    return ops.stack([this, ...(x instanceof Tensor ? [x] : x)], axis);
  }

  /**
   * {@link unstack}: the slices along `axis`, each without it.
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).unstack(); // [[1, 2], [3, 4]]
   * ```
   */
  unstack(axis = 0): Tensor[] {
    return ops.unstack(this, axis);
  }

  /**
   * {@link split}: split along `axis` into equal parts or parts of given sizes.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3, 4]).split([1, -1]); // [[1], [2, 3, 4]]
   * ```
   */
  split(numOrSizeSplits: number | readonly number[], axis = 0): Tensor[] {
    return ops.split(this, numOrSizeSplits, axis);
  }

  /**
   * {@link slice}: the block from `begin` of `size` (-1: to the end).
   *
   * @example
   * ```ts
   * tensor([[1, 2, 3], [4, 5, 6]]).slice([0, 1], [-1, 1]); // [[2], [5]]
   * ```
   */
  slice(begin: number | readonly number[], size?: number | readonly number[]): Tensor {
    return ops.slice(this, begin, size);
  }

  /**
   * {@link stridedSlice}: TensorFlow's strided slice, with its masks.
   *
   * @example
   * ```ts
   * tensor([0, 1, 2, 3, 4]).stridedSlice([4], [0], [-2]); // [4, 2]
   * ```
   */
  stridedSlice(
    begin: readonly number[],
    end: readonly number[],
    strides?: readonly number[],
    beginMask = 0,
    endMask = 0,
    ellipsisMask = 0,
    newAxisMask = 0,
    shrinkAxisMask = 0,
  ): Tensor {
    return ops.stridedSlice(this, begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask);
  }

  /**
   * {@link gather}: slices along `axis` at int32 `indices`.
   *
   * @example
   * ```ts
   * tensor([10, 20, 30]).gather([2, 0]); // [30, 10]
   * ```
   */
  gather(indices: TensorLike, axis = 0, batchDims = 0): Tensor {
    return ops.gather(this, indices, axis, batchDims);
  }

  /**
   * {@link pad}: pad with `constantValue` before and after each axis.
   *
   * @example
   * ```ts
   * tensor([1, 2]).pad([[1, 1]]); // [0, 1, 2, 0]
   * ```
   */
  pad(paddings: readonly (readonly [number, number])[], constantValue = 0): Tensor {
    return ops.pad(this, paddings, constantValue);
  }

  /**
   * {@link tile}: repeat along each axis.
   *
   * @example
   * ```ts
   * tensor([1, 2]).tile([2]); // [1, 2, 1, 2]
   * ```
   */
  tile(reps: readonly number[]): Tensor {
    return ops.tile(this, reps);
  }

  /**
   * {@link oneHot}: one-hot encode these int32 indices.
   *
   * @example
   * ```ts
   * tensor([1, 0], undefined, 'int32').oneHot(2); // [[0, 1], [1, 0]] (int32)
   * ```
   */
  oneHot(depth: number, onValue = 1, offValue = 0, dtype: DType = 'int32'): Tensor {
    return ops.oneHot(this, depth, onValue, offValue, dtype);
  }

  // -- neural-network methods --

  /**
   * {@link conv2d}: 2-D convolution of this NHWC tensor with `filter`.
   *
   * @example
   * ```ts
   * ones([1, 3, 3, 1]).conv2d(ones([2, 2, 1, 1]), 1, 'valid'); // [[[[4], [4]], [[4], [4]]]]
   * ```
   */
  conv2d(
    filter: TensorLike,
    strides: readonly [number, number] | number,
    pad: 'valid' | 'same' | number | readonly (readonly [number, number])[],
    dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
    dilations: readonly [number, number] | number = [1, 1],
    dimRoundingMode?: 'floor' | 'round' | 'ceil',
  ): Tensor {
    return ops.conv2d(this, filter, strides, pad, dataFormat, dilations, dimRoundingMode);
  }

  /**
   * {@link depthwiseConv2d}: depthwise 2-D convolution of this NHWC tensor.
   *
   * @example
   * ```ts
   * ones([1, 2, 2, 2]).depthwiseConv2d(ones([2, 2, 2, 1]), 1, 'valid'); // [[[[4, 4]]]]
   * ```
   */
  depthwiseConv2d(
    filter: TensorLike,
    strides: readonly [number, number] | number,
    pad: 'valid' | 'same' | number | readonly (readonly [number, number])[],
    dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
    dilations: readonly [number, number] | number = [1, 1],
    dimRoundingMode?: 'floor' | 'round' | 'ceil',
  ): Tensor {
    return ops.depthwiseConv2d(this, filter, strides, pad, dataFormat, dilations, dimRoundingMode);
  }

  /**
   * {@link maxPool}: 2-D max pooling of this NHWC tensor.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3, 4], [1, 2, 2, 1]).maxPool(2, 1, 'valid'); // [[[[4]]]]
   * ```
   */
  maxPool(
    filterSize: readonly [number, number] | number,
    strides: readonly [number, number] | number,
    pad: 'valid' | 'same' | number | readonly (readonly [number, number])[],
    dimRoundingMode?: 'floor' | 'round' | 'ceil',
  ): Tensor {
    return ops.maxPool(this, filterSize, strides, pad, dimRoundingMode);
  }

  /**
   * {@link avgPool}: 2-D average pooling of this NHWC tensor.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3, 4], [1, 2, 2, 1]).avgPool(2, 1, 'valid'); // [[[[2.5]]]]
   * ```
   */
  avgPool(
    filterSize: readonly [number, number] | number,
    strides: readonly [number, number] | number,
    pad: 'valid' | 'same' | number | readonly (readonly [number, number])[],
    dimRoundingMode?: 'floor' | 'round' | 'ceil',
  ): Tensor {
    return ops.avgPool(this, filterSize, strides, pad, dimRoundingMode);
  }
}
