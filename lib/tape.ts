/// <reference lib="esnext.disposable" preserve="true" />
/**
 * GradientTape: records ops in execution order while it is recording, and
 * replays the recorded entries in reverse to compute gradients. Eager
 * recording makes reverse order a valid topological order: no sort needed.
 */
import { isFloat } from './dtype.js';
import { backprop, type TapeEntry } from './backprop.js';
import type { OpDef } from './op.js';
import { formatShape, shapesEqual } from './shape.js';
import { Tensor } from './tensor.js';
import { zerosLike } from './creation.js';
import type { Variable } from './variable.js';

/** The tapes recording right now; ops record onto each that watches an input. @internal */
export const recordingTapes: GradientTape[] = [];

/**
 * Records `op` onto every recording tape that watches one of `inputs`.
 * A trainable variable among the inputs is watched first by each tape that
 * watches accessed variables. One entry is shared by all tapes.
 * @internal
 */
export function record(op: OpDef<unknown>, inputs: readonly Tensor[], output: Tensor, attrs: unknown): void {
  let entry: TapeEntry | undefined;
  for (let t = 0; t < recordingTapes.length; t++) {
    const tape = recordingTapes[t]!;
    if (!tape.tracksAny(inputs)) continue;
    entry ??= { op, inputs: savedInputs(inputs), output, attrs };
    tape.append(entry);
  }
}

/** The inputs as the backward pass must see them: variables by their value now. */
function savedInputs(inputs: readonly Tensor[]): readonly Tensor[] {
  let saved = inputs;
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i]!;
    const s = x.snapshot();
    if (s !== x) {
      if (saved === inputs) saved = inputs.slice();
      (saved as Tensor[])[i] = s;
    }
  }
  return saved;
}

/**
 * Runs `fn` with no tape recording, and returns its result.
 * @internal
 */
export function withoutRecording<T>(fn: () => T): T {
  const paused = recordingTapes.splice(0);
  try {
    return fn();
  } finally {
    recordingTapes.push(...paused);
  }
}

/** What `gradient` gives for a source that no target depends on: `undefined`, or zeros of its shape. */
export type UnconnectedGradients = 'none' | 'zero';

/** The gradient of one source: possibly `undefined`, unless unconnected gradients are `'zero'`. */
export type Gradient<U extends UnconnectedGradients = 'none'> = U extends 'zero' ? Tensor : Tensor | undefined;

/** Sources of a gradient: one tensor, an array of tensors, or a record of named tensors. */
export type Sources = Tensor | readonly Tensor[] | { readonly [name: string]: Tensor };

/** The result of `gradient`: the sources' structure with a gradient in place of each tensor. */
export type GradientsOf<S extends Sources, U extends UnconnectedGradients = 'none'> = S extends Tensor
  ? Gradient<U>
  : { -readonly [K in keyof S]: Gradient<U> };

/** Options of the `GradientTape` constructor. */
export interface GradientTapeOptions {
  /** Allow more than one `gradient()` call (default false: the tape drops what it recorded after one). */
  persistent?: boolean;
  /** Watch every trainable variable that an op reads while this tape records (default true). */
  watchAccessedVariables?: boolean;
}

/** Options of `GradientTape.gradient`. */
export interface GradientOptions<U extends UnconnectedGradients = UnconnectedGradients> {
  /** `'none'` (default): `undefined` for an unconnected source; `'zero'`: zeros of its shape. */
  unconnectedGradients?: U;
}

const G = 'tapegrad.GradientTape.gradient';

/**
 * Records operations for automatic differentiation, as TensorFlow's
 * `tf.GradientTape`. It records from construction until `stop()`, disposal
 * (`using tape = new GradientTape()`), or a non-persistent `gradient()` call.
 * Several tapes may record at once; a tape records an op when one of its
 * inputs is watched by it or computed from a watched tensor.
 *
 * @example
 * ```ts
 * import { GradientTape, scalar } from 'tapegrad';
 * const x = scalar(3);
 * const tape = new GradientTape();
 * tape.watch(x);
 * const y = x.mul(x);                 // y = x^2
 * tape.gradient(y, x)?.item();        // 6
 * ```
 */
