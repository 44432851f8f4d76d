/// <reference types="@webgpu/types" />
import type { Kernels } from '../index.js';
import type { OnArrays } from '../storage.js';
import type { GpuArray } from './buffers.js';
import type { GpuContext } from './context.js';

/**
 * The WGSL matrix product: 16x16 output tiles, each workgroup staging 16x16 tiles of A and B in workgroup memory,
 * batched over the z axis of the dispatch with broadcast batch axes, and transposes read through strides (no
 * transposed copy is made), as the CPU kernel's signature asks.
 */

/** The side of an output tile, and of the tiles of A and B staged in workgroup memory. */
export const MATMUL_TILE = 16;

/**
 * dims = [m, k, n, aRow, aCol, bRow, bCol, batchRank, outBatch[batchRank], aBatchStrides[batchRank],
 * bBatchStrides[batchRank]]: element (i, p) of a matrix of A is at aRow i + aCol p from its start, and a batch's
 * matrices start at the sum of its index times the batch strides (0 along broadcast axes).
 */
export const MATMUL_SHADER = /* wgsl */ `
const T = ${MATMUL_TILE}u;
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> dims: array<u32>;

var<workgroup> tileA: array<array<f32, ${MATMUL_TILE}>, ${MATMUL_TILE}>;
var<workgroup> tileB: array<array<f32, ${MATMUL_TILE}>, ${MATMUL_TILE}>;

@compute @workgroup_size(${MATMUL_TILE}, ${MATMUL_TILE})
fn main(@builtin(local_invocation_id) local: vec3u, @builtin(workgroup_id) group: vec3u) {
  let m = dims[0];
  let k = dims[1];
  let n = dims[2];
  let row = group.y * T + local.y;
  let col = group.x * T + local.x;
  // This batch's matrices: unravel the batch index over the output's batch shape.
  let batchRank = dims[7];
  var rest = group.z;
  var aStart = 0u;
  var bStart = 0u;
  for (var d = batchRank; d > 0u; d--) {
    let size = dims[7u + d];
    let c = rest % size;
    rest = rest / size;
    aStart += c * dims[7u + batchRank + d];
    bStart += c * dims[7u + 2u * batchRank + d];
  }
  var sum = 0.0;
  for (var t = 0u; t < k; t += T) {
    // Each invocation stages one element of A's tile (row, t + local.x) and one of B's (t + local.y, col).
    let p = t + local.x;
    if (row < m && p < k) {
      tileA[local.y][local.x] = a[aStart + row * dims[3] + p * dims[4]];
    } else {
      tileA[local.y][local.x] = 0.0;
    }
    let q = t + local.y;
    if (q < k && col < n) {
      tileB[local.y][local.x] = b[bStart + q * dims[5] + col * dims[6]];
    } else {
      tileB[local.y][local.x] = 0.0;
    }
    workgroupBarrier();
    for (var j = 0u; j < T; j++) {
      sum += tileA[local.y][j] * tileB[j][local.x];
    }
    workgroupBarrier();
  }
  if (row < m && col < n) {
    out[group.z * m * n + row * n + col] = sum;
  }
}`;

/** The dims array (meta in WGSL is a reserved word) for a product of `batch` matrices, as the shader reads it (see MATMUL_SHADER). */
export function matmulMeta(
  aBatch: readonly number[],
  bBatch: readonly number[],
  outBatch: readonly number[],
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): Uint32Array {
  // A is [m, k] ([k, m] when transposed) and B is [k, n] ([n, k] when transposed), row-major.
  const [aRow, aCol] = transposeA ? [1, m] : [k, 1];
  const [bRow, bCol] = transposeB ? [1, k] : [n, 1];
  const rank = outBatch.length;
  return Uint32Array.from([
    m,
    k,
    n,
    aRow,
    aCol,
    bRow,
    bCol,
    rank,
    ...outBatch,
    ...batchStrides(aBatch, outBatch, m * k),
    ...batchStrides(bBatch, outBatch, k * n),
  ]);
}

/** Strides, in elements, of an operand's batch axes read as `outBatch` (right-aligned), 0 where it broadcasts. */
function batchStrides(batch: readonly number[], outBatch: readonly number[], matrix: number): number[] {
  const lead = outBatch.length - batch.length;
  const strides = new Array<number>(outBatch.length).fill(0);
  let stride = matrix;
  for (let d = batch.length - 1; d >= 0; d--) {
    if (batch[d] !== 1) strides[d + lead] = stride;
    stride *= batch[d]!;
  }
  return strides;
}

/** The matmul kernel on GPU arrays (float32), with the CPU kernel's arguments; writes `out`. */
export function gpuMatmul(ctx: GpuContext): { matmul: OnArrays<Kernels['matmul'], GpuArray> } {
  return {
    matmul(a, aBatch, b, bBatch, outBatch, m, k, n, transposeA, transposeB, out) {
      if (a.dtype !== 'float32' || b.dtype !== 'float32') {
        throw new TypeError(`tapegrad.webgpu.matmul: float32 only on the GPU, got ${a.dtype} and ${b.dtype}`);
      }
      const batch = outBatch.reduce((p, s) => p * s, 1);
      if (batch > 65535) {
        throw new RangeError(
          `tapegrad.webgpu.matmul: ${batch} matrices in a batch; the GPU kernel takes at most 65,535`,
        );
      }
      if (batch * m * n === 0) return;
      const dims = matmulMeta(aBatch, bBatch, outBatch, m, k, n, transposeA, transposeB);
      ctx.dispatch('matmul', () => MATMUL_SHADER, [a, b, out], dims, [
        Math.ceil(n / MATMUL_TILE),
        Math.ceil(m / MATMUL_TILE),
        batch,
      ]);
    },
  };
}
