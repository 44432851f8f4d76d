/**
 * The optimizers of `train` follow TensorFlow.js's update formulas: each is
 * checked over several steps of a nonlinear loss against a float64
 * trajectory computed here from the published formula with plain numbers
 * (float64 variables agree to rounding, float32 ones to float32 precision).
 * Then the Optimizer API: minimize, computeGradients, applyGradients (record
 * and list forms, unknown and ambiguous names), getWeights/setWeights,
 * iterations, learning-rate changes and schedules.
 */
import * as lib from '../../lib/index.js';
import { GradientTape, tensor, variable, type Tensor, type Variable } from '../../lib/index.js';
import * as train from '../../lib/train/index.js';
import { expectError, loose } from '../support/errors.js';

/** The loss f(w) = sum(sin(w) * w^2); its gradient, element-wise: cos(w) w^2 + 2 w sin(w). */
const loss = (w: Tensor) => w.sin().mul(w.square()).sum();
const gradOf = (w: number) => Math.cos(w) * w * w + 2 * w * Math.sin(w);
const W0 = [0.5, -1.2, 2.0, 0.1, -0.3];
const STEPS = 5;

/** A reference optimizer: one element's update from its gradient, its state and the step t (from 1). */
type Make = () => train.Optimizer;
type Reference = () => (w: number, g: number, t: number) => number;

const eps = 1e-7;
const references: { [name: string]: [() => train.Optimizer, Reference] } = {
  'sgd(0.1)': [() => train.sgd(0.1), () => (w, g) => w - 0.1 * g],
  'momentum(0.05, 0.9)': [
    () => train.momentum(0.05, 0.9),
    () => {
      let a = 0;
      return (w, g) => ((a = 0.9 * a + g), w - 0.05 * a);
    },
  ],
  'momentum(0.05, 0.7, nesterov)': [
    () => train.momentum(0.05, 0.7, true),
    () => {
      let a = 0;
      return (w, g) => ((a = 0.7 * a + g), w - 0.05 * (g + 0.7 * a));
    },
  ],
  'adagrad(0.1)': [
    () => train.adagrad(0.1),
    () => {
      let s = 0.1;
      return (w, g) => ((s += g * g), w - (0.1 * g) / Math.sqrt(s + eps));
    },
  ],
  'adagrad(0.2, 0.5)': [
    () => train.adagrad(0.2, 0.5),
    () => {
      let s = 0.5;
      return (w, g) => ((s += g * g), w - (0.2 * g) / Math.sqrt(s + eps));
    },
  ],
  ...Object.fromEntries(
    (
      [
        ['adadelta()', () => train.adadelta(), 0.001, 0.95, eps],
        ['adadelta(0.1, 0.8, 1e-3)', () => train.adadelta(0.1, 0.8, 1e-3), 0.1, 0.8, 1e-3],
      ] as [string, Make, number, number, number][]
    ).map(([name, make, lr, rho, e]) => [
      name,
      [
        make,
        () => {
          let eg2 = 0;
          let ed2 = 0;
          return (w: number, g: number) => {
            const d = (g * Math.sqrt(ed2 + e)) / Math.sqrt(eg2 + e); // TF.js: E[g^2] before this step
            eg2 = rho * eg2 + (1 - rho) * g * g;
            ed2 = rho * ed2 + (1 - rho) * d * d;
            return w - lr * d;
          };
        },
      ],
    ]),
  ),
  ...Object.fromEntries(
    (
      [
        ['adam()', () => train.adam(), 0.001, 0.9, 0.999, eps, 0],
        ['adam(0.05, 0.8, 0.99, 1e-3)', () => train.adam(0.05, 0.8, 0.99, 1e-3), 0.05, 0.8, 0.99, 1e-3, 0],
        ['adamw()', () => train.adamw(), 0.001, 0.9, 0.999, eps, 0.01],
        [
          'adamw(0.05, 0.8, 0.99, 1e-3, 0.3)',
          () => train.adamw(0.05, 0.8, 0.99, 1e-3, 0.3),
          0.05,
          0.8,
          0.99,
          1e-3,
          0.3,
        ],
      ] as [string, Make, number, number, number, number, number][]
    ).map(([name, make, lr, b1, b2, e, wd]) => [
      name,
      [
        make,
        () => {
          let m = 0;
          let v = 0;
          return (w: number, g: number, t: number) => {
            w = w - lr * wd * w; // decoupled decay first (PyTorch AdamW)
            m = b1 * m + (1 - b1) * g;
            v = b2 * v + (1 - b2) * g * g;
            return w - (lr * (m / (1 - b1 ** t))) / (Math.sqrt(v / (1 - b2 ** t)) + e);
          };
        },
      ],
    ]),
  ),
  ...Object.fromEntries(
    (
      [
        ['adamax()', () => train.adamax(), 0.002, 0.9, 0.999, eps, 0],
        ['adamax(0.1, 0.8, 0.9, 1e-3, 0.5)', () => train.adamax(0.1, 0.8, 0.9, 1e-3, 0.5), 0.1, 0.8, 0.9, 1e-3, 0.5],
      ] as [string, Make, number, number, number, number, number][]
    ).map(([name, make, lr, b1, b2, e, decay]) => [
      name,
      [
        make,
        () => {
          let m = 0;
          let u = 0;
          return (w: number, g: number, t: number) => {
            m = b1 * m + (1 - b1) * g;
            u = Math.max(b2 * u, Math.abs(g));
            return w - (lr / (1 + decay * (t - 1)) / (1 - b1 ** t)) * (m / (u + e));
          };
        },
      ],
    ]),
  ),
  ...Object.fromEntries(
    (
      [
        ['rmsprop(0.01)', () => train.rmsprop(0.01), 0.01, 0.9, 0, eps, false],
        ['rmsprop(0.02, 0.8, 0.5, 1e-4)', () => train.rmsprop(0.02, 0.8, 0.5, 1e-4), 0.02, 0.8, 0.5, 1e-4, false],
        [
          'rmsprop(0.02, 0.8, 0.5, 1e-7, centered)',
          () => train.rmsprop(0.02, 0.8, 0.5, 1e-7, true),
          0.02,
          0.8,
          0.5,
          1e-7,
          true,
        ],
      ] as [string, Make, number, number, number, number, boolean][]
    ).map(([name, make, lr, decay, mom, e, centered]) => [
      name,
      [
        make,
        () => {
          let s = 0;
          let a = 0;
          let mg = 0;
          return (w: number, g: number) => {
            s = decay * s + (1 - decay) * g * g;
            if (centered) mg = decay * mg + (1 - decay) * g;
            const denominator = centered ? Math.sqrt(s - (mg * mg + e)) : Math.sqrt(s + e);
            a = mom * a + (lr * g) / denominator;
            return w - a;
          };
        },
      ],
    ]),
  ),
};

