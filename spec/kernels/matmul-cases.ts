/**
 * Shared by the matmul kernel specs: deterministic operand values and random
 * product cases (sizes, transposes, broadcast batch shapes).
 */
import fc from 'fast-check';

export type Float = 'float32' | 'float64';

/** Deterministic values in [-1, 1) with a few exact zeros and small integers mixed in. */
export function values(dtype: Float, size: number, seed: number): Float32Array | Float64Array {
  const out = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = i % 17 === 3 ? 0 : i % 23 === 5 ? (s % 5) - 2 : s / 2 ** 31 - 1;
  }
  return out;
}

export const sizeOf = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);

/** One batched product: `out[outBatch, m, n] = a[aBatch, m, k] @ b[bBatch, k, n]`, with optional transposes. */
export interface Case {
  dtype: Float;
  aBatch: readonly number[];
  bBatch: readonly number[];
  outBatch: readonly number[];
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

/** Random cases of `dtype` with sizes 1..maxDim, random transposes and one of five batch-broadcast patterns. */
export const caseArb = (dtype: Float, maxDim: number): fc.Arbitrary<Case> => {
  const dims = fc.integer({ min: 1, max: maxDim });
  return fc
    .record({
      dtype: fc.constant(dtype),
      m: dims,
      k: dims,
      n: dims,
      transposeA: fc.boolean(),
      transposeB: fc.boolean(),
      batch: fc.constantFrom(
        { aBatch: [], bBatch: [], outBatch: [] },
        { aBatch: [3], bBatch: [3], outBatch: [3] },
        { aBatch: [2, 1], bBatch: [3], outBatch: [2, 3] },
        { aBatch: [], bBatch: [2], outBatch: [2] },
        { aBatch: [1, 2], bBatch: [3, 1], outBatch: [3, 2] },
      ),
    })
    .map(({ batch, ...c }) => ({ ...c, ...batch }));
};
