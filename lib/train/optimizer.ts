/**
 * The optimizer base class, as TensorFlow.js's `tf.train.Optimizer`:
 * `minimize` = `computeGradients` + `applyGradients`, per-variable state
 * ("slots") kept by variable name, `getWeights`/`setWeights` with TF.js's
 * weight names (`iter`, then `${variableName}/${slot}`), and a learning rate
 * that is a number or a schedule of the step count. Each optimizer supplies
 * only its slot names and its update rule.
 */
import { isFloat, type TypedArray } from '../dtype.js';
import { describeValue } from '../format.js';
import { copyHere, fill, scalar, zerosLike } from '../creation.js';
import { allocateHere, placement } from '../kernels/placement.js';
import { recycle } from '../kernels/recycling.js';
import type { Storage } from '../kernels/storage.js';
import { differentiateVariables, type VariableGrads } from '../functional.js';
import { keep, tidy } from '../memory.js';
import { numerics } from '../numerics.js';
import { withoutRecording } from '../recording.js';
import { formatShape, shapesEqual } from '../shape.js';
import { Tensor } from '../tensor.js';
import { Variable } from '../variable.js';
import { liveVariablesNamed, rememberVariable } from '../variable-registry.js';

/**
 * A learning rate: a number, or a schedule giving the rate for a step
 * count (0 for the first update) as `lib/train/schedules.ts` builds them.
 *
 * @example
 * ```ts
 * import { train } from 'tapegrad';
 * const halving: train.LearningRate = (step) => 0.1 * 0.5 ** step;
 * train.sgd(halving).learningRate === halving; // true
 * ```
 */
export type LearningRate = number | ((step: number) => number);

/**
 * A tensor with a name: one gradient for `applyGradients`, or one optimizer weight.
 *
 * @example
 * ```ts
 * import { scalar, type train } from 'tapegrad';
 * const weight: train.NamedTensor = { name: 'iter', tensor: scalar(3, 'int32') };
 * ```
 */
export interface NamedTensor {
  /** A variable's name, or an optimizer weight's name (`iter`, `w/m`). */
  name: string;
  /** The gradient or the weight's value. */
  tensor: Tensor;
}

/**
 * Gradients by variable name, as `computeGradients` and {@link variableGrads}
 * give them, or as a list of `{ name, tensor }`. A null or undefined gradient is skipped.
 *
 * @example
 * ```ts
 * import { tensor, type train } from 'tapegrad';
 * const asRecord: train.NamedGradients = { w: tensor([1, 2]) };
 * const asList: train.NamedGradients = [{ name: 'w', tensor: tensor([1, 2]) }];
 * ```
 */
export type NamedGradients = { readonly [name: string]: Tensor | null | undefined } | readonly NamedGradient[];

/**
 * One entry of the list form of {@link NamedGradients}.
 *
 * @example
 * ```ts
 * import { tensor, train } from 'tapegrad';
 * const entry: train.NamedGradient = { name: 'w', tensor: tensor([1, 2]) };
 * ```
 */
export interface NamedGradient {
  /** The variable's name. */
  name: string;
  /** Its gradient (`null` or `undefined`: no update for it). */
  tensor: Tensor | null | undefined;
}

/**
 * One variable's slots, by slot name; an update rule replaces the entries it changes.
 *
 * @example
 * ```ts
 * import { tensor, type train } from 'tapegrad';
 * const adamSlots: train.Slots = { m: tensor([0]), v: tensor([0]) };
 * ```
 */
export type Slots = { [slot: string]: Tensor };

/**
 * The base class of every optimizer in `train` (TensorFlow.js `tf.train.Optimizer`).
 * Subclasses give their slot names and their update rule.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const w = variable([3], { name: 'w' });
 * const optimizer: train.Optimizer = train.sgd(0.1);
 * optimizer.minimize(() => w.square().sum()); // w ← 3 - 0.1 * 6
 * w; // [2.4]
 * ```
 */
export abstract class Optimizer {
  /** The per-variable state this optimizer keeps, in `getWeights` order. */
  protected abstract readonly slotNames: readonly string[];
  private rate: LearningRate;
  private steps = 0;
  /** Variable name → its slots. */
  private readonly state = new Map<string, Slots>();

  /**
   * @param fn - The factory's name, for error messages (`train.adam`).
   * @param learningRate - The initial learning rate or schedule.
   */
  protected constructor(
    protected readonly fn: string,
    learningRate: LearningRate,
  ) {
    this.rate = checkLearningRate(fn, learningRate);
  }

