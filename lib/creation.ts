/**
 * Creating tensors: from values, constant fills, ranges, identity matrices
 * and seeded random draws. None of these is recorded on a tape.
 */
import { describeValue } from './format.js';
import { allocate, checkDType, dtypeOfArray, type DataTypeMap, type DType, type TypedArray } from './dtype.js';
import { kernels } from './kernels/index.js';
import { checkShape, formatShape, sizeOf, type Shape } from './shape.js';
import { Tensor, type TensorLike, type TensorLikeArray } from './tensor.js';

/** Numbers, or nested arrays of numbers. */
export type NumberArray = number | readonly NumberArray[];
/** Booleans, or nested arrays of booleans. */
export type BoolArray = boolean | readonly BoolArray[];

/**
 * Creates a tensor from a number, a boolean, nested arrays, a flat array with
 * a `shape`, or a typed array. The dtype is `dtype` if given, else the typed
 * array's, else bool for booleans and float32 for numbers. The values are copied.
 *
 * @example
 * ```ts
 * import { tensor } from 'tapegrad';
 * tensor([[1, 2], [3, 4]]);              // [[1, 2], [3, 4]] (float32)
 * tensor([1, 2, 3, 4], [2, 2], 'int32'); // [[1, 2], [3, 4]] (int32)
 * tensor(new Float64Array([0.5, 1.5]));  // [0.5, 1.5] (float64)
 * tensor([true, false]);                 // [1, 0] (bool)
 * ```
 */
export function tensor<D extends DType>(values: TensorLike, shape: readonly number[] | undefined, dtype: D): Tensor<D>;
export function tensor<D extends DType>(values: Tensor<D>, shape?: readonly number[]): Tensor<D>;
export function tensor(values: Float64Array, shape?: readonly number[]): Tensor<'float64'>;
export function tensor(values: Int32Array, shape?: readonly number[]): Tensor<'int32'>;
export function tensor(values: Uint8Array | BoolArray, shape?: readonly number[]): Tensor<'bool'>;
export function tensor(values: Float32Array | NumberArray, shape?: readonly number[]): Tensor<'float32'>;
export function tensor(values: TensorLike, shape?: readonly number[], dtype?: DType): Tensor;
export function tensor<D extends DType>(values: TensorLike, shape?: readonly number[], dtype?: D): Tensor<D> {
  if (dtype !== undefined) checkDType('tensor', dtype);
  if (shape !== undefined) checkShape('tensor', shape);
  if (values instanceof Tensor) {
    const t = values.snapshot();
    return fromFlat('tensor', t.values, shape ?? t.shape, dtype ?? t.dtype) as Tensor<D>;
  }
  const arrayDType = dtypeOfArray(values);
  if (arrayDType !== undefined) {
    return fromFlat(
      'tensor',
      values as TypedArray,
      shape ?? [(values as TypedArray).length],
      dtype ?? arrayDType,
    ) as Tensor<D>;
  }
  if (ArrayBuffer.isView(values)) {
    throw new TypeError(
      `tapegrad.tensor: ${values.constructor.name} is not supported; ` +
        'use Float32Array, Float64Array, Int32Array or Uint8Array (bool)',
    );
  }
  const inferred: number[] = [];
  const flat: number[] = [];
  const kind = flatten(values as TensorLikeArray, 0, inferred, flat);
  const finalDType = dtype ?? (kind === 'bool' ? 'bool' : 'float32');
  return fromFlat('tensor', flat, shape ?? inferred, finalDType) as Tensor<D>;
}

/** Flattens nested arrays row-major, recording the shape and checking it is rectangular. */
function flatten(value: TensorLikeArray, depth: number, shape: number[], out: number[]): 'number' | 'bool' {
  if (typeof value === 'number') {
    if (depth < shape.length) raggedError(shape, depth);
    out.push(value);
    return 'number';
  }
  if (typeof value === 'boolean') {
    if (depth < shape.length) raggedError(shape, depth);
    out.push(value ? 1 : 0);
    return 'bool';
  }
  if (!Array.isArray(value)) {
    throw new TypeError(
      `tapegrad.tensor: cannot make a tensor from ${describeValue(value)}; give numbers, booleans or arrays of them`,
    );
  }
  if (depth === shape.length) {
    if (out.length > 0) raggedError(shape, depth);
    shape.push(value.length);
  } else if (shape[depth] !== value.length) raggedError(shape, depth);
  let kind: 'number' | 'bool' = 'number';
  for (const v of value as readonly TensorLikeArray[]) {
    const k = flatten(v, depth + 1, shape, out);
    if (k === 'bool') kind = 'bool';
  }
  if (value.length === 0 && depth + 1 < shape.length) raggedError(shape, depth);
  return kind;
}

