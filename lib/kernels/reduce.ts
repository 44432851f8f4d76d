/**
 * Reductions over any set of axes. Sums accumulate in float64, whatever the
 * storage type, so a float32 sum of a million elements keeps its digits.
 */
import type { TypedArray } from '../dtype.js';
import { stridesOf, type Shape } from '../shape.js';
import { stridedOffsets } from './layout.js';

/**
 * Names of the reduction kernels. `all` and `any` treat nonzero as true and
 * write 1 or 0; `logSumExp` is `log(sum(exp(x)))`, shifted by the finite maximum.
 */
export type ReduceKernel = 'sum' | 'mean' | 'max' | 'min' | 'prod' | 'all' | 'any' | 'logSumExp';

const INITIAL: Record<'sum' | 'max' | 'min', number> = { sum: 0, max: -Infinity, min: Infinity };

/** Accumulation step and start of the reductions without a hand-inlined loop. */
const FOLD = {
  prod: { init: 1, step: (acc: number, v: number) => acc * v },
  all: { init: 1, step: (acc: number, v: number) => (v === 0 ? 0 : acc) },
  any: { init: 0, step: (acc: number, v: number) => (v !== 0 ? 1 : acc) },
} satisfies Record<string, { init: number; step: (acc: number, v: number) => number }>;

/**
 * Reduces `x` (shaped `shape`) over the sorted, unique `axes` into `out`,
 * which holds one element per position of the kept axes (row-major).
 *
 * @param kernel - The reduction: `sum`, `mean`, `max`, `min`, `prod`, `all`, `any` or `logSumExp`.
 * @param x - The input elements, row-major.
 * @param shape - The shape of `x`.
 * @param axes - The axes to reduce, sorted and unique.
 * @param out - The output array, one element per position of the kept axes; written.
 */
export function reduce(
  kernel: ReduceKernel,
  x: TypedArray,
  shape: Shape,
  axes: readonly number[],
  out: TypedArray,
): void {
  if (kernel === 'prod' || kernel === 'all' || kernel === 'any') {
    fold(FOLD[kernel], x, shape, axes, out);
    return;
  }
  if (kernel === 'logSumExp') {
    logSumExp(x, shape, axes, out);
    return;
  }
  // A mean is a sum divided once, in float64, before the result is stored.
  const op = kernel === 'mean' ? 'sum' : kernel;
  const acc = new Float64Array(out.length).fill(INITIAL[op]);
  const n = x.length;
  const m = out.length;
  if (m === 1) {
    acc[0] = reduceRange(op, x, 0, n, acc[0]!);
  } else if (isTrailing(axes, shape.length)) {
    // The reduced axes are the last ones: each output reads a contiguous block.
    const block = n / m;
    for (let o = 0; o < m; o++) acc[o] = reduceRange(op, x, o * block, block, acc[o]!);
  } else if (isLeading(axes)) {
    // The reduced axes are the first ones (a bias's gradient, summed over the batch): input block
    // b holds one element for every output, in order. Each output still sums in row-major order.
    for (let start = 0; start < n; start += m) {
      if (op === 'sum') for (let o = 0; o < m; o++) acc[o]! += x[start + o]!;
      else if (op === 'max') {
        for (let o = 0; o < m; o++) {
          const v = x[start + o]!;
          if (v > acc[o]! || Number.isNaN(v)) acc[o] = v;
        }
      } else {
        for (let o = 0; o < m; o++) {
          const v = x[start + o]!;
          if (v < acc[o]! || Number.isNaN(v)) acc[o] = v;
        }
      }
    }
  } else {
    const slot = slotsOf(shape, axes);
    if (op === 'sum') for (let i = 0; i < n; i++) acc[slot[i]!]! += x[i]!;
    else if (op === 'max') {
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        const s = slot[i]!;
        if (v > acc[s]! || Number.isNaN(v)) acc[s] = v;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        const s = slot[i]!;
        if (v < acc[s]! || Number.isNaN(v)) acc[s] = v;
      }
    }
  }
  if (kernel === 'mean') {
    const count = n / m;
    for (let o = 0; o < m; o++) acc[o] = acc[o]! / count;
  }
  out.set(acc);
}

