/// <reference types="@webgpu/types" />
/**
 * WGSL reductions, scans and softmax, with the CPU kernels' arguments (lib/kernels/reduce.ts, scan.ts); the fused
 * optimizer steps are in optimizers.ts and the seeded fills in random.ts.
 *
 * Reductions read the input through strides (no transposed copy): the shape is collapsed to alternating runs of kept
 * and reduced axes, each output element walks its reduced set in row-major order with an odometer, and a long
 * reduced set is split into contiguous chunks, one per invocation of a 256-wide workgroup, combined by an
 * order-preserving tree in workgroup memory. Keeping the order is what makes max/min pick the CPU's element among
 * equal ones (-0 and 0) and NaN propagation match. Float sums accumulate in f32 where the CPU uses float64: they agree
 * within rounding (the spec allows n * 2^-22 * sum|x|), not bit for bit. Integer sums are exact (a 64-bit accumulator in two u32s,
 * so an int32 mean is the truncated exact quotient, as the CPU's float64 one is wherever it is exact).
 */
import { allocate } from '../../dtype.js';
import { stridesOf, type Shape } from '../../shape.js';
import type { Kernels, ReduceKernel } from '../index.js';
import { reduce as cpuReduce } from '../reduce.js';
import { lanes } from '../scan.js';
import type { OnArrays } from '../storage.js';
import type { GpuArray } from './buffers.js';
import { checkType, FLAT_INDEX, MAX_GROUPS, WGSL_TYPE, WORKGROUP, type GpuContext } from './context.js';

/** The invocations of a workgroup that reduces one long set (a power of two: the tree halves it). */
export const REDUCE_WORKGROUP = 256;

/** From this many elements per output on, a whole workgroup reduces each output; below, one invocation does. */
export const GROUP_REDUCE_FROM = 128;

/** WGSL helpers for IEEE special values, tested on bits: a compiler may assume `x != x` is false. */
const SPECIALS = /* wgsl */ `
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;
fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn nanF() -> f32 { return bitcast<f32>(NAN_BITS); }
fn infF() -> f32 { return bitcast<f32>(INF_BITS); }
fn isPosInf(v: f32) -> bool { return bitcast<u32>(v) == 0x7f800000u; }
fn isNegInf(v: f32) -> bool { return bitcast<u32>(v) == 0xff800000u; }
// exp(d) for d <= 0 (a shifted logit): -Infinity and underflow give 0, as float64 stored in float32 does.
fn expShifted(d: f32) -> f32 { return select(exp(d), 0.0, d < -104.0); }
// Signed 64-bit addition on (lo, hi) pairs of u32.
fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}
fn widen(v: i32) -> vec2<u32> { return vec2<u32>(bitcast<u32>(v), select(0u, 0xffffffffu, v < 0)); }
// The exact quotient of a signed 64-bit sum by count (1 <= count <= 2^31), truncated toward zero, mod 2^32.
fn div64(s: vec2<u32>, count: u32) -> i32 {
  let negative = (s.y & 0x80000000u) != 0u;
  var a = s;
  if (negative) { a = add64(vec2<u32>(~s.x, ~s.y), vec2<u32>(1u, 0u)); }
  var rem = 0u;
  var q = 0u;
  for (var bit = 63i; bit >= 0i; bit--) {
    let word = select(a.x, a.y, bit >= 32i);
    rem = (rem << 1u) | ((word >> u32(bit & 31i)) & 1u);
    q = q << 1u;
    if (rem >= count) { rem -= count; q |= 1u; }
  }
  return select(bitcast<i32>(q), bitcast<i32>(0u - q), negative);
}`;

/** The test for "this element is true" (nonzero; a NaN is nonzero, and so true, as on the CPU). */
function nonzero(t: string, v: string): string {
  return t === 'f32' ? `((bitcast<u32>(${v}) & 0x7fffffffu) != 0u)` : `(${v} != ${t}(0))`;
}

/** An accumulation: its WGSL type, start, step (in `acc` and the element `v`) and order-preserving combine (`a` first). */
interface Fold {
  readonly acc: string;
  readonly init: string;
  readonly step: string;
  readonly combine: string;
}

