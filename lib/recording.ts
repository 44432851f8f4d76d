/**
 * The recording context: what is live right now for autodiff. It counts the
 * tapes that record and the forward accumulators that are active, and hangs
 * each recorded op off its output tensor (as PyTorch's `grad_fn`), so that
 * what is recorded lives exactly as long as the tensors that need it. A tape
 * is then only its watched set and the ranges of tensor ids in which it
 * recorded (lib/tape.ts); `gradient()` walks back from the targets.
 *
 * The cost of an op therefore follows its inputs, never the number of tapes:
 * an op whose inputs no tape could track (no recorded history, never watched,
 * not a trainable variable read while a tape watches accessed variables)
 * records nothing, however many tapes exist, and a forgotten tape holds
 * nothing but itself.
 *
 * A leaf: it imports values from dtype.ts only, so op.ts, tensor.ts and the
 * tapes above it can all import it.
 */
import { isFloat } from './dtype.js';
import type { OpDef } from './op.js';
import type { Tensor } from './tensor.js';

/**
 * One op application, hung off its output tensor (`output.node`): its inputs
 * as the backward pass must see them, its attributes, and whether it has a
 * gradient. Ops with no gradient (comparisons, `stopGradient`) and ops with
 * an integer or bool output are kept too, for `GradientTape.explain`, and
 * never replayed (see {@link isReplayed}).
 */
export interface TapeNode {
  readonly op: OpDef<unknown>;
  readonly inputs: readonly Tensor[];
  readonly attrs: unknown;
  /** The innermost `withoutRecording` active when the op ran (0: none): tapes older than it did not record it. */
  readonly pausedBy: number;
}

/**
 * The variables read by recorded ops in one stretch of time during which no
 * tape that watches accessed variables started or stopped recording. A tape
 * that watches accessed variables holds the first stretch it recorded in and
 * reads its variables from the chain; stretches older than every live tape's
 * are garbage.
 */
export interface ReadEpoch {
  readonly reads: Tensor[];
  next: ReadEpoch | undefined;
  /** The innermost `withoutRecording` active during the stretch (0: none). */
  readonly pausedBy: number;
}

/** What an op must know to record itself, as plain fields read on every op. */
interface RecordingState {
  /** Tapes recording now (paused and stopped ones not counted; inside `withoutRecording`, only those made inside). */
  tapes: number;
  /** Of those, the ones that watch the trainable variables ops read. */
  variableWatchers: number;
  /** Numbers tapes and `withoutRecording` calls in the order they start. */
  sequence: number;
  /** The number of the innermost active `withoutRecording` (0: none); tapes numbered below it are paused. */
  pausedBy: number;
  /** The stretch in which variable reads are being collected now. */
  epoch: ReadEpoch;
  /** The counts outside each active `withoutRecording`, outermost first. */
  outside: { tapes: number; variableWatchers: number; pausedBy: number }[];
  /**
   * Tapes that may still read recorded ops: every tape not yet spent by a
   * non-persistent `gradient()` (a persistent tape, or a forgotten one, stays
   * counted). When none is left, a spent tape cuts the ops it replayed off
   * their outputs, so tensors kept after a training step (a loss kept for a
   * log) do not keep the step's graph alive.
   */
  liveTapes: number;
  /**
   * The number of the tape whose saved values nobody can read once its own
   * gradient is taken (`variableGrads` and the optimizers run `f` under one),
   * while it runs `f`; 0: none. A variable it alone records (no other tape
   * recording, no forward accumulator) does not count the value saved as
   * shared, so that an optimizer may then update it in place.
   */
  privateTape: number;
}

/** @internal */
export const recording: RecordingState = {
  tapes: 0,
  variableWatchers: 0,
  sequence: 0,
  pausedBy: 0,
  epoch: { reads: [], next: undefined, pausedBy: 0 },
  outside: [],
  liveTapes: 0,
  privateTape: 0,
};

/**
 * Counts a tape numbered `sequence` as starting (+1) or stopping (-1) to
 * record, at the level of `withoutRecording` calls where it is seen: a tape
 * paused by one counts in the counts kept outside it.
 * @internal
 */
export function countTape(sequence: number, change: 1 | -1, watchesVariables: boolean): void {
  let counts: { tapes: number; variableWatchers: number } = recording;
  if (sequence < recording.pausedBy) {
    const outside = recording.outside;
    for (let k = outside.length - 1; k >= 0; k--) {
      counts = outside[k]!;
      if (sequence > outside[k]!.pausedBy) break;
    }
  }
  counts.tapes += change;
  if (watchesVariables) counts.variableWatchers += change;
}

/**
 * Starts a new stretch of variable reads: called whenever a tape that
 * watches accessed variables starts or stops recording.
 * @internal
 */
export function newReadEpoch(): ReadEpoch {
  const epoch: ReadEpoch = { reads: [], next: undefined, pausedBy: recording.pausedBy };
  recording.epoch.next = epoch;
  recording.epoch = epoch;
  return epoch;
}

