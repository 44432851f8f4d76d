/** Rows for reductions, cumsum, softmax/logSoftmax and losses. */
import type { Row } from './row.js';

export const REDUCE_ROWS: readonly Row[] = [];
