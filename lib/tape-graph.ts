/**
 * The recorded tape as plain data, for drawing it (`GradientTape.toGraph`),
 * and as Graphviz DOT (`toDot`). The graph is read from what the tape
 * recorded (lib/tape-history.ts) without replaying anything, so it costs one
 * walk back from the targets and spends nothing: it can be drawn before
 * `gradient()`, to see why a gradient will be `undefined`.
 *
 * What is marked, and why:
 * - the path (`onPath`): the ops a backward pass replays (lib/backprop.ts's
 *   plan), and the tensors that get a gradient on the way;
 * - a cut (`cut`): an op without a gradient (`stopGradient`, a comparison,
 *   an integer output) that one of the sources reaches, where the path stops;
 * - an unwatched input (`unwatched`): a tensor that no op on the tape computed
 *   and that the tape does not track (a constant, or a source never watched).
 */
import { isFloat } from './dtype.js';
import { isReplayed, type TapeNode } from './recording.js';
import { formatShape } from './shape.js';
import type { TapeHistory } from './tape-history.js';
import type { Tensor } from './tensor.js';

/**
 * One tensor of a {@link TapeGraph}.
 *
 * @example
 * ```ts
 * import { GradientTape, scalar } from 'tapegrad';
 * const x = scalar(3);
 * const tape = new GradientTape();
 * tape.watch(x);
 * const y = x.square();
 * tape.toGraph(y, x).tensors.map((t) => t.role); // ['source', 'target']
 * ```
 */
export interface TapeGraphTensor {
  /** Its node's key among the graph's nodes: `t` and the tensor's id (`'t12'`), as edges name it. */
  readonly key: string;
  /** The tensor's id, as the ops name it. */
  readonly id: number;
  /** The tensor's shape. */
  readonly shape: readonly number[];
  /** The tensor's dtype. */
  readonly dtype: string;
  /**
   * `'source'` and `'target'` as asked; `'intermediate'`: computed from a source; `'constant'`: depends on no
   * source (an input given as a value, or a tensor after a `stopGradient`).
   */
  readonly role: 'source' | 'target' | 'intermediate' | 'constant';
  /** Whether it is on a path from a source to a target: a gradient flows through it. */
  readonly onPath: boolean;
  /**
   * Whether it is an input the tape does not track: no op on the tape computed it, and the tape did not watch it
   * (nor read it as a trainable variable). Constants are unwatched, and so is a source nobody watched: its gradient
   * is `undefined`.
   */
  readonly unwatched: boolean;
  /** The variable's name, for a variable among the sources and targets. */
  readonly name?: string;
}

/**
 * One recorded op of a {@link TapeGraph}.
 *
 * @example
 * ```ts
 * import { GradientTape, scalar } from 'tapegrad';
 * const x = scalar(3);
 * const tape = new GradientTape();
 * tape.watch(x);
 * const y = x.mul(2);
 * tape.toGraph(y, x).ops[0]?.op; // 'mul'
 * ```
 */
export interface TapeGraphOp {
  /** Its node's key among the graph's nodes: `op` and its output's id (`'op13'`), as edges name it. */
  readonly key: string;
  /** The op's name, as in error messages and `explain()`. */
  readonly op: string;
  /** The ids of its inputs, in order. */
  readonly inputs: readonly number[];
  /** The id of its output. */
  readonly output: number;
  /** Whether a backward pass from the targets to the sources replays it. */
  readonly onPath: boolean;
  /** Whether it has a gradient: false for `stopGradient`, comparisons and ops with an integer or bool output. */
  readonly differentiable: boolean;
  /** Whether the path stops here: an op without a gradient (`stopGradient`, say) with an input computed from a source. */
  readonly cut: boolean;
}

/**
 * One edge of a {@link TapeGraph}: a tensor into an op that reads it, or an op to the tensor it computed.
 *
 * @example
 * ```ts
 * import { GradientTape, scalar } from 'tapegrad';
 * const x = scalar(3);
 * const tape = new GradientTape();
 * tape.watch(x);
 * const y = x.mul(2);
 * tape.toGraph(y, x).edges.map((e) => `${e.from}->${e.to}`).length; // 3: x and 2 into mul, mul to y
 * ```
 */
export interface TapeGraphEdge {
  /** The key of the node it leaves (a tensor's `'t12'` or an op's `'op13'`). */
  readonly from: string;
  /** The key of the node it enters. */
  readonly to: string;
  /** Whether a gradient flows along it in the backward pass. */
  readonly onPath: boolean;
  /** Whether it leads a tensor computed from a source into a cut (a `stopGradient`): the gradient stops here. */
  readonly cut: boolean;
}

