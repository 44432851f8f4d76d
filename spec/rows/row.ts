/**
 * The gradient-check table's row type and shared shape cases. Each family of
 * ops keeps its rows in its own file here, keyed by op name; `index.ts` joins
 * them into a table the compiler checks has a row for every differentiable
 * op, and spec/gradients.spec.ts (reverse mode) checks every row.
 */
import { matmul, sum, type CheckGradientsOptions, type Shape, type Tensor } from '../../lib/index.js';
import type { DifferentiableOpName } from '../../lib/op.js';
import type { Domain } from '../support/inputs.js';

export type Fn = (...xs: Tensor[]) => Tensor;

export interface Case {
  /** One shape per input of f. */
  readonly shapes: readonly Shape[];
  /** What else distinguishes the case (axes, transposes, ...). */
  readonly note?: string;
  /** f for this case, when the row's needs attributes. */
  readonly f?: Fn;
  /** Domains for this case's inputs, when not the row's. */
  readonly domain?: readonly Domain[];
}

/** One op's row, as a row file writes it under the op's name. */
export interface RowSpec {
  readonly f: Fn;
  /** One domain per input. */
  readonly domain: readonly Domain[];
  readonly order: 1 | 2;
  readonly cases: readonly Case[];
  readonly options?: CheckGradientsOptions;
}

/** A row as the specs sweep it: with the op's name in the registry. */
export interface Row extends RowSpec {
  readonly op: DifferentiableOpName;
}

/** A row file's rows: some differentiable ops' (a name that is not one does not compile). */
export type Rows = { readonly [N in DifferentiableOpName]?: RowSpec };

export const shapes = (...list: Shape[][]): Case[] => list.map((s) => ({ shapes: s }));

export const UNARY: Case[] = shapes([[]], [[3]], [[2, 3]], [[2, 1, 3]], [[0, 2]]);

export const BINARY: Case[] = shapes(
  [
    [2, 3],
    [2, 3],
  ],
  [[2, 3], [3]],
  [
    [2, 1],
    [1, 3],
  ],
  [[], [2, 2]],
  [[2, 2], []],
  [
    [1, 3, 1],
    [2, 1, 4],
  ],
  [[4, 1, 3], [1]],
  [[0, 3], [3]],
);

/** matmul with the given transposes, as a case f. */
export const mm =
  (transposeA: boolean, transposeB: boolean): Fn =>
  (a, b) =>
    matmul(a!, b!, transposeA, transposeB);

export const mmCase = (a: Shape, b: Shape, ta = false, tb = false): Case => ({
  shapes: [a, b],
  note: `transposeA=${ta} transposeB=${tb}`,
  f: mm(ta, tb),
});

/** A reduction case: `op(x, axis, keepDims)` on one shape. */
export const reduceCases = (op: typeof sum): Case[] =>
  (
    [
      [[2, 3, 4], undefined, false],
      [[2, 3, 4], undefined, true],
      [[2, 3, 4], 1, false],
      [[2, 3, 4], -1, true],
      [[2, 3, 4], [0, 2], false],
      [[2, 3, 4], [-1, -3], true],
      [[2, 1, 3], 1, false],
      [[], undefined, false],
      [[0, 3], 1, false],
    ] as [Shape, number | number[] | undefined, boolean][]
  ).map(([shape, axis, keepDims]) => ({
    shapes: [shape],
    note: `axis=${JSON.stringify(axis)} keepDims=${keepDims}`,
    f: (x) => op(x!, axis, keepDims),
  }));
