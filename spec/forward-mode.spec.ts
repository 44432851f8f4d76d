/**
 * Forward mode (ForwardAccumulator, jvp) against reverse mode and central
 * differences, over the whole gradient-check table in spec/rows: for every
 * row and case, the tangent an accumulator computes along random tangents
 * must equal the Jacobian-vector product assembled from the tape, one output
 * element at a time as `<VJP(e_i), t>`, and the central difference of f along
 * t. The table is swept twice: with each op's own `jvp` rule, and with every
 * rule removed, so the generic path (the JVP by transposing the VJP) that ops
 * without a rule take is checked on every op too. Rows of order 2 also check
 * second derivatives: forward over forward against central differences of
 * the first-order tangent, and forward over reverse against forward over
 * forward.
 */
import { forwardMode, recording } from '../lib/recording.js';
import {
  ForwardAccumulator,
  GradientTape,
  cast,
  exp,
  jvp,
  matmul,
  mul,
  numericJvp,
  randomNormal,
  scalar,
  square,
  stopGradient,
  sum,
  tanh,
  tensor,
  variable,
  zeros,
  type Tensor,
} from '../lib/index.js';
import { defineOp, opRegistry, type JvpRule } from '../lib/op.js';
import { ROWS, type Case, type Row } from './rows/index.js';
import { sampleInput } from './support/inputs.js';

const f64 = (values: number | number[] | number[][]) => tensor(values, undefined, 'float64');

const label = (c: Case): string =>
  c.shapes.map((s) => JSON.stringify(s)).join(' with ') + (c.note ? `, ${c.note}` : '');

function inputsOf(row: Row, c: Case, seed: number): Tensor[] {
  const domain = c.domain ?? row.domain;
  return c.shapes.map((shape, i) => sampleInput(shape, domain[i]!, i, seed));
}

/** A standard-normal float64 direction for each float input, `undefined` for a bool or int32 one. */
function directionsFor(xs: readonly Tensor[], seed: number): (Tensor | undefined)[] {
  return xs.map((x, i) => (x.dtype === 'float64' ? randomNormal(x.shape, 0, 1, 'float64', seed * 7 + i) : undefined));
}

/** The accumulator's tangent of f(xs) along `ts`. */
function forwardTangent(f: (...xs: Tensor[]) => Tensor, xs: readonly Tensor[], ts: readonly (Tensor | undefined)[]) {
  const watched = xs.filter((_, i) => ts[i] !== undefined);
  const acc = new ForwardAccumulator(
    watched,
    ts.filter((t): t is Tensor => t !== undefined),
  );
  const y = acc.run(() => f(...xs));
  return { y, t: acc.jvp(y, { unconnectedGradients: 'zero' }) };
}

/** `J t` from reverse mode: element i is `sum_j <VJP(e_i)_j, t_j>`, one backward pass per output element. */
function reverseJvp(f: (...xs: Tensor[]) => Tensor, xs: readonly Tensor[], ts: readonly (Tensor | undefined)[]) {
  const floats = xs.filter((_, i) => ts[i] !== undefined);
  const tangents = ts.filter((t): t is Tensor => t !== undefined);
  const tape = new GradientTape({ persistent: true });
  tape.watch(floats);
  const y = f(...xs);
  tape.stop();
  const out = new Float64Array(y.size);
  for (let i = 0; i < y.size; i++) {
    const e = new Float64Array(y.size);
    e[i] = 1;
    const grads = tape.gradient(y, floats, tensor(e, y.shape));
    out[i] = grads.reduce((s, g, j) => s + (g === undefined ? 0 : dot(g, tangents[j]!)), 0);
  }
  return out;
}

function dot(a: Tensor, b: Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

const maxAbs = (xs: ArrayLike<number>): number => Array.from(xs).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** The elements where `actual` and `expected` differ by more than `atol + rtol * max(|a|, |e|)`. */
function mismatches(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number): string[] {
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.max(Math.abs(a), Math.abs(e)))) bad.push(`[${i}] ${a} vs ${e}`);
  }
  return bad;
}

/** Removes every op's `jvp` rule for the duration of a test, so that each op takes the generic path. */
function withoutJvpRules(fn: () => void): void {
  const saved = new Map<string, JvpRule<never>>();
  for (const op of opRegistry.values()) {
    if (op.jvp === undefined) continue;
    saved.set(op.name, op.jvp);
    delete (op as { jvp?: unknown }).jvp;
  }
  try {
    fn();
  } finally {
    for (const op of opRegistry.values()) {
      const rule = saved.get(op.name);
      if (rule !== undefined) (op as { jvp?: unknown }).jvp = rule;
    }
  }
}