/** The float64 reference trajectory: each step's w, element by element. */
function referenceTrajectory(reference: Reference): number[][] {
  const rules = W0.map(() => reference());
  const out: number[][] = [];
  let w = W0.slice();
  for (let t = 1; t <= STEPS; t++) {
    w = w.map((x, i) => rules[i]!(x, gradOf(x), t));
    out.push(w);
  }
  return out;
}

function trajectory(make: () => train.Optimizer, dtype: 'float32' | 'float64'): number[][] {
  const w = variable(tensor(W0, undefined, dtype), { name: `w_${dtype}` });
  const optimizer = make();
  const out: number[][] = [];
  for (let t = 0; t < STEPS; t++) {
    optimizer.minimize(() => loss(w));
    out.push(w.arraySync() as number[]);
  }
  return out;
}

/** The largest relative difference, |a - b| / max(1, |b|). */
function maxDifference(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((row, i) =>
    row.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - b[i]![j]!) / Math.max(1, Math.abs(b[i]![j]!))))),
  );
  return worst;
}

describe('each optimizer follows its published formula over several steps', () => {
  const report: string[] = [];
  afterAll(() => console.log(`largest float32 difference from the float64 reference:\n${report.join('\n')}`));

  it.each(Object.keys(references))('%s', (name) => {
    const [make, reference] = references[name]!;
    const expected = referenceTrajectory(reference);
    const moved = maxDifference([W0], [expected[STEPS - 1]!]);
    expect(moved).toBeGreaterThan(1e-4); // the trajectory does move
    expect(maxDifference(trajectory(make, 'float64'), expected)).toBeLessThan(1e-12);
    const float32 = maxDifference(trajectory(make, 'float32'), expected);
    report.push(`  ${name}: ${float32.toExponential(2)}`);
    expect(float32).toBeLessThan(1e-5);
  });
});