/**
 * What {@link GradientTape.toGraph} gives: the ops the tape recorded behind the targets, in the order they ran,
 * the tensors they connect, and the edges between them, with the path from the sources to the targets, the cuts
 * and the unwatched inputs marked. Plain data (numbers, strings, arrays): `JSON.stringify` it, or draw it with
 * {@link toDot}.
 *
 * @example
 * ```ts
 * import { GradientTape, scalar } from 'tapegrad';
 * const x = scalar(3);
 * const tape = new GradientTape();
 * tape.watch(x);
 * const graph = tape.toGraph(x.square().sum(), x);
 * graph.ops.length; // 2
 * graph.tensors.length; // 3
 * graph.edges.length; // 4
 * ```
 */
export interface TapeGraph {
  /** The tensors the ops connect, and the sources and targets, by id. */
  readonly tensors: readonly TapeGraphTensor[];
  /** The ops, in the order they ran (inputs before outputs). */
  readonly ops: readonly TapeGraphOp[];
  /** Each op's inputs into it, then the op to its output. */
  readonly edges: readonly TapeGraphEdge[];
}

/**
 * The graph of what `history` recorded between `targets` and `sources` (for `GradientTape.toGraph`): walks
 * back from the targets and plans the backward pass, but replays and releases nothing.
 * @internal
 */
export function tapeGraphOf(history: TapeHistory, targets: readonly Tensor[], sources: readonly Tensor[]): TapeGraph {
  // Every op the tape recorded behind the targets, with or without a gradient; and the path a backward pass takes.
  const { entries, unrecorded, tracked } = history.walk(targets, true);
  const { plan } = history.plan(targets, sources);
  const onPath = new Set(plan.path.map((e) => e.id));
  const recorded: Recorded[] = [...entries, ...unrecordedOps([...targets, ...entries], unrecorded)];
  recorded.sort((a, b) => a.id - b.id);

  const byId = new Map<number, Tensor>();
  const produced = new Set(recorded.map((r) => r.id));
  // Forward from the sources the tape tracks: what depends on one, and where an op without a gradient stops it.
  const fromSource = new Set<number>();
  for (const s of sources) {
    if (isFloat(s.dtype) && (tracked.has(s.id) || history.tracksLeaf(s) || targets.includes(s))) fromSource.add(s.id);
  }
  const sourceIds = new Set(sources.map((s) => s.id));
  const targetIds = new Set(targets.map((t) => t.id));
  // A source that is also a target gets its output gradient, as gradient() gives it (`gradient(x, x)` is ones).
  const pathTensors = new Set<number>(sources.filter((s) => isFloat(s.dtype) && targetIds.has(s.id)).map((s) => s.id));
  const ops: TapeGraphOp[] = [];
  const edges: TapeGraphEdge[] = [];
  for (const output of recorded) {
    const { id, node } = output;
    const differentiable = isReplayed(output, node);
    const reaches = node.inputs.some((x) => fromSource.has(x.id));
    if (reaches && differentiable) fromSource.add(id);
    const cut = reaches && !differentiable;
    const path = onPath.has(id);
    const key = `op${id}`;
    for (const x of node.inputs) {
      if (!byId.has(x.id)) byId.set(x.id, x);
      const flows = path && plan.reached.has(x.id);
      if (flows) pathTensors.add(x.id);
      edges.push({ from: `t${x.id}`, to: key, onPath: flows, cut: cut && fromSource.has(x.id) });
    }
    if (path) pathTensors.add(id);
    if (!byId.has(id)) byId.set(id, output);
    edges.push({ from: key, to: `t${id}`, onPath: path, cut: false });
    ops.push({
      key,
      op: node.op.name,
      inputs: node.inputs.map((x) => x.id),
      output: id,
      onPath: path,
      differentiable,
      cut,
    });
  }
  // Sources and targets are drawn even where no op connects them: a lone source is one the targets do not reach.
  for (const x of [...targets, ...sources]) byId.set(x.id, x);

  const tensors = [...byId.values()].map((x): TapeGraphTensor => {
    const role = sourceIds.has(x.id)
      ? 'source'
      : targetIds.has(x.id)
        ? 'target'
        : fromSource.has(x.id)
          ? 'intermediate'
          : 'constant';
    const unwatched = !produced.has(x.id) && !tracked.has(x.id) && !history.tracksLeaf(x);
    const name = x.isVariable ? (x as Tensor & { readonly name: string }).name : undefined;
    return {
      key: `t${x.id}`,
      id: x.id,
      shape: x.shape.slice(),
      dtype: x.dtype,
      role,
      onPath: pathTensors.has(x.id),
      unwatched,
      ...(name === undefined ? {} : { name }),
    };
  });
  tensors.sort((a, b) => a.id - b.id);
  return { tensors, ops, edges };
}

/** A recorded op, as the tensor it computed. */
type Recorded = Tensor & { readonly node: TapeNode };

