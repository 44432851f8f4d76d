/**
 * losses: forward values against hand-worked numbers for every loss and
 * reduction, weights that broadcast, label smoothing, stability for large
 * logits, float32/float64, gradient checks (the losses are composed of ops,
 * so they have no rows in the op table), and the errors.
 */
import { GradientTape, checkGradients, losses, randomUniform, tensor, type Tensor } from '../../lib/index.js';
import { sampleInput } from '../support/inputs.js';
import { loose } from '../support/errors.js';

const { Reduction } = losses;

const f64 = (values: number[] | number[][]) => tensor(values as number[], undefined, 'float64');

function expectClose(actual: Tensor, expected: number[], tol = 1e-12): void {
  const a = Array.from(actual.dataSync());
  expect(a.length).toBe(expected.length);
  a.forEach((v, i) =>
    expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i]!))),
  );
}

const sigma = (x: number) => 1 / (1 + Math.exp(-x));

describe('weights and reductions (TensorFlow.js computeWeightedLoss)', () => {
  // Squared errors [[0, 1], [4, 0]]; absolute errors [[0, 1], [2, 0]].
  const labels = f64([
    [1, 2],
    [3, 4],
  ]);
  const predictions = f64([
    [1, 3],
    [5, 4],
  ]);

  test.each([
    ['no weights', undefined, [0, 1, 4, 0], 5, 5 / 4, 5 / 4],
    // weights [[1], [0]] broadcast to [[1, 1], [0, 0]]: MEAN divides by sum(w) = 1 and the broadcast factor 2
    ['weights [[1], [0]]', f64([[1], [0]]), [0, 1, 0, 0], 1, 1 / 1 / 2, 1 / 2],
    // a scalar weight 2: MEAN is 10 / 2 / 4; four nonzero weights after broadcasting
    ['a scalar weight 2', 2, [0, 2, 8, 0], 10, 10 / 2 / 4, 10 / 4],
    [
      'full weights',
      f64([
        [1, 0],
        [2, 0.5],
      ]),
      [0, 0, 8, 0],
      8,
      8 / 3.5,
      8 / 3,
    ],
  ] as const)('meanSquaredError with %s', (_name, weights, none, total, mean, byNonzero) => {
    const w = weights as Tensor | number | undefined;
    expectClose(losses.meanSquaredError(labels, predictions, w, Reduction.NONE), [...none]);
    expect(losses.meanSquaredError(labels, predictions, w, Reduction.NONE).shape).toEqual([2, 2]);
    expectClose(losses.meanSquaredError(labels, predictions, w, Reduction.SUM), [total]);
    expectClose(losses.meanSquaredError(labels, predictions, w, Reduction.MEAN), [mean]);
    expectClose(losses.meanSquaredError(labels, predictions, w, Reduction.SUM_BY_NONZERO_WEIGHTS), [byNonzero]);
    expectClose(losses.meanSquaredError(labels, predictions, w), [byNonzero]);
    expect(losses.meanSquaredError(labels, predictions, w).shape).toEqual([]);
  });

  test('absoluteDifference is |labels - predictions|', () => {
    expectClose(losses.absoluteDifference(labels, predictions, undefined, Reduction.NONE), [0, 1, 2, 0]);
    expectClose(losses.absoluteDifference(labels, predictions), [3 / 4]);
  });

  test('all weights zero give NaN under SUM_BY_NONZERO_WEIGHTS (0 / 0), as TensorFlow.js', () => {
    expect(losses.meanSquaredError(labels, predictions, 0).item()).toBeNaN();
  });
});