export class GradientTape {
  /**
   * Whether `gradient()` may be called more than once.
   *
   * @example
   * ```ts
   * import { GradientTape, scalar } from 'tapegrad';
   * const x = scalar(3);
   * const tape = new GradientTape({ persistent: true });
   * tape.persistent; // true
   * tape.watch(x);
   * const y = x.square();
   * const z = y.square();
   * tape.gradient(y, x); // 6
   * tape.gradient(z, x); // 108: a second gradient() from the same tape
   * tape.stop();
   * ```
   */
  readonly persistent: boolean;
  /**
   * Whether trainable variables read by ops are watched automatically.
   *
   * @example
   * ```ts
   * import { GradientTape, variable } from 'tapegrad';
   * const w = variable([1, 2]);
   * const tape = new GradientTape({ watchAccessedVariables: false });
   * tape.watchAccessedVariables; // false
   * const y = w.square().sum();
   * tape.gradient(y, w); // undefined: w was never watched
   * ```
   */
  readonly watchAccessedVariables: boolean;
  private entries: TapeEntry[] = [];
  /** Ids of the watched tensors and of every recorded output. */
  private tracked = new Set<number>();
  private variables: Variable[] = [];
  private stopped = false;
  private consumed = false;

  /**
   * A tape that records from now on: every op on a tensor it watches, and
   * (by default) on every trainable variable an op reads.
   *
   * @example
   * ```ts
   * import { GradientTape, variable } from 'tapegrad';
   * const w = variable([1, 2]);
   * const tape = new GradientTape();
   * tape.recording; // true
   * const loss = w.square().sum(); // 5
   * tape.gradient(loss, w); // [2, 4]
   * ```
   */
  constructor(options: GradientTapeOptions = {}) {
    this.persistent = options.persistent ?? false;
    this.watchAccessedVariables = options.watchAccessedVariables ?? true;
    recordingTapes.push(this);
  }

  /**
   * Whether ops are being recorded onto this tape now.
   *
   * @example
   * ```ts
   * import { GradientTape } from 'tapegrad';
   * const tape = new GradientTape();
   * tape.recording; // true
   * tape.stop();
   * tape.recording; // false
   * ```
   */
  get recording(): boolean {
    return recordingTapes.includes(this);
  }

  /**
   * Watches tensors, so ops on them are recorded and they can be gradient
   * sources. Integer and bool tensors are accepted and get no gradient.
   *
   * @example
   * ```ts
   * import { GradientTape, tensor } from 'tapegrad';
   * const w = tensor([1, 2]);
   * const tape = new GradientTape();
   * tape.watch(w); // also: tape.watch([a, b]) or tape.watch({ a, b })
   * const y = w.square().sum();
   * tape.gradient(y, w); // [2, 4]
   * ```
   */
  watch(tensors: Sources): void {
    for (const x of sourceList('GradientTape.watch', tensors)) {
      if (!isFloat(x.dtype)) continue;
      // A watched variable is listed by watchedVariables(), trainable or not, as TensorFlow's watched_variables().
      if (x.isVariable && !this.tracked.has(x.id)) this.variables.push(x as Variable);
      this.tracked.add(x.id);
    }
  }

  /**
   * The variables this tape watches: trainable ones an op read while it recorded, and any passed to
   * `watch()`, in the order first watched.
   *
   * @example
   * ```ts
   * import { GradientTape, variable } from 'tapegrad';
   * const v = variable([1, 2], { name: 'v' });
   * const frozen = variable([3, 4], { name: 'frozen', trainable: false });
   * const tape = new GradientTape();
   * v.mul(frozen);
   * tape.watchedVariables().map((w) => w.name); // ['v']
   * ```
   */
  watchedVariables(): Variable[] {
    return this.variables.slice();
  }

  /**
   * Stops recording for good (`gradient()` still works on what was recorded).
   *
   * @example
   * ```ts
   * import { GradientTape, scalar } from 'tapegrad';
   * const x = scalar(3);
   * const tape = new GradientTape();
   * tape.watch(x);
   * const y = x.square();
   * tape.stop();
   * const z = y.mul(2); // not recorded
   * tape.gradient(y, x); // 6
   * ```
   */
  stop(): void {
    this.stopped = true;
    this.pause();
  }

  /**
   * Stops recording: `using tape = new GradientTape()` stops it at the end of the block.
   *
   * @example
   * ```ts
   * import { GradientTape, scalar, type Tensor } from 'tapegrad';
   * function slope(f: (x: Tensor) => Tensor, x: Tensor): Tensor | undefined {
   *   using tape = new GradientTape({ persistent: true }); // stopped when slope returns
   *   tape.watch(x);
   *   return tape.gradient(f(x), x);
   * }
   * slope((x) => x.square(), scalar(3)); // 6
   * ```
   */
  [Symbol.dispose](): void {
    this.stop();
  }

