/**
 * GradientTape.explain: one describe per reason, each checking that the
 * reason agrees with what gradient() actually gives, and that the message
 * names the ops and tensors involved.
 */
import fc from 'fast-check';
import {
  GradientTape,
  Tensor,
  add,
  cast,
  equal,
  greater,
  mul,
  scalar,
  square,
  stopGradient,
  sum,
  tensor,
  variable,
  type ExplainReason,
  type GradientExplanation,
} from '../lib/index.js';

/** explain(), checked against gradient() on the same (persistent) tape. */
function explainChecked(tape: GradientTape, target: Tensor, source: Tensor): GradientExplanation {
  const why = tape.explain(target, source);
  const g = tape.gradient(target, source);
  expect({ connected: why.connected, gradientDefined: g !== undefined }).toEqual({
    connected: g !== undefined,
    gradientDefined: g !== undefined,
  });
  return why;
}

describe("'connected'", () => {
  test('a chain of recorded ops: names the op that made the target and counts the ops', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = sum(mul(square(x), 3));
    const why = explainChecked(tape, y, x);
    expect(why).toEqual({
      connected: true,
      reason: 'connected',
      op: 'sum',
      message: `the target #${y.id} (float32 []) is computed from the source #${x.id} (float32 [2]) by 3 recorded ops, the last being 'sum'`,
    });
  });

  test('the target is the source', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const why = explainChecked(tape, x, x);
    expect(why.reason).toBe('connected');
    expect(why.op).toBeUndefined();
    expect(why.message).toContain('the target is the source itself');
  });

  test('the target is the source, unwatched: connected too, as its gradient is ones', () => {
    const x = tensor([1, 2]);
    const v = variable([3]);
    const tape = new GradientTape({ persistent: true, watchAccessedVariables: false });
    expect(explainChecked(tape, x, x).reason).toBe('connected');
    expect(explainChecked(tape, v, v).reason).toBe('connected');
    expect(tape.explain(x, x).message).toContain('watched or not');
    tape.stop();
  });

  test('a trainable variable watched on read, named in the message', () => {
    const v = variable(tensor([1, 2]), { name: 'w' });
    const tape = new GradientTape({ persistent: true });
    const y = mul(v, 2);
    const why = explainChecked(tape, y, v);
    expect(why.reason).toBe('connected');
    expect(why.message).toContain(`source variable 'w' #${v.id} (float32 [2])`);
  });
});

describe("'notWatched'", () => {
  test('a tensor never watched', () => {
    const x = scalar(3);
    const tape = new GradientTape({ persistent: true });
    const y = mul(x, x);
    const why = explainChecked(tape, y, x);
    expect(why).toEqual({
      connected: false,
      reason: 'notWatched',
      message:
        `the source #${x.id} (float32 []) is not watched by this tape, and no op the tape recorded computed it; ` +
        'call tape.watch(source) before computing the target',
    });
  });

  test('a non-trainable variable: the message says it is watched only on request', () => {
    const v = variable(scalar(1), { trainable: false, name: 'frozen' });
    const tape = new GradientTape({ persistent: true });
    const why = explainChecked(tape, mul(v, 2), v);
    expect(why.reason).toBe('notWatched');
    expect(why.message).toContain("variable 'frozen'");
    expect(why.message).toContain('it is not trainable, so it is watched only on request');
  });

  test('a trainable variable on a tape with watchAccessedVariables: false', () => {
    const v = variable(scalar(1));
    const tape = new GradientTape({ persistent: true, watchAccessedVariables: false });
    const why = explainChecked(tape, mul(v, 2), v);
    expect(why.reason).toBe('notWatched');
    expect(why.message).toContain('watchAccessedVariables: false');
  });
});

describe("'integerDtype'", () => {
  test('an int32 source, even when watched', () => {
    const i = tensor([1, 2], undefined, 'int32');
    const tape = new GradientTape({ persistent: true });
    tape.watch(i);
    const why = explainChecked(tape, add(cast(i, 'float32'), 1), i);
    expect(why.reason).toBe('integerDtype');
    expect(why.message).toBe(
      `the source #${i.id} (int32 [2]) is int32, which has no gradient; only float32 and float64 do`,
    );
  });

  test('a bool target, naming the comparison that made it', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const b = greater(x, 1);
    const why = explainChecked(tape, b, x);
    expect(why).toEqual({
      connected: false,
      reason: 'integerDtype',
      op: 'greater',
      message: `the target #${b.id} (bool [2]) (computed by 'greater') is bool, which has no gradient; only float32 and float64 targets do`,
    });
  });
});

