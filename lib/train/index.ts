/**
 * `train`: the optimizers, made by factories with TensorFlow.js's
 * `tf.train.*` signatures and defaults (epsilon defaults to 1e-7, the
 * float32 epsilon TensorFlow.js uses); learning-rate `schedules` with
 * Keras's names; and gradient clipping.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([3, -1]);
 * const optimizer = train.adam(0.1);
 * for (let i = 0; i < 3; i++) optimizer.minimize(() => w.square().sum());
 * optimizer.iterations; // 3
 * ```
 * @packageDocumentation
 */
import type { LearningRate } from './optimizer.js';
import { AdamOptimizer, AdamaxOptimizer, AdamWOptimizer } from './adam.js';
import {
  AdadeltaOptimizer,
  AdagradOptimizer,
  MomentumOptimizer,
  RMSPropOptimizer,
  SGDOptimizer,
} from './optimizers.js';

export {
  Optimizer,
  type LearningRate,
  type NamedGradient,
  type NamedGradients,
  type NamedTensor,
  type Slots,
} from './optimizer.js';
export { rememberVariable } from '../variable-registry.js';
export {
  SGDOptimizer,
  MomentumOptimizer,
  AdagradOptimizer,
  AdadeltaOptimizer,
  RMSPropOptimizer,
} from './optimizers.js';
export { AdamOptimizer, AdamaxOptimizer, AdamWOptimizer } from './adam.js';
export * as schedules from './schedules.js';
export { clipByGlobalNorm, clipByNorm } from './clip.js';

/**
 * Stochastic gradient descent, `tf.train.sgd`: `w ← w − lr·g`.
 *
 * @param learningRate - The learning rate: a finite number >= 0, or a schedule `(step) => rate`.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([1, -2]);
 * train.sgd(0.25).minimize(() => w.square().sum());
 * w; // [0.5, -1]
 * ```
 */
export function sgd(learningRate: LearningRate): SGDOptimizer {
  return new SGDOptimizer(learningRate);
}

/**
 * Gradient descent with momentum, `tf.train.momentum`; see {@link MomentumOptimizer}.
 *
 * @param learningRate - The learning rate: a finite number >= 0, or a schedule `(step) => rate`.
 * @param momentum - The momentum coefficient, >= 0: how much of the previous step each step keeps.
 * @param useNesterov - Use Nesterov momentum; default false.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([2]);
 * train.momentum(0.1, 0.9, true).minimize(() => w.square().sum()); // w ← 2 − 0.1 · (4 + 0.9 · 4)
 * w; // ~[1.24]
 * ```
 */
export function momentum(learningRate: LearningRate, momentum: number, useNesterov = false): MomentumOptimizer {
  return new MomentumOptimizer(learningRate, momentum, useNesterov);
}

/**
 * Adagrad, `tf.train.adagrad`; see {@link AdagradOptimizer}.
 *
 * @param learningRate - The learning rate: a finite number >= 0, or a schedule `(step) => rate`.
 * @param initialAccumulatorValue - The value each accumulator of squared gradients starts at, >= 0; default 0.1.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([2]);
 * train.adagrad(0.1, 0).minimize(() => w.square().sum()); // w ← 2 − 0.1 · 4 / 4
 * w; // ~[1.9]
 * ```
 */
export function adagrad(learningRate: LearningRate, initialAccumulatorValue = 0.1): AdagradOptimizer {
  return new AdagradOptimizer(learningRate, initialAccumulatorValue);
}

/**
 * Adadelta, `tf.train.adadelta`; see {@link AdadeltaOptimizer}.
 *
 * @param learningRate - The learning rate: a finite number >= 0, or a schedule `(step) => rate`; default 0.001.
 * @param rho - The decay rate of the running averages, in [0, 1]; default 0.95.
 * @param epsilon - The small constant added for numerical stability; default 1e-7 (TensorFlow.js's).
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([2]);
 * train.adadelta().minimize(() => w.square().sum()); // w ← 2 − 0.001 · 4
 * w; // ~[1.996]
 * ```
 */
