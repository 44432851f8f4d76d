/**
 * Batched matrix product with broadcast batch dimensions. The reference
 * kernel: row-major loops summing each element's products in k order in
 * float64, reading transposed operands through strides.
 */
import type { TypedArray } from '../dtype.js';
import type { Shape } from '../shape.js';
import { broadcastOffsets } from './layout.js';

/**
 * `out[b] = op(a[b]) @ op(b[b])` for each batch index, where `op` transposes
 * the last two axes when asked. `aBatch`/`bBatch` are the inputs' batch
 * shapes and `outBatch` their broadcast; `m`, `k`, `n` are the product's sizes.
 *
 * @param a - The left operand's elements: `[...aBatch, m, k]` (`[..., k, m]` when `transposeA`).
 * @param aBatch - The left operand's batch shape.
 * @param b - The right operand's elements: `[...bBatch, k, n]` (`[..., n, k]` when `transposeB`).
 * @param bBatch - The right operand's batch shape.
 * @param outBatch - The broadcast of `aBatch` and `bBatch`.
 * @param m - The number of rows of the product.
 * @param k - The inner (summed) size.
 * @param n - The number of columns of the product.
 * @param transposeA - Read `a`'s last two axes swapped.
 * @param transposeB - Read `b`'s last two axes swapped.
 * @param out - The output array, `[...outBatch, m, n]`; written.
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
  // Transposes are read through strides, never materialised. Each element sums
  // its k products in order in float64, whichever loop form computes it.
  const aRowStride = transposeA ? 1 : k;
  const aStepStride = transposeA ? m : 1;
  const row = new Float64Array(n);
  for (let batch = 0; batch < aOff.length; batch++) {
    const aBase = aOff[batch]! * aMat;
    const bBase = bOff[batch]! * bMat;
    const outBase = batch * m * n;
    for (let i = 0; i < m; i++) {
      const aRow = aBase + i * aRowStride;
      const o = outBase + i * n;
      if (transposeB) {
        // B(p, j) = b[j*k + p]: a dot product of two runs along p.
        for (let j = 0; j < n; j++) {
          const bCol = bBase + j * k;
          let acc = 0;
          for (let p = 0; p < k; p++) acc += a[aRow + p * aStepStride]! * b[bCol + p]!;
          out[o + j] = acc;
        }
      } else {
        // i-p-j: row i of the result accumulates p-scaled rows of B.
        row.fill(0);
        for (let p = 0; p < k; p++) {
          const aip = a[aRow + p * aStepStride]!;
          const bRow = bBase + p * n;
          for (let j = 0; j < n; j++) row[j]! += aip * b[bRow + j]!;
        }
        for (let j = 0; j < n; j++) out[o + j] = row[j]!;
      }
    }
  }
}