describe('losses: forward values', () => {
  test('huberLoss is quadratic up to delta and linear beyond', () => {
    const labels = f64([0, 0, 0, 1]);
    const predictions = f64([0.5, -1, 3, -2]);
    // errors 0.5, 1, 3, 3: 0.125, 0.5, 0.5 + 2, 0.5 + 2
    expectClose(losses.huberLoss(labels, predictions, undefined, 1, Reduction.NONE), [0.125, 0.5, 2.5, 2.5]);
    // delta 2: 0.125, 0.5, 2 + 2 * 1, 4
    expectClose(losses.huberLoss(labels, predictions, undefined, 2, Reduction.NONE), [0.125, 0.5, 4, 4]);
  });

  test('logLoss is the binary cross-entropy of probabilities, with epsilon inside the logs', () => {
    const labels = f64([1, 0, 1]);
    const predictions = f64([0.5, 0.25, 0.8]);
    expectClose(losses.logLoss(labels, predictions, undefined, 0, Reduction.NONE), [
      -Math.log(0.5),
      -Math.log(0.75),
      -Math.log(0.8),
    ]);
    expectClose(losses.logLoss(labels, predictions, undefined, 1e-7, Reduction.NONE), [
      -Math.log(0.5 + 1e-7),
      -Math.log(0.75 + 1e-7),
      -Math.log(0.8 + 1e-7),
    ]);
  });

  test('sigmoidCrossEntropy is -z log sigma(x) - (1 - z) log(1 - sigma(x)), stable for large logits', () => {
    const z = [1, 0, 0.5, 0.25];
    const x = [0, 2, -1, 3];
    const expected = x.map((v, i) => -z[i]! * Math.log(sigma(v)) - (1 - z[i]!) * Math.log(1 - sigma(v)));
    expectClose(losses.sigmoidCrossEntropy(f64(z), f64(x), undefined, 0, Reduction.NONE), expected);
    for (const dtype of ['float32', 'float64'] as const) {
      const big = losses.sigmoidCrossEntropy(
        tensor([1, 0, 1], undefined, dtype),
        tensor([-1000, 1000, 1000], undefined, dtype),
        undefined,
        0,
        Reduction.NONE,
      );
      expect(big.dtype).toBe(dtype);
      expectClose(big, [1000, 1000, 0]);
    }
  });

  test('sigmoidCrossEntropy label smoothing: z (1 - s) + s / 2', () => {
    const s = 0.2;
    // z = 1 -> 0.9, z = 0 -> 0.1
    const expected = [0, 2].map((v, i) => {
      const z = [0.9, 0.1][i]!;
      return -z * Math.log(sigma(v)) - (1 - z) * Math.log(1 - sigma(v));
    });
    expectClose(losses.sigmoidCrossEntropy(f64([1, 0]), f64([0, 2]), undefined, s, Reduction.NONE), expected);
  });

  test('softmaxCrossEntropy reduces over the last axis, then weights per example', () => {
    const labels = f64([
      [0, 1, 0],
      [1, 0, 0],
    ]);
    const logits = f64([
      [1, 2, 3],
      [0, 0, 0],
    ]);
    const lse = Math.log(Math.E + Math.E ** 2 + Math.E ** 3);
    const perExample = [lse - 2, Math.log(3)];
    expectClose(losses.softmaxCrossEntropy(labels, logits, undefined, 0, Reduction.NONE), perExample);
    expect(losses.softmaxCrossEntropy(labels, logits, undefined, 0, Reduction.NONE).shape).toEqual([2]);
    expectClose(losses.softmaxCrossEntropy(labels, logits), [(perExample[0]! + perExample[1]!) / 2]);
    expectClose(losses.softmaxCrossEntropy(labels, logits, f64([3, 0])), [3 * perExample[0]!]);
    // label smoothing 0.3 over 3 classes: [0, 1, 0] -> [0.1, 0.8, 0.1]
    const smoothed = [0.1, 0.8, 0.1].reduce((acc, l, k) => acc - l * (k + 1 - lse), 0);
    expectClose(losses.softmaxCrossEntropy(labels, logits, undefined, 0.3, Reduction.NONE), [smoothed, Math.log(3)]);
  });

  test('softmaxCrossEntropy is stable for large logits, in float32 and float64', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const loss = losses.softmaxCrossEntropy(
        tensor([[0, 1]], undefined, dtype),
        tensor([[1000, 0]], undefined, dtype),
        undefined,
        0,
        Reduction.SUM,
      );
      expect(loss.dtype).toBe(dtype);
      expectClose(loss, [1000]);
    }
  });

  test('integer labels meet float predictions in the predictions dtype; integer pairs in float32', () => {
    expect(losses.meanSquaredError(tensor([1, 2], undefined, 'int32'), f64([1, 3])).dtype).toBe('float64');
    expect(losses.meanSquaredError([1, 2], tensor([1, 3], undefined, 'int32')).dtype).toBe('float32');
  });
});

