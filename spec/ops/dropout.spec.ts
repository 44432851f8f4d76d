/** dropout: the mask's rate and scale, seeds, noiseShape, the gradient, and every error. */
import { GradientTape, dropout, ones, randomUniform, tensor, zeros, type Tensor } from '../../lib/index.js';
import {} from '../support/errors.js';
import { expectError } from '../support/errors.js';

const flat = (x: Tensor): number[] => Array.from(x.dataSync());

describe('dropout', () => {
  test.each([0.1, 0.5, 0.9])('drops about a fraction %p and scales the rest by 1 / (1 - rate)', (rate) => {
    const y = flat(dropout(ones([100, 100], 'float64'), rate, undefined, 11));
    const kept = y.filter((v) => v !== 0);
    // Every kept value is exactly the scale; the kept count is within 4 standard deviations of its mean.
    expect(new Set(kept)).toEqual(new Set([1 / (1 - rate)]));
    const sd = Math.sqrt(10000 * rate * (1 - rate));
    expect(Math.abs(kept.length - 10000 * (1 - rate))).toBeLessThan(4 * sd);
  });

  test('keeps each value it does not drop, scaled, in float32', () => {
    const x = randomUniform([50], 1, 2, 'float32', 3);
    const y = dropout(x, 0.2, undefined, 5);
    expect(y.dtype).toBe('float32');
    flat(y).forEach((v, i) => expect(v === 0 || v === Math.fround(flat(x)[i]! * Math.fround(1 / 0.8))).toBe(true));
  });

  test('rate 0 returns the values unchanged', () => {
    expect(flat(dropout(tensor([1, -2, 3]), 0))).toEqual([1, -2, 3]);
  });

  test('the same seed, number or string, gives the same mask; different seeds differ', () => {
    const x = ones([200]);
    expect(flat(dropout(x, 0.5, undefined, 7))).toEqual(flat(dropout(x, 0.5, undefined, 7)));
    expect(flat(dropout(x, 0.5, undefined, 'seven'))).toEqual(flat(dropout(x, 0.5, undefined, 'seven')));
    expect(flat(dropout(x, 0.5, undefined, 7))).not.toEqual(flat(dropout(x, 0.5, undefined, 8)));
    expect(flat(dropout(x, 0.5, undefined, 'seven'))).not.toEqual(flat(dropout(x, 0.5, undefined, 'eight')));
  });

  test('noiseShape draws one decision per broadcast slice; null takes the size of x', () => {
    const y = dropout(ones([4, 50]), 0.5, [1, 50], 9).arraySync() as number[][];
    for (const row of y) expect(row).toEqual(y[0]);
    const z = dropout(ones([50, 3]), 0.5, [null, 1], 9).arraySync() as number[][];
    for (const row of z) expect(new Set(row).size).toBe(1);
    expect(new Set(z.map((row) => row[0])).size).toBe(2);
  });

  test('the gradient is the same mask times dy', () => {
    const x = randomUniform([3, 4], 1, 2, 'float64', 2);
    const tape = new GradientTape();
    tape.watch(x);
    const y = dropout(x, 0.5, undefined, 3);
    const [dx] = tape.gradient(y, [x]);
    // y = x * mask, so the mask is y / x.
    const mask = flat(y).map((v, i) => v / flat(x)[i]!);
    flat(dx!).forEach((g, i) => expect(g).toBeCloseTo(mask[i]!, 12));
    expect(new Set(flat(dx!))).toEqual(new Set([0, 2]));
  });

  test('errors', () => {
    expectError(() => dropout(ones([2]), 1), RangeError, 'tapegrad.dropout: rate must be a number in [0, 1), got 1');
    expectError(
      () => dropout(ones([2]), -0.1),
      RangeError,
      'tapegrad.dropout: rate must be a number in [0, 1), got -0.1',
    );
    expectError(
      () => dropout(zeros([2], 'int32'), 0.5),
      TypeError,
      "tapegrad.dropout: x must be float32 or float64 (it is scaled), got int32; cast it first, e.g. cast(x, 'float32')",
    );
    expectError(
      () => dropout(ones([2, 3]), 0.5, [2, 2]),
      Error,
      "tapegrad.dropout: noiseShape [2,2] must broadcast to the shape of x [2,3]; give each axis x's size or 1",
    );
    expectError(
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      () => dropout(ones([2]), 0.5, undefined, {} as any),
      TypeError,
      'tapegrad.dropout: seed must be a number or a string, got an object',
    );
  });
});
