/** Rows for convolutions, pooling and dropout. */
import type { Row } from './row.js';

export const NN_ROWS: readonly Row[] = [];