/**
 * Runs `fn` with every tape that exists now paused, and returns its result;
 * tapes made inside `fn` record as usual (a gradient check differentiates
 * inside it), and forward accumulators still see it. No tape's state is
 * saved and restored: one stopped inside `fn` stays stopped. The tapes are
 * paused by number rather than by list: a node made inside remembers this
 * call's number, and older tapes skip it.
 * @internal
 */
export function withoutRecording<T>(fn: () => T): T {
  const outer = { tapes: recording.tapes, variableWatchers: recording.variableWatchers, pausedBy: recording.pausedBy };
  recording.outside.push(outer);
  recording.tapes = 0;
  recording.variableWatchers = 0;
  recording.pausedBy = ++recording.sequence;
  newReadEpoch();
  try {
    return fn();
  } finally {
    // Tapes made inside that still record are seen outside now.
    recording.outside.pop();
    recording.tapes += outer.tapes;
    recording.variableWatchers += outer.variableWatchers;
    recording.pausedBy = outer.pausedBy;
    newReadEpoch();
  }
}

/**
 * Records an op that just ran, if a tape could want it: hangs a node off
 * `output` when one of `inputs` has recorded history, is watched, or is a
 * trainable variable read while a tape watches accessed variables.
 * @internal
 */
export function recordOp(
  op: OpDef<unknown>,
  differentiable: boolean,
  inputs: readonly Tensor[],
  output: Tensor,
  attrs: unknown,
): void {
  const recorded = differentiable && isFloat(output.dtype);
  let tracked = false;
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i]!;
    if (x.node !== undefined || x.watched) tracked = true;
    else if (recording.variableWatchers !== 0 && x.watchOnRead && isFloat(x.dtype)) {
      tracked = true;
      if (recorded) noteRead(x);
    }
  }
  if (!tracked) return;
  const node: TapeNode = {
    op,
    inputs: recorded ? savedInputs(inputs) : inputs,
    attrs,
    pausedBy: recording.pausedBy,
  };
  output.node = node;
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i]!;
    // For explain(): the last op that used a watched tensor or a variable (few of them; off the per-tensor fields).
    if (x.node === undefined && mayBeTracked(x)) lastUses.set(x, { op: op.name, outputId: output.id });
  }
}

/**
 * Whether a backward pass runs the VJP of the op that computed `output`: a
 * differentiable op with a float output.
 * @internal
 */
export function isReplayed(output: Tensor, node: TapeNode): boolean {
  return node.op.vjp !== 'none' && isFloat(output.dtype);
}

/** The last op that used each watched tensor or variable, and its output's id, for `GradientTape.explain`. */
const lastUses = new WeakMap<Tensor, { readonly op: string; readonly outputId: number }>();

/**
 * The last recorded op that used `x` (a watched tensor or a variable), if any.
 * @internal
 */
export function lastUseOf(x: Tensor): { readonly op: string; readonly outputId: number } | undefined {
  return lastUses.get(x);
}

/**
 * Whether some tape could track `x`: it has a recorded op, was watched, or
 * is a trainable variable (or a variable's saved value). A tensor for which
 * this is false is a constant to every tape, so the backward pass skips its
 * lookups.
 * @internal
 */
export function mayBeTracked(x: Tensor): boolean {
  return x.node !== undefined || x.watched || x.watchOnRead;
}

/** Notes that a recorded op read a trainable variable, once per stretch. */
function noteRead(variable: Tensor): void {
  const epoch = recording.epoch;
  if (variable.readEpoch === epoch) return;
  variable.readEpoch = epoch;
  epoch.reads.push(variable);
}

/**
 * The inputs as the backward pass must see them: variables by their value now, counted as shared unless the only
 * tape recording is a private one ({@link RecordingState.privateTape}).
 */
function savedInputs(inputs: readonly Tensor[]): readonly Tensor[] {
  let saved = inputs;
  const shared = recording.tapes !== 1 || recording.privateTape <= recording.pausedBy || forwardMode.active !== 0;
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i]!;
    const s = x.snapshot(shared);
    if (s !== x) {
      if (saved === inputs) saved = inputs.slice();
      (saved as Tensor[])[i] = s;
    }
  }
  return saved;
}

/**
 * Runs `fn` with the tape numbered `sequence` as the private one ({@link RecordingState.privateTape}): the caller
 * made it, and nothing but that caller's own gradient call reads what it records.
 * @internal
 */
export function recordPrivately<T>(sequence: number, fn: () => T): T {
  const outer = recording.privateTape;
  recording.privateTape = sequence;
  try {
    return fn();
  } finally {
    recording.privateTape = outer;
  }
}

/**
 * Forward mode's hook, set by lib/forward.ts when it loads, so that op.ts
 * (below it) can feed tangents without importing it. `active` is the number of
 * active forward accumulators.
 * @internal
 */
export const forwardMode: {
  active: number;
  propagate: (op: OpDef<unknown>, inputs: readonly Tensor[], output: Tensor, attrs: unknown) => void;
} = {
  active: 0,
  propagate: () => {},
};
