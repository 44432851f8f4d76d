/// <reference lib="esnext.disposable" preserve="true" />
/**
 * GradientTape, as TensorFlow's `tf.GradientTape`. A tape keeps no list of
 * entries: ops hang what they recorded off their outputs (lib/recording.ts)
 * and the tape keeps what it watched and when it recorded
 * (lib/tape-history.ts). `gradient()` walks back from the targets, prunes to
 * the path from the sources (lib/backprop.ts) and replays it in reverse.
 */
import { isFloat } from './dtype.js';
import { replay, type BackpropPlan } from './backprop.js';
import { describeValue } from './format.js';
import { batchJacobianOf, jacobianOf } from './jacobian.js';
import { explainGradient, type GradientExplanation, type IdGap } from './explain.js';
import { formatShape } from './shape.js';
import {
  checkTarget,
  rebuild,
  seedsOf,
  sourceList,
  targetsOf,
  unconnectedOption,
  type Gradient,
  type GradientOptions,
  type GradientsOf,
  type GradientTapeOptions,
  type JacobianOptions,
  type Sources,
  type TapeMethod,
  type UnconnectedGradients,
} from './tape-arguments.js';
import { recordPrivately, recording } from './recording.js';
import { tapeGraphOf, type TapeGraph } from './tape-graph.js';
import { TapeHistory } from './tape-history.js';
import { Tensor } from './tensor.js';
import { zeros, zerosLike } from './creation.js';
import type { Variable } from './variable.js';

