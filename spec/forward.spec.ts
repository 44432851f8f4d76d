/**
 * Forward values of every differentiable op against hand-computed numbers,
 * and the gradients TensorFlow picks at kinks and ties.
 */
import {
  GradientTape,
  add,
  broadcastTo,
  cast,
  div,
  exp,
  identity,
  log,
  matmul,
  maximum,
  mean,
  minimum,
  mul,
  neg,
  pow,
  range,
  relu,
  reshape,
  scalar,
  sigmoid,
  sqrt,
  square,
  sub,
  sum,
  tanh,
  tensor,
  transpose,
  where,
  zeros,
  type Tensor,
} from '../lib/index.js';

const f64 = (values: number | number[] | number[][]) => tensor(values, undefined, 'float64');
const i32 = (values: number[]) => tensor(values, undefined, 'int32');

/** x = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]], shape [2, 2, 2]. */
const cube = () => reshape(range(1, 9), [2, 2, 2]);

function closeTo(t: Tensor, expected: number[], digits = 12) {
  const actual = Array.from(t.dataSync());
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, digits));
}

describe('binary arithmetic', () => {
  test('add broadcasts a column against a row', () => {
    expect(add(tensor([[1], [2]]), tensor([10, 20])).arraySync()).toEqual([
      [11, 21],
      [12, 22],
    ]);
  });

  test('sub broadcasts a scalar over a matrix, on either side', () => {
    expect(sub(tensor([5, 7]), 2).arraySync()).toEqual([3, 5]);
    expect(
      sub(
        10,
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ).arraySync(),
    ).toEqual([
      [9, 8],
      [7, 6],
    ]);
  });

  test('mul of [3] by [2, 1] gives the [2, 3] outer product', () => {
    expect(mul(tensor([1, 2, 3]), tensor([[2], [3]])).arraySync()).toEqual([
      [2, 4, 6],
      [3, 6, 9],
    ]);
  });

  test('div of floats is true division', () => {
    expect(div(tensor([1, 3, -1]), 2).arraySync()).toEqual([0.5, 1.5, -0.5]);
  });

  test('div of int32 rounds toward negative infinity and stays int32', () => {
    const q = div(i32([7, -7, 6, -6, 8]), i32([2, 2, -4, 4, 2]));
    expect(q.dtype).toBe('int32');
    expect(q.arraySync()).toEqual([3, -4, -2, -2, 4]);
  });

  test('pow handles a negative base with integer exponents, 0^0 = 1, and a fractional power of a negative is NaN', () => {
    expect(pow(f64([2, 3, -2, -2, 0, 4]), f64([2, 2, 3, 2, 0, 0.5])).arraySync()).toEqual([4, 9, -8, 4, 1, 2]);
    expect(pow(f64(-8), 1 / 3).item()).toBeNaN();
  });

  test('maximum and minimum compare element-wise with broadcasting', () => {
    expect(maximum(tensor([1, 4]), tensor([3, 2])).arraySync()).toEqual([3, 4]);
    expect(minimum(tensor([1, 4]), tensor([3, 2])).arraySync()).toEqual([1, 2]);
    expect(
      maximum(
        tensor([
          [-1, 2],
          [3, -4],
        ]),
        0,
      ).arraySync(),
    ).toEqual([
      [0, 2],
      [3, 0],
    ]);
    expect(
      minimum(
        tensor([
          [-1, 2],
          [3, -4],
        ]),
        0,
      ).arraySync(),
    ).toEqual([
      [-1, 0],
      [0, -4],
    ]);
  });
});

describe('unary math', () => {
  test('neg and square', () => {
    expect(neg(tensor([1, -2, 0])).arraySync()).toEqual([-1, 2, -0]);
    expect(square(tensor([2, -3, 0.5])).arraySync()).toEqual([4, 9, 0.25]);
  });

  test('sqrt, exp and log', () => {
    expect(sqrt(tensor([4, 9, 0])).arraySync()).toEqual([2, 3, 0]);
    closeTo(exp(f64([0, 1, -1])), [1, Math.E, 1 / Math.E]);
    closeTo(log(f64([1, Math.E, 0.5])), [0, 1, -Math.LN2]);
    expect(log(f64([0])).item()).toBe(-Infinity);
  });

  test('relu zeroes negatives and zero', () => {
    expect(relu(tensor([-1, 0, 2])).arraySync()).toEqual([0, 0, 2]);
  });

  test('sigmoid: 1/2 at 0, 1/(1+e^-2) at 2, and exactly 1 and 0 (finite) at +-1000', () => {
    closeTo(sigmoid(f64([0, 2, -2])), [0.5, 1 / (1 + Math.exp(-2)), 1 / (1 + Math.exp(2))], 15);
    const tails = sigmoid(f64([1000, -1000])).arraySync();
    expect(tails).toEqual([1, 0]);
  });

  test('sigmoid has a finite zero gradient at +-1000', () => {
    const x = f64([1000, -1000]);
    const tape = new GradientTape();
    tape.watch(x);
    expect(tape.gradient(sigmoid(x), x)!.arraySync()).toEqual([0, 0]);
  });

  test('tanh is odd and saturates', () => {
    closeTo(tanh(f64([0, 0.5, -0.5, 20])), [0, 0.46211715726000974, -0.46211715726000974, 1], 15);
  });
});

