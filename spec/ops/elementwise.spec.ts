/**
 * The element-wise family: forward values against hand-worked numbers or
 * naive references written here, the numerically delicate ranges (log1p and
 * expm1 near 0, softplus and logSigmoid in both tails, erf to double
 * precision), the gradients at kinks and ties, the ops without gradients,
 * errors, the `where` NaN-gradient pitfall and its remedy, and property tests
 * over random broadcast shapes.
 */
import fc from 'fast-check';
import {
  GradientTape,
  abs,
  acos,
  add,
  acosh,
  addN,
  asin,
  asinh,
  atan,
  atan2,
  atanh,
  cast,
  ceil,
  checkGradients,
  clipByValue,
  cos,
  cosh,
  elu,
  erf,
  expm1,
  floor,
  floorDiv,
  greater,
  isFinite,
  isInf,
  isNaN,
  leakyRelu,
  log1p,
  logSigmoid,
  logicalAnd,
  logicalNot,
  logicalOr,
  mod,
  mul,
  reciprocal,
  relu6,
  round,
  rsqrt,
  selu,
  sign,
  sin,
  sinh,
  softplus,
  sqrt,
  squaredDifference,
  tan,
  tensor,
  where,
  type Tensor,
  type TensorLike,
} from '../../lib/index.js';
import { sampleInput } from '../support/inputs.js';
import { expectError, loose } from '../support/errors.js';

const f64 = (values: number[]): Tensor => tensor(values, undefined, 'float64');
const values = (t: Tensor): number[] => Array.from(t.dataSync());
/** -0 and 0 compare unequal under toEqual; the ops' contracts do not distinguish them. */
const unsigned = (t: Tensor): number[] => values(t).map((v) => v + 0);

/** Each element of `actual` within a relative `rtol` of `expected` (exact for 0 and infinities). */
function expectClose(actual: Tensor, expected: number[], rtol: number): void {
  const got = values(actual);
  expect(got.length).toBe(expected.length);
  got.forEach((v, i) => {
    const e = expected[i]!;
    if (!Number.isFinite(e) || e === 0) expect(v).toBe(e);
    else
      expect({ i, relativeError: Math.abs(v - e) / Math.abs(e) < rtol, v, e }).toEqual({
        i,
        relativeError: true,
        v,
        e,
      });
  });
}

/** The gradient of sum(f(x)) with respect to x, in x's dtype. */
function gradientOf(f: (x: Tensor) => Tensor, x: Tensor): Tensor | undefined {
  const tape = new GradientTape();
  tape.watch(x);
  const y = f(x);
  return tape.gradient(y, x);
}

// Points spread over each op's domain, away from its poles.
const GRID = [-1.9, -1, -0.37, -1e-3, 0, 2e-4, 0.25, 0.8, 1.3, 1.95];
const INNER = GRID.map((x) => x * 0.45); // inside (-1, 1)

