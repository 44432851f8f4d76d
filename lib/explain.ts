/**
 * `GradientTape.explain`: why the gradient of a target with respect to a
 * source is, or is not, `undefined`. It reads what the tape recorded back
 * from the target and the source (lib/tape-history.ts): the recorded ops, the
 * ops that used a tracked tensor without being recorded (no gradient, or a
 * non-float output), the ranges of tensor ids made while the tape was not
 * recording (tensor ids only grow), the ids a `reset()` forgot, and the last
 * op that used the source.
 */
import type { TapeEntry } from './backprop.js';
import { isFloat } from './dtype.js';
import { formatShape } from './shape.js';
import type { Tensor } from './tensor.js';

/**
 * Why a gradient is or is not `undefined`, as `GradientTape.explain` says:
 *
 * - `'connected'`: recorded ops lead from the source to the target.
 * - `'notWatched'`: the tape never watched the source, nor recorded an op that computed it.
 * - `'integerDtype'`: the source or the target is int32 or bool, which carry no gradient.
 * - `'stopGradient'`: the path goes through `stopGradient`.
 * - `'recordedAfterReset'`: `reset()` made the tape forget the source, or the target.
 * - `'recordedWhileStopped'`: the target or the source was computed inside `stopRecording()`, or after `stop()`.
 * - `'ownBackwardPass'`: the target was computed by this tape's own `gradient()` or `jacobian()`, which it does not
 *   record (nest a second tape for higher derivatives).
 * - `'computedBeforeTape'`: the target was computed before the tape was created.
 * - `'noPath'`: the target does not depend on the source through recorded ops; `op` names the op where the path
 *   breaks when one is known (an op with no gradient, or one with an integer output).
 * - `'tapeConsumed'`: a non-persistent tape already gave its gradient and, no other tape needing them, cut the ops
 *   it replayed off their outputs; those ops lie between the target and the source, so the reason is gone.
 *
 * A spent tape still answers with the real reason when what it needs is left: always for a pair whose gradient was
 * `undefined` (nothing between them was replayed, so nothing was cut), and `'connected'` for the target and a source
 * the spending call gave a gradient of it. `connected` then says what `gradient(target, source)` gave, or would
 * have given, before the tape was spent; a second call still throws.
 */
export type ExplainReason =
  | 'connected'
  | 'notWatched'
  | 'integerDtype'
  | 'stopGradient'
  | 'recordedAfterReset'
  | 'recordedWhileStopped'
  | 'ownBackwardPass'
  | 'computedBeforeTape'
  | 'noPath'
  | 'tapeConsumed';

/** The answer of `GradientTape.explain`. */
export interface GradientExplanation {
  /** Whether `gradient(target, source)` gives a tensor (true) or `undefined` (false). */
  readonly connected: boolean;
  /** The reason, as a tag to branch on. */
  readonly reason: ExplainReason;
  /** The op concerned, when there is one: the op that computed the target, or the one where the path breaks. */
  readonly op?: string;
  /** The reason in plain words, naming ops and tensors (by id, dtype and shape). */
  readonly message: string;
}

/** An op that used a tracked tensor but was not recorded (no gradient, or an integer or bool output). @internal */
export interface UnrecordedUse {
  readonly op: string;
  readonly inputIds: readonly number[];
  readonly outputId: number;
  readonly outputDType: string;
  readonly outputShape: readonly number[];
}

/** Tensor ids made while a tape was not recording (`from < id < to`), and why. @internal */
export interface IdGap {
  readonly from: number;
  to: number;
  readonly why: 'stopRecording' | 'stopped' | 'gradient' | 'jacobian' | 'batchJacobian';
}

