/**
 * Reductions, cumsum and softmax: forward values against hand-worked numbers
 * and a naive reference written here, TensorFlow's rules at ties and zeros,
 * stability for large inputs, float32 and float64, and the errors.
 */
import fc from 'fast-check';
import {
  GradientTape,
  Tensor,
  all,
  any,
  argMax,
  argMin,
  checkGradients,
  cumsum,
  logSoftmax,
  logSumExp,
  max,
  min,
  moments,
  norm,
  prod,
  softmax,
  sum,
  tensor,
  type Shape,
} from '../../lib/index.js';
import { sampleInput } from '../support/inputs.js';
import { loose } from '../support/errors.js';

const f64 = (values: number[] | number[][], shape?: number[]) =>
  tensor(values as number[], shape, 'float64') as Tensor<'float64'>;

function gradient(f: (x: Tensor) => Tensor, x: Tensor): Tensor {
  const tape = new GradientTape();
  tape.watch(x);
  return tape.gradient(f(x), [x])[0]!;
}

function expectClose(actual: Tensor, expected: number[], tol = 1e-12): void {
  const a = Array.from(actual.dataSync());
  expect(a.length).toBe(expected.length);
  a.forEach((v, i) => {
    if (Number.isNaN(expected[i]!)) expect(v).toBeNaN();
    else if (!Number.isFinite(expected[i]!)) expect(v).toBe(expected[i]);
    else expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i]!)));
  });
}

/**
 * A naive reduction: for each output index (row-major over the kept axes),
 * fold every input element whose kept coordinates match.
 */
function naiveReduce(
  values: ArrayLike<number>,
  shape: Shape,
  axes: number[],
  init: number,
  step: (acc: number, v: number) => number,
): number[] {
  const rank = shape.length;
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const outSize = kept.reduce((p, i) => p * shape[i]!, 1);
  const out = new Array<number>(outSize).fill(init);
  const index = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < values.length; flat++) {
    let o = 0;
    for (const k of kept) o = o * shape[k]! + index[k]!;
    out[o] = step(out[o]!, values[flat]!);
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

describe('forward values against a naive reference, over random shapes and axes', () => {
  const shapeAndAxes = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
    fc.tuple(
      fc.constant(shape),
      fc.subarray(
        shape.map((_, i) => i),
        { minLength: 1 },
      ),
      fc.boolean(),
      fc.nat(1000),
    ),
  );

  test.each([
    ['prod', prod, 1, (a: number, v: number) => a * v],
    ['max', max, -Infinity, Math.max],
    ['min', min, Infinity, Math.min],
  ] as const)('%s', (_name, op, init, step) => {
    fc.assert(
      fc.property(shapeAndAxes, ([shape, axes, keepDims, seed]) => {
        const x = sampleInput(shape, 'any', 0, seed);
        const y = op(x, axes, keepDims);
        expect(y.shape).toEqual(
          shape.map((d, i) => (axes.includes(i) ? 1 : d)).filter((_d, i) => keepDims || !axes.includes(i)),
        );
        expectClose(y, naiveReduce(x.dataSync(), shape, axes, init, step));
      }),
      { numRuns: 40 },
    );
  });

  test('logSumExp is the log of the sum of exponentials', () => {
    fc.assert(
      fc.property(shapeAndAxes, ([shape, axes, keepDims, seed]) => {
        const x = sampleInput(shape, 'any', 0, seed);
        const expected = naiveReduce(x.dataSync(), shape, axes, 0, (a, v) => a + Math.exp(v)).map(Math.log);
        expectClose(logSumExp(x, axes, keepDims), expected, 1e-12);
      }),
      { numRuns: 40 },
    );
  });

  test('all and any are the AND and OR of the elements', () => {
    fc.assert(
      fc.property(shapeAndAxes, ([shape, axes, keepDims, seed]) => {
        const x = sampleInput(shape, 'bool', 0, seed);
        expectClose(
          all(x, axes, keepDims),
          naiveReduce(x.dataSync(), shape, axes, 1, (a, v) => (a && v ? 1 : 0)),
        );
        expectClose(
          any(x, axes, keepDims),
          naiveReduce(x.dataSync(), shape, axes, 0, (a, v) => (a || v ? 1 : 0)),
        );
      }),
      { numRuns: 40 },
    );
  });

  test('cumsum matches a running sum along the axis, exclusive and reversed', () => {
    fc.assert(
      fc.property(shapeAndAxes, fc.boolean(), fc.boolean(), ([shape, axes, , seed], exclusive, reverse) => {
        const axis = axes[0]!;
        const x = sampleInput(shape, 'any', 0, seed);
        const v = x.dataSync();
        const n = shape[axis]!;
        const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
        const expected = Array.from(v, (_, flat) => {
          const j = Math.floor(flat / inner) % n;
          const start = flat - j * inner;
          let total = 0;
          for (let k = 0; k < n; k++) {
            const included = reverse ? (exclusive ? k > j : k >= j) : exclusive ? k < j : k <= j;
            if (included) total += v[start + k * inner]!;
          }
          return total;
        });
        expectClose(cumsum(x, axis, exclusive, reverse), expected, 1e-12);
      }),
      { numRuns: 40 },
    );
  });

  test('softmax along any axis sums to 1 and is exp(logSoftmax)', () => {
    fc.assert(
      fc.property(shapeAndAxes, ([shape, axes, , seed]) => {
        const axis = axes[0]!;
        const x = sampleInput(shape, 'any', 0, seed);
        const y = softmax(x, axis);
        expectClose(sum(y, axis), new Array<number>(y.size / shape[axis]!).fill(1), 1e-12);
        expectClose(logSoftmax(x, axis).exp(), Array.from(y.dataSync()), 1e-12);
        // softmax(x)_i = exp(x_i - logSumExp(x)) along the axis
        expectClose(
          y,
          Array.from(
            x
              .sub(logSumExp(x, axis, true))
              .exp()
              .dataSync(),
          ),
          1e-12,
        );
      }),
      { numRuns: 40 },
    );
  });
});

