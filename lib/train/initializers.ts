/**
 * Weight initializers, as TensorFlow.js's `tf.initializers`: each function
 * takes its settings and returns an initializer whose `apply(shape, dtype)`
 * makes a tensor. The random ones draw with their `seed` when given one (the
 * same seed, the same tensor, call after call) and otherwise take a fresh
 * seed per call from the global seed (see `setSeed`), so a program that sets
 * the global seed initializes the same way every run.
 *
 * Fans, as TensorFlow.js computes them: a dense kernel `[in, out]` has
 * fanIn = in, fanOut = out; a convolution kernel of rank 3 to 5,
 * `[...window, in, out]`, multiplies both by the window's size (the receptive
 * field); any other rank takes fanIn = fanOut = sqrt(size).
 *
 * @example
 * ```ts
 * import { initializers } from 'tapegrad';
 * const w = initializers.glorotUniform({ seed: 1 }).apply([3, 2]);
 * w.shape; // [3, 2]
 * w.abs().max().item() <= Math.sqrt(6 / 5); // true: the limit is sqrt(6 / (fanIn + fanOut))
 * ```
 * @packageDocumentation
 */
import { fill, randomUniform, tensor } from '../creation.js';
import { isFloat, type DType, type FloatDType } from '../dtype.js';
import { describeValue } from '../format.js';
import { Xoshiro128, fillNormal } from '../kernels/random.js';
import { checkSeed, drawSeed } from '../random.js';
import { checkShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';

/**
 * An initializer for any dtype: {@link zeros}, {@link ones}, {@link constant}.
 *
 * @example
 * ```ts
 * import { initializers } from 'tapegrad';
 * const init: initializers.Initializer = initializers.ones();
 * init.apply([2], 'int32'); // [1, 1] (int32)
 * ```
 */
export interface Initializer {
  /**
   * A tensor of `shape` and `dtype` (default float32).
   *
   * @param shape - The shape of the tensor to make: non-negative integers.
   * @param dtype - The dtype: `'float32'` (the default), `'float64'`, `'int32'` or `'bool'`.
   */
  apply<D extends DType = 'float32'>(shape: readonly number[], dtype?: D): Tensor<D>;
}

/**
 * A random initializer: it draws float32 or float64 tensors.
 *
 * @example
 * ```ts
 * import { initializers } from 'tapegrad';
 * const init: initializers.RandomInitializer = initializers.heNormal({ seed: 3 });
 * init.apply([4, 4], 'float64').dtype; // 'float64'
 * ```
 */
export interface RandomInitializer {
  /**
   * A tensor of `shape` and `dtype` (float32, the default, or float64).
   *
   * @param shape - The shape of the tensor to draw: non-negative integers (a weight matrix is `[fanIn, fanOut]`).
   * @param dtype - `'float32'` (the default) or `'float64'`.
   */
  apply<D extends FloatDType = 'float32'>(shape: readonly number[], dtype?: D): Tensor<D>;
}

/**
 * How {@link varianceScaling} divides its scale: by fanIn, fanOut or their mean.
 *
 * @example
 * ```ts
 * import { initializers } from 'tapegrad';
 * const mode: initializers.FanMode = 'fanAvg';
 * ```
 */
export type FanMode = 'fanIn' | 'fanOut' | 'fanAvg';
/**
 * What {@link varianceScaling} draws from ('normal' is the truncated normal, as in TensorFlow.js).
 *
 * @example
 * ```ts
 * import { initializers } from 'tapegrad';
 * const distribution: initializers.Distribution = 'uniform';
 * ```
 */
export type Distribution = 'normal' | 'truncatedNormal' | 'uniform';

/** [fanIn, fanOut] of a weight shape, as TensorFlow.js's `computeFans` (channels last). */
function computeFans(shape: readonly number[]): [number, number] {
  if (shape.length === 2) return [shape[0]!, shape[1]!];
  if (shape.length >= 3 && shape.length <= 5) {
    const receptiveField = sizeOf(shape.slice(0, -2));
    return [shape[shape.length - 2]! * receptiveField, shape[shape.length - 1]! * receptiveField];
  }
  const root = Math.sqrt(sizeOf(shape));
  return [root, root];
}

/** The seed given (checked), or undefined to draw one per call. */
function seedOption(op: string, seed: unknown): number | undefined {
  if (seed !== undefined) checkSeed(op, seed);
  return seed;
}

/** A value for a message: a string in quotes, anything else described. */
function quoted(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : describeValue(value);
}

/** Checks `apply`'s arguments for a random initializer; returns the dtype. */
function floatDType<D extends FloatDType>(op: string, shape: unknown, dtype: D | undefined): D {
  checkShape(op, shape);
  const d = dtype ?? ('float32' as D);
  if (typeof d !== 'string' || !isFloat(d as DType)) {
    throw new TypeError(
      `tapegrad.${op}: dtype must be float32 or float64, got ${typeof d === 'string' ? d : describeValue(d)}`,
    );
  }
  return d;
}

/** Throws unless `value` is a finite number (> 0 when `positive`). */
function checkNumber(op: string, name: string, value: unknown, positive = false): asserts value is number {
  if (typeof value !== 'number') {
    throw new TypeError(`tapegrad.${op}: ${name} must be a number, got ${describeValue(value)}`);
  }
  if (!Number.isFinite(value) || (positive && !(value > 0))) {
    throw new RangeError(`tapegrad.${op}: ${name} must be a finite number${positive ? ' > 0' : ''}, got ${value}`);
  }
}

/**
 * Normal draws of `mean` and `stddev`, each redrawn until within 2 standard
 * deviations of the mean, as TensorFlow's truncated normal.
 */
function truncatedNormalValues(size: number, mean: number, stddev: number, seed: number): Float64Array {
  const rng = new Xoshiro128(seed);
  const out = new Float64Array(size);
  let i = 0;
  while (i < size) {
    // Box-Muller gives two independent standard normals; 1 - u lies in (0, 1].
    const r = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const theta = 2 * Math.PI * rng.next();
    for (const z of [r * Math.cos(theta), r * Math.sin(theta)]) {
      if (i < size && Math.abs(z) <= 2) out[i++] = mean + stddev * z;
    }
  }
  return out;
}

function truncatedNormalTensor<D extends FloatDType>(
  shape: readonly number[],
  mean: number,
  stddev: number,
  dtype: D,
  seed: number,
): Tensor<D> {
  return tensor(truncatedNormalValues(sizeOf(shape), mean, stddev, seed), shape, dtype);
}

/**
 * Variance scaling, as TensorFlow.js's `varianceScaling`: with n = fanIn,
 * fanOut or (fanIn + fanOut) / 2 as `mode` says (at least 1), and
 * `s = scale / n`, it draws
 *
 * - `'uniform'`: uniformly in `[-sqrt(3 s), sqrt(3 s))`, variance s;
 * - `'normal'` or `'truncatedNormal'`: a normal of mean 0 and standard
 *   deviation `sqrt(s)`, truncated at 2 standard deviations. As in
 *   TensorFlow.js (and unlike Keras, which divides the standard deviation by
 *   0.87962566103423978), the truncation is not corrected for, so the
 *   variance is about 0.7737 s.
 *
 * @param options - `scale` (> 0, default 1), `mode` (default 'fanIn'),
 *   `distribution` (default 'normal'), `seed` (an integer in [0, 2^32)).
 *
 * @example
 * ```ts
 * import { initializers } from 'tapegrad';
 * const init = initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'uniform', seed: 5 });
 * init.apply([10, 3]).abs().max().item() < Math.sqrt(3 * 2 / 3); // true
 * ```
 */
export function varianceScaling(
  options: { scale?: number; mode?: FanMode; distribution?: Distribution; seed?: number } = {},
): RandomInitializer {
  return scaled(
    'initializers.varianceScaling',
    options.scale ?? 1,
    options.mode ?? 'fanIn',
    options.distribution ?? 'normal',
    options.seed,
  );
}

function scaled(
  op: string,
  scale: number,
  mode: FanMode,
  distribution: Distribution,
  seed: unknown,
): RandomInitializer {
  checkNumber(op, 'scale', scale, true);
  if (mode !== 'fanIn' && mode !== 'fanOut' && mode !== 'fanAvg') {
    throw new TypeError(`tapegrad.${op}: mode must be 'fanIn', 'fanOut' or 'fanAvg', got ${quoted(mode)}`);
  }
  if (distribution !== 'normal' && distribution !== 'truncatedNormal' && distribution !== 'uniform') {
    throw new TypeError(
      `tapegrad.${op}: distribution must be 'normal', 'truncatedNormal' or 'uniform', got ${quoted(distribution)}`,
    );
  }
  const fixedSeed = seedOption(op, seed);
  return {
    apply<D extends FloatDType = 'float32'>(shape: readonly number[], dtype?: D): Tensor<D> {
      const d = floatDType(op, shape, dtype);
      const [fanIn, fanOut] = computeFans(shape);
      const n = mode === 'fanIn' ? fanIn : mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
      const s = scale / Math.max(1, n);
      const drawn = fixedSeed ?? drawSeed();
      if (distribution === 'uniform') {
        const limit = Math.sqrt(3 * s);
        return randomUniform(shape, -limit, limit, d, drawn);
      }
      return truncatedNormalTensor(shape, 0, Math.sqrt(s), d, drawn);
    },
  };
}

/**
 * Glorot (Xavier) uniform: uniform in `[-limit, limit)`, `limit = sqrt(6 / (fanIn + fanOut))`.
 *
 * @param options - `seed`: an integer in [0, 2^32); without it, each `apply` follows the global seed.
 *
 * @example
 * ```ts
 * import { initializers } from 'tapegrad';
 * const init = initializers.glorotUniform({ seed: 42 });
 * init.apply([2, 2]).equal(init.apply([2, 2])).all().item(); // 1: the same seed, the same draws
 * ```
 */
export function glorotUniform(options: { seed?: number } = {}): RandomInitializer {
  return scaled('initializers.glorotUniform', 1, 'fanAvg', 'uniform', options.seed);
}

/**
 * Glorot (Xavier) normal: a normal of standard deviation `sqrt(2 / (fanIn + fanOut))`,
 * truncated at 2 standard deviations (see {@link varianceScaling}).
 *
 * @param options - `seed`: an integer in [0, 2^32); without it, each `apply` follows the global seed.
 *
 * @example
 * ```ts
 * import { initializers } from 'tapegrad';
 * const w = initializers.glorotNormal({ seed: 1 }).apply([50, 50]);
 * w.abs().max().item() <= 2 * Math.sqrt(2 / 100); // true: truncated at 2 standard deviations
 * ```
 */
export function glorotNormal(options: { seed?: number } = {}): RandomInitializer {
  return scaled('initializers.glorotNormal', 1, 'fanAvg', 'normal', options.seed);
}

/**
 * He uniform: uniform in `[-limit, limit)`, `limit = sqrt(6 / fanIn)`.
 *
 * @param options - `seed`: an integer in [0, 2^32); without it, each `apply` follows the global seed.
 *
 * @example
 * ```ts
 * import { initializers } from 'tapegrad';
 * const w = initializers.heUniform({ seed: 1 }).apply([3, 3, 4, 8]); // fanIn = 3 * 3 * 4
 * w.abs().max().item() < Math.sqrt(6 / 36); // true
 * ```
 */
export function heUniform(options: { seed?: number } = {}): RandomInitializer {
  return scaled('initializers.heUniform', 2, 'fanIn', 'uniform', options.seed);
}

/**
 * He normal: a normal of standard deviation `sqrt(2 / fanIn)`, truncated at
 * 2 standard deviations (see {@link varianceScaling}).
 *
 * @param options - `seed`: an integer in [0, 2^32); without it, each `apply` follows the global seed.
 *
 * @example
 * ```ts
 * import { initializers } from 'tapegrad';
 * initializers.heNormal({ seed: 7 }).apply([8, 4]).shape; // [8, 4]
 * ```
 */
export function heNormal(options: { seed?: number } = {}): RandomInitializer {
  return scaled('initializers.heNormal', 2, 'fanIn', 'normal', options.seed);
}

/**
 * LeCun uniform: uniform in `[-limit, limit)`, `limit = sqrt(3 / fanIn)`.
 *
 * @param options - `seed`: an integer in [0, 2^32); without it, each `apply` follows the global seed.
 *
 * @example
 * ```ts
 * import { initializers } from 'tapegrad';
 * initializers.lecunUniform({ seed: 1 }).apply([12, 5]).abs().max().item() < 0.5; // true: sqrt(3 / 12)
 * ```
 */
export function lecunUniform(options: { seed?: number } = {}): RandomInitializer {
  return scaled('initializers.lecunUniform', 1, 'fanIn', 'uniform', options.seed);
}

/**
 * LeCun normal: a normal of standard deviation `sqrt(1 / fanIn)`, truncated
 * at 2 standard deviations (see {@link varianceScaling}).
 *
 * @param options - `seed`: an integer in [0, 2^32); without it, each `apply` follows the global seed.
 *
 * @example
 * ```ts
 * import { initializers } from 'tapegrad';
 * initializers.lecunNormal({ seed: 1 }).apply([4, 3], 'float64').dtype; // 'float64'
 * ```
 */
export function lecunNormal(options: { seed?: number } = {}): RandomInitializer {
  return scaled('initializers.lecunNormal', 1, 'fanIn', 'normal', options.seed);
}

/**
 * A truncated normal, as TensorFlow.js's `truncatedNormal` initializer: normal
 * draws of `mean` and `stddev`, each redrawn until it lies within 2 standard
 * deviations of the mean.
 *
 * @param options - `mean` (default 0), `stddev` (> 0, default 0.05), `seed` (an integer in [0, 2^32)).
 *
 * @example
 * ```ts
 * import { initializers } from 'tapegrad';
 * const w = initializers.truncatedNormal({ mean: 1, stddev: 0.1, seed: 2 }).apply([100]);
 * w.sub(1).abs().max().item() <= 0.2; // true
 * ```
 */
export function truncatedNormal(options: { mean?: number; stddev?: number; seed?: number } = {}): RandomInitializer {
  const op = 'initializers.truncatedNormal';
  const { mean = 0, stddev = 0.05 } = options;
  checkNumber(op, 'mean', mean);
  checkNumber(op, 'stddev', stddev, true);
  const fixedSeed = seedOption(op, options.seed);
  return {
    apply<D extends FloatDType = 'float32'>(shape: readonly number[], dtype?: D): Tensor<D> {
      const d = floatDType(op, shape, dtype);
      return truncatedNormalTensor(shape, mean, stddev, d, fixedSeed ?? drawSeed());
    },
  };
}

/**
 * A random orthogonal matrix, as TensorFlow.js's `orthogonal`: the shape is
 * read as a matrix of `rows = product of all but the last dimension` and
 * `cols = the last`; Q of the QR factorization of a standard normal matrix
 * (with R's diagonal made positive, so Q is uniformly distributed), times
 * `gain`. Its columns are orthonormal when rows >= cols, its rows otherwise.
 *
 * @param options - `gain` (default 1), `seed` (an integer in [0, 2^32)).
 *
 * @example
 * ```ts
 * import { initializers, matmul } from 'tapegrad';
 * const q = initializers.orthogonal({ seed: 1 }).apply([3, 3], 'float64');
 * matmul(q, q, true).sub(matmul(q, q, true).round()).abs().max().item() < 1e-12; // true: QᵀQ = I
 * ```
 */
export function orthogonal(options: { gain?: number; seed?: number } = {}): RandomInitializer {
  const op = 'initializers.orthogonal';
  const { gain = 1 } = options;
  checkNumber(op, 'gain', gain);
  const fixedSeed = seedOption(op, options.seed);
  return {
    apply<D extends FloatDType = 'float32'>(shape: readonly number[], dtype?: D): Tensor<D> {
      const d = floatDType(op, shape, dtype);
      if (shape.length < 2) {
        throw new RangeError(
          `tapegrad.${op}: shape [${shape.join(', ')}] has rank ${shape.length}; an orthogonal matrix needs rank >= 2`,
        );
      }
      const cols = shape[shape.length - 1]!;
      const rows = sizeOf(shape) / Math.max(cols, 1);
      const values = orthogonalValues(Math.max(rows, cols), Math.min(rows, cols), fixedSeed ?? drawSeed());
      // Q is [max, min] with orthonormal columns; a wide matrix takes its transpose.
      const out = rows >= cols ? values : transposed(values, cols, rows);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! * gain;
      return tensor(out, shape, d);
    },
  };
}

/**
 * Q (m x n, m >= n, row-major) of the QR factorization of an m x n standard
 * normal matrix, by modified Gram-Schmidt, each column orthogonalized twice
 * for accuracy. Gram-Schmidt makes R's diagonal positive, as the sign
 * correction of TensorFlow.js's Householder QR does.
 */
function orthogonalValues(m: number, n: number, seed: number): Float64Array {
  const a = new Float64Array(m * n);
  fillNormal(a, 0, 1, seed);
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += a[i * n + k]! * a[i * n + j]!;
        for (let i = 0; i < m; i++) a[i * n + j] = a[i * n + j]! - dot * a[i * n + k]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += a[i * n + j]! ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) a[i * n + j] = a[i * n + j]! / norm;
  }
  return a;
}

