/**
 * Creating tensors: from values, constant fills, ranges, identity matrices
 * and seeded random draws. None of these is recorded on a tape.
 */
import { describeValue } from './format.js';
import { allocate, checkDType, dtypeOfArray, type DataTypeMap, type DType, type TypedArray } from './dtype.js';
import { kernels } from './kernels/index.js';
import { active, allocateHere, gpuDTypeOf, placement } from './kernels/placement.js';
import type { Storage } from './kernels/storage.js';
import { checkSeed, drawSeed } from './random.js';
import { checkShape, formatShape, MAX_SIZE, shapesEqual, sizeError, sizeOf, type Shape } from './shape.js';
import { Tensor, type TensorLike } from './tensor.js';

/** Numbers, or nested arrays of numbers. */
export type NumberArray = number | readonly NumberArray[];
/** Booleans, or nested arrays of booleans. */
export type BoolArray = boolean | readonly BoolArray[];

/**
 * Creates a tensor from a number, a boolean, nested arrays, a flat array with
 * a `shape`, or a typed array. The dtype is `dtype` if given, else the typed
 * array's, else bool when every value is a boolean and float32 otherwise
 * (booleans among numbers count as 1 and 0, as in NumPy). The values are copied.
 *
 * @param values - A number, a boolean, nested arrays of them, a flat array (with `shape`), a typed array, or a tensor
 *   (copied).
 * @param shape - The shape, for flat values (or to reshape the values, which must have as many elements); default the
 *   values' own.
 * @param dtype - The dtype: `'float32'`, `'float64'`, `'int32'` or `'bool'`; default inferred from the values, as
 *   above.
 *
 * @example
 * ```ts
 * import { tensor } from 'tapegrad';
 * tensor([[1, 2], [3, 4]]);              // [[1, 2], [3, 4]] (float32)
 * tensor([1, 2, 3, 4], [2, 2], 'int32'); // [[1, 2], [3, 4]] (int32)
 * tensor(new Float64Array([0.5, 1.5]));  // [0.5, 1.5] (float64)
 * tensor([true, false]);                 // [1, 0] (bool)
 * tensor([true, 5]);                     // [1, 5] (float32): a boolean among numbers is a number
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
  return toTensor('tensor', values, shape, dtype) as Tensor<D>;
}

/** `tensor`, with errors naming `op`: the function the caller called. */
function toTensor(op: string, values: TensorLike, shape: readonly number[] | undefined, dtype: DType | undefined) {
  if (dtype !== undefined) checkDType(op, dtype);
  if (shape !== undefined) checkShape(op, shape);
  if (values instanceof Tensor) {
    const t = values.snapshot(false); // copied below: a variable's array is not shared by this
    return t.onGpu
      ? copyOnDevice(op, t, shape ?? t.shape, dtype ?? t.dtype)
      : fromFlat(op, t.values, shape ?? t.shape, dtype ?? t.dtype);
  }
  const arrayDType = dtypeOfArray(values);
  if (arrayDType !== undefined) {
    return fromFlat(op, values as TypedArray, shape ?? [(values as TypedArray).length], dtype ?? arrayDType);
  }
  if (ArrayBuffer.isView(values)) {
    throw new TypeError(
      `tapegrad.${op}: ${values.constructor.name} is not supported; ` +
        'use Float32Array, Float64Array, Int32Array or Uint8Array (bool)',
    );
  }
  const nested: Flattening = { op, shape: [], flat: [], numbers: false, booleans: false };
  flatten(values, 0, nested);
  // Booleans alone are bool; among numbers they are numbers (NumPy's rule), and an empty array is float32.
  const inferred = nested.booleans && !nested.numbers ? 'bool' : 'float32';
  return fromFlat(op, nested.flat, shape ?? nested.shape, dtype ?? inferred);
}

/** What flattening nested arrays has found so far. */
interface Flattening {
  /** The function the caller called, for errors. */
  readonly op: string;
  /** The sizes of the axes met so far. */
  readonly shape: number[];
  /** The values, row-major, booleans as 1 and 0. */
  readonly flat: number[];
  /** Whether a number was met. */
  numbers: boolean;
  /** Whether a boolean was met. */
  booleans: boolean;
}

