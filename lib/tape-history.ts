/**
 * What one tape recorded, read back from the nodes that ops hang off their
 * outputs (lib/recording.ts). A tape holds no entries: only the tensors it
 * watches (by id, with the moment each was watched), the ranges of tensor ids
 * made while it recorded, and the variables recorded ops read meanwhile. An op
 * is on the tape when its output was made in one of those ranges and one of
 * its inputs was tracked by the tape at the time: watched, computed by an op
 * on the tape, or a trainable variable read while the tape watched accessed
 * variables. `plan()` (for gradients) and `walk()` (for explain) find those
 * ops by walking back from the targets, so a forgotten tape costs nothing once
 * the tensors it saw are gone.
 */
import { prunePlan, type BackpropPlan, type TapeEntry } from './backprop.js';
import { isFloat } from './dtype.js';
import type { IdGap, TapeRecord, UnrecordedUse } from './explain.js';
import {
  countTape,
  isReplayed,
  lastUseOf,
  mayBeTracked,
  newReadEpoch,
  recording,
  type ReadEpoch,
} from './recording.js';
import { IdSet } from './id-set.js';
import { nextTensorId, type Tensor } from './tensor.js';

/** The ops reachable back from some tensors, split as `gradient()` and `explain()` need them. */
interface Walk {
  /** The recorded ops on the tape, inputs before outputs. */
  readonly entries: TapeEntry[];
  /** Ops on the way that used a tracked tensor but have no gradient (or a non-float output). */
  readonly unrecorded: UnrecordedUse[];
  /** Ids the tape tracks among those met: watched tensors, variables it read, outputs of its ops. */
  readonly tracked: IdSet;
}

/** @internal */
export class TapeHistory {
  /** Ids below this were made before the tape. */
  readonly createdAt = nextTensorId();
  /** Its place among tapes and `withoutRecording` calls: those numbered above it pause it. */
  readonly sequence = ++recording.sequence;
  /** Tensor id ranges in which the tape recorded: `[from0, to0, from1, to1, ...]`, the last `to` Infinity while it records. */
  private ranges: number[] = [];
  /** Watched tensor ids, each with the first id made after it was watched. */
  private watched = new Map<number, number>();
  /** Variables watched by request or read by recorded ops, in the order first watched. */
  private variables: Tensor[] = [];
  private variableIds = new Set<number>();
  /** While recording and watching accessed variables: the first stretch of reads not yet folded into `variables`. */
  private reads: ReadEpoch | undefined;
  /** Ranges of ids made while the tape did not record, and why (for explain). */
  gaps: IdGap[] = [];
  /** What the last reset() forgot (for explain). */
  private forgotten: { watched: ReadonlyMap<number, number>; ranges: readonly number[] } | undefined;

  /** Whether `release()` spent the tape. */
  private released = false;
  /** What a spent tape cut off its outputs (see `cutOff`), for explain. */
  private cut: CutRecord | undefined;

  /** A tape's history; the tape counts among the live ones until it is released. */
  constructor(readonly watchAccessedVariables: boolean) {
    recording.liveTapes++;
  }

  /** Whether the tape records now. */
  get recording(): boolean {
    return this.ranges.length > 0 && this.ranges[this.ranges.length - 1] === Infinity;
  }

  /** Starts a recording range (no-op while recording). */
  start(): void {
    if (this.recording) return;
    this.ranges.push(nextTensorId(), Infinity);
    countTape(this.sequence, 1, this.watchAccessedVariables);
    if (this.watchAccessedVariables) this.reads = newReadEpoch();
  }

  /** Ends the recording range (no-op when not recording); returns whether it was recording. */
  pause(): boolean {
    if (!this.recording) return false;
    this.ranges[this.ranges.length - 1] = nextTensorId();
    countTape(this.sequence, -1, this.watchAccessedVariables);
    this.foldReads();
    return true;
  }

  /** Notes ids made from now on as not recorded, for `why`; returns the gap, to close with `closeGap`. */
  openGap(why: IdGap['why']): IdGap {
    const gap: IdGap = { from: nextTensorId() - 1, to: Infinity, why };
    this.gaps.push(gap);
    return gap;
  }

  /** Ends a gap opened by `openGap`: ids made from now on are not in it. */
  closeGap(gap: IdGap): void {
    gap.to = nextTensorId();
  }

  /** Watches `x` from now on (ops that already ran on it stay off the tape). */
  watch(x: Tensor): void {
    x.watched = true;
    if (this.watched.has(x.id)) return;
    this.watched.set(x.id, nextTensorId());
    if (x.isVariable) {
      this.foldReads();
      this.addVariable(x);
    }
  }

