/// <reference lib="esnext.disposable" preserve="true" />
/**
 * Forward-mode automatic differentiation: a {@link ForwardAccumulator}
 * carries a tangent alongside each primal and pushes it through every op as
 * the op runs, so a Jacobian-vector product is ready when the computation
 * ends, with no tape and nothing kept for a backward pass.
 *
 * How an op's output tangent is computed (`outputTangent`):
 *
 * - An op may declare a `jvp` rule (`OpDef.jvp`): one contribution `J_i t_i`
 *   per input that has a tangent, written in ops. The hot, simple families
 *   (element-wise math, matmul, sum/mean, reshape/transpose/broadcastTo, cast,
 *   identity, where) have one: it costs about as much as the forward.
 * - Any other op gets forward mode from its VJP alone, by transposition. The
 *   VJP `u -> J^T u` is linear in `u`, so `g(u) = sum_i <VJP(u)_i, t_i>` equals
 *   `<u, J t>`, and its gradient with respect to `u` is `J t`: the JVP. We
 *   evaluate the VJP at `u = 0` under an internal tape watching `u` and ask
 *   that tape for `dg/du`. This costs a VJP and its backward pass (about three
 *   forwards), but it needs nothing from the op beyond the VJP that every
 *   differentiable op has, so ops added later get forward mode for free.
 *   (The shortcut JVP(t) = VJP(t) holds only for element-wise ops, whose
 *   Jacobian is diagonal; it cannot be applied without knowing the op is one.)
 *
 * Tangents are computed with ops, so they are themselves differentiable:
 * while accumulator `k` computes a tangent, the accumulators activated before
 * it stay active and take the tangents of those ops (forward over forward),
 * and recording tapes record them (reverse over forward). Ops a tape's
 * backward pass runs are seen by active accumulators (forward over reverse).
 */
import { describeValue } from './format.js';
import { convertToTensor, zeros, zerosLike } from './creation.js';
import { isFloat } from './dtype.js';
import type { OpDef, VjpRule } from './op.js';
import { add, broadcastTo, identity, mul, sum } from './ops/index.js';
import { forwardMode } from './recording.js';
import { broadcastsTo, formatShape, shapesEqual } from './shape.js';
import { GradientTape, type GradientsOf, type Sources, type UnconnectedGradients } from './tape.js';
import { setOwn } from './tape-arguments.js';
import { Tensor, type TensorLike } from './tensor.js';

/** What an accumulator keeps: a tangent per primal, weakly, so dropped tensors drop their tangents. */
interface AccumulatorState {
  readonly tangents: WeakMap<Tensor, Tensor>;
}

/**
 * The active accumulators, in the order they were activated (outermost
 * first). `defineOp` checks its length, so an op costs nothing more while it
 * is empty.
 * @internal
 */
const activeAccumulators: AccumulatorState[] = [];

/** Tells op.ts (through the recording context) how many accumulators are active. */
function synced(): void {
  forwardMode.active = activeAccumulators.length;
}

/**
 * Runs `fn` with no forward accumulator active, and returns its result.
 * @internal
 */
export function withoutAccumulators<T>(fn: () => T): T {
  const paused = activeAccumulators.splice(0);
  synced();
  try {
    return fn();
  } finally {
    activeAccumulators.push(...paused);
    synced();
  }
}

/**
 * Gives `output` a tangent in every active accumulator in which some input
 * has one. Accumulators are served outermost first, so an inner one's tangent
 * ops find the output's outer tangents already there. While accumulator `k`
 * computes, it and those activated after it are paused: only outer
 * accumulators see its ops.
 * @internal
 */
