/**
 * Adam and its relatives (TensorFlow.js `AdamOptimizer`, `AdamaxOptimizer`;
 * AdamW as PyTorch's), with TensorFlow.js's defaults, slot names (`m`, `v`)
 * and formulas, written in each class's TSDoc (g the gradient, lr the
 * learning rate, t the step number from 1).
 */
import type { Tensor } from '../tensor.js';
import { abs, add, div, maximum, mul, sqrt, square, sub } from '../ops/index.js';
import { active } from '../kernels/placement.js';
import { checkHyperparameter, fusedUpdate, Optimizer, type LearningRate, type Slots } from './optimizer.js';
import { DEFAULT_EPSILON } from './optimizers.js';

const beta = (x: number) => x >= 0 && x < 1;
const nonNegative = (x: number) => x >= 0;

/**
 * Adam (TensorFlow.js `AdamOptimizer`), slots `m` and `v` from 0:
 * `m ← β₁·m + (1−β₁)·g`, `v ← β₂·v + (1−β₂)·g²`,
 * `w ← w − lr·m̂ / (√v̂ + ε)` with `m̂ = m / (1−β₁ᵗ)`, `v̂ = v / (1−β₂ᵗ)`.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([2], { name: 'w' });
 * new train.AdamOptimizer(0.1).minimize(() => w.square().sum()); // m̂ = g, v̂ = g²
 * w; // ~[1.9]
 * ```
 */
export class AdamOptimizer extends Optimizer {
  protected readonly slotNames: readonly string[] = ['m', 'v'];
  /** The decay rate of the first-moment (mean) estimate. */
  readonly beta1: number;
  /** The decay rate of the second-moment estimate. */
  readonly beta2: number;
  /** The small constant added for numerical stability. */
  readonly epsilon: number;

  /**
   * @param learningRate - The learning rate: a finite number >= 0, or a schedule `(step) => rate`.
   * @param beta1 - The decay rate of the first-moment (mean) estimate, in [0, 1); default 0.9.
   * @param beta2 - The decay rate of the second-moment estimate, in [0, 1); default 0.999.
   * @param epsilon - The small constant added for numerical stability, >= 0; default 1e-7 (TensorFlow.js's).
   * @param fn - The factory's name, for error messages; default `train.adam`.
   */
  constructor(learningRate: LearningRate, beta1 = 0.9, beta2 = 0.999, epsilon = DEFAULT_EPSILON, fn = 'train.adam') {
    super(fn, learningRate);
    this.beta1 = checkHyperparameter(this.fn, 'beta1', beta1, beta, 'in [0, 1)');
    this.beta2 = checkHyperparameter(this.fn, 'beta2', beta2, beta, 'in [0, 1)');
    this.epsilon = checkHyperparameter(this.fn, 'epsilon', epsilon, nonNegative, 'a number >= 0');
  }

  /** {@inheritDoc Optimizer.update} */
  protected update(w: Tensor, g: Tensor, slots: Slots, lr: number, step: number): Tensor {
    const { beta1, beta2, epsilon } = this;
    const t = step + 1;
    // The slots are the optimizer's own (getWeights gives copies): m and v are updated in place,
    // which spares two fresh arrays (and their page faults) per variable and step.
    const fused = fusedUpdate([w, g, slots.m!, slots.v!], 1, ([w, g, m, v], [outW]) =>
      active().adamUpdate(w!, g!, m!, v!, { lr, beta1, beta2, epsilon, step: t }, outW!, m!, v!),
    );
    if (fused !== undefined) return fused[0]!;
    const m = add(mul(slots.m!, beta1), mul(g, 1 - beta1));
    const v = add(mul(slots.v!, beta2), mul(square(g), 1 - beta2));
    slots.m = m;
    slots.v = v;
    const mHat = div(m, 1 - beta1 ** t);
    const vHat = div(v, 1 - beta2 ** t);
    return sub(w, mul(div(mHat, add(sqrt(vHat), epsilon)), lr));
  }
}

/**
 * Adamax (TensorFlow.js `AdamaxOptimizer`), slots `m` and `v` (u) from 0,
 * with a learning rate decayed by step: `lrₜ = lr / (1 + decay·(t−1))`,
 * `m ← β₁·m + (1−β₁)·g`, `u ← max(β₂·u, |g|)`, `w ← w − lrₜ/(1−β₁ᵗ) · m/(u + ε)`.
 * (TensorFlow.js's getWeights/setWeights throw for Adamax; here they work.)
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([2], { name: 'w' });
 * new train.AdamaxOptimizer(0.1).minimize(() => w.square().sum()); // m/(1-β₁) = g, u = |g|
 * w; // ~[1.9]
 * ```
 */