/**
 * The ops without a gradient that the walk noted (by their output's id), found again as tensors by walking back
 * from `from` (the targets and the recorded ops) until all are found.
 */
function unrecordedOps(from: readonly Tensor[], unrecorded: readonly { readonly outputId: number }[]): Recorded[] {
  const wanted = new Set(unrecorded.map((u) => u.outputId));
  const found: Recorded[] = [];
  const stack = from.slice();
  const seen = new Set<number>();
  while (stack.length > 0 && found.length < wanted.size) {
    const t = stack.pop()!;
    if (seen.has(t.id) || t.node === undefined) continue;
    seen.add(t.id);
    if (wanted.has(t.id)) found.push(t as Recorded);
    stack.push(...t.node.inputs);
  }
  return found;
}

/**
 * How {@link toDot} draws a graph.
 *
 * @example
 * ```ts
 * import { GradientTape, scalar, toDot } from 'tapegrad';
 * const x = scalar(3);
 * const tape = new GradientTape();
 * tape.watch(x);
 * const y = x.square();
 * toDot(tape.toGraph(y, x), { rankdir: 'LR' }).includes('rankdir=LR'); // true
 * ```
 */
export interface ToDotOptions {
  /** The direction the ops run in: `'TB'` (top to bottom, the default), `'LR'`, `'BT'` or `'RL'`. */
  readonly rankdir?: 'TB' | 'LR' | 'BT' | 'RL';
}

const PATH = '#1f6feb';
const CUT = '#d62728';
const GREY = '#8c8c8c';

/**
 * A {@link TapeGraph} as Graphviz DOT, for `dot -Tsvg` or Graphviz compiled to WebAssembly in a page: ops as
 * boxes, tensors as ellipses labelled with their variable's name or their id (`#12`, as `explain()` names
 * them), their role, shape and dtype; the path from the sources to the targets in bold blue, `stopGradient`
 * cuts dashed and red, unwatched inputs grey.
 *
 * @param graph - The graph to draw, from {@link GradientTape.toGraph}.
 * @param options - `rankdir`: the direction the ops run in, `'TB'` (default), `'LR'`, `'BT'` or `'RL'`.
 *
 * @example
 * ```ts
 * import { GradientTape, add, stopGradient, toDot, variable } from 'tapegrad';
 * const w1 = variable([1, 2], { name: 'w1' });
 * const w3 = variable([3, 4], { name: 'w3' });
 * const tape = new GradientTape();
 * const y3 = add(stopGradient(w1.mul(2)), w3);
 * const dot = toDot(tape.toGraph(y3, [w1, w3]));
 * dot.startsWith('digraph tape {'); // true
 * dot.includes('label="stopGradient", color="#d62728", fontcolor="#d62728", style="dashed"'); // true
 * ```
 */
export function toDot(graph: TapeGraph, options: ToDotOptions = {}): string {
  const lines = [
    'digraph tape {',
    `  rankdir=${options.rankdir ?? 'TB'};`,
    '  node [fontname="Helvetica", fontsize=11];',
    `  edge [color="${GREY}"];`,
  ];
  for (const t of graph.tensors) {
    // Named by the variable's name, else by id (as explain() names tensors), then the role.
    const first = `${t.name ?? `#${t.id}`}${t.role === 'intermediate' ? '' : ` ${t.role}`}`;
    const label = `${first}\\n${formatShape(t.shape)} ${t.dtype}`;
    const style = t.unwatched
      ? `color="${GREY}", fontcolor="${GREY}", style="filled", fillcolor="#eeeeee"`
      : t.onPath
        ? `color="${PATH}", penwidth=2`
        : `color="#444444"`;
    const fill =
      !t.unwatched && (t.role === 'source' || t.role === 'target') ? ', style="filled", fillcolor="#ddeeff"' : '';
    lines.push(`  ${t.key} [shape=ellipse, label="${escape(label)}", ${style}${fill}];`);
  }
  for (const o of graph.ops) {
    const style = o.cut
      ? `color="${CUT}", fontcolor="${CUT}", style="dashed"`
      : o.onPath
        ? `color="${PATH}", penwidth=2, style="bold"`
        : o.differentiable
          ? `color="#444444"`
          : `color="${GREY}", fontcolor="${GREY}"`;
    lines.push(`  ${o.key} [shape=box, label="${escape(o.op)}", ${style}];`);
  }
  for (const e of graph.edges) {
    const style = e.cut
      ? ` [color="${CUT}", style="dashed", penwidth=2]`
      : e.onPath
        ? ` [color="${PATH}", penwidth=2]`
        : '';
    lines.push(`  ${e.from} -> ${e.to}${style};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** A label's text inside DOT's double quotes: quotes and backslashes escaped, except the `\n` line breaks. */
function escape(text: string): string {
  return text.replace(/\\(?!n)/g, '\\\\').replace(/"/g, '\\"');
}
