/**
 * The whole gradient-check table: one row per differentiable op, by family.
 * `GRADIENT_ROWS` must have a row for every differentiable op of the registry
 * (lib/op.ts's `Ops`): a new op without one does not compile.
 */
import type { DifferentiableOpName } from '../../lib/op.js';
import { CORE_ROWS } from './core.js';
import { CUSTOM_ROWS } from './custom.js';
import { ELEMENTWISE_ROWS } from './elementwise.js';
import { NN_ROWS } from './nn.js';
import { REDUCE_ROWS } from './reduce.js';
import type { Row, RowSpec } from './row.js';
import { SHAPE_ROWS } from './shape.js';

export type { Case, Fn, Row } from './row.js';

export const GRADIENT_ROWS = {
  ...CORE_ROWS,
  ...ELEMENTWISE_ROWS,
  ...REDUCE_ROWS,
  ...SHAPE_ROWS,
  ...NN_ROWS,
  ...CUSTOM_ROWS,
} satisfies { readonly [N in DifferentiableOpName]: RowSpec };

/** The row files' tables, for the spec's check that no op has rows in two of them (a spread keeps only the last). */
export const ROW_FILES: readonly object[] = [
  CORE_ROWS,
  ELEMENTWISE_ROWS,
  REDUCE_ROWS,
  SHAPE_ROWS,
  NN_ROWS,
  CUSTOM_ROWS,
];

/** The rows as a list, each with its op's name. */
export const ROWS: readonly Row[] = (Object.keys(GRADIENT_ROWS) as DifferentiableOpName[]).map((op) => ({
  op,
  ...GRADIENT_ROWS[op],
}));