describe('prod', () => {
  test('multiplies over axes, with 1 over an empty set; int32 stays int32, bool counts as int32', () => {
    expect(
      prod(
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        1,
      ).arraySync(),
    ).toEqual([6, 120]);
    expect(
      prod(
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        [0, 1],
      ).arraySync(),
    ).toEqual(720);
    expect(prod(tensor([], [0, 2]), 0).arraySync()).toEqual([1, 1]);
    expect(prod(tensor([2, 3], undefined, 'int32')).dtype).toBe('int32');
    expect(prod(tensor([true, true])).dtype).toBe('int32');
  });

  test('its gradient is the product of the other elements, with one zero and with two zeros (TensorFlow)', () => {
    // d(x0 x1 x2 x3)/dx_i = product of the others; the zero's own gradient is the product of the rest.
    expectClose(
      gradient((x) => prod(x), f64([2, 0, 3, 4])),
      [0, 24, 0, 0],
    );
    expectClose(
      gradient((x) => prod(x), f64([2, 0, 3, 0])),
      [0, 0, 0, 0],
    );
    expectClose(
      gradient(
        (x) => prod(x, 1),
        f64([
          [2, 0, 3],
          [1, 2, 3],
        ]),
      ),
      [0, 6, 0, 6, 3, 2],
    );
    expectClose(
      gradient(
        (x) => prod(x, 0, true),
        f64([
          [0, 5],
          [7, 0],
        ]),
      ),
      [7, 0, 0, 5],
    );
  });

  test('second derivatives are right with zeros: d2(x0 x1 x2)/dx0 dx1 = x2', () => {
    // The gradient of sum(grad prod) = sum_i prod_{j != i} x_j; its derivative in x_k is
    // sum_{i != k} prod_{j != i, k} x_j. At [0, 0, 5]: [0 + 5, 0 + 5, 0] = [5, 5, 0].
    const x = f64([0, 0, 5]);
    const outer = new GradientTape();
    outer.watch(x);
    const inner = new GradientTape();
    inner.watch(x);
    const [g] = inner.gradient(prod(x), [x]);
    const [h] = outer.gradient(sum(g!), [x]);
    expectClose(h!, [5, 5, 0]);
    const result = checkGradients(
      (t) => prod(t, 1),
      [
        f64([
          [0, 2, 3],
          [0, 0, 1.5],
        ]),
      ],
      { order: 2 },
    );
    expect(result.worstRatio).toBeLessThan(1);
  });
});

