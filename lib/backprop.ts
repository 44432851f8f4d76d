/**
 * The backward replay: walk a tape's entries in reverse, call each VJP on the
 * incoming gradient, sum each result back to its input's shape, and
 * accumulate. Everything here is done with differentiable ops, so a tape
 * recording outside this replay records the backward pass too.
 */
import type { OpDef } from './op.js';
import { add, reshape, sum } from './ops/index.js';
import { onesLike } from './creation.js';
import { broadcastAxes, broadcastsTo, formatShape, shapesEqual } from './shape.js';
import type { Tensor } from './tensor.js';

/** One recorded op application: shared by every tape that recorded it. */
export interface TapeEntry {
  readonly op: OpDef<unknown>;
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: unknown;
}

/**
 * Gradients of the targets (seeded with `seeds`, ones where undefined) with
 * respect to every tensor on a path from one of `sourceIds` to a target.
 * Only entries downstream of a source and upstream of a target run their VJP.
 * Returns the gradient of each source reached, keyed by id.
 */
export function backprop(
  entries: readonly TapeEntry[],
  targets: readonly Tensor[],
  seeds: readonly (Tensor | undefined)[],
  sourceIds: readonly number[],
): Map<number, Tensor> {
  // Forward sweep: which tensors depend on a source (and so may need a gradient).
  const reached = new Set<number>(sourceIds);
  const live = new Uint8Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const inputs = entries[i]!.inputs;
    for (let j = 0; j < inputs.length; j++) {
      if (reached.has(inputs[j]!.id)) {
        live[i] = 1;
        reached.add(entries[i]!.output.id);
        break;
      }
    }
  }

  const grads = new Map<number, Tensor>();
  targets.forEach((t, i) => {
    if (reached.has(t.id)) accumulate(grads, t.id, seeds[i] ?? onesLike(t));
  });

  const keep = new Set(sourceIds);
  for (let i = entries.length - 1; i >= 0; i--) {
    if (!live[i]) continue;
    const { op, inputs, output, attrs } = entries[i]!;
    const dy = grads.get(output.id);
    if (dy === undefined) continue;
    // Every use of `output` comes later on the tape, so its gradient is complete now.
    if (!keep.has(output.id)) grads.delete(output.id);
    const needs = inputs.map((x) => reached.has(x.id));
    const vjp = op.vjp;
    if (vjp === 'none') continue;
    const dxs = vjp(dy, inputs, output, attrs, needs);
    for (let j = 0; j < inputs.length; j++) {
      const dx = dxs[j];
      if (!needs[j] || dx === undefined) continue;
      const x = inputs[j]!;
      accumulate(grads, x.id, toInputShape(op.name, j, dx, x));
    }
  }
  return grads;
}

function accumulate(grads: Map<number, Tensor>, id: number, g: Tensor): void {
  const previous = grads.get(id);
  grads.set(id, previous === undefined ? g : add(previous, g));
}

/**
 * Sums a VJP result back to its input's shape, undoing broadcasting (the one
 * place this is done, for every op), and checks its shape and dtype.
 */
function toInputShape(opName: string, j: number, dx: Tensor, x: Tensor): Tensor {
  let g = dx;
  if (!shapesEqual(g.shape, x.shape) && broadcastsTo(x.shape, g.shape)) {
    g = reshape(sum(g, broadcastAxes(x.shape, g.shape)), x.shape);
  }
  if (!shapesEqual(g.shape, x.shape) || g.dtype !== x.dtype) {
    throw new Error(
      `tapegrad.${opName}: the gradient for input ${j} is ${g.dtype} ${formatShape(g.shape)} but the input is ` +
        `${x.dtype} ${formatShape(x.shape)}; this is a bug in the op's VJP, please report it`,
    );
  }
  return g;
}
