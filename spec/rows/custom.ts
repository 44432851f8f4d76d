/**
 * Rows for `customGradient`, the one op every custom function records as:
 * custom functions whose rules (written in ops, from the inputs) are the true
 * derivatives, so central differences check the rule and, at order 2, the
 * rule's own VJP through nested tapes.
 */
import { customGradient, div, exp, log, mul, pow, square, sum, type SaveFunc, type Tensor } from '../../lib/index.js';
import { BINARY, UNARY, type Case, type Rows } from './row.js';

/** x^3, with the rule 3 x^2 dy from the saved input. */
const cube = customGradient(function cube(x: Tensor, save: SaveFunc) {
  save([x]);
  return { value: pow(x, 3), gradFunc: (dy: Tensor, [s]: Tensor[]) => [mul(dy, mul(square(s!), 3))] };
});

/** a * b, broadcasting; the rule returns gradients in the broadcast shape, which the tape sums back. */
const product = customGradient((a: Tensor, b: Tensor) => ({
  value: mul(a, b),
  gradFunc: (dy) => [mul(dy, b), mul(dy, a)],
}));

/** log(sum(exp(x), axis)): its rule is dy times the softmax along the axis. */
const logSumExp = (axis: number | undefined, keepDims: boolean) =>
  customGradient(function logSumExp(x: Tensor) {
    return {
      value: log(sum(exp(x), axis, keepDims)),
      gradFunc: (dy: Tensor) => {
        const e = exp(x);
        const spread = keepDims || axis === undefined ? dy : dy.reshape(keptShape(x.shape, axis));
        return [mul(spread, div(e, sum(e, axis, true)))];
      },
    };
  });

const keptShape = (shape: readonly number[], axis: number): number[] =>
  shape.map((d, i) => (i === (axis < 0 ? axis + shape.length : axis) ? 1 : d));

const lseCase = (shape: number[], axis: number | undefined, keepDims: boolean): Case => {
  const f = logSumExp(axis, keepDims);
  return { shapes: [shape], note: `logSumExp axis=${String(axis)} keepDims=${keepDims}`, f: (x) => f(x!) };
};

export const CUSTOM_ROWS = {
  customGradient: {
    f: (x) => cube(x!),
    domain: ['any'],
    order: 2,
    cases: [
      ...UNARY.map((c) => ({ ...c, note: 'cube' })),
      ...BINARY.map((c) => ({
        ...c,
        note: 'product',
        f: (a?: Tensor, b?: Tensor) => product(a!, b!),
        domain: ['any', 'any'] as const,
      })),
      lseCase([2, 3], undefined, false),
      lseCase([2, 3], -1, false),
      lseCase([2, 3, 4], 1, true),
      lseCase([1, 3], 0, false),
    ],
  },
} satisfies Rows;