describe('max and min', () => {
  test('split the gradient evenly among tied elements (TensorFlow reduce_max)', () => {
    expectClose(
      gradient((x) => max(x), f64([1, 3, 2, 3])),
      [0, 0.5, 0, 0.5],
    );
    expectClose(
      gradient((x) => min(x), f64([1, 1, 1])),
      [1 / 3, 1 / 3, 1 / 3],
    );
    expectClose(
      gradient(
        (x) => max(x, 1),
        f64([
          [4, 4, 1],
          [0, 2, 1],
        ]),
      ),
      [0.5, 0.5, 0, 0, 1, 0],
    );
    expectClose(
      gradient(
        (x) => min(x, 0),
        f64([
          [4, 1],
          [4, 2],
        ]),
      ),
      [0.5, 1, 0.5, 0],
    );
  });

  test('propagate NaN, keep int32, and give -Infinity / Infinity over an empty set', () => {
    expectClose(max(f64([1, NaN, 3])), [NaN]);
    expectClose(min(f64([1, NaN, 3])), [NaN]);
    expect(max(tensor([1, 7, 3], undefined, 'int32')).dtype).toBe('int32');
    expectClose(max(tensor([], [2, 0]), 1), [-Infinity, -Infinity]);
    expectClose(min(tensor([], [2, 0]), 1), [Infinity, Infinity]);
  });
});

describe('logSumExp', () => {
  test('is stable for large and very negative inputs, in float32 and float64', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      expectClose(logSumExp(tensor([1000, 1000], undefined, dtype)), [1000 + Math.LN2], 1e-7);
      expectClose(logSumExp(tensor([-1000, -1000], undefined, dtype)), [-1000 + Math.LN2], 1e-7);
      expect(logSumExp(tensor([1000, 1000], undefined, dtype)).dtype).toBe(dtype);
    }
  });

  test('gives Infinity with an Infinity, -Infinity over an empty set, and float32 for int32', () => {
    expectClose(logSumExp(f64([1, Infinity])), [Infinity]);
    expectClose(logSumExp(f64([-Infinity, -Infinity])), [-Infinity]);
    expectClose(logSumExp(tensor([], [0])), [-Infinity]);
    expect(logSumExp(tensor([1, 2], undefined, 'int32')).dtype).toBe('float32');
  });

  test('its gradient is the softmax, also for large inputs', () => {
    expectClose(
      gradient((x) => logSumExp(x), f64([1000, 1000 + Math.log(3)])),
      [0.25, 0.75],
      1e-12,
    );
  });
});

