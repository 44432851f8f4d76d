/**
 * `defineOp`: the one place an op is declared, its forward computation and
 * its vector-Jacobian product side by side. Running an op computes its value
 * at once and records one small entry on every recording tape that watches
 * one of its inputs, and gives its output a tangent in every active forward
 * accumulator (lib/forward.ts) in which one of its inputs has one.
 */
import { isFloat } from './dtype.js';
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

/** An op: its name, its forward computation and its VJP. */
export interface OpDef<A = unknown> {
  readonly name: string;
  /** Computes the output from the inputs with kernels; never records. */
  readonly forward: (inputs: readonly Tensor[], attrs: A) => Tensor;
  /** The VJP, or `'none'` for an op with no gradient (comparisons, casts to integers). */
  readonly vjp: VjpRule<A> | 'none';
  /** The JVP, for forward mode; optional (derived from the VJP when absent, at about three times the cost). */
  readonly jvp?: JvpRule<A>;
}

/** Every op defined so far, by name: the spec's gradient-check table is checked against it. */
export const opRegistry = new Map<string, OpDef<never>>();

/**
 * Declares an op and returns the function that runs it on already-converted
 * tensor inputs. Public wrappers convert arguments and check them first.
 */
export function defineOp<A = undefined>(
  name: string,
  def: Omit<OpDef<A>, 'name'>,
): (inputs: readonly Tensor[], attrs: A) => Tensor {
  if (opRegistry.has(name)) throw new Error(`tapegrad.defineOp: an op named '${name}' is already defined`);
  const op: OpDef<A> = { name, ...def };
  opRegistry.set(name, op as OpDef<never>);
  const differentiable = op.vjp !== 'none';
  return (inputs, attrs) => {
    const output = op.forward(inputs, attrs);
    if (recording.tapes > 0) {
      recordOp(op as OpDef<unknown>, differentiable, inputs, output, attrs);
    }
    if (differentiable && forwardMode.active !== 0 && isFloat(output.dtype)) {
      forwardMode.propagate(op as OpDef<unknown>, inputs, output, attrs);
    }
    return output;
  };
}
