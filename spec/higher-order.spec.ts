/**
 * Higher-order derivatives: nested tapes differentiate the backward pass of
 * the tapes inside them, to any order. Each derivative is checked against a
 * hand-worked formula or an independent reference (polynomial
 * differentiation of d/dx P(t) = P'(t) t' for tanh, sigmoid and exp, and a
 * finite-difference stencil on the function itself).
 */
import {
  GradientTape,
  Tensor,
  add,
  broadcastTo,
  div,
  exp,
  log,
  matmul,
  mean,
  mul,
  pow,
  reshape,
  sigmoid,
  sqrt,
  square,
  sub,
  sum,
  tanh,
  tensor,
  transpose,
} from '../lib/index.js';

const f64 = (values: number[], shape?: number[]) => tensor(Float64Array.from(values), shape);

/**
 * [f(x), f'(x), ..., f^(n)(x)] for an element-wise f, with n nested tapes:
 * the innermost differentiates f, and each tape around it differentiates the
 * backward pass of the one inside.
 */
function derivatives(f: (x: Tensor) => Tensor, x: Tensor, n: number): Tensor[] {
  const tapes = Array.from({ length: n }, () => {
    const tape = new GradientTape();
    tape.watch(x);
    return tape;
  });
  const out = [f(x)];
  for (let k = n - 1; k >= 0; k--) {
    const d = tapes[k]!.gradient(out[out.length - 1]!, x);
    if (d === undefined) throw new Error(`derivative ${n - k} is unconnected`);
    out.push(d);
  }
  return out;
}

function expectClose(actual: Tensor, expected: readonly number[], rtol = 1e-10): void {
  const values = Array.from(actual.dataSync());
  expect(values).toHaveLength(expected.length);
  values.forEach((v, i) => {
    const e = expected[i]!;
    if (Math.abs(v - e) > rtol * (1 + Math.abs(e))) {
      throw new Error(`element ${i}: got ${v}, expected ${e} (all: ${values.join(', ')})`);
    }
  });
}

/** Coefficients of a polynomial, lowest first. */
type Poly = number[];
const polyDerivative = (p: Poly): Poly => p.slice(1).map((c, i) => c * (i + 1));
function polyMul(a: Poly, b: Poly): Poly {
  const out = new Array<number>(a.length + b.length - 1).fill(0);
  a.forEach((x, i) => b.forEach((y, j) => (out[i + j]! += x * y)));
  return out;
}
const polyAt = (p: Poly, t: number) => p.reduceRight((acc, c) => acc * t + c, 0);

/**
 * The k-th derivatives of a function t(x) whose own derivative is a
 * polynomial q in t (tanh: 1 - t^2; sigmoid: t - t^2; exp: t), as polynomials
 * in t: d/dx P(t) = P'(t) q(t). An independent reference for the tapes.
 */
function derivativePolys(q: Poly, n: number): Poly[] {
  const out: Poly[] = [[0, 1]];
  for (let k = 1; k <= n; k++) out.push(polyMul(polyDerivative(out[k - 1]!), q));
  return out;
}

const points = [-1.5, -0.3, 0.2, 0.9, 2];