describe('argMax and argMin', () => {
  test('index the first extreme along an axis (default 0), as int32', () => {
    const x = tensor([
      [3, 1, 3],
      [3, 5, 0],
    ]);
    expect(argMax(x).arraySync()).toEqual([0, 1, 0]);
    expect(argMax(x, 1).arraySync()).toEqual([0, 1]);
    expect(argMin(x, -1).arraySync()).toEqual([1, 2]);
    expect(argMin(x, 0).arraySync()).toEqual([0, 0, 1]);
    expect(argMax(x).dtype).toBe('int32');
    expect(argMax(tensor([[[1, 2]], [[3, 0]]]), 2).arraySync()).toEqual([[1], [0]]);
  });

  test('record nothing on a tape (no gradient)', () => {
    const x = f64([1, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    expect(
      tape.gradient(argMax(x).cast('float64'), [x], null, { unconnectedGradients: 'zero' })[0]!.arraySync(),
    ).toEqual([0, 0]);
  });
});

describe('all and any', () => {
  test('reduce bool tensors (numbers count as nonzero), true/false over an empty set', () => {
    expect(
      all(
        tensor([
          [true, false],
          [true, true],
        ]),
        1,
      ).arraySync(),
    ).toEqual([0, 1]);
    expect(
      any(
        tensor([
          [true, false],
          [false, false],
        ]),
        0,
        true,
      ).arraySync(),
    ).toEqual([[1, 0]]);
    expect(all(tensor([2, 0.5])).dtype).toBe('bool');
    expect(all(tensor([2, 0])).arraySync()).toEqual(0);
    expect(all(tensor([], [0], 'bool')).arraySync()).toEqual(1);
    expect(any(tensor([], [0], 'bool')).arraySync()).toEqual(0);
  });
});

describe('moments', () => {
  test('gives the mean and the population variance, with keepDims', () => {
    const x = f64([
      [1, 2, 3],
      [2, 4, 9],
    ]);
    const { mean, variance } = moments(x, 1);
    expectClose(mean, [2, 5]);
    expectClose(variance, [2 / 3, 26 / 3]);
    const kept = moments(x, [0, 1], true);
    expect([kept.mean.shape, kept.variance.shape]).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expectClose(kept.variance, [(1 + 4 + 9 + 4 + 16 + 81) / 6 - (21 / 6) ** 2]);
    expect(moments(tensor([1, 2], undefined, 'int32')).variance.dtype).toBe('float32');
  });

  test('the variance is differentiable: d var / dx = 2 (x - mean) / n', () => {
    expectClose(
      gradient((x) => moments(x).variance, f64([1, 2, 6])),
      [(2 * (1 - 3)) / 3, (2 * (2 - 3)) / 3, (2 * (6 - 3)) / 3],
    );
  });
});

describe('norm', () => {
  const m = f64([
    [1, -2],
    [-3, 4],
  ]);
  test.each([
    ['euclidean', undefined, Math.sqrt(30)],
    [2, undefined, Math.sqrt(30)],
    [1, undefined, 10],
    [Infinity, undefined, 4],
    [-Infinity, undefined, 1],
    ['fro', [0, 1], Math.sqrt(30)],
    [1, [0, 1], 6], // column sums of |m|: 4, 6
    [Infinity, [0, 1], 7], // row sums: 3, 7
    [-Infinity, [0, 1], 3],
    [1, [1, 0], 7], // rows and columns swapped: the largest row sum
  ] as [number | 'euclidean' | 'fro', number[] | undefined, number][])('ord %s over axes %j', (ord, axis, expected) => {
    expectClose(norm(m, ord, axis), [expected]);
  });

  test('vector norms along one axis, with keepDims', () => {
    expectClose(norm(m, 'euclidean', 1), [Math.sqrt(5), 5]);
    expect(norm(m, 1, -1, true).arraySync()).toEqual([[3], [7]]);
    expect(norm(m, 'fro', [0, 1], true).shape).toEqual([1, 1]);
  });

  test('the euclidean gradient is x / norm, and NaN at 0 as in TensorFlow', () => {
    expectClose(
      gradient((x) => norm(x), f64([3, -4])),
      [0.6, -0.8],
    );
    expectClose(
      gradient((x) => norm(x), f64([0, 0])),
      [NaN, NaN],
    );
    // ord 1: sign(x), with 0 at 0 (abs'(0) = 0 as TensorFlow).
    expectClose(
      gradient((x) => norm(x, 1), f64([3, -4, 0])),
      [1, -1, 0],
    );
  });

  test('refuses orders it does not support, naming the supported ones', () => {
    expect(() => norm(m, 3)).toThrow(
      new RangeError(
        "tapegrad.norm: ord 3 is not supported for vector norms; use 'euclidean', 1, 2, Infinity or -Infinity",
      ),
    );
    expect(() => norm(m, 'fro', 0)).toThrow(
      new RangeError(
        "tapegrad.norm: ord 'fro' is not supported for vector norms; use 'euclidean', 1, 2, Infinity or -Infinity",
      ),
    );
    expect(() => norm(m, 2, [0, 1])).toThrow(
      new RangeError(
        "tapegrad.norm: ord 2 is not supported for matrix norms; use 'euclidean', 'fro', 1, Infinity or -Infinity",
      ),
    );
    expect(() => norm(tensor([[[1]]]), 'euclidean', [0, 1, 2])).toThrow(
      new RangeError(
        'tapegrad.norm: axis [0,1,2] names 3 axes; give one axis for vector norms, two for matrix norms, ' +
          'or none for the norm of the flattened tensor',
      ),
    );
  });
});

describe('cumsum', () => {
  test('sums along an axis, exclusive and reversed', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(cumsum(x).arraySync()).toEqual([
      [1, 2, 3],
      [5, 7, 9],
    ]);
    expect(cumsum(x, 1).arraySync()).toEqual([
      [1, 3, 6],
      [4, 9, 15],
    ]);
    expect(cumsum(x, -1, true).arraySync()).toEqual([
      [0, 1, 3],
      [0, 4, 9],
    ]);
    expect(cumsum(x, 1, false, true).arraySync()).toEqual([
      [6, 5, 3],
      [15, 11, 6],
    ]);
    expect(cumsum(x, 1, true, true).arraySync()).toEqual([
      [5, 3, 0],
      [11, 6, 0],
    ]);
    expect(cumsum(tensor([true, true, false])).arraySync()).toEqual([1, 2, 2]);
    expect(cumsum(tensor([1, 2], undefined, 'int32')).dtype).toBe('int32');
  });

  test('its gradient is the cumulative sum in the other direction', () => {
    // d/dx_j sum_i w_i cumsum(x)_i = sum_{i >= j} w_i
    expectClose(
      gradient((x) => cumsum(x).mul([1, 10, 100]).sum(), f64([5, 6, 7])),
      [111, 110, 100],
    );
    expectClose(
      gradient((x) => cumsum(x, 0, true).mul([1, 10, 100]).sum(), f64([5, 6, 7])),
      [110, 100, 0],
    );
    expectClose(
      gradient((x) => cumsum(x, 0, false, true).mul([1, 10, 100]).sum(), f64([5, 6, 7])),
      [1, 11, 111],
    );
  });
});

describe('softmax and logSoftmax', () => {
  test('are stable for large logits, in float32 and float64', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tensor([1000, 1000 + Math.log(3), -1000], undefined, dtype);
      // float32 rounds 1000 + log 3 to within 3e-5, which moves the probabilities by about that much.
      const tol = dtype === 'float32' ? 1e-4 : 1e-12;
      expectClose(softmax(x), [0.25, 0.75, 0], tol);
      expectClose(logSoftmax(x), [Math.log(0.25), Math.log(0.75), -2000 - Math.log(4)], tol);
      expect(softmax(x).dtype).toBe(dtype);
    }
  });

  test('gradient: softmax Jacobian diag(y) - y y^T, logSoftmax I - softmax', () => {
    const x = f64([0, Math.log(3)]); // softmax [0.25, 0.75]
    // d/dx sum(w * softmax(x)) with w = [1, 0]: y0 (w - y.w) = [0.25 * 0.75, -0.75 * 0.25]
    expectClose(
      gradient((t) => softmax(t).mul([1, 0]).sum(), x),
      [0.1875, -0.1875],
    );
    expectClose(
      gradient((t) => logSoftmax(t).mul([1, 0]).sum(), x),
      [0.75, -0.75],
    );
  });
});

