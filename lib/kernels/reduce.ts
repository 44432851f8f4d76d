/**
 * Reductions over any set of axes. Sums accumulate in float64, whatever the
 * storage type, so a float32 sum of a million elements keeps its digits.
 */
import type { TypedArray } from '../dtype.js';
import { stridesOf, type Shape } from '../shape.js';
import { stridedOffsets } from './layout.js';

/** Names of the reduction kernels. */
export type ReduceKernel = 'sum' | 'mean' | 'max' | 'min';

const INITIAL: Record<ReduceKernel, number> = { sum: 0, mean: 0, max: -Infinity, min: Infinity };

/**
 * Reduces `x` (shaped `shape`) over the sorted, unique `axes` into `out`,
 * which holds one element per position of the kept axes (row-major).
 */
export function reduce(
  kernel: ReduceKernel,
  x: TypedArray,
  shape: Shape,
  axes: readonly number[],
  out: TypedArray,
): void {
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
  } else {
    // Map every input element to its output slot: the output's strides, with 0 on reduced axes.
    const keptStrides = stridesOf(shape.map((d, i) => (axes.includes(i) ? 1 : d)));
    const strides = shape.map((_, i) => (axes.includes(i) ? 0 : keptStrides[i]!));
    const slot = stridedOffsets(strides, shape);
    if (op === 'sum') for (let i = 0; i < n; i++) acc[slot[i]!] += x[i]!;
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