/** What explain reads from a tape. @internal */
export interface TapeRecord {
  readonly entries: readonly TapeEntry[];
  readonly tracked: { has(id: number): boolean };
  readonly unrecorded: readonly UnrecordedUse[];
  readonly gaps: readonly IdGap[];
  /** Ids the last `reset()` made the tape forget. */
  readonly forgotten: { has(id: number): boolean };
  /** Ids below this were made before the tape was created. */
  readonly createdAt: number;
  /**
   * Set once a non-persistent tape is spent: the call that spent it; whether ops behind the source, or behind the
   * target, were cut off their outputs since (what explain would follow is then gone); and whether that call, asked
   * for this very target alone, gave the source a gradient, or asked for the source and gave it none.
   */
  readonly spent:
    | {
        readonly by: string;
        readonly lostBehindSource: boolean;
        readonly lostBehindTarget: boolean;
        readonly gave: boolean;
        readonly gaveNone: boolean;
      }
    | undefined;
  readonly watchAccessedVariables: boolean;
  /** The last op on the tape that used the source directly, if any (kept for watched tensors and variables). */
  readonly lastUseOfSource: { readonly op: string; readonly outputId: number } | undefined;
}

/** `#12 (float32 [2,3])`, with a variable's name. */
function show(x: Tensor): string {
  const name = x.isVariable ? `variable '${(x as Tensor & { name: string }).name}' ` : '';
  return `${name}#${x.id} (${x.dtype} ${formatShape(x.shape)})`;
}

const ids = (list: readonly number[]): string => {
  const named = list.map((id) => `#${id}`);
  return named.length <= 1 ? (named[0] ?? 'no tensors') : `${named.slice(0, -1).join(', ')} and ${named.at(-1)!}`;
};

function lastWhere<T>(list: readonly T[], test: (item: T) => boolean): T | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (test(list[i]!)) return list[i];
  return undefined;
}

function gapOf(record: TapeRecord, id: number): IdGap | undefined {
  for (const gap of record.gaps) if (gap.from < id && id < gap.to) return gap;
  return undefined;
}

const gapWords: Record<IdGap['why'], string> = {
  stopRecording: 'inside stopRecording()',
  stopped: 'after stop() ended the tape',
  gradient: "by this tape's own gradient()",
  jacobian: "by this tape's own jacobian()",
  batchJacobian: "by this tape's own batchJacobian()",
};

function gapReason(gap: IdGap): ExplainReason {
  return gap.why === 'stopRecording' || gap.why === 'stopped' ? 'recordedWhileStopped' : 'ownBackwardPass';
}

const no = (reason: ExplainReason, message: string, op?: string): GradientExplanation =>
  op === undefined ? { connected: false, reason, message } : { connected: false, reason, op, message };