describe('losses: gradients match central differences in float64', () => {
  const probabilities = (shape: number[], seed: number) => randomUniform(shape, 0.1, 0.9, 'float64', seed);
  const cases: [string, (...xs: Tensor[]) => Tensor, Tensor[], 1 | 2][] = [
    [
      'meanSquaredError',
      (y, p) => losses.meanSquaredError(y!, p!),
      [sampleInput([2, 3], 'any', 0, 1), sampleInput([2, 3], 'any', 1, 1)],
      2,
    ],
    [
      'meanSquaredError, weights broadcast, MEAN',
      (y, p, w) => losses.meanSquaredError(y!, p!, w, Reduction.MEAN),
      [sampleInput([2, 3], 'any', 0, 2), sampleInput([2, 3], 'any', 1, 2), sampleInput([2, 1], 'positive', 2, 2)],
      2,
    ],
    [
      'absoluteDifference, weights, SUM',
      (y, p, w) => losses.absoluteDifference(y!, p!, w, Reduction.SUM),
      [sampleInput([3], 'separated', 0, 3), sampleInput([3], 'separated', 1, 3), sampleInput([3], 'any', 2, 3)],
      1,
    ],
    [
      'huberLoss, delta 0.7',
      (y, p) => losses.huberLoss(y!, p!, undefined, 0.7),
      [sampleInput([2, 3], 'any', 0, 4), sampleInput([2, 3], 'any', 1, 4)],
      2,
    ],
    [
      'logLoss, NONE',
      (y, p) => losses.logLoss(y!, p!, undefined, 1e-7, Reduction.NONE),
      [probabilities([2, 3], 5), probabilities([2, 3], 6)],
      2,
    ],
    [
      'sigmoidCrossEntropy, smoothing 0.1',
      (z, x) => losses.sigmoidCrossEntropy(z!, x!, undefined, 0.1),
      [probabilities([2, 3], 7), sampleInput([2, 3], 'any', 1, 7)],
      2,
    ],
    [
      'softmaxCrossEntropy, weights, SUM_BY_NONZERO_WEIGHTS',
      (l, x, w) => losses.softmaxCrossEntropy(l!, x!, w),
      [probabilities([2, 3], 8), sampleInput([2, 3], 'any', 1, 8), sampleInput([2], 'positive', 2, 8)],
      2,
    ],
    [
      'softmaxCrossEntropy, smoothing 0.2, rank 3',
      (l, x) => losses.softmaxCrossEntropy(l!, x!, undefined, 0.2, Reduction.SUM),
      [probabilities([2, 1, 4], 9), sampleInput([2, 1, 4], 'any', 1, 9)],
      2,
    ],
  ];
  test.each(cases)('%s', (name, f, inputs, order) => {
    const result = checkGradients(f, inputs, { order, name });
    expect(result.worstRatio).toBeLessThan(1);
  });

  test('softmaxCrossEntropy: d/dlogits = softmax(logits) - labels (per example, SUM)', () => {
    const logits = f64([[0, Math.log(3)]]); // softmax [0.25, 0.75]
    const tape = new GradientTape();
    tape.watch(logits);
    const [g] = tape.gradient(losses.softmaxCrossEntropy(f64([[1, 0]]), logits, undefined, 0, Reduction.SUM), [logits]);
    expectClose(g!, [-0.75, 0.75]);
  });
});

describe('losses: errors', () => {
  test('shapes that differ, weights that do not broadcast, an unknown reduction, scalar logits', () => {
    expect(() => losses.meanSquaredError(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(
      new Error(
        'tapegrad.losses.meanSquaredError: labels shaped [2] and predictions shaped [3] must have the same shape',
      ),
    );
    expect(() => losses.softmaxCrossEntropy(tensor([[1, 0]]), tensor([[1, 0, 0]]))).toThrow(
      new Error(
        'tapegrad.losses.softmaxCrossEntropy: onehotLabels shaped [1,2] and logits shaped [1,3] must have the same shape',
      ),
    );
    expect(() => losses.huberLoss(tensor([1, 2]), tensor([1, 2]), tensor([1, 2, 3]))).toThrow(
      new Error(
        'tapegrad.losses.huberLoss: weights shaped [3] do not broadcast to the losses, shaped [2]; ' +
          "give one weight, or a shape whose dimensions are 1 or the losses'",
      ),
    );
    expect(() => losses.logLoss(tensor([1]), tensor([0.5]), undefined, 1e-7, loose(7))).toThrow(
      new RangeError(
        'tapegrad.losses.logLoss: reduction 7 is not a Reduction; use losses.Reduction.NONE, MEAN, SUM or SUM_BY_NONZERO_WEIGHTS',
      ),
    );
    expect(() => losses.absoluteDifference(tensor([1]), tensor([0.5]), undefined, loose('NONE'))).toThrow(
      new RangeError(
        'tapegrad.losses.absoluteDifference: reduction NONE is not a Reduction; use losses.Reduction.NONE, MEAN, SUM or SUM_BY_NONZERO_WEIGHTS',
      ),
    );
    expect(() => losses.softmaxCrossEntropy(1, 2)).toThrow(
      new RangeError(
        'tapegrad.losses.softmaxCrossEntropy: logits is a scalar; give logits and labels a class axis (the last)',
      ),
    );
    expect(() => losses.sigmoidCrossEntropy(loose(undefined), tensor([1]))).toThrow(
      new TypeError(
        "tapegrad.losses.sigmoidCrossEntropy: argument 'multiClassLabels' is undefined; expected a tensor, a number or an array",
      ),
    );
  });
});