afterEach(() => {
  expect(forwardMode.active).toBe(0);
});

const rowCases = ROWS.flatMap((row) => row.cases.map((c, k) => [row.op, label(c), row, c, k] as const));

describe.each([
  ['its own jvp rule (or the generic path where it has none)', false],
  ['the generic path: the JVP by transposing the VJP', true],
] as const)('forward mode with %s', (_how, generic) => {
  const run = (fn: () => void) => (generic ? withoutJvpRules(fn) : fn());

  test.each(rowCases)(
    '%s, %s: equals the Jacobian-vector product from reverse mode in float64',
    (_op, _l, row, c, k) => {
      run(() => {
        const f = c.f ?? row.f;
        const xs = inputsOf(row, c, 100 + k);
        const ts = directionsFor(xs, k);
        const { y, t } = forwardTangent(f, xs, ts);
        expect({ shape: t.shape, dtype: t.dtype }).toEqual({ shape: y.shape, dtype: y.dtype });
        const expected = reverseJvp(f, xs, ts);
        // Both sides are exact up to float64 rounding, except in a row whose f rounds through float32
        // (it loosens its own tolerance, as the cast round trip does): there the two sides round differently.
        const rtol = row.options?.atol === undefined ? 1e-9 : 1e-6;
        const scale = Math.max(1, maxAbs(expected));
        expect(mismatches(t.dataSync(), expected, 0, rtol * scale)).toEqual([]);
      });
    },
  );

  test.each(rowCases)('%s, %s: matches central differences in float64', (_op, _l, row, c, k) => {
    run(() => {
      const f = c.f ?? row.f;
      const xs = inputsOf(row, c, 100 + k);
      const ts = directionsFor(xs, k);
      const { t } = forwardTangent(f, xs, ts);
      const numeric = numericJvp(f, xs, ts, row.options?.eps ?? 1e-6).dataSync();
      const atol = 10 * (row.options?.atol ?? 1e-7);
      expect(mismatches(t.dataSync(), numeric, row.options?.rtol ?? 1e-5, atol)).toEqual([]);
    });
  });

  const secondOrder = rowCases.filter(([, , row]) => row.order === 2);

  test.each(secondOrder)('%s, %s: forward over forward matches central differences of the tangent', (...args) => {
    const [, , row, c, k] = args;
    run(() => {
      const f = c.f ?? row.f;
      const xs = inputsOf(row, c, 200 + k);
      const ts = directionsFor(xs, k);
      const ws = directionsFor(xs, k + 50);
      // d/ds of the tangent along t, at x + s w: both accumulators watch the same inputs.
      const tangentAlongT = (...zs: Tensor[]) => forwardTangent(f, zs, ts).t;
      const outer = new ForwardAccumulator(
        xs.filter((_, i) => ws[i] !== undefined),
        ws.filter((w): w is Tensor => w !== undefined),
      );
      const inner = outer.run(() => tangentAlongT(...xs));
      const second = outer.jvp(inner, { unconnectedGradients: 'zero' });
      const numeric = numericJvp(tangentAlongT, xs, ws).dataSync();
      expect(mismatches(second.dataSync(), numeric, 1e-5, 1e-6)).toEqual([]);
    });
  });

  test.each(secondOrder)('%s, %s: forward over reverse equals forward over forward', (...args) => {
    const [, , row, c, k] = args;
    run(() => {
      const f = c.f ?? row.f;
      const xs = inputsOf(row, c, 300 + k);
      const ts = directionsFor(xs, k);
      const ws = directionsFor(xs, k + 50);
      const floats = xs.filter((_, i) => ts[i] !== undefined);
      const tList = ts.filter((t): t is Tensor => t !== undefined);
      const wList = ws.filter((w): w is Tensor => w !== undefined);
      const y0 = f(...xs);
      const u = randomNormal(y0.shape, 0, 1, 'float64', 99 + k);

      // Forward over reverse: the accumulator (along w) differentiates the tape's backward pass.
      const acc = new ForwardAccumulator(floats, wList);
      const hw = acc.run(() => {
        const tape = new GradientTape();
        tape.watch(floats);
        const y = f(...xs);
        return tape.gradient(y, floats, u);
      });
      const overReverse = hw.reduce((s, g, j) => {
        const d = g === undefined ? undefined : acc.jvp(g);
        return s + (d === undefined ? 0 : dot(d, tList[j]!));
      }, 0);

      // Forward over forward: <u, d2f[t, w]>.
      const outer = new ForwardAccumulator(floats, wList);
      const inner = outer.run(() => forwardTangent(f, xs, ts).t);
      const overForward = dot(u, outer.jvp(inner, { unconnectedGradients: 'zero' }));
      expect(Math.abs(overReverse - overForward)).toBeLessThanOrEqual(
        1e-9 * Math.max(1, Math.abs(overForward), Math.abs(overReverse)),
      );
    });
  });
});