export function adadelta(learningRate: LearningRate = 0.001, rho = 0.95, epsilon?: number): AdadeltaOptimizer {
  return new AdadeltaOptimizer(learningRate, rho, epsilon);
}

/**
 * Adam, `tf.train.adam`; see {@link AdamOptimizer}.
 *
 * @param learningRate - The learning rate: a finite number >= 0, or a schedule `(step) => rate`; default 0.001.
 * @param beta1 - The decay rate of the first-moment (mean) estimate, in [0, 1); default 0.9.
 * @param beta2 - The decay rate of the second-moment estimate, in [0, 1); default 0.999.
 * @param epsilon - The small constant added for numerical stability; default 1e-7 (TensorFlow.js's).
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([2]);
 * train.adam().minimize(() => w.square().sum());
 * w; // ~[1.999]
 * ```
 */
export function adam(learningRate: LearningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number): AdamOptimizer {
  return new AdamOptimizer(learningRate, beta1, beta2, epsilon);
}

/**
 * Adamax, `tf.train.adamax`; see {@link AdamaxOptimizer}.
 *
 * @param learningRate - The learning rate: a finite number >= 0, or a schedule `(step) => rate`; default 0.002.
 * @param beta1 - The decay rate of the first-moment (mean) estimate, in [0, 1); default 0.9.
 * @param beta2 - The decay rate of the second-moment estimate, in [0, 1); default 0.999.
 * @param epsilon - The small constant added for numerical stability; default 1e-7 (TensorFlow.js's).
 * @param decay - The learning-rate decay per step, >= 0: step t uses `lr / (1 + decay·(t−1))`; default 0.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([2]);
 * train.adamax().minimize(() => w.square().sum());
 * w; // ~[1.998]
 * ```
 */
export function adamax(
  learningRate: LearningRate = 0.002,
  beta1 = 0.9,
  beta2 = 0.999,
  epsilon?: number,
  decay = 0,
): AdamaxOptimizer {
  return new AdamaxOptimizer(learningRate, beta1, beta2, epsilon, decay);
}

/**
 * RMSProp, `tf.train.rmsprop`; see {@link RMSPropOptimizer}.
 *
 * @param learningRate - The learning rate: a finite number >= 0, or a schedule `(step) => rate`.
 * @param decay - The decay rate of the running average of squared gradients, in [0, 1]; default 0.9.
 * @param momentum - The momentum coefficient, >= 0; default 0 (none).
 * @param epsilon - The small constant added for numerical stability; default 1e-7 (TensorFlow.js's).
 * @param centered - Centre the gradients by their running mean (the centred RMSProp); default false.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([2]);
 * train.rmsprop(0.1).minimize(() => w.square().sum());
 * w; // ~[1.6838]
 * ```
 */
export function rmsprop(
  learningRate: LearningRate,
  decay = 0.9,
  momentum = 0,
  epsilon?: number,
  centered = false,
): RMSPropOptimizer {
  return new RMSPropOptimizer(learningRate, decay, momentum, epsilon, centered);
}

/**
 * AdamW (decoupled weight decay, as PyTorch's); see {@link AdamWOptimizer}.
 *
 * @param learningRate - The learning rate: a finite number >= 0, or a schedule `(step) => rate`; default 0.001.
 * @param beta1 - The decay rate of the first-moment (mean) estimate, in [0, 1); default 0.9.
 * @param beta2 - The decay rate of the second-moment estimate, in [0, 1); default 0.999.
 * @param epsilon - The small constant added for numerical stability; default 1e-7 (TensorFlow.js's).
 * @param weightDecay - The decoupled weight decay, >= 0: `w ← w − lr·weightDecay·w` before each step; default 0.01.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([2]);
 * train.adamw(0.1).minimize(() => w.square().sum()); // w ← 2 − 0.1 · 0.01 · 2 − 0.1
 * w; // ~[1.898]
 * ```
 */
export function adamw(
  learningRate: LearningRate = 0.001,
  beta1 = 0.9,
  beta2 = 0.999,
  epsilon?: number,
  weightDecay = 0.01,
): AdamWOptimizer {
  return new AdamWOptimizer(learningRate, beta1, beta2, epsilon, weightDecay);
}