export type {
  Gradient,
  GradientOptions,
  GradientsOf,
  GradientTapeOptions,
  JacobianOptions,
  Sources,
  UnconnectedGradients,
} from './tape-arguments.js';
export type { TapeGraph, TapeGraphEdge, TapeGraphOp, TapeGraphTensor } from './tape-graph.js';

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
  /** What the tape watched and when it recorded: the ops themselves hang off their outputs. */
  private readonly history: TapeHistory;
  private stopped = false;
  private consumed = false;
  /** The call that spent a non-persistent tape. */
  private spentBy: TapeMethod | undefined;

  /**
   * A tape that records from now on: every op on a tensor it watches, and
   * (by default) on every trainable variable an op reads.
   *
   * @param options - `persistent` (allow more than one `gradient()` call; default false) and `watchAccessedVariables`
   *   (default true).
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
    this.history = new TapeHistory(this.watchAccessedVariables);
    this.history.start();
  }

  /**
   * Runs `fn` with this tape as the private one (lib/recording.ts `recordPrivately`): for a tape its maker never
   * hands out, whose saved values only its own gradient call reads.
   * @internal
   */
  recordPrivately<T>(fn: () => T): T {
    return recordPrivately(this.history.sequence, fn);
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
    return this.history.recording;
  }

  /**
   * Watches tensors, so ops on them are recorded and they can be gradient
   * sources. Integer and bool tensors are accepted and get no gradient.
   *
   * @param tensors - A tensor, an array of tensors, or a record of them.
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
      // A watched variable is listed by watchedVariables(), trainable or not, as TensorFlow's watched_variables().
      if (isFloat(x.dtype)) this.history.watch(x);
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
    return this.history.watchedVariables() as Variable[];
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
    if (!this.stopped) this.history.openGap('stopped');
    this.stopped = true;
    this.history.pause();
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
   * `fn` must be synchronous: an `async` function, or one that returns a
   * promise, throws a TypeError (an async function before it runs). The tape
   * records again as soon as `fn` returns, so the ops after an `await` inside
   * `fn` would run while it records, as if `stopRecording` were not there.
   * Await outside instead, and pause only the synchronous steps:
   * `const y = tape.stopRecording(() => x.mul(2)); await log(y);`.
   *
   * @param fn - The synchronous function to run unrecorded; its result is returned.
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
    const R = 'tapegrad.GradientTape.stopRecording';
    if (typeof fn !== 'function') throw new TypeError(`${R}: fn must be a function, got ${describeValue(fn)}`);
    const sync =
      '; ops after an await inside fn would run while the tape records again. Pass a synchronous function and ' +
      'await outside it: const y = tape.stopRecording(() => x.mul(2)); await use(y)';
    if (Object.prototype.toString.call(fn) === '[object AsyncFunction]') {
      throw new TypeError(`${R}: fn is an async function${sync}`);
    }
    const result = this.history.recording ? this.paused('stopRecording', fn) : fn();
    if (isThenable(result)) {
      // The caller gets this error instead of the promise: a later rejection of it must not also crash the process.
      result.then(undefined, () => {});
      throw new TypeError(`${R}: fn returned a promise${sync}`);
    }
    return result;
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
    this.history.reset();
    this.spentBy = undefined;
    this.consumed = false;
    if (!this.stopped) this.history.start();
  }

  /**
   * The gradients of `targets` with respect to `sources`: the sum over targets
   * of each target's output gradient (default ones) times its Jacobian.
   *
   * - `targets`: a tensor or an array; the gradients of all targets are summed.
   * - `sources`: a tensor, an array or a record of tensors; the result has the same structure
   *   (a record gets the same keys as own properties, even `'__proto__'`).
   * - `outputGradients`: one tensor per target, of the target's shape and dtype
   *   (`grad_ys` in `tf.gradients`); `undefined` entries mean ones.
   * - A source that no target depends on, one never watched, one cut off by
   *   `stopGradient`, or an int32/bool source gets `undefined`, or zeros with
   *   `{ unconnectedGradients: 'zero' }` (then the type is plain `Tensor`).
   * - A float source that is also a target gets that target's output gradient
   *   (ones by default), watched or not, as in TensorFlow, plus what flows to
   *   it from the other targets: `tape.gradient(x, x)` is ones.
   *
   * Each gradient has its source's shape and dtype. A non-persistent tape
   * gives one set of gradients and then drops its recording. Ops run by the
   * backward pass are recorded by other recording tapes, so nesting tapes
   * gives higher derivatives.
   *
   * @param targets - The tensor or tensors to differentiate; their gradients are summed.
   * @param sources - A tensor, an array or a record of tensors to differentiate with respect to; the result has its
   *   structure.
   * @param outputGradients - One seed per target, of its shape and dtype (`grad_ys` in `tf.gradients`); `undefined` or
   *   `null` for ones.
   * @param options - `unconnectedGradients`: `'none'` (default) gives `undefined` for an unconnected source, `'zero'`
   *   zeros.
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
    const unconnected = unconnectedOption('tapegrad.GradientTape.gradient', options);
    const targetList = targetsOf(targets);
    const seeds = seedsOf(targetList, outputGradients);
    const list = sourceList('GradientTape.gradient', sources);

    const plan = this.take('gradient', targetList, list);
    const grads = this.paused('gradient', () => replay(plan, seeds));
    this.letGo(plan, list);
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
   * - The target itself as a source gets the identity (its derivative with
   *   respect to itself), watched or not, as its `gradient()` gets ones.
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
   * @param target - The tensor to differentiate.
   * @param sources - A tensor, an array or a record of tensors, as for `gradient()`; the result has its structure.
   * @param options - `unconnectedGradients`: `'none'` (default) gives `undefined` for an unconnected source, `'zero'`
   *   zeros. `experimentalUseParallelFor` is ignored.
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

    const plan = this.take('jacobian', [target], list);
    const results = this.paused('jacobian', () => jacobianOf(plan, target, list, unconnected));
    this.letGo(plan, list);
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
   * @param target - The tensor to differentiate, batch along axis 0.
   * @param source - The tensor to differentiate with respect to, with the same batch size along axis 0.
   * @param options - `unconnectedGradients`: `'none'` (default) gives `undefined` for an unconnected source, `'zero'`
   *   zeros. `experimentalUseParallelFor` is ignored.
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
      throw new TypeError(`${B}: source must be a tensor, got ${describeValue(source)}`);
    }
    if (target.rank === 0 || source.rank === 0 || target.shape[0] !== source.shape[0]) {
      throw new Error(
        `${B}: target ${formatShape(target.shape)} and source ${formatShape(source.shape)} must both have ` +
          'a batch dimension 0 of the same size; use jacobian() for tensors without a batch dimension',
      );
    }
    const plan = this.take('batchJacobian', [target], [source]);
    const result = this.paused('batchJacobian', () => batchJacobianOf(plan, target, source));
    this.letGo(plan, [source]);
    if (result !== undefined) return result;
    const shape = [target.shape[0]!, ...target.shape.slice(1), ...source.shape.slice(1)];
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
   * `'tapeConsumed'`. A target that is the source itself is `'connected'`,
   * watched or not.
   *
   * On a non-persistent tape already spent by `gradient()` (or a Jacobian) it
   * still gives the real reason for a pair whose gradient was `undefined`,
   * and `'connected'` for a pair that got one. It answers `'tapeConsumed'`
   * only when the spending call let go of the recorded ops between the two
   * (which it does when no other tape may need them), so that the reason is
   * gone.
   *
   * `'connected'` means recorded ops lead from the source to the target (an
   * op's VJP could still return no gradient for that input). `stopGradient`
   * is an op without a gradient, so the tape notes where it cuts a path, also
   * when its result meets only constants on the way to the target.
   *
   * @param target - The tensor `gradient()` would differentiate.
   * @param source - The tensor it would differentiate with respect to.
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
    if (!(source instanceof Tensor)) throw new TypeError(`${E}: source must be a tensor, got ${describeValue(source)}`);
    return explainGradient(
      this.history.explainRecord(target, source, this.consumed ? this.spentBy : undefined),
      target,
      source,
    );
  }

  /**
   * The part of the tape behind `targets`, for drawing it (see {@link toDot}): the ops it recorded, in the order
   * they ran, with their input and output tensor ids; the tensors they connect (ids, shapes, dtypes, roles); and
   * the edges between them. It marks the path from `sources` to `targets` that `gradient()` replays, the ops
   * without a gradient where that path is cut (`stopGradient`), and the inputs the tape does not track
   * (constants, and sources nobody watched). Callable before `gradient()`: it replays nothing and spends nothing.
   * The sources and targets are always listed; a non-persistent tape already spent gives an empty graph.
   *
   * @param targets - The tensor or tensors whose recorded history to draw.
   * @param sources - A tensor, an array or a record of tensors: the path from them to `targets` is marked.
   *
   * @example
   * ```ts
   * import { GradientTape, scalar, stopGradient } from 'tapegrad';
   * const x = scalar(3), w = scalar(2);
   * const tape = new GradientTape();
   * tape.watch(x);
   * const y = x.square().mul(2).add(stopGradient(x).mul(w));
   * const graph = tape.toGraph(y, [x, w]);
   * graph.ops.map((o) => o.op); // ['square', 'mul', 'stopGradient', 'add']
   * graph.ops.filter((o) => o.onPath).map((o) => o.op); // ['square', 'mul', 'add']
   * graph.ops.filter((o) => o.cut).map((o) => o.op); // ['stopGradient']
   * graph.tensors.filter((t) => t.unwatched && t.role === 'source').length; // 1: w was never watched
   * tape.gradient(y, x); // 12: toGraph spent nothing
   * ```
   */
  toGraph(targets: Tensor | readonly Tensor[], sources: Sources): TapeGraph {
    const targetList = targetsOf(targets);
    const list = sourceList('GradientTape.toGraph', sources);
    if (this.consumed) return { tensors: [], ops: [], edges: [] };
    return tapeGraphOf(this.history, targetList, list);
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

  /**
   * The recorded ops that `targets` depend on and the ids of the sources the
   * tape tracks, for one backward computation; a non-persistent tape is spent.
   */
  private take(method: TapeMethod, targets: readonly Tensor[], sources: readonly Tensor[]): BackpropPlan {
    const { plan } = this.history.plan(targets, sources);
    if (!this.persistent) {
      this.consumed = true;
      this.spentBy = method;
      this.history.release();
    }
    return plan;
  }

  /**
   * After a spent tape's backward pass: when no other tape may read them,
   * cuts the ops it replayed off their outputs, so the tensors a user keeps
   * (a loss for a log) do not hold the graph, as in TensorFlow, where a
   * non-persistent tape's recording is gone after `gradient()`.
   */
  private letGo(plan: BackpropPlan, sources: readonly Tensor[]): void {
    if (!this.consumed || recording.liveTapes !== 0 || plan.path.length === 0) return;
    this.history.cutOff(plan, sources);
  }

  /** Runs `fn` with this tape paused (other tapes still record), noting the gap for explain(). */
  private paused<T>(why: IdGap['why'], fn: () => T): T {
    const wasRecording = this.history.pause();
    const gap = this.history.openGap(why);
    try {
      return fn();
    } finally {
      this.history.closeGap(gap);
      if (wasRecording && !this.stopped && !this.consumed) this.history.start();
    }
  }
}

/** Whether `value` is a promise, or any object with a `then` method. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
