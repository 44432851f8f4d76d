/**
 * `defineOp`: the one place an op is declared, its forward computation and
 * its vector-Jacobian product side by side. Running an op computes its value
 * at once, hangs a small node off its output when a tape could want it
 * (lib/recording.ts), and gives its output a tangent in every active forward
 * accumulator (lib/forward.ts, which registers itself in `forwardMode`) in
 * which one of its inputs has one.
 */
import { isFloat } from './dtype.js';
import { placement } from './kernels/placement.js';
import { checkOutput, noteCallSite, numerics } from './numerics.js';
import { forwardMode, recordOp, recording } from './recording.js';
import type { Tensor } from './tensor.js';

/**
 * The vector-Jacobian product of an op: given `dy`, the gradient of the
 * output, return one gradient per input (`undefined` where there is none), each
 * in the shape the op broadcast that input to; the tape sums it back to the
 * input's shape. `needs[i]` says whether input `i` wants a gradient, so an
 * expensive one can be skipped. Written in tapegrad ops only (never `.values`),
 * so that a nested tape differentiates it again.
 */
export type VjpRule<A> = (
  dy: Tensor,
  inputs: readonly Tensor[],
  output: Tensor,
  attrs: A,
  needs: readonly boolean[],
) => readonly (Tensor | undefined)[];

/**
 * The Jacobian-vector product of an op, for forward mode: given one tangent
 * per input (`undefined` where an input has none), return each input's
 * contribution `J_i t_i` to the output's tangent (`undefined` where there is
 * none), in the output's shape or one that broadcasts to it; the contributions
 * are summed and broadcast to the output's shape in one place. Written in
 * tapegrad ops only, so that tangents are differentiable in turn. An op
 * without one gets forward mode from its VJP by transposition (lib/forward.ts).
 */
export type JvpRule<A> = (
  tangents: readonly (Tensor | undefined)[],
  inputs: readonly Tensor[],
  output: Tensor,
  attrs: A,
) => readonly (Tensor | undefined)[];

/**
 * The op registry: every op's name with the type of its attributes
 * (`undefined` for none), in one of two interfaces: ops with a gradient and
 * ops without (`vjp: 'none'`). Both are empty here; each op family fills them
 * by declaration merging, beside its `defineOp` calls:
 *
 * ```ts
 * declare module '../op.js' {
 *   interface OpsWithGradient {
 *     softmax: AxisAttrs;
 *   }
 *   interface OpsWithoutGradient {
 *     argMax: { readonly axis: number };
 *   }
 * }
 * ```
 *
 * So op names are one union, {@link OpName}: `defineOp` takes only declared
 * names, an op's rules are typed by its entry (a VJP rule exactly when it has
 * a gradient), and the spec's gradient table must have a row for every
 * {@link DifferentiableOpName}, or it does not compile. (An entry names no
 * type of this module: in a compiled `.d.ts` the augmentation could not see it.)
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by the op families
export interface OpsWithGradient {}

/** The ops without a gradient, by name, with their attributes: see {@link OpsWithGradient}. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by the op families
export interface OpsWithoutGradient {}

/** The name of an op with a gradient: each has a row in the spec's gradient table. */
export type DifferentiableOpName = keyof OpsWithGradient;

/** The name of an op of tapegrad. */
export type OpName = keyof OpsWithGradient | keyof OpsWithoutGradient;

/** The attributes of op `N`. */
export type AttrsOf<N extends OpName> = N extends keyof OpsWithGradient
  ? OpsWithGradient[N]
  : N extends keyof OpsWithoutGradient
    ? OpsWithoutGradient[N]
    : never;

/** The name of an op a spec makes to probe the machinery: outside the registry, so no row is asked of it. */
export type SpecOpName = `spec.${string}`;

/** An op: its name, its forward computation and its VJP. */
export interface OpDef<A = unknown> {
  readonly name: OpName | SpecOpName;
  /** Computes the output from the inputs with kernels; never records. */
  readonly forward: (inputs: readonly Tensor[], attrs: A) => Tensor;
  /** The VJP, or `'none'` for an op with no gradient (comparisons, casts to integers). */
  readonly vjp: VjpRule<A> | 'none';
  /** The JVP, for forward mode; optional (derived from the VJP when absent, at about three times the cost). */
  readonly jvp?: JvpRule<A>;
}

/** The rules of op `N`, as its registry entry says: a VJP (and optionally a JVP), or `vjp: 'none'`. */
export type RulesOf<N extends OpName> = N extends keyof OpsWithGradient
  ? {
      readonly forward: OpDef<OpsWithGradient[N]>['forward'];
      readonly vjp: VjpRule<OpsWithGradient[N]>;
      readonly jvp?: JvpRule<OpsWithGradient[N]>;
    }
  : N extends keyof OpsWithoutGradient
    ? { readonly forward: OpDef<OpsWithoutGradient[N]>['forward']; readonly vjp: 'none' }
    : never;

/** An op as `defineOp` returns it: run on already-converted inputs with its attributes. */
export type OpRunner<A> = (inputs: readonly Tensor[], attrs: A) => Tensor;

/** Every op defined so far, by name: the spec's gradient-check table is checked against it. */
export const opRegistry = new Map<OpName | SpecOpName, OpDef<never>>();

/**
 * Declares an op and returns the function that runs it on already-converted
 * tensor inputs. Public wrappers convert arguments and check them first. The
 * name must be declared in {@link OpsWithGradient} or {@link OpsWithoutGradient},
 * which type its attributes and say whether it has a VJP; a spec's probe op is
 * named `spec.<anything>`.
 */
export function defineOp<N extends OpName>(name: N, def: RulesOf<N>): OpRunner<AttrsOf<N>>;
export function defineOp<A = undefined>(name: SpecOpName, def: Omit<OpDef<A>, 'name'>): OpRunner<A>;
export function defineOp<A>(name: OpName | SpecOpName, def: Omit<OpDef<A>, 'name'>): OpRunner<A> {
  if (opRegistry.has(name)) throw new Error(`tapegrad.defineOp: an op named '${name}' is already defined`);
  const op: OpDef<A> = { name, ...def };
  opRegistry.set(name, op as OpDef<never>);
  const differentiable = op.vjp !== 'none';
  const run: OpRunner<A> = (inputs, attrs) => {
    const caller = placement.op;
    placement.op = name;
    let output: Tensor;
    try {
      output = op.forward(inputs, attrs);
    } finally {
      placement.op = caller;
    }
    if (numerics.on) checkOutput(op as OpDef<unknown>, inputs, output, run);
    for (let i = 0; i < inputs.length; i++) {
      // An output over a variable's own array (reshape, identity) keeps that array: no update may write into it.
      const x = inputs[i]!;
      if (x.storage === output.storage) x.markShared();
    }
    if (recording.tapes > 0) {
      recordOp(op as OpDef<unknown>, differentiable, inputs, output, attrs);
      if (numerics.on && output.node !== undefined) noteCallSite(output.node, run);
    }
    if (differentiable && forwardMode.active !== 0 && isFloat(output.dtype)) {
      forwardMode.propagate(op as OpDef<unknown>, inputs, output, attrs);
    }
    return output;
  };
  return run;
}
