/**
 * The gradient-descent optimizers of TensorFlow.js: SGD, momentum, Adagrad,
 * Adadelta and RMSProp, with its defaults, slot names and update formulas
 * (each written in its class's TSDoc; g is the gradient, lr the learning rate).
 * Adam and its relatives are in adam.ts.
 */
import type { Tensor } from '../tensor.js';
import { add, div, mul, sqrt, square, sub } from '../ops/index.js';
import { active } from '../kernels/placement.js';
import { checkHyperparameter, filledLike, fusedUpdate, Optimizer, type LearningRate, type Slots } from './optimizer.js';

/** TensorFlow.js's default epsilon: its float32 backends' `epsilon()`. */
export const DEFAULT_EPSILON = 1e-7;

const nonNegative = (x: number) => x >= 0;
const unit = (x: number) => x >= 0 && x <= 1;

/**
 * Plain gradient descent (TensorFlow.js `SGDOptimizer`): `w ← w − lr·g`. No slots.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([2], { name: 'w' });
 * new train.SGDOptimizer(0.1).minimize(() => w.square().sum());
 * w; // [1.6]
 * ```
 */
export class SGDOptimizer extends Optimizer {
  protected readonly slotNames = [] as const;

  /**
   * @param learningRate - The learning rate: a finite number >= 0, or a schedule `(step) => rate`.
   */
  constructor(learningRate: LearningRate) {
    super('train.sgd', learningRate);
  }

  /** {@inheritDoc Optimizer.update} */
  protected update(w: Tensor, g: Tensor, _slots: Slots, lr: number): Tensor {
    const fused = fusedUpdate([w, g], 1, ([w, g], [out]) => active().sgdUpdate(w!, g!, lr, out!));
    return fused?.[0] ?? sub(w, mul(g, lr));
  }
}

/**
 * Gradient descent with momentum (TensorFlow.js `MomentumOptimizer`), slot `momentum` (a, from 0):
 * `a ← momentum·a + g`, then `w ← w − lr·a`, or with Nesterov `w ← w − lr·(g + momentum·a)`.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([2], { name: 'w' });
 * const optimizer = new train.MomentumOptimizer(0.1, 0.9);
 * optimizer.minimize(() => w.square().sum()); // a = 4: w = 1.6
 * optimizer.minimize(() => w.square().sum()); // a = 0.9 * 4 + 3.2 = 6.8
 * w; // ~[0.92]
 * ```
 */
export class MomentumOptimizer extends Optimizer {
  protected readonly slotNames = ['momentum'] as const;
  /** The momentum coefficient: how much of the previous step each step keeps. */
  readonly momentum: number;

  /**
   * @param learningRate - The learning rate: a finite number >= 0, or a schedule `(step) => rate`.
   * @param momentum - The momentum coefficient, >= 0: how much of the previous step each step keeps.
   * @param useNesterov - Use Nesterov momentum; default false.
   */
  constructor(
    learningRate: LearningRate,
    momentum: number,
    /** Whether the step uses Nesterov momentum. */
    readonly useNesterov = false,
  ) {
    super('train.momentum', learningRate);
    this.momentum = checkHyperparameter(this.fn, 'momentum', momentum, nonNegative, 'a number >= 0');
  }

  /** {@inheritDoc Optimizer.update} */
  protected update(w: Tensor, g: Tensor, slots: Slots, lr: number): Tensor {
    const a = add(mul(slots.momentum!, this.momentum), g);
    slots.momentum = a;
    return sub(w, mul(this.useNesterov ? add(g, mul(a, this.momentum)) : a, lr));
  }
}

/**
 * Adagrad (TensorFlow.js `AdagradOptimizer`), slot `accumulator` (s, from
 * `initialAccumulatorValue`): `s ← s + g²`, `w ← w − lr·g / √(s + 1e-7)`.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([2], { name: 'w' });
 * new train.AdagradOptimizer(0.1).minimize(() => w.square().sum()); // s = 16.1
 * w; // ~[1.9003]: 2 - 0.1 * 4 / sqrt(16.1)
 * ```
 */
export class AdagradOptimizer extends Optimizer {
  protected readonly slotNames = ['accumulator'] as const;
  /** The value each accumulator of squared gradients starts at. */
  readonly initialAccumulatorValue: number;

  /**
   * @param learningRate - The learning rate: a finite number >= 0, or a schedule `(step) => rate`.
   * @param initialAccumulatorValue - The value each accumulator of squared gradients starts at, >= 0; default 0.1.
   */
  constructor(learningRate: LearningRate, initialAccumulatorValue = 0.1) {
    super('train.adagrad', learningRate);
    this.initialAccumulatorValue = checkHyperparameter(
      this.fn,
      'initialAccumulatorValue',
      initialAccumulatorValue,
      nonNegative,
      'a number >= 0',
    );
  }

  /**
   * A slot's value before the first update: `initialAccumulatorValue` everywhere.
   *
   * @param _slot - The slot's name: `accumulator`.
   * @param w - The variable's current value, whose shape and dtype the slot takes.
   */
  protected override initialSlot(_slot: string, w: Tensor): Tensor {
    return filledLike(w, this.initialAccumulatorValue);
  }

  /** {@inheritDoc Optimizer.update} */
  protected update(w: Tensor, g: Tensor, slots: Slots, lr: number): Tensor {
    const s = add(slots.accumulator!, square(g));
    slots.accumulator = s;
    return sub(w, mul(div(g, sqrt(add(s, DEFAULT_EPSILON))), lr));
  }
}

