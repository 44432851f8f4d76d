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
 * The start of both product shaders: the sizes from dims, and where this workgroup's matrices of A and B start, from
 * its batch index (group.z) unravelled over the output's batch shape, with 0 strides along broadcast axes.
 */
const BATCH_PRELUDE = /* wgsl */ `let m = dims[0];
  let k = dims[1];
  let n = dims[2];
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
  }`;

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
  ${BATCH_PRELUDE}
  let row = group.y * T + local.y;
  let col = group.x * T + local.x;
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

/** The side of the wide kernel's output tile: 16x16 invocations, each computing a 4x4 block. */
export const WIDE_TILE = 64;

/**
 * The matrix product for larger matrices (both sides at least {@link WIDE_TILE}): each workgroup computes a 64x64
 * output tile, each invocation a 4x4 block of it in registers, from 64x16 and 16x64 tiles of A and B staged in
 * workgroup memory (8 KiB), so that each value loaded from workgroup memory feeds four multiply-adds instead of one.
 * Same dims as MATMUL_SHADER.
 */
export const MATMUL_WIDE_SHADER = /* wgsl */ `
const TM = ${WIDE_TILE}u;
const TK = 16u;
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> dims: array<u32>;

// tileA[p * TM + i] = A(row0 + i, t + p); tileB[p * TM + j] = B(t + p, col0 + j).
var<workgroup> tileA: array<f32, ${WIDE_TILE * 16}>;
var<workgroup> tileB: array<f32, ${WIDE_TILE * 16}>;

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) local: vec3u, @builtin(workgroup_id) group: vec3u) {
  ${BATCH_PRELUDE}
  let row0 = group.y * TM;
  let col0 = group.x * TM;
  let tid = local.y * 16u + local.x;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var t = 0u; t < k; t += TK) {
    // 1,024 elements of each tile, four per invocation; out of range reads as 0.
    for (var r = 0u; r < 4u; r++) {
      let idx = tid + r * 256u;
      let i = idx / TK;
      let p = idx % TK;
      let gi = row0 + i;
      let gp = t + p;
      var va = 0.0;
      if (gi < m && gp < k) { va = a[aStart + gi * dims[3] + gp * dims[4]]; }
      tileA[p * TM + i] = va;
      let q = idx / TM;
      let j = idx % TM;
      let gq = t + q;
      let gj = col0 + j;
      var vb = 0.0;
      if (gq < k && gj < n) { vb = b[bStart + gq * dims[5] + gj * dims[6]]; }
      tileB[q * TM + j] = vb;
    }
    workgroupBarrier();
    for (var p = 0u; p < TK; p++) {
      let ai = p * TM + local.y * 4u;
      let bj = p * TM + local.x * 4u;
      let bv = vec4f(tileB[bj], tileB[bj + 1u], tileB[bj + 2u], tileB[bj + 3u]);
      acc0 += tileA[ai] * bv;
      acc1 += tileA[ai + 1u] * bv;
      acc2 += tileA[ai + 2u] * bv;
      acc3 += tileA[ai + 3u] * bv;
    }
    workgroupBarrier();
  }
  let base = group.z * m * n;
  let rows = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  for (var r = 0u; r < 4u; r++) {
    let i = row0 + local.y * 4u + r;
    if (i >= m) { break; }
    for (var c = 0u; c < 4u; c++) {
      let j = col0 + local.x * 4u + c;
      if (j < n) { out[base + i * n + j] = rows[r][c]; }
    }
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
      // Register tiles where both sides fill at least one wide tile; smaller products waste less with 16x16 tiles.
      const wide = m >= WIDE_TILE && n >= WIDE_TILE;
      const tile = wide ? WIDE_TILE : MATMUL_TILE;
      ctx.dispatch(
        wide ? 'matmul.wide' : 'matmul',
        () => (wide ? MATMUL_WIDE_SHADER : MATMUL_SHADER),
        [a, b, out],
        dims,
        [Math.ceil(n / tile), Math.ceil(m / tile), batch],
      );
    },
  };
}