  /**
   * The learning rate: a number, or a schedule `(step) => rate` called with
   * {@link Optimizer.iterations} at each update. Settable between steps.
   *
   * @example
   * ```ts
   * import { train } from 'tapegrad';
   * const optimizer = train.sgd(0.1);
   * optimizer.learningRate = 0.01;
   * optimizer.learningRate; // 0.01
   * ```
   */
  get learningRate(): LearningRate {
    return this.rate;
  }

  /**
   * Sets the learning rate: a number, or a schedule of the step count (see `train.schedules`).
   *
   * @param value - The new rate: a finite number >= 0, or a function of the step count returning one.
   */
  set learningRate(value: LearningRate) {
    this.rate = checkLearningRate(this.fn, value);
  }

  /**
   * How many updates (`applyGradients` calls) this optimizer has made.
   *
   * @example
   * ```ts
   * import { train, variable } from 'tapegrad';
   * const w = variable([1]);
   * const optimizer = train.adam();
   * optimizer.minimize(() => w.square().sum());
   * optimizer.iterations; // 1
   * ```
   */
  get iterations(): number {
    return this.steps;
  }

  /**
   * Runs `f`, then updates each trainable variable it read (or each variable
   * of `varList`) from its gradient, as TensorFlow.js `optimizer.minimize`.
   * Returns `f()` when `returnCost` is true, null otherwise.
   *
   * @param f - The loss: no arguments, a scalar tensor out.
   * @param returnCost - Return the loss's value (else null); default false.
   * @param varList - The variables to update; default the trainable variables `f` reads.
   *
   * @example
   * ```ts
   * import { train, variable } from 'tapegrad';
   * const w = variable([1, -2], { name: 'w' });
   * const cost = train.sgd(0.25).minimize(() => w.square().sum(), true); // 5
   * w; // [0.5, -1]: w - 0.25 * 2w
   * ```
   */
  minimize(f: () => Tensor, returnCost: true, varList?: readonly Variable[]): Tensor;
  minimize(f: () => Tensor, returnCost?: boolean, varList?: readonly Variable[]): Tensor | null;
  minimize(f: () => Tensor, returnCost = false, varList?: readonly Variable[]): Tensor | null {
    // In a tidy scope, as TensorFlow.js's minimize: on webgpu the step's activations and gradients go back to the
    // pool when it ends (the slots are kept; on the CPU this costs nothing).
    return tidy(() => {
      const { value, grads, variables, owned } = this.differentiate(f, varList, true);
      this.apply(grads, variables);
      // The gradients were this call's alone: their arrays go back for reuse (lib/kernels/recycling.ts).
      if (owned.length > 0) recycle(owned, this.arraysHeld(variables, value));
      return returnCost ? value : null;
    });
  }

  /**
   * `f()` and the gradient of each trainable variable it reads (or of each of
   * `varList`), keyed by the variable's name, as {@link variableGrads}; the
   * variables are remembered so `applyGradients` can resolve their names.
   *
   * @param f - The loss: no arguments, a scalar tensor out.
   * @param varList - The variables to differentiate with respect to; default the trainable variables `f` reads.
   *
   * @example
   * ```ts
   * import { train, variable } from 'tapegrad';
   * const w = variable([3], { name: 'w' });
   * const optimizer = train.sgd(0.1);
   * const { value, grads } = optimizer.computeGradients(() => w.square().sum());
   * value; // 9
   * grads.w; // [6]
   * optimizer.applyGradients(grads);
   * w; // [2.4]
   * ```
   */
  computeGradients(f: () => Tensor, varList?: readonly Variable[]): VariableGrads {
    const { value, grads } = this.differentiate(f, varList, false);
    return { value, grads };
  }

  /**
   * Updates variables from gradients keyed by variable name (a record, or a
   * list of `{ name, tensor }`), then counts one step. A name resolves among
   * the live variables that an optimizer has computed gradients for (or that
   * `rememberVariable` registered); an unknown name, or one that two live
   * variables share, is an error, and nothing is updated.
   *
   * @param grads - Gradients keyed by variable name: a record, or an array of `{ name, tensor }`; each of its
   *   variable's shape.
   *
   * @example
   * ```ts
   * import { train, variable } from 'tapegrad';
   * const w = variable([3], { name: 'w' });
   * const optimizer = train.sgd(0.5);
   * const { grads } = optimizer.computeGradients(() => w.square().sum());
   * optimizer.applyGradients([{ name: 'w', tensor: grads.w! }]);
   * w; // [0]
   * ```
   */
  applyGradients(grads: NamedGradients): void {
    this.apply(grads, undefined);
  }