test.each(['float32', 'float64'] as const)(
  'every row gives every output a %s tangent of its shape and dtype',
  (dtype) => {
    ROWS.forEach((row) =>
      row.cases.forEach((c, k) => {
        const xs = inputsOf(row, c, k).map((x) => (x.dtype === 'float64' ? cast(x, dtype) : x));
        const ts = xs.map((x) => (x.dtype === dtype ? randomNormal(x.shape, 0, 1, dtype, k) : undefined));
        const { y, t } = forwardTangent(c.f ?? row.f, xs, ts);
        expect({ op: row.op, case: label(c), shape: t.shape, dtype: t.dtype }).toEqual({
          op: row.op,
          case: label(c),
          shape: y.shape,
          dtype: y.dtype,
        });
      }),
    );
  },
);

describe('ForwardAccumulator', () => {
  test('a watched primal has its tangent; an op on it has J t, by hand: d(x^2) = 2 x t, d(a b) = t_a b + a t_b', () => {
    const x = f64([1, -2, 3]);
    const w = f64([4, 5, 6]);
    const acc = new ForwardAccumulator([x, w], [f64([1, 0.5, -1]), f64([0, 1, 2])]);
    const y = square(x);
    const z = mul(x, w);
    expect(recording.tapes).toBe(0); // no tape is involved
    acc.stop();
    expect(acc.jvp(x)?.arraySync()).toEqual([1, 0.5, -1]);
    expect(acc.jvp(y)?.arraySync()).toEqual([2, -2, -6]);
    expect(acc.jvp(z)?.arraySync()).toEqual([4 + 0, 2.5 - 2, -6 + 6]);
  });

  test('a tensor not computed from a primal gets undefined, or zeros of its shape with unconnectedGradients zero', () => {
    const x = scalar(2);
    const c = f64([1, 2]);
    const acc = new ForwardAccumulator(x, 1);
    const y = c.mul(3);
    acc.stop();
    expect(acc.jvp(y)).toBeUndefined();
    expect(acc.jvp([y, x]).map((t) => t?.arraySync())).toEqual([undefined, 1]);
    expect(acc.jvp({ y }, { unconnectedGradients: 'zero' }).y.arraySync()).toEqual([0, 0]);
  });

  test('ops run before it, while it is stopped, or on a stopGradient copy carry no tangent', () => {
    const x = scalar(2);
    const before = x.square();
    const acc = new ForwardAccumulator(x, 1);
    const cut = stopGradient(x).square();
    acc.stop();
    const after = x.square();
    acc.start();
    const again = x.square();
    acc.stop();
    expect([before, cut, after].map((t) => acc.jvp(t))).toEqual([undefined, undefined, undefined]);
    expect(acc.jvp(again)?.item()).toBe(4);
  });

  test('run() stops it when fn throws, and `using` stops it at the end of the block', () => {
    const x = scalar(1);
    const acc = new ForwardAccumulator(x, 1);
    expect(() =>
      acc.run(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(acc.active).toBe(false);
    {
      using scoped = new ForwardAccumulator(x, 1);
      expect(scoped.active).toBe(true);
    }
    expect(forwardMode.active).toBe(0);
  });

  test('int32 and bool primals are accepted and get no tangent; a tangent number takes the primal dtype', () => {
    const n = tensor([1, 2], undefined, 'int32');
    const x = f64([1, 2]);
    const acc = new ForwardAccumulator(
      [n, x],
      [
        [1, 1],
        [2, 3],
      ],
    );
    const y = n.add(1);
    acc.stop();
    expect([acc.jvp(n), acc.jvp(y)]).toEqual([undefined, undefined]);
    expect([acc.jvp(x)?.dtype, acc.jvp(x)?.arraySync()]).toEqual(['float64', [2, 3]]);
  });

  test('a variable primal gives tangents to ops that read it', () => {
    const v = variable(f64([1, 2]));
    const acc = new ForwardAccumulator(v, f64([1, 1]));
    const y = v.mul(v).sum();
    acc.stop();
    expect(acc.jvp(y)?.item()).toBe(6);
  });

  test('nested accumulators give higher derivatives: d3/dx3 of exp(2x) along 1 is 8 exp(2x)', () => {
    const x = scalar(0.5, 'float64');
    const a1 = new ForwardAccumulator(x, 1);
    const a2 = new ForwardAccumulator(x, 1);
    const a3 = new ForwardAccumulator(x, 1);
    const y = exp(x.mul(2));
    a3.stop();
    const d1 = a3.jvp(y)!;
    a2.stop();
    const d2 = a2.jvp(d1)!;
    a1.stop();
    const d3 = a1.jvp(d2)!;
    expect(d1.item()).toBeCloseTo(2 * Math.exp(1), 12);
    expect(d2.item()).toBeCloseTo(4 * Math.exp(1), 12);
    expect(d3.item()).toBeCloseTo(8 * Math.exp(1), 12);
  });

  test('an inner accumulator does not see the ops that compute an outer one’s tangents', () => {
    const x = scalar(3, 'float64');
    const outer = new ForwardAccumulator(x, 1);
    const inner = new ForwardAccumulator(x, 1);
    const y = x.mul(x);
    inner.stop();
    outer.stop();
    // The inner tangent 2x t is computed by ops the outer sees; the outer's own tangent ops are not the inner's.
    expect([outer.jvp(y)?.item(), inner.jvp(y)?.item(), outer.jvp(inner.jvp(y)!)?.item()]).toEqual([6, 6, 2]);
    expect(inner.jvp(outer.jvp(y)!)).toBeUndefined();
  });

  test('forward over reverse: an accumulator around tape.gradient gives a Hessian-vector product', () => {
    // f(x, y) = x^2 y + y^3 at (1, 2): H = [[2y, 2x], [2x, 6y]] = [[4, 2], [2, 12]]; H [1, -1] = [2, -10].
    const xy = f64([1, 2]);
    const acc = new ForwardAccumulator(xy, f64([1, -1]));
    const tape = new GradientTape();
    tape.watch(xy);
    const [x, y] = [xy.mul(f64([1, 0])).sum(), xy.mul(f64([0, 1])).sum()];
    const f = x.square().mul(y).add(y.mul(y).mul(y));
    const g = tape.gradient(f, xy)!;
    acc.stop();
    expect(g.arraySync()).toEqual([4, 13]);
    expect(acc.jvp(g)?.arraySync()).toEqual([2, -10]);
  });

  test('reverse over forward: a tape around an accumulator differentiates the tangent', () => {
    // d/dx tanh x = 1 - tanh^2 x, and d/dx of that = -2 tanh x (1 - tanh^2 x).
    const x = scalar(0.7, 'float64');
    const tape = new GradientTape();
    tape.watch(x);
    const acc = new ForwardAccumulator(x, 1);
    const y = tanh(x);
    acc.stop();
    const dy = acc.jvp(y)!;
    const th = Math.tanh(0.7);
    expect(dy.item()).toBeCloseTo(1 - th * th, 14);
    expect(tape.gradient(dy, x)?.item()).toBeCloseTo(-2 * th * (1 - th * th), 14);
  });
});

describe('jvp', () => {
  test('returns the outputs and their tangents; an output that ignores the primals gets zeros', () => {
    const a = f64([[1, 2]]);
    const b = f64([[3], [4]]);
    const [[y, z], [dy, dz]] = jvp((p, q) => [matmul(p!, q!), zeros([2])], [a, b], [f64([[1, 0]]), f64([[0], [1]])]);
    expect([y!.arraySync(), dy!.arraySync(), z!.arraySync(), dz!.arraySync()]).toEqual([
      [[11]],
      [[3 + 2]],
      [0, 0],
      [0, 0],
    ]);
  });

  test('a primal passed twice is two primals: d(p q) along (1, 2) at p = q = 3 is 1 q + 2 p = 9', () => {
    const x = scalar(3);
    const [, d] = jvp((p, q) => mul(p!, q!), [x, x], [1, 2]);
    expect(d.item()).toBe(9);
  });

  test('one primal tensor takes one tangent, also written as a nested array', () => {
    const [y, dy] = jvp((x) => x.mul(3), f64([1, 2]), [1, -1]);
    expect([y.arraySync(), dy.arraySync(), dy.dtype]).toEqual([[3, 6], [3, -3], 'float64']);
  });

  test('jvp of jvp is the second directional derivative: x^3 at 2 along 1 gives 12', () => {
    const [, d2] = jvp((x) => jvp((z) => z.mul(z).mul(z), [x], [1])[1], [scalar(2, 'float64')], [1]);
    expect(d2.item()).toBe(12);
  });

  test('a tape around jvp differentiates the tangent in the primal', () => {
    const x = f64([0.5, 1.5]);
    const tape = new GradientTape();
    tape.watch(x);
    const [, d] = jvp((z) => sum(exp(z)), x, f64([1, 1]));
    expect(tape.gradient(d, x)?.dataSync()).toEqual(new Float64Array([Math.exp(0.5), Math.exp(1.5)]));
  });
});

describe('errors', () => {
  test('a tangent of another shape or dtype, a mismatched count, or a primal listed twice is refused', () => {
    const x = f64([1, 2]);
    expect(() => new ForwardAccumulator(x, f64([1, 2, 3]))).toThrow(
      'tapegrad.ForwardAccumulator: tangents has shape [3] but primals has shape [2]; a tangent must have its primal',
    );
    expect(() => new ForwardAccumulator(x, tensor([1, 2]))).toThrow(
      "tapegrad.ForwardAccumulator: tangents is float32 but primals is float64; cast it with cast(t, 'float64')",
    );
    expect(() => new ForwardAccumulator([x], [])).toThrow(
      'tapegrad.ForwardAccumulator: got 1 primals but 0 tangents; give one tangent per primal',
    );
    expect(() => new ForwardAccumulator([x, x], [x, x])).toThrow(
      'tapegrad.ForwardAccumulator: primals[1] is listed more than once; a primal has one tangent, so pass it once with the sum',
    );
    expect(() => new ForwardAccumulator([x, 3 as unknown as Tensor], [x, x])).toThrow(
      'tapegrad.ForwardAccumulator: primals[1] is not a tensor (got number)',
    );
    expect(forwardMode.active).toBe(0);
  });

  test('a JVP rule giving a tangent of the wrong shape is reported as a bug in that op', () => {
    const badOp = defineOp('spec.forwardMode.badJvp', {
      forward: ([x]) => x!.mul(2),
      vjp: (dy) => [dy.mul(2)],
      jvp: ([t]) => [t!.reshape([4])],
    });
    const x = f64([
      [1, 2],
      [3, 4],
    ]);
    const acc = new ForwardAccumulator(
      x,
      f64([
        [1, 1],
        [1, 1],
      ]),
    );
    try {
      expect(() => badOp([x], undefined)).toThrow(
        "tapegrad.spec.forwardMode.badJvp: the forward-mode tangent is float64 [4] but the output is float64 [2,2]; this is a bug in the op's JVP rule",
      );
    } finally {
      acc.stop();
    }
    opRegistry.delete('spec.forwardMode.badJvp');
  });

  test('watching a tensor that already has a tangent is refused', () => {
    const x = f64([1, 2]);
    const acc = new ForwardAccumulator(x, [1, 1]);
    const y = x.square();
    acc.stop();
    expect(() => acc.watch(x, [0, 1])).toThrow(
      'tapegrad.ForwardAccumulator.watch: primals already has a tangent in this accumulator',
    );
    expect(() => acc.watch(y, [0, 1])).toThrow('watch each tensor once, or watch identity(x) to start a new one');
  });

  test('jvp() of a non-tensor or with an unknown unconnectedGradients is refused', () => {
    const acc = new ForwardAccumulator(scalar(1), 1);
    acc.stop();
    expect(() => acc.jvp([scalar(1), 'y' as unknown as Tensor])).toThrow(
      'tapegrad.ForwardAccumulator.jvp: primals[1] is not a tensor (got string)',
    );
    expect(() => acc.jvp(scalar(1), { unconnectedGradients: 'zeros' as 'zero' })).toThrow(
      `tapegrad.ForwardAccumulator.jvp: unconnectedGradients must be 'none' or 'zero', got "zeros"`,
    );
  });

  test('jvp refuses a non-function, mismatched tangents, an int32 primal and a non-tensor output', () => {
    expect(() => jvp(3 as unknown as () => Tensor, [], [])).toThrow('tapegrad.jvp: f must be a function, got number');
    expect(() => jvp((x) => x, [scalar(1)], [])).toThrow('tapegrad.jvp: got 1 primals but 0 tangents');
    expect(() => jvp((x) => x, [tensor([1], undefined, 'int32')], [1])).toThrow(
      "tapegrad.jvp: primals[0] is int32; only float32 and float64 primals have tangents, so cast it (cast(x, 'float32'))",
    );
    expect(() => jvp(() => 3 as unknown as Tensor, [scalar(1)], [1])).toThrow(
      'tapegrad.jvp: f must return a tensor or an array of tensors, but it is number',
    );
    expect(forwardMode.active).toBe(0);
  });
});
