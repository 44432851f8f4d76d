/**
 * Indexing along one axis: gather, its adjoint (a scatter that adds), and
 * one-hot encoding. The gathered array views as `[batch, outer, dim, inner]`
 * and the indices as `[batch, n]` (one list of indices per batch entry).
 */
import type { TypedArray } from '../dtype.js';

/**
 * `out[b, o, j, k] = x[b, o, indices[b, j], k]`, where `x` is
 * `[batch, outer, dim, inner]`, the indices `[batch, n]` and `out`
 * `[batch, outer, n, inner]`. The indices must be in `[0, dim)`.
 *
 * @param x - The input, `[batch, outer, dim, inner]`.
 * @param indices - The indices, `[batch, n]`, each in `[0, dim)`.
 * @param batch - The number of batch entries.
 * @param outer - The size of the axes before the gathered one (after the batch).
 * @param dim - The size of the gathered axis.
 * @param inner - The size of the axes after the gathered one.
 * @param out - The output array, `[batch, outer, n, inner]`; written.
 */
export function gatherAxis(
  x: TypedArray,
  indices: Int32Array,
  batch: number,
  outer: number,
  dim: number,
  inner: number,
  out: TypedArray,
): void {
  const n = batch === 0 ? 0 : indices.length / batch;
  let p = 0;
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outer; o++) {
      const base = (b * outer + o) * dim;
      for (let j = 0; j < n; j++) {
        const from = (base + indices[b * n + j]!) * inner;
        for (let k = 0; k < inner; k++) out[p++] = x[from + k]!;
      }
    }
  }
}

/**
 * The adjoint of `gatherAxis`: `out[b, o, indices[b, j], k] += dy[b, o, j, k]`,
 * where `out` (shaped `[batch, outer, dim, inner]`) starts at zero, so an
 * index that appears twice receives the sum of its gradients.
 *
 * @param dy - The gradient to scatter, `[batch, outer, n, inner]`.
 * @param indices - The indices, `[batch, n]`, each in `[0, dim)`.
 * @param batch - The number of batch entries.
 * @param outer - The size of the axes before the gathered one (after the batch).
 * @param dim - The size of the gathered axis.
 * @param inner - The size of the axes after the gathered one.
 * @param out - The result, `[batch, outer, dim, inner]`; written (zeroed first).
 */
export function scatterAddAxis(
  dy: TypedArray,
  indices: Int32Array,
  batch: number,
  outer: number,
  dim: number,
  inner: number,
  out: TypedArray,
): void {
  const n = batch === 0 ? 0 : indices.length / batch;
  out.fill(0);
  let p = 0;
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outer; o++) {
      const base = (b * outer + o) * dim;
      for (let j = 0; j < n; j++) {
        const to = (base + indices[b * n + j]!) * inner;
        for (let k = 0; k < inner; k++) out[to + k]! += dy[p++]!;
      }
    }
  }
}

/**
 * `out[i, j] = indices[i] === j ? onValue : offValue` for `j` in `[0, depth)`;
 * an index outside that range gives a row of `offValue`.
 *
 * @param indices - The class of each row.
 * @param depth - The number of classes (the row length).
 * @param onValue - The value at each row's index.
 * @param offValue - The value everywhere else.
 * @param out - The output array, `[indices.length, depth]`; written.
 */
export function oneHot(indices: Int32Array, depth: number, onValue: number, offValue: number, out: TypedArray): void {
  out.fill(offValue);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    if (j >= 0 && j < depth) out[i * depth + j] = onValue;
  }
}