function propagateTangents(op: OpDef<unknown>, inputs: readonly Tensor[], output: Tensor, attrs: unknown): void {
  const active = activeAccumulators;
  for (let k = 0; k < active.length; k++) {
    const state = active[k]!;
    let tangents: (Tensor | undefined)[] | undefined;
    for (let i = 0; i < inputs.length; i++) {
      const t = state.tangents.get(inputs[i]!);
      if (t === undefined) continue;
      tangents ??= new Array<Tensor | undefined>(inputs.length).fill(undefined);
      tangents[i] = t;
    }
    if (tangents === undefined) continue;
    const paused = active.splice(k);
    synced();
    let t: Tensor | undefined;
    try {
      t = outputTangent(op, inputs, output, attrs, tangents);
    } finally {
      active.push(...paused);
      synced();
    }
    if (t !== undefined) state.tangents.set(output, t);
  }
}

/** The tangent of `output`: the sum of the contributions `J_i t_i`, checked against the output. */
function outputTangent(
  op: OpDef<unknown>,
  inputs: readonly Tensor[],
  output: Tensor,
  attrs: unknown,
  tangents: readonly (Tensor | undefined)[],
): Tensor | undefined {
  const parts =
    op.jvp !== undefined
      ? op.jvp(tangents, inputs, output, attrs)
      : [transposedVjp(op, inputs, output, attrs, tangents)];
  let t: Tensor | undefined;
  for (const part of parts) if (part !== undefined) t = t === undefined ? part : add(t, part);
  if (t === undefined) return undefined;
  // A contribution may have an input's (broadcastable) shape, as add's does: spread it once, here.
  if (!shapesEqual(t.shape, output.shape) && broadcastsTo(t.shape, output.shape)) t = broadcastTo(t, output.shape);
  if (!shapesEqual(t.shape, output.shape) || t.dtype !== output.dtype) {
    throw new Error(
      `tapegrad.${op.name}: the forward-mode tangent is ${t.dtype} ${formatShape(t.shape)} but the output is ` +
        `${output.dtype} ${formatShape(output.shape)}; this is a bug in the op's ${op.jvp ? 'JVP' : 'VJP'} rule, please report it`,
    );
  }
  return t;
}

/**
 * `J t` from the VJP alone: the gradient with respect to `u` of
 * `g(u) = sum_i <VJP(u)_i, t_i>`, which is `<u, J t>` because the VJP is
 * linear in `u`. `u = 0` will do for the same reason. The VJP's gradients come
 * in the shapes the op broadcast each input to; `mul` broadcasts `t_i` to
 * match, which is the transpose of the tape's summing back.
 */
function transposedVjp(
  op: OpDef<unknown>,
  inputs: readonly Tensor[],
  output: Tensor,
  attrs: unknown,
  tangents: readonly (Tensor | undefined)[],
): Tensor | undefined {
  const vjp = op.vjp as VjpRule<unknown>;
  const u = zeros(output.shape, output.dtype);
  const tape = new GradientTape({ watchAccessedVariables: false });
  let g: Tensor | undefined;
  try {
    tape.watch(u);
    const needs = tangents.map((t) => t !== undefined);
    const dxs = vjp(u, inputs, output, attrs, needs);
    tangents.forEach((t, i) => {
      const dx = dxs[i];
      if (t === undefined || dx === undefined) return;
      const term = sum(mul(dx, t));
      g = g === undefined ? term : add(g, term);
    });
  } finally {
    tape.stop();
  }
  return g === undefined ? undefined : tape.gradient(g, u);
}

/** Options of {@link ForwardAccumulator.jvp}. */
export interface JvpOptions<U extends UnconnectedGradients = UnconnectedGradients> {
  /** `'none'` (default): `undefined` for a tensor with no tangent; `'zero'`: zeros of its shape. */
  unconnectedGradients?: U;
}

const A = 'tapegrad.ForwardAccumulator';

