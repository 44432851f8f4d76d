/**
 * Learning-rate schedules, as Keras's `keras.optimizers.schedules`: each
 * function takes the schedule's settings and returns a plain function from
 * the training step (0, 1, 2, ...) to the learning rate at that step.
 *
 * @example
 * ```ts
 * import { train } from 'tapegrad';
 * const lr = train.schedules.exponentialDecay(0.1, 100, 0.5);
 * lr(0); // 0.1
 * lr(100); // ~0.05
 * ```
 * @packageDocumentation
 */
import { describeValue } from '../format.js';

/**
 * A learning-rate schedule: the learning rate at a training step. The step
 * is a finite number >= 0 (an optimizer's iteration count); anything else throws.
 *
 * @example
 * ```ts
 * import { train } from 'tapegrad';
 * const halving: train.schedules.LearningRateSchedule = train.schedules.exponentialDecay(1, 10, 0.5, true);
 * halving(25); // 0.25: two whole halvings
 * ```
 */
export type LearningRateSchedule = (step: number) => number;

/** Throws unless `value` is a finite number, naming the schedule and the argument. */
function checkFinite(op: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') {
    throw new TypeError(`tapegrad.${op}: ${name} must be a number, got ${describeValue(value)}`);
  }
  if (!Number.isFinite(value)) throw new RangeError(`tapegrad.${op}: ${name} must be finite, got ${value}`);
}

/** Throws unless `value` is a finite number > 0. */
function checkPositive(op: string, name: string, value: unknown): asserts value is number {
  checkFinite(op, name, value);
  if (!(value > 0)) throw new RangeError(`tapegrad.${op}: ${name} must be > 0, got ${value}`);
}

/** Wraps a schedule's formula so that every call checks its step. */
function schedule(op: string, rate: (step: number) => number): LearningRateSchedule {
  return (step: number) => {
    checkFinite(op, 'step', step);
    if (step < 0) throw new RangeError(`tapegrad.${op}: step must be >= 0, got ${step}; steps count from 0`);
    return rate(step);
  };
}

/**
 * Exponential decay, as Keras's `ExponentialDecay`:
 *
 * `lr(step) = initialLearningRate * decayRate ^ (step / decaySteps)`,
 *
 * with `step / decaySteps` rounded down when `staircase` is true, so that
 * the rate drops once every `decaySteps` steps instead of a little every step.
 *
 * @param initialLearningRate - The rate at step 0 (a finite number).
 * @param decaySteps - Steps per factor of `decayRate` (> 0).
 * @param decayRate - The factor per `decaySteps` steps (finite, >= 0).
 * @param staircase - Whether to decay in whole steps of `decayRate` (default false).
 *
 * @example
 * ```ts
 * import { train } from 'tapegrad';
 * const smooth = train.schedules.exponentialDecay(0.1, 1000, 0.96);
 * smooth(500); // ~0.0979796: 0.1 * 0.96^0.5
 * const stairs = train.schedules.exponentialDecay(0.1, 1000, 0.96, true);
 * stairs(500); // 0.1: still in the first stair
 * stairs(2500); // ~0.09216: 0.1 * 0.96^2
 * ```
 */
export function exponentialDecay(
  initialLearningRate: number,
  decaySteps: number,
  decayRate: number,
  staircase = false,
): LearningRateSchedule {
  const op = 'train.schedules.exponentialDecay';
  checkFinite(op, 'initialLearningRate', initialLearningRate);
  checkPositive(op, 'decaySteps', decaySteps);
  checkFinite(op, 'decayRate', decayRate);
  if (decayRate < 0) {
    throw new RangeError(
      `tapegrad.${op}: decayRate must be >= 0, got ${decayRate}; a rate decays by a factor in [0, 1)`,
    );
  }
  if (typeof staircase !== 'boolean') {
    throw new TypeError(`tapegrad.${op}: staircase must be true or false, got ${describeValue(staircase)}`);
  }
  return schedule(op, (step) => {
    const p = step / decaySteps;
    return initialLearningRate * Math.pow(decayRate, staircase ? Math.floor(p) : p);
  });
}

/**
 * The options of {@link cosineDecay}, as Keras's `CosineDecay` arguments.
 *
 * @example
 * ```ts
 * import { train } from 'tapegrad';
 * const options: train.schedules.CosineDecayOptions = { alpha: 0.1, warmupSteps: 10, warmupTarget: 1 };
 * train.schedules.cosineDecay(0, 100, options)(5); // 0.5: halfway up the warmup
 * ```
 */
export interface CosineDecayOptions {
  /** The floor, as a fraction of the rate decayed from (default 0). */
  alpha?: number;
  /** Steps of linear warmup before the decay (default 0); used only with `warmupTarget`. */
  warmupSteps?: number;
  /** The rate the warmup climbs to and the decay starts from; without it there is no warmup. */
  warmupTarget?: number;
}