  /**
   * The optimizer's state, as TensorFlow.js names it: `iter` (an int32
   * scalar, the step count) first, then each slot of each variable
   * (`${variableName}/${slot}`), slot by slot.
   *
   * @example
   * ```ts
   * import { train, variable } from 'tapegrad';
   * const w = variable([1], { name: 'w' });
   * const optimizer = train.adam();
   * optimizer.minimize(() => w.square().sum());
   * void optimizer.getWeights().then((weights) => weights.map((x) => x.name)); // gives ['iter', 'w/m', 'w/v']
   * ```
   */
  async getWeights(): Promise<NamedTensor[]> {
    const weights: NamedTensor[] = [{ name: 'iter', tensor: scalar(this.steps, 'int32') }];
    for (const slot of this.slotNames) {
      // Copies: fused updates (train.adam) change the slots in place.
      for (const [name, slots] of this.state) weights.push({ name: `${name}/${slot}`, tensor: copied(slots[slot]!) });
    }
    return Promise.resolve(weights);
  }

  /**
   * Replaces the optimizer's state with `weights`, as {@link Optimizer.getWeights}
   * gives them: the first is the step count, the others `${variableName}/${slot}`.
   *
   * @param weights - `{ name, tensor }` pairs, as {@link Optimizer.getWeights} gives: the step count first, then
   *   `${variableName}/${slot}`.
   *
   * @example
   * ```ts
   * import { train, variable } from 'tapegrad';
   * const w = variable([1], { name: 'w' });
   * const a = train.adam();
   * a.minimize(() => w.square().sum());
   * const b = train.adam();
   * void a.getWeights().then((weights) => b.setWeights(weights)); // then b.iterations is 1
   * ```
   */
  async setWeights(weights: readonly NamedTensor[]): Promise<void> {
    const F = `tapegrad.${this.fn}.setWeights`;
    if (!Array.isArray(weights) || weights.length === 0) {
      throw new TypeError(
        `${F}: weights must be a non-empty array of { name, tensor }, got ${describeValue(weights)}; pass what getWeights() gave`,
      );
    }
    weights.forEach((w: unknown, i) => {
      const named = w as Partial<NamedTensor> | null;
      if (typeof named?.name !== 'string' || !(named.tensor instanceof Tensor)) {
        throw new TypeError(
          `${F}: weights[${i}] is not a { name, tensor } (got ${describeValue(w)}); pass what getWeights() gave`,
        );
      }
    });
    const [iter, ...rest] = weights as readonly NamedTensor[];
    if (iter!.tensor.size !== 1) {
      throw new Error(
        `${F}: the first weight ('${iter!.name}') must be the step count, a scalar, but its shape is ${formatShape(iter!.tensor.shape)}; pass what getWeights() gave`,
      );
    }
    const state = new Map<string, Slots>();
    for (const { name, tensor } of rest) {
      const cut = name.lastIndexOf('/');
      const slot = name.slice(cut + 1);
      if (cut < 0 || !this.slotNames.includes(slot)) {
        const expected =
          this.slotNames.length === 0
            ? 'it has no weights but iter'
            : `its slots are ${this.slotNames.map((s) => `'${s}'`).join(', ')}`;
        throw new Error(
          `${F}: weight '${name}' is not one of this optimizer's (${expected}); pass weights named '<variable>/<slot>'`,
        );
      }
      const variableName = name.slice(0, cut);
      let slots = state.get(variableName);
      if (slots === undefined) state.set(variableName, (slots = {}));
      slots[slot] = copied(tensor); // the optimizer's own copy: fused updates change slots in place
    }
    for (const [name, slots] of state) {
      const missing = this.slotNames.filter((s) => slots[s] === undefined);
      if (missing.length > 0) {
        throw new Error(
          `${F}: variable '${name}' has no weight '${name}/${missing[0]}'; give every slot of each variable`,
        );
      }
    }
    this.steps = (await iter!.tensor.data())[0] as number; // a read that works on every backend
    this.state.clear();
    for (const [name, slots] of state) this.state.set(name, slots);
    return Promise.resolve();
  }

