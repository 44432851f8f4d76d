/**
 * The reference matmul kernel reads transposed operands through strides;
 * this pins it, bit for bit, to a naive product of explicitly transposed
 * matrices that sums each element's products in k order in float64.
 */
import fc from 'fast-check';
import { referenceKernels } from '../../lib/kernels/index.js';
import type { TypedArray } from '../../lib/dtype.js';

/** op(x) for a rows x cols matrix stored transposed (cols x rows) when `t`. */
function element(x: TypedArray, base: number, t: boolean, rows: number, cols: number, r: number, c: number): number {
  return t ? x[base + c * rows + r]! : x[base + r * cols + c]!;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);

describe('the reference matmul kernel', () => {
  test('equals a naive product of explicitly transposed operands, bit for bit, with broadcast batches', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom('float32', 'float64', 'int32'),
        fc.constantFrom<[number[], number[], number[], number[], number[]]>(
          // aBatch, bBatch, outBatch, and each output batch's a and b matrix indices
          [[], [], [], [0], [0]],
          [[2], [1], [2], [0, 1], [0, 0]],
          [[2, 1], [3], [2, 3], [0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2]],
        ),
        fc.nat(1000),
        (m, k, n, ta, tb, dtype, [aBatch, bBatch, outBatch, ai, bi], seed) => {
          const make = (size: number, s: number) => {
            const x =
              dtype === 'float32'
                ? new Float32Array(size)
                : dtype === 'float64'
                  ? new Float64Array(size)
                  : new Int32Array(size);
            for (let i = 0; i < size; i++)
              x[i] = dtype === 'int32' ? ((i * 7 + s) % 11) - 5 : Math.sin(i * 12.9898 + s) * 3;
            return x;
          };
          const a = make(sizeOf(aBatch) * m * k, seed);
          const b = make(sizeOf(bBatch) * k * n, seed + 1);
          const out = make(sizeOf(outBatch) * m * n, 0).fill(NaN);
          referenceKernels.matmul(a, aBatch, b, bBatch, outBatch, m, k, n, ta, tb, out);
          const naive = out.map(() => NaN);
          for (let batch = 0; batch < ai.length; batch++) {
            for (let i = 0; i < m; i++) {
              for (let j = 0; j < n; j++) {
                let acc = 0;
                for (let p = 0; p < k; p++) {
                  acc +=
                    element(a, ai[batch]! * m * k, ta, m, k, i, p) * element(b, bi[batch]! * k * n, tb, k, n, p, j);
                }
                naive[(batch * m + i) * n + j] = acc;
              }
            }
          }
          expect(out).toEqual(naive);
        },
      ),
      { numRuns: 200 },
    );
  });
});
