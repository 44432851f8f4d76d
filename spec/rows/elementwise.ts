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
import { reluGrad, sigmoidGrad, tanhGrad } from '../../lib/ops/fused-grads.js';
import { BINARY, UNARY, shapes, type Case, type Fn, type RowSpec, type Rows } from './row.js';

type Unary = (x: Tensor) => Tensor;

/** A row for a unary op over the shared unary shapes. */
const unaryRow = (f: Unary, domain: RowSpec['domain'][number], order: 1 | 2, cases: Case[] = []): RowSpec => ({
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

export const ELEMENTWISE_ROWS = {
  // x = 0 is abs's kink: 'nonzero' keeps central differences off it.
  abs: unaryRow(abs, 'nonzero', 1),
  // Zero gradients: central differences agree away from the jumps.
  sign: unaryRow(sign, 'nonzero', 1),
  floor: unaryRow(floor, 'any', 1),
  ceil: unaryRow(ceil, 'any', 1),
  round: unaryRow(round, 'any', 1),
  reciprocal: unaryRow(reciprocal, 'nonzero', 2),
  rsqrt: unaryRow(rsqrt, 'positive', 2),
  expm1: unaryRow(expm1, 'any', 2),
  // log1p on [-0.9, 0.9]: close to its pole at -1 and to 0.
  log1p: unaryRow(scaled(log1p, 0.45), 'any', 2),
  softplus: unaryRow(softplus, 'any', 2, [{ ...WIDE[0]!, f: wide(softplus) }]),
  logSigmoid: unaryRow(logSigmoid, 'any', 2, [{ ...WIDE[0]!, f: wide(logSigmoid) }]),
  relu6: unaryRow(relu6, 'nonzero', 1, [{ ...WIDE[0]!, f: wide(relu6) }]),
  elu: unaryRow(elu, 'nonzero', 2),
  selu: unaryRow(selu, 'nonzero', 2),
  leakyRelu: unaryRow((x) => leakyRelu(x), 'nonzero', 2, [
    { shapes: [[2, 3]], note: 'alpha = 0.5', f: (x) => leakyRelu(x!, 0.5) },
  ]),
  sin: unaryRow(sin, 'any', 2),
  cos: unaryRow(cos, 'any', 2),
  // tan on [-1.2, 1.2], inside its poles at ±pi/2.
  tan: unaryRow(scaled(tan, 0.6), 'any', 2),
  asin: unaryRow(scaled(asin, 0.45), 'any', 2),
  acos: unaryRow(scaled(acos, 0.45), 'any', 2),
  atan: unaryRow(atan, 'any', 2),
  sinh: unaryRow(sinh, 'any', 2),
  cosh: unaryRow(cosh, 'any', 2),
  asinh: unaryRow(asinh, 'any', 2),
  // acosh on [1.5, 3]: above its branch point at 1.
  acosh: unaryRow(scaled(acosh, 1, 1), 'positive', 2),
  atanh: unaryRow(scaled(atanh, 0.45), 'any', 2),
  erf: unaryRow(erf, 'any', 2),
  squaredDifference: { f: (a, b) => squaredDifference(a!, b!), domain: ['any', 'any'], order: 2, cases: BINARY },
  // Operands away from 0 keep atan2 off its branch cut (a = 0, b < 0) and the origin.
  atan2: { f: (a, b) => atan2(a!, b!), domain: ['nonzero', 'nonzero'], order: 2, cases: BINARY },
  // mod jumps where a / b is an integer, a null set the seeded inputs do not hit.
  mod: { f: (a, b) => mod(a!, b!), domain: ['any', 'nonzero'], order: 2, cases: BINARY },
  // The fused backward ops (relu's, tanh's and sigmoid's VJPs), with their own VJPs to order 2.
  // reluGrad's x: off its jump at 0.
  reluGrad: { f: (dy, x) => reluGrad(dy!, x!), domain: ['any', 'nonzero'], order: 2, cases: BINARY },
  tanhGrad: { f: (dy, y) => tanhGrad(dy!, y!), domain: ['any', 'any'], order: 2, cases: BINARY },
  sigmoidGrad: { f: (dy, y) => sigmoidGrad(dy!, y!), domain: ['any', 'any'], order: 2, cases: BINARY },
  addN: {
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
  clipByValue: {
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
} satisfies Rows;