describe('Optimizer', () => {
  it('minimize updates the trainable variables f reads, or varList, and returns the cost on request', () => {
    const a = variable([1], { name: 'mA' });
    const b = variable([2], { name: 'mB' });
    const frozen = variable([3], { name: 'mFrozen', trainable: false });
    const f = () => a.mul(b).add(frozen).sum();
    const optimizer = train.sgd(0.5);
    expect(optimizer.minimize(f)).toBeNull();
    expect(a.arraySync()).toEqual([0]); // 1 - 0.5 * 2
    expect(b.arraySync()).toEqual([1.5]); // 2 - 0.5 * 1
    expect(frozen.arraySync()).toEqual([3]);
    const cost = optimizer.minimize(f, true, [b]);
    expect(cost.arraySync()).toEqual(3); // 0 * 1.5 + 3
    expect(a.arraySync()).toEqual([0]);
    expect(b.arraySync()).toEqual([1.5]); // its gradient a = 0
  });

  it('updates are not recorded by a live tape', () => {
    const w = variable([1, 2], { name: 'recorded' });
    const tape = new GradientTape({ persistent: true });
    train.adam(0.1).minimize(() => w.square().sum());
    const y = w.sum();
    expect(tape.gradient(y, w)?.arraySync()).toEqual([1, 1]);
    tape.stop();
  });

  it('computeGradients gives value and grads by name; applyGradients takes a record or a list', () => {
    const w = variable([3, 4], { name: 'cgW' });
    const optimizer = train.sgd(0.1);
    const { value, grads } = optimizer.computeGradients(() => w.square().sum());
    expect(value.arraySync()).toEqual(25);
    expect(grads.cgW!.arraySync()).toEqual([6, 8]);
    optimizer.applyGradients(grads);
    expect(w.arraySync()).toEqual([2.4000000953674316, 3.200000047683716]);
    optimizer.applyGradients([{ name: 'cgW', tensor: tensor([4, 2]) }]);
    expect(w.arraySync()).toEqual([
      Math.fround(Math.fround(2.4) - Math.fround(0.4)),
      Math.fround(Math.fround(3.2) - Math.fround(0.2)),
    ]);
    optimizer.applyGradients({ cgW: null });
    expect(optimizer.iterations).toBe(3);
    // Another optimizer resolves the name too: the registry is shared.
    train.sgd(1).applyGradients({ cgW: tensor([1, 1]) });
    expect(w.arraySync()).toEqual([1, 2]);
  });

  it('a name no live variable has, or two share, is an error, and nothing is updated', () => {
    const F = 'tapegrad.train.sgd.applyGradients';
    const w = variable([1], { name: 'twin' });
    const optimizer = train.sgd(1);
    expectError(
      () => optimizer.applyGradients({ nobodyHasThisName: tensor([1]) }),
      Error,
      `${F}: no variable named 'nobodyHasThisName' is known; compute the gradients with this optimizer's ` +
        'computeGradients (or minimize), which remembers the variables, or check the name',
    );
    optimizer.computeGradients(() => w.sum());
    const twin = variable([5], { name: 'twin' });
    optimizer.minimize(() => twin.sum()); // minimize knows which 'twin' it differentiated
    expect(twin.arraySync()).toEqual([4]);
    expectError(
      () => optimizer.applyGradients([{ name: 'twin', tensor: tensor([1]) }]),
      Error,
      `${F}: 2 live variables are named 'twin'; give each variable a unique name`,
    );
    expect(w.arraySync()).toEqual([1]);
    expect(optimizer.iterations).toBe(1); // minimize's step; the failed calls took none
  });

  it('a gradient of the wrong shape or a malformed argument is an error', () => {
    const F = 'tapegrad.train.sgd.applyGradients';
    const w = variable([1, 2], { name: 'shaped' });
    const optimizer = train.sgd(1);
    train.rememberVariable(w);
    expectError(
      () => optimizer.applyGradients({ shaped: tensor([1]) }),
      Error,
      `${F}: the gradient of 'shaped' is float32 [1] but the variable is float32 [2]; give a gradient of the variable's shape and dtype`,
    );
    expectError(
      () => optimizer.applyGradients(loose(tensor([1]))),
      TypeError,
      `${F}: grads must be a record { [name]: gradient } or an array of { name, tensor }, got Tensor`,
    );
    expect(optimizer.iterations).toBe(0);
    expect(w.arraySync()).toEqual([1, 2]);
  });

  it('getWeights names iter and the slots as TensorFlow.js does; setWeights restores the trajectory', async () => {
    const w = variable([0.5, -1.2], { name: 'saved' });
    const b = variable([2], { name: 'savedB' });
    const f = () => loss(w).add(loss(b));
    const first = train.rmsprop(0.01, 0.9, 0.5, 1e-7, true);
    first.minimize(f);
    first.minimize(f);
    const weights = await first.getWeights();
    expect(weights.map((x) => x.name)).toEqual([
      'iter',
      'saved/rms',
      'savedB/rms',
      'saved/momentum',
      'savedB/momentum',
      'saved/mg',
      'savedB/mg',
    ]);
    expect(weights[0]!.tensor.dtype).toBe('int32');
    expect(weights[0]!.tensor.arraySync()).toBe(2);
    const at = [w.arraySync(), b.arraySync()];
    first.minimize(f);
    first.minimize(f);
    const continued = [w.arraySync(), b.arraySync()];

    w.assign(tensor(at[0] as number[]));
    b.assign(tensor(at[1] as number[]));
    const second = train.rmsprop(0.01, 0.9, 0.5, 1e-7, true);
    await second.setWeights(weights);
    expect(second.iterations).toBe(2);
    second.minimize(f);
    second.minimize(f);
    expect([w.arraySync(), b.arraySync()]).toEqual(continued);
  });

  it('Adam restored from its weights continues with the right bias correction', async () => {
    const w = variable([0.5, -1.2], { name: 'adamSaved' });
    const a = train.adam(0.1);
    a.minimize(() => loss(w));
    const weights = await a.getWeights();
    expect(weights.map((x) => x.name)).toEqual(['iter', 'adamSaved/m', 'adamSaved/v']);
    const at = w.arraySync() as number[];
    a.minimize(() => loss(w));
    const continued = w.arraySync();
    w.assign(tensor(at));
    const b = train.adam(0.1);
    await b.setWeights(weights);
    b.minimize(() => loss(w));
    expect(w.arraySync()).toEqual(continued);
  });

  it('setWeights rejects weights that are not this optimizer’s', async () => {
    const F = 'tapegrad.train.sgd.setWeights';
    await expect(
      train.sgd(1).setWeights([
        { name: 'iter', tensor: tensor(1) },
        { name: 'w/m', tensor: tensor([1]) },
      ]),
    ).rejects.toThrow(
      `${F}: weight 'w/m' is not one of this optimizer's (it has no weights but iter); pass weights named '<variable>/<slot>'`,
    );
    await expect(
      train.adam().setWeights([
        { name: 'iter', tensor: tensor(1) },
        { name: 'w/m', tensor: tensor([1]) },
      ]),
    ).rejects.toThrow(
      "tapegrad.train.adam.setWeights: variable 'w' has no weight 'w/v'; give every slot of each variable",
    );
  });

  it('counts iterations and takes learning-rate changes between steps', () => {
    const w = variable([1], { name: 'lrW' });
    const optimizer = train.sgd(0.5);
    expect(optimizer.learningRate).toBe(0.5);
    optimizer.minimize(() => w.sum()); // 1 - 0.5
    optimizer.learningRate = 0.25;
    optimizer.minimize(() => w.sum()); // 0.5 - 0.25
    expect(w.arraySync()).toEqual([0.25]);
    expect(optimizer.iterations).toBe(2);
    expectError(
      () => (optimizer.learningRate = -1),
      TypeError,
      'tapegrad.train.sgd: learningRate must be a finite number >= 0 or a function of the step, got -1',
    );
  });

  it('a schedule is called with the step count before each update', () => {
    const w = variable([0], { name: 'scheduled' });
    const steps: number[] = [];
    const optimizer = train.sgd((step) => (steps.push(step), 2 ** step));
    for (let i = 0; i < 4; i++) optimizer.minimize(() => w.sum());
    expect(steps).toEqual([0, 1, 2, 3]);
    expect(w.arraySync()).toEqual([-15]); // -(1 + 2 + 4 + 8)
    optimizer.learningRate = () => NaN;
    expectError(
      () => optimizer.minimize(() => w.sum()),
      Error,
      'tapegrad.train.sgd: the learning-rate schedule gave NaN at step 4; make it return a finite number',
    );
  });

  it('the factories have TensorFlow.js defaults and check their hyper-parameters', () => {
    const adam = train.adam();
    expect([adam.learningRate, adam.beta1, adam.beta2, adam.epsilon]).toEqual([0.001, 0.9, 0.999, 1e-7]);
    const adamax = train.adamax();
    expect([adamax.learningRate, adamax.beta1, adamax.beta2, adamax.epsilon, adamax.decay]).toEqual([
      0.002, 0.9, 0.999, 1e-7, 0,
    ]);
    const adadelta = train.adadelta();
    expect([adadelta.learningRate, adadelta.rho, adadelta.epsilon]).toEqual([0.001, 0.95, 1e-7]);
    const rms = train.rmsprop(0.1);
    expect([rms.decay, rms.momentum, rms.epsilon, rms.centered]).toEqual([0.9, 0, 1e-7, false]);
    expect(train.adagrad(0.1).initialAccumulatorValue).toBe(0.1);
    expect(train.adamw().weightDecay).toBe(0.01);
    expect(train.momentum(0.1, 0.9).useNesterov).toBe(false);
    expectError(() => train.adam(0.001, 1), RangeError, 'tapegrad.train.adam: beta1 must be in [0, 1), got 1');
    expectError(
      () => loose(train.momentum)(0.1),
      RangeError,
      'tapegrad.train.momentum: momentum must be a number >= 0, got undefined',
    );
  });
});