  /** The variables watched, in the order first watched. */
  watchedVariables(): Tensor[] {
    this.foldReads();
    return this.variables.slice();
  }

  /** Forgets what was watched and recorded; records from now on if it was recording. */
  reset(): void {
    if (this.released) recording.liveTapes++; // a spent tape that is reset can read its new ops again
    this.released = false;
    this.cut = undefined;
    const wasRecording = this.pause();
    this.forgotten = { watched: this.watched, ranges: this.ranges };
    this.watched = new Map();
    this.ranges = [];
    this.variables = [];
    this.variableIds = new Set();
    this.gaps = this.gaps.filter((gap) => gap.why === 'stopped');
    if (wasRecording) this.start();
  }

  /**
   * Spends the tape (a non-persistent one after its `gradient()`): it stops
   * recording and no longer counts among the live tapes. It keeps its
   * bookkeeping (watched ids, recording ranges, gaps, the ids of the variables
   * it read: numbers only), so that `explain()` can still say why a gradient
   * was undefined; it lets go of the variables themselves.
   */
  release(): void {
    this.pause();
    if (!this.released) recording.liveTapes--;
    this.released = true;
    this.variables = [];
  }

  /**
   * Cuts the ops of `plan` off their outputs (for `GradientTape.letGo`),
   * noting which ids lose their op and which sources the spending call
   * reached, so that explain can tell an answer it can still give from one
   * the cut took away.
   */
  cutOff(plan: BackpropPlan, sources: readonly Tensor[]): void {
    const path = plan.path;
    const ids = new IdSet(this.createdAt, path.length === 0 ? 0 : path[path.length - 1]!.id - this.createdAt + 1);
    const targets = plan.targets.map((t) => t.id);
    // A source gets a gradient when an op on the path uses it, or when it is itself a target.
    const connected = new Set<number>(targets.filter((id) => plan.sourceIds.has(id)));
    // Sources are mostly watched leaves; look computed tensors up only when a source is one.
    const computedSources = sources.some((x) => x.node !== undefined);
    for (let i = 0; i < path.length; i++) {
      const e = path[i]!;
      ids.add(e.id);
      const inputs = e.node.inputs;
      (e as Tensor).node = undefined; // the cut itself
      for (let j = 0; j < inputs.length; j++) {
        const x = inputs[j]!;
        if (x.node === undefined ? !mayBeTracked(x) : !computedSources) continue;
        if (plan.sourceIds.has(x.id)) connected.add(x.id);
      }
    }
    this.cut = { ids, targets, sources: new Set(sources.map((x) => x.id)), connected };
  }

  /** Whether the tape tracks `x` without any op of its own: watched, or a variable it read. */
  tracksLeaf(x: Tensor): boolean {
    return this.watched.has(x.id) || (this.watchAccessedVariables && this.readVariable(x.id));
  }

  /**
   * The recorded ops on this tape that `targets` depend on, inputs before
   * outputs, found by walking back from them. With `notes`, ops on the way
   * without a gradient that used a tracked tensor are listed too.
   */
  walk(targets: readonly Tensor[], notes = false): Walk {
    this.foldReads();
    const base = this.createdAt;
    const { order } = this.opsBehind(targets, notes);
    // Forward over the ops found: one is on the tape when one of its inputs was tracked when it ran.
    const tracked = new IdSet(base);
    const entries: TapeEntry[] = [];
    const unrecorded: UnrecordedUse[] = [];
    for (let k = 0; k < order.length; k++) {
      const t = order[k]! as TapeEntry;
      const inputs = t.node.inputs;
      let hit = false;
      for (let i = 0; i < inputs.length; i++) if (this.tracksInput(inputs[i]!, t.id, tracked)) hit = true;
      if (!hit) continue;
      if (isReplayed(t, t.node)) {
        tracked.add(t.id);
        entries.push(t);
      } else {
        unrecorded.push({
          op: t.node.op.name,
          inputIds: inputs.map((x) => x.id),
          outputId: t.id,
          outputDType: t.dtype,
          outputShape: t.shape,
        });
      }
    }
    for (const t of targets) if (this.tracksLeaf(t)) tracked.add(t.id);
    return { entries, unrecorded, tracked };
  }

