/** Rows for shape ops: concat, slice, gather, pad, tile, ... */
import type { Row } from './row.js';

export const SHAPE_ROWS: readonly Row[] = [];