/**
 * Adadelta (TensorFlow.js `AdadeltaOptimizer`), slots `accum_grad` (E[g²])
 * and `accum_var` (E[Δ²]), both from 0. As TensorFlow.js does, the step uses
 * E[g²] from *before* this gradient:
 * `Δ = g·√(E[Δ²] + ε) / √(E[g²] + ε)`, then `E[g²] ← ρ·E[g²] + (1−ρ)·g²`,
 * `E[Δ²] ← ρ·E[Δ²] + (1−ρ)·Δ²`, `w ← w − lr·Δ`.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([2], { name: 'w' });
 * new train.AdadeltaOptimizer(1, 0.95).minimize(() => w.square().sum()); // Δ = g at the first step
 * w; // [-2]
 * ```
 */
export class AdadeltaOptimizer extends Optimizer {
  protected readonly slotNames = ['accum_grad', 'accum_var'] as const;
  /** The decay rate of the running averages of squared gradients and squared updates. */
  readonly rho: number;
  /** The small constant added for numerical stability. */
  readonly epsilon: number;

  /**
   * @param learningRate - The learning rate: a finite number >= 0, or a schedule `(step) => rate`.
   * @param rho - The decay rate of the running averages, in [0, 1].
   * @param epsilon - The small constant added for numerical stability; default 1e-7 (TensorFlow.js's).
   */
  constructor(learningRate: LearningRate, rho: number, epsilon = DEFAULT_EPSILON) {
    super('train.adadelta', learningRate);
    this.rho = checkHyperparameter(this.fn, 'rho', rho, unit, 'in [0, 1]');
    this.epsilon = checkHyperparameter(this.fn, 'epsilon', epsilon, nonNegative, 'a number >= 0');
  }

  /** {@inheritDoc Optimizer.update} */
  protected update(w: Tensor, g: Tensor, slots: Slots, lr: number): Tensor {
    const { rho, epsilon } = this;
    const eg2 = slots.accum_grad!;
    const ed2 = slots.accum_var!;
    const delta = mul(div(sqrt(add(ed2, epsilon)), sqrt(add(eg2, epsilon))), g);
    slots.accum_grad = add(mul(eg2, rho), mul(square(g), 1 - rho));
    slots.accum_var = add(mul(ed2, rho), mul(square(delta), 1 - rho));
    return sub(w, mul(delta, lr));
  }
}

/**
 * RMSProp (TensorFlow.js `RMSPropOptimizer`), slots `rms` (s), `momentum`
 * (a) and, when centered, `mg` (m), all from 0:
 * `s ← decay·s + (1−decay)·g²`; plain: `a ← momentum·a + lr·g / √(s + ε)`;
 * centered: `m ← decay·m + (1−decay)·g`, `a ← momentum·a + lr·g / √(s − (m² + ε))`
 * (TensorFlow.js subtracts ε there); then `w ← w − a`.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([2], { name: 'w' });
 * new train.RMSPropOptimizer(0.1).minimize(() => w.square().sum()); // s = 1.6
 * w; // ~[1.6838]: 2 - 0.1 * 4 / sqrt(1.6)
 * ```
 */
export class RMSPropOptimizer extends Optimizer {
  protected readonly slotNames: readonly string[];
  /** The decay rate of the running averages (for adamax: the learning-rate decay per step). */
  readonly decay: number;
  /** The momentum coefficient: how much of the previous step each step keeps. */
  readonly momentum: number;
  /** The small constant added for numerical stability. */
  readonly epsilon: number;

  /**
   * @param learningRate - The learning rate: a finite number >= 0, or a schedule `(step) => rate`.
   * @param decay - The decay rate of the running average of squared gradients, in [0, 1]; default 0.9.
   * @param momentum - The momentum coefficient, >= 0; default 0 (none).
   * @param epsilon - The small constant added for numerical stability; default 1e-7 (TensorFlow.js's).
   * @param centered - Centre the gradients by their running mean (the centred RMSProp); default false.
   */
  constructor(
    learningRate: LearningRate,
    decay = 0.9,
    momentum = 0,
    epsilon = DEFAULT_EPSILON,
    /** Whether the gradients are centred by their running mean (the centred RMSProp). */
    readonly centered = false,
  ) {
    super('train.rmsprop', learningRate);
    this.decay = checkHyperparameter(this.fn, 'decay', decay, unit, 'in [0, 1]');
    this.momentum = checkHyperparameter(this.fn, 'momentum', momentum, nonNegative, 'a number >= 0');
    this.epsilon = checkHyperparameter(this.fn, 'epsilon', epsilon, nonNegative, 'a number >= 0');
    this.slotNames = centered ? ['rms', 'momentum', 'mg'] : ['rms', 'momentum'];
  }

  /** {@inheritDoc Optimizer.update} */
  protected update(w: Tensor, g: Tensor, slots: Slots, lr: number): Tensor {
    const { decay, momentum, epsilon } = this;
    const s = add(mul(slots.rms!, decay), mul(square(g), 1 - decay));
    let denominator: Tensor;
    if (this.centered) {
      const m = add(mul(slots.mg!, decay), mul(g, 1 - decay));
      slots.mg = m;
      denominator = sqrt(sub(s, add(square(m), epsilon)));
    } else {
      denominator = sqrt(add(s, epsilon));
    }
    const a = add(mul(slots.momentum!, momentum), div(mul(g, lr), denominator));
    slots.rms = s;
    slots.momentum = a;
    return sub(w, a);
  }
}
