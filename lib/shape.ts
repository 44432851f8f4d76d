/**
 * Shape arithmetic: sizes, strides, NumPy broadcasting, axis normalisation.
 * Plain functions on number arrays; error messages are built only on failure.
 */
import { describeValue } from './format.js';

/** A tensor's dimensions, outermost first. */
export type Shape = readonly number[];

/** The number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let size = 1;
  for (let i = 0; i < shape.length; i++) size *= shape[i]!;
  return size;
}

/** Row-major strides of a shape, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= shape[i]!;
  }
  return strides;
}

/** Whether two shapes are identical. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `[2,3]` as written in error messages. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/**
 * Something given as a shape, as written in error messages: numbers as
 * themselves (`[NaN,Infinity]`, `[1.5]`), strings quoted, anything else in
 * the words of `describeValue`.
 */
export function describeShape(shape: unknown): string {
  const item = (d: unknown): string =>
    typeof d === 'number' || typeof d === 'boolean'
      ? String(d)
      : typeof d === 'string'
        ? JSON.stringify(d)
        : describeValue(d);
  return Array.isArray(shape) ? `[${shape.map(item).join(',')}]` : item(shape);
}

/**
 * The most elements a tensor holds: 2^32, the typed-array length limit of
 * V8 in Node 20 (`new Float32Array(2 ** 32 + 1)` throws "Invalid typed array
 * length"), and 4 GiB of bytes, all a WebAssembly memory addresses. Newer
 * engines allow longer typed arrays; tapegrad keeps one limit everywhere.
 */
export const MAX_SIZE = 4294967296;

/**
 * The error for a tensor of `size` elements (more than {@link MAX_SIZE}):
 * `what` says where the size comes from (`shape [1000000,1000000]`); `op`
 * is the function the caller called, when known.
 */
export function sizeError(op: string | undefined, what: string, size: number): RangeError {
  return new RangeError(
    `tapegrad${op === undefined ? '' : `.${op}`}: ${what} has ${size} elements, more than the ${MAX_SIZE} (2^32) a tensor can hold; ` +
      'split the work into smaller tensors',
  );
}

/**
 * The NumPy broadcast of two shapes: aligned from the right, each pair of
 * dimensions equal or one of them 1. Throws naming `op` and both shapes, or
 * the error `mismatch` builds when the caller can say more (built only on failure).
 */
export function broadcastShapes(op: string, a: Shape, b: Shape, mismatch?: () => Error): Shape {
  if (shapesEqual(a, b)) return a;
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  let size = 1;
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)]!;
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)]!;
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else {
      if (mismatch) throw mismatch();
      throw new Error(
        `tapegrad.${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast ` +
          `(dimension ${da} against ${db}); make each pair of trailing dimensions equal or 1`,
      );
    }
    size *= out[i]!;
  }
  // Two shapes that fit can broadcast to one that does not ([n,1] and [1,n]).
  if (size > MAX_SIZE) {
    throw sizeError(op, `broadcasting ${formatShape(a)} and ${formatShape(b)} gives ${formatShape(out)}, which`, size);
  }
  return out;
}

/**
 * The axes of `shape` that were broadcast to reach `target` (a broadcast of
 * `shape`): the leading axes `target` added, and those where `shape` has 1 and
 * `target` more. Summing a gradient of shape `target` over them and reshaping
 * to `shape` undoes the broadcast.
 */
export function broadcastAxes(shape: Shape, target: Shape): number[] {
  const lead = target.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < target.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && target[i] !== 1)) axes.push(i);
  }
  return axes;
}

/** Whether `shape` broadcasts to `target` (without changing `target`). */
export function broadcastsTo(shape: Shape, target: Shape): boolean {
  if (shape.length > target.length) return false;
  const lead = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d !== 1 && d !== target[i + lead]) return false;
  }
  return true;
}

/**
 * Normalises `axis` (a number, an array, negative values counting from the
 * end, or undefined for all axes) into sorted, unique, non-negative axes.
 */
export function normalizeAxes(op: string, axis: number | readonly number[] | undefined, rank: number): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  const seen = new Array<boolean>(rank).fill(false);
  for (const a of list) {
    if (!Number.isInteger(a) || a < -rank || a >= rank) {
      throw new RangeError(
        `tapegrad.${op}: axis ${String(a)} is out of range for a tensor of rank ${rank}; ` +
          `use an integer in [${-rank}, ${rank - 1}]`,
      );
    }
    const n = a < 0 ? a + rank : a;
    if (seen[n]) throw new RangeError(`tapegrad.${op}: axis ${n} is given twice in ${JSON.stringify(list)}`);
    seen[n] = true;
  }
  const axes: number[] = [];
  for (let i = 0; i < rank; i++) if (seen[i]) axes.push(i);
  return axes;
}

/** `shape` with the dimensions in `axes` removed (or set to 1 with keepDims). */
export function reducedShape(shape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepDims) out.push(1);
    } else out.push(shape[i]!);
  }
  return out;
}

/**
 * Checks that `shape` is a list of non-negative integers whose size a tensor
 * can hold (at most {@link MAX_SIZE} elements), naming `op`.
 */
export function checkShape(op: string, shape: unknown): asserts shape is Shape {
  let valid = Array.isArray(shape);
  let size = 1;
  for (let i = 0; valid && i < (shape as unknown[]).length; i++) {
    const d: unknown = (shape as unknown[])[i];
    if (Number.isInteger(d) && (d as number) >= 0) size *= d as number;
    else valid = false;
  }
  if (!valid) {
    throw new TypeError(`tapegrad.${op}: shape must be an array of non-negative integers, got ${describeShape(shape)}`);
  }
  if (size > MAX_SIZE) throw sizeError(op, `shape ${formatShape(shape as Shape)}`, size);
}