/**
 * Cosine decay with optional linear warmup, as Keras 3's `CosineDecay`.
 *
 * Without `warmupTarget` (warmupSteps is then ignored, as in Keras), with
 * `s = min(step, decaySteps)`:
 *
 * `lr(step) = initialLearningRate * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decaySteps)) + alpha)`.
 *
 * With `warmupTarget`, the rate first climbs linearly from
 * `initialLearningRate` to `warmupTarget` over `warmupSteps` steps
 * (`lr = initialLearningRate + (warmupTarget - initialLearningRate) * step / warmupSteps`
 * while `step < warmupSteps`), then decays from `warmupTarget` as above, with
 * `s = min(step - warmupSteps, decaySteps)`. Either way it ends at
 * `alpha` times the rate it decays from, and stays there.
 *
 * @param initialLearningRate - The rate at step 0 (a finite number).
 * @param decaySteps - Steps the cosine takes to fall (> 0).
 * @param options - `alpha` (default 0), `warmupSteps` (an integer >= 0, default 0), `warmupTarget`.
 *
 * @example
 * ```ts
 * import { train } from 'tapegrad';
 * const lr = train.schedules.cosineDecay(1, 100, { alpha: 0.1 });
 * lr(0); // 1
 * lr(50); // ~0.55: 0.9 * 0.5 + 0.1
 * lr(1000); // ~0.1: alpha times the initial rate
 * const warm = train.schedules.cosineDecay(0, 100, { warmupSteps: 10, warmupTarget: 0.5 });
 * warm(5); // 0.25
 * warm(60); // ~0.25: halfway down the cosine from 0.5
 * ```
 */
export function cosineDecay(
  initialLearningRate: number,
  decaySteps: number,
  options: CosineDecayOptions = {},
): LearningRateSchedule {
  const op = 'train.schedules.cosineDecay';
  checkFinite(op, 'initialLearningRate', initialLearningRate);
  checkPositive(op, 'decaySteps', decaySteps);
  const { alpha = 0, warmupSteps = 0, warmupTarget } = options;
  checkFinite(op, 'alpha', alpha);
  checkFinite(op, 'warmupSteps', warmupSteps);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new RangeError(`tapegrad.${op}: warmupSteps must be an integer >= 0, got ${warmupSteps}`);
  }
  if (warmupTarget !== undefined) checkFinite(op, 'warmupTarget', warmupTarget);
  const decayFrom = (s: number, from: number) =>
    from * ((1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * Math.min(s, decaySteps)) / decaySteps)) + alpha);
  if (warmupTarget === undefined) return schedule(op, (step) => decayFrom(step, initialLearningRate));
  return schedule(op, (step) =>
    step < warmupSteps
      ? initialLearningRate + ((warmupTarget - initialLearningRate) * step) / warmupSteps
      : decayFrom(step - warmupSteps, warmupTarget),
  );
}

/**
 * A piecewise-constant rate, as Keras's `PiecewiseConstantDecay`: `values[0]`
 * while `step <= boundaries[0]`, `values[i]` while
 * `boundaries[i - 1] < step <= boundaries[i]`, and the last value once
 * `step > boundaries[boundaries.length - 1]`.
 *
 * @param boundaries - Strictly increasing finite steps.
 * @param values - The rates, one more than the boundaries.
 *
 * @example
 * ```ts
 * import { train } from 'tapegrad';
 * const lr = train.schedules.piecewiseConstantDecay([100, 200], [1, 0.5, 0.1]);
 * lr(100); // 1: a boundary belongs to the piece before it
 * lr(101); // 0.5
 * lr(500); // 0.1
 * ```
 */
export function piecewiseConstantDecay(boundaries: readonly number[], values: readonly number[]): LearningRateSchedule {
  const op = 'train.schedules.piecewiseConstantDecay';
  if (!Array.isArray(boundaries)) {
    throw new TypeError(`tapegrad.${op}: boundaries must be an array of numbers, got ${describeValue(boundaries)}`);
  }
  if (!Array.isArray(values)) {
    throw new TypeError(`tapegrad.${op}: values must be an array of numbers, got ${describeValue(values)}`);
  }
  boundaries.forEach((b, i) => checkFinite(op, `boundaries[${i}]`, b));
  values.forEach((v, i) => checkFinite(op, `values[${i}]`, v));
  if (values.length !== boundaries.length + 1) {
    throw new RangeError(
      `tapegrad.${op}: got ${boundaries.length} boundaries and ${values.length} values; ` +
        'give one value more than boundaries (a value for each piece)',
    );
  }
  for (let i = 1; i < boundaries.length; i++) {
    if (!(boundaries[i]! > boundaries[i - 1]!)) {
      throw new RangeError(
        `tapegrad.${op}: boundaries must increase, but boundaries[${i}] = ${boundaries[i]} ` +
          `follows ${boundaries[i - 1]}; sort them`,
      );
    }
  }
  const bs = [...boundaries];
  const vs = [...values];
  return schedule(op, (step) => {
    let i = 0;
    while (i < bs.length && step > bs[i]!) i++;
    return vs[i]!;
  });
}
