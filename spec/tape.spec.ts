/**
 * GradientTape semantics, one `describe` per bullet of the GradientTape
 * section of issue 2.
 */
import {
  GradientTape,
  Tensor,
  add,
  cast,
  matmul,
  mul,
  ones,
  pow,
  scalar,
  stopGradient,
  sum,
  tensor,
  variable,
  zeros,
} from '../lib/index.js';
import { defineOp } from '../lib/op.js';

const values = (g: Tensor | undefined) => g?.arraySync();

describe('new GradientTape() records from construction; stop() and `using` end recording; several tapes at once', () => {
  test('a new tape records at once, with no call to start it', () => {
    const x = scalar(3);
    const tape = new GradientTape();
    expect(tape.recording).toBe(true);
    tape.watch(x);
    const y = mul(x, x);
    expect(tape.gradient(y, x)?.item()).toBe(6);
  });

  test('defaults are persistent false and watchAccessedVariables true', () => {
    const tape = new GradientTape();
    expect(tape.persistent).toBe(false);
    expect(tape.watchAccessedVariables).toBe(true);
    tape.stop();
  });

  test('stop() ends recording: ops after it are not recorded, those before it still give gradients', () => {
    const x = scalar(3);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const before = mul(x, 2);
    tape.stop();
    expect(tape.recording).toBe(false);
    const after = mul(x, 5);
    expect(tape.gradient(before, x)?.item()).toBe(2);
    expect(tape.gradient(after, x)).toBeUndefined();
  });

  test('stop() twice is harmless', () => {
    const tape = new GradientTape();
    tape.stop();
    tape.stop();
    expect(tape.recording).toBe(false);
  });

  test('`using tape = new GradientTape()` stops recording at the end of the block', () => {
    const x = scalar(3);
    let outside: GradientTape;
    let inside: Tensor;
    {
      using tape = new GradientTape({ persistent: true });
      outside = tape;
      tape.watch(x);
      inside = mul(x, 4);
      expect(tape.recording).toBe(true);
    }
    expect(outside.recording).toBe(false);
    const later = mul(x, 5);
    expect(outside.gradient(inside, x)?.item()).toBe(4);
    expect(outside.gradient(later, x)).toBeUndefined();
  });

  test('`using` stops the tape even when the block throws', () => {
    let kept: GradientTape | undefined;
    expect(() => {
      using tape = new GradientTape();
      kept = tape;
      throw new Error('boom');
    }).toThrow('boom');
    expect(kept?.recording).toBe(false);
  });

  test('two tapes recording at once each give their own correct gradients', () => {
    const x = scalar(2);
    const w = scalar(5);
    using tx = new GradientTape();
    using tw = new GradientTape();
    tx.watch(x);
    tw.watch(w);
    const y = mul(mul(x, x), w); // y = x^2 w
    expect(tx.gradient(y, x)?.item()).toBe(20); // 2 x w
    expect(tw.gradient(y, w)?.item()).toBe(4); // x^2
  });

  test('a tape does not see ops run before it was created', () => {
    const x = scalar(2);
    using first = new GradientTape({ persistent: true });
    first.watch(x);
    const a = mul(x, 3);
    using second = new GradientTape();
    second.watch(x);
    const b = mul(a, 4);
    expect(first.gradient(b, x)?.item()).toBe(12);
    expect(second.gradient(b, x)).toBeUndefined();
  });
});

describe('watch(tensor | array | record)', () => {
  test('watch accepts one tensor', () => {
    const x = tensor([1, 2]);
    using tape = new GradientTape();
    tape.watch(x);
    expect(values(tape.gradient(sum(mul(x, 3)), x))).toEqual([3, 3]);
  });

  test('watch accepts an array of tensors', () => {
    const a = scalar(2);
    const b = scalar(3);
    using tape = new GradientTape();
    tape.watch([a, b]);
    const [ga, gb] = tape.gradient(mul(a, b), [a, b]);
    expect([ga?.item(), gb?.item()]).toEqual([3, 2]);
  });

  test('watch accepts a record of tensors', () => {
    const a = scalar(2);
    const b = scalar(3);
    using tape = new GradientTape();
    tape.watch({ a, b });
    const g = tape.gradient(mul(a, b), { a, b });
    expect([g.a?.item(), g.b?.item()]).toEqual([3, 2]);
  });

  test('an unwatched tensor is not recorded: its gradient is undefined', () => {
    const x = scalar(2);
    using tape = new GradientTape();
    const y = mul(x, x);
    expect(tape.gradient(y, x)).toBeUndefined();
  });

  test('watching an int32 or bool tensor is accepted and gives no gradient', () => {
    const i = tensor([1, 2], undefined, 'int32');
    const b = tensor([true, false]);
    using tape = new GradientTape();
    expect(() => tape.watch([i, b])).not.toThrow();
    const y = add(cast(i, 'float32'), 1);
    expect(tape.gradient(y, [i, b])).toEqual([undefined, undefined]);
  });
});

