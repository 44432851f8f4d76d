/**
 * `defineOp`: the one place an op is declared, its forward computation and
 * its vector-Jacobian product side by side. Running an op computes its value
 * at once and records one small entry on every recording tape that watches
 * one of its inputs.
 */
import { isFloat } from './dtype.js';
import { record, recordingTapes } from './tape.js';
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

/** An op: its name, its forward computation and its VJP. */
export interface OpDef<A = unknown> {
  readonly name: string;
  /** Computes the output from the inputs with kernels; never records. */
  readonly forward: (inputs: readonly Tensor[], attrs: A) => Tensor;
  /** The VJP, or `'none'` for an op with no gradient (comparisons, casts to integers). */
  readonly vjp: VjpRule<A> | 'none';
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
    if (differentiable && recordingTapes.length !== 0 && isFloat(output.dtype)) {
      record(op as OpDef<unknown>, inputs, output, attrs);
    }
    return output;
  };
}
