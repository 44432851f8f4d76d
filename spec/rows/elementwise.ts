/** Rows for element-wise math, binary ops and clipByValue. */
import {
  abs,
  acos,
  acosh,
  add,
  addN,
  asin,
  asinh,
  atan,
  atan2,
  atanh,
  ceil,
  clipByValue,
  cos,
  cosh,
  elu,
  erf,
  expm1,
  floor,
  leakyRelu,
  log1p,
  logSigmoid,
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
  squaredDifference,
  tan,
  type Tensor,
} from '../../lib/index.js';
import { BINARY, UNARY, shapes, type Case, type Fn, type Row } from './row.js';

type Unary = (x: Tensor) => Tensor;

/** A row for a unary op over the shared unary shapes. */
const unaryRow = (op: string, f: Unary, domain: Row['domain'][number], order: 1 | 2, cases: Case[] = []): Row => ({
  op,
  f: (x) => f(x!),
  domain: [domain],
  order,
  cases: [...UNARY, ...cases],
});

/** `f(scale * x)`: squeezes the 'any' domain [-2, 2] into an op's narrower one. */
const scaled =
  (f: Unary, scale: number, shift = 0): Unary =>
  (x) =>
    f(add(mul(x, scale), shift));

/** Inputs wide enough to leave [-2, 2]: relu6's upper kink and the tails of softplus. */
const WIDE: Case[] = [{ shapes: [[2, 3]], note: 'x in [-8, 8]', domain: ['nonzero'] }];

const addNCase = (...list: number[][]): Case => ({
  shapes: list,
  note: `${list.length} tensors`,
  f: (...xs: Tensor[]) => addN(xs),
});

const clipCase = (min: number, max: number): Case => ({
  shapes: [[2, 3]],
  note: `clip to [${min}, ${max}]`,
  f: (x) => clipByValue(x!, min, max),
});

const wide =
  (f: Unary): Fn =>
  (x) =>
    f(mul(x!, 4));

export const ELEMENTWISE_ROWS: readonly Row[] = [
  // x = 0 is abs's kink: 'nonzero' keeps central differences off it.
  unaryRow('abs', abs, 'nonzero', 1),
  // Zero gradients: central differences agree away from the jumps.
  unaryRow('sign', sign, 'nonzero', 1),
  unaryRow('floor', floor, 'any', 1),
  unaryRow('ceil', ceil, 'any', 1),
  unaryRow('round', round, 'any', 1),
  unaryRow('reciprocal', reciprocal, 'nonzero', 2),
  unaryRow('rsqrt', rsqrt, 'positive', 2),
  unaryRow('expm1', expm1, 'any', 2),
  // log1p on [-0.9, 0.9]: close to its pole at -1 and to 0.
  unaryRow('log1p', scaled(log1p, 0.45), 'any', 2),
  unaryRow('softplus', softplus, 'any', 2, [{ ...WIDE[0]!, f: wide(softplus) }]),
  unaryRow('logSigmoid', logSigmoid, 'any', 2, [{ ...WIDE[0]!, f: wide(logSigmoid) }]),
  unaryRow('relu6', relu6, 'nonzero', 1, [{ ...WIDE[0]!, f: wide(relu6) }]),
  unaryRow('elu', elu, 'nonzero', 2),
  unaryRow('selu', selu, 'nonzero', 2),
  unaryRow('leakyRelu', (x) => leakyRelu(x), 'nonzero', 2, [
    { shapes: [[2, 3]], note: 'alpha = 0.5', f: (x) => leakyRelu(x!, 0.5) },
  ]),
  unaryRow('sin', sin, 'any', 2),
  unaryRow('cos', cos, 'any', 2),
  // tan on [-1.2, 1.2], inside its poles at ±pi/2.
  unaryRow('tan', scaled(tan, 0.6), 'any', 2),
  unaryRow('asin', scaled(asin, 0.45), 'any', 2),
  unaryRow('acos', scaled(acos, 0.45), 'any', 2),
  unaryRow('atan', atan, 'any', 2),
  unaryRow('sinh', sinh, 'any', 2),
  unaryRow('cosh', cosh, 'any', 2),
  unaryRow('asinh', asinh, 'any', 2),
  // acosh on [1.5, 3]: above its branch point at 1.
  unaryRow('acosh', scaled(acosh, 1, 1), 'positive', 2),
  unaryRow('atanh', scaled(atanh, 0.45), 'any', 2),
  unaryRow('erf', erf, 'any', 2),
  { op: 'squaredDifference', f: (a, b) => squaredDifference(a!, b!), domain: ['any', 'any'], order: 2, cases: BINARY },
  // Operands away from 0 keep atan2 off its branch cut (a = 0, b < 0) and the origin.
  { op: 'atan2', f: (a, b) => atan2(a!, b!), domain: ['nonzero', 'nonzero'], order: 2, cases: BINARY },
  // mod jumps where a / b is an integer, a null set the seeded inputs do not hit.
  { op: 'mod', f: (a, b) => mod(a!, b!), domain: ['any', 'nonzero'], order: 2, cases: BINARY },
  {
    op: 'addN',
    f: (a, b) => addN([a!, b!]),
    domain: ['any', 'any', 'any'],
    order: 1,
    cases: [
      addNCase([2, 3], [2, 3]),
      addNCase([2, 1, 3], [2, 1, 3], [2, 1, 3]),
      addNCase([3]),
      addNCase([], []),
      addNCase([0, 2], [0, 2]),
    ],
  },
  {
    op: 'clipByValue',
    f: (x) => clipByValue(x!, -1, 1),
    domain: ['any'],
    order: 1,
    cases: [
      ...shapes([[]], [[3]], [[2, 1, 3]], [[0, 2]]).map((c) => ({ ...c, f: (x: Tensor) => clipByValue(x, -1, 1) })),
      clipCase(-3, 3),
      clipCase(0.5, 0.5),
      clipCase(-Infinity, 0),
    ],
  },
];
