/**
 * hessian(f): checked in float64 against a central-difference Hessian taken
 * from values of f alone, and against the closed forms of a quadratic form,
 * sum(tanh(W x)) and softmax cross-entropy; its shape is x.shape ++ x.shape.
 */
import fc from 'fast-check';
import {
  GradientTape,
  exp,
  grad,
  hessian,
  log,
  matmul,
  mul,
  reshape,
  scalar,
  sub,
  sum,
  tanh,
  tensor,
  zeros,
  type Tensor,
} from '../lib/index.js';
import { sampleInput } from './support/inputs.js';

/**
 * The Hessian of f at x by second central differences of f's values:
 * H_ij ~ (f(x + h e_i + h e_j) - f(x + h e_i - h e_j) - f(x - h e_i + h e_j) + f(x - h e_i - h e_j)) / 4h^2.
 * Returned flat, row-major, n x n with n = x.size.
 */
function numericHessian(f: (x: Tensor) => Tensor, x: Tensor, h = 1e-4): number[] {
  const base = Array.from(x.dataSync());
  const n = base.length;
  const at = (di: number, si: number, dj: number, sj: number): number => {
    const v = base.slice();
    v[di] = v[di]! + si * h;
    v[dj] = v[dj]! + sj * h;
    return f(tensor(v, x.shape, 'float64')).item();
  };
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      out.push((at(i, 1, j, 1) - at(i, 1, j, -1) - at(i, -1, j, 1) + at(i, -1, j, -1)) / (4 * h * h));
    }
  }
  return out;
}

/** Element-wise |a - b| <= atol + rtol |b|, with the worst offender in the failure message. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-6, rtol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  let worst = { index: -1, actual: 0, expected: 0, excess: 0 };
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i]! - expected[i]!) - (atol + rtol * Math.abs(expected[i]!));
    if (excess > worst.excess) worst = { index: i, actual: actual[i]!, expected: expected[i]!, excess };
  }
  expect(worst).toEqual({ index: -1, actual: 0, expected: 0, excess: 0 });
}

/** Row-major n x m values of a plain matrix product A B (A n x k, B k x m). */
const matmulValues = (a: number[], b: number[], n: number, k: number, m: number): number[] =>
  Array.from({ length: n * m }, (_, idx) => {
    const i = Math.floor(idx / m);
    const j = idx % m;
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * m + j]!;
    return s;
  });

describe('against numeric second differences and closed forms (float64)', () => {
  test('quadratic form x^T A x: the Hessian is A + A^T', () => {
    const n = 4;
    const A = sampleInput([n, n], 'any', 0, 3);
    const x = sampleInput([n], 'any', 1, 3);
    const f = (v: Tensor) => sum(mul(reshape(v, [n, 1]), matmul(A, reshape(v, [n, 1]))));
    const H = hessian(f)(x);
    expect([H.shape, H.dtype]).toEqual([[n, n], 'float64']);
    const a = Array.from(A.dataSync());
    const expected = a.map((_, idx) => a[idx]! + a[(idx % n) * n + Math.floor(idx / n)]!);
    expectClose(H.dataSync(), expected, 1e-12, 1e-12);
    expectClose(H.dataSync(), numericHessian(f, x));
  });

  test('sum(tanh(W x)): the Hessian is W^T diag(-2 tanh(z) (1 - tanh(z)^2)) W with z = W x', () => {
    const W = sampleInput([3, 4], 'any', 0, 5);
    const x = sampleInput([4], 'any', 1, 5);
    const f = (v: Tensor) => sum(tanh(matmul(W, reshape(v, [4, 1]))));
    const H = hessian(f)(x);
    expect(H.shape).toEqual([4, 4]);
    const w = Array.from(W.dataSync());
    const z = matmulValues(w, Array.from(x.dataSync()), 3, 4, 1);
    const d = z.map((zi) => -2 * Math.tanh(zi) * (1 - Math.tanh(zi) ** 2));
    const wt = Array.from({ length: 12 }, (_, idx) => w[(idx % 3) * 4 + Math.floor(idx / 3)]!); // 4 x 3
    const dw = w.map((wij, idx) => d[Math.floor(idx / 4)]! * wij); // diag(d) W, 3 x 4
    expectClose(H.dataSync(), matmulValues(wt, dw, 4, 3, 4), 1e-12, 1e-10);
    expectClose(H.dataSync(), numericHessian(f, x));
  });

  describe('softmax cross-entropy of logits [2, 3] against one-hot labels', () => {
    const labels = tensor(
      [
        [0, 1, 0],
        [1, 0, 0],
      ],
      undefined,
      'float64',
    );
    /** sum over rows of -sum(labels * log softmax(z)), with log softmax = z - log(sum(exp(z))) (no library softmax). */
    const crossEntropy = (z: Tensor) => sum(mul(labels, sub(log(sum(exp(z), -1, true)), z)));
    const z = sampleInput([2, 3], 'any', 0, 9);

    test('the Hessian has shape [2, 3, 2, 3] and matches second differences', () => {
      const H = hessian(crossEntropy)(z);
      expect(H.shape).toEqual([2, 3, 2, 3]);
      expectClose(H.dataSync(), numericHessian(crossEntropy, z));
    });

    test('it is block diagonal over rows, each block diag(p) - p p^T with p = softmax(row)', () => {
      const H = hessian(crossEntropy)(z).dataSync();
      const v = Array.from(z.dataSync());
      const expected: number[] = [];
      for (let r = 0; r < 2; r++) {
        for (let i = 0; i < 3; i++) {
          for (let s = 0; s < 2; s++) {
            for (let j = 0; j < 3; j++) {
              if (r !== s) {
                expected.push(0);
                continue;
              }
              const e = v.slice(3 * r, 3 * r + 3).map(Math.exp);
              const p = e.map((ei) => ei / (e[0]! + e[1]! + e[2]!));
              expected.push((i === j ? p[i]! : 0) - p[i]! * p[j]!);
            }
          }
        }
      }
      expectClose(H, expected, 1e-12, 1e-10);
    });
  });

  test('the Hessian is symmetric', () => {
    const x = sampleInput([5], 'any', 0, 11);
    const f = (v: Tensor) => sum(tanh(mul(v, sum(mul(v, v)))));
    const H = Array.from(hessian(f)(x).dataSync());
    const transposed = H.map((_, idx) => H[(idx % 5) * 5 + Math.floor(idx / 5)]!);
    expectClose(H, transposed, 1e-12, 1e-12);
  });
});

