/** Rows for element-wise math, binary ops and clipByValue. */
import type { Row } from './row.js';

export const ELEMENTWISE_ROWS: readonly Row[] = [];
