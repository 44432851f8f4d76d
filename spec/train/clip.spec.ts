/** Clipping by norm, against TensorFlow's `clip_by_global_norm` and `clip_by_norm`. */
import { GradientTape, checkGradients, tensor, variable, type Tensor } from '../../lib/index.js';
import { clipByGlobalNorm, clipByNorm } from '../../lib/train/clip.js';
import { expectError, loose } from '../support/errors.js';

const values = (t: Tensor | undefined) => t?.arraySync();
const f64 = (x: number[] | number[][]) => tensor(x, undefined, 'float64');

describe('clipByGlobalNorm', () => {
  test('scales every tensor by clipNorm / globalNorm when the global norm is larger', () => {
    const [clipped, norm] = clipByGlobalNorm([f64([3, 0]), f64([[4]])], 2.5);
    expect(norm.item()).toBe(5);
    expect(norm.dtype).toBe('float64');
    expect(clipped.map(values)).toEqual([[1.5, 0], [[2]]]);
  });

  test('leaves tensors within the norm unchanged', () => {
    const [clipped, norm] = clipByGlobalNorm([f64([0.3, 0.4])], 1);
    expect(norm.item()).toBeCloseTo(0.5, 15);
    expect(values(clipped[0])).toEqual([0.3, 0.4]);
  });

  test('passes undefined entries through, in place', () => {
    const [clipped, norm] = clipByGlobalNorm([undefined, f64([6, 8]), undefined], 5);
    expect(norm.item()).toBe(10);
    expect(clipped.map(values)).toEqual([undefined, [3, 4], undefined]);
  });

  test('an infinite global norm makes every value NaN, as in TensorFlow', () => {
    const [clipped] = clipByGlobalNorm([f64([Infinity, 1]), f64([2])], 1);
    expect(clipped.map((t) => Array.from(t.dataSync()).every(Number.isNaN))).toEqual([true, true]);
  });

  test('gradients flow through the clipping', () => {
    const result = checkGradients(
      (a, b) => clipByGlobalNorm([a!, b!], 1)[0][0]!.add(clipByGlobalNorm([a!, b!], 1)[1]),
      [f64([0.5, -1.5]), f64([2])],
    );
    expect(result.worstRatio).toBeLessThan(1);
  });

  test('checks its arguments', () => {
    const op = 'tapegrad.train.clipByGlobalNorm';
    expectError(
      () => clipByGlobalNorm([f64([1])], 0),
      RangeError,
      `${op}: clipNorm must be a finite number > 0, got 0`,
    );
    expectError(
      () => clipByGlobalNorm([undefined], 1),
      RangeError,
      `${op}: no tensors to clip (the list is empty or all undefined); pass at least one`,
    );
    expectError(
      () => clipByGlobalNorm([f64([1]), tensor([1])], 1),
      TypeError,
      `${op}: tensors[1] is float32 but the first tensor is float64; the tensors must share one float dtype: cast them first`,
    );
    expectError(
      () => clipByGlobalNorm(loose([[1]]), 1),
      TypeError,
      `${op}: tensors[0] must be a Tensor or undefined, got an array`,
    );
  });
});

describe('clipByNorm', () => {
  test('clips the whole tensor by its L2 norm', () => {
    expect(values(clipByNorm(f64([3, 4]), 1))).toEqual([0.6, 0.8]);
    expect(values(clipByNorm(f64([0.3, 0.4]), 1))).toEqual([0.3, 0.4]);
  });

  test('with axes, clips each slice by its own norm', () => {
    const x = f64([
      [3, 4],
      [0.3, 0.4],
    ]);
    const y = clipByNorm(x, 1, 1).arraySync() as number[][];
    expect(y[0]![0]).toBeCloseTo(0.6, 15);
    expect(y[0]![1]).toBeCloseTo(0.8, 15);
    expect(y[1]).toEqual([0.3, 0.4]);
    const cols = clipByNorm(x, 2, [0]).arraySync() as number[][];
    expect(cols[0]![0]).toBeCloseTo((3 * 2) / Math.hypot(3, 0.3), 14);
    expect(cols[1]![1]).toBeCloseTo((0.4 * 2) / Math.hypot(4, 0.4), 14);
  });

  test('its gradient matches central differences, inside and outside the norm', () => {
    for (const x of [f64([0.5, -1.5, 2]), f64([0.1, 0.2, -0.1])]) {
      expect(checkGradients((t) => clipByNorm(t, 1), [x], { order: 2 }).worstRatio).toBeLessThan(1);
    }
    const m = f64([
      [1, -2],
      [0.1, 0.3],
    ]);
    expect(checkGradients((t) => clipByNorm(t, 0.5, 1), [m]).worstRatio).toBeLessThan(1);
  });

  test('the gradient at zero is finite (1 per element), not NaN', () => {
    const x = variable(f64([0, 0]));
    const tape = new GradientTape();
    const [g] = tape.gradient(clipByNorm(x, 1).sum(), [x]);
    expect(values(g)).toEqual([1, 1]);
  });

  test('checks its arguments', () => {
    const op = 'tapegrad.train.clipByNorm';
    expectError(
      () => clipByNorm(tensor([1], undefined, 'int32'), 1),
      TypeError,
      `${op}: x must be float32 or float64, got int32; cast it first`,
    );
    expectError(
      () => clipByNorm(f64([1]), Infinity),
      RangeError,
      `${op}: clipNorm must be a finite number > 0, got Infinity`,
    );
  });
});