/** Each unary op with its points and a reference written from the definition (not from the kernel table). */
const UNARY_REFERENCES: [string, (x: TensorLike) => Tensor, number[], (x: number) => number][] = [
  ['abs', abs, GRID, (x) => (x < 0 ? -x : x)],
  ['sign', sign, GRID, (x) => (x === 0 ? 0 : x / Math.abs(x))],
  ['reciprocal', reciprocal, GRID.filter((x) => x !== 0), (x) => 1 / x],
  ['rsqrt', rsqrt, GRID.filter((x) => x > 0), (x) => Math.sqrt(1 / x)],
  ['expm1', expm1, GRID, (x) => Math.exp(x) - 1],
  ['log1p', log1p, INNER, (x) => Math.log(1 + x)],
  ['softplus', softplus, GRID, (x) => Math.log(1 + Math.exp(x))],
  ['logSigmoid', logSigmoid, GRID, (x) => -Math.log(1 + Math.exp(-x))],
  ['relu6', relu6, GRID.map((x) => 4 * x), (x) => Math.min(Math.max(x, 0), 6)],
  ['leakyRelu', (x) => leakyRelu(x), GRID, (x) => (x > 0 ? x : 0.2 * x)],
  ['elu', elu, GRID, (x) => (x > 0 ? x : Math.exp(x) - 1)],
  ['selu', selu, GRID, (x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * (Math.exp(x) - 1))],
  ['sin', sin, GRID, (x) => Math.cos(x - Math.PI / 2)],
  ['cos', cos, GRID, (x) => Math.sin(x + Math.PI / 2)],
  ['tan', tan, INNER, (x) => Math.sin(x) / Math.cos(x)],
  ['asin', asin, INNER, (x) => Math.atan(x / Math.sqrt(1 - x * x))],
  ['acos', acos, INNER, (x) => Math.PI / 2 - Math.atan(x / Math.sqrt(1 - x * x))],
  ['atan', atan, GRID, (x) => Math.asin(x / Math.sqrt(1 + x * x))],
  ['sinh', sinh, GRID, (x) => (Math.exp(x) - Math.exp(-x)) / 2],
  ['cosh', cosh, GRID, (x) => (Math.exp(x) + Math.exp(-x)) / 2],
  ['asinh', asinh, GRID, (x) => Math.sign(x) * Math.log(Math.abs(x) + Math.sqrt(x * x + 1))],
  ['acosh', acosh, GRID.map((x) => 1 + Math.abs(x) * 2), (x) => Math.log(x + Math.sqrt(x * x - 1))],
  ['atanh', atanh, INNER, (x) => 0.5 * Math.log((1 + x) / (1 - x))],
];

