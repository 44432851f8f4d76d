/**
 * GradientTape.jacobian and GradientTape.batchJacobian: values against an
 * independent central-difference Jacobian, shapes, source structures,
 * unconnected sources, persistent and spent tapes, recording by outer tapes
 * (a Hessian as the Jacobian of a gradient), the cost (one plan, one replay
 * per target element) and the cross-row check of batchJacobian.
 */
import {
  GradientTape,
  Tensor,
  add,
  cast,
  exp,
  matmul,
  mean,
  mul,
  reshape,
  scalar,
  stopGradient,
  sub,
  sum,
  tanh,
  tensor,
  variable,
} from '../lib/index.js';
import * as backprop from '../lib/backprop.js';
import { defineOp } from '../lib/op.js';

afterEach(() => {
  jest.restoreAllMocks();
});

/** The Jacobian of f at x by central differences in float64, as nested arrays of shape f(x).shape ++ x.shape. */
function numericJacobian(f: (x: Tensor) => Tensor, x: Tensor): number[] {
  const base = Array.from(x.dataSync());
  const h = 1e-6;
  const columns = base.map((_, k) => {
    const at = (d: number) => {
      const v = base.slice();
      v[k]! += d;
      return Array.from(f(tensor(Float64Array.from(v), x.shape)).dataSync());
    };
    const plus = at(h);
    const minus = at(-h);
    return plus.map((p, i) => (p - minus[i]!) / (2 * h));
  });
  // columns[k][i] = d f_i / d x_k; the Jacobian is row-major in (i, k).
  const rows = columns[0]?.length ?? 0;
  const out: number[] = [];
  for (let i = 0; i < rows; i++) for (let k = 0; k < base.length; k++) out.push(columns[k]![i]!);
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i]!)));
  }
}

const f64 = (values: number[], shape?: number[]) => tensor(Float64Array.from(values), shape);

