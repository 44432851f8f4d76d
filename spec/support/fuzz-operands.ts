/**
 * How the fuzz's catalogue ops (fuzz-ops.ts) choose and guard their
 * operands, on the values the graph builder (fuzz-graphs.ts) keeps: guards
 * that keep central differences honest (a positive argument for a log, a
 * bounded one for an exp, a shift away from a kink or tie), earlier nodes that
 * fit an op, and attributes (axes, new shapes, filters, windows).
 */
import { add, broadcastTo, mul, reshape, softplus, tanh, transpose, type Shape } from '../../lib/index.js';
import {
  KINK_MARGIN,
  MAX_RANK,
  NotApplicable,
  broadcastShape,
  round3,
  sizeOf,
  type GraphBuilder,
} from './fuzz-graphs.js';

// ---------------------------------------------------------------- guards

/** The largest magnitude of node i's values. */
const maxAbs = (b: GraphBuilder, i: number): number => Math.max(...b.value(i).map(Math.abs));

/** Node i, scaled down by a guard if its magnitude exceeds `limit`. */
export function bounded(b: GraphBuilder, i: number, limit: number): number {
  const m = maxAbs(b, i);
  return m <= limit ? i : b.guard(() => b.call('mul', mul, [i], round3((0.99 * limit) / m)));
}

/** Node i if all its values are at least `floor`, else `add(softplus(i), floor)`. */
export function positive(b: GraphBuilder, i: number, floor = 0.2): number {
  if (Math.min(...b.value(i)) >= floor) return i;
  return b.guard(() => b.call('add', add, [b.call('softplus', softplus, [i])], floor));
}

/** Node i if no value is within 0.2 of zero, else a positive guard. */
export const nonzero = (b: GraphBuilder, i: number): number =>
  b.value(i).every((v) => Math.abs(v) >= 0.2) ? i : positive(b, i);

/** Shifts tried, in order, to move values off a kink: 0 first, so most nodes keep their values. */
const SHIFTS = [0, 0.25, -0.25, 0.5, -0.5, 0.125, -0.375, 0.0625, 0.3125];

/** The first shift d with `ok(d)`, or NotApplicable. */
export function firstShift(ok: (d: number) => boolean): number {
  const d = SHIFTS.find(ok);
  if (d === undefined) throw new NotApplicable();
  return d;
}

/** Node i, shifted by a guard if needed so that every value is KINK_MARGIN from the kinks `distance` measures. */
export function awayFrom(b: GraphBuilder, i: number, distance: (v: number) => number): number {
  const values = b.value(i);
  const d = firstShift((d) => values.every((v) => distance(v + d) >= KINK_MARGIN));
  return d === 0 ? i : b.guard(() => b.call('add', add, [i], d));
}

/** Node c, shifted if needed so that `ok(a, c)` holds for every broadcast pair of values. */
export function pairedWith(b: GraphBuilder, a: number, c: number, ok: (x: number, y: number) => boolean): number {
  const shape = broadcastShape(b.shape(a), b.shape(c))!;
  const xs = broadcastTo(b.values[a]!, shape).values;
  const ys = broadcastTo(b.values[c]!, shape).values;
  const d = firstShift((d) => xs.every((x, k) => ok(x, ys[k]! + d)));
  return d === 0 ? c : b.guard(() => b.call('add', add, [c], d));
}

export const zeroKink = (v: number) => Math.abs(v);
export const integerKink = (v: number) => Math.abs(v - Math.round(v));
export const halfKink = (v: number) => Math.abs(v - Math.floor(v) - 0.5);

// ---------------------------------------------------------------- operands and attributes

/**
 * Two nodes that broadcast together: a, and another that fits it, else a
 * itself (mul(a, a) is fan-out) or, when `distinct`, tanh(a) (sub(a, a),
 * div(a, a) or squaredDifference(a, a) would be constant).
 */
export function broadcastPair(b: GraphBuilder, distinct = false): [number, number] {
  const a = b.node();
  const fits = (j: number) => broadcastShape(b.shape(a), b.shape(j)) !== undefined;
  const c = b.nodes.some((_, j) => j !== a && fits(j)) ? b.node((j) => j !== a && fits(j)) : a;
  const d = distinct ? distinctFrom(b, a, c) : c;
  return b.picks.bool() ? [a, d] : [d, a];
}

/** c, or tanh(a) when c is a: a second operand that is not the first. */
export const distinctFrom = (b: GraphBuilder, a: number, c: number): number =>
  c !== a ? c : b.guard(() => b.call('tanh', tanh, [a]));

/** A node of exactly node a's shape. */
export const sameShape = (b: GraphBuilder, a: number): number =>
  b.node((j) => b.shape(j).length === b.shape(a).length && b.shape(j).every((d, k) => d === b.shape(a)[k]));

/** A node of rank at least `rank`. */
export const ofRank = (b: GraphBuilder, rank: number): number => b.node((j) => b.shape(j).length >= rank);

/** An axis of a rank-r tensor, negative half the time. */
export const axisOf = (b: GraphBuilder, rank: number): number => {
  const a = b.picks.int(rank);
  return b.picks.bool() ? a - rank : a;
};

/** Reduction axes: all (undefined), one, or a random set. */
export function axesOf(b: GraphBuilder, rank: number): number | number[] | undefined {
  const kind = rank === 0 ? 0 : b.picks.int(3);
  if (kind === 0) return undefined;
  if (kind === 1) return axisOf(b, rank);
  const axes = Array.from({ length: rank }, (_, k) => k).filter(() => b.picks.bool());
  return axes.length > 0 ? axes : [b.picks.int(rank)];
}