function foldOf(kind: Exclude<ReduceKernel, 'logSumExp'>, t: string): Fold {
  switch (kind) {
    case 'sum':
    case 'mean':
      return t === 'f32'
        ? { acc: 'f32', init: '0.0', step: 'acc + v', combine: 'a + b' }
        : { acc: 'vec2<u32>', init: 'vec2<u32>(0u, 0u)', step: 'add64(acc, widen(v))', combine: 'add64(a, b)' };
    case 'max':
    case 'min': {
      const op = kind === 'max' ? '>' : '<';
      if (t === 'f32') {
        const init = `${kind === 'max' ? '-' : ''}infF()`;
        return {
          acc: t,
          init,
          step: `select(acc, v, v ${op} acc || isNan(v))`,
          combine: `select(a, b, b ${op} a || isNan(b))`,
        };
      }
      const init = kind === 'max' ? 'bitcast<i32>(0x80000000u)' : 'bitcast<i32>(0x7fffffffu)';
      return { acc: t, init, step: `select(acc, v, v ${op} acc)`, combine: `select(a, b, b ${op} a)` };
    }
    case 'prod':
      return { acc: t, init: `${t}(1)`, step: 'acc * v', combine: 'a * b' };
    case 'all':
      return { acc: 'u32', init: '1u', step: `select(0u, acc, ${nonzero(t, 'v')})`, combine: 'a & b' };
    case 'any':
      return { acc: 'u32', init: '0u', step: `select(acc, 1u, ${nonzero(t, 'v')})`, combine: 'a | b' };
  }
}

/** A reduction's geometry: alternating runs of kept and reduced axes, size-1 axes dropped, adjacent runs merged. */
interface Geometry {
  m: number;
  n: number;
  readonly keptSizes: number[];
  readonly keptStrides: number[];
  readonly redSizes: number[];
  readonly redStrides: number[];
}

function geometry(shape: Shape, axes: readonly number[]): Geometry {
  const strides = stridesOf(shape);
  const g: Geometry = { m: 1, n: 1, keptSizes: [], keptStrides: [], redSizes: [], redStrides: [] };
  let last: 'kept' | 'reduced' | undefined;
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    const reduced = axes.includes(d);
    if (reduced) g.n *= size;
    else g.m *= size;
    if (size === 1) continue;
    const [sizes, s] = reduced ? [g.redSizes, g.redStrides] : [g.keptSizes, g.keptStrides];
    const kind = reduced ? 'reduced' : 'kept';
    if (last === kind) {
      // Row-major: the previous axis of this run steps over this one whole, so the two read as one axis.
      sizes[sizes.length - 1]! *= size;
      s[s.length - 1] = strides[d]!;
    } else {
      sizes.push(size);
      s.push(strides[d]!);
    }
    last = kind;
  }
  return g;
}

/**
 * WGSL that unravels `index` over the sizes at dims[sizesAt..] (row-major) into `off` (with the strides right after
 * them), keeping each coordinate in c0.. when `keep` (for the odometer that follows).
 */
function unravel(index: string, rank: number, sizesAt: number, keep: boolean): string {
  const lines = [`var rest = ${index};`, 'var off = 0u;'];
  for (let d = rank - 1; d >= 0; d--) {
    const c = keep ? `c${d}` : `k${d}`;
    lines.push(`${keep ? 'var' : 'let'} ${c} = ${d === 0 ? 'rest' : `rest % dims[${sizesAt + d}]`};`);
    if (d > 0) lines.push(`rest = rest / dims[${sizesAt + d}];`);
    lines.push(`off += ${c} * dims[${sizesAt + rank + d}];`);
  }
  return lines.join('\n  ');
}

/** A function walking elements [start, end) of an output's reduced set from `base`, folding them with `step`. */
function walker(name: string, t: string, acc: string, step: string, rank: number, sizesAt: number): string {
  // The odometer: step the innermost coordinate; where it wraps, rewind it and step the next one out.
  let advance = '';
  for (let d = 0; d < rank; d++) {
    const next = `c${d} += 1u; off += dims[${sizesAt + rank + d}];`;
    const wrap = `if (c${d} == dims[${sizesAt + d}]) { c${d} = 0u; off -= dims[${sizesAt + d}] * dims[${sizesAt + rank + d}]; ${advance} }`;
    advance = d === 0 ? next : `${next} ${wrap}`;
  }
  return /* wgsl */ `
fn ${name}(base: u32, start: u32, end: u32, init: ${acc}, shift: f32) -> ${acc} {
  var acc = init;
  ${unravel('start', rank, sizesAt, true)}
  for (var j = start; j < end; j++) {
    let v: ${t} = x[base + off];
    acc = ${step};
    ${advance}
  }
  return acc;
}`;
}