describe('errors', () => {
  test('a bool tensor for a numeric reduction, an axis out of range, an empty argMax axis', () => {
    expect(() => max(tensor([true]))).toThrow(
      new TypeError("tapegrad.max: expects a numeric tensor, got bool; cast it first, e.g. cast(x, 'int32')"),
    );
    expect(() => prod(tensor([1, 2]), 1)).toThrow(
      new RangeError('tapegrad.prod: axis 1 is out of range for a tensor of rank 1; use an integer in [-1, 0]'),
    );
    expect(() => logSumExp(tensor([1, 2]), [0, -1])).toThrow(
      new RangeError('tapegrad.logSumExp: axis 0 is given twice in [0,-1]'),
    );
    expect(() => argMax(tensor([], [2, 0]), 1)).toThrow(
      new RangeError('tapegrad.argMax: axis 1 of a tensor shaped [2,0] is empty, so it has no largest element'),
    );
    expect(() => argMin(tensor([1]), loose([0]))).toThrow(
      new TypeError('tapegrad.argMin: axis must be a single number, got [0]'),
    );
    expect(() => argMax(tensor([true]))).toThrow(
      new TypeError("tapegrad.argMax: expects a numeric tensor, got bool; cast it first, e.g. cast(x, 'int32')"),
    );
  });

  test('cumsum and softmax: scalars, non-number axes, integer logits', () => {
    expect(() => cumsum(tensor(1))).toThrow(
      new RangeError('tapegrad.cumsum: x is a scalar, which has no axis to sum along; reshape it to [1] first'),
    );
    expect(() => cumsum(tensor([1]), loose([0]))).toThrow(
      new TypeError('tapegrad.cumsum: axis must be a single number, got [0]'),
    );
    expect(() => cumsum(tensor([1]), 2)).toThrow(
      new RangeError('tapegrad.cumsum: axis 2 is out of range for a tensor of rank 1; use an integer in [-1, 0]'),
    );
    expect(() => softmax(tensor(1))).toThrow(
      new RangeError('tapegrad.softmax: logits is a scalar, which has no axis to normalise over; give it rank >= 1'),
    );
    expect(() => logSoftmax(tensor([1]), loose('0'))).toThrow(
      new TypeError('tapegrad.logSoftmax: the axis must be a single number, got "0"'),
    );
    expect(() => softmax(tensor([1], undefined, 'int32'))).toThrow(
      new TypeError(
        "tapegrad.softmax: expects a float32 or float64 tensor, got int32; cast it first, e.g. cast(x, 'float32')",
      ),
    );
  });
});
