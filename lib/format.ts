/**
 * Printing tensor values the way NumPy and TensorFlow do: nested brackets,
 * shortest round-trip digits for the dtype, long axes summarised with "...".
 */
import type { DType, TypedArray } from './dtype.js';
import type { Shape } from './shape.js';

/** Axes longer than this print only their first and last `EDGE_ITEMS` entries (when the tensor is large). */
const SUMMARY_THRESHOLD = 1000;
const EDGE_ITEMS = 3;

/** One element as text: the shortest digits that read back to the same float32 or float64; bool as true or false. */
export function formatNumber(value: number, dtype: DType): string {
  if (dtype === 'bool') return value ? 'true' : 'false';
  // Integers up to 2^24 are exact in float32, so their float64 digits are already the shortest.
  if (dtype !== 'float32' || !Number.isFinite(value) || (Number.isInteger(value) && Math.abs(value) <= 16777216)) {
    return String(value);
  }
  for (let digits = 1; digits <= 9; digits++) {
    const text = value.toPrecision(digits);
    if (Math.fround(Number(text)) === value) return String(Number(text));
  }
  return String(value);
}

/** The values of a tensor as nested brackets: `[[1, 2], [3, 4]]`. */
export function formatValues(values: TypedArray, shape: Shape, dtype: DType): string {
  const summarise = values.length > SUMMARY_THRESHOLD;
  const item = (i: number): string => formatNumber(values[i]!, dtype);
  const block = (axis: number, offset: number, stride: number): string => {
    if (axis === shape.length) return item(offset);
    const n = shape[axis]!;
    const inner = stride / (n || 1);
    const parts: string[] = [];
    const emit = (i: number): void => {
      parts.push(block(axis + 1, offset + i * inner, inner));
    };
    if (summarise && n > 2 * EDGE_ITEMS) {
      for (let i = 0; i < EDGE_ITEMS; i++) emit(i);
      parts.push('...');
      for (let i = n - EDGE_ITEMS; i < n; i++) emit(i);
    } else for (let i = 0; i < n; i++) emit(i);
    return `[${parts.join(', ')}]`;
  };
  return block(0, 0, values.length);
}

/**
 * A value that is not what an argument should be, in words for an error
 * message: `null`, `undefined`, `number`, `string`, `an array`, `an object`,
 * or the class of an instance (`Float32Array`, `Tensor`). Every error that
 * names a bad argument says it this way.
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value !== 'object') return typeof value;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : 'an object';
}
