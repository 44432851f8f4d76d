/**
 * The bodies of `GradientTape.jacobian` and `batchJacobian`: both replay one
 * pruned backward plan (lib/backprop.ts) once per seed, never rerunning the
 * forward pass; and batchJacobian's cross-row check.
 */
import { replay, type BackpropPlan } from './backprop.js';
import { zeros, zerosLike } from './creation.js';
import { allocate } from './dtype.js';
import { reshape, stack } from './ops/index.js';
import { unseededGenerator } from './random.js';
import { withoutRecording } from './recording.js';
import { formatShape } from './shape.js';
import type { UnconnectedGradients } from './tape-arguments.js';
import { Tensor } from './tensor.js';

/**
 * The Jacobian of `target` with respect to each of `sources` (shape
 * `[...target.shape, ...source.shape]`): one replay per target element, each
 * seeded one-hot. An unconnected source gives `undefined`, or zeros with
 * `unconnected` `'zero'`.
 */
export function jacobianOf(
  plan: BackpropPlan,
  target: Tensor,
  sources: readonly Tensor[],
  unconnected: UnconnectedGradients,
): (Tensor | undefined)[] {
  const n = target.size;
  const rowsOf = sources.map((): (Tensor | undefined)[] => []);
  if (plan.reached.has(target.id)) {
    for (let i = 0; i < n; i++) {
      const grads = replay(plan, [seedAt(target, i, 1)]);
      sources.forEach((s, k) => rowsOf[k]!.push(grads.get(s.id)));
    }
  }
  return sources.map((s, k) => {
    const shape = [...target.shape, ...s.shape];
    const rows = rowsOf[k]!;
    if (!rows.some((g) => g !== undefined)) {
      // Connected but with an empty target: a Jacobian with no elements.
      if (n === 0 && plan.reached.has(target.id) && plan.reached.has(s.id)) return zeros(shape, s.dtype);
      return unconnected === 'zero' ? zeros(shape, s.dtype) : undefined;
    }
    return reshape(stack(rows.map((g) => g ?? zerosLike(s))), shape);
  });
}

/**
 * The batch Jacobian (shape `[batch, ...target.shape.slice(1),
 * ...source.shape.slice(1)]`), or `undefined` when the target does not depend
 * on the source: one replay per element of a target row, seeding that element
 * in every row at once, then the cross-row check.
 */
export function batchJacobianOf(plan: BackpropPlan, target: Tensor, source: Tensor): Tensor | undefined {
  const batch = target.shape[0]!;
  const shape = [batch, ...target.shape.slice(1), ...source.shape.slice(1)];
  const perRow = batch === 0 ? 0 : target.size / batch;
  if (!plan.reached.has(target.id)) return undefined;
  const rows: (Tensor | undefined)[] = [];
  // Seed element j of every row at once: row b of the gradient is d target[b, j] / d source[b, ...]
  // as long as rows do not mix, which checkRowsIndependent verifies below.
  for (let j = 0; j < perRow; j++) rows.push(replay(plan, [seedAt(target, j, batch)]).get(source.id));
  if (!rows.some((g) => g !== undefined)) return batch * perRow === 0 ? zeros(shape, source.dtype) : undefined;
  const filled = rows.map((g) => g ?? zerosLike(source));
  withoutRecording(() => checkRowsIndependent(plan, target, source, filled));
  // perRow tensors [batch, ...S1] -> [batch, perRow, ...S1] -> [batch, ...T1, ...S1]
  return reshape(stack(filled, 1), shape);
}

/**
 * An output gradient for `target`: 1 at flat position `j` of each of `rows`
 * equal blocks (`rows` = 1: a one-hot seed), 0 elsewhere. A constant, so
 * outer tapes see the replay it seeds as linear in nothing they track.
 */
export function seedAt(target: Tensor, j: number, rows: number): Tensor {
  const values = allocate(target.dtype, target.size);
  const stride = target.size / rows;
  for (let b = 0; b < rows; b++) values[b * stride + j] = 1;
  return new Tensor(values, target.shape, target.dtype);
}