  /**
   * The backward plan for `targets` and `sources` (lib/backprop.ts) in one
   * forward sweep over the ops behind the targets: an op is on the tape when
   * one of its inputs was tracked when it ran, and on the plan when one of
   * those depends on a source. Also gives the ids of the sources the tape
   * tracks (the others get no gradient).
   */
  plan(targets: readonly Tensor[], sources: readonly Tensor[]): { plan: BackpropPlan; connected: number[] } {
    this.foldReads();
    const base = this.createdAt;
    const floats = sources.filter((s) => isFloat(s.dtype));
    // Sources computed on the way are tracked if their op is on the tape; others must be watched.
    const { order, span, reachedSources: sourceOps } = this.opsBehind(targets, false, floats);
    const tracked = new IdSet(base, span);
    const reached = new IdSet(base, span);
    // A target that is also a source gets its seed, watched or not (as TensorFlow's sources that are targets).
    for (const s of floats) {
      if (targets.includes(s) || (!sourceOps.has(s.id) && this.tracksLeaf(s))) reached.add(s.id);
    }
    // The ops that depend on a source are compacted into the front of `order`, in place.
    const live = order as TapeEntry[];
    let nLive = 0;
    for (let k = 0; k < order.length; k++) {
      const t = order[k]! as TapeEntry;
      const inputs = t.node.inputs;
      let hit = false;
      let reach = false;
      for (let i = 0; i < inputs.length; i++) {
        const x = inputs[i]!;
        if (!this.tracksInput(x, t.id, tracked)) continue;
        hit = true;
        if (reached.has(x.id)) reach = true;
      }
      if (!hit) continue;
      tracked.add(t.id);
      if (reach) live[nLive++] = t;
      if (reach || sourceOps.has(t.id)) reached.add(t.id);
    }
    live.length = nLive;
    for (const t of targets) if (this.tracksLeaf(t)) tracked.add(t.id);
    const connected: number[] = [];
    for (const s of floats) if (reached.has(s.id) || (sourceOps.has(s.id) && tracked.has(s.id))) connected.push(s.id);
    return { plan: prunePlan(live, reached, targets, connected, base, span), connected };
  }

  /** What explain needs to say why `gradient(target, source)` is or is not undefined. */
  explainRecord(target: Tensor, source: Tensor, spentBy: string | undefined): TapeRecord {
    const { entries, unrecorded, tracked } = this.walk([target, source], true);
    const forgotten = this.forgotten;
    const lastUse = lastUseOf(source);
    const cut = this.cut;
    let spent: TapeRecord['spent'];
    if (spentBy !== undefined) {
      const lostBehind = (x: Tensor) => cut !== undefined && meetsCut(cut.ids, x, this.createdAt);
      // One target: the spending call tells exactly which sources it reached. Several: not which target each came from.
      const single = cut !== undefined && cut.targets.length === 1 && cut.targets[0] === target.id;
      spent = {
        by: spentBy,
        lostBehindSource: lostBehind(source),
        lostBehindTarget: lostBehind(target),
        gave: single && cut.connected.has(source.id),
        gaveNone: single && cut.sources.has(source.id) && !cut.connected.has(source.id),
      };
    }
    return {
      entries,
      tracked,
      unrecorded,
      gaps: this.gaps,
      forgotten: {
        has: (id: number) => forgotten !== undefined && (forgotten.watched.has(id) || inRanges(forgotten.ranges, id)),
      },
      createdAt: this.createdAt,
      spent,
      watchAccessedVariables: this.watchAccessedVariables,
      lastUseOfSource: lastUse !== undefined && this.inRange(lastUse.outputId) ? lastUse : undefined,
    };
  }