/**
 * Computes Jacobian-vector products in forward mode, as TensorFlow's
 * `tf.autodiff.ForwardAccumulator`: each watched primal carries a tangent,
 * and every op run while the accumulator is active gives its output the
 * tangent `J t` at once. {@link ForwardAccumulator.jvp | `acc.jvp(y)`} then
 * reads it. No tape is needed and nothing is kept for a backward pass.
 *
 * Like a {@link GradientTape} it is active from construction until `stop()`,
 * disposal (`using acc = ...`), or the end of `acc.run(fn)`. Accumulators
 * nest: an inner accumulator's tangent computations are seen by the outer
 * ones (higher-order forward derivatives), and an accumulator around a tape's
 * `gradient()` call differentiates the backward pass (Hessian-vector products).
 *
 * @example
 * ```ts
 * import { ForwardAccumulator, tensor } from 'tapegrad';
 * const x = tensor([1, 2, 3]);
 * const acc = new ForwardAccumulator(x, tensor([1, 0, 0]));
 * const y = x.square().sum(); // 14
 * acc.stop();
 * acc.jvp(y); // 2: the directional derivative of sum(x^2) along [1, 0, 0]
 * ```
 */
export class ForwardAccumulator {
  private readonly state: AccumulatorState = { tangents: new WeakMap() };

  /**
   * An accumulator that is active from now on, watching `primals` with their
   * `tangents`: one tensor and its tangent, or two arrays of the same length.
   * A tangent has its primal's shape; numbers and arrays take its dtype.
   * Listing a primal twice throws (sum its tangents instead, as TensorFlow
   * asks). Int32 and bool primals are accepted and get no tangent.
   *
   * @param primals - The tensor or tensors to watch.
   * @param tangents - The tangent of each primal, of its shape (numbers and arrays take its dtype): one for a tensor,
   *   an array for an array.
   *
   * @example
   * ```ts
   * import { ForwardAccumulator, tensor } from 'tapegrad';
   * const a = tensor([1, 2]), b = tensor([3, 4]);
   * const acc = new ForwardAccumulator([a, b], [[1, 0], [0, 1]]);
   * const y = a.mul(b); // [3, 8]
   * acc.stop();
   * acc.jvp(y); // [3, 2]: t_a b + a t_b
   * ```
   */
  constructor(primals: Tensor | readonly Tensor[], tangents: TensorLike | readonly TensorLike[]) {
    this.watchAll(A, primals, tangents);
    activeAccumulators.push(this.state);
    synced();
  }

  /**
   * Whether ops are being differentiated by this accumulator now.
   *
   * @example
   * ```ts
   * import { ForwardAccumulator, scalar } from 'tapegrad';
   * const acc = new ForwardAccumulator(scalar(1), 1);
   * acc.active; // true
   * acc.stop();
   * acc.active; // false
   * ```
   */
  get active(): boolean {
    return activeAccumulators.includes(this.state);
  }

  /**
   * Watches more primals with their tangents, as the constructor does; ops
   * on them run from now on while the accumulator is active carry tangents.
   * A tensor that already has a tangent here (watched, or computed from a
   * watched primal) cannot be watched again: that throws.
   *
   * @param primals - The tensor or tensors to watch.
   * @param tangents - The tangent of each primal, of its shape (numbers and arrays take its dtype): one for a tensor,
   *   an array for an array.
   *
   * @example
   * ```ts
   * import { ForwardAccumulator, tensor } from 'tapegrad';
   * const x = tensor([1, 2]), w = tensor([3, 4]);
   * const acc = new ForwardAccumulator(x, [1, 1]);
   * acc.watch(w, [0, 1]);
   * const y = x.mul(w); // [3, 8]
   * acc.stop();
   * acc.jvp(y); // [3, 6]: t_x w + x t_w
   * ```
   */
  watch(primals: Tensor | readonly Tensor[], tangents: TensorLike | readonly TensorLike[]): void {
    this.watchAll(`${A}.watch`, primals, tangents);
  }

