/** Rows for the starter ops of the core (arithmetic, unary math, matmul, sum/mean, shape basics, where). */
import {
  add,
  broadcastTo,
  cast,
  div,
  exp,
  identity,
  checkNumerics,
  log,
  maximum,
  mean,
  minimum,
  mul,
  neg,
  pow,
  relu,
  reshape,
  sigmoid,
  sqrt,
  square,
  sub,
  sum,
  tanh,
  transpose,
  where,
  type Shape,
} from '../../lib/index.js';
import { BINARY, UNARY, mm, mmCase, reduceCases, shapes, type Rows } from './row.js';

export const CORE_ROWS = {
  add: { f: (a, b) => add(a!, b!), domain: ['any', 'any'], order: 1, cases: BINARY },
  sub: { f: (a, b) => sub(a!, b!), domain: ['any', 'any'], order: 1, cases: BINARY },
  mul: { f: (a, b) => mul(a!, b!), domain: ['any', 'any'], order: 2, cases: BINARY },
  div: { f: (a, b) => div(a!, b!), domain: ['any', 'nonzero'], order: 2, cases: BINARY },
  pow: {
    f: (a, b) => pow(a!, b!),
    domain: ['positive', 'any'],
    order: 2,
    cases: [
      ...BINARY,
      // A negative base with a constant integer exponent: only d/da is defined there.
      { shapes: [[2, 3]], note: 'x^3, x of any sign', domain: ['any'], f: (a) => pow(a!, 3) },
    ],
  },
  maximum: { f: (a, b) => maximum(a!, b!), domain: ['separated', 'separated'], order: 1, cases: BINARY },
  minimum: { f: (a, b) => minimum(a!, b!), domain: ['separated', 'separated'], order: 1, cases: BINARY },
  neg: { f: (x) => neg(x!), domain: ['any'], order: 1, cases: UNARY },
  square: { f: (x) => square(x!), domain: ['any'], order: 2, cases: UNARY },
  sqrt: { f: (x) => sqrt(x!), domain: ['positive'], order: 2, cases: UNARY },
  exp: { f: (x) => exp(x!), domain: ['any'], order: 2, cases: UNARY },
  log: { f: (x) => log(x!), domain: ['positive'], order: 2, cases: UNARY },
  relu: { f: (x) => relu(x!), domain: ['nonzero'], order: 1, cases: UNARY },
  sigmoid: { f: (x) => sigmoid(x!), domain: ['any'], order: 2, cases: UNARY },
  tanh: { f: (x) => tanh(x!), domain: ['any'], order: 2, cases: UNARY },
  matmul: {
    f: mm(false, false),
    domain: ['any', 'any'],
    order: 2,
    cases: [
      mmCase([3, 4], [4, 2]),
      mmCase([4, 3], [4, 2], true, false),
      mmCase([3, 4], [2, 4], false, true),
      mmCase([4, 3], [2, 4], true, true),
      mmCase([1, 1], [1, 1]),
      mmCase([2, 3, 4], [4, 5]),
      mmCase([3, 4], [2, 4, 5]),
      mmCase([2, 1, 3, 4], [3, 4, 2]),
      mmCase([1, 3, 4], [2, 4, 2]),
      mmCase([2, 4, 3], [1, 2, 4], true, true),
      mmCase([3, 2, 4], [1, 5, 4], false, true),
      mmCase([2, 0], [0, 3]),
      mmCase([0, 3], [3, 2]),
    ],
  },
  sum: { f: (x) => sum(x!), domain: ['any'], order: 1, cases: reduceCases(sum) },
  mean: { f: (x) => mean(x!), domain: ['any'], order: 1, cases: reduceCases(mean) },
  reshape: {
    f: (x) => reshape(x!, [-1]),
    domain: ['any'],
    order: 1,
    cases: (
      [
        [
          [2, 3],
          [3, 2],
        ],
        [[2, 3], [-1]],
        [[6], [2, -1, 1]],
        [[], [1, 1]],
        [
          [2, 0],
          [0, 4],
        ],
      ] as [Shape, number[]][]
    ).map(([shape, to]) => ({ shapes: [shape], note: `to ${JSON.stringify(to)}`, f: (x) => reshape(x!, to) })),
  },
  transpose: {
    f: (x) => transpose(x!),
    domain: ['any'],
    order: 1,
    cases: (
      [
        [[2, 3], undefined],
        [
          [2, 3, 4],
          [1, 0, 2],
        ],
        [
          [2, 3, 4],
          [2, 0, 1],
        ],
        [[1, 2, 1, 3], undefined],
        [[], undefined],
        [
          [0, 2],
          [1, 0],
        ],
      ] as [Shape, number[] | undefined][]
    ).map(([shape, perm]) => ({
      shapes: [shape],
      note: `perm ${JSON.stringify(perm)}`,
      f: (x) => transpose(x!, perm),
    })),
  },
  broadcastTo: {
    f: (x) => broadcastTo(x!, [2, 3]),
    domain: ['any'],
    order: 1,
    cases: (
      [
        [[3], [2, 3]],
        [
          [2, 1],
          [2, 3],
        ],
        [[], [2, 2]],
        [
          [1, 3],
          [2, 4, 3],
        ],
        [
          [2, 3],
          [2, 3],
        ],
        [[3], [0, 3]],
      ] as [Shape, number[]][]
    ).map(([shape, to]) => ({ shapes: [shape], note: `to ${JSON.stringify(to)}`, f: (x) => broadcastTo(x!, to) })),
  },
  cast: {
    // float64 -> float32 -> float64: both directions. The round trip rounds to
    // float32 (relative 6e-8), which a step of 1e-6 would turn into noise; the
    // round trip is linear, so a large step costs no truncation error, and what
    // remains is about 2^-24 |x| / h = 1e-6 per element, hence atol 1e-5.
    f: (x) => cast(cast(x!, 'float32'), 'float64'),
    domain: ['any'],
    order: 1,
    cases: UNARY,
    options: { eps: 0.1, atol: 1e-5 },
  },
  identity: { f: (x) => identity(x!), domain: ['any'], order: 1, cases: UNARY },
  checkNumerics: { f: (x) => checkNumerics(x!, 'row'), domain: ['any'], order: 2, cases: UNARY },
  where: {
    f: (c, a, b) => where(c!, a!, b!),
    domain: ['bool', 'any', 'any'],
    order: 1,
    cases: shapes(
      [
        [2, 3],
        [2, 3],
        [2, 3],
      ],
      [[2, 1], [1, 3], [3]],
      [[], [2, 2], []],
      [[3], [2, 3], [2, 1]],
      [[0, 3], [3], [1, 3]],
    ),
  },
} satisfies Rows;