describe("'stopGradient'", () => {
  test('stopGradient on the way: a recorded op uses its result', () => {
    const x = scalar(3);
    const w = scalar(2);
    const tape = new GradientTape({ persistent: true });
    tape.watch([x, w]);
    const sq = square(x);
    const cut = stopGradient(sq);
    const y = mul(cut, w);
    const why = explainChecked(tape, y, x);
    expect(why.reason).toBe('stopGradient');
    expect(why.message).toBe(
      `the path is cut by stopGradient: 'mul' on the way to the target #${y.id} (float32 []) uses #${cut.id}, which ` +
        `is stopGradient(#${sq.id}), and #${sq.id} depends on the source #${x.id} (float32 [])`,
    );
    expect(explainChecked(tape, y, w).reason).toBe('connected');
  });

  test('the target itself is a stopGradient result', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const sq = square(x);
    const y = stopGradient(sq);
    const why = explainChecked(tape, y, x);
    expect(why.reason).toBe('stopGradient');
    expect(why.message).toContain(`is stopGradient(#${sq.id})`);
  });

  test('a stopGradient result that only meets constants on the way to the target', () => {
    const x = scalar(3);
    const tape = new GradientTape();
    tape.watch(x);
    const y = mul(stopGradient(square(x)), 2);
    const why = explainChecked(tape, y, x);
    expect([why.reason, why.op]).toEqual(['stopGradient', 'stopGradient']);
    expect(why.message).toContain('stopGradient passes no gradient back');
  });

  test('stopGradient of a watched variable', () => {
    const v = variable(tensor([1, 2]));
    const w = tensor([3, 4]);
    const tape = new GradientTape({ persistent: true });
    tape.watch([v, w]);
    const y = mul(stopGradient(v), w);
    expect(explainChecked(tape, y, v).reason).toBe('stopGradient');
  });
});

describe("'recordedAfterReset'", () => {
  test('the source was watched before reset(), the target computed after it', () => {
    const x = scalar(3);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    tape.reset();
    const y = mul(x, x);
    const why = explainChecked(tape, y, x);
    expect(why.reason).toBe('recordedAfterReset');
    expect(why.message).toBe(
      `the source #${x.id} (float32 []) was watched (or computed on this tape) before reset(), which forgot it; ` +
        'watch it again after reset() and compute the target after that',
    );
  });

  test('the target was recorded before reset(), the source watched again after it', () => {
    const x = scalar(3);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = mul(x, x);
    tape.reset();
    tape.watch(x);
    const why = explainChecked(tape, y, x);
    expect(why.reason).toBe('recordedAfterReset');
    expect(why.message).toBe(
      `the target #${y.id} (float32 []) was recorded before reset(), which forgot it; compute it again after reset()`,
    );
  });
});

describe("'recordedWhileStopped'", () => {
  test('the target was computed inside stopRecording()', () => {
    const x = scalar(3);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = tape.stopRecording(() => mul(x, x));
    const why = explainChecked(tape, y, x);
    expect(why.reason).toBe('recordedWhileStopped');
    expect(why.message).toBe(
      `the target #${y.id} (float32 []) was computed inside stopRecording(), so this tape did not record it`,
    );
  });

  test('the target was computed after stop()', () => {
    const x = scalar(3);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    tape.stop();
    const y = mul(x, x);
    const why = explainChecked(tape, y, x);
    expect(why.reason).toBe('recordedWhileStopped');
    expect(why.message).toContain('after stop() ended the tape');
  });

  test('the source was computed inside stopRecording()', () => {
    const x = scalar(3);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const h = tape.stopRecording(() => mul(x, 2));
    const y = mul(h, x);
    const why = explainChecked(tape, y, h);
    expect(why.reason).toBe('recordedWhileStopped');
    expect(why.message).toContain(`the source #${h.id} (float32 []) was computed inside stopRecording()`);
  });

  test('a recorded op on the way uses a tensor computed inside stopRecording()', () => {
    const x = scalar(3);
    const w = scalar(2);
    const tape = new GradientTape({ persistent: true });
    tape.watch([x, w]);
    const h = tape.stopRecording(() => mul(x, 2));
    const y = add(h, w);
    const why = explainChecked(tape, y, x);
    expect(why.reason).toBe('recordedWhileStopped');
    expect(why.message).toBe(
      `'add' on the way to the target #${y.id} (float32 []) uses #${h.id}, computed inside stopRecording(), so the ` +
        `tape cannot see whether it depends on the source #${x.id} (float32 [])`,
    );
  });
});