  /**
   * The ops behind `targets` made while this tape recorded (with `notes`,
   * also those without a gradient), in the order they ran; `span` bounds their
   * ids above the tape's first; `reachedSources` are the ids of `sources` met
   * on the way.
   */
  private opsBehind(
    targets: readonly Tensor[],
    notes: boolean,
    sources: readonly Tensor[] = [],
  ): { order: Tensor[]; span: number; reachedSources: Set<number> } {
    const base = this.createdAt;
    // Everything behind the targets is older than they are: ids run from base to the newest target's.
    let span = 0;
    for (const t of targets) span = Math.max(span, t.id - base + 1);
    // One slot per id: it marks a tensor found and, read in id order, puts every op after its inputs
    // (ids only grow). Far apart ids (a long-lived tape, a small graph) are sorted instead.
    const dense = span <= DENSE_SPAN;
    const slots = dense ? new Array<Tensor | undefined>(span) : [];
    const seen = dense ? undefined : new IdSet(base, 0);
    const stack: Tensor[] = targets.slice();
    let count = 0;
    while (stack.length > 0) {
      const t = stack.pop()!;
      const node = t.node;
      const i = t.id - base;
      if (node === undefined || i < 0) continue;
      if (seen === undefined ? slots[i] !== undefined : seen.has(t.id)) continue;
      if ((!notes && !isReplayed(t, node)) || node.pausedBy > this.sequence || !this.inRange(t.id)) continue;
      if (seen === undefined) slots[i] = t;
      else {
        seen.add(t.id);
        slots.push(t);
      }
      count++;
      const inputs = node.inputs;
      for (let k = 0; k < inputs.length; k++) stack.push(inputs[k]!);
    }
    const reachedSources = new Set<number>();
    for (const x of sources) {
      const i = x.id - base;
      if (i >= 0 && (seen === undefined ? i < span && slots[i] !== undefined : seen.has(x.id)))
        reachedSources.add(x.id);
    }
    if (seen !== undefined) return { order: slots.sort((a, b) => a!.id - b!.id) as Tensor[], span, reachedSources };
    // Compact in place: the slots become the ops in id order.
    let n = 0;
    for (let i = 0; i < span && n < count; i++) {
      const t = slots[i];
      if (t !== undefined) slots[n++] = t;
    }
    slots.length = n;
    return { order: slots as Tensor[], span, reachedSources };
  }

  /** Whether a tensor made with id `id` was made while the tape recorded. */
  private inRange(id: number): boolean {
    return inRanges(this.ranges, id);
  }

  /**
   * Whether input `x` of the op whose output has id `at` was tracked by this
   * tape when the op ran: an output of one of its ops (in `tracked`), or a
   * leaf it watched by then or a variable it read; a tracked leaf is added
   * to `tracked`.
   */
  private tracksInput(x: Tensor, at: number, tracked: IdSet): boolean {
    if (!mayBeTracked(x)) return false; // a constant: skip the lookups
    if (tracked.has(x.id)) return true;
    if ((x.watched || x.watchOnRead) && this.trackedAt(x.id, at)) {
      tracked.add(x.id);
      return true;
    }
    return false;
  }

  /** Whether input `id` was tracked, as a leaf, by the op whose output has id `at`. */
  private trackedAt(id: number, at: number): boolean {
    const since = this.watched.get(id);
    if (since !== undefined && since <= at) return true;
    return this.watchAccessedVariables && this.variableIds.has(id);
  }

  private readVariable(id: number): boolean {
    this.foldReads();
    return this.variableIds.has(id);
  }

  /**
   * Moves the reads collected since the last fold into `variables`, and starts
   * a new stretch while recording (or lets go of the chain when not).
   */
  private foldReads(): void {
    const first = this.reads;
    if (first === undefined) return;
    if (this.recording && first.next === undefined && first.reads.length === 0) return;
    for (let epoch: ReadEpoch | undefined = first; epoch !== undefined; epoch = epoch.next) {
      if (epoch.pausedBy > this.sequence) continue; // read inside withoutRecording, by tapes made there
      for (const v of epoch.reads) this.addVariable(v);
    }
    this.reads = this.recording ? newReadEpoch() : undefined;
  }

  private addVariable(v: Tensor): void {
    if (this.variableIds.has(v.id)) return;
    this.variableIds.add(v.id);
    this.variables.push(v);
  }
}

/** What a spent tape cut off: the outputs that lost their op, the spending call's targets, and the sources it reached. */
interface CutRecord {
  readonly ids: IdSet;
  readonly targets: readonly number[];
  readonly sources: ReadonlySet<number>;
  readonly connected: ReadonlySet<number>;
}

/** Whether `x` or a tensor behind it (made from `first` on) lost its op to a cut. */
function meetsCut(ids: IdSet, x: Tensor, first: number): boolean {
  const seen = new Set<number>();
  const stack = [x];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (t.id < first || seen.has(t.id)) continue;
    seen.add(t.id);
    if (ids.has(t.id)) return true;
    if (t.node !== undefined) stack.push(...t.node.inputs);
  }
  return false;
}

/** Up to this many ids behind a target, the walk keeps one slot per id (8 bytes each) rather than sorting. */
const DENSE_SPAN = 1 << 22;

function inRanges(ranges: readonly number[], id: number): boolean {
  // Newest ranges last: most lookups are for recent ids.
  for (let i = ranges.length - 2; i >= 0; i -= 2) {
    if (id >= ranges[i]!) return id < ranges[i + 1]!;
  }
  return false;
}