  /**
   * The tangents of `primals` (a tensor, an array or a record of tensors; the
   * result has the same structure): for a watched primal its tangent, for a
   * tensor computed from watched primals while the accumulator was active its
   * Jacobian-vector product. Anything else gets `undefined`, or zeros with
   * `{ unconnectedGradients: 'zero' }`. It only looks up what was computed.
   *
   * @param primals - A tensor, an array or a record of tensors whose tangents to look up; the result has its structure.
   * @param options - `unconnectedGradients`: `'none'` (default) gives `undefined` for a tensor without a tangent,
   *   `'zero'` zeros.
   *
   * @example
   * ```ts
   * import { ForwardAccumulator, scalar } from 'tapegrad';
   * const x = scalar(3), c = scalar(5);
   * const acc = new ForwardAccumulator(x, 1);
   * const y = x.mul(x); // 9
   * acc.stop();
   * acc.jvp(y); // 6
   * acc.jvp({ y, c }); // { y: 6, c: undefined }
   * acc.jvp(c, { unconnectedGradients: 'zero' }); // 0
   * ```
   */
  jvp<S extends Sources, U extends UnconnectedGradients = 'none'>(
    primals: S,
    options?: JvpOptions<U>,
  ): GradientsOf<S, U> {
    const unconnected = options?.unconnectedGradients ?? 'none';
    if (unconnected !== 'none' && unconnected !== 'zero') {
      throw new TypeError(
        `${A}.jvp: unconnectedGradients must be 'none' or 'zero', got ${JSON.stringify(unconnected)}`,
      );
    }
    const pick = (x: unknown, where: string): Tensor | undefined => {
      if (!(x instanceof Tensor)) {
        throw new TypeError(`${A}.jvp: primals${where} is not a tensor (got ${describeValue(x)})`);
      }
      return this.state.tangents.get(x) ?? (unconnected === 'zero' ? zerosLike(x) : undefined);
    };
    if (primals instanceof Tensor) return pick(primals, '') as GradientsOf<S, U>;
    if (Array.isArray(primals)) return primals.map((x: unknown, i) => pick(x, `[${i}]`)) as GradientsOf<S, U>;
    if (primals === null || typeof primals !== 'object') {
      throw new TypeError(
        `${A}.jvp: expected a tensor, an array or a record of tensors, got ${describeValue(primals)}`,
      );
    }
    const out: Record<string, Tensor | undefined> = {};
    for (const [k, x] of Object.entries(primals)) setOwn(out, k, pick(x, `['${k}']`));
    return out as GradientsOf<S, U>;
  }

  /**
   * Makes the accumulator active again after `stop()` (nothing happens if it
   * is active). It then counts as the innermost accumulator.
   *
   * @example
   * ```ts
   * import { ForwardAccumulator, scalar } from 'tapegrad';
   * const x = scalar(2);
   * const acc = new ForwardAccumulator(x, 1);
   * acc.stop();
   * const skipped = x.square(); // not differentiated
   * acc.start();
   * const y = x.square();
   * acc.stop();
   * acc.jvp(skipped); // undefined
   * acc.jvp(y); // 4
   * ```
   */
  start(): void {
    if (!this.active) activeAccumulators.push(this.state);
    synced();
  }

  /**
   * Stops differentiating ops; `jvp()` still reads what was computed.
   *
   * @example
   * ```ts
   * import { ForwardAccumulator, scalar } from 'tapegrad';
   * const x = scalar(2);
   * const acc = new ForwardAccumulator(x, 1);
   * const y = x.square();
   * acc.stop();
   * const z = y.mul(3); // not differentiated
   * acc.jvp(y); // 4
   * acc.jvp(z); // undefined
   * ```
   */
  stop(): void {
    const i = activeAccumulators.indexOf(this.state);
    if (i >= 0) activeAccumulators.splice(i, 1);
    synced();
  }

