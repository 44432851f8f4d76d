/** The whole gradient-check table: one row per differentiable op, by family. */
import { CORE_ROWS } from './core.js';
import { CUSTOM_ROWS } from './custom.js';
import { ELEMENTWISE_ROWS } from './elementwise.js';
import { NN_ROWS } from './nn.js';
import { REDUCE_ROWS } from './reduce.js';
import type { Row } from './row.js';
import { SHAPE_ROWS } from './shape.js';

export type { Case, Fn, Row } from './row.js';

export const ROWS: readonly Row[] = [
  ...CORE_ROWS,
  ...ELEMENTWISE_ROWS,
  ...REDUCE_ROWS,
  ...SHAPE_ROWS,
  ...NN_ROWS,
  ...CUSTOM_ROWS,
];
