/** Learning-rate schedules against hand-computed values (Keras's formulas). */
import { cosineDecay, exponentialDecay, piecewiseConstantDecay } from '../../lib/train/schedules.js';
import { expectError, loose } from '../support/errors.js';

describe('exponentialDecay: lr * decayRate^(step / decaySteps)', () => {
  test('decays smoothly without staircase', () => {
    const lr = exponentialDecay(0.1, 1000, 0.96);
    expect(lr(0)).toBe(0.1);
    expect(lr(500)).toBeCloseTo(0.1 * Math.sqrt(0.96), 15);
    expect(lr(1000)).toBeCloseTo(0.096, 15);
    expect(lr(2500)).toBeCloseTo(0.1 * 0.96 ** 2.5, 15);
  });

  test('drops in whole steps with staircase', () => {
    const lr = exponentialDecay(1, 10, 0.5, true);
    expect([0, 9, 10, 19, 20, 35].map(lr)).toEqual([1, 1, 0.5, 0.5, 0.25, 0.125]);
  });

  test('checks its arguments and the step', () => {
    const op = 'tapegrad.train.schedules.exponentialDecay';
    expectError(() => exponentialDecay(0.1, 0, 0.9), RangeError, `${op}: decaySteps must be > 0, got 0`);
    expectError(() => exponentialDecay(NaN, 1, 0.9), RangeError, `${op}: initialLearningRate must be finite, got NaN`);
    expectError(
      () => exponentialDecay(0.1, 1, -1),
      RangeError,
      `${op}: decayRate must be >= 0, got -1; a rate decays by a factor in [0, 1)`,
    );
    expectError(
      () => exponentialDecay(loose('1'), 1, 1),
      TypeError,
      `${op}: initialLearningRate must be a number, got string`,
    );
    const lr = exponentialDecay(0.1, 1, 0.9);
    expectError(() => lr(-1), RangeError, `${op}: step must be >= 0, got -1; steps count from 0`);
    expectError(() => lr(Infinity), RangeError, `${op}: step must be finite, got Infinity`);
  });
});

describe('cosineDecay (Keras 3)', () => {
  test('without warmup: initial * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decaySteps) / decaySteps)) + alpha)', () => {
    const lr = cosineDecay(2, 100, { alpha: 0.1 });
    expect(lr(0)).toBeCloseTo(2, 15);
    expect(lr(25)).toBeCloseTo(2 * (0.9 * 0.5 * (1 + Math.SQRT1_2) + 0.1), 14);
    expect(lr(50)).toBeCloseTo(2 * (0.45 + 0.1), 14);
    expect(lr(100)).toBeCloseTo(0.2, 14);
    expect(lr(1000)).toBeCloseTo(0.2, 14);
  });

  test('alpha defaults to 0, so the rate ends at 0', () => {
    const lr = cosineDecay(1, 10);
    expect(lr(5)).toBeCloseTo(0.5, 15);
    expect(lr(10)).toBeCloseTo(0, 15);
  });

  test('warmupSteps without warmupTarget is ignored, as in Keras', () => {
    const a = cosineDecay(1, 10, { warmupSteps: 5 });
    const b = cosineDecay(1, 10);
    for (const step of [0, 3, 7, 12]) expect(a(step)).toBe(b(step));
  });

  test('with warmupTarget: linear from initial to target, then cosine from the target', () => {
    const lr = cosineDecay(0.1, 100, { warmupSteps: 10, warmupTarget: 1.1, alpha: 0.2 });
    expect(lr(0)).toBeCloseTo(0.1, 15);
    expect(lr(4)).toBeCloseTo(0.1 + 0.4 * 1, 15);
    expect(lr(10)).toBeCloseTo(1.1, 15);
    expect(lr(60)).toBeCloseTo(1.1 * (0.8 * 0.5 + 0.2), 14);
    expect(lr(110)).toBeCloseTo(1.1 * 0.2, 14);
    expect(lr(500)).toBeCloseTo(1.1 * 0.2, 14);
  });

  test('checks its arguments', () => {
    const op = 'tapegrad.train.schedules.cosineDecay';
    expectError(() => cosineDecay(1, -5), RangeError, `${op}: decaySteps must be > 0, got -5`);
    expectError(
      () => cosineDecay(1, 5, { warmupSteps: 1.5, warmupTarget: 2 }),
      RangeError,
      `${op}: warmupSteps must be an integer >= 0, got 1.5`,
    );
    expectError(() => cosineDecay(1, 5, { alpha: Infinity }), RangeError, `${op}: alpha must be finite, got Infinity`);
    expectError(
      () => cosineDecay(1, 5, { warmupTarget: NaN }),
      RangeError,
      `${op}: warmupTarget must be finite, got NaN`,
    );
  });
});

describe('piecewiseConstantDecay', () => {
  test('a boundary belongs to the piece before it', () => {
    const lr = piecewiseConstantDecay([100, 110], [1, 0.5, 0.1]);
    expect([0, 100, 100.5, 101, 110, 111, 1e6].map(lr)).toEqual([1, 1, 0.5, 0.5, 0.5, 0.1, 0.1]);
  });

  test('no boundaries: one constant', () => {
    expect(piecewiseConstantDecay([], [0.3])(42)).toBe(0.3);
  });

  test('checks its arguments', () => {
    const op = 'tapegrad.train.schedules.piecewiseConstantDecay';
    expectError(
      () => piecewiseConstantDecay([1, 2], [1, 2]),
      RangeError,
      `${op}: got 2 boundaries and 2 values; give one value more than boundaries (a value for each piece)`,
    );
    expectError(
      () => piecewiseConstantDecay([5, 5], [1, 2, 3]),
      RangeError,
      `${op}: boundaries must increase, but boundaries[1] = 5 follows 5; sort them`,
    );
    expectError(() => piecewiseConstantDecay([1], [1, NaN]), RangeError, `${op}: values[1] must be finite, got NaN`);
    expectError(
      () => piecewiseConstantDecay(loose(3), [1]),
      TypeError,
      `${op}: boundaries must be an array of numbers, got number`,
    );
  });
});
