/**
 * Index arithmetic for strided reads: broadcasting, transposes, reductions.
 * Plain typed-array loops; nothing here knows about tensors or tapes.
 */
import type { TypedArray } from '../dtype.js';
import { sizeOf, stridesOf, type Shape } from '../shape.js';

/**
 * For each element of `outShape` (row-major), the offset of the element of an
 * array shaped `inShape` that it reads, where `inShape` broadcasts to
 * `outShape` (missing leading or size-1 dimensions read offset 0 along them).
 */
export function broadcastOffsets(inShape: Shape, outShape: Shape): Int32Array {
  const rank = outShape.length;
  const lead = rank - inShape.length;
  const inStrides = stridesOf(inShape);
  const strides = new Array<number>(rank);
  for (let d = 0; d < rank; d++) {
    strides[d] = d < lead || inShape[d - lead] === 1 ? 0 : inStrides[d - lead]!;
  }
  return stridedOffsets(strides, outShape);
}

/**
 * Offsets `sum_d index[d] * strides[d]` for every index of `shape` in
 * row-major order: the gather map of a strided view.
 */
export function stridedOffsets(strides: readonly number[], shape: Shape): Int32Array {
  const size = sizeOf(shape);
  const offsets = new Int32Array(size);
  const rank = shape.length;
  if (size === 0 || rank === 0) return offsets;
  const inner = shape[rank - 1]!;
  const innerStride = strides[rank - 1]!;
  const index = new Array<number>(rank).fill(0);
  let base = 0;
  for (let o = 0; o < size; o += inner) {
    let p = base;
    for (let j = 0; j < inner; j++, p += innerStride) offsets[o + j] = p;
    for (let d = rank - 2; d >= 0; d--) {
      base += strides[d]!;
      if (++index[d]! < shape[d]!) break;
      base -= strides[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return offsets;
}

/** `out[i] = x[offsets[i]]`. */
export function gather(x: TypedArray, offsets: Int32Array, out: TypedArray): void {
  for (let i = 0; i < offsets.length; i++) out[i] = x[offsets[i]!]!;
}

/**
 * Copies `x` (shaped `shape`) broadcast to `outShape` into `out`.
 *
 * @param x - The input elements, row-major.
 * @param shape - The shape of `x`.
 * @param out - The output array, of `outShape`'s size; written.
 * @param outShape - The shape to broadcast to.
 */
export function broadcastTo(x: TypedArray, shape: Shape, out: TypedArray, outShape: Shape): void {
  if (x.length === out.length) out.set(x);
  else if (x.length === 1) out.fill(x[0]!);
  else gather(x, broadcastOffsets(shape, outShape), out);
}

/**
 * Writes `x` (shaped `shape`) with its axes permuted by `perm` into `out`.
 *
 * @param x - The input elements, row-major.
 * @param shape - The shape of `x`.
 * @param perm - Output axis `i` is input axis `perm[i]`.
 * @param out - The output array, of `x`'s length; written.
 */
export function transpose(x: TypedArray, shape: Shape, perm: readonly number[], out: TypedArray): void {
  const inStrides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]!);
  if (shape.length === 2 && perm[0] === 1) {
    // The common matrix case, blocked so both sides stay in cache.
    const rows = shape[0]!;
    const cols = shape[1]!;
    const B = 32;
    for (let i0 = 0; i0 < rows; i0 += B) {
      const i1 = Math.min(rows, i0 + B);
      for (let j0 = 0; j0 < cols; j0 += B) {
        const j1 = Math.min(cols, j0 + B);
        for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) out[j * rows + i] = x[i * cols + j]!;
      }
    }
    return;
  }
  gather(
    x,
    stridedOffsets(
      perm.map((p) => inStrides[p]!),
      outShape,
    ),
    out,
  );
}