describe('shape, dtype and edge cases', () => {
  test('a scalar x gives a scalar Hessian', () => {
    const H = hessian((x) => mul(mul(x, x), x))(scalar(2, 'float64'));
    expect([H.shape, H.item()]).toEqual([[], 12]);
  });

  test('x of shape [2, 3] gives [2, 3, 2, 3]; float32 stays float32', () => {
    const H = hessian((x) => sum(mul(mul(x, x), x)))(zeros([2, 3]).add(1));
    expect([H.shape, H.dtype]).toEqual([[2, 3, 2, 3], 'float32']);
    const flat = H.dataSync();
    expect(Array.from(flat, (v) => v + 0)).toEqual(
      Array.from(flat, (_, idx) => (Math.floor(idx / 6) === idx % 6 ? 6 : 0)),
    );
  });

  test('x with no elements gives an empty Hessian of shape [0, 0]', () => {
    const H = hessian((x) => sum(mul(x, x)))(zeros([0]));
    expect(H.shape).toEqual([0, 0]);
  });

  test('f linear in x: the gradient does not depend on x and the Hessian is zeros', () => {
    const H = hessian((x) => sum(mul(x, tensor([1, 2]))))(tensor([3, 4]));
    expect(H.arraySync()).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  test('equals the rows of grad(grad(f)) along unit vectors', () => {
    const f = (v: Tensor) => sum(tanh(mul(v, sum(mul(v, v)))));
    const x = sampleInput([3], 'any', 0, 13);
    const H = hessian(f)(x);
    const rows = [0, 1, 2].map((i) => {
      const e = tensor(
        [0, 1, 2].map((j) => (j === i ? 1 : 0)),
        undefined,
        'float64',
      );
      return Array.from(grad((v) => sum(mul(grad(f)(v), e)))(x).dataSync());
    });
    expectClose(H.dataSync(), rows.flat(), 1e-12, 1e-12);
  });

  test('an outer tape differentiates the Hessian: d/dx sum(H) for sum(x^3) is 6', () => {
    const x = tensor([1, 2], undefined, 'float64');
    const tape = new GradientTape();
    tape.watch(x);
    const H = hessian((v) => sum(mul(mul(v, v), v)))(x);
    expect(tape.gradient(sum(H), x)?.arraySync()).toEqual([6, 6]);
  });

  test('errors: f must return a scalar; f must be a function', () => {
    expect(() => hessian((x) => mul(x, x))(tensor([1, 2]))).toThrow(
      new Error(
        'tapegrad.hessian: f must return a scalar, but it returned a tensor of shape [2]; reduce it with sum() or mean()',
      ),
    );
    expect(() => hessian(null as unknown as (x: Tensor) => Tensor)).toThrow(
      new TypeError('tapegrad.hessian: f must be a function, got null'),
    );
  });
});

describe('properties over random sizes (fast-check)', () => {
  test('the Hessian of x^T A x is A + A^T for any n, and any Hessian is symmetric', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.nat(), (n, seed) => {
        const A = sampleInput([n, n], 'any', 0, seed);
        const x = sampleInput([n], 'any', 1, seed);
        const H = Array.from(hessian((v) => sum(mul(reshape(v, [n, 1]), matmul(A, reshape(v, [n, 1])))))(x).dataSync());
        const a = Array.from(A.dataSync());
        const t = (m: number[], idx: number) => m[(idx % n) * n + Math.floor(idx / n)]!;
        expectClose(
          H,
          a.map((v, idx) => v + t(a, idx)),
          1e-12,
          1e-12,
        );
        const G = Array.from(hessian((v) => sum(tanh(mul(v, sum(mul(v, A.sum(0)))))))(x).dataSync());
        expectClose(
          G,
          G.map((_, idx) => t(G, idx)),
          1e-12,
          1e-12,
        );
      }),
      { numRuns: 20 },
    );
  });
});