/** Why `gradient(target, source)` on the recorded tape is or is not `undefined`. @internal */
export function explainGradient(record: TapeRecord, target: Tensor, source: Tensor): GradientExplanation {
  const T = `target ${show(target)}`;
  const S = `source ${show(source)}`;
  if (!isFloat(source.dtype)) {
    return no('integerDtype', `the ${S} is ${source.dtype}, which has no gradient; only float32 and float64 do`);
  }
  if (target.id === source.id) {
    return {
      connected: true,
      reason: 'connected',
      message: 'the target is the source itself (its gradient is its output gradient, ones by default, watched or not)',
    };
  }
  const { tracked, entries } = record;
  const producerOfTarget = lastWhere(entries, (e) => e.id === target.id);
  const unrecordedTarget = lastWhere(record.unrecorded, (u) => u.outputId === target.id);
  if (!isFloat(target.dtype)) {
    const by = unrecordedTarget ? ` (computed by '${unrecordedTarget.op}')` : '';
    return no(
      'integerDtype',
      `the ${T}${by} is ${target.dtype}, which has no gradient; only float32 and float64 targets do`,
      unrecordedTarget?.op,
    );
  }

  const spent = record.spent;
  // What a spent tape cut away is followed no further: say what its call gave, or that the reason is gone.
  const released = (): GradientExplanation => {
    const by = `${spent!.by}()`;
    if (spent!.gave) {
      return {
        connected: true,
        reason: 'connected',
        message:
          `this tape's ${by} gave the ${S} a gradient of the ${T}; the tape is not persistent, so it was spent ` +
          'then and let go of the ops between them',
      };
    }
    const gaveNone = spent!.gaveNone ? `gave the ${S} no gradient of the ${T}, and ` : '';
    return no(
      'tapeConsumed',
      `this tape is not persistent and its ${by} ${gaveNone}let go of recorded ops between the ${T} and the ${S}, ` +
        'so the reason is no longer known; create it with new GradientTape({ persistent: true }) to ask more than ' +
        'once, or call explain() before gradient()',
    );
  };
  if (spent?.lostBehindSource === true) return released();

  if (!tracked.has(source.id)) {
    if (record.forgotten.has(source.id)) {
      return no(
        'recordedAfterReset',
        `the ${S} was watched (or computed on this tape) before reset(), which forgot it; ` +
          'watch it again after reset() and compute the target after that',
      );
    }
    const gap = gapOf(record, source.id);
    if (gap !== undefined) {
      return no(
        gapReason(gap),
        `the ${S} was computed ${gapWords[gap.why]}, so this tape neither recorded nor watches it; ` +
          'watch() it before computing the target',
      );
    }
    const variableHint = !source.isVariable
      ? ''
      : source.watchOnRead
        ? record.watchAccessedVariables
          ? ' (no op read the variable while the tape recorded)'
          : ' (this tape has watchAccessedVariables: false)'
        : ' (it is not trainable, so it is watched only on request)';
    return no(
      'notWatched',
      `the ${S} is not watched by this tape${variableHint}, and no op the tape recorded computed it; ` +
        'call tape.watch(source) before computing the target',
    );
  }

  if (spent?.lostBehindTarget === true) return released();

  // Forward sweep: every tracked tensor computed from the source, with the tensors themselves.
  const reached = new Map<number, Tensor>([[source.id, source]]);
  let hops = 0;
  for (const entry of entries) {
    if (entry.node.inputs.some((x) => reached.has(x.id))) {
      reached.set(entry.id, entry);
      hops++;
    }
  }
  if (reached.has(target.id) && producerOfTarget !== undefined) {
    const op = producerOfTarget.node.op.name;
    const afterSpent = spent === undefined ? '' : `; this tape's ${spent.by}() has spent it since`;
    return {
      connected: true,
      reason: 'connected',
      op,
      message:
        `the ${T} is computed from the ${S} by ${hops} recorded op${hops === 1 ? '' : 's'}, the last being ` +
        `'${op}'${afterSpent}`,
    };
  }

  // The path is broken. Where did the source's dependents go?
  const breaks = record.unrecorded.filter((u) => u.inputIds.some((id) => reached.has(id)));
  const lastUse = (): string => {
    const cut = breaks.at(-1);
    if (cut !== undefined) {
      return (
        `; the last op that used the source (or a tensor computed from it) was '${cut.op}' ` +
        `(${cut.outputDType === 'float32' || cut.outputDType === 'float64' ? 'no gradient' : `${cut.outputDType} output, no gradient`})`
      );
    }
    const last = record.lastUseOfSource;
    if (last !== undefined) {
      return `; the last op computed from the source was '${last.op}' (giving #${last.outputId}), which the target does not use`;
    }
    // Uses are kept for watched tensors and variables only: of a computed source nothing more is known.
    return source.node === undefined ? '; no op this tape recorded used the source' : '';
  };
  const breakInto = (x: Tensor) => lastWhere(breaks, (u) => u.outputId === x.id);
  // stopGradient is an op without a gradient, noted like the others: the cut it makes has its own reason.
  const stopGradientOf = (x: Tensor): number | undefined => {
    const cut = breakInto(x);
    return cut?.op === 'stopGradient' ? cut.inputIds[0] : undefined;
  };

  if (!tracked.has(target.id)) {
    if (record.forgotten.has(target.id)) {
      return no(
        'recordedAfterReset',
        `the ${T} was recorded before reset(), which forgot it; compute it again after reset()`,
      );
    }
    const gap = gapOf(record, target.id);
    if (gap !== undefined) {
      const nest =
        gap.why === 'stopRecording' || gap.why === 'stopped'
          ? ''
          : ' (nest another tape around this one for a higher derivative)';
      return no(gapReason(gap), `the ${T} was computed ${gapWords[gap.why]}, so this tape did not record it${nest}`);
    }
    const stopped = stopGradientOf(target);
    if (stopped !== undefined) {
      return no(
        'stopGradient',
        `the ${T} is stopGradient(#${stopped}), and #${stopped} depends on the ${S}; stopGradient passes no gradient back`,
        'stopGradient',
      );
    }
    const cut = breakInto(target);
    if (cut !== undefined) {
      return no(
        'noPath',
        `the ${T} was computed by '${cut.op}' from ${ids(cut.inputIds)}, which depend on the source, but '${cut.op}' has no gradient`,
        cut.op,
      );
    }
    const lastCut = breaks.at(-1);
    if (lastCut?.op === 'stopGradient' && lastCut.outputId < target.id) {
      // The source's path ends at a stopGradient whose result reached the target only through untracked ops.
      return no(
        'stopGradient',
        `the ${T} depends on no tensor this tape tracks; the path from the ${S} ends at stopGradient(#${lastCut.inputIds[0]}) ` +
          `(#${lastCut.outputId}), and stopGradient passes no gradient back`,
        'stopGradient',
      );
    }
    if (target.id < record.createdAt) {
      return no(
        'computedBeforeTape',
        `the ${T} was computed before this tape was created, so the tape did not record it; create the tape first`,
      );
    }
    return no(
      'noPath',
      `the ${T} was not computed by any op this tape recorded: it depends on no tensor the tape watches ` +
        `(was the source watched only after the target was computed?)${lastUse()}`,
    );
  }

  // The target is on the tape but not downstream of the source: search its recorded ancestry for the cut.
  const producer = new Map<number, TapeEntry>();
  for (const e of entries) producer.set(e.id, e);
  const seen = new Set<number>([target.id]);
  const stack = [target.id];
  let found: GradientExplanation | undefined;
  let gapFound: GradientExplanation | undefined;
  while (stack.length > 0 && found === undefined) {
    const entry = producer.get(stack.pop()!);
    if (entry === undefined) continue;
    for (const x of entry.node.inputs) {
      if (seen.has(x.id)) continue;
      seen.add(x.id);
      if (tracked.has(x.id)) {
        stack.push(x.id);
        continue;
      }
      // A tensor made while the tape was paused may share data with one it tracks (a reshape, say): check gaps first.
      const gap = gapOf(record, x.id);
      if (gap !== undefined) {
        gapFound ??= no(
          gapReason(gap),
          `'${entry.node.op.name}' on the way to the ${T} uses #${x.id}, computed ${gapWords[gap.why]}, so the tape ` +
            `cannot see whether it depends on the ${S}`,
        );
        continue;
      }
      const stopped = stopGradientOf(x);
      const cut = breakInto(x);
      if (stopped !== undefined) {
        found = no(
          'stopGradient',
          `the path is cut by stopGradient: '${entry.node.op.name}' on the way to the ${T} uses #${x.id}, which is ` +
            `stopGradient(#${stopped}), and #${stopped} depends on the ${S}`,
          'stopGradient',
        );
      } else if (cut !== undefined) {
        found = no(
          'noPath',
          `the path breaks at '${cut.op}' (${cut.outputDType} output #${x.id}, no gradient): it uses a tensor computed ` +
            `from the ${S}, and '${entry.node.op.name}' on the way to the ${T} uses its output`,
          cut.op,
        );
      }
    }
  }
  if (found !== undefined) return found;
  if (gapFound !== undefined) return gapFound;
  const made = producerOfTarget;
  if (made === undefined) {
    return no(
      'noPath',
      `the ${T} is watched by this tape directly (no recorded op computed it), so it does not depend on the ${S}`,
    );
  }
  const inputs = made.node.inputs.map((x) => x.id);
  const none =
    inputs.length === 1
      ? 'which does not depend'
      : inputs.length === 2
        ? 'neither of which depends'
        : 'none of which depends';
  return no(
    'noPath',
    `the ${T} was computed by '${made.node.op.name}' from ${ids(inputs)}, ${none} on the ${S}${lastUse()}`,
    breaks.at(-1)?.op ?? made.node.op.name,
  );
}