/** The groups of values a reduction over `axes` combines. */
export function groups(b: GraphBuilder, i: number, axes: number | number[] | undefined): number[][] {
  const shape = b.shape(i);
  const rank = shape.length;
  const reduced = axes === undefined ? shape.map((_, k) => k) : [axes].flat().map((a) => (a + rank) % rank);
  const kept = shape.map((_, k) => k).filter((k) => !reduced.includes(k));
  const n = sizeOf(reduced.map((k) => shape[k]!));
  const values = Array.from(transpose(b.values[i]!, [...kept, ...reduced]).values);
  return Array.from({ length: values.length / n }, (_, g) => values.slice(g * n, (g + 1) * n));
}

/** Whether the largest (or smallest) value of every group stands KINK_MARGIN clear of the rest. */
export function clearExtremes(gs: number[][], sign: 1 | -1): boolean {
  return gs.every((g) => {
    const sorted = g.map((v) => sign * v).sort((p, q) => q - p);
    return sorted.length < 2 || sorted[0]! - sorted[1]! >= KINK_MARGIN;
  });
}

export const divisors = (n: number, most: number): number[] =>
  Array.from({ length: Math.min(n, most) }, (_, k) => k + 1).filter((d) => n % d === 0);

// ---------------------------------------------------------------- shapes for reshapes and convolutions

export function reshapeTarget(b: GraphBuilder, shape: Shape): number[] {
  const size = sizeOf(shape);
  const options: number[][] = [[size], [...shape, 1], [1, ...shape]];
  b.nodes.forEach((n) => sizeOf(n.shape) === size && options.push([...n.shape]));
  shape.forEach((d, k) => {
    for (const p of divisors(d, d))
      if (p > 1 && p < d) options.push([...shape.slice(0, k), p, d / p, ...shape.slice(k + 1)]);
    if (k > 0) options.push([...shape.slice(0, k - 1), shape[k - 1]! * d, ...shape.slice(k + 1)]);
  });
  const target = b.picks.of(options.filter((s) => s.length <= MAX_RANK));
  if (target.length > 0 && b.picks.bool()) target[b.picks.int(target.length)] = -1;
  return target;
}

/** A permutation of 0..n-1. */
export function permutation(b: GraphBuilder, n: number): number[] {
  const rest = Array.from({ length: n }, (_, k) => k);
  return Array.from({ length: n }, () => rest.splice(b.picks.int(rest.length), 1)[0]!);
}

/**
 * A node as an image ([H, W, C] or [N, H, W, C]): one of rank 3 or 4 as it
 * is, else one reshaped to [h, size / h, 1]; nodes of 4 or more values first.
 */
export function image(b: GraphBuilder): number {
  const large = b.nodes.some((n) => sizeOf(n.shape) >= 4);
  const i = b.node((j) => !large || sizeOf(b.shape(j)) >= 4);
  const shape = b.shape(i);
  if (shape.length === 3 || shape.length === 4) return i;
  const n = sizeOf(shape);
  const h = b.picks.of(divisors(n, n));
  return b.call('reshape', reshape, [i], [h, n / h, 1]);
}

/**
 * A filter `[fh, fw, depth, out]` (fh, fw <= 3, out <= 4) made by reshaping
 * a node whose size is a multiple of `depth`.
 */
export function filter(b: GraphBuilder, depth: number): number {
  const f = b.node((j) => sizeOf(b.shape(j)) % depth === 0);
  const r = sizeOf(b.shape(f)) / depth;
  const fh = b.picks.of(divisors(r, 3));
  const fw = b.picks.of(divisors(r / fh, 3));
  const out = r / fh / fw;
  if (out > 4) throw new NotApplicable();
  return b.call('reshape', reshape, [f], [fh, fw, depth, out]);
}

/** A convolution's padding and stride for an image [.., H, W, C] and a window fh x fw. */
export function window(
  b: GraphBuilder,
  x: Shape,
  fh: number,
  fw: number,
): { pad: 'same' | 'valid' | number; stride: number } {
  const [h, w] = x.slice(-3, -1) as [number, number];
  const pads: ('same' | 'valid' | number)[] = ['same', 1];
  if (fh <= h && fw <= w) pads.push('valid');
  return { pad: b.picks.of(pads), stride: 1 + b.picks.int(2) };
}

/**
 * The groups of values the windows of a pool over image i ([.., H, W, C])
 * read: one group per output position and channel, padding left out.
 */
export function poolWindows(
  b: GraphBuilder,
  i: number,
  fh: number,
  fw: number,
  stride: number,
  pad: 'same' | 'valid',
): number[][] {
  const shape = b.shape(i);
  const [h, w, c] = shape.slice(-3) as [number, number, number];
  const batch = sizeOf(shape.slice(0, -3));
  const values = b.value(i);
  const out = (n: number, f: number) => (pad === 'same' ? Math.ceil(n / stride) : Math.floor((n - f) / stride) + 1);
  const before = (n: number, f: number) =>
    pad === 'same' ? Math.floor(Math.max((out(n, f) - 1) * stride + f - n, 0) / 2) : 0;
  const windows: number[][] = [];
  for (let n = 0; n < batch; n++)
    for (let oi = 0; oi < out(h, fh); oi++)
      for (let oj = 0; oj < out(w, fw); oj++)
        for (let ch = 0; ch < c; ch++) {
          const group: number[] = [];
          for (let p = 0; p < fh; p++)
            for (let q = 0; q < fw; q++) {
              const r = oi * stride + p - before(h, fh);
              const col = oj * stride + q - before(w, fw);
              if (r >= 0 && r < h && col >= 0 && col < w) group.push(values[((n * h + r) * w + col) * c + ch]!);
            }
          windows.push(group);
        }
  return windows;
}