describe("'ownBackwardPass'", () => {
  test("a gradient from this tape's own gradient() is not on the tape", () => {
    const x = scalar(3);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const g = tape.gradient(mul(mul(x, x), x), x)!;
    const why = explainChecked(tape, g, x);
    expect(why.reason).toBe('ownBackwardPass');
    expect(why.message).toContain("by this tape's own gradient()");
    expect(why.message).toContain('nest another tape around this one for a higher derivative');
  });
});

describe("'computedBeforeTape'", () => {
  test('the target was computed before the tape existed', () => {
    const x = scalar(3);
    const y = mul(x, x);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const why = explainChecked(tape, y, x);
    expect(why.reason).toBe('computedBeforeTape');
    expect(why.message).toContain('was computed before this tape was created');
  });
});

describe("'noPath'", () => {
  test("the brief's example: add of tensors that do not depend on the source; the source last went into 'equal'", () => {
    const x = tensor([1, 2]);
    const w = tensor([3, 4]);
    const tape = new GradientTape({ persistent: true });
    tape.watch([x, w]);
    const mask = cast(equal(x, 1), 'float32'); // equal has no gradient
    const a = mul(w, mask);
    const b = square(w);
    const y = add(a, b);
    const why = explainChecked(tape, y, x);
    expect(why).toEqual({
      connected: false,
      reason: 'noPath',
      op: 'equal',
      message:
        `the target #${y.id} (float32 [2]) was computed by 'add' from #${a.id} and #${b.id}, neither of which depends ` +
        `on the source #${x.id} (float32 [2]); the last op that used the source (or a tensor computed from it) was ` +
        "'equal' (bool output, no gradient)",
    });
  });

  test('a source used only by a branch the target does not use', () => {
    const x = scalar(1);
    const w = scalar(2);
    const tape = new GradientTape({ persistent: true });
    tape.watch([x, w]);
    const side = mul(x, 5);
    const y = mul(w, w);
    const why = explainChecked(tape, y, x);
    expect(why.reason).toBe('noPath');
    expect(why.op).toBe('mul');
    expect(why.message).toContain(`was computed by 'mul' from #${w.id}`);
    expect(why.message).toContain(
      `the last op computed from the source was 'mul' (giving #${side.id}), which the target does not use`,
    );
  });

  test('a cast to int32 and back breaks the path: names the cast', () => {
    const x = tensor([1.5, 2.5]);
    const w = tensor([1, 1]);
    const tape = new GradientTape({ persistent: true });
    tape.watch([x, w]);
    const i = cast(x, 'int32');
    const y = mul(cast(i, 'float32'), w);
    const why = explainChecked(tape, y, x);
    expect(why.reason).toBe('noPath');
    expect(why.op).toBe('cast');
  });

  test('a target computed by an op with no gradient from the source', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = cast(greater(x, 1), 'float32'); // the float cast reads a bool, which the tape does not track
    const why = explainChecked(tape, y, x);
    expect(why.reason).toBe('noPath');
    expect(why.message).toContain("the last op that used the source (or a tensor computed from it) was 'greater'");
  });

  test('a target that depends on nothing the tape tracks', () => {
    const x = scalar(1);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = mul(scalar(2), 3);
    const why = explainChecked(tape, y, x);
    expect(why.reason).toBe('noPath');
    expect(why.message).toContain('was not computed by any op this tape recorded');
    expect(why.message).toContain('no op this tape recorded used the source');
  });
});

describe("'noPath' for a watched target", () => {
  test('a target the tape watches directly does not depend on another source', () => {
    const x = scalar(1);
    const w = scalar(2);
    const tape = new GradientTape({ persistent: true });
    tape.watch([x, w]);
    const why = explainChecked(tape, w, x);
    expect(why.reason).toBe('noPath');
    expect(why.message).toBe(
      `the target #${w.id} (float32 []) is watched by this tape directly (no recorded op computed it), so it does ` +
        `not depend on the source #${x.id} (float32 [])`,
    );
  });
});