/**
 * Checks batchJacobian's premise, that row b of the target depends on row b
 * of the source only, with one extra reverse replay.
 *
 * The method: `rows[j]` is the gradient for the seed that is 1 at element j
 * of every target row, so its row b' is `sum_b J[b, j, b']` (J the full
 * Jacobian, source elements left implicit). Replay once more with random
 * weights `w[b, j]` in [1, 2): row b' of that gradient is
 * `H[b'] = sum_{b, j} w[b, j] J[b, j, b']`, while block-diagonal rows predict
 * `P[b'] = sum_j w[b', j] rows[j][b']`. Their difference is
 * `sum_{b != b', j} (w[b, j] - w[b', j]) J[b, j, b']`: zero when rows do not
 * mix, and a linear form in the random weights with a nonzero coefficient when
 * they do. Conditioned on the other weights it is spread uniformly over an
 * interval as wide as that coefficient `c`, so it falls within the rounding
 * tolerance `tol` (about 5e-4 of the entries' size in float32, 1e-10 in
 * float64) with probability at most `2 tol / |c|`: for a cross-row dependence
 * as large as the Jacobian's own entries, under 1e-3 in float32 for one mixed
 * entry (less when several entries mix) and about 1e-10 in float64;
 * dependences smaller than the tolerance go unnoticed. Non-finite values skip
 * the check. When it fires, a few more replays (one per target row, only on
 * this error path) name a target row that depends on the offending source row.
 */
export function checkRowsIndependent(
  plan: BackpropPlan,
  target: Tensor,
  source: Tensor,
  rows: readonly Tensor[],
): void {
  const batch = target.shape[0]!;
  // GPU rows cannot be read synchronously: on webgpu the premise goes unchecked, as TensorFlow's batch_jacobian
  // never checks it (docs/guides/gpu.md says so).
  if (batch < 2 || rows.some((r) => r.onGpu)) return;
  const perRow = rows.length;
  const sourceRow = source.size / batch;
  const w = allocate(target.dtype, target.size) as Float32Array | Float64Array;
  const rng = unseededGenerator(); // reproducible under setSeed, as every unseeded draw
  for (let k = 0; k < w.length; k++) w[k] = 1 + rng.next();
  const h = gradientRows(plan, target, source, w);
  const g = rows.map((r) => r.values);
  const rtol = target.dtype === 'float64' && source.dtype === 'float64' ? 1e-10 : 5e-4;
  const predicted = new Float64Array(source.size);
  const magnitude = new Float64Array(source.size);
  let scale = 0;
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < perRow; j++) {
      const wj = w[b * perRow + j]!;
      const gj = g[j]!;
      for (let s = b * sourceRow; s < (b + 1) * sourceRow; s++) {
        predicted[s] = predicted[s]! + wj * gj[s]!;
        magnitude[s] = magnitude[s]! + Math.abs(wj * gj[s]!);
      }
    }
  }
  for (let s = 0; s < source.size; s++) {
    if (!Number.isFinite(h[s]!) || !Number.isFinite(magnitude[s]!)) return;
    scale = Math.max(scale, magnitude[s]! + Math.abs(h[s]!));
  }
  const atol = rtol * 1e-3 * scale;
  let worst = -1;
  let worstExcess = 0;
  for (let s = 0; s < source.size; s++) {
    const excess = Math.abs(h[s]! - predicted[s]!) - (rtol * (magnitude[s]! + Math.abs(h[s]!)) + atol);
    if (excess > worstExcess) [worst, worstExcess] = [s, excess];
  }
  if (worst < 0) return;
  const sourceBatchRow = Math.floor(worst / sourceRow);
  let targetBatchRow = -1;
  for (let b = 0; b < batch && targetBatchRow < 0; b++) {
    if (b === sourceBatchRow) continue;
    const masked = allocate(target.dtype, target.size) as Float32Array | Float64Array;
    masked.set(w.subarray(b * perRow, (b + 1) * perRow), b * perRow);
    const hb = gradientRows(plan, target, source, masked);
    for (let s = sourceBatchRow * sourceRow; s < (sourceBatchRow + 1) * sourceRow; s++) {
      if (Math.abs(hb[s]!) > rtol * scale) targetBatchRow = b;
    }
  }
  const which = targetBatchRow < 0 ? 'another row' : `row ${targetBatchRow}`;
  throw new Error(
    `tapegrad.GradientTape.batchJacobian: ${which} of the target ${formatShape(target.shape)} depends on row ` +
      `${sourceBatchRow} of the source ${formatShape(source.shape)}, but batchJacobian needs row b of the target to ` +
      'depend on row b of the source only (dimension 0 must be a batch of independent rows); use jacobian() for the ' +
      'full Jacobian',
  );
}

/** The source's gradient values for the output gradient `seed` (zeros when unconnected). */
function gradientRows(plan: BackpropPlan, target: Tensor, source: Tensor, seed: Float32Array | Float64Array) {
  const g = replay(plan, [new Tensor(seed, target.shape, target.dtype)]).get(source.id);
  return g === undefined ? new Float64Array(source.size) : (g.values as Float32Array | Float64Array);
}