  /**
   * Runs `fn` without recording onto this tape (other tapes still record)
   * and returns its result.
   *
   * @example
   * ```ts
   * import { GradientTape, scalar } from 'tapegrad';
   * const x = scalar(3);
   * const tape = new GradientTape();
   * tape.watch(x);
   * const y = x.square();
   * const logged = tape.stopRecording(() => y.mul(10)); // 90: computed, not recorded
   * tape.gradient(logged, x); // undefined: logged is not on the tape
   * ```
   */
  stopRecording<T>(fn: () => T): T {
    const wasRecording = this.pause();
    try {
      return fn();
    } finally {
      if (wasRecording) this.resume();
    }
  }

  /**
   * Forgets everything recorded and watched, as if the tape were new: it
   * records again (also after a non-persistent `gradient()`), unless `stop()`
   * ended it.
   *
   * @example
   * ```ts
   * import { GradientTape, scalar } from 'tapegrad';
   * const x = scalar(3);
   * const tape = new GradientTape({ persistent: true });
   * tape.watch(x);
   * x.square();
   * tape.reset(); // x is no longer watched, and nothing is recorded
   * const y = x.square();
   * tape.gradient(y, x); // undefined
   * tape.stop();
   * ```
   */
  reset(): void {
    this.entries = [];
    this.tracked = new Set();
    this.variables = [];
    this.consumed = false;
    this.resume();
  }

  /**
   * The gradients of `targets` with respect to `sources`: the sum over targets
   * of each target's output gradient (default ones) times its Jacobian.
   *
   * - `targets`: a tensor or an array; the gradients of all targets are summed.
   * - `sources`: a tensor, an array or a record of tensors; the result has the same structure.
   * - `outputGradients`: one tensor per target, of the target's shape and dtype
   *   (`grad_ys` in `tf.gradients`); `undefined` entries mean ones.
   * - A source that no target depends on, one never watched, one cut off by
   *   `stopGradient`, or an int32/bool source gets `undefined`, or zeros with
   *   `{ unconnectedGradients: 'zero' }` (then the type is plain `Tensor`).
   *
   * Each gradient has its source's shape and dtype. A non-persistent tape
   * gives one set of gradients and then drops its recording. Ops run by the
   * backward pass are recorded by other recording tapes, so nesting tapes
   * gives higher derivatives.
   *
   * @example
   * ```ts
   * import { GradientTape, tensor } from 'tapegrad';
   * const w1 = tensor([1, 2]), w2 = tensor([3, 4]);
   * const tape = new GradientTape();
   * tape.watch([w1, w2]);
   * const y = w1.mul(w2);
   * const [g1, g2] = tape.gradient(y, [w1, w2], tensor([1, 10]));
   * g1; // [3, 40]
   * g2; // [1, 20]
   * ```
   */
  gradient<S extends Sources, U extends UnconnectedGradients = 'none'>(
    targets: Tensor | readonly Tensor[],
    sources: S,
    outputGradients?: Tensor | readonly (Tensor | undefined)[] | null,
    options?: GradientOptions<U>,
  ): GradientsOf<S, U> {
    if (this.consumed) {
      throw new Error(
        `${G}: this tape is not persistent and its gradient() was already called, which released what it ` +
          'recorded; create it with new GradientTape({ persistent: true }) to call gradient() more than once',
      );
    }
    const unconnected = options?.unconnectedGradients ?? 'none';
    if (unconnected !== 'none' && unconnected !== 'zero') {
      throw new TypeError(`${G}: unconnectedGradients must be 'none' or 'zero', got ${JSON.stringify(unconnected)}`);
    }
    const targetList = targetsOf(targets);
    const seeds = seedsOf(targetList, outputGradients);
    const list = sourceList('GradientTape.gradient', sources);

    const entries = this.entries;
    const tracked = this.tracked;
    if (!this.persistent) {
      this.consumed = true;
      this.entries = [];
      this.tracked = new Set();
      this.variables = [];
    }
    const connected = list.filter((s) => isFloat(s.dtype) && tracked.has(s.id)).map((s) => s.id);
    const wasRecording = this.pause();
    let grads: Map<number, Tensor>;
    try {
      grads = backprop(entries, targetList, seeds, connected);
    } finally {
      if (wasRecording) this.resume();
    }
    const results = list.map((s) => grads.get(s.id) ?? (unconnected === 'zero' ? zerosLike(s) : undefined));
    return rebuild(sources, results) as GradientsOf<S, U>;
  }