describe('nested tapes give derivatives of any order', () => {
  test('the first five derivatives of x^5 - 3x^4 + 2x^2 + x (built from mul, add, sub)', () => {
    const x = f64(points);
    const p = (v: Tensor) => {
      const v2 = mul(v, v);
      const v4 = mul(v2, v2);
      return add(sub(mul(v4, v), mul(v4, 3)), add(mul(v2, 2), v));
    };
    const ds = derivatives(p, x, 5);
    const at = (f: (t: number) => number) => points.map(f);
    expectClose(
      ds[1]!,
      at((t) => 5 * t ** 4 - 12 * t ** 3 + 4 * t + 1),
    );
    expectClose(
      ds[2]!,
      at((t) => 20 * t ** 3 - 36 * t ** 2 + 4),
    );
    expectClose(
      ds[3]!,
      at((t) => 60 * t ** 2 - 72 * t),
    );
    expectClose(
      ds[4]!,
      at((t) => 120 * t - 72),
    );
    expectClose(
      ds[5]!,
      at(() => 120),
    );
  });

  test('the fourth derivative of pow(x, 6) is 360 x^2', () => {
    const x = f64(points);
    expectClose(
      derivatives((v) => pow(v, 6), x, 4)[4]!,
      points.map((t) => 360 * t * t),
    );
  });

  test.each([
    ['tanh', tanh, Math.tanh, [1, 0, -1]],
    ['sigmoid', sigmoid, (t: number) => 1 / (1 + Math.exp(-t)), [0, 1, -1]],
    ['exp', exp, Math.exp, [0, 1]],
  ] as const)('the first four derivatives of %s match d/dx P(t) = P(t)′ t′', (_name, op, reference, q) => {
    const x = f64(points);
    const ds = derivatives(op, x, 4);
    const polys = derivativePolys([...q], 4);
    for (let k = 1; k <= 4; k++) {
      expectClose(
        ds[k]!,
        points.map((p) => polyAt(polys[k]!, reference(p))),
        1e-9,
      );
    }
  });

  test('the fourth derivative of tanh is 8 t (1 - t^2)(2 - 3 t^2), t = tanh x (hand-worked)', () => {
    const x = f64(points);
    const t = points.map(Math.tanh);
    expectClose(
      derivatives(tanh, x, 4)[4]!,
      t.map((v) => 8 * v * (1 - v * v) * (2 - 3 * v * v)),
      1e-9,
    );
  });

  test.each([
    ['log x', log, (t: number) => -6 / t ** 4],
    ['sqrt x', sqrt, (t: number) => (-15 / 16) * t ** -3.5],
    ['1 / x', (v: Tensor) => div(1, v), (t: number) => 24 / t ** 5],
  ] as const)('the fourth derivative of %s (hand-worked)', (_name, f, d4) => {
    const positive = [0.5, 1, 2, 3.5];
    expectClose(derivatives(f, f64(positive), 4)[4]!, positive.map(d4), 1e-9);
  });

  test('the fourth derivative of exp(tanh(x)) * sigmoid(x^2) matches a finite-difference stencil', () => {
    const f = (v: Tensor) => mul(exp(tanh(v)), sigmoid(square(v)));
    const plain = (t: number) => Math.exp(Math.tanh(t)) / (1 + Math.exp(-t * t));
    // Central stencil for f'''' with Richardson extrapolation; error O(h^4), rounding about 1e-16 / h^4.
    const stencil = (t: number, h: number) =>
      (plain(t + 2 * h) - 4 * plain(t + h) + 6 * plain(t) - 4 * plain(t - h) + plain(t - 2 * h)) / h ** 4;
    const reference = points.map((t) => (4 * stencil(t, 0.01) - stencil(t, 0.02)) / 3);
    expectClose(derivatives(f, f64(points), 4)[4]!, reference, 1e-5);
  });

  test('through matmul, sum, mean, reshape, transpose and broadcastTo: d^4/dx^4 sum((W x)^4) = 24 sum(w^4)', () => {
    const w = f64([0.5, -1, 2], [3, 1]);
    const f = (v: Tensor) => {
      const wx = matmul(w, reshape(v, [1, 1])); // [3, 1]
      const spread = broadcastTo(transpose(wx, [1, 0]), [2, 3]); // two copies
      return mul(mean(sum(square(square(spread)), 1)), 1);
    };
    const ds = derivatives(f, f64([0.7]), 4);
    const w4 = 0.5 ** 4 + 1 + 2 ** 4;
    expectClose(ds[3]!, [24 * w4 * 0.7]);
    expectClose(ds[4]!, [24 * w4]);
  });
});

describe('gradient() called while an outer tape records is recorded by the outer tape', () => {
  test('mixed partial d^2/dx dy of x^2 y^3 is 6 x y^2', () => {
    const x = f64([2]);
    const y = f64([3]);
    const outer = new GradientTape();
    outer.watch(y);
    const inner = new GradientTape();
    inner.watch(x);
    const z = mul(square(x), pow(y, 3));
    const dzdx = inner.gradient(z, x)!; // 2 x y^3 = 108
    expect(dzdx.arraySync()).toEqual([108]);
    expect(outer.gradient(dzdx, y)?.arraySync()).toEqual([108]); // 6 x y^2 = 6 * 2 * 9
  });

  test('with outputGradients: the outer tape differentiates the vector-Jacobian product in both x and the seed', () => {
    const x = f64([1, 2]);
    const v = f64([3, 5]);
    const outer = new GradientTape({ persistent: true });
    outer.watch([x, v]);
    const inner = new GradientTape();
    inner.watch(x);
    const y = mul(mul(x, x), x); // x^3
    const vjp = inner.gradient(y, x, v)!; // 3 x^2 v = [9, 60]
    expect(vjp.arraySync()).toEqual([9, 60]);
    expect(outer.gradient(vjp, x)?.arraySync()).toEqual([18, 60]); // 6 x v
    expect(outer.gradient(vjp, v)?.arraySync()).toEqual([3, 12]); // 3 x^2
  });

  test('the second derivative of a linear function is unconnected (undefined), or zeros on request', () => {
    const x = f64([1, 2]);
    const outer = new GradientTape({ persistent: true });
    outer.watch(x);
    const inner = new GradientTape();
    inner.watch(x);
    const g = inner.gradient(mul(x, 3), x)!; // 3: computed from constants only
    expect(g.arraySync()).toEqual([3, 3]);
    expect(outer.gradient(g, x)).toBeUndefined();
    expect(outer.gradient(g, x, undefined, { unconnectedGradients: 'zero' }).arraySync()).toEqual([0, 0]);
  });

  test('a persistent inner tape gives several gradients, each recorded by the outer tape', () => {
    const x = f64([2]);
    const outer = new GradientTape({ persistent: true });
    outer.watch(x);
    const inner = new GradientTape({ persistent: true });
    inner.watch(x);
    const y2 = square(x);
    const y3 = mul(y2, x);
    const g2 = inner.gradient(y2, x)!; // 2x
    const g3 = inner.gradient(y3, x)!; // 3x^2
    expect(outer.gradient(g2, x)?.arraySync()).toEqual([2]);
    expect(outer.gradient(g3, x)?.arraySync()).toEqual([12]); // 6x
  });
});