describe('stopRecording(fn)', () => {
  test('returns the result of fn', () => {
    using tape = new GradientTape();
    expect(tape.stopRecording(() => 42)).toBe(42);
    const t = tape.stopRecording(() => tensor([1, 2]));
    expect(t.arraySync()).toEqual([1, 2]);
  });

  test('ops inside fn are not recorded on this tape, ops after it are again', () => {
    const x = scalar(3);
    using tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const hidden = tape.stopRecording(() => {
      expect(tape.recording).toBe(false);
      return mul(x, x);
    });
    expect(tape.recording).toBe(true);
    const seen = mul(x, 2);
    expect(tape.gradient(hidden, x)).toBeUndefined();
    expect(tape.gradient(seen, x)?.item()).toBe(2);
  });

  test('other tapes still record inside fn', () => {
    const x = scalar(3);
    using paused = new GradientTape();
    using other = new GradientTape();
    paused.watch(x);
    other.watch(x);
    const y = paused.stopRecording(() => mul(x, x));
    expect(other.gradient(y, x)?.item()).toBe(6);
    expect(paused.gradient(y, x)).toBeUndefined();
  });

  test('recording resumes when fn throws', () => {
    using tape = new GradientTape();
    expect(() =>
      tape.stopRecording(() => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(tape.recording).toBe(true);
  });

  test('a tape stopped inside fn stays stopped', () => {
    const tape = new GradientTape();
    tape.stopRecording(() => tape.stop());
    expect(tape.recording).toBe(false);
  });

  test('an async fn throws before it runs: ops after its await would be recorded again', () => {
    const x = scalar(3);
    using tape = new GradientTape();
    tape.watch(x);
    let ran = false;
    const fn = async () => {
      ran = true;
      return mul(x, 2);
    };
    expect(() => tape.stopRecording(fn)).toThrow(
      'tapegrad.GradientTape.stopRecording: fn is an async function; ops after an await inside fn would run while ' +
        'the tape records again. Pass a synchronous function and await outside it',
    );
    expect(ran).toBe(false);
    expect(tape.recording).toBe(true);
  });

  test('a fn that returns a promise throws once it returns, and the tape records again', () => {
    const x = scalar(3);
    using tape = new GradientTape();
    tape.watch(x);
    expect(() => tape.stopRecording(() => Promise.resolve(mul(x, 2)))).toThrow(
      'tapegrad.GradientTape.stopRecording: fn returned a promise; ops after an await inside fn would run',
    );
    expect(tape.recording).toBe(true);
    // The promise is not handed back, so a later rejection of it is handled there rather than left unhandled.
    const thenable = { then: jest.fn() };
    expect(() => tape.stopRecording(() => thenable)).toThrow('fn returned a promise');
    expect(thenable.then).toHaveBeenCalledWith(undefined, expect.any(Function));
  });

  test('fn must be a function', () => {
    using tape = new GradientTape();
    expect(() => tape.stopRecording(3 as unknown as () => number)).toThrow(
      'tapegrad.GradientTape.stopRecording: fn must be a function, got number',
    );
  });
});

describe('reset()', () => {
  test('forgets the recorded ops', () => {
    const x = scalar(3);
    using tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = mul(x, x);
    tape.reset();
    tape.watch(x);
    expect(tape.gradient(y, x)).toBeUndefined();
  });

  test('forgets the watched tensors, and the tape goes on recording', () => {
    const x = scalar(3);
    using tape = new GradientTape({ persistent: true });
    tape.watch(x);
    tape.reset();
    expect(tape.recording).toBe(true);
    expect(tape.gradient(mul(x, x), x)).toBeUndefined();
    tape.watch(x);
    expect(tape.gradient(mul(x, 7), x)?.item()).toBe(7);
  });

  test('makes a spent non-persistent tape new again: it records and gives one more gradient', () => {
    const x = scalar(3);
    const tape = new GradientTape();
    tape.watch(x);
    tape.gradient(mul(x, x), x);
    expect(tape.recording).toBe(false);
    tape.reset();
    expect(tape.recording).toBe(true);
    tape.watch(x);
    expect(tape.gradient(mul(x, 5), x)?.item()).toBe(5);
    expect(() => tape.gradient(mul(x, 5), x)).toThrow('persistent: true');
  });

  test('does not restart a tape that stop() ended', () => {
    const tape = new GradientTape();
    tape.stop();
    tape.reset();
    expect(tape.recording).toBe(false);
  });

  test('forgets the watched variables', () => {
    const v = variable(scalar(1));
    using tape = new GradientTape();
    mul(v, 2);
    expect(tape.watchedVariables()).toEqual([v]);
    tape.reset();
    expect(tape.watchedVariables()).toEqual([]);
  });
});

describe('gradient(targets, sources): targets as a tensor or an array; sources as a tensor, array or record', () => {
  test('one target tensor', () => {
    const x = tensor([1, 2, 3]);
    using tape = new GradientTape();
    tape.watch(x);
    expect(values(tape.gradient(mul(x, x), x))).toEqual([2, 4, 6]);
  });

  test('an array of targets gives the sum of their gradients', () => {
    const x = tensor([1, 2]);
    using tape = new GradientTape();
    tape.watch(x);
    const y1 = mul(x, x); // 2x
    const y2 = mul(x, 10); // 10
    expect(values(tape.gradient([y1, y2], x))).toEqual([12, 14]);
  });

  test('an array of sources gives an array of gradients in the same order', () => {
    const a = scalar(2);
    const b = scalar(3);
    const c = scalar(5);
    using tape = new GradientTape();
    tape.watch([a, b, c]);
    const y = mul(mul(a, b), c);
    const grads = tape.gradient(y, [c, a, b]);
    expect(Array.isArray(grads)).toBe(true);
    expect(grads.map((g) => g?.item())).toEqual([6, 15, 10]);
  });

  test('a record of sources gives a record of gradients with the same keys', () => {
    const w = tensor([[1, 2]]);
    const b = tensor([1]);
    using tape = new GradientTape();
    tape.watch({ w, b });
    const y = add(matmul(w, [[3], [4]]), b);
    const g = tape.gradient(y, { weight: w, bias: b });
    expect(Object.keys(g)).toEqual(['weight', 'bias']);
    expect(values(g.weight)).toEqual([[3, 4]]);
    expect(values(g.bias)).toEqual([1]);
  });

  test('an empty array of sources gives an empty array', () => {
    const x = scalar(1);
    using tape = new GradientTape();
    tape.watch(x);
    expect(tape.gradient(mul(x, 2), [])).toEqual([]);
  });
});

describe('outputGradients: a tensor or an array, one per target, each of its shape and dtype', () => {
  test('a tensor weights the single target', () => {
    const x = tensor([1, 2]);
    using tape = new GradientTape();
    tape.watch(x);
    expect(values(tape.gradient(mul(x, x), x, tensor([1, 10])))).toEqual([2, 40]);
  });

  test('an array gives one weight per target, and an undefined entry means ones', () => {
    const x = tensor([1, 2]);
    using tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y1 = mul(x, 2);
    const y2 = mul(x, 3);
    expect(values(tape.gradient([y1, y2], x, [tensor([1, 0]), tensor([0, 1])]))).toEqual([2, 3]);
    expect(values(tape.gradient([y1, y2], x, [undefined, tensor([2, 2])]))).toEqual([8, 8]);
  });

  test('a wrong count is an error that gives both counts', () => {
    const x = tensor([1, 2]);
    using tape = new GradientTape();
    tape.watch(x);
    const y1 = mul(x, 2);
    const y2 = mul(x, 3);
    expect(() => tape.gradient([y1, y2], x, [tensor([1, 1])])).toThrow(
      'tapegrad.GradientTape.gradient: got 1 outputGradients for 2 targets; give exactly one per target',
    );
    expect(() => tape.gradient(y1, x, [tensor([1, 1]), tensor([1, 1])])).toThrow('got 2 outputGradients for 1 targets');
  });

  test('a wrong shape is an error naming both shapes', () => {
    const x = tensor([1, 2]);
    using tape = new GradientTape();
    tape.watch(x);
    expect(() => tape.gradient(mul(x, 2), x, tensor([1, 2, 3]))).toThrow(
      'tapegrad.GradientTape.gradient: outputGradients[0] has shape [3] but targets[0] has shape [2]; ' +
        "each output gradient must have its target's shape",
    );
  });

  test('a wrong dtype is an error naming both dtypes and the cast to make', () => {
    const x = tensor([1, 2]);
    using tape = new GradientTape();
    tape.watch(x);
    expect(() => tape.gradient(mul(x, 2), x, tensor([1, 1], undefined, 'float64'))).toThrow(
      "tapegrad.GradientTape.gradient: outputGradients[0] is float64 but targets[0] is float32; cast it with cast(g, 'float32')",
    );
  });

  test('a bad outputGradients leaves a non-persistent tape usable', () => {
    const x = tensor([1, 2]);
    using tape = new GradientTape();
    tape.watch(x);
    const y = mul(x, 2);
    expect(() => tape.gradient(y, x, tensor([1]))).toThrow('has shape [1]');
    expect(values(tape.gradient(y, x))).toEqual([2, 2]);
  });
});

describe('unconnected sources give undefined, or zeros of their shape with unconnectedGradients: zero', () => {
  function unconnectedCases() {
    const x = tensor([1, 2]);
    const unused = tensor([[1, 2, 3]]);
    const neverWatched = tensor([4, 5]);
    const cut = tensor([6, 7, 8]);
    const int = tensor([1, 2], undefined, 'int32');
    const bool = tensor([true, false, true]);
    const tape = new GradientTape({ persistent: true });
    tape.watch([x, unused, cut, int, bool]);
    const y = add(add(mul(x, neverWatched), sum(stopGradient(mul(cut, 2)))), cast(int, 'float32'));
    tape.stop();
    return { tape, y, x, sources: [unused, neverWatched, cut, int, bool] };
  }

  test('a source no target depends on, one never watched, one cut by stopGradient, int32 and bool give undefined', () => {
    const { tape, y, x, sources } = unconnectedCases();
    const grads = tape.gradient(y, [x, ...sources]);
    expect(values(grads[0])).toEqual([4, 5]);
    expect(grads.slice(1)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  test("each of them gives zeros of its shape and dtype with unconnectedGradients: 'zero'", () => {
    const { tape, y, x, sources } = unconnectedCases();
    const grads = tape.gradient(y, [x, ...sources], undefined, { unconnectedGradients: 'zero' });
    expect(values(grads[0])).toEqual([4, 5]);
    grads.slice(1).forEach((g, i) => {
      const source = sources[i]!;
      expect(g.shape).toEqual(source.shape);
      expect(g.dtype).toBe(source.dtype);
      expect(Array.from(g.dataSync())).toEqual(new Array(source.size).fill(0));
    });
  });

  test("unconnectedGradients: 'none' is the default, stated or not", () => {
    const { tape, y, sources } = unconnectedCases();
    expect(tape.gradient(y, sources[0]!, undefined, { unconnectedGradients: 'none' })).toBeUndefined();
    expect(tape.gradient(y, sources[0]!)).toBeUndefined();
  });

  test("unconnectedGradients: 'zero' also fills a record", () => {
    const { tape, y, x, sources } = unconnectedCases();
    const g = tape.gradient(y, { x, cut: sources[2]! }, undefined, { unconnectedGradients: 'zero' });
    expect(values(g.x)).toEqual([4, 5]);
    expect(values(g.cut)).toEqual([0, 0, 0]);
  });

  test('a target that depends on no source gives undefined for every source', () => {
    const x = scalar(1);
    using tape = new GradientTape();
    tape.watch(x);
    expect(tape.gradient(scalar(5), x)).toBeUndefined();
  });

  test("an unknown unconnectedGradients value is a TypeError listing 'none' and 'zero'", () => {
    const x = scalar(1);
    using tape = new GradientTape();
    tape.watch(x);
    const options = { unconnectedGradients: 'zeros' } as unknown as { unconnectedGradients: 'zero' };
    expect(() => tape.gradient(mul(x, 2), x, undefined, options)).toThrow(
      `tapegrad.GradientTape.gradient: unconnectedGradients must be 'none' or 'zero', got "zeros"`,
    );
  });
});

describe("the result's TypeScript type: Tensor | undefined by default, Tensor under 'zero'", () => {
  // These lines run too (every gradient here is connected); the point is what tsc accepts.
  test('a single source', () => {
    const x = scalar(2);
    using tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = mul(x, x);
    // @ts-expect-error -- the gradient may be undefined, so .item() needs a check first
    expect(tape.gradient(y, x).item()).toBe(4);
    expect(tape.gradient(y, x, undefined, { unconnectedGradients: 'zero' }).item()).toBe(4);
    const maybe: Tensor | undefined = tape.gradient(y, x);
    const sure: Tensor = tape.gradient(y, x, undefined, { unconnectedGradients: 'zero' });
    expect(maybe?.item()).toBe(sure.item());
  });

  test('an array of sources', () => {
    const x = scalar(2);
    using tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = mul(x, x);
    // @ts-expect-error -- each entry may be undefined
    expect(tape.gradient(y, [x])[0].item()).toBe(4);
    expect(tape.gradient(y, [x], undefined, { unconnectedGradients: 'zero' })[0]!.item()).toBe(4);
    const sure: Tensor[] = tape.gradient(y, [x], undefined, { unconnectedGradients: 'zero' });
    expect(sure).toHaveLength(1);
  });

  test('a record of sources', () => {
    const x = scalar(2);
    using tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = mul(x, x);
    // @ts-expect-error -- each entry may be undefined
    expect(tape.gradient(y, { x }).x.item()).toBe(4);
    expect(tape.gradient(y, { x }, undefined, { unconnectedGradients: 'zero' }).x.item()).toBe(4);
  });
});

describe('only the part of the tape between sources and targets is replayed', () => {
  const calls: Record<string, number> = {};
  /** A test-only identity op whose VJP counts its calls. */
  function countingOp(name: string): (x: Tensor) => Tensor {
    calls[name] = 0;
    const op = defineOp(`spec.tape.counting.${name}`, {
      forward: ([x]) => tensor(x!),
      vjp: (dy) => {
        calls[name]!++;
        return [dy];
      },
    });
    return (x) => op([x], undefined);
  }
  const before = countingOp('before');
  const between = countingOp('between');
  const sideBranch = countingOp('sideBranch');
  const otherInput = countingOp('otherInput');
  const after = countingOp('after');

  test('ops before the sources, off the path, feeding only other inputs, or after the targets run no VJP', () => {
    const w = tensor([1, 2]);
    const v = tensor([3, 4]);
    using tape = new GradientTape();
    tape.watch([w, v]);
    const source = before(w); // upstream of the source
    const b = between(source); // on the path
    sideBranch(source); // depends on the source, feeds no target
    const c = otherInput(v); // feeds the target, independent of the source
    const target = mul(b, c);
    after(target); // downstream of the target
    expect(values(tape.gradient(target, source))).toEqual([3, 4]);
    expect(calls).toEqual({ before: 0, between: 1, sideBranch: 0, otherInput: 0, after: 0 });
  });
});

describe('gradients accumulate over every use of a tensor', () => {
  test('y = x*x + x gives 2x + 1', () => {
    const x = tensor([1, 2, 3]);
    using tape = new GradientTape();
    tape.watch(x);
    const y = add(mul(x, x), x);
    expect(values(tape.gradient(y, x))).toEqual([3, 5, 7]);
  });

  test('an intermediate used by several ops passes on the sum of their gradients', () => {
    const x = scalar(2);
    using tape = new GradientTape();
    tape.watch(x);
    const h = mul(x, 3); // h = 3x
    const y = add(mul(h, h), h); // y = h^2 + h, dy/dx = (2h + 1) 3
    expect(tape.gradient(y, x)?.item()).toBe(39);
  });
});

describe("each result has its source's shape and dtype", () => {
  test('float32 and float64 sources get float32 and float64 gradients through dtype promotion', () => {
    const a = tensor([1, 2]);
    const b = tensor([3, 4], undefined, 'float64');
    using tape = new GradientTape();
    tape.watch([a, b]);
    const y = mul(a, b); // float64
    expect(y.dtype).toBe('float64');
    const [ga, gb] = tape.gradient(y, [a, b]);
    expect(ga?.dtype).toBe('float32');
    expect(gb?.dtype).toBe('float64');
    expect(values(ga)).toEqual([3, 4]);
    expect(values(gb)).toEqual([1, 2]);
  });

  test('a float64 source cast to float32 gets a float64 gradient', () => {
    const x = tensor([1, 2], undefined, 'float64');
    using tape = new GradientTape();
    tape.watch(x);
    const g = tape.gradient(sum(mul(cast(x, 'float32'), 3)), x);
    expect(g?.dtype).toBe('float64');
    expect(values(g)).toEqual([3, 3]);
  });

  test('a [1,3] source broadcast against [2,3] gets a [1,3] gradient summed over the broadcast axis', () => {
    const b = tensor([[1, 2, 3]]);
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    using tape = new GradientTape();
    tape.watch([b, x]);
    const y = mul(x, b);
    expect(y.shape).toEqual([2, 3]);
    const [gb, gx] = tape.gradient(y, [b, x]);
    expect(gb?.shape).toEqual([1, 3]);
    expect(values(gb)).toEqual([[5, 7, 9]]);
    expect(values(gx)).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
  });

  test('a scalar source broadcast against a matrix gets a scalar gradient', () => {
    const s = scalar(2, 'float64');
    const m = ones([3, 4], 'float64');
    using tape = new GradientTape();
    tape.watch(s);
    const g = tape.gradient(add(m, s), s);
    expect(g?.shape).toEqual([]);
    expect(g?.dtype).toBe('float64');
    expect(g?.item()).toBe(12);
  });
});

describe('the gradient of a target with respect to itself is ones', () => {
  test('a watched tensor as both target and source gives ones of its shape and dtype', () => {
    const x = zeros([2, 3], 'float64');
    using tape = new GradientTape();
    tape.watch(x);
    const g = tape.gradient(x, x);
    expect(g?.dtype).toBe('float64');
    expect(values(g)).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
  });

  test('a computed target as its own source gives ones', () => {
    const x = tensor([1, 2]);
    using tape = new GradientTape();
    tape.watch(x);
    const y = mul(x, x);
    expect(values(tape.gradient(y, y))).toEqual([1, 1]);
  });

  test('with outputGradients, the gradient of a target with respect to itself is its output gradient', () => {
    const x = tensor([1, 2]);
    using tape = new GradientTape();
    tape.watch(x);
    expect(values(tape.gradient(x, x, tensor([5, 6])))).toEqual([5, 6]);
  });

  test('an unwatched tensor as both target and source gives ones, as in TensorFlow', () => {
    const x = tensor([1, 2]);
    using tape = new GradientTape();
    expect(values(tape.gradient(x, x))).toEqual([1, 1]);
  });

  test('an unwatched variable (watchAccessedVariables: false) as both target and source gives ones', () => {
    const v = variable([1, 2, 3]);
    using tape = new GradientTape({ watchAccessedVariables: false });
    expect(values(tape.gradient(v, v))).toEqual([1, 1, 1]);
  });

  test('a tensor computed before the tape, as its own source, gives its output gradient', () => {
    const y = mul(tensor([1, 2]), 3);
    using tape = new GradientTape();
    expect(values(tape.gradient(y, y, tensor([5, 6])))).toEqual([5, 6]);
  });

  test('with several targets, the seed adds to what flows to it from the others', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = mul(x, 3);
    expect(values(tape.gradient([x, y], x))).toEqual([4, 4]);
    expect(values(tape.gradient([y, x, x], x, [undefined, tensor([10, 10]), undefined]))).toEqual([14, 14]);
    tape.stop();
    const u = tensor([1, 2]);
    using other = new GradientTape();
    const z = mul(u, 3); // u is not watched: not recorded
    expect(values(other.gradient([u, z], u))).toEqual([1, 1]);
  });

  test('the other sources keep their semantics: unconnected ones get undefined, or zeros', () => {
    const x = tensor([1, 2]);
    const w = tensor([3]);
    const tape = new GradientTape({ persistent: true });
    tape.watch(w);
    const [gx, gw] = tape.gradient(x, [x, w]);
    expect([values(gx), gw]).toEqual([[1, 1], undefined]);
    expect(values(tape.gradient(x, { x, w }, undefined, { unconnectedGradients: 'zero' }).w)).toEqual([0]);
    tape.stop();
  });

  test('an int32 target and source still gets undefined', () => {
    const n = tensor([1, 2], undefined, 'int32');
    using tape = new GradientTape();
    expect(tape.gradient(n, n)).toBeUndefined();
  });
});

describe('a non-persistent tape gives one set of gradients; a persistent one gives many', () => {
  test('a second gradient() call on a non-persistent tape throws, saying to use persistent: true', () => {
    const x = scalar(3);
    const tape = new GradientTape();
    tape.watch(x);
    const y = mul(x, x);
    expect(tape.gradient(y, x)?.item()).toBe(6);
    expect(() => tape.gradient(y, x)).toThrow('persistent: true');
    expect(() => tape.gradient(y, x)).toThrow(
      /^tapegrad\.GradientTape\.gradient: this tape is not persistent and its gradient\(\) was already called/,
    );
  });

  test('a non-persistent tape stops recording after its gradient() call', () => {
    const x = scalar(3);
    const tape = new GradientTape();
    tape.watch(x);
    tape.gradient(mul(x, x), x);
    expect(tape.recording).toBe(false);
  });

  test('a persistent tape allows many gradient() calls, each with the same result', () => {
    const x = scalar(3);
    using tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = mul(x, x);
    const z = mul(y, x);
    expect(tape.gradient(y, x)?.item()).toBe(6);
    expect(tape.gradient(z, x)?.item()).toBe(27);
    expect(tape.gradient(y, x)?.item()).toBe(6);
    expect(tape.gradient(z, y)?.item()).toBe(3);
  });
});

describe('nested tapes give higher derivatives', () => {
  test('d²/dx² of x³ at x = 1 is 6 with two tapes', () => {
    const x = scalar(1);
    using outer = new GradientTape();
    outer.watch(x);
    using inner = new GradientTape();
    inner.watch(x);
    const y = mul(mul(x, x), x);
    const dy = inner.gradient(y, x)!; // 3x^2
    expect(dy.item()).toBe(3);
    expect(outer.gradient(dy, x)?.item()).toBe(6);
  });

  test('the third derivative of x³ is 6 with three tapes (pow), at x = 1 and x = 2', () => {
    for (const at of [1, 2]) {
      const x = scalar(at, 'float64');
      using t1 = new GradientTape();
      using t2 = new GradientTape();
      using t3 = new GradientTape();
      t1.watch(x);
      t2.watch(x);
      t3.watch(x);
      const y = pow(x, 3);
      const d1 = t3.gradient(y, x)!;
      const d2 = t2.gradient(d1, x)!;
      const d3 = t1.gradient(d2, x)!;
      expect([d1.item(), d2.item(), d3.item()]).toEqual([3 * at * at, 6 * at, 6]);
    }
  });

  test('the second derivative with respect to a trainable variable, both tapes watching it on read', () => {
    const v = variable(scalar(2));
    using outer = new GradientTape();
    using inner = new GradientTape();
    const y = mul(mul(v, v), v);
    const dy = inner.gradient(y, v)!; // 3v^2
    expect(dy.item()).toBe(12);
    expect(outer.gradient(dy, v)?.item()).toBe(12); // 6v
  });

  test('gradient() called while an outer tape records is recorded by the outer tape', () => {
    const x = tensor([1, 2]);
    using outer = new GradientTape();
    outer.watch(x);
    const inner = new GradientTape();
    inner.watch(x);
    const y = sum(mul(mul(x, x), x));
    const g = inner.gradient(y, x)!; // 3x^2, computed by ops the outer tape records
    expect(values(g)).toEqual([3, 12]);
    expect(values(outer.gradient(sum(g), x))).toEqual([6, 12]); // 6x
  });

  test('a tape does not record its own backward pass', () => {
    const x = scalar(2);
    using tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const g = tape.gradient(mul(x, x), x)!;
    expect(tape.gradient(g, x)).toBeUndefined();
  });
});

describe('trainable variables are watched automatically', () => {
  test('a trainable variable read by an op gets a gradient without watch()', () => {
    const v = variable(tensor([1, 2]));
    using tape = new GradientTape();
    expect(values(tape.gradient(mul(v, v), v))).toEqual([2, 4]);
  });

  test('a non-trainable variable is not watched automatically, but can be watched explicitly', () => {
    const v = variable(tensor([1, 2]), { trainable: false });
    using tape = new GradientTape({ persistent: true });
    const y = mul(v, v);
    expect(tape.gradient(y, v)).toBeUndefined();
    tape.watch(v);
    expect(values(tape.gradient(mul(v, v), v))).toEqual([2, 4]);
  });

  test('with watchAccessedVariables: false, a trainable variable is watched only when asked', () => {
    const v = variable(tensor([1, 2]));
    const w = variable(tensor([3, 4]));
    using tape = new GradientTape({ watchAccessedVariables: false });
    tape.watch(w);
    const y = add(mul(v, v), mul(w, w));
    const [gv, gw] = tape.gradient(y, [v, w]);
    expect(gv).toBeUndefined();
    expect(values(gw)).toEqual([6, 8]);
  });

  test('a variable read before the tape was created is not watched by it', () => {
    const v = variable(scalar(3));
    const y = mul(v, v);
    using tape = new GradientTape();
    expect(tape.gradient(y, v)).toBeUndefined();
    expect(tape.watchedVariables()).toEqual([]);
  });
});

describe('watchedVariables()', () => {
  test('lists the trainable variables read while recording, once each, in the order first read', () => {
    const a = variable(scalar(1), { name: 'a' });
    const b = variable(scalar(2), { name: 'b' });
    const frozen = variable(scalar(3), { trainable: false });
    using tape = new GradientTape();
    add(mul(b, a), mul(b, frozen));
    expect(tape.watchedVariables()).toEqual([b, a]);
    expect(tape.watchedVariables()[0]).toBe(b);
  });

  test('is empty with watchAccessedVariables: false and nothing watched', () => {
    const a = variable(scalar(1));
    using tape = new GradientTape({ watchAccessedVariables: false });
    mul(a, a);
    expect(tape.watchedVariables()).toEqual([]);
  });

  test('includes variables watched explicitly, trainable or not (as TensorFlow)', () => {
    const a = variable(scalar(1), { name: 'a' });
    const frozen = variable(scalar(2), { trainable: false, name: 'frozen' });
    using tape = new GradientTape({ watchAccessedVariables: false });
    tape.watch([frozen, a]);
    mul(a, frozen);
    const names = tape.watchedVariables().map((v) => (v as unknown as { name: string }).name);
    expect(names).toEqual(['frozen', 'a']);
  });

  test('does not list a plain tensor watched explicitly', () => {
    using tape = new GradientTape();
    tape.watch(scalar(1));
    expect(tape.watchedVariables()).toEqual([]);
  });

  test('returns a copy: changing it does not change the tape', () => {
    const a = variable(scalar(1));
    using tape = new GradientTape();
    mul(a, a);
    tape.watchedVariables().pop();
    expect(tape.watchedVariables()).toEqual([a]);
  });
});

describe('the backward pass uses the values recorded, not those assigned later', () => {
  test('assigning a variable between the forward pass and gradient() does not change the gradient', () => {
    const v = variable(tensor([2, 3]));
    using tape = new GradientTape({ persistent: true });
    const y = mul(v, v); // dy/dv = 2v at v = [2, 3]
    const z = mul(mul(v, v), v); // 3 v^2
    v.assign(tensor([100, 100]));
    expect(values(tape.gradient(y, v))).toEqual([4, 6]);
    expect(values(tape.gradient(z, v))).toEqual([12, 27]);
    v.assignAdd(tensor([1, 1]));
    expect(values(tape.gradient(y, v))).toEqual([4, 6]);
  });

  test('a variable read before and after an assignment gets the sum of both uses, each at its own value', () => {
    const v = variable(scalar(2));
    using tape = new GradientTape();
    const a = mul(v, v); // 2v at v = 2: 4
    v.assign(scalar(5));
    const b = mul(v, v); // 2v at v = 5: 10
    expect(tape.gradient(add(a, b), v)?.item()).toBe(14);
  });
});