/** The shader of one reduction: `group` gives a workgroup per output, else an invocation per output. */
function reduceShader(
  kind: ReduceKernel,
  inType: string,
  outType: string,
  keptRank: number,
  redRank: number,
  group: boolean,
): string {
  const keptAt = 3;
  const redAt = keptAt + 2 * keptRank;
  const lse = kind === 'logSumExp';
  const fold: Fold = lse ? (inType === 'f32' ? foldOf('max', 'f32') : foldOf('max', 'i32')) : foldOf(kind, inType);
  const sumStep = inType === 'f32' ? 'acc + expShifted(v - shift)' : 'acc + expShifted(f32(v) - shift)';
  const walkers = [walker('walk', inType, fold.acc, fold.step, redRank, redAt)];
  if (lse) walkers.push(walker('walkExp', inType, 'f32', sumStep, redRank, redAt));
  // The value stored for the final accumulator `acc` (and, for logSumExp, the sum of exponentials `s`).
  let store: string;
  if (kind === 'all' || kind === 'any') store = `${outType}(acc)`;
  else if (kind === 'mean') store = inType === 'f32' ? 'acc / f32(n)' : 'div64(acc, n)';
  else if (kind === 'sum' && inType === 'i32') store = 'bitcast<i32>(acc.x)';
  else if (!lse) store = 'acc';
  else if (inType === 'f32') store = 'lseF32(acc, s)';
  else store = 'lseI32(acc, s)';
  const lseHelpers = /* wgsl */ `
// The maximum when finite shifts the sum; NaN, +Infinity and -Infinity (every element -Infinity) decide alone.
fn lseF32(mx: f32, s: f32) -> f32 {
  if (isNan(mx)) { return nanF(); }
  if (isPosInf(mx) || isNegInf(mx)) { return mx; }
  return mx + log(s);
}
// int32: trunc(mx + log(s)) as float64 to int32 would give; mx + floor(L) wraps as ToInt32 does.
fn lseI32(mx: i32, s: f32) -> i32 {
  let l = log(s);
  let k = floor(l);
  let r = mx + i32(k);
  return select(r, r + 1, mx < 0 && r < 0 && l > k);
}`;
  const shiftOf = inType === 'f32' ? 'select(mx, 0.0, isNan(mx) || isPosInf(mx) || isNegInf(mx))' : 'f32(mx)';
  const head = /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<${inType}>;
@group(0) @binding(1) var<storage, read_write> out: array<${outType}>;
@group(0) @binding(2) var<storage, read> dims: array<u32>;
${SPECIALS}
${lse ? lseHelpers : ''}
${walkers.join('\n')}
fn baseOf(o: u32) -> u32 {
  ${unravel('o', keptRank, keptAt, false)}
  return off;
}`;
  if (!group) {
    const body = lse
      ? `let mx = walk(base, 0u, n, ${fold.init}, 0.0);
  let s = walkExp(base, 0u, n, 0.0, ${shiftOf});
  let acc = mx;`
      : `let acc = walk(base, 0u, n, ${fold.init}, 0.0);`;
    return /* wgsl */ `${head}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  ${FLAT_INDEX}
  let m = dims[0];
  let n = dims[1];
  if (i >= m) { return; }
  let base = baseOf(i);
  ${body}
  out[i] = ${store};
}`;
  }
  const W = REDUCE_WORKGROUP;
  // Tree steps pair neighbours (t, t + s) for t a multiple of 2s: each partial stays a contiguous run, in order.
  const tree = (value: string, combine: string, shared: string) => `
  ${shared}[t] = ${value};
  workgroupBarrier();
  for (var s = 1u; s < ${W}u; s = s * 2u) {
    if (t % (2u * s) == 0u) {
      let a = ${shared}[t];
      let b = ${shared}[t + s];
      ${shared}[t] = ${combine};
    }
    workgroupBarrier();
  }`;
  const body = lse
    ? `${tree(`walk(base, start, end, ${fold.init}, 0.0)`, fold.combine, 'partial')}
  let mx = partial[0];
  ${tree(`walkExp(base, start, end, 0.0, ${shiftOf})`, 'a + b', 'partialSum')}
  let s = partialSum[0];
  let acc = mx;`
    : `${tree(`walk(base, start, end, ${fold.init}, 0.0)`, fold.combine, 'partial')}
  let acc = partial[0];`;
  return /* wgsl */ `${head}
