/** Initializers: TensorFlow.js's distributions and scales, seeds, and the global seed. */
import { matmul, setSeed, type Tensor } from '../../lib/index.js';
import * as initializers from '../../lib/train/initializers.js';
import { expectError, loose } from '../support/errors.js';

const flat = (t: Tensor) => Array.from(t.dataSync());
const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, variance, maxAbs: xs.reduce((m, x) => Math.max(m, Math.abs(x)), 0) };
};
/** The variance of a standard normal truncated at +-2. */
const TRUNCATED = 0.7737413;

const random = {
  glorotUniform: initializers.glorotUniform,
  glorotNormal: initializers.glorotNormal,
  heUniform: initializers.heUniform,
  heNormal: initializers.heNormal,
  lecunUniform: initializers.lecunUniform,
  lecunNormal: initializers.lecunNormal,
  truncatedNormal: initializers.truncatedNormal,
  orthogonal: initializers.orthogonal,
  varianceScaling: initializers.varianceScaling,
};

describe('shapes, dtypes and seeds', () => {
  test.each(Object.entries(random))('%s: float32 by default, float64 on request', (_name, make) => {
    const init = make({ seed: 1 });
    const a = init.apply([6, 4]);
    expect(a.shape).toEqual([6, 4]);
    expect(a.dtype).toBe('float32');
    expect(init.apply([6, 4], 'float64').dtype).toBe('float64');
  });

  test.each(Object.entries(random))('%s: the same seed gives the same draws; another seed others', (_name, make) => {
    expect(flat(make({ seed: 9 }).apply([5, 5]))).toEqual(flat(make({ seed: 9 }).apply([5, 5])));
    expect(flat(make({ seed: 9 }).apply([5, 5]))).not.toEqual(flat(make({ seed: 10 }).apply([5, 5])));
  });

  test.each(Object.entries(random))('%s: unseeded draws follow setSeed', (_name, make) => {
    setSeed(123);
    const init = make();
    const first = flat(init.apply([4, 3]));
    const second = flat(init.apply([4, 3]));
    expect(second).not.toEqual(first);
    setSeed(123);
    const again = make();
    expect(flat(again.apply([4, 3]))).toEqual(first);
    expect(flat(again.apply([4, 3]))).toEqual(second);
  });

  test('random initializers reject non-float dtypes and bad seeds', () => {
    expectError(
      () => initializers.glorotUniform().apply([2], loose('int32')),
      TypeError,
      'tapegrad.initializers.glorotUniform: dtype must be float32 or float64, got int32',
    );
    expectError(
      () => initializers.heNormal({ seed: -1 }),
      RangeError,
      'tapegrad.initializers.heNormal: seed must be an integer in [0, 2^32), got -1; pick a whole number from 0 to 4294967295',
    );
    expectError(
      () => initializers.truncatedNormal({ stddev: 0 }),
      RangeError,
      'tapegrad.initializers.truncatedNormal: stddev must be a finite number > 0, got 0',
    );
    expectError(
      () => initializers.orthogonal().apply([3]),
      RangeError,
      'tapegrad.initializers.orthogonal: shape [3] has rank 1; an orthogonal matrix needs rank >= 2',
    );
    expectError(
      () => initializers.varianceScaling({ mode: loose('fanMax') }),
      TypeError,
      "tapegrad.initializers.varianceScaling: mode must be 'fanIn', 'fanOut' or 'fanAvg', got 'fanMax'",
    );
  });
});

