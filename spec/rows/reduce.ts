/** Rows for reductions, cumsum, softmax/logSoftmax (losses are composed of ops; spec/ops/losses.spec.ts checks them). */
import { cumsum, logSoftmax, logSumExp, max, min, prod, softmax, type Shape } from '../../lib/index.js';
import { reduceCases, type Case, type Rows } from './row.js';

/** cumsum cases: shape, axis, exclusive, reverse. */
const cumsumCases: Case[] = (
  [
    [[4], 0, false, false],
    [[2, 3], 1, false, false],
    [[2, 3], -1, true, false],
    [[2, 3], 0, false, true],
    [[2, 3, 2], -2, true, true],
    [[2, 1, 3], 1, false, false],
    [[1], 0, true, false],
    [[0, 3], 0, false, false],
    [[2, 0], 1, true, true],
  ] as [Shape, number, boolean, boolean][]
).map(([shape, axis, exclusive, reverse]) => ({
  shapes: [shape],
  note: `axis=${axis} exclusive=${exclusive} reverse=${reverse}`,
  f: (x) => cumsum(x!, axis, exclusive, reverse),
}));

/** Softmax-like cases: shape and axis. */
const axisCases = (op: typeof softmax): Case[] =>
  (
    [
      [[3], -1],
      [[2, 3], -1],
      [[2, 3], 0],
      [[2, 1, 3], 1],
      [[2, 3, 2], -2],
      [[1], 0],
      [[0, 3], 1],
      [[2, 0], 0],
    ] as [Shape, number][]
  ).map(([shape, axis]) => ({ shapes: [shape], note: `axis=${axis}`, f: (x) => op(x!, axis) }));

export const REDUCE_ROWS = {
  // A polynomial in x: its VJP (products of the other elements) is checked again at order 2.
  prod: { f: (x) => prod(x!), domain: ['any'], order: 2, cases: reduceCases(prod) },
  // Random inputs never tie, so central differences see one maximum; ties are checked in spec/ops/reduce.spec.ts.
  max: { f: (x) => max(x!), domain: ['any'], order: 1, cases: reduceCases(max) },
  min: { f: (x) => min(x!), domain: ['any'], order: 1, cases: reduceCases(min) },
  logSumExp: { f: (x) => logSumExp(x!), domain: ['any'], order: 2, cases: reduceCases(logSumExp) },
  cumsum: { f: (x) => cumsum(x!), domain: ['any'], order: 1, cases: cumsumCases },
  softmax: { f: (x) => softmax(x!), domain: ['any'], order: 2, cases: axisCases(softmax) },
  logSoftmax: { f: (x) => logSoftmax(x!), domain: ['any'], order: 2, cases: axisCases(logSoftmax) },
} satisfies Rows;
