/// <reference lib="esnext.disposable" preserve="true" />
/**
 * GradientTape: records ops in execution order while it is recording, and
 * replays the recorded entries in reverse to compute gradients. Eager
 * recording makes reverse order a valid topological order: no sort needed.
 */
import { isFloat } from './dtype.js';
import { backprop, planBackprop, replay, type TapeEntry } from './backprop.js';
import { checkRowsIndependent, seedAt } from './jacobian.js';
import type { OpDef } from './op.js';
import { explainGradient, type GradientExplanation, type IdGap, type UnrecordedUse } from './explain.js';
import { reshape, stack } from './ops/index.js';
import { formatShape, shapesEqual } from './shape.js';
import { IdSet, Tensor } from './tensor.js';
import { zeros, zerosLike } from './creation.js';
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

/**
 * Notes, for `explain()`, an op that was not recorded (no gradient, or an
 * integer or bool output) on every recording tape that tracks one of its
 * inputs. Off the hot path: recorded ops never come here.
 * @internal
 */
export function noteUnrecorded(op: OpDef<unknown>, inputs: readonly Tensor[], output: Tensor): void {
  for (let t = 0; t < recordingTapes.length; t++) {
    const tape = recordingTapes[t]!;
    if (!tape.tracksAnyAlready(inputs)) continue;
    tape.unrecorded.push({
      op: op.name,
      inputIds: inputs.map((x) => x.id),
      outputId: output.id,
      outputDType: output.dtype,
      outputShape: output.shape,
    });
  }
}

const NO_VALUES = new Float32Array(0);