  /**
   * A slot's value before the first update: zeros by default.
   *
   * @param _slot - The slot's name (`m`, `v`, ...).
   * @param value - The variable's current value, whose shape and dtype the slot takes.
   */
  protected initialSlot(_slot: string, value: Tensor): Tensor {
    return zerosLike(value);
  }

  /**
   * One update of one variable: returns its new value and replaces the
   * entries of `slots` it changes. `lr` is the learning rate of this step,
   * `step` the number of earlier steps (0 on the first). Runs unrecorded.
   *
   * @param value - The variable's current value.
   * @param gradient - Its gradient, of its shape and dtype.
   * @param slots - Its slots by name, to read and replace.
   * @param lr - The learning rate of this step.
   * @param step - The number of earlier steps (0 on the first).
   */
  protected abstract update(value: Tensor, gradient: Tensor, slots: Slots, lr: number, step: number): Tensor;

  /**
   * `f()`, its gradients by name, and the variables those names belong to; with `handOver`, also the large arrays
   * of the gradients that only this call holds (see `differentiateVariables`).
   */
  private differentiate(
    f: () => Tensor,
    varList: readonly Variable[] | undefined,
    handOver: boolean,
  ): VariableGrads & { variables: Map<string, Variable>; owned: readonly TypedArray[] } {
    const result = differentiateVariables(f, varList, handOver);
    const variables = new Map<string, Variable>();
    for (const v of result.variables) {
      if (Object.hasOwn(result.grads, v.name)) {
        variables.set(v.name, v);
        rememberVariable(v);
      }
    }
    return { value: result.value, grads: result.grads, variables, owned: result.owned };
  }

  /** The buffers of the variables' values, their slots and `value`: arrays that stay live after a step. */
  private arraysHeld(variables: ReadonlyMap<string, Variable>, value: Tensor): Set<ArrayBufferLike> {
    const held = new Set<ArrayBufferLike>();
    const add = (t: Tensor) => {
      if (ArrayBuffer.isView(t.storage)) held.add(t.storage.buffer);
    };
    add(value);
    for (const [name, v] of variables) {
      add(v);
      const slots = this.state.get(name);
      if (slots !== undefined) for (const slot of Object.values(slots)) add(slot);
    }
    return held;
  }

  /** applyGradients, resolving names first in `known` (the variables minimize just differentiated). */
  private apply(grads: NamedGradients, known: Map<string, Variable> | undefined): void {
    const F = `tapegrad.${this.fn}.applyGradients`;
    const pairs = gradientPairs(F, grads);
    const updates: [Variable, Tensor][] = [];
    const seen = new Set<string>();
    for (const [name, gradient] of pairs) {
      if (seen.has(name))
        throw new Error(`${F}: two gradients are given for '${name}'; give one gradient per variable`);
      seen.add(name);
      if (gradient === null || gradient === undefined) continue;
      const v = known?.get(name) ?? this.resolve(F, name);
      if (!(gradient instanceof Tensor)) {
        throw new TypeError(
          `${F}: the gradient of '${name}' is not a tensor (got ${describeValue(gradient)}); pass tensors`,
        );
      }
      if (!shapesEqual(gradient.shape, v.shape) || gradient.dtype !== v.dtype) {
        throw new Error(
          `${F}: the gradient of '${name}' is ${gradient.dtype} ${formatShape(gradient.shape)} but the variable is ` +
            `${v.dtype} ${formatShape(v.shape)}; give a gradient of the variable's shape and dtype`,
        );
      }
      updates.push([v, gradient]);
    }
    const lr = this.currentLearningRate();
    withoutRecording(() => {
      for (const [v, gradient] of updates) {
        let slots = this.state.get(v.name);
        if (slots === undefined) {
          slots = {};
          for (const slot of this.slotNames) slots[slot] = this.initialSlot(slot, v);
          this.state.set(v.name, slots);
        }
        const next = this.update(v, gradient, slots, lr, this.steps);
        for (const slot of this.slotNames) keep(slots[slot]!); // state outlives the step's tidy scope
        if (fresh.has(next))
          v.adopt(next); // a fused update's own array: no copy
        else v.assign(next);
      }
    });
    this.steps += 1;
  }