describe('explain().connected agrees with gradient() on random programs', () => {
  type Step = { kind: 'mul' | 'add' | 'stop' | 'equal' | 'paused' | 'square'; a: number; b: number };
  const step = fc.record({
    kind: fc.constantFrom<Step['kind']>('mul', 'add', 'stop', 'equal', 'paused', 'square'),
    a: fc.nat(),
    b: fc.nat(),
  });

  test('over mul, add, square, stopGradient, a comparison and stopRecording, for every pair of tensors', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), fc.boolean(), (steps, watchSecond) => {
        const tape = new GradientTape({ persistent: true });
        const pool: Tensor[] = [tensor([1, 2]), tensor([3, 4]), tensor([5, 6])];
        tape.watch(watchSecond ? [pool[0]!, pool[1]!] : pool[0]!);
        for (const { kind, a, b } of steps) {
          const x = pool[a % pool.length]!;
          const y = pool[b % pool.length]!;
          const made = {
            mul: () => mul(x, y),
            add: () => add(x, y),
            square: () => square(x),
            stop: () => stopGradient(x),
            equal: () => cast(equal(x, y), 'float32'),
            paused: () => tape.stopRecording(() => mul(x, y)),
          }[kind]();
          pool.push(made);
        }
        for (const target of pool) {
          for (const source of pool) {
            const why = tape.explain(target, source);
            const defined = tape.gradient(target, source) !== undefined;
            if (why.connected !== defined) {
              throw new Error(
                `explain says ${why.reason} (${why.message}) but the gradient is ${defined ? 'defined' : 'undefined'}`,
              );
            }
            expect(why.message.length).toBeGreaterThan(0);
          }
        }
        tape.stop();
      }),
      { numRuns: 60 },
    );
  });
});

/** A fresh copy of the library, in which no tape is live yet: a spent tape there cuts what it replayed. */
function freshLibrary(): typeof import('../lib/index.js') {
  let lib: typeof import('../lib/index.js') | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    lib = require('../lib/index.js') as typeof import('../lib/index.js');
  });
  return lib!;
}