  /** Whether any input is tracked; watches trainable variables on the way. @internal */
  tracksAny(inputs: readonly Tensor[]): boolean {
    let hit = false;
    for (let i = 0; i < inputs.length; i++) {
      const x = inputs[i]!;
      if (this.tracked.has(x.id)) hit = true;
      else if (this.watchAccessedVariables && x.watchOnRead && isFloat(x.dtype)) {
        this.tracked.add(x.id);
        this.variables.push(x as Variable);
        hit = true;
      }
    }
    return hit;
  }

  /** Appends an entry and tracks its output. @internal */
  append(entry: TapeEntry): void {
    this.entries.push(entry);
    this.tracked.add(entry.output.id);
  }

  /** Records again, unless stopped for good or spent by a non-persistent gradient(). */
  private resume(): void {
    if (!this.stopped && !this.consumed && !recordingTapes.includes(this)) recordingTapes.push(this);
  }

  /** Removes this tape from the recording set; returns whether it was recording. */
  private pause(): boolean {
    const i = recordingTapes.indexOf(this);
    if (i < 0) return false;
    recordingTapes.splice(i, 1);
    return true;
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}

function targetsOf(targets: Tensor | readonly Tensor[]): readonly Tensor[] {
  const list = targets instanceof Tensor ? [targets] : targets;
  if (!Array.isArray(list)) {
    throw new TypeError(`${G}: targets must be a tensor or an array of tensors, got ${describe(targets)}`);
  }
  if (list.length === 0) throw new Error(`${G}: targets is empty; give at least one tensor to differentiate`);
  list.forEach((t: unknown, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`${G}: targets[${i}] is not a tensor (got ${describe(t)})`);
  });
  return list;
}

/** The output gradients, checked against the targets: one per target, of its shape and dtype. */
function seedsOf(
  targets: readonly Tensor[],
  outputGradients: Tensor | readonly (Tensor | undefined)[] | null | undefined,
): readonly (Tensor | undefined)[] {
  if (outputGradients === undefined || outputGradients === null) return targets.map(() => undefined);
  const list = outputGradients instanceof Tensor ? [outputGradients] : outputGradients;
  if (!Array.isArray(list)) {
    throw new TypeError(
      `${G}: outputGradients must be a tensor or an array of tensors, got ${describe(outputGradients)}`,
    );
  }
  if (list.length !== targets.length) {
    throw new Error(
      `${G}: got ${list.length} outputGradients for ${targets.length} targets; ` +
        'give exactly one per target (undefined for ones), or none at all',
    );
  }
  list.forEach((g: unknown, i) => {
    if (g === undefined) return;
    const t = targets[i]!;
    if (!(g instanceof Tensor)) throw new TypeError(`${G}: outputGradients[${i}] is not a tensor (got ${describe(g)})`);
    if (!shapesEqual(g.shape, t.shape)) {
      throw new Error(
        `${G}: outputGradients[${i}] has shape ${formatShape(g.shape)} but targets[${i}] has shape ` +
          `${formatShape(t.shape)}; each output gradient must have its target's shape`,
      );
    }
    if (g.dtype !== t.dtype) {
      throw new TypeError(
        `${G}: outputGradients[${i}] is ${g.dtype} but targets[${i}] is ${t.dtype}; cast it with cast(g, '${t.dtype}')`,
      );
    }
  });
  return list;
}

/** The tensors of a `Sources` value in order, checked. */
function sourceList(op: string, sources: Sources): readonly Tensor[] {
  if (sources instanceof Tensor) return [sources];
  const isArray = Array.isArray(sources);
  if (sources === null || typeof sources !== 'object') {
    throw new TypeError(`tapegrad.${op}: expected a tensor, an array or a record of tensors, got ${describe(sources)}`);
  }
  const keys = isArray ? sources.map((_, i) => i) : Object.keys(sources);
  return keys.map((k) => {
    const x: unknown = (sources as Record<string | number, unknown>)[k];
    if (!(x instanceof Tensor)) {
      const where = isArray ? `[${k}]` : `['${String(k)}']`;
      throw new TypeError(`tapegrad.${op}: sources${where} is not a tensor (got ${describe(x)})`);
    }
    return x;
  });
}

/** `results` in the structure of `sources`. */
function rebuild(sources: Sources, results: (Tensor | undefined)[]): unknown {
  if (sources instanceof Tensor) return results[0];
  if (Array.isArray(sources)) return results;
  const out: Record<string, Tensor | undefined> = {};
  Object.keys(sources).forEach((k, i) => (out[k] = results[i]));
  return out;
}