  /**
   * Runs `fn` with the accumulator active, stops it when `fn` returns or
   * throws (TensorFlow's `with acc:` block), and returns `fn`'s result.
   *
   * @param fn - The function to run with the accumulator active; its result is returned.
   *
   * @example
   * ```ts
   * import { ForwardAccumulator, scalar } from 'tapegrad';
   * const x = scalar(3);
   * const acc = new ForwardAccumulator(x, 1);
   * const y = acc.run(() => x.square().add(x)); // 12
   * acc.active; // false
   * acc.jvp(y); // 7: d(x^2 + x)/dx = 2x + 1
   * ```
   */
  run<T>(fn: () => T): T {
    this.start();
    try {
      return fn();
    } finally {
      this.stop();
    }
  }

  /**
   * Stops the accumulator: `using acc = new ForwardAccumulator(...)` stops it at the end of the block.
   *
   * @example
   * ```ts
   * import { ForwardAccumulator, scalar, type Tensor } from 'tapegrad';
   * function slope(f: (x: Tensor) => Tensor, x: Tensor): Tensor | undefined {
   *   using acc = new ForwardAccumulator(x, 1); // stopped when slope returns
   *   return acc.jvp(f(x));
   * }
   * slope((x) => x.square(), scalar(3)); // 6
   * ```
   */
  [Symbol.dispose](): void {
    this.stop();
  }

  private watchAll(
    op: string,
    primals: Tensor | readonly Tensor[],
    tangents: TensorLike | readonly TensorLike[],
  ): void {
    if (primals instanceof Tensor) {
      this.watchOne(op, primals, tangents as TensorLike, '');
      return;
    }
    if (!Array.isArray(primals)) {
      throw new TypeError(`${op}: primals must be a tensor or an array of tensors, got ${describeValue(primals)}`);
    }
    if (!Array.isArray(tangents) || tangents.length !== primals.length) {
      throw new Error(
        `${op}: got ${primals.length} primals but ${Array.isArray(tangents) ? tangents.length : 'no array of'} ` +
          'tangents; give one tangent per primal, in the same order',
      );
    }
    const seen = new Set<Tensor>();
    primals.forEach((x: unknown, i) => {
      if (!(x instanceof Tensor)) throw new TypeError(`${op}: primals[${i}] is not a tensor (got ${describeValue(x)})`);
      if (seen.has(x)) {
        throw new Error(
          `${op}: primals[${i}] is listed more than once; a primal has one tangent, so pass it once with the ` +
            'sum of its tangents',
        );
      }
      seen.add(x);
    });
    primals.forEach((x, i) => this.watchOne(op, x, tangents[i] as TensorLike, `[${i}]`));
  }

  private watchOne(op: string, primal: Tensor, tangent: TensorLike, where: string): void {
    if (!isFloat(primal.dtype)) return;
    const t = convertToTensor(op.replace(/^tapegrad\./, ''), `tangents${where}`, tangent, primal.dtype);
    if (!shapesEqual(t.shape, primal.shape)) {
      throw new Error(
        `${op}: tangents${where} has shape ${formatShape(t.shape)} but primals${where} has shape ` +
          `${formatShape(primal.shape)}; a tangent must have its primal's shape`,
      );
    }
    if (t.dtype !== primal.dtype) {
      throw new TypeError(
        `${op}: tangents${where} is ${t.dtype} but primals${where} is ${primal.dtype}; ` +
          `cast it with cast(t, '${primal.dtype}')`,
      );
    }
    if (this.state.tangents.has(primal)) {
      throw new Error(
        `${op}: primals${where} already has a tangent in this accumulator (watched, or computed from a watched ` +
          'primal); watch each tensor once, or watch identity(x) to start a new one',
      );
    }
    this.state.tangents.set(primal, t);
  }
}

/** The output tangents of {@link jvp}: one tensor, or an array of them, as `f` returns. */
export type TangentsOf<O extends Tensor | readonly Tensor[]> = O extends Tensor ? Tensor : Tensor[];