/** The transpose of an m x n row-major matrix. */
function transposed(a: Float64Array, m: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = a[i * n + j]!;
  return out;
}

/**
 * Zeros, as TensorFlow.js's `zeros` initializer.
 *
 * @example
 * ```ts
 * import { initializers } from 'tapegrad';
 * initializers.zeros().apply([2, 2]); // [[0, 0], [0, 0]]
 * ```
 */
export function zeros(): Initializer {
  return constantOf('initializers.zeros', 0);
}

/**
 * Ones, as TensorFlow.js's `ones` initializer.
 *
 * @example
 * ```ts
 * import { initializers } from 'tapegrad';
 * initializers.ones().apply([3], 'float64'); // [1, 1, 1] (float64)
 * ```
 */
export function ones(): Initializer {
  return constantOf('initializers.ones', 1);
}

/**
 * Every element `value`, as TensorFlow.js's `constant` initializer.
 *
 * @param options - `value`: a finite number (an integer for int32 tensors).
 *
 * @example
 * ```ts
 * import { initializers } from 'tapegrad';
 * initializers.constant({ value: 0.5 }).apply([2]); // [0.5, 0.5]
 * ```
 */
export function constant(options: { value: number }): Initializer {
  const op = 'initializers.constant';
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`tapegrad.${op}: pass { value }, got ${describeValue(options)}`);
  }
  checkNumber(op, 'value', options.value);
  return constantOf(op, options.value);
}

function constantOf(op: string, value: number): Initializer {
  return {
    apply<D extends DType = 'float32'>(shape: readonly number[], dtype?: D): Tensor<D> {
      checkShape(op, shape);
      return fill(shape, value, dtype ?? ('float32' as D));
    },
  };
}