/** A lower bound on the id of the next tensor made (ids only grow): a throwaway empty tensor's id. */
function peekTensorId(): number {
  return new Tensor(NO_VALUES, [0], 'float32').id;
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

/** Options of `GradientTape.jacobian` and `GradientTape.batchJacobian`. */
export interface JacobianOptions<U extends UnconnectedGradients = UnconnectedGradients> extends GradientOptions<U> {
  /**
   * Accepted for compatibility with TensorFlow's `experimental_use_pfor`, and ignored: tapegrad has no vectorising
   * `pfor`, so the Jacobian is always one reverse replay per target element (per row element for batchJacobian).
   */
  experimentalUseParallelFor?: boolean;
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
  private tracked = new IdSet();
  private variables: Variable[] = [];
  private stopped = false;
  private consumed = false;
  /** The call that spent a non-persistent tape. */
  private spentBy: TapeMethod | undefined;
  // Bookkeeping for explain(), kept off the recording hot path.
  /** Ops that used a tracked tensor without being recorded. @internal */
  unrecorded: UnrecordedUse[] = [];
  /** Ranges of tensor ids made while this tape did not record. */
  private gaps: IdGap[] = [];
  /** The ids the last reset() forgot. */
  private forgotten: { has(id: number): boolean } = new Set();
  /** Tensors with lower ids were made before this tape. */
  private readonly createdAt = peekTensorId();

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
    if (!this.stopped) this.gaps.push({ from: peekTensorId(), to: Infinity, why: 'stopped' });
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
    const gap: IdGap | undefined = wasRecording
      ? { from: peekTensorId(), to: Infinity, why: 'stopRecording' }
      : undefined;
    if (gap) this.gaps.push(gap);
    try {
      return fn();
    } finally {
      if (gap) gap.to = peekTensorId();
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
    this.forgotten = this.tracked;
    this.unrecorded = [];
    this.gaps = this.gaps.filter((gap) => gap.why === 'stopped');
    this.spentBy = undefined;
    this.entries = [];
    this.tracked = new IdSet();
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
    this.checkNotConsumed('gradient');
    const unconnected = unconnectedOption(G, options);
    const targetList = targetsOf(targets);
    const seeds = seedsOf(targetList, outputGradients);
    const list = sourceList('GradientTape.gradient', sources);

    const { entries, tracked } = this.take('gradient');
    const connected = list.filter((s) => isFloat(s.dtype) && tracked.has(s.id)).map((s) => s.id);
    const grads = this.replaying('gradient', () => backprop(entries, targetList, seeds, connected));
    const results = list.map((s) => grads.get(s.id) ?? (unconnected === 'zero' ? zerosLike(s) : undefined));
    return rebuild(sources, results) as GradientsOf<S, U>;
  }

  /**
   * The Jacobian of `target` with respect to each source, as TensorFlow's
   * `GradientTape.jacobian`: for a source of shape `S` the result has shape
   * `[...target.shape, ...S]`, and its element `[i..., j...]` is the
   * derivative of `target[i...]` with respect to `source[j...]`.
   *
   * - `sources`: a tensor, an array or a record of tensors, as in `gradient()`;
   *   the result has the same structure.
   * - A source the target does not depend on (see `gradient()`) gets
   *   `undefined`, or zeros of the Jacobian's shape with
   *   `{ unconnectedGradients: 'zero' }`.
   * - `experimentalUseParallelFor` is accepted for TensorFlow compatibility
   *   and changes nothing: tapegrad has no vectorising `pfor`.
   *
   * Cost: the tape is pruned once (the ops between the sources and the
   * target), then replayed in reverse once per element of the target, each
   * replay seeded with a one-hot output gradient. A non-persistent tape is
   * spent by one call, as by `gradient()`. Ops of the replays are recorded by
   * other recording tapes, so a Jacobian (of a gradient, say: a Hessian) can
   * be differentiated again.
   *
   * @example
   * ```ts
   * import { GradientTape, tensor } from 'tapegrad';
   * const x = tensor([1, 2]);
   * const tape = new GradientTape();
   * tape.watch(x);
   * const y = x.mul(x).mul(tensor([3, 5])); // [3, 20]: y = [3 x0^2, 5 x1^2]
   * tape.jacobian(y, x); // [[6, 0], [0, 20]]
   * ```
   */
  jacobian<S extends Sources, U extends UnconnectedGradients = 'none'>(
    target: Tensor,
    sources: S,
    options?: JacobianOptions<U>,
  ): GradientsOf<S, U> {
    const J = 'tapegrad.GradientTape.jacobian';
    this.checkNotConsumed('jacobian');
    const unconnected = unconnectedOption(J, options);
    checkTarget(J, target);
    const list = sourceList('GradientTape.jacobian', sources);

    const { entries, tracked } = this.take('jacobian');
    const connected = list.filter((s) => isFloat(s.dtype) && tracked.has(s.id));
    const plan = planBackprop(
      entries,
      [target],
      connected.map((s) => s.id),
    );
    const n = target.size;
    const rowsOf = list.map((): (Tensor | undefined)[] => []);
    const results = this.replaying('jacobian', () => {
      if (plan.reached.has(target.id)) {
        for (let i = 0; i < n; i++) {
          const grads = replay(plan, [seedAt(target, i, 1)]);
          list.forEach((s, k) => rowsOf[k]!.push(grads.get(s.id)));
        }
      }
      return list.map((s, k) => {
        const shape = [...target.shape, ...s.shape];
        const rows = rowsOf[k]!;
        if (!rows.some((g) => g !== undefined)) {
          // Connected but with an empty target: a Jacobian with no elements.
          if (n === 0 && plan.reached.has(target.id) && plan.reached.has(s.id)) return zeros(shape, s.dtype);
          return unconnected === 'zero' ? zeros(shape, s.dtype) : undefined;
        }
        return reshape(stack(rows.map((g) => g ?? zerosLike(s))), shape);
      });
    });
    return rebuild(sources, results) as GradientsOf<S, U>;
  }

  /**
   * The Jacobian of each row of `target` with respect to the same row of
   * `source`, as TensorFlow's `GradientTape.batchJacobian`: dimension 0 of
   * both is the batch, and the result has shape
   * `[batch, ...target.shape.slice(1), ...source.shape.slice(1)]`, where
   * `result[b, i..., j...]` is the derivative of `target[b, i...]` with
   * respect to `source[b, j...]`.
   *
   * It requires that row `b` of the target depends on row `b` of the source
   * only (true of a network applied to a batch); it throws when a row of the
   * target depends on another row of the source, which it checks with one
   * extra backward pass. An unconnected source gives `undefined`, or zeros
   * with `{ unconnectedGradients: 'zero' }`.
   *
   * Cost: one reverse replay per element of a target row
   * (`prod(target.shape.slice(1))`), each seeding all batch rows at once,
   * plus the check: `batch` times fewer replays than `jacobian()`. A
   * non-persistent tape is spent by one call.
   *
   * @example
   * ```ts
   * import { GradientTape, tensor } from 'tapegrad';
   * const x = tensor([[1, 2], [3, 4]]); // a batch of 2 rows
   * const tape = new GradientTape();
   * tape.watch(x);
   * const y = x.mul(x); // row b depends only on row b of x
   * tape.batchJacobian(y, x); // [[[2, 0], [0, 4]], [[6, 0], [0, 8]]]
   * ```
   */
  batchJacobian<U extends UnconnectedGradients = 'none'>(
    target: Tensor,
    source: Tensor,
    options?: JacobianOptions<U>,
  ): Gradient<U> {
    const B = 'tapegrad.GradientTape.batchJacobian';
    this.checkNotConsumed('batchJacobian');
    const unconnected = unconnectedOption(B, options);
    checkTarget(B, target);
    if (!(source instanceof Tensor)) {
      throw new TypeError(`${B}: source must be a tensor, got ${describe(source)}`);
    }
    if (target.rank === 0 || source.rank === 0 || target.shape[0] !== source.shape[0]) {
      throw new Error(
        `${B}: target ${formatShape(target.shape)} and source ${formatShape(source.shape)} must both have ` +
          'a batch dimension 0 of the same size; use jacobian() for tensors without a batch dimension',
      );
    }
    const batch = target.shape[0]!;
    const shape = [batch, ...target.shape.slice(1), ...source.shape.slice(1)];

    const { entries, tracked } = this.take('batchJacobian');
    const isConnected = isFloat(source.dtype) && tracked.has(source.id);
    const plan = planBackprop(entries, [target], isConnected ? [source.id] : []);
    const perRow = batch === 0 ? 0 : target.size / batch;
    const result = this.replaying('batchJacobian', () => {
      if (!plan.reached.has(target.id)) return undefined;
      const rows: (Tensor | undefined)[] = [];
      // Seed element j of every row at once: row b of the gradient is d target[b, j] / d source[b, ...]
      // as long as rows do not mix, which checkRowsIndependent verifies below.
      for (let j = 0; j < perRow; j++) rows.push(replay(plan, [seedAt(target, j, batch)]).get(source.id));
      if (!rows.some((g) => g !== undefined)) return batch * perRow === 0 ? zeros(shape, source.dtype) : undefined;
      const filled = rows.map((g) => g ?? zerosLike(source));
      withoutRecording(() => checkRowsIndependent(plan, target, source, filled));
      // perRow tensors [batch, ...S1] -> [batch, perRow, ...S1] -> [batch, ...T1, ...S1]
      return reshape(stack(filled, 1), shape);
    });
    if (result !== undefined) return result;
    return (unconnected === 'zero' ? zeros(shape, source.dtype) : undefined) as Gradient<U>;
  }

  /**
   * Says why `gradient(target, source)` is, or is not, `undefined`: a
   * `reason` tag to branch on, the `op` concerned, and a `message` in plain
   * words naming ops and tensors (by id, dtype and shape). It looks at what
   * the tape recorded and never throws for tensors.
   *
   * Reasons (see {@link ExplainReason}): `'connected'`; `'notWatched'`;
   * `'integerDtype'`; `'stopGradient'`; `'recordedAfterReset'`;
   * `'recordedWhileStopped'` (inside `stopRecording()` or after `stop()`);
   * `'ownBackwardPass'` (the target came from this tape's own `gradient()`);
   * `'computedBeforeTape'`; `'noPath'`, naming the op where the path breaks
   * when one is known (e.g. a comparison, which has no gradient); and
   * `'tapeConsumed'`.
   *
   * `'connected'` means recorded ops lead from the source to the target (an
   * op's VJP could still return no gradient for that input). `stopGradient`
   * is an op without a gradient, so the tape notes where it cuts a path, also
   * when its result meets only constants on the way to the target.
   *
   * @example
   * ```ts
   * import { GradientTape, scalar, stopGradient } from 'tapegrad';
   * const x = scalar(3), w = scalar(2);
   * const tape = new GradientTape({ persistent: true });
   * tape.watch([x, w]);
   * const y = stopGradient(x.square()).mul(w);
   * tape.explain(y, w).connected; // true
   * tape.explain(y, x).reason; // 'stopGradient'
   * tape.explain(y, scalar(1)).reason; // 'notWatched'
   * const flag = x.greater(2).cast('float32').mul(w); // greater has no gradient
   * tape.explain(flag, x).op; // 'greater'
   * ```
   */
  explain(target: Tensor, source: Tensor): GradientExplanation {
    const E = 'tapegrad.GradientTape.explain';
    checkTarget(E, target);
    if (!(source instanceof Tensor)) throw new TypeError(`${E}: source must be a tensor, got ${describe(source)}`);
    return explainGradient(
      {
        entries: this.entries,
        tracked: this.tracked,
        unrecorded: this.unrecorded,
        gaps: this.gaps,
        forgotten: this.forgotten,
        createdAt: this.createdAt,
        spentBy: this.consumed ? this.spentBy : undefined,
        watchAccessedVariables: this.watchAccessedVariables,
      },
      target,
      source,
    );
  }

  /** Throws, as TensorFlow, when a non-persistent tape already gave its result. */
  private checkNotConsumed(method: TapeMethod): void {
    if (!this.consumed) return;
    const spentBy = this.spentBy ?? 'gradient';
    const again = spentBy === method ? `${method}() more than once` : `${method}() after ${spentBy}()`;
    throw new Error(
      `tapegrad.GradientTape.${method}: this tape is not persistent and its ${spentBy}() was already called, ` +
        `which released what it recorded; create it with new GradientTape({ persistent: true }) to call ${again}`,
    );
  }

  /** What was recorded, for one backward computation; a non-persistent tape lets go of it. */
  private take(method: TapeMethod): { entries: readonly TapeEntry[]; tracked: IdSet } {
    const taken = { entries: this.entries, tracked: this.tracked };
    if (!this.persistent) {
      this.consumed = true;
      this.spentBy = method;
      this.entries = [];
      this.tracked = new IdSet();
      this.variables = [];
      this.unrecorded = [];
    }
    return taken;
  }

  /** Runs a backward computation: this tape does not record it, other recording tapes do. */
  private replaying<T>(method: TapeMethod, fn: () => T): T {
    const wasRecording = this.pause();
    const gap: IdGap = { from: peekTensorId(), to: Infinity, why: method };
    this.gaps.push(gap);
    try {
      return fn();
    } finally {
      gap.to = peekTensorId();
      if (wasRecording) this.resume();
    }
  }

  /** Whether any input is tracked, without watching anything. @internal */
  tracksAnyAlready(inputs: readonly Tensor[]): boolean {
    for (let i = 0; i < inputs.length; i++) if (this.tracked.has(inputs[i]!.id)) return true;
    return false;
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

/** The public methods that spend a non-persistent tape. */
type TapeMethod = 'gradient' | 'jacobian' | 'batchJacobian';

function unconnectedOption(where: string, options: GradientOptions | undefined): UnconnectedGradients {
  const unconnected = options?.unconnectedGradients ?? 'none';
  if (unconnected !== 'none' && unconnected !== 'zero') {
    throw new TypeError(`${where}: unconnectedGradients must be 'none' or 'zero', got ${JSON.stringify(unconnected)}`);
  }
  return unconnected;
}

function checkTarget(where: string, target: unknown): asserts target is Tensor {
  if (!(target instanceof Tensor)) throw new TypeError(`${where}: target must be a tensor, got ${describe(target)}`);
}
