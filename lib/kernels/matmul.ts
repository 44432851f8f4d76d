/**
 * Batched matrix product with broadcast batch dimensions. The reference
 * kernel: row-major i-k-j loops with a float64 accumulator row.
 */
import type { TypedArray } from '../dtype.js';
import type { Shape } from '../shape.js';
import { broadcastOffsets, transpose } from './layout.js';

/**
 * `out[b] = op(a[b]) @ op(b[b])` for each batch index, where `op` transposes
 * the last two axes when asked. `aBatch`/`bBatch` are the inputs' batch
 * shapes and `outBatch` their broadcast; `m`, `k`, `n` are the product's sizes.
 */
export function matmul(
  a: TypedArray,
  aBatch: Shape,
  b: TypedArray,
  bBatch: Shape,
  outBatch: Shape,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
  out: TypedArray,
): void {
  const aMat = m * k;
  const bMat = k * n;
  const aOff = broadcastOffsets(aBatch, outBatch);
  const bOff = broadcastOffsets(bBatch, outBatch);
  // Materialise transposed operands once per batch matrix: O(n^2) next to the O(n^3) product.
  const aT = transposeA ? new Float64Array(aMat) : undefined;
  const bT = transposeB ? new Float64Array(bMat) : undefined;
  const row = new Float64Array(n);
  for (let batch = 0; batch < aOff.length; batch++) {
    let A: TypedArray = a;
    let aBase = aOff[batch]! * aMat;
    if (aT) {
      transpose(a.subarray(aBase, aBase + aMat), [k, m], [1, 0], aT);
      A = aT;
      aBase = 0;
    }
    let B: TypedArray = b;
    let bBase = bOff[batch]! * bMat;
    if (bT) {
      transpose(b.subarray(bBase, bBase + bMat), [n, k], [1, 0], bT);
      B = bT;
      bBase = 0;
    }
    const outBase = batch * m * n;
    for (let i = 0; i < m; i++) {
      row.fill(0);
      const aRow = aBase + i * k;
      for (let p = 0; p < k; p++) {
        const aip = A[aRow + p]!;
        const bRow = bBase + p * n;
        for (let j = 0; j < n; j++) row[j] += aip * B[bRow + j]!;
      }
      const o = outBase + i * n;
      for (let j = 0; j < n; j++) out[o + j] = row[j]!;
    }
  }
}