var<workgroup> partial: array<${fold.acc}, ${W}>;
${lse ? `var<workgroup> partialSum: array<f32, ${W}>;` : ''}
@compute @workgroup_size(${W})
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let m = dims[0];
  let n = dims[1];
  let chunk = dims[2];
  let o = wg.x + wg.y * groups.x;
  let valid = o < m;
  let base = select(0u, baseOf(o), valid);
  let start = min(n, t * chunk);
  let end = select(start, min(n, start + chunk), valid);
  ${body}
  if (t == 0u && valid) { out[o] = ${store}; }
}`;
}

/** The shader of one lane-wise kernel (argReduce, cumsum, softmax): dims = [lanes, n, inner, ...]. */
function laneShader(inType: string, outType: string, body: string): string {
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<${inType}>;
@group(0) @binding(1) var<storage, read_write> out: array<${outType}>;
@group(0) @binding(2) var<storage, read> dims: array<u32>;
${SPECIALS}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  ${FLAT_INDEX}
  let count = dims[0];
  let n = dims[1];
  let inner = dims[2];
  if (i >= count) { return; }
  let base = (i / inner) * n * inner + i % inner;
  ${body}
}`;
}

/** The WebGPU reduction, scan and softmax kernels. */
export interface GpuReduceKernels {
  /** Every CPU reduction kind over any axes; float32 and int32 (and bool for all and any). */
  reduce: OnArrays<Kernels['reduce'], GpuArray>;
  /** One invocation per output, scanning its axis in order (first index on ties, NaN wins and stops). */
  argReduce: OnArrays<Kernels['argReduce'], GpuArray>;
  /** One invocation per lane; int32 exact (wrapping as the CPU's float64 sums stored in int32 do). */
  cumsum: OnArrays<Kernels['cumsum'], GpuArray>;
  /** One invocation per lane, float32, shifted by the lane's finite maximum. */
  softmax: OnArrays<Kernels['softmax'], GpuArray>;
}

/**
 * The reduction, scan and softmax kernels on GPU arrays, with the CPU kernels' arguments. Float results agree with
 * the CPU's within f32 rounding (its float64 accumulators are f32 here); integer and boolean ones, argReduce and NaN
 * propagation agree exactly. An int32 `prod` is the wrapped (mod 2^32) product,
 * which is the CPU's result while every partial product stays below 2^53 in magnitude (where float64 is exact).
 */