describe('jacobian(target, sources): shape target.shape ++ source.shape, values d target[i] / d source[j]', () => {
  test('an element-wise product gives a diagonal matrix (hand-worked)', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = mul(mul(x, x), tensor([3, 5])); // [3 x0^2, 5 x1^2]
    expect(tape.jacobian(y, x)?.arraySync()).toEqual([
      [6, 0],
      [0, 20],
    ]);
  });

  test('tanh(W x) with respect to x and to W matches central differences in float64', () => {
    const W = f64([0.3, -0.2, 0.5, 0.1, 0.4, -0.6, -0.3, 0.2, 0.7, 0.05, -0.1, 0.25], [4, 3]);
    const x = f64([0.5, -1, 2], [3, 1]);
    const f = (w: Tensor, v: Tensor) => reshape(tanh(matmul(w, v)), [4]);
    const tape = new GradientTape({ persistent: true });
    tape.watch([W, x]);
    const y = f(W, x);
    const jx = tape.jacobian(y, x)!;
    const jW = tape.jacobian(y, W)!;
    expect(jx.shape).toEqual([4, 3, 1]);
    expect(jW.shape).toEqual([4, 4, 3]);
    expect(jx.dtype).toBe('float64');
    expectClose(
      jx.dataSync(),
      numericJacobian((v) => f(W, v), x),
    );
    expectClose(
      jW.dataSync(),
      numericJacobian((w) => f(w, x), W),
    );
  });

  test('a matrix target and a matrix source give a rank-4 Jacobian matching central differences', () => {
    const a = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    const f = (x: Tensor) => exp(mul(matmul(x, reshape(x, [3, 2])), 0.1)); // [2, 2]
    const tape = new GradientTape();
    tape.watch(a);
    const j = tape.jacobian(f(a), a)!;
    expect(j.shape).toEqual([2, 2, 2, 3]);
    expectClose(j.dataSync(), numericJacobian(f, a));
  });

  test('a scalar target gives the gradient', () => {
    const x = f64([1, 2, 3]);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = sum(mul(x, mul(x, x)));
    expect(tape.jacobian(y, x)?.arraySync()).toEqual(tape.gradient(y, x)?.arraySync());
    expect(tape.jacobian(y, x)?.arraySync()).toEqual([3, 12, 27]);
  });

  test('a scalar source gives a tensor of the target shape', () => {
    const s = scalar(2);
    const tape = new GradientTape();
    tape.watch(s);
    const y = mul(tensor([[1, 2, 3]]), mul(s, s)); // d/ds = 2s [1, 2, 3]
    const j = tape.jacobian(y, s)!;
    expect(j.shape).toEqual([1, 3]);
    expect(j.arraySync()).toEqual([[4, 8, 12]]);
  });

  test('an empty target gives an empty Jacobian of shape target.shape ++ source.shape', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = mul(reshape(x, [2, 1]), tensor([[]], [1, 0])); // [2, 0]
    const j = tape.jacobian(y, x)!;
    expect(j.shape).toEqual([2, 0, 2]);
  });

  test('float32 works and gives float32 Jacobians of each source’s dtype', () => {
    const a = tensor([1, 2]);
    const b = f64([3, 4]);
    const tape = new GradientTape();
    tape.watch([a, b]);
    const [ja, jb] = tape.jacobian(mul(a, b), [a, b]);
    expect([ja?.dtype, jb?.dtype]).toEqual(['float32', 'float64']);
    expect(ja?.arraySync()).toEqual([
      [3, 0],
      [0, 4],
    ]);
    expect(jb?.arraySync()).toEqual([
      [1, 0],
      [0, 2],
    ]);
  });

  test('experimentalUseParallelFor is accepted and changes nothing', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = mul(x, x);
    const a = tape.jacobian(y, x, { experimentalUseParallelFor: true })?.arraySync();
    const b = tape.jacobian(y, x, { experimentalUseParallelFor: false })?.arraySync();
    expect(a).toEqual(b);
  });

  test('a trainable variable read by an op is a source without watch()', () => {
    const v = variable(tensor([1, 2]));
    const tape = new GradientTape();
    const y = mul(v, tensor([3, 4]));
    expect(tape.jacobian(y, v)?.arraySync()).toEqual([
      [3, 0],
      [0, 4],
    ]);
  });
});

describe('sources as a tensor, an array or a record, as gradient()', () => {
  function recorded() {
    const a = tensor([1, 2]);
    const b = scalar(3);
    const tape = new GradientTape({ persistent: true });
    tape.watch({ a, b });
    const y = mul(a, b); // [a0 b, a1 b]
    return { tape, a, b, y };
  }

  test('an array gives an array in the same order', () => {
    const { tape, a, b, y } = recorded();
    const js = tape.jacobian(y, [b, a]);
    expect(Array.isArray(js)).toBe(true);
    expect(js.map((j) => j?.arraySync())).toEqual([
      [1, 2],
      [
        [3, 0],
        [0, 3],
      ],
    ]);
  });

  test('a record gives a record with the same keys', () => {
    const { tape, a, b, y } = recorded();
    const js = tape.jacobian(y, { weight: a, bias: b });
    expect(Object.keys(js)).toEqual(['weight', 'bias']);
    expect(js.bias?.arraySync()).toEqual([1, 2]);
  });
});