export class AdamaxOptimizer extends Optimizer {
  protected readonly slotNames = ['m', 'v'] as const;
  /** The decay rate of the first-moment (mean) estimate. */
  readonly beta1: number;
  /** The decay rate of the second-moment estimate. */
  readonly beta2: number;
  /** The small constant added for numerical stability. */
  readonly epsilon: number;
  /** The decay rate of the running averages (for adamax: the learning-rate decay per step). */
  readonly decay: number;

  /**
   * @param learningRate - The learning rate: a finite number >= 0, or a schedule `(step) => rate`.
   * @param beta1 - The decay rate of the first-moment (mean) estimate, in [0, 1); default 0.9.
   * @param beta2 - The decay rate of the second-moment estimate, in [0, 1); default 0.999.
   * @param epsilon - The small constant added for numerical stability, >= 0; default 1e-7 (TensorFlow.js's).
   * @param decay - The learning-rate decay per step, >= 0: step t uses `lr / (1 + decay·(t−1))`; default 0.
   */
  constructor(learningRate: LearningRate, beta1 = 0.9, beta2 = 0.999, epsilon = DEFAULT_EPSILON, decay = 0) {
    super('train.adamax', learningRate);
    this.beta1 = checkHyperparameter(this.fn, 'beta1', beta1, beta, 'in [0, 1)');
    this.beta2 = checkHyperparameter(this.fn, 'beta2', beta2, beta, 'in [0, 1)');
    this.epsilon = checkHyperparameter(this.fn, 'epsilon', epsilon, nonNegative, 'a number >= 0');
    this.decay = checkHyperparameter(this.fn, 'decay', decay, nonNegative, 'a number >= 0');
  }

  /** {@inheritDoc Optimizer.update} */
  protected update(w: Tensor, g: Tensor, slots: Slots, lr: number, step: number): Tensor {
    const { beta1, beta2, epsilon } = this;
    const rate = lr / (1 + this.decay * step) / (1 - beta1 ** (step + 1));
    const m = add(mul(slots.m!, beta1), mul(g, 1 - beta1));
    const u = maximum(mul(slots.v!, beta2), abs(g));
    slots.m = m;
    slots.v = u;
    return sub(w, mul(div(m, add(u, epsilon)), rate));
  }
}

/**
 * AdamW (PyTorch's `AdamW`): Adam with decoupled weight decay, applied
 * first: `w ← w − lr·weightDecay·w`, then the {@link AdamOptimizer} step
 * from the gradient (which does not include the decay). Slots `m`, `v`.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([2], { name: 'w' });
 * new train.AdamWOptimizer(0.1, 0.9, 0.999, 1e-7, 0.5).minimize(() => w.square().sum());
 * w; // ~[1.8]: 2 - 0.1 * 0.5 * 2 - 0.1
 * ```
 */
export class AdamWOptimizer extends AdamOptimizer {
  /** The decoupled weight decay, applied as `w ← w − lr·weightDecay·w` before each step. */
  readonly weightDecay: number;

  /**
   * @param learningRate - The learning rate: a finite number >= 0, or a schedule `(step) => rate`.
   * @param beta1 - The decay rate of the first-moment (mean) estimate, in [0, 1); default 0.9.
   * @param beta2 - The decay rate of the second-moment estimate, in [0, 1); default 0.999.
   * @param epsilon - The small constant added for numerical stability, >= 0; default 1e-7 (TensorFlow.js's).
   * @param weightDecay - The decoupled weight decay, >= 0: `w ← w − lr·weightDecay·w` before each step; default 0.01.
   */
  constructor(learningRate: LearningRate, beta1 = 0.9, beta2 = 0.999, epsilon = DEFAULT_EPSILON, weightDecay = 0.01) {
    super(learningRate, beta1, beta2, epsilon, 'train.adamw');
    this.weightDecay = checkHyperparameter(this.fn, 'weightDecay', weightDecay, nonNegative, 'a number >= 0');
  }

  /** {@inheritDoc Optimizer.update} */
  protected override update(w: Tensor, g: Tensor, slots: Slots, lr: number, step: number): Tensor {
    return super.update(sub(w, mul(w, lr * this.weightDecay)), g, slots, lr, step);
  }
}