describe.each(UNARY_REFERENCES)('%s', (_name, op, points, reference) => {
  // The references lose a few digits to cancellation near 0 (e.g. exp(x) - 1), hence 1e-9 there.
  test('matches its definition in float64', () => {
    const expected = points.map(reference);
    const got = values(op(f64(points)));
    got.forEach((v, i) => {
      const e = expected[i]!;
      expect(Math.abs(v - e)).toBeLessThanOrEqual(1e-9 * Math.abs(e) + 1e-15);
    });
  });

  test('keeps float32 in float32, rounding the float64 result', () => {
    const x32 = op(tensor(points));
    expect(x32.dtype).toBe('float32');
    const from64 = values(op(f64(Array.from(tensor(points).dataSync()))));
    values(x32).forEach((v, i) =>
      expect(Math.abs(v - from64[i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(from64[i]!) + 1e-30),
    );
  });
});

describe('accuracy where naive formulas fail', () => {
  test('log1p and expm1 keep full relative precision near 0, from their Taylor series', () => {
    const xs = [1e-300, 1e-17, 1e-10, -3e-9, 1e-5];
    // log(1 + x) = x - x^2/2 + x^3/3 - ...; e^x - 1 = x + x^2/2 + x^3/6 + ...
    expectClose(
      log1p(f64(xs)),
      xs.map((x) => x - (x * x) / 2 + (x * x * x) / 3 - (x * x * x * x) / 4),
      1e-15,
    );
    expectClose(
      expm1(f64(xs)),
      xs.map((x) => x + (x * x) / 2 + (x * x * x) / 6 + (x * x * x * x) / 24),
      1e-15,
    );
  });

  test('softplus is x for large x and e^x for very negative x, with no overflow or underflow to 0', () => {
    // softplus(x) = x + log1p(e^-x) ~ x + e^-x; softplus(-x) ~ e^-x (1 - e^-x / 2).
    expectClose(softplus(f64([1000, 40, -40, -700])), [1000, 40 + Math.exp(-40), Math.exp(-40), Math.exp(-700)], 1e-15);
    expectClose(softplus(tensor([1000, -1000])), [1000, 0], 1e-7);
  });

  test('logSigmoid is x for very negative x and -e^-x for large x', () => {
    expectClose(
      logSigmoid(f64([-1000, -40, 40, 700])),
      [-1000, -40 - Math.exp(-40), -Math.exp(-40), -Math.exp(-700)],
      1e-15,
    );
  });

  test('erf matches tabulated values to about double precision', () => {
    // erf to 16 digits (Abramowitz & Stegun table 7.1 extended; erfc for the tail).
    const table: [number, number][] = [
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [1.5, 0.9661051464753108],
      [2, 0.9953222650189527],
      [2.5, 1 - 4.06952017444959e-4],
      [3, 1 - 2.209049699858544e-5],
      [3.5, 1 - 7.430983723414128e-7],
      [4, 1 - 1.541725790028002e-8],
      [5, 1 - 1.537459794428035e-12],
    ];
    const xs = table.map(([x]) => x);
    expectClose(
      erf(f64(xs)),
      table.map(([, v]) => v),
      2e-15,
    );
    expectClose(
      erf(f64(xs.map((x) => -x))),
      table.map(([, v]) => -v),
      2e-15,
    );
    expectClose(erf(f64([1e-12, 0, 7, -Infinity, Infinity])), [(2 / Math.sqrt(Math.PI)) * 1e-12, 0, 1, -1, 1], 1e-15);
    expect(values(erf(f64([NaN])))).toEqual([NaN]);
  });

  test('erf matches Simpson integration of 2/sqrt(pi) e^(-t^2) over a grid', () => {
    const simpson = (x: number): number => {
      const n = 4000;
      const h = x / n;
      let s = 1 + Math.exp(-x * x);
      for (let k = 1; k < n; k++) s += (k % 2 ? 4 : 2) * Math.exp(-((k * h) ** 2));
      return ((s * h) / 3) * (2 / Math.sqrt(Math.PI));
    };
    const xs = [-2.7, -0.9, 0.05, 0.6, 1.2, 2.2, 2.99, 3.01, 4.5];
    values(erf(f64(xs))).forEach((v, i) => expect(Math.abs(v - simpson(xs[i]!))).toBeLessThan(1e-13));
  });
});

describe('rounding', () => {
  test('round is half-to-even, as tf.round', () => {
    expect(unsigned(round(f64([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 2.4999, 2.6, -2.6])))).toEqual([
      -2, -2, 0, 0, 2, 2, 4, 2, 3, -3,
    ]);
  });

  test('floor and ceil round toward -inf and +inf', () => {
    expect(unsigned(floor(f64([-1.5, -1, 0.2, 1.9])))).toEqual([-2, -1, 0, 1]);
    expect(unsigned(ceil(f64([-1.5, -1, 0.2, 1.9])))).toEqual([-1, -1, 1, 2]);
  });

  test('floor, ceil, round, abs and sign keep int32 as int32', () => {
    const x = tensor([-3, 0, 4], undefined, 'int32');
    for (const op of [floor, ceil, round]) expect([op(x).dtype, values(op(x))]).toEqual(['int32', [-3, 0, 4]]);
    expect([abs(x).dtype, values(abs(x))]).toEqual(['int32', [3, 0, 4]]);
    expect(values(sign(x))).toEqual([-1, 0, 1]);
  });
});

describe('binary ops', () => {
  test('squaredDifference broadcasts: (a - b)^2', () => {
    expect(squaredDifference(tensor([[1], [4]]), tensor([3, -1])).arraySync()).toEqual([
      [4, 4],
      [1, 25],
    ]);
  });

  test('atan2 covers all four quadrants and the axes', () => {
    const a = [1, 1, -1, -1, 0, 1, 0];
    const b = [1, -1, -1, 1, 1, 0, -1];
    expectClose(
      atan2(f64(a), f64(b)),
      [Math.PI / 4, (3 * Math.PI) / 4, (-3 * Math.PI) / 4, -Math.PI / 4, 0, Math.PI / 2, Math.PI],
      1e-15,
    );
  });

  test('mod is floor-mod (the sign of the divisor) and floorDiv rounds down: a = floorDiv(a, b) b + mod(a, b)', () => {
    expect(values(mod(f64([5, -5, 5, -5, 5.5, 6]), f64([3, 3, -3, -3, -2, 3])))).toEqual([2, 1, -1, -2, -0.5, 0]);
    expect(values(floorDiv(f64([5, -5, 5, -5, 5.5]), f64([3, 3, -3, -3, -2])))).toEqual([1, -2, -2, 1, -3]);
    const i = tensor([7, -7, 7, -7], undefined, 'int32');
    const j = tensor([2, 2, -2, -2], undefined, 'int32');
    expect([mod(i, j).dtype, values(mod(i, j)), values(floorDiv(i, j))]).toEqual([
      'int32',
      [1, 1, -1, -1],
      [3, -4, -4, 3],
    ]);
  });

  test('addN adds same-shape tensors, one or many', () => {
    expect(values(addN([tensor([1, 2])]))).toEqual([1, 2]);
    expect(values(addN([f64([1, 2]), f64([10, 20]), f64([100, 200]), f64([0.5, 0.5])]))).toEqual([111.5, 222.5]);
    expect(addN([tensor([[1]]), tensor([[2]])]).shape).toEqual([1, 1]);
  });
});

describe('clipByValue', () => {
  test('clips, and passes the gradient where min <= x <= max, bounds included', () => {
    const x = f64([-2, 0, 0.5, 1, 3]);
    expect(values(clipByValue(x, 0, 1))).toEqual([0, 0, 0.5, 1, 1]);
    expect(values(gradientOf((t) => clipByValue(t, 0, 1), x)!)).toEqual([0, 1, 1, 1, 0]);
    expect(values(clipByValue(x, -Infinity, 0.5))).toEqual([-2, 0, 0.5, 0.5, 0.5]);
  });

  test('keeps NaN', () => {
    expect(values(clipByValue(f64([NaN]), 0, 1))).toEqual([NaN]);
  });
});

describe('gradients at kinks, ties and poles follow TensorFlow', () => {
  const at = (f: (x: Tensor) => Tensor, points: number[]): number[] => values(gradientOf(f, f64(points))!);

  test("abs'(0) = 0", () => expect(at(abs, [-2, 0, 3])).toEqual([-1, 0, 1]));
  test("relu6' is 1 only strictly inside (0, 6)", () => expect(at(relu6, [-1, 0, 3, 6, 7])).toEqual([0, 0, 1, 0, 0]));
  test("leakyRelu'(0) = alpha", () => expect(at((x) => leakyRelu(x, 0.3), [-1, 0, 2])).toEqual([0.3, 0.3, 1]));
  test("elu'(0) = 1 and elu'(x) = e^x below", () => expect(at(elu, [-1, 0, 2])).toEqual([Math.exp(-1), 1, 1]));
  test("selu'(0) = scale", () => {
    expectClose(
      gradientOf(selu, f64([-1, 0, 2]))!,
      [1.0507009873554805 * 1.6732632423543772 * Math.exp(-1), 1.0507009873554805, 1.0507009873554805],
      1e-15,
    );
  });
  test('log1p and expm1 have gradients 1 / (1 + x) and e^x', () => {
    expectClose(gradientOf(log1p, f64([0, 1e-10, 3]))!, [1, 1 / (1 + 1e-10), 0.25], 1e-15);
    expectClose(gradientOf(expm1, f64([0, 1]))!, [1, Math.E], 1e-15);
  });
  test('softplus and logSigmoid gradients are finite in the tails', () => {
    expect(at(softplus, [-1000, 0, 1000])).toEqual([0, 0.5, 1]);
    expect(at(logSigmoid, [-1000, 0, 1000])).toEqual([1, 0.5, 0]);
  });

  test.each([
    ['sign', sign],
    ['floor', floor],
    ['ceil', ceil],
    ['round', round],
  ] as const)('%s has a zeros gradient (not undefined), as TensorFlow.js', (_name, op) => {
    for (const dtype of ['float32', 'float64'] as const) {
      const g = gradientOf(op, tensor([-1.5, 0, 0.5, 2], undefined, dtype));
      expect([g?.dtype, g && unsigned(g)]).toEqual([dtype, [0, 0, 0, 0]]);
    }
  });

  test("mod's gradient is (dy, -dy floor(a / b)); floorDiv has none", () => {
    const a = f64([5, -5, 7]);
    const b = f64([3, 3, -2]);
    const tape = new GradientTape({ persistent: true });
    tape.watch([a, b]);
    const y = mod(a, b);
    const q = floorDiv(a, b);
    expect(tape.gradient(y, [a, b]).map((g) => values(g!))).toEqual([
      [1, 1, 1],
      [-1, 2, 4],
    ]);
    expect(tape.gradient(q, [a, b])).toEqual([undefined, undefined]);
  });

  test("second derivatives through nested tapes: sin'' = -sin, erf''(x) = -2x erf'(x)", () => {
    const x = f64([0.3, -1.2]);
    const second = (f: (t: Tensor) => Tensor): number[] => {
      const outer = new GradientTape();
      outer.watch(x);
      const inner = new GradientTape();
      inner.watch(x);
      const g = inner.gradient(f(x), x)!;
      return values(outer.gradient(g, x)!);
    };
    expectClose(f64(second(sin)), [-Math.sin(0.3), -Math.sin(-1.2)], 1e-14);
    const dErf = (t: number): number => (2 / Math.sqrt(Math.PI)) * Math.exp(-t * t);
    expectClose(f64(second(erf)), [-0.6 * dErf(0.3), 2.4 * dErf(-1.2)], 1e-14);
  });
});

describe('logic', () => {
  test('logicalAnd and logicalOr broadcast bool tensors', () => {
    const a = tensor([[true], [false]]);
    const b = tensor([true, false]);
    expect([logicalAnd(a, b).dtype, logicalAnd(a, b).arraySync()]).toEqual([
      'bool',
      [
        [1, 0],
        [0, 0],
      ],
    ]);
    expect(logicalOr(a, b).arraySync()).toEqual([
      [1, 1],
      [1, 0],
    ]);
    expect(logicalAnd([true, false], true).arraySync()).toEqual([1, 0]);
    expect(logicalNot(tensor([true, false])).arraySync()).toEqual([0, 1]);
  });

  test('isNaN, isFinite and isInf classify each element, in float32, float64 and int32', () => {
    const special = [0, -1.5, NaN, Infinity, -Infinity];
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tensor(special, undefined, dtype);
      expect([isNaN(x).dtype, values(isNaN(x)), values(isFinite(x)), values(isInf(x))]).toEqual([
        'bool',
        [0, 0, 1, 0, 0],
        [1, 1, 0, 0, 0],
        [0, 0, 0, 1, 1],
      ]);
    }
    const i = tensor([1, -2], undefined, 'int32');
    expect([values(isNaN(i)), values(isFinite(i)), values(isInf(i))]).toEqual([
      [0, 0],
      [1, 1],
      [0, 0],
    ]);
  });
});

describe('where and gradients that are infinite in the branch not taken', () => {
  test('where(x > 0, sqrt(x), 0) has a NaN gradient at x = 0, as TensorFlow and PyTorch', () => {
    const x = f64([0, 4]);
    const g = gradientOf((t) => where(greater(t, 0), sqrt(t), 0), x)!;
    expect(values(g)).toEqual([NaN, 0.25]);
  });

  test('the double where keeps the unsafe branch in its domain: finite gradients, same values', () => {
    const x = f64([0, -3, 4]);
    const safe = (t: Tensor): Tensor => where(greater(t, 0), sqrt(where(greater(t, 0), t, 1)), 0);
    expect(values(safe(x))).toEqual([0, 0, 2]);
    expect(values(gradientOf(safe, x)!)).toEqual([0, 0, 0.25]);
  });
});

describe('errors', () => {
  const FLOAT_ONLY: [string, (x: TensorLike) => Tensor][] = [
    ['expm1', expm1],
    ['log1p', log1p],
    ['erf', erf],
    ['asin', asin],
    ['acosh', acosh],
    ['softplus', softplus],
    ['atanh', atanh],
    ['asinh', asinh],
    ['cosh', cosh],
    ['sinh', sinh],
  ];
  test.each(FLOAT_ONLY)('%s refuses int32 and says to cast', (name, op) => {
    expectError(
      () => op(tensor([1], undefined, 'int32')),
      TypeError,
      `tapegrad.${name}: expects a float32 or float64 tensor, got int32; cast it first, e.g. cast(x, 'float32')`,
    );
  });

  test('abs refuses bool', () => {
    expectError(
      () => abs(tensor([true])),
      TypeError,
      "tapegrad.abs: expects a numeric tensor, got bool; cast it first, e.g. cast(x, 'float32')",
    );
  });

  test('atan2 refuses int32', () => {
    expectError(
      () => atan2(tensor([1], undefined, 'int32'), 1),
      TypeError,
      "tapegrad.atan2: expects float32 or float64 tensors, got int32; cast them first, e.g. cast(a, 'float32')",
    );
  });

  test('binary ops name the shapes that do not broadcast', () => {
    expect(() => squaredDifference(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(/^tapegrad\.squaredDifference: /);
    expect(() => mod(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(/^tapegrad\.mod: /);
  });

  test('leakyRelu wants a number alpha', () => {
    expectError(
      () => leakyRelu(tensor([1]), loose('0.1')),
      TypeError,
      'tapegrad.leakyRelu: alpha must be a number, got string; pass e.g. 0.2',
    );
  });

  test('addN wants a non-empty list of tensors of one shape and dtype', () => {
    const empty = 'tapegrad.addN: expects a non-empty array of tensors; pass e.g. addN([a, b])';
    expectError(() => addN([]), TypeError, empty);
    expectError(() => addN(loose(tensor([1]))), TypeError, empty);
    expectError(
      () => addN([tensor([1, 2]), tensor([1, 2, 3])]),
      Error,
      'tapegrad.addN: tensors[1] is float32 [3] but tensors[0] is float32 [2]; all must have the same shape and dtype (use add to broadcast)',
    );
    expectError(
      () => addN([tensor([1, 2]), f64([1, 2])]),
      Error,
      'tapegrad.addN: tensors[1] is float64 [2] but tensors[0] is float32 [2]; all must have the same shape and dtype (use add to broadcast)',
    );
    expectError(
      () => addN([tensor([true])]),
      TypeError,
      "tapegrad.addN: arithmetic on bool tensors is not defined; cast them with cast(x, 'float32') first",
    );
  });

  test('clipByValue wants numbers with min <= max', () => {
    expectError(
      () => clipByValue(tensor([1]), 2, 1),
      RangeError,
      'tapegrad.clipByValue: clipValueMin 2 is greater than clipValueMax 1; pass the lower bound first',
    );
    expectError(
      () => clipByValue(tensor([1]), loose(undefined), 1),
      TypeError,
      'tapegrad.clipByValue: clipValueMin and clipValueMax must be numbers, got undefined and number',
    );
  });

  test('logical ops want bool operands', () => {
    expectError(
      () => logicalAnd(tensor([1]), tensor([true])),
      TypeError,
      "tapegrad.logicalAnd: a must be a bool tensor, got float32; compare first, e.g. greater(x, 0), or cast(x, 'bool')",
    );
    expectError(
      () => logicalOr(tensor([true]), tensor([1], undefined, 'int32')),
      TypeError,
      "tapegrad.logicalOr: b must be a bool tensor, got int32; compare first, e.g. greater(x, 0), or cast(x, 'bool')",
    );
    expectError(
      () => logicalNot(f64([0])),
      TypeError,
      "tapegrad.logicalNot: x must be a bool tensor, got float64; compare first, e.g. greater(x, 0), or cast(x, 'bool')",
    );
    expect(() => logicalAnd(tensor([true, false]), tensor([true, false, true]))).toThrow(/^tapegrad\.logicalAnd: /);
  });
});

/** Shapes that broadcast together (a full shape; each operand drops leading dims and sets some to 1). */
const broadcastPair = fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }).chain((full) => {
  const operand = fc
    .tuple(
      fc.integer({ min: 0, max: full.length }),
      fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
    )
    .map(([drop, toOne]) => full.map((d, i) => (toOne[i] ? 1 : d)).slice(drop));
  return fc.tuple(operand, operand);
});

const RUNS = { numRuns: 25 };

describe('properties over random broadcast shapes', () => {
  test.each([
    ['squaredDifference', squaredDifference, 'any'],
    ['atan2', atan2, 'nonzero'],
    ['mod', mod, 'nonzero'],
  ] as const)(
    '%s: broadcast output shape, gradients of each input shape, and checkGradients passes',
    (name, op, domain) => {
      fc.assert(
        fc.property(broadcastPair, fc.nat(), ([sa, sb], seed) => {
          const a = sampleInput(sa, domain, 0, seed);
          const b = sampleInput(sb, 'nonzero', 1, seed);
          const y = op(a, b);
          const rank = Math.max(sa.length, sb.length);
          const numpy = Array.from({ length: rank }, (_, i) =>
            Math.max(sa[sa.length - rank + i] ?? 1, sb[sb.length - rank + i] ?? 1),
          );
          expect(y.shape).toEqual(numpy);
          const tape = new GradientTape();
          tape.watch([a, b]);
          const [ga, gb] = tape.gradient(op(a, b), [a, b]);
          expect([ga?.shape, gb?.shape]).toEqual([sa, sb]);
          checkGradients((u, v) => op(u!, v!), [a, b], { seed, name });
        }),
        RUNS,
      );
    },
  );

  test('logicalAnd and logicalOr agree with their scalar definitions element by element', () => {
    fc.assert(
      fc.property(broadcastPair, fc.nat(), ([sa, sb], seed) => {
        const a = sampleInput(sa, 'bool', 0, seed);
        const b = sampleInput(sb, 'bool', 1, seed);
        const and = logicalAnd(a, b);
        const or = logicalOr(a, b);
        const equivalentAnd = logicalNot(logicalOr(logicalNot(a), logicalNot(b))); // De Morgan
        expect(values(and)).toEqual(values(equivalentAnd));
        // As numbers: a AND b = [a b > 0], a OR b = [a + b > 0].
        const [x, y] = [cast(a, 'float64'), cast(b, 'float64')];
        expect(values(and)).toEqual(values(greater(mul(x, y), 0)));
        expect(values(or)).toEqual(values(greater(add(x, y), 0)));
      }),
      RUNS,
    );
  });

  test('identities hold in float64: sin^2 + cos^2 = 1, log1p(expm1(x)) = x, softplus(x) - softplus(-x) = x, logSigmoid(x) = -softplus(-x), erf(-x) = -erf(x)', () => {
    const finite = fc.double({ min: -30, max: 30, noNaN: true });
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 8 }), (xs) => {
        const x = f64(xs);
        const s = values(sin(x));
        const c = values(cos(x));
        s.forEach((v, i) => expect(Math.abs(v * v + c[i]! * c[i]! - 1)).toBeLessThan(1e-15));
        // log1p(expm1(x)) is ill-conditioned for x << 0 (1 + expm1(x) = e^x is tiny): a relative
        // rounding of expm1(x) grows by e^-x, hence the e^-x in the tolerance.
        values(log1p(expm1(x))).forEach((v, i) =>
          expect(Math.abs(v - xs[i]!)).toBeLessThanOrEqual(1e-15 * (1 + Math.abs(xs[i]!)) * (1 + Math.exp(-xs[i]!))),
        );
        const sp = values(softplus(x));
        const spn = values(softplus(f64(xs.map((v) => -v))));
        sp.forEach((v, i) =>
          expect(Math.abs(v - spn[i]! - xs[i]!)).toBeLessThanOrEqual(1e-14 * (1 + Math.abs(xs[i]!))),
        );
        expect(values(logSigmoid(x))).toEqual(spn.map((v) => -v));
        expect(values(erf(f64(xs.map((v) => -v))))).toEqual(values(erf(x)).map((v) => -v));
      }),
      RUNS,
    );
  });
});