describe('unconnected sources give undefined, or zeros of the Jacobian’s shape with unconnectedGradients: zero', () => {
  function recorded() {
    const x = tensor([1, 2]);
    const unused = tensor([[1, 2, 3]]);
    const cut = tensor([4, 5]);
    const int = tensor([1, 2], undefined, 'int32');
    const tape = new GradientTape({ persistent: true });
    tape.watch([x, unused, cut, int]);
    const y = add(add(mul(x, 2), stopGradient(cut)), cast(int, 'float32'));
    return { tape, y, x, sources: [unused, cut, int] };
  }

  test('an unused, cut or int32 source gives undefined', () => {
    const { tape, y, x, sources } = recorded();
    const js = tape.jacobian(y, [x, ...sources]);
    expect(js[0]?.arraySync()).toEqual([
      [2, 0],
      [0, 2],
    ]);
    expect(js.slice(1)).toEqual([undefined, undefined, undefined]);
  });

  test("with 'zero' each gets zeros of shape target.shape ++ source.shape in its dtype", () => {
    const { tape, y, sources } = recorded();
    const js: Tensor[] = tape.jacobian(y, sources, { unconnectedGradients: 'zero' });
    js.forEach((j, i) => {
      expect(j.shape).toEqual([2, ...sources[i]!.shape]);
      expect(j.dtype).toBe(sources[i]!.dtype);
      expect(Array.from(j.dataSync()).every((v) => v === 0)).toBe(true);
    });
  });

  test('a target that depends on no source gives undefined', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    expect(tape.jacobian(tensor([5, 6]), x)).toBeUndefined();
  });

  test('an unknown unconnectedGradients value is a TypeError', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    const options = { unconnectedGradients: 'zeros' } as unknown as { unconnectedGradients: 'zero' };
    expect(() => tape.jacobian(mul(x, 2), x, options)).toThrow(
      `tapegrad.GradientTape.jacobian: unconnectedGradients must be 'none' or 'zero', got "zeros"`,
    );
  });

  test('a target that is not a tensor is a TypeError', () => {
    const tape = new GradientTape();
    expect(() => tape.jacobian([1, 2] as unknown as Tensor, scalar(1))).toThrow(
      'tapegrad.GradientTape.jacobian: target must be a tensor, got an array',
    );
  });
});

describe('persistent and non-persistent tapes', () => {
  test('a persistent tape gives many Jacobians', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = mul(x, x);
    expect(tape.jacobian(y, x)?.arraySync()).toEqual(tape.jacobian(y, x)?.arraySync());
    expect(tape.gradient(y, x)?.arraySync()).toEqual([2, 4]);
  });

  test('a non-persistent tape is spent by one jacobian(): a second call throws as gradient() does', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = mul(x, x);
    tape.jacobian(y, x);
    expect(tape.recording).toBe(false);
    expect(() => tape.jacobian(y, x)).toThrow(
      'tapegrad.GradientTape.jacobian: this tape is not persistent and its jacobian() was already called, which ' +
        'released what it recorded; create it with new GradientTape({ persistent: true }) to call jacobian() more than once',
    );
    expect(() => tape.gradient(y, x)).toThrow(
      'tapegrad.GradientTape.gradient: this tape is not persistent and its jacobian() was already called',
    );
    expect(() => tape.batchJacobian(reshape(y, [2, 1]), x)).toThrow('to call batchJacobian() after jacobian()');
  });

  test('jacobian() after gradient() on a non-persistent tape throws naming both', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = mul(x, x);
    tape.gradient(y, x);
    expect(() => tape.jacobian(y, x)).toThrow('its gradient() was already called');
    expect(() => tape.jacobian(y, x)).toThrow('to call jacobian() after gradient()');
  });

  test('a bad argument leaves a non-persistent tape usable', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = mul(x, x);
    expect(() => tape.jacobian(y, [x, 3 as unknown as Tensor])).toThrow('sources[1] is not a tensor');
    expect(tape.jacobian(y, x)?.arraySync()).toEqual([
      [2, 0],
      [0, 4],
    ]);
  });
});

