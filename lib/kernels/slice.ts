/**
 * Strided windows, concatenation and tiling: the loops behind slice,
 * stridedSlice, reverse, pad, concat and tile. A window of an array shaped
 * `shape` is given per axis by its first index `begin[d]`, its step
 * `step[d]` (negative reads backward) and its length `size[d]`.
 */
import type { TypedArray } from '../dtype.js';
import { stridesOf, type Shape } from '../shape.js';
import { gather, stridedOffsets } from './layout.js';

/** The flat offset in an array shaped `shape` of each window element (row-major over `size`). */
function windowOffsets(shape: Shape, begin: readonly number[], step: readonly number[], size: Shape): Int32Array {
  const strides = stridesOf(shape);
  let base = 0;
  for (let d = 0; d < shape.length; d++) base += begin[d]! * strides[d]!;
  const offsets = stridedOffsets(
    step.map((s, d) => s * strides[d]!),
    size,
  );
  if (base !== 0) for (let i = 0; i < offsets.length; i++) offsets[i]! += base;
  return offsets;
}

/**
 * Copies the window of `x` (shaped `shape`) into `out`, which holds `size` row-major.
 *
 * @param x - The input elements, row-major.
 * @param shape - The shape of `x`.
 * @param begin - The window's first index along each axis.
 * @param step - The window's stride along each axis (negative walks backward).
 * @param size - The window's size along each axis.
 * @param out - The output array, of `size`'s size; written.
 */
export function stridedRead(
  x: TypedArray,
  shape: Shape,
  begin: readonly number[],
  step: readonly number[],
  size: Shape,
  out: TypedArray,
): void {
  if (out.length === 0) return;
  gather(x, windowOffsets(shape, begin, step, size), out);
}

/**
 * Writes `src` (shaped `size`) into the window of `out` (shaped `outShape`),
 * leaving the rest of `out` as it is. The window's elements are distinct, so
 * this is the adjoint of `stridedRead` on a zeroed `out`.
 *
 * @param src - The elements to write, row-major, shaped `size`.
 * @param out - The array to write into, shaped `outShape`; the rest of it is kept.
 * @param outShape - The shape of `out`.
 * @param begin - The window's first index along each axis.
 * @param step - The window's stride along each axis (negative walks backward).
 * @param size - The window's size along each axis.
 */
export function stridedWrite(
  src: TypedArray,
  out: TypedArray,
  outShape: Shape,
  begin: readonly number[],
  step: readonly number[],
  size: Shape,
): void {
  if (src.length === 0) return;
  const offsets = windowOffsets(outShape, begin, step, size);
  for (let i = 0; i < offsets.length; i++) out[offsets[i]!] = src[i]!;
}

/**
 * Concatenates arrays that each view as `[outer, inners[i]]` along their
 * second axis into `out`, shaped `[outer, sum(inners)]`.
 *
 * @param parts - The arrays to join, each viewed as `[outer, inners[i]]`.
 * @param inners - The size of each part's second axis.
 * @param outer - The size of the first axis, shared by all parts.
 * @param out - The output array, `[outer, sum(inners)]`; written.
 */
export function concat(parts: readonly TypedArray[], inners: readonly number[], outer: number, out: TypedArray): void {
  let total = 0;
  for (const inner of inners) total += inner;
  let column = 0;
  parts.forEach((part, i) => {
    const inner = inners[i]!;
    if (inner !== 0) {
      for (let o = 0; o < outer; o++) out.set(part.subarray(o * inner, (o + 1) * inner), o * total + column);
    }
    column += inner;
  });
}

/**
 * Writes `x` (shaped `shape`) repeated `reps[d]` times along each axis into
 * `out`. The output, viewed as `[reps[0], shape[0], reps[1], shape[1], ...]`,
 * reads `x` with stride 0 along every repetition axis.
 *
 * @param x - The input elements, row-major.
 * @param shape - The shape of `x`.
 * @param reps - How many times to repeat `x` along each axis.
 * @param out - The output array, of `shape[d] * reps[d]` along each axis; written.
 */
export function tile(x: TypedArray, shape: Shape, reps: readonly number[], out: TypedArray): void {
  if (out.length === 0) return;
  const { viewShape, viewStrides } = tileView(shape, reps);
  gather(x, stridedOffsets(viewStrides, viewShape), out);
}

/**
 * tile's output viewed as `[reps[0], shape[0], reps[1], shape[1], ...]`, with the strides that read `x` there: 0
 * along the repetitions, x's own along its axes (for the CPU and WebGPU kernels alike).
 */
export function tileView(shape: Shape, reps: readonly number[]): { viewShape: number[]; viewStrides: number[] } {
  const strides = stridesOf(shape);
  const viewShape: number[] = [];
  const viewStrides: number[] = [];
  shape.forEach((n, d) => {
    viewShape.push(reps[d]!, n);
    viewStrides.push(0, strides[d]!);
  });
  return { viewShape, viewStrides };
}