/** Flattens nested arrays row-major, recording the shape and checking it is rectangular. */
function flatten(value: unknown, depth: number, nested: Flattening): void {
  const { shape, flat } = nested;
  if (typeof value === 'number' || typeof value === 'boolean') {
    if (depth < shape.length) raggedError(nested.op, shape, depth);
    if (typeof value === 'number') {
      flat.push(value);
      nested.numbers = true;
    } else {
      flat.push(value ? 1 : 0);
      nested.booleans = true;
    }
    return;
  }
  if (!Array.isArray(value)) {
    throw new TypeError(
      `tapegrad.${nested.op}: cannot make a tensor from ${describeValue(value)}; ` +
        'give numbers, booleans or arrays of them',
    );
  }
  if (depth === shape.length) {
    if (flat.length > 0) raggedError(nested.op, shape, depth);
    shape.push(value.length);
  } else if (shape[depth] !== value.length) raggedError(nested.op, shape, depth);
  // An index loop, not for-of: a hole in a sparse array reads as undefined, an error.
  for (let i = 0; i < value.length; i++) flatten(value[i], depth + 1, nested);
  if (value.length === 0 && depth + 1 < shape.length) raggedError(nested.op, shape, depth);
}

function raggedError(op: string, shape: readonly number[], depth: number): never {
  throw new Error(
    `tapegrad.${op}: nested arrays are ragged at depth ${depth} (shape so far ${formatShape(shape)}); ` +
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
      if (!isInt32(v)) {
        throw new TypeError(
          `tapegrad.${op}: value ${v} at flat index ${i} is not an int32; ` +
            `round it first, or convert a float tensor with cast(x, 'int32') (which truncates)`,
        );
      }
    }
  }
  const data = allocate(dtype, size, op);
  if (dtype === 'bool') {
    const src = allocate('float64', size, op);
    src.set(flat);
    kernels.cast(src, data);
  } else data.set(flat);
  return made(op, data, [...shape], dtype);
}

/**
 * A tensor over data just made on the CPU: as it is on the CPU backends, and copied into device memory when a device
 * backend (webgpu) is current, where new tensors live. float64 there is an error naming `op`.
 */
function made<D extends DType>(op: string, data: DataTypeMap[D], shape: Shape, dtype: D): Tensor<D> {
  const device = placement.device;
  if (device === undefined) return new Tensor(data, shape, dtype);
  return new Tensor(device.upload(data, gpuDTypeOf(dtype, op)), shape, dtype);
}

/**
 * A fresh copy of `t`'s data where tensors live now: a typed array on the CPU backends (a GPU tensor there is an
 * error saying how to move it), device memory on webgpu (uploaded from the CPU, or copied on the device).
 * @internal
 */
export function copyHere(op: string, t: Tensor): Storage {
  if (placement.device === undefined) return t.valuesNow.slice();
  if (!t.onGpu) return placement.device.upload(t.valuesNow, gpuDTypeOf(t.dtype, op));
  const out = allocateHere(t.dtype, t.size, op);
  active().cast(t.placed, out);
  return out;
}

/** A copy of GPU tensor `t` as `shape` (of its size) and `dtype`, made on the device. */
function copyOnDevice(op: string, t: Tensor, shape: Shape, dtype: DType): Tensor {
  if (sizeOf(shape) !== t.size) {
    throw new Error(
      `tapegrad.${op}: ${t.size} values do not fill shape ${formatShape(shape)} (${sizeOf(shape)} elements); ` +
        'give a shape whose sizes multiply to the number of values',
    );
  }
  const out = allocateHere(dtype, t.size, op);
  active().cast(t.placed, out);
  return new Tensor(out, [...shape], dtype);
}

function isInt32(v: number): boolean {
  return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
}

/**
 * `value` (a number or boolean) as an element of `dtype`: booleans are 1 and
 * 0; bool takes `value !== 0`, as `cast` does; int32 takes only int32s.
 */
function elementOf(op: string, value: unknown, dtype: DType): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'number') {
    throw new TypeError(`tapegrad.${op}: expected a number or boolean, got ${describeValue(value)}`);
  }
  if (dtype === 'bool') return value !== 0 ? 1 : 0;
  if (dtype === 'int32' && !isInt32(value)) {
    throw new TypeError(`tapegrad.${op}: value ${value} is not an int32; round it first, or give a float dtype`);
  }
  return value;
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
    const keeps = dtype === 'float32' || dtype === 'float64' || (dtype === 'int32' && isInt32(x));
    return scalar(x, keeps ? dtype : 'float32');
  }
  return toTensor(op, x, undefined, dtypeOfArray(x) === undefined ? dtype : undefined);
}