/**
 * Evaluates `f(...primals)` and its Jacobian-vector product along `tangents`
 * in one forward pass, returning `[outputs, outputTangents]` as JAX's
 * `jax.jvp` and `torch.func.jvp`. `primals` and `tangents` are arrays of the
 * same length, one entry per argument of `f`; a single primal tensor takes a
 * single tangent. Each tangent has its primal's shape and dtype (numbers and
 * arrays take it). `f` may
 * return a tensor or an array of tensors; an output that does not depend on
 * the primals gets a tangent of zeros. Primals must be float32 or float64.
 *
 * It composes: a `jvp` inside `f` of another gives second derivatives, and
 * tapes recording around it differentiate the tangents.
 *
 * @param f - The function: tensors in, a tensor or an array of tensors out.
 * @param primals - The arguments of `f`: an array of tensors (or numbers or arrays), or one tensor; float32 or float64.
 * @param tangents - The tangent of each primal, of its shape and dtype: an array of the same length, or one for a
 *   single primal tensor.
 *
 * @example
 * ```ts
 * import { jvp, scalar, tensor } from 'tapegrad';
 * const [y, dy] = jvp((x) => x.square(), [tensor([1, 2])], [tensor([1, 1])]);
 * y;  // [1, 4]
 * dy; // [2, 4]
 * jvp((x) => x.mul(3), tensor([1, 2]), [1, -1])[1]; // [3, -3]
 * const [, d2] = jvp((x) => jvp((z) => z.mul(z).mul(z), [x], [1])[1], [scalar(2)], [1]);
 * d2; // 12: the second derivative of x^3 at 2
 * ```
 */
export function jvp<O extends Tensor | readonly Tensor[]>(
  f: (...primals: Tensor[]) => O,
  primals: Tensor | readonly TensorLike[],
  tangents: TensorLike | readonly TensorLike[],
): [O, TangentsOf<O>] {
  const J = 'tapegrad.jvp';
  if (typeof f !== 'function') throw new TypeError(`${J}: f must be a function, got ${describeValue(f)}`);
  const single = primals instanceof Tensor;
  const ps = single ? [primals] : primals;
  if (!Array.isArray(ps)) {
    throw new TypeError(`${J}: primals must be an array (one entry per argument of f), got ${describeValue(primals)}`);
  }
  // One primal tensor has one tangent, even one written as a nested array.
  const ts = single ? [tangents] : tangents;
  if (!Array.isArray(ts) || ts.length !== ps.length) {
    throw new Error(
      `${J}: got ${ps.length} primals but ${Array.isArray(ts) ? ts.length : 'no array of'} tangents; ` +
        'give one tangent per primal, in the same order',
    );
  }
  // Fresh primals: the same tensor may be passed twice, and outer accumulators
  // and tapes still see through identity to the caller's tensors.
  const xs = (ps as readonly TensorLike[]).map((p, i) => {
    const x = convertToTensor('jvp', `primals[${i}]`, p);
    if (!isFloat(x.dtype)) {
      throw new TypeError(
        `${J}: primals[${i}] is ${x.dtype}; only float32 and float64 primals have tangents, so cast it ` +
          "(cast(x, 'float32')) or let f close over it",
      );
    }
    return identity(x);
  });
  const acc = new ForwardAccumulator(xs, ts as readonly TensorLike[]);
  const outputs = acc.run(() => f(...xs));
  const list: readonly unknown[] = outputs instanceof Tensor ? [outputs] : Array.isArray(outputs) ? outputs : [outputs];
  list.forEach((y, i) => {
    if (!(y instanceof Tensor)) {
      throw new TypeError(
        `${J}: f must return a tensor or an array of tensors, but ${outputs instanceof Tensor || !Array.isArray(outputs) ? 'it' : `output ${i}`} is ${describeValue(y)}`,
      );
    }
  });
  const outTangents = acc.jvp(list as Tensor[], { unconnectedGradients: 'zero' });
  return [outputs, (outputs instanceof Tensor ? outTangents[0] : outTangents) as TangentsOf<O>];
}

// Ops (lib/op.ts, below this module) feed tangents through the recording context.
forwardMode.propagate = propagateTangents;