// Keeps a Variable type import used in every configuration.
export type { Variable };

describe('fused updates', () => {
  const { enableCheckNumerics, disableCheckNumerics, referenceKernels, setKernels } = lib;
  const trajectory = (make: () => train.Optimizer, dtype: 'float32' | 'float64'): number[] => {
    const w = variable(
      tensor(
        [
          [0.5, -1.25, 2],
          [3, -0.75, 0.1],
        ],
        undefined,
        dtype,
      ),
    );
    const optimizer = make();
    for (let i = 0; i < 5; i++) optimizer.minimize(() => w.mul(w).mul(w).sum());
    return Array.from(w.dataSync());
  };
  test.each([
    ['sgd', () => train.sgd(0.05)],
    ['adam', () => train.adam(0.1)],
    ['adamw', () => train.adamw(0.1, 0.8, 0.99, 1e-3, 0.3)],
  ] as const)('%s fused agrees with the same formula as ops (numeric checks on run the ops)', (_name, make) => {
    for (const dtype of ['float32', 'float64'] as const) {
      const fused = trajectory(make, dtype);
      enableCheckNumerics();
      let ops: number[];
      try {
        ops = trajectory(make, dtype);
      } finally {
        disableCheckNumerics();
      }
      const tolerance = dtype === 'float32' ? 2e-6 : 1e-14;
      fused.forEach((v, i) => expect(Math.abs(v - ops[i]!)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(v))));
    }
  });
  test('getWeights gives copies, which later (in-place) updates of the slots leave as they were', async () => {
    const w = variable(tensor([1, -2, 3]));
    const optimizer = train.adam(0.1);
    optimizer.minimize(() => w.square().sum());
    const before = await optimizer.getWeights();
    const values = before.map((x) => Array.from(x.tensor.dataSync()));
    optimizer.minimize(() => w.square().sum());
    expect(before.map((x) => Array.from(x.tensor.dataSync()))).toEqual(values);
    const after = await optimizer.getWeights();
    expect(after.map((x) => Array.from(x.tensor.dataSync()))).not.toEqual(values);
  });
  test("a fused update becomes the variable's value without a copy; values read before it keep theirs", () => {
    const w = variable(tensor([1, -2, 3]));
    const before = lib.identity(w); // shares the array the variable held
    let written: unknown;
    const previous = setKernels({
      adamUpdate: (...args) => {
        written = args[5];
        referenceKernels.adamUpdate(...args);
      },
    });
    try {
      train.adam(0.1).minimize(() => w.square().sum());
    } finally {
      setKernels(previous);
    }
    expect((w as unknown as { values: unknown }).values).toBe(written);
    expect(Array.from(before.dataSync())).toEqual([1, -2, 3]);
    expect(Array.from(w.dataSync()).map((x) => Math.round(x * 10) / 10)).toEqual([0.9, -1.9, 2.9]);
  });
  test('adam and sgd run their fused kernels on float32 and float64 variables', () => {
    const calls: string[] = [];
    const previous = setKernels({
      adamUpdate: (...args) => {
        calls.push(`adam ${args[0].constructor.name}`);
        referenceKernels.adamUpdate(...args);
      },
      sgdUpdate: (...args) => {
        calls.push(`sgd ${args[0].constructor.name}`);
        referenceKernels.sgdUpdate(...args);
      },
    });
    try {
      trajectory(() => train.adam(0.1), 'float32');
      trajectory(() => train.sgd(0.1), 'float64');
    } finally {
      setKernels(previous);
    }
    expect(calls).toEqual([...Array(5).fill('adam Float32Array'), ...Array(5).fill('sgd Float64Array')]);
  });
});