function isLeading(axes: readonly number[]): boolean {
  for (let i = 0; i < axes.length; i++) if (axes[i] !== i) return false;
  return true;
}

function isTrailing(axes: readonly number[], rank: number): boolean {
  for (let i = 0; i < axes.length; i++) if (axes[i] !== rank - axes.length + i) return false;
  return true;
}

function reduceRange(op: 'sum' | 'max' | 'min', x: TypedArray, start: number, count: number, init: number): number {
  let acc = init;
  const end = start + count;
  if (op === 'sum') for (let i = start; i < end; i++) acc += x[i]!;
  else if (op === 'max') {
    for (let i = start; i < end; i++) if (x[i]! > acc || Number.isNaN(x[i]!)) acc = x[i]!;
  } else for (let i = start; i < end; i++) if (x[i]! < acc || Number.isNaN(x[i]!)) acc = x[i]!;
  return acc;
}

/** For every input element (row-major), its output slot: the output's strides, with 0 on reduced axes. */
function slotsOf(shape: Shape, axes: readonly number[]): Int32Array {
  const keptStrides = stridesOf(shape.map((d, i) => (axes.includes(i) ? 1 : d)));
  const strides = shape.map((_, i) => (axes.includes(i) ? 0 : keptStrides[i]!));
  return stridedOffsets(strides, shape);
}

function fold(
  { init, step }: { init: number; step: (acc: number, v: number) => number },
  x: TypedArray,
  shape: Shape,
  axes: readonly number[],
  out: TypedArray,
): void {
  const acc = new Float64Array(out.length).fill(init);
  const n = x.length;
  if (out.length === 1) {
    let a = init;
    for (let i = 0; i < n; i++) a = step(a, x[i]!);
    acc[0] = a;
  } else {
    const slot = slotsOf(shape, axes);
    for (let i = 0; i < n; i++) acc[slot[i]!] = step(acc[slot[i]!]!, x[i]!);
  }
  out.set(acc);
}

/**
 * `log(sum(exp(x)))` over `axes`: `m + log(sum(exp(x - m)))` with `m` the
 * maximum when it is finite (else 0, so that +Infinity gives +Infinity and
 * an all -Infinity or empty set gives -Infinity instead of NaN).
 */
function logSumExp(x: TypedArray, shape: Shape, axes: readonly number[], out: TypedArray): void {
  const m = out.length;
  const shift = new Float64Array(m);
  reduce('max', x, shape, axes, shift);
  for (let o = 0; o < m; o++) if (!Number.isFinite(shift[o]!)) shift[o] = 0;
  const acc = new Float64Array(m);
  const n = x.length;
  if (m === 1) {
    const s = shift[0]!;
    for (let i = 0; i < n; i++) acc[0]! += Math.exp(x[i]! - s);
  } else {
    const slot = slotsOf(shape, axes);
    for (let i = 0; i < n; i++) acc[slot[i]!]! += Math.exp(x[i]! - shift[slot[i]!]!);
  }
  for (let o = 0; o < m; o++) acc[o] = shift[o]! + Math.log(acc[o]!);
  out.set(acc);
}

/**
 * The index of the largest (`max`) or smallest (`min`) element along `axis`,
 * the first one on ties; a NaN counts as the extreme, as in the max kernel.
 * `out` holds one index per position of the other axes.
 *
 * @param kind - `max` for the largest element, `min` for the smallest.
 * @param x - The input elements, row-major.
 * @param shape - The shape of `x`.
 * @param axis - The axis to search along (non-negative).
 * @param out - The output array, one index per position of the other axes; written.
 */
export function argReduce(kind: 'max' | 'min', x: TypedArray, shape: Shape, axis: number, out: Int32Array): void {
  const n = shape[axis]!;
  const inner = stridesOf(shape)[axis]!;
  const outer = out.length / Math.max(1, inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const base = o * n * inner + k;
      let best = 0;
      let bestValue = x[base]!;
      for (let j = 1; j < n && !Number.isNaN(bestValue); j++) {
        const v = x[base + j * inner]!;
        if (kind === 'max' ? v > bestValue || Number.isNaN(v) : v < bestValue || Number.isNaN(v)) {
          best = j;
          bestValue = v;
        }
      }
      out[o * inner + k] = best;
    }
  }
}