/**
 * A rank-0 tensor. The dtype is `dtype` if given, else bool for a boolean
 * and float32 for a number; an int32 must be given an integer.
 *
 * @param value - The value: a number, or a boolean.
 * @param dtype - The dtype: `'float32'`, `'float64'`, `'int32'` or `'bool'`; default bool for a boolean, float32 for a
 *   number.
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
  const data = allocate(d, 1);
  data[0] = elementOf('scalar', value, d);
  return made('scalar', data, [], d);
}

/**
 * A tensor of `shape` with every element `value`. The dtype is `dtype` if
 * given, else bool for a boolean and float32 for a number; an int32 must be
 * given an integer.
 *
 * @param shape - The shape: non-negative integers, one per axis (`[]` for a scalar).
 * @param value - The value of every element: a number, or a boolean.
 * @param dtype - The dtype: `'float32'`, `'float64'`, `'int32'` or `'bool'`; default bool for a boolean, float32 for a
 *   number.
 *
 * @example
 * ```ts
 * fill([2, 3], 7); // [[7, 7, 7], [7, 7, 7]] (float32)
 * fill([2], true); // [1, 1] (bool)
 * ```
 */
export function fill<D extends DType = 'float32'>(
  shape: readonly number[],
  value: number | boolean,
  dtype?: D,
): Tensor<D> {
  return filled('fill', shape, value, (dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32')) as D);
}

/** `fill`, with errors naming `op`: the function the caller called. */
function filled<D extends DType>(op: string, shape: readonly number[], value: number | boolean, dtype?: D) {
  const [data, d] = filledArray(op, shape, value, dtype);
  return made(op, data, [...shape], d);
}

/** The CPU data of `filled`, and its dtype, to be finished (eye, the random draws) before `made` places it. */
function filledArray<D extends DType>(
  op: string,
  shape: readonly number[],
  value: number | boolean,
  dtype?: D,
): [DataTypeMap[D], D] {
  checkShape(op, shape);
  const d = (dtype ?? 'float32') as D;
  checkDType(op, d);
  const v = elementOf(op, value, d);
  const data = allocate(d, sizeOf(shape), op);
  if (v !== 0) data.fill(v);
  return [data, d];
}

/**
 * A tensor of zeros.
 *
 * @param shape - The shape: non-negative integers, one per axis (`[]` for a scalar).
 * @param dtype - The dtype: `'float32'`, `'float64'`, `'int32'` or `'bool'`; default `'float32'`.
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
 * @param shape - The shape: non-negative integers, one per axis (`[]` for a scalar).
 * @param dtype - The dtype: `'float32'`, `'float64'`, `'int32'` or `'bool'`; default `'float32'`.
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
 * @param x - The tensor whose shape and dtype the result takes.
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
 * @param x - The tensor whose shape and dtype the result takes.
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
 * @param start - The first number (finite).
 * @param stop - The bound, excluded (finite).
 * @param step - The increment, finite and non-zero, negative to count down; default 1.
 * @param dtype - The dtype: `'float32'`, `'float64'`, `'int32'` or `'bool'`; default `'float32'`.
 *
 * @example
 * ```ts
 * range(0, 5);        // [0, 1, 2, 3, 4]
 * range(1, 0, -0.25); // [1, 0.75, 0.5, 0.25]
 * ```
 */
export function range<D extends DType = 'float32'>(start: number, stop: number, step = 1, dtype?: D): Tensor<D> {
  checkNumber('range', 'start', start);
  checkNumber('range', 'stop', stop);
  checkNumber('range', 'step', step);
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
  if (n > MAX_SIZE) throw sizeError('range', `range(${start}, ${stop}, ${step})`, n);
  if (d === 'int32' && n > 0 && !(isInt32(start) && Number.isInteger(step) && isInt32(start + (n - 1) * step))) {
    throw new TypeError(
      `tapegrad.range: an int32 range needs integer start and step and int32 values, ` +
        `got range(${start}, ${stop}, ${step}); round them, or make a float range`,
    );
  }
  const data = allocate(d, n, 'range');
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return made('range', data as DataTypeMap[D], [n], d);
}

/** Throws unless `value` is a number (of any value: callers check the range), naming `op` and the argument. */
function checkNumber(op: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') {
    throw new TypeError(`tapegrad.${op}: ${name} must be a number, got ${describeValue(value)}`);
  }
}

/**
 * An identity matrix of `numRows` x `numColumns` (square by default).
 *
 * @param numRows - The number of rows, a non-negative integer.
 * @param numColumns - The number of columns; default `numRows` (square).
 * @param dtype - The dtype: `'float32'`, `'float64'`, `'int32'` or `'bool'`; default `'float32'`.
 *
 * @example
 * ```ts
 * eye(2); // [[1, 0], [0, 1]]
 * ```
 */
export function eye<D extends DType = 'float32'>(numRows: number, numColumns = numRows, dtype?: D): Tensor<D> {
  const [data, d] = filledArray('eye', [numRows, numColumns], 0, dtype);
  for (let i = 0; i < Math.min(numRows, numColumns); i++) data[i * numColumns + i] = 1;
  return made('eye', data, [numRows, numColumns], d);
}

/** The dtype a random op draws, after checking its shape and that `dtype` is one it draws. */
function randomDType<D extends DType>(op: string, shape: readonly number[], dtype: D | undefined, allowed: DType[]) {
  checkShape(op, shape);
  const d = (dtype ?? 'float32') as D;
  if (!allowed.includes(d)) {
    throw new TypeError(
      `tapegrad.${op}: dtype must be ${allowed.join(', ').replace(/, (\w+)$/, ' or $1')}, got ${String(d)}`,
    );
  }
  return d;
}

/** A seed for a random op: the given one (checked), or the next from the global seed (see `setSeed`). */
function seedOf(op: string, seed: number | undefined): number {
  if (seed === undefined) return drawSeed();
  checkSeed(op, seed);
  return seed;
}

/**
 * Normally distributed draws. The same `seed` (an integer in [0, 2^32))
 * gives the same tensor on every platform; without one, the draws follow the
 * global seed when `setSeed` has set one, and are fresh otherwise. `stddev`
 * is finite and not negative.
 *
 * @param shape - The shape: non-negative integers, one per axis (`[]` for a scalar).
 * @param mean - The mean of the distribution (finite); default 0.
 * @param stddev - The standard deviation (finite, >= 0); default 1.
 * @param dtype - `'float32'` (the default) or `'float64'`.
 * @param seed - An integer in [0, 2^32) fixing the draws; without it, the global seed or fresh draws.
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
  const op = 'randomNormal';
  const d = randomDType(op, shape, dtype, ['float32', 'float64']);
  checkNumber(op, 'mean', mean);
  checkNumber(op, 'stddev', stddev);
  if (!Number.isFinite(mean)) throw new RangeError(`tapegrad.${op}: mean must be finite, got ${mean}`);
  if (!(stddev >= 0 && stddev < Infinity)) {
    throw new RangeError(`tapegrad.${op}: stddev must be a finite number >= 0, got ${stddev}`);
  }
  const s = seedOf(op, seed);
  const [data] = filledArray(op, shape, 0, d);
  kernels.fillNormal(data, mean, stddev, s); // on the CPU on every backend: one seed, the same draws
  return made(op, data, [...shape], d);
}

/**
 * Uniform draws in `[minval, maxval)` (finite, `minval < maxval`; integers for
 * int32). The same `seed` (an integer in [0, 2^32)) gives the same tensor on
 * every platform; without one, the draws follow the global seed when
 * `setSeed` has set one, and are fresh otherwise.
 *
 * @param shape - The shape: non-negative integers, one per axis (`[]` for a scalar).
 * @param minval - The lower bound, included (finite); default 0.
 * @param maxval - The upper bound, excluded (finite, above `minval`); default 1.
 * @param dtype - `'float32'` (the default), `'float64'` or `'int32'`.
 * @param seed - An integer in [0, 2^32) fixing the draws; without it, the global seed or fresh draws.
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
  const op = 'randomUniform';
  const d = randomDType(op, shape, dtype, ['float32', 'float64', 'int32']);
  checkNumber(op, 'minval', minval);
  checkNumber(op, 'maxval', maxval);
  if (!Number.isFinite(minval) || !Number.isFinite(maxval)) {
    throw new RangeError(`tapegrad.${op}: minval and maxval must be finite numbers, got ${minval} and ${maxval}`);
  }
  if (!(maxval > minval)) {
    throw new RangeError(`tapegrad.${op}: maxval (${maxval}) must be greater than minval (${minval})`);
  }
  if (d === 'int32' && !(isInt32(minval) && Number.isInteger(maxval) && maxval <= 2147483648)) {
    throw new RangeError(
      `tapegrad.${op}: int32 draws need integer bounds in [-2^31, 2^31], got ${minval} and ${maxval}; round them`,
    );
  }
  // Every draw in [minval, maxval) would round to a float32 at or above maxval, and be drawn again forever.
  if (d === 'float32' && Math.fround(minval) >= maxval) {
    throw new RangeError(
      `tapegrad.${op}: no float32 lies in [${minval}, ${maxval}); widen the interval or draw float64`,
    );
  }
  const s = seedOf(op, seed);
  const [data] = filledArray(op, shape, 0, d);
  kernels.fillUniform(data, minval, maxval, s); // on the CPU on every backend: one seed, the same draws
  return made(op, data, [...shape], d);
}

/**
 * The dtype {@link tensor} gives `values` when no dtype is named: a tensor's
 * own, a typed array's, bool for booleans alone, else float32.
 */
export type DTypeOfValues<V> =
  V extends Tensor<infer D>
    ? D
    : V extends Float64Array
      ? 'float64'
      : V extends Int32Array
        ? 'int32'
        : V extends Uint8Array | BoolArray
          ? 'bool'
          : 'float32';

/**
 * `tensor(values, shape, dtype)` for the tensorNd functions, as TensorFlow.js
 * checks them: `shape`, when given, has `rank` numbers, and `values` nest to
 * exactly `rank` axes, or are flat (a flat array or a typed array) with a
 * `shape` to fill.
 */
function tensorOfRank(
  op: string,
  rank: number,
  values: TensorLike,
  shape: readonly number[] | undefined,
  dtype: DType | undefined,
): Tensor {
  if (shape !== undefined) {
    checkShape(op, shape);
    if (shape.length !== rank) {
      throw new Error(
        `tapegrad.${op}: shape ${formatShape(shape)} has ${shape.length} numbers; a rank-${rank} tensor needs ${rank}`,
      );
    }
  }
  const inferred = toTensor(op, values, undefined, dtype);
  if (inferred.rank === rank) {
    if (shape !== undefined && !shapesEqual(shape, inferred.shape)) {
      throw new Error(
        `tapegrad.${op}: the values have shape ${formatShape(inferred.shape)} but shape ${formatShape(shape)} was given; ` +
          'give flat values to fill a shape, or leave the shape out',
      );
    }
    return inferred;
  }
  if (inferred.rank === 1 && shape !== undefined) {
    return inferred.onGpu
      ? copyOnDevice(op, inferred, shape, inferred.dtype)
      : fromFlat(op, inferred.values, shape, inferred.dtype);
  }
  const fix =
    rank === 1
      ? 'give a flat array or a typed array, or use tensor()'
      : inferred.rank === 1
        ? `give a shape of ${rank} numbers with flat values, or nest the values ${rank} deep`
        : `nest the values ${rank} deep, or give flat values and a shape of ${rank} numbers, or use tensor()`;
  throw new Error(
    `tapegrad.${op}: the values have shape ${formatShape(inferred.shape)} (rank ${inferred.rank}) ` +
      `but ${op} makes rank-${rank} tensors; ${fix}`,
  );
}

/**
 * A rank-1 tensor, as TensorFlow.js's `tf.tensor1d`: {@link tensor} that
 * throws unless `values` is a flat array or a typed array.
 *
 * @param values - The values: a flat array of numbers or booleans, or a typed array.
 * @param dtype - The dtype: `'float32'`, `'float64'`, `'int32'` or `'bool'`; default inferred from the values, as
 *   {@link tensor}.
 *
 * @example
 * ```ts
 * import { tensor1d } from 'tapegrad';
 * tensor1d([1, 2, 3]); // [1, 2, 3] (float32)
 * tensor1d([1, 2], 'int32'); // [1, 2] (int32)
 * tensor1d(new Float64Array([0.5])); // [0.5] (float64)
 * ```
 */
export function tensor1d<V extends TensorLike, D extends DType = DTypeOfValues<V>>(values: V, dtype?: D): Tensor<D> {
  return tensorOfRank('tensor1d', 1, values, undefined, dtype) as Tensor<D>;
}

/**
 * A rank-2 tensor, as TensorFlow.js's `tf.tensor2d`: from values nested two
 * deep, or from flat values (an array or a typed array) and a `shape` of two
 * numbers. Throws on any other rank.
 *
 * @param values - The values: nested two deep, or flat (an array or a typed array) with `shape`.
 * @param shape - The shape, two numbers: required for flat values; checked against nested ones.
 * @param dtype - The dtype: `'float32'`, `'float64'`, `'int32'` or `'bool'`; default inferred from the values, as
 *   {@link tensor}.
 *
 * @example
 * ```ts
 * import { tensor2d } from 'tapegrad';
 * tensor2d([[1, 2], [3, 4]]); // [[1, 2], [3, 4]] (float32)
 * tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'); // [[1, 2, 3], [4, 5, 6]] (int32)
 * ```
 */
export function tensor2d<V extends TensorLike, D extends DType = DTypeOfValues<V>>(
  values: V,
  shape?: readonly [number, number],
  dtype?: D,
): Tensor<D> {
  return tensorOfRank('tensor2d', 2, values, shape, dtype) as Tensor<D>;
}

/**
 * A rank-3 tensor, as TensorFlow.js's `tf.tensor3d`: from values nested three
 * deep, or from flat values (an array or a typed array) and a `shape` of three
 * numbers. Throws on any other rank.
 *
 * @param values - The values: nested three deep, or flat (an array or a typed array) with `shape`.
 * @param shape - The shape, three numbers: required for flat values; checked against nested ones.
 * @param dtype - The dtype: `'float32'`, `'float64'`, `'int32'` or `'bool'`; default inferred from the values, as
 *   {@link tensor}.
 *
 * @example
 * ```ts
 * import { tensor3d } from 'tapegrad';
 * tensor3d([[[1], [2]], [[3], [4]]]); // [[[1], [2]], [[3], [4]]]
 * tensor3d([1, 2, 3, 4], [2, 1, 2]); // [[[1, 2]], [[3, 4]]]
 * ```
 */
export function tensor3d<V extends TensorLike, D extends DType = DTypeOfValues<V>>(
  values: V,
  shape?: readonly [number, number, number],
  dtype?: D,
): Tensor<D> {
  return tensorOfRank('tensor3d', 3, values, shape, dtype) as Tensor<D>;
}

/**
 * A rank-4 tensor, as TensorFlow.js's `tf.tensor4d`: from values nested four
 * deep, or from flat values (an array or a typed array) and a `shape` of four
 * numbers. Throws on any other rank.
 *
 * @param values - The values: nested four deep, or flat (an array or a typed array) with `shape`.
 * @param shape - The shape, four numbers: required for flat values; checked against nested ones.
 * @param dtype - The dtype: `'float32'`, `'float64'`, `'int32'` or `'bool'`; default inferred from the values, as
 *   {@link tensor}.
 *
 * @example
 * ```ts
 * import { tensor4d } from 'tapegrad';
 * tensor4d([[[[1, 2]]]]); // [[[[1, 2]]]]
 * tensor4d([1, 2, 3, 4], [1, 2, 2, 1]).shape; // [1, 2, 2, 1]
 * ```
 */
export function tensor4d<V extends TensorLike, D extends DType = DTypeOfValues<V>>(
  values: V,
  shape?: readonly [number, number, number, number],
  dtype?: D,
): Tensor<D> {
  return tensorOfRank('tensor4d', 4, values, shape, dtype) as Tensor<D>;
}

/**
 * `num` evenly spaced float32 numbers from `start` to `stop`, both included,
 * as TensorFlow.js's `tf.linspace`; `num` is a positive integer (1 gives
 * `[start]`). Each value is `start + i * step`, and the last is `stop`
 * exactly.
 *
 * @param start - The first value (finite).
 * @param stop - The last value (finite), included.
 * @param num - How many values: a positive integer.
 *
 * @example
 * ```ts
 * import { linspace } from 'tapegrad';
 * linspace(0, 1, 5); // [0, 0.25, 0.5, 0.75, 1] (float32)
 * linspace(3, -3, 3); // [3, 0, -3]
 * linspace(2, 7, 1); // [2]
 * ```
 */
export function linspace(start: number, stop: number, num: number): Tensor<'float32'> {
  checkNumber('linspace', 'start', start);
  checkNumber('linspace', 'stop', stop);
  checkNumber('linspace', 'num', num);
  if (!Number.isFinite(start) || !Number.isFinite(stop)) {
    throw new RangeError(`tapegrad.linspace: start and stop must be finite numbers, got ${start} and ${stop}`);
  }
  if (!Number.isInteger(num) || num < 1) {
    throw new RangeError(`tapegrad.linspace: num must be a positive integer (the number of values), got ${num}`);
  }
  if (num > MAX_SIZE) throw sizeError('linspace', `linspace(${start}, ${stop}, ${num})`, num);
  const data = allocate('float32', num, 'linspace');
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) data[i] = start + i * step;
  data[num - 1] = num > 1 ? stop : start;
  return made('linspace', data, [num], 'float32');
}