function raggedError(shape: readonly number[], depth: number): never {
  throw new Error(
    `tapegrad.tensor: nested arrays are ragged at depth ${depth} (shape so far ${formatShape(shape)}); ` +
      'every row must have the same length',
  );
}

/** A tensor of `shape` and `dtype` holding a copy of `flat` (checked for size). */
function fromFlat(op: string, flat: ArrayLike<number>, shape: Shape, dtype: DType): Tensor {
  const size = sizeOf(shape);
  if (flat.length !== size) {
    throw new Error(
      `tapegrad.${op}: ${flat.length} values do not fill shape ${formatShape(shape)} (${size} elements); ` +
        'give a shape whose sizes multiply to the number of values',
    );
  }
  if (dtype === 'int32') {
    for (let i = 0; i < size; i++) {
      const v = flat[i]!;
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
        throw new TypeError(
          `tapegrad.${op}: value ${v} at flat index ${i} is not an int32; ` +
            `round it first, or convert a float tensor with cast(x, 'int32') (which truncates)`,
        );
      }
    }
  }
  const data = allocate(dtype, size);
  if (dtype === 'bool') {
    const src = allocate('float64', size);
    src.set(flat);
    kernels.cast(src, data);
  } else data.set(flat);
  return new Tensor(data, [...shape], dtype);
}

/**
 * Converts an op argument to a tensor. Tensors pass through unchanged;
 * numbers and arrays take `dtype` (the other operand's, for binary ops).
 * @internal
 */
export function convertToTensor(op: string, name: string, x: TensorLike, dtype?: DType): Tensor {
  if (x instanceof Tensor) return x;
  if (x === undefined || x === null) {
    throw new TypeError(`tapegrad.${op}: argument '${name}' is ${String(x)}; expected a tensor, a number or an array`);
  }
  if (typeof x === 'number') {
    // A number keeps the other operand's dtype unless it would lose its value
    // there (2.5 next to an int32 tensor is float32, as in JAX and PyTorch).
    const keeps = dtype === 'float32' || dtype === 'float64' || (dtype === 'int32' && Number.isInteger(x));
    return scalar(x, keeps ? dtype : 'float32');
  }
  return tensor(x, undefined, dtypeOfArray(x) === undefined ? dtype : undefined);
}

/**
 * A rank-0 tensor.
 *
 * @example
 * ```ts
 * scalar(3.5).item(); // 3.5
 * scalar(2, 'int32'); // 2 (int32)
 * ```
 */
export function scalar<D extends DType = 'float32'>(value: number | boolean, dtype?: D): Tensor<D> {
  const d = (dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32')) as D;
  checkDType('scalar', d);
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new TypeError(`tapegrad.scalar: expected a number or boolean, got ${describeValue(value)}`);
  }
  const data = allocate(d, 1);
  data[0] = d === 'bool' ? (value ? 1 : 0) : Number(value);
  return new Tensor(data, [], d);
}

/**
 * A tensor of `shape` with every element `value`.
 *
 * @example
 * ```ts
 * fill([2, 3], 7); // [[7, 7, 7], [7, 7, 7]] (float32)
 * ```
 */
export function fill<D extends DType = 'float32'>(shape: readonly number[], value: number, dtype?: D): Tensor<D> {
  return filled('fill', shape, value, dtype);
}

/** `fill`, with errors naming `op`: the function the caller called. */
function filled<D extends DType>(op: string, shape: readonly number[], value: number, dtype?: D): Tensor<D> {
  checkShape(op, shape);
  const d = (dtype ?? 'float32') as D;
  checkDType(op, d);
  const data = allocate(d, sizeOf(shape));
  if (value !== 0) data.fill(d === 'bool' ? (value ? 1 : 0) : value);
  return new Tensor(data as DataTypeMap[D], [...shape], d);
}

/**
 * A tensor of zeros.
 *
 * @example
 * ```ts
 * zeros([2, 2]); // [[0, 0], [0, 0]]
 * ```
 */
export function zeros<D extends DType = 'float32'>(shape: readonly number[], dtype?: D): Tensor<D> {
  return filled('zeros', shape, 0, dtype);
}

/**
 * A tensor of ones.
 *
 * @example
 * ```ts
 * ones([3], 'int32'); // [1, 1, 1] (int32)
 * ```
 */
export function ones<D extends DType = 'float32'>(shape: readonly number[], dtype?: D): Tensor<D> {
  return filled('ones', shape, 1, dtype);
}

/**
 * Zeros with the shape and dtype of `x`.
 *
 * @example
 * ```ts
 * zerosLike(tensor([[1, 2]])); // [[0, 0]]
 * ```
 */