export function gpuReduce(ctx: GpuContext): GpuReduceKernels {
  /** Writes the CPU's value for an empty reduced set (e.g. max of nothing: -Infinity, or 0 in int32) everywhere. */
  function fillEmpty(kind: ReduceKernel, x: GpuArray, out: GpuArray): void {
    const one = allocate(out.dtype, 1);
    cpuReduce(kind, allocate(x.dtype, 0), [0], [0], one);
    const values = allocate(out.dtype, out.length);
    values.fill(one[0]!);
    ctx.write(out, values);
  }

  return {
    reduce(kind, x, shape, axes, out) {
      const boolean = kind === 'all' || kind === 'any';
      const inType = checkType(`reduce.${kind}`, x, boolean ? ['float32', 'int32', 'bool'] : ['float32', 'int32']);
      if (!boolean && out.dtype !== x.dtype) {
        throw new TypeError(
          `tapegrad.webgpu.reduce.${kind}: writes ${x.dtype} for a ${x.dtype} input, got ${out.dtype}`,
        );
      }
      const outType = WGSL_TYPE[out.dtype];
      const g = geometry(shape, axes);
      if (g.m === 0) return;
      if (g.n === 0) {
        fillEmpty(kind, x, out);
        return;
      }
      const group = g.n >= GROUP_REDUCE_FROM;
      const chunk = Math.ceil(g.n / REDUCE_WORKGROUP);
      const dims = Uint32Array.from([
        g.m,
        g.n,
        chunk,
        ...g.keptSizes,
        ...g.keptStrides,
        ...g.redSizes,
        ...g.redStrides,
      ]);
      const kr = g.keptSizes.length;
      const rr = g.redSizes.length;
      const key = `reduce:${kind}:${inType}:${outType}:${kr}:${rr}:${group ? 'group' : 'thread'}`;
      let groups: [number, number, number];
      if (group) {
        const gx = Math.min(g.m, MAX_GROUPS);
        groups = [gx, Math.ceil(g.m / gx), 1];
      } else groups = ctx.grid(g.m);
      ctx.dispatch(key, () => reduceShader(kind, inType, outType, kr, rr, group), [x, out], dims, groups);
    },

    argReduce(kind, x, shape, axis, out) {
      const t = checkType(`argReduce`, x, ['float32', 'int32', 'bool']);
      const n = shape[axis]!;
      const inner = stridesOf(shape)[axis]!;
      const count = out.length;
      if (count === 0) return;
      const op = kind === 'max' ? '>' : '<';
      const nan = (v: string) => (t === 'f32' ? `isNan(${v})` : 'false');
      // The CPU stops at the first NaN: it is the extreme, and no later element replaces it.
      const body = `
  var best = 0u;
  if (n > 0u) {
    var bestValue = x[base];
    for (var j = 1u; j < n; j++) {
      if (${nan('bestValue')}) { break; }
      let v = x[base + j * inner];
      if (v ${op} bestValue || ${nan('v')}) { best = j; bestValue = v; }
    }
  }
  out[i] = i32(best);`;
      ctx.dispatch(
        `argReduce:${kind}:${t}`,
        () => laneShader(t, 'i32', body),
        [x, out],
        Uint32Array.from([count, n, Math.max(inner, 1)]),
        ctx.grid(count),
      );
    },

    cumsum(x, shape, axis, exclusive, reverse, out) {
      const t = checkType('cumsum', x, ['float32', 'int32']);
      if (out.dtype !== x.dtype) throw new TypeError(`tapegrad.webgpu.cumsum: writes ${x.dtype}, got ${out.dtype}`);
      const [outer, n, inner] = lanes(shape, axis);
      const count = outer * inner;
      if (count * n === 0) return;
      const body = `
  var acc = ${t}(0);
  for (var j = 0u; j < n; j++) {
    let p = base + select(j, n - 1u - j, dims[4] != 0u) * inner;
    let v = x[p];
    if (dims[3] != 0u) { out[p] = acc; acc += v; } else { acc += v; out[p] = acc; }
  }`;
      const dims = Uint32Array.from([count, n, inner, exclusive ? 1 : 0, reverse ? 1 : 0]);
      ctx.dispatch(`cumsum:${t}`, () => laneShader(t, t, body), [x, out], dims, ctx.grid(count));
    },

    softmax(x, shape, axis, log, out) {
      checkType('softmax', x, ['float32']);
      checkType('softmax', out, ['float32']);
      const [outer, n, inner] = lanes(shape, axis);
      const count = outer * inner;
      if (count * n === 0) return;
      // Shifted by the lane's maximum when finite. A NaN makes the lane NaN; a +Infinity (shift 0, sum +Infinity)
      // gives NaN at the infinities and 0 (log: -Infinity) elsewhere; all -Infinity gives 0/0 = NaN: the CPU's values.
      const body = `
  let isLog = dims[3] != 0u;
  var mx = -infF();
  var nan = false;
  for (var j = 0u; j < n; j++) {
    let v = x[base + j * inner];
    if (isNan(v)) { nan = true; } else if (v > mx) { mx = v; }
  }
  if (nan || isNegInf(mx)) {
    for (var j = 0u; j < n; j++) { out[base + j * inner] = nanF(); }
    return;
  }
  if (isPosInf(mx)) {
    for (var j = 0u; j < n; j++) {
      let p = base + j * inner;
      out[p] = select(select(0.0, -infF(), isLog), nanF(), isPosInf(x[p]));
    }
    return;
  }
  var s = 0.0;
  for (var j = 0u; j < n; j++) { s += expShifted(x[base + j * inner] - mx); }
  let logS = log(s);
  for (var j = 0u; j < n; j++) {
    let p = base + j * inner;
    let d = x[p] - mx;
    out[p] = select(expShifted(d) / s, d - logS, isLog);
  }`;
      const dims = Uint32Array.from([count, n, inner, log ? 1 : 0]);
      ctx.dispatch('softmax', () => laneShader('f32', 'f32', body), [x, out], dims, ctx.grid(count));
    },
  };
}