describe('matmul', () => {
  const a = () =>
    tensor([
      [1, 2],
      [3, 4],
    ]);
  const b = () =>
    tensor([
      [5, 6],
      [7, 8],
    ]);

  test.each([
    [
      false,
      false,
      [
        [19, 22],
        [43, 50],
      ],
    ],
    [
      true,
      false,
      [
        [26, 30],
        [38, 44],
      ],
    ],
    [
      false,
      true,
      [
        [17, 23],
        [39, 53],
      ],
    ],
    [
      true,
      true,
      [
        [23, 31],
        [34, 46],
      ],
    ],
  ])('transposeA=%s transposeB=%s', (ta, tb, expected) => {
    expect(matmul(a(), b(), ta, tb).arraySync()).toEqual(expected);
  });

  test('a non-square product: [1, 2] x [2, 3]', () => {
    expect(
      matmul(
        tensor([[1, 2]]),
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      ).arraySync(),
    ).toEqual([[9, 12, 15]]);
  });

  test('batch dimensions broadcast: [2, 1, 1, 2] x [3, 2, 1] is [2, 3, 1, 1]', () => {
    const rows = tensor([[[[1, 2]]], [[[3, 4]]]]); // the rows [1, 2] and [3, 4]
    const cols = tensor([
      [[1], [0]],
      [[0], [1]],
      [[1], [1]],
    ]); // e1, e2, e1 + e2
    const c = matmul(rows, cols);
    expect(c.shape).toEqual([2, 3, 1, 1]);
    expect(c.arraySync()).toEqual([
      [[[1]], [[2]], [[3]]],
      [[[3]], [[4]], [[7]]],
    ]);
  });

  test('a matrix times a batch: [2, 2] x [2, 2, 1] applies the matrix to each', () => {
    const c = matmul(
      a(),
      tensor([
        [[1], [1]],
        [[1], [-1]],
      ]),
    );
    expect(c.arraySync()).toEqual([
      [[3], [7]],
      [[-1], [-1]],
    ]);
  });

  test('an empty inner dimension gives zeros', () => {
    expect(matmul(zeros([2, 0]), zeros([0, 3])).arraySync()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });
});

describe('reductions', () => {
  test('sum over everything, one axis, negative axes, and with keepDims', () => {
    expect(sum(cube()).arraySync()).toBe(36);
    expect(sum(cube(), 0).arraySync()).toEqual([
      [6, 8],
      [10, 12],
    ]);
    expect(sum(cube(), -1).arraySync()).toEqual([
      [3, 7],
      [11, 15],
    ]);
    expect(sum(cube(), [-1, -3]).arraySync()).toEqual([14, 22]);
    const kept = sum(cube(), [-1, -3], true);
    expect(kept.shape).toEqual([1, 2, 1]);
    expect(kept.arraySync()).toEqual([[[14], [22]]]);
  });

  test('sum over an empty axis is zero', () => {
    expect(sum(zeros([0, 3]), 0).arraySync()).toEqual([0, 0, 0]);
    expect(sum(zeros([0, 3])).item()).toBe(0);
  });

  test('mean over everything, several axes, and a negative axis with keepDims', () => {
    expect(mean(cube()).item()).toBe(4.5);
    expect(mean(cube(), [0, 1]).arraySync()).toEqual([4, 5]);
    const kept = mean(cube(), -2, true);
    expect(kept.shape).toEqual([2, 1, 2]);
    expect(kept.arraySync()).toEqual([[[2, 3]], [[6, 7]]]);
  });

  test('a float32 mean is rounded once (sum and division in float64), not after the sum and again', () => {
    const values = [0.020152613520622253, 0.049952249974012375, 0.1776346117258072]; // exact float32 values
    const exact = values[0]! + values[1]! + values[2]!;
    expect(mean(tensor(values)).item()).toBe(Math.fround(exact / 3));
    expect(mean(tensor(values)).item()).not.toBe(Math.fround(Math.fround(exact) / 3));
    expect(mean(zeros([0])).item()).toBeNaN();
  });
});

describe('shape ops', () => {
  test('reshape infers a -1 dimension', () => {
    expect(reshape(range(0, 6), [2, -1]).arraySync()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(reshape(range(0, 6), [3, -1, 1]).shape).toEqual([3, 2, 1]);
    expect(
      reshape(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        [-1],
      ).arraySync(),
    ).toEqual([1, 2, 3, 4]);
  });

  test('transpose reverses axes by default and follows perm: out[i][j][k] = x[j][k][i] for [2, 0, 1]', () => {
    expect(transpose(tensor([[1, 2, 3]])).arraySync()).toEqual([[1], [2], [3]]);
    const x = reshape(range(0, 12), [2, 3, 2]); // x[j][k][i] = 6j + 2k + i
    const y = transpose(x, [2, 0, 1]);
    expect(y.shape).toEqual([2, 2, 3]);
    expect(y.arraySync()).toEqual([
      [
        [0, 2, 4],
        [6, 8, 10],
      ],
      [
        [1, 3, 5],
        [7, 9, 11],
      ],
    ]);
  });

  test('broadcastTo repeats rows, columns and scalars', () => {
    expect(broadcastTo(tensor([1, 2]), [2, 2]).arraySync()).toEqual([
      [1, 2],
      [1, 2],
    ]);
    expect(broadcastTo(tensor([[1], [2]]), [2, 3]).arraySync()).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expect(broadcastTo(scalar(5), [2]).arraySync()).toEqual([5, 5]);
  });

  test('cast float64 -> float32 rounds to the nearest float32; float32 -> float64 is exact', () => {
    const down = cast(f64([0.1, 1 / 3]), 'float32');
    expect(down.dtype).toBe('float32');
    expect(down.arraySync()).toEqual([Math.fround(0.1), Math.fround(1 / 3)]);
    const up = cast(tensor([0.1]), 'float64');
    expect(up.dtype).toBe('float64');
    expect(up.arraySync()).toEqual([Math.fround(0.1)]);
  });

  test('cast to int32 truncates toward zero; to bool is x != 0', () => {
    expect(cast(tensor([1.7, -1.7, 0.2]), 'int32').arraySync()).toEqual([1, -1, 0]);
    expect(cast(tensor([0, -2, 0.5]), 'bool').arraySync()).toEqual([0, 1, 1]);
  });

  test('identity gives the same values as a new tensor', () => {
    const x = tensor([1, 2]);
    const y = identity(x);
    expect(y.arraySync()).toEqual([1, 2]);
    expect(y.id).not.toBe(x.id);
  });

  test('where picks a where the condition holds and b elsewhere, all three broadcast', () => {
    expect(where(tensor([true, false]), tensor([1, 2]), tensor([10, 20])).arraySync()).toEqual([1, 20]);
    expect(where(tensor([[true], [false]]), tensor([1, 2]), 0).arraySync()).toEqual([
      [1, 2],
      [0, 0],
    ]);
  });
});

/** Gradients of sum(op(...sources)) with respect to each source. */
function gradientsOf(op: (...xs: Tensor[]) => Tensor, sources: Tensor[]) {
  const tape = new GradientTape();
  tape.watch(sources);
  return tape.gradient(op(...sources), sources).map((g) => g?.arraySync());
}

describe("TensorFlow's choices at kinks and ties", () => {
  test("relu'(0) = 0", () => {
    expect(gradientsOf(relu, [tensor([-1, 0, 2])])).toEqual([[0, 0, 1]]);
  });

  test('maximum gives a tie to its first argument', () => {
    expect(gradientsOf(maximum, [tensor([1, 2, 5]), tensor([1, 3, 4])])).toEqual([
      [1, 0, 1],
      [0, 1, 0],
    ]);
  });

  test('minimum gives a tie to its first argument', () => {
    expect(gradientsOf(minimum, [tensor([1, 2, 5]), tensor([1, 0, 6])])).toEqual([
      [1, 0, 1],
      [0, 1, 0],
    ]);
  });

  test('a broadcast tie goes to the first argument only: maximum(x, 0) at x = 0', () => {
    expect(gradientsOf(maximum, [tensor([0, 0]), scalar(0)])).toEqual([[1, 1], 0]);
  });

  test("pow's d/db = a^b ln a is 0 (not NaN) where a <= 0, and d/da = b a^(b-1)", () => {
    const [da, db] = gradientsOf(pow, [f64([-2, 0, 2]), f64([2, 2, 2])]);
    expect(da).toEqual([-4, 0, 4]);
    expect(db).toEqual([0, 0, 4 * Math.LN2]);
  });

  test("pow's second derivative in b is 0 (not NaN) where a <= 0", () => {
    const a = f64([-2, 0, 2]);
    const b = f64([2, 2, 2]);
    const outer = new GradientTape();
    outer.watch(b);
    const inner = new GradientTape();
    inner.watch(b);
    const db = inner.gradient(pow(a, b), b)!;
    const d2b = outer.gradient(db, b)!.arraySync() as number[];
    expect(d2b.slice(0, 2)).toEqual([0, 0]);
    expect(d2b[2]).toBeCloseTo(4 * Math.LN2 ** 2, 12); // a^b ln^2 a
  });
});