describe('outer tapes record the replays: a Jacobian is differentiable again', () => {
  test('the Hessian of f(x) = sum(x^3) + x0 x1 as the jacobian of a gradient (float64)', () => {
    const x = f64([1, 2]);
    const outer = new GradientTape();
    outer.watch(x);
    const inner = new GradientTape();
    inner.watch(x);
    const [x0, x1] = [reshape(mul(x, f64([1, 0])), [2]), reshape(mul(x, f64([0, 1])), [2])];
    const y = add(sum(mul(mul(x, x), x)), mul(sum(x0), sum(x1)));
    const g = inner.gradient(y, x)!; // [3 x0^2 + x1, 3 x1^2 + x0]
    expect(g.arraySync()).toEqual([5, 13]);
    expect(outer.jacobian(g, x)?.arraySync()).toEqual([
      [6, 1],
      [1, 12],
    ]);
  });

  test('the jacobian inside an outer tape is recorded: its sum differentiates to the second derivatives', () => {
    const x = f64([0.5, -1]);
    const outer = new GradientTape();
    outer.watch(x);
    const inner = new GradientTape();
    inner.watch(x);
    const j = inner.jacobian(tanh(x), x)!; // diag(1 - tanh^2 x)
    // d/dx_k sum(J) = d/dx_k (1 - tanh^2 x_k) = -2 tanh x_k (1 - tanh^2 x_k)
    const expected = [0.5, -1].map((v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2));
    expectClose(outer.gradient(sum(j), x)!.dataSync(), expected, 1e-12);
  });

  test('the jacobian of a jacobian: d^2 (x^3) / dx dx is 6x on the diagonal of a [2, 2, 2] tensor', () => {
    const x = f64([1, 2]);
    const outer = new GradientTape();
    outer.watch(x);
    const inner = new GradientTape();
    inner.watch(x);
    const j = inner.jacobian(mul(mul(x, x), x), x)!; // diag(3x^2)
    expect(j.arraySync()).toEqual([
      [3, 0],
      [0, 12],
    ]);
    expect(outer.jacobian(j, x)?.arraySync()).toEqual([
      [
        [6, 0],
        [0, 0],
      ],
      [
        [0, 0],
        [0, 12],
      ],
    ]);
  });

  test('a jacobian does not record its own replay onto its own (persistent) tape', () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const j = tape.jacobian(mul(x, x), x)!;
    expect(tape.gradient(j, x)).toBeUndefined();
  });

  test('batchJacobian inside an outer tape is recorded too', () => {
    const x = f64([1, 2, 3], [3, 1]);
    const outer = new GradientTape();
    outer.watch(x);
    const inner = new GradientTape();
    inner.watch(x);
    const bj = inner.batchJacobian(mul(mul(x, x), x), x)!; // [3, 1, 1]: 3x^2
    expect(bj.arraySync()).toEqual([[[3]], [[12]], [[27]]]);
    expect(outer.gradient(bj, x)?.arraySync()).toEqual([[6], [12], [18]]); // 6x
  });
});

describe('cost: the tape is pruned once, then replayed once per target element (not a loop of gradient())', () => {
  const counts = { vjp: 0 };
  const counted = defineOp('spec.jacobian.counted', {
    forward: ([x]) => tensor(x!),
    vjp: (dy) => {
      counts.vjp++;
      return [dy];
    },
  });
  const offPath = { vjp: 0 };
  const other = defineOp('spec.jacobian.offPath', {
    forward: ([x]) => tensor(x!),
    vjp: (dy) => {
      offPath.vjp++;
      return [dy];
    },
  });

  test('jacobian of a [5] target: one plan, five replays, five VJP calls on the path, none off it', () => {
    counts.vjp = 0;
    offPath.vjp = 0;
    const plan = jest.spyOn(backprop, 'prunePlan');
    const replay = jest.spyOn(backprop, 'replay');
    const x = tensor([1, 2, 3, 4, 5]);
    const w = tensor([1, 1, 1, 1, 1]);
    const tape = new GradientTape();
    tape.watch([x, w]);
    const h = other([w], undefined); // feeds the target but does not depend on x
    const y = mul(counted([x], undefined), h);
    tape.jacobian(y, x);
    expect({ plans: plan.mock.calls.length, replays: replay.mock.calls.length }).toEqual({ plans: 1, replays: 5 });
    expect({ onPath: counts.vjp, offPath: offPath.vjp }).toEqual({ onPath: 5, offPath: 0 });
  });

  test('batchJacobian of a [4, 3] target seeds all 4 rows at once: 3 replays plus 1 for the row check', () => {
    const plan = jest.spyOn(backprop, 'prunePlan');
    const replay = jest.spyOn(backprop, 'replay');
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = matmul(
      x,
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    );
    const bj = tape.batchJacobian(y, x)!;
    expect(bj.shape).toEqual([4, 3, 2]);
    expect({ plans: plan.mock.calls.length, replays: replay.mock.calls.length }).toEqual({ plans: 1, replays: 4 });
  });
});