describe('distributions and scales, as TensorFlow.js', () => {
  // Dense [in, out]: fanIn = in, fanOut = out.
  const dense = [400, 200];
  // Conv [h, w, in, out]: the 3 x 3 window multiplies both fans.
  const conv = [3, 3, 40, 60];
  const fans = { dense: [400, 200], conv: [360, 540] } as const;

  test.each([
    ['glorotUniform', 'dense', (i: number, o: number) => 2 / (i + o)],
    ['glorotUniform', 'conv', (i: number, o: number) => 2 / (i + o)],
    ['heUniform', 'dense', (i: number) => 2 / i],
    ['heUniform', 'conv', (i: number) => 2 / i],
    ['lecunUniform', 'conv', (i: number) => 1 / i],
  ] as const)('%s on a %s kernel: uniform in +-sqrt(3 s)', (name, kind, scale) => {
    const [fanIn, fanOut] = fans[kind];
    const s = scale(fanIn, fanOut);
    const { mean, variance, maxAbs } = stats(flat(random[name]({ seed: 4 }).apply(kind === 'dense' ? dense : conv)));
    const limit = Math.sqrt(3 * s);
    expect(maxAbs).toBeLessThanOrEqual(limit);
    expect(maxAbs).toBeGreaterThan(0.999 * limit);
    expect(Math.abs(mean)).toBeLessThan(0.01 * limit);
    expect(variance / s).toBeCloseTo(1, 1);
  });

  test.each([
    ['glorotNormal', 'dense', (i: number, o: number) => 2 / (i + o)],
    ['glorotNormal', 'conv', (i: number, o: number) => 2 / (i + o)],
    ['heNormal', 'dense', (i: number) => 2 / i],
    ['heNormal', 'conv', (i: number) => 2 / i],
    ['lecunNormal', 'conv', (i: number) => 1 / i],
  ] as const)(
    '%s on a %s kernel: normal of stddev sqrt(s), truncated at 2 stddev (uncorrected)',
    (name, kind, scale) => {
      const [fanIn, fanOut] = fans[kind];
      const s = scale(fanIn, fanOut);
      const { mean, variance, maxAbs } = stats(flat(random[name]({ seed: 4 }).apply(kind === 'dense' ? dense : conv)));
      expect(maxAbs).toBeLessThanOrEqual(2 * Math.sqrt(s) * (1 + 1e-6));
      expect(maxAbs).toBeGreaterThan(1.99 * Math.sqrt(s));
      expect(Math.abs(mean)).toBeLessThan(0.01 * Math.sqrt(s));
      expect(variance / (TRUNCATED * s)).toBeCloseTo(1, 1);
    },
  );

  test('other ranks take fanIn = fanOut = sqrt(size); fans are at least 1', () => {
    // [10000]: fanIn = 100, so heUniform's limit is sqrt(6 / 100).
    expect(stats(flat(initializers.heUniform({ seed: 1 }).apply([10000]))).maxAbs).toBeGreaterThan(
      0.999 * Math.sqrt(0.06),
    );
    expect(stats(flat(initializers.heUniform({ seed: 1 }).apply([10000]))).maxAbs).toBeLessThanOrEqual(Math.sqrt(0.06));
    // A scalar: fanIn = 1, limit sqrt(6).
    expect(Math.abs(initializers.heUniform({ seed: 1 }).apply([]).item())).toBeLessThanOrEqual(Math.sqrt(6));
  });

  test('truncatedNormal: mean and stddev, redrawn beyond 2 stddev', () => {
    const xs = flat(initializers.truncatedNormal({ mean: 3, stddev: 0.5, seed: 8 }).apply([200000], 'float64'));
    const { mean, variance } = stats(xs);
    expect(xs.reduce((m, x) => Math.max(m, Math.abs(x - 3)), 0)).toBeLessThanOrEqual(1);
    expect(mean).toBeCloseTo(3, 2);
    expect(variance / (TRUNCATED * 0.25)).toBeCloseTo(1, 2);
  });

  test('truncatedNormal defaults to mean 0, stddev 0.05', () => {
    const xs = flat(initializers.truncatedNormal({ seed: 2 }).apply([100000], 'float64'));
    expect(stats(xs).maxAbs).toBeLessThanOrEqual(0.1);
    expect(stats(xs).variance / (TRUNCATED * 0.0025)).toBeCloseTo(1, 1);
  });
});

describe('orthogonal', () => {
  const gram = (q: Tensor, transposeA: boolean) => matmul(q, q, transposeA, !transposeA).arraySync() as number[][];
  const expectIdentity = (m: number[][], scale = 1) =>
    m.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? scale : 0, 10)));

  test('a tall matrix has orthonormal columns: QᵀQ = I', () => {
    expectIdentity(gram(initializers.orthogonal({ seed: 1 }).apply([7, 3], 'float64'), true));
  });

  test('a wide matrix has orthonormal rows: QQᵀ = I', () => {
    expectIdentity(gram(initializers.orthogonal({ seed: 1 }).apply([3, 7], 'float64'), false));
  });

  test('a square matrix is orthogonal both ways; gain scales it', () => {
    const q = initializers.orthogonal({ gain: 2, seed: 5 }).apply([6, 6], 'float64');
    expectIdentity(gram(q, true), 4);
    expectIdentity(gram(q, false), 4);
  });

  test('a conv kernel is flattened to [h * w * in, out]', () => {
    const q = initializers.orthogonal({ seed: 3 }).apply([2, 2, 3, 5], 'float64');
    expect(q.shape).toEqual([2, 2, 3, 5]);
    expectIdentity(gram(q.reshape([12, 5]), true));
  });
});

describe('constant initializers', () => {
  test('zeros, ones and constant, in any dtype', () => {
    expect(initializers.zeros().apply([2]).arraySync()).toEqual([0, 0]);
    expect(initializers.ones().apply([2], 'int32').dtype).toBe('int32');
    expect(initializers.constant({ value: 2.5 }).apply([1, 2], 'float64').arraySync()).toEqual([[2.5, 2.5]]);
  });

  test('constant checks its value', () => {
    expectError(
      () => initializers.constant({ value: NaN }),
      RangeError,
      'tapegrad.initializers.constant: value must be a finite number, got NaN',
    );
  });
});