describe("a spent tape: the real reason while it is known, 'tapeConsumed' once the spend let go of it", () => {
  test('gradient() gave undefined since the tape came after the ops: explain says so afterwards', () => {
    const x = scalar(3);
    const y = mul(x, x);
    const tape = new GradientTape();
    tape.watch(x);
    expect(tape.gradient(y, x)).toBeUndefined();
    expect(tape.explain(y, x)).toEqual({
      connected: false,
      reason: 'computedBeforeTape',
      message: `the target #${y.id} (float32 []) was computed before this tape was created, so the tape did not record it; create the tape first`,
    });
  });

  test('gradient() gave undefined for a source never watched, or cut by stopGradient: the same reasons afterwards', () => {
    const lib = freshLibrary(); // no other live tape: a spend cuts what it replays
    const x = lib.scalar(3);
    const tape = new lib.GradientTape();
    const y = lib.mul(x, x);
    const before = tape.explain(y, x);
    expect(tape.gradient(y, x)).toBeUndefined();
    expect(before.reason).toBe('notWatched');
    expect(tape.explain(y, x)).toEqual(before);
    const [w, c] = [lib.scalar(1), lib.scalar(2)];
    const other = new lib.GradientTape();
    other.watch([w, c]);
    const z = lib.add(lib.mul(w, 2), lib.stopGradient(lib.mul(c, 3)));
    const cut = other.explain(z, c);
    expect(other.gradient(z, c)).toBeUndefined();
    expect(cut.reason).toBe('stopGradient');
    expect(other.explain(z, c)).toEqual(cut);
  });

  test('a connected pair, ops kept (another tape may read them): connected, saying the tape is spent', () => {
    const x = scalar(3);
    const keeper = new GradientTape({ persistent: true }); // live: it may still read the ops
    const tape = new GradientTape();
    tape.watch(x);
    const y = mul(x, x);
    expect(tape.gradient(y, x)?.item()).toBe(6);
    expect(y.node).toBeDefined();
    expect(tape.explain(y, x)).toEqual({
      connected: true,
      reason: 'connected',
      op: 'mul',
      message: `the target #${y.id} (float32 []) is computed from the source #${x.id} (float32 []) by 1 recorded op, the last being 'mul'; this tape's gradient() has spent it since`,
    });
    keeper.stop();
  });

  test('a connected pair whose ops the spend cut: connected, from what the spending call gave', () => {
    const lib = freshLibrary();
    const x = lib.scalar(3);
    const tape = new lib.GradientTape();
    tape.watch(x);
    const y = lib.mul(x, x);
    expect(tape.gradient(y, x)?.item()).toBe(6);
    expect(y.node).toBeUndefined(); // cut: no tape may read it
    expect(tape.explain(y, x)).toEqual({
      connected: true,
      reason: 'connected',
      message: `this tape's gradient() gave the source #${x.id} (float32 []) a gradient of the target #${y.id} (float32 []); the tape is not persistent, so it was spent then and let go of the ops between them`,
    });
    const j = new lib.GradientTape();
    j.watch(x);
    const z = lib.mul(x, 2);
    j.jacobian(z, x);
    expect(j.explain(z, x).message).toContain("this tape's jacobian() gave the source");
  });

  test('a pair away from what the spend cut keeps its real reason', () => {
    const lib = freshLibrary();
    const x = lib.scalar(3);
    const c = lib.scalar(2);
    const tape = new lib.GradientTape();
    tape.watch([x, c]);
    const y = lib.mul(x, x);
    const z = lib.mul(c, 5);
    const flag = lib.mul(lib.cast(lib.greater(c, 1), 'float32'), x);
    const before = [tape.explain(z, x), tape.explain(flag, c)];
    tape.gradient(y, x);
    expect(y.node).toBeUndefined();
    expect(tape.explain(z, c).reason).toBe('connected');
    expect(before.map((why) => [why.reason, why.op])).toEqual([
      ['noPath', 'mul'],
      ['noPath', 'greater'],
    ]);
    expect([tape.explain(z, x), tape.explain(flag, c)]).toEqual(before);
  });

  test("the ops behind the target cut, for a source it gave no gradient or with several targets: 'tapeConsumed'", () => {
    const lib = freshLibrary();
    const [w, c] = [lib.scalar(1), lib.scalar(2)];
    const tape = new lib.GradientTape();
    tape.watch([w, c]);
    const z = lib.add(lib.mul(w, 2), lib.stopGradient(lib.mul(c, 3)));
    expect(tape.explain(z, c).reason).toBe('stopGradient'); // before the spend
    expect(tape.gradient(z, [w, c]).map((g) => g?.item())).toEqual([2, undefined]);
    expect(z.node).toBeUndefined(); // the path from w was replayed, then cut
    expect(tape.explain(z, c)).toEqual({
      connected: false,
      reason: 'tapeConsumed',
      message:
        `this tape is not persistent and its gradient() gave the source #${c.id} (float32 []) no gradient of the ` +
        `target #${z.id} (float32 []), and let go of recorded ops between the target #${z.id} (float32 []) and the ` +
        `source #${c.id} (float32 []), so the reason is no longer known; create it with new GradientTape({ persistent: ` +
        'true }) to ask more than once, or call explain() before gradient()',
    });
    const x = lib.scalar(3);
    const several = new lib.GradientTape();
    several.watch([x, w]);
    const y1 = lib.mul(x, w);
    const y2 = lib.mul(x, 2);
    several.gradient([y1, y2], x);
    expect(several.explain(y1, x).reason).toBe('tapeConsumed'); // which target gave x its gradient is not kept
    expect(several.explain(y1, w).message).toContain('let go of recorded ops between');
  });
});

describe('explain() itself', () => {
  test('does not spend a non-persistent tape', () => {
    const x = scalar(3);
    const tape = new GradientTape();
    tape.watch(x);
    const y = mul(x, x);
    expect(tape.explain(y, x).connected).toBe(true);
    expect(tape.gradient(y, x)?.item()).toBe(6);
  });

  test('every reason is a documented ExplainReason (type check)', () => {
    const reasons: ExplainReason[] = [
      'connected',
      'notWatched',
      'integerDtype',
      'stopGradient',
      'recordedAfterReset',
      'recordedWhileStopped',
      'ownBackwardPass',
      'computedBeforeTape',
      'noPath',
      'tapeConsumed',
    ];
    expect(new Set(reasons).size).toBe(10);
  });

  test('a non-tensor argument is a TypeError naming the argument', () => {
    const tape = new GradientTape();
    expect(() => tape.explain(3 as unknown as Tensor, scalar(1))).toThrow(
      'tapegrad.GradientTape.explain: target must be a tensor, got number',
    );
    expect(() => tape.explain(scalar(1), null as unknown as Tensor)).toThrow(
      'tapegrad.GradientTape.explain: source must be a tensor, got null',
    );
  });
});