export function zerosLike<D extends DType>(x: Tensor<D>): Tensor<D> {
  return fill(x.shape, 0, x.dtype);
}

/**
 * Ones with the shape and dtype of `x`.
 *
 * @example
 * ```ts
 * onesLike(tensor([[1, 2]])); // [[1, 1]]
 * ```
 */
export function onesLike<D extends DType>(x: Tensor<D>): Tensor<D> {
  return fill(x.shape, 1, x.dtype);
}

/**
 * The numbers `start, start + step, ...` below `stop` (above it for a
 * negative step), as TensorFlow.js `range`.
 *
 * @example
 * ```ts
 * range(0, 5);        // [0, 1, 2, 3, 4]
 * range(1, 0, -0.25); // [1, 0.75, 0.5, 0.25]
 * ```
 */
export function range<D extends DType = 'float32'>(start: number, stop: number, step = 1, dtype?: D): Tensor<D> {
  if (step === 0 || !Number.isFinite(step)) {
    throw new RangeError(`tapegrad.range: step must be a finite non-zero number, got ${step}`);
  }
  if (!Number.isFinite(start) || !Number.isFinite(stop)) {
    throw new RangeError(`tapegrad.range: start and stop must be finite numbers, got ${start} and ${stop}`);
  }
  const d = (dtype ?? 'float32') as D;
  checkDType('range', d);
  if (d === 'bool') {
    throw new TypeError(`tapegrad.range: dtype must be float32, float64 or int32, got bool; cast the range instead`);
  }
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = allocate(d, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data as DataTypeMap[D], [n], d);
}

/**
 * An identity matrix of `numRows` x `numColumns` (square by default).
 *
 * @example
 * ```ts
 * eye(2); // [[1, 0], [0, 1]]
 * ```
 */
export function eye<D extends DType = 'float32'>(numRows: number, numColumns = numRows, dtype?: D): Tensor<D> {
  const t = filled('eye', [numRows, numColumns], 0, dtype);
  for (let i = 0; i < Math.min(numRows, numColumns); i++) t.values[i * numColumns + i] = 1;
  return t;
}

/** The zero tensor a random op fills, after checking its shape and that `dtype` is one it draws. */
function randomOutput<D extends DType>(op: string, shape: readonly number[], dtype: D | undefined, allowed: DType[]) {
  checkShape(op, shape);
  const d = (dtype ?? 'float32') as D;
  if (!allowed.includes(d)) {
    throw new TypeError(
      `tapegrad.${op}: dtype must be ${allowed.join(', ').replace(/, (\w+)$/, ' or $1')}, got ${String(d)}`,
    );
  }
  return filled(op, shape, 0, d);
}

/** A seed for a random op: the given one, or a fresh one from Math.random. */
function seedOf(seed: number | undefined): number {
  return seed ?? Math.floor(Math.random() * 4294967296);
}

/**
 * Normally distributed draws. The same `seed` gives the same tensor on every platform.
 *
 * @example
 * ```ts
 * import { equal, randomNormal } from 'tapegrad';
 * const x = randomNormal([2, 3], 0, 1, 'float32', 42); // mean 0, standard deviation 1
 * x.shape; // [2, 3]
 * equal(x, randomNormal([2, 3], 0, 1, 'float32', 42)).sum(); // 6: the same seed gives the same draws
 * ```
 */
export function randomNormal<D extends 'float32' | 'float64' = 'float32'>(
  shape: readonly number[],
  mean = 0,
  stddev = 1,
  dtype?: D,
  seed?: number,
): Tensor<D> {
  const t = randomOutput('randomNormal', shape, dtype, ['float32', 'float64']);
  kernels.fillNormal(t.values, mean, stddev, seedOf(seed));
  return t;
}

/**
 * Uniform draws in `[minval, maxval)`. The same `seed` gives the same tensor on every platform.
 *
 * @example
 * ```ts
 * import { randomUniform } from 'tapegrad';
 * const u = randomUniform([1000], -1, 1, 'float32', 7);
 * u.less(-1).sum(); // 0: no draw is below -1
 * u.greaterEqual(1).sum(); // 0: nor at or above 1
 * ```
 */
export function randomUniform<D extends 'float32' | 'float64' | 'int32' = 'float32'>(
  shape: readonly number[],
  minval = 0,
  maxval = 1,
  dtype?: D,
  seed?: number,
): Tensor<D> {
  const t = randomOutput('randomUniform', shape, dtype, ['float32', 'float64', 'int32']);
  if (!(maxval > minval)) {
    throw new RangeError(`tapegrad.randomUniform: maxval (${maxval}) must be greater than minval (${minval})`);
  }
  kernels.fillUniform(t.values, minval, maxval, seedOf(seed));
  return t;
}