  private resolve(F: string, name: string): Variable {
    const found = liveVariablesNamed(name);
    if (found.length === 1) return found[0]!;
    if (found.length === 0) {
      throw new Error(
        `${F}: no variable named '${name}' is known; compute the gradients with this optimizer's computeGradients ` +
          '(or minimize), which remembers the variables, or check the name',
      );
    }
    throw new Error(`${F}: ${found.length} live variables are named '${name}'; give each variable a unique name`);
  }

  private currentLearningRate(): number {
    if (typeof this.rate === 'number') return this.rate;
    const lr = this.rate(this.steps);
    if (typeof lr !== 'number' || !Number.isFinite(lr)) {
      throw new Error(
        `tapegrad.${this.fn}: the learning-rate schedule gave ${show(lr)} at step ${this.steps}; make it return a finite number`,
      );
    }
    return lr;
  }
}

/**
 * Runs a fused update kernel (lib/kernels/optimizers.ts) over `inputs` (the
 * variable first) into `outputs` new arrays of the variable's shape and dtype,
 * and returns them as tensors; or `undefined` where the kernel does not
 * apply: a dtype other than float32 or float64, inputs of different lengths or
 * dtypes, or numeric checks on (the update then runs as ops, which are checked
 * one by one).
 * @internal
 */
export function fusedUpdate(
  inputs: readonly Tensor[],
  outputs: number,
  run: (values: Storage[], outs: Storage[]) => void,
): Tensor[] | undefined {
  const [w] = inputs as [Tensor];
  const fusable = !numerics.on && isFloat(w.dtype) && inputs.every((x) => x.dtype === w.dtype && x.size === w.size);
  if (!fusable) return undefined;
  // A variable nothing else holds the array of (lib/variable.ts) takes its new value in that array.
  const inPlace =
    w instanceof Variable &&
    placement.device === undefined &&
    w.mayUpdateInPlace() &&
    inputs.every((x, i) => i === 0 || x.storage !== w.storage);
  const outs = Array.from({ length: outputs }, (_, i) =>
    i === 0 && inPlace ? w.placed : allocateHere(w.dtype, w.size),
  );
  run(
    inputs.map((x) => x.placed),
    outs,
  );
  const tensors = outs.map((values) => new Tensor(values, w.shape, w.dtype));
  fresh.add(tensors[0]!);
  return tensors;
}

/**
 * The new values fused updates made: arrays no one else holds (a fresh one, or the variable's own), which a
 * variable may take without a copy.
 */
const fresh = new WeakSet<Tensor>();

/** A tensor with a copy of x's values (never recorded): slots the optimizer may change in place. */
function copied(x: Tensor): Tensor {
  return new Tensor(copyHere('Optimizer', x), x.shape, x.dtype);
}

/** The fill value of a slot, for optimizers that do not start at zero. */
export function filledLike(value: Tensor, x: number): Tensor {
  return fill(value.shape, x, value.dtype);
}

function gradientPairs(F: string, grads: NamedGradients): [string, unknown][] {
  if (Array.isArray(grads)) {
    return grads.map((entry: unknown, i) => {
      const e = entry as { name?: unknown; tensor?: unknown } | null;
      if (typeof e?.name !== 'string') {
        throw new TypeError(
          `${F}: grads[${i}] is not a { name, tensor } (got ${describeValue(entry)}); give each gradient with its variable's name`,
        );
      }
      return [e.name, e.tensor];
    });
  }
  if (typeof grads !== 'object' || grads === null || grads instanceof Tensor) {
    throw new TypeError(
      `${F}: grads must be a record { [name]: gradient } or an array of { name, tensor }, got ${describeValue(grads)}`,
    );
  }
  return Object.entries(grads);
}

function checkLearningRate(fn: string, lr: unknown): LearningRate {
  if (typeof lr === 'function') return lr as LearningRate;
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
    throw new TypeError(
      `tapegrad.${fn}: learningRate must be a finite number >= 0 or a function of the step, got ${show(lr)}`,
    );
  }
  return lr;
}

/** Throws unless `x` is a finite number in the range `ok` checks; `what` describes the range. */
export function checkHyperparameter(
  fn: string,
  name: string,
  x: unknown,
  ok: (x: number) => boolean,
  what: string,
): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) {
    throw new RangeError(`tapegrad.${fn}: ${name} must be ${what}, got ${show(x)}`);
  }
  return x;
}

/** A number as written, anything else as describeValue describes it. */
function show(x: unknown): string {
  return typeof x === 'number' ? String(x) : describeValue(x);
}
