/**
 * The backward replay: walk a tape's recorded ops in reverse, call each VJP
 * on the incoming gradient, sum each result back to its input's shape, and
 * accumulate. Everything here is done with differentiable ops, so a tape
 * recording outside this replay records the backward pass too.
 *
 * A recorded op is named by its output: a tensor whose `node`
 * (lib/recording.ts) holds the op, its inputs and attributes.
 */
import { add, reshape, sum } from './ops/index.js';
import { onesLike } from './creation.js';
import { checkVjpOutputs, numerics } from './numerics.js';
import type { VjpRule } from './op.js';
import { handOver, logAllocations, recycle } from './kernels/recycling.js';
import { placement } from './kernels/placement.js';
import { forwardMode, mayBeTracked, recording, type TapeNode } from './recording.js';
import { broadcastAxes, broadcastsTo, formatShape, shapesEqual } from './shape.js';
import { IdSet } from './id-set.js';
import type { Tensor } from './tensor.js';

/** A recorded op, as the tensor it computed: `output.node` is set. */
export type TapeEntry = Tensor & { readonly node: TapeNode };

/**
 * The part of a tape a backward pass can touch, worked out once for a set of
 * targets and sources so that several reverse replays (one per seed, as
 * `jacobian` needs) share it.
 */
export interface BackpropPlan {
  readonly targets: readonly Tensor[];
  /** The recorded ops on a path from a source to a target, in the order they ran: the only ones a replay visits. */
  readonly path: readonly TapeEntry[];
  /** Every tensor id that depends on a source (and so may get a gradient). */
  readonly reached: IdSet;
  /** The sources' ids: their gradients are kept, not dropped once complete. */
  readonly sourceIds: ReadonlySet<number>;
}

/**
 * Prunes to the path between sources and targets. The forward half is done
 * by the tape (lib/tape-history.ts), in the sweep that finds its ops: `live`
 * are the ops that depend on a source, in the order they ran, and `reached`
 * the ids that do. A backward sweep keeps what a target uses; `live` becomes
 * the path, in place.
 */
export function prunePlan(
  live: TapeEntry[],
  reached: IdSet,
  targets: readonly Tensor[],
  sourceIds: readonly number[],
  first: number,
  span?: number,
): BackpropPlan {
  const used = new IdSet(first, span);
  for (const t of targets) if (reached.has(t.id)) used.add(t.id);
  // The path is gathered at the back of `live`, in place (the writes never pass the reads), then moved to the front.
  const path = live as TapeEntry[];
  let w = live.length;
  for (let i = live.length - 1; i >= 0; i--) {
    const entry = live[i]!;
    if (!used.has(entry.id)) continue;
    path[--w] = entry;
    const inputs = entry.node.inputs;
    for (let j = 0; j < inputs.length; j++) {
      const x = inputs[j]!;
      if (mayBeTracked(x) && reached.has(x.id)) used.add(x.id);
    }
  }
  path.copyWithin(0, w);
  path.length -= w;
  return { targets, path, reached, sourceIds: new Set(sourceIds) };
}

/**
 * One reverse replay of a planned tape: gradients of the plan's targets
 * (seeded with `seeds`, ones where undefined) with respect to every tensor on
 * a path from a source to a target. Only entries on the path whose output has
 * an incoming gradient run their VJP. Returns the gradient of each source
 * reached, keyed by id; call it as often as needed with different seeds.
 */
export function replay(plan: BackpropPlan, seeds: readonly (Tensor | undefined)[]): Map<number, Tensor> {
  if (!mayRecycle(plan)) {
    const grads = replayed(plan, seeds);
    handOver(undefined);
    return grads;
  }
  const { result: grads, allocated } = logAllocations(() => replayed(plan, seeds));
  let live: Set<ArrayBufferLike> | undefined;
  if (allocated.length > 0) {
    live = new Set<ArrayBufferLike>();
    for (const g of grads.values()) if (ArrayBuffer.isView(g.storage)) live.add(g.storage.buffer);
    recycle(allocated, live);
  }
  // The gradients' own arrays: dead too once the caller is done with them (minimize gives them back after its update).
  handOver(allocated, live);
  return grads;
}

/**
 * Whether the arrays a replay of `plan` makes, other than those of the gradients it returns, are dead once it
 * returns, so that their memory can be reused (lib/kernels/recycling.ts): on the CPU, with no tape recording the
 * replay's ops, no forward accumulator taking their tangents, and no `customGradient` rule (user code, which could
 * keep what it is given) on the path.
 */
function mayRecycle(plan: BackpropPlan): boolean {
  if (placement.device !== undefined || recording.tapes > 0 || forwardMode.active > 0) return false;
  for (const entry of plan.path) if (entry.node.op.name === 'customGradient') return false;
  return true;
}

/** {@link replay} itself. */
function replayed(plan: BackpropPlan, seeds: readonly (Tensor | undefined)[]): Map<number, Tensor> {
  const { targets, path, reached, sourceIds } = plan;
  const grads = new Map<number, Tensor>();
  targets.forEach((t, i) => {
    if (reached.has(t.id)) accumulate(grads, t.id, seeds[i] ?? onesLike(t));
  });

  for (let i = path.length - 1; i >= 0; i--) {
    const output = path[i]!;
    const { op, inputs, attrs } = output.node;
    const dy = grads.get(output.id);
    if (dy === undefined) continue;
    // Every use of `output` comes later on the tape, so its gradient is complete now.
    if (!sourceIds.has(output.id)) grads.delete(output.id);
    const vjp = op.vjp;
    if (vjp === 'none') continue;
    const needs = new Array<boolean>(inputs.length);
    for (let j = 0; j < inputs.length; j++) {
      const x = inputs[j]!;
      needs[j] = mayBeTracked(x) && reached.has(x.id);
    }
    const dxs = numerics.on ? checkedVjp(output, dy, needs) : vjp(dy, inputs, output, attrs, needs);
    for (let j = 0; j < inputs.length; j++) {
      const dx = dxs[j];
      if (!needs[j] || dx === undefined) continue;
      const x = inputs[j]!;
      accumulate(grads, x.id, toInputShape(op.name, j, dx, x));
    }
  }
  return grads;
}

/** A VJP run while numeric checking is on: a NaN inside it, or in what it gives, is blamed on its op. */
function checkedVjp(output: TapeEntry, dy: Tensor, needs: readonly boolean[]): readonly (Tensor | undefined)[] {
  const node = output.node;
  const vjp = node.op.vjp as VjpRule<unknown>;
  const outer = numerics.inVjp;
  const inVjp = { op: node.op, node };
  numerics.inVjp = inVjp;
  try {
    const dxs = vjp(dy, node.inputs, output, node.attrs, needs);
    checkVjpOutputs(inVjp, dy, dxs);
    return dxs;
  } finally {
    numerics.inVjp = outer;
  }
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