describe('batchJacobian(target, source): [batch, ...target.shape[1:], ...source.shape[1:]]', () => {
  test('equals the diagonal blocks of the full Jacobian (float64, central differences)', () => {
    const W = f64([0.3, -0.2, 0.5, 0.1, 0.4, -0.6], [2, 3]);
    const x = f64([0.5, -1, 2, 1, 0.25, -0.5, 0.1, 0.2], [4, 2]);
    const f = (v: Tensor) => tanh(matmul(v, W)); // [4, 3]
    const tape = new GradientTape();
    tape.watch(x);
    const bj = tape.batchJacobian(f(x), x)!;
    expect(bj.shape).toEqual([4, 3, 2]);
    const full = numericJacobian(f, x); // [4, 3, 4, 2]
    const blocks: number[] = [];
    for (let b = 0; b < 4; b++) {
      for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) blocks.push(full[((b * 3 + i) * 4 + b) * 2 + j]!);
    }
    expectClose(bj.dataSync(), blocks);
  });

  test('works in float32, with a rank-3 target and rank-1 rows of the source', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = mul(reshape(x, [2, 2, 1]), tensor([[[1, 10]]])); // y[b, i, k] = x[b, i] c[k]
    const bj = tape.batchJacobian(y, x)!;
    expect(bj.shape).toEqual([2, 2, 2, 2]);
    expect(bj.dtype).toBe('float32');
    const block = [
      [
        [1, 0],
        [10, 0],
      ],
      [
        [0, 1],
        [0, 10],
      ],
    ];
    expect(bj.arraySync()).toEqual([block, block]);
  });

  test('a batch of 1 works (nothing can mix)', () => {
    const x = tensor([[1, 2]]);
    const tape = new GradientTape();
    tape.watch(x);
    expect(tape.batchJacobian(mul(x, x), x)?.arraySync()).toEqual([
      [
        [2, 0],
        [0, 4],
      ],
    ]);
  });

  test('an unconnected source gives undefined, or zeros of the batch Jacobian’s shape', () => {
    const x = tensor([[1], [2]]);
    const u = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const tape = new GradientTape({ persistent: true });
    tape.watch([x, u]);
    const y = mul(x, 2);
    expect(tape.batchJacobian(y, u)).toBeUndefined();
    const z: Tensor = tape.batchJacobian(y, u, { unconnectedGradients: 'zero' });
    expect(z.shape).toEqual([2, 1, 3]);
    expect(Array.from(z.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
  });

  test.each([
    [
      'a matrix product mixing rows',
      (x: Tensor) =>
        matmul(
          tensor([
            [1, 0, 0],
            [0, 0, 1],
            [0, 1, 0],
          ]),
          x,
        ),
      /row (1|2) of the target/,
    ],
    ['centering by the batch mean', (x: Tensor) => sub(x, mean(x, 0)), /row \d of the target/],
    [
      'a sum over the batch added to every row',
      (x: Tensor) => add(mul(x, x), mul(sum(x), 1e-3)),
      /row \d of the target/,
    ],
  ])('throws when rows mix (%s), naming the rows', (_name, f, pattern) => {
    const x = f64([1, 2, 3, 4, 5, 6], [3, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = f(x);
    let message = '';
    try {
      tape.batchJacobian(y, x);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(pattern);
    expect(message).toMatch(
      /^tapegrad\.GradientTape\.batchJacobian: row \d of the target \[3,2\] depends on row \d of the source \[3,2\], but batchJacobian needs row b of the target to depend on row b of the source only/,
    );
    expect(message).toContain('use jacobian() for the full Jacobian');
  });

  test('names the exact rows: target row 0 reads source row 2', () => {
    const x = f64([1, 2, 3, 4, 5, 6], [3, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = matmul(f64([1, 0, 1, 0, 1, 0, 0, 0, 1], [3, 3]), x); // row 0 = x0 + x2
    expect(() => tape.batchJacobian(y, x)).toThrow('row 0 of the target [3,2] depends on row 2 of the source [3,2]');
  });

  test('a mixing that cancels in a per-row sum is still found (weights are per element)', () => {
    const x = f64([1, 2, 3, 4], [2, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    // y[b] = [x[1-b, 0], -x[1-b, 0]]: summed over a row's elements, its dependence on the other row is zero.
    const swapped = matmul(f64([0, 1, 1, 0], [2, 2]), x);
    const z = matmul(swapped, f64([1, -1, 0, 0], [2, 2]));
    expect(() => tape.batchJacobian(z, x)).toThrow(/depends on row/);
  });

  test('shape and type errors name the shapes', () => {
    const tape = new GradientTape({ persistent: true });
    const x = tensor([[1, 2]]);
    tape.watch(x);
    expect(() => tape.batchJacobian(mul(x, x), tensor([1, 2]))).toThrow(
      'tapegrad.GradientTape.batchJacobian: target [1,2] and source [2] must both have a batch dimension 0 of the same size',
    );
    expect(() => tape.batchJacobian(scalar(1), x)).toThrow('target [] and source [1,2]');
    expect(() => tape.batchJacobian(mul(x, x), [x] as unknown as Tensor)).toThrow(
      'tapegrad.GradientTape.batchJacobian: source must be a tensor, got an array',
    );
  });

  test('a non-persistent tape is spent by one batchJacobian()', () => {
    const x = tensor([[1, 2]]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = mul(x, x);
    tape.batchJacobian(y, x);
    expect(() => tape.batchJacobian(y, x)).toThrow('to call batchJacobian() more than once');
  });
});

describe('against stacked gradients: row i of a Jacobian is gradient() seeded with the i-th unit vector', () => {
  const W = f64([0.3, -1.2, 0.7, 0.5, 2.0, -0.4, 1.1, 0.9, -0.8, 0.2, -0.6, 1.3], [4, 3]);
  const layer = (x: Tensor) => tanh(matmul(x, W, false, true)); // [batch, 3] -> [batch, 4]

  test('jacobian of a [2, 4] target in a [2, 3] source equals 8 one-hot seeded gradients, stacked', () => {
    const x = f64([0.5, -1, 0.25, 1.5, 0.75, -0.5], [2, 3]);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = layer(x);
    const jac = tape.jacobian(y, x)!;
    const stacked: number[] = [];
    for (let i = 0; i < y.size; i++) {
      const seed = new Float64Array(y.size);
      seed[i] = 1;
      stacked.push(...tape.gradient(y, x, tensor(seed, y.shape))!.dataSync());
    }
    expect(jac.shape).toEqual([2, 4, 2, 3]);
    expectClose(jac.dataSync(), stacked, 1e-12);
  });

  test('batchJacobian row b equals gradients of target row b seeded one output at a time, stacked', () => {
    const x = f64([0.5, -1, 0.25, 1.5, 0.75, -0.5, -0.2, 0.1, 0.9], [3, 3]);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = layer(x);
    const jac = tape.batchJacobian(y, x)!;
    const stacked: number[] = [];
    for (let b = 0; b < 3; b++) {
      for (let j = 0; j < 4; j++) {
        const seed = new Float64Array(y.size);
        seed[b * 4 + j] = 1;
        const g = tape.gradient(y, x, tensor(seed, y.shape))!.dataSync();
        stacked.push(...g.slice(b * 3, b * 3 + 3));
      }
    }
    expect(jac.shape).toEqual([3, 4, 3]);
    expectClose(jac.dataSync(), stacked, 1e-12);
  });
});
