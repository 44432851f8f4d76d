/// <reference types="@webgpu/types" />
/**
 * WGSL kernels that move elements without computing on them (transpose, broadcast, strided windows, concatenation,
 * tiling, gathers) and the two indexing kernels that do a little (scatter-add, one-hot). The copies read and write
 * raw 32-bit words (`array<u32>`), so one pipeline serves float32, int32 and bool (one u32 an element) alike: only the
 * index arithmetic differs between them, and that depends on the rank alone.
 *
 * Every strided copy is `out[i] = x[base + sum_d index_d(i) * strides[d]]` over an output shape (a gather) or its
 * mirror `out[base + ...] = src[i]` (a scatter), with the CPU kernel's offset rules (lib/kernels/layout.ts, slice.ts).
 * Negative strides (reversed windows) travel as their two's complement: u32 arithmetic wraps, so the sum lands on
 * the right offset whenever that offset is in range.
 */
import type { Shape } from '../../shape.js';
import { stridesOf } from '../../shape.js';
import type { Kernels } from '../index.js';
import { tileView } from '../slice.js';
import type { OnArrays } from '../storage.js';
import type { GpuArray, GpuDType } from './buffers.js';
import { FLAT_INDEX, WGSL_TYPE, WORKGROUP, type GpuContext } from './context.js';

/** The parts of a concatenation one dispatch takes: 8 storage bindings per stage by default, less `out` and `dims`. */
export const CONCAT_PARTS_PER_DISPATCH = 6;

/** The entry point's signature, shared by every shader here (FLAT_INDEX reads `gid` and `groups`). */
const MAIN = `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u)`;

/**
 * A strided view with size-1 axes dropped and adjacent axes merged where they step as one (`strides[d] ===
 * strides[d + 1] * shape[d + 1]`): a transpose of a contiguous block, a broadcast of a whole row or a unit-step
 * slice of whole rows each become fewer axes, so the shader divides less per element.
 */
export function collapseStrided(shape: Shape, strides: readonly number[]): { shape: number[]; strides: number[] } {
  const outShape: number[] = [];
  const outStrides: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && outStrides[last] === strides[d]! * n) {
      outShape[last]! *= n;
      outStrides[last] = strides[d]!;
    } else {
      outShape.push(n);
      outStrides.push(strides[d]!);
    }
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * The shader of a strided copy over `rank` (collapsed) axes: a gather (`out[i] = x[p]`) or a scatter (`out[p] =
 * x[i]`), where p = base + sum of each axis index times its stride. dims = [n, base, shape[rank], strides[rank]].
 * The index arithmetic is unrolled for the rank (the elementwise kernels measured a loop 1.6x slower on
 * SwiftShader), and a single axis (a contiguous copy after collapsing) needs no division.
 */
export function stridedCopyShader(rank: number, scatter: boolean): string {
  const lines = ['var p = dims[1];'];
  if (rank === 1) {
    lines.push('p += i * dims[3];');
  } else if (rank > 1) {
    lines.push('var rest = i;');
    // Axes from the innermost out: the outermost axis needs no division.
    for (let d = rank - 1; d >= 0; d--) {
      lines.push(
        d === 0
          ? `p += rest * dims[${2 + rank}];`
          : `p += (rest % dims[${2 + d}]) * dims[${2 + rank + d}]; rest = rest / dims[${2 + d}];`,
      );
    }
  }
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<storage, read> dims: array<u32>;

${MAIN} {
  ${FLAT_INDEX}
  if (i >= dims[0]) { return; }
  ${lines.join('\n  ')}
  ${scatter ? 'out[p] = x[i];' : 'out[i] = x[p];'}
}`;
}

/**
 * The shader of a concatenation step over `count` parts (bindings 0..count-1, then `out`): invocation i writes
 * column c = i % cols of row o = i / cols of the step's columns, from the part those columns come from.
 * dims = [outer * cols, cols, total, column, inners[count]]: `column` is where the step's first part starts in a row
 * of `out`, of `total` columns.
 */
export function concatShader(count: number): string {
  const bindings: string[] = [];
  const reads: string[] = [];
  for (let q = 0; q < count; q++) {
    bindings.push(`@group(0) @binding(${q}) var<storage, read> part${q}: array<u32>;`);
    reads.push(
      `{ let inner = dims[${4 + q}]; if (c >= start && c < start + inner) { v = part${q}[o * inner + c - start]; } start += inner; }`,
    );
  }
  return /* wgsl */ `
${bindings.join('\n')}
@group(0) @binding(${count}) var<storage, read_write> out: array<u32>;
@group(0) @binding(${count + 1}) var<storage, read> dims: array<u32>;

${MAIN} {
  ${FLAT_INDEX}
  if (i >= dims[0]) { return; }
  let cols = dims[1];
  let o = i / cols;
  let c = i % cols;
  var v = 0u;
  var start = 0u;
  ${reads.join('\n  ')}
  out[o * dims[2] + dims[3] + c] = v;
}`;
}

/**
 * gatherAxis: out is [batch, outer, n, inner], x [batch, outer, dim, inner], indices [batch, n].
 * dims = [out length, n, outer, dim, inner]. The op checks indices on the CPU when it runs; one on the GPU outside
 * [0, dim) writes 0 here (the word 0: 0.0, 0 or false), never reading past `x`, and raises the context's index flag,
 * so that the next read throws (GpuContext.indexFlag).
 */
export const GATHER_AXIS_SHADER = alongIndices(
  'x',
  'u32',
  `let j = t % n;
  let bo = t / n;
  let b = bo / dims[2];
  let index = indices[b * n + j];
  var v = 0u;
  if (index >= 0 && u32(index) < dim) {
    v = x[(bo * dim + u32(index)) * inner + k];
  } else {
    atomicMax(&outside[0], 1u);
  }
  out[i] = v;`,
  '@group(0) @binding(3) var<storage, read_write> outside: array<atomic<u32>>;',
);

/**
 * scatterAddAxis without atomics (WGSL has none for floats): invocation i owns out[i] = out[b, o, d, k] and adds, in
 * ascending j, every dy[b, o, j, k] whose index is d: the CPU kernel's additions to that element in its order, so the
 * sums agree bit for bit. dims = [out length, n, outer, dim, inner]. Bool (u32 words) sums modulo 256, as the CPU's
 * Uint8Array does.
 */
export function scatterAddShader(dtype: GpuDType): string {
  const t = WGSL_TYPE[dtype];
  return alongIndices(
    'dy',
    t,
    `let d = i32(t % dim);
  let bo = t / dim;
  let b = bo / dims[2];
  var sum = ${t}(0);
  for (var j = 0u; j < n; j++) {
    if (indices[b * n + j] == d) {
      sum += dy[(bo * n + j) * inner + k];
    }
  }
  out[i] = sum${dtype === 'bool' ? ' & 255u' : ''};`,
  );
}

/**
 * The shaders of gatherAxis and scatterAddAxis: `source` (of WGSL type `t`), int32 indices, `out` and dims
 * [out length, n, outer, dim, inner]; invocation i gets its inner position k and the rest of its index as t before
 * `body` runs. `extra` declares a binding 3 before dims (which then is 4).
 */
function alongIndices(source: string, t: string, body: string, extra?: string): string {
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> ${source}: array<${t}>;
@group(0) @binding(1) var<storage, read> indices: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<${t}>;
${extra ?? ''}
@group(0) @binding(${extra === undefined ? 3 : 4}) var<storage, read> dims: array<u32>;

${MAIN} {
  ${FLAT_INDEX}
  if (i >= dims[0]) { return; }
  let n = dims[1];
  let dim = dims[3];
  let inner = dims[4];
  let k = i % inner;
  let t = i / inner;
  ${body}
}`;
}

/**
 * oneHot: out[r, j] = indices[r] == j ? on : off. dims = [out length, depth, on, off], with on and off already the
 * words the output's dtype stores, so one shader serves every dtype.
 */
export const ONE_HOT_SHADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read> indices: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<storage, read> dims: array<u32>;

${MAIN} {
  ${FLAT_INDEX}
  if (i >= dims[0]) { return; }
  let depth = dims[1];
  let index = indices[i / depth];
  out[i] = select(dims[3], dims[2], index >= 0 && u32(index) == i % depth);
}`;

/**
 * The 32-bit word a GPU array of `dtype` holds for `value`, converted as the CPU's typed array of that dtype stores
 * it (float32 rounding, int32 wrapping truncation, bool as a Uint8Array's byte).
 */
function wordOf(value: number, dtype: GpuDType): number {
  if (dtype === 'float32') return new Uint32Array(Float32Array.of(value).buffer)[0]!;
  if (dtype === 'int32') return Int32Array.of(value)[0]! >>> 0;
  return Uint8Array.of(value)[0]!;
}

/** The kernels of lib/kernels/index.ts this module implements. */
export type LayoutKernel =
  | 'transpose'
  | 'broadcastTo'
  | 'stridedRead'
  | 'stridedWrite'
  | 'concat'
  | 'tile'
  | 'gatherAxis'
  | 'scatterAddAxis'
  | 'oneHot';

/** Those kernels on GPU arrays, each with its CPU twin's arguments (documented in lib/kernels/index.ts). */
export type GpuLayoutKernels = { [K in LayoutKernel]: OnArrays<Kernels[K], GpuArray> };

/**
 * The layout kernels on WebGPU, with the CPU kernels' arguments and results (lib/kernels/layout.ts, slice.ts,
 * gather.ts). They take every GPU dtype; the copies share one pipeline per collapsed rank whatever the dtype.
 */
export function gpuLayout(ctx: GpuContext): GpuLayoutKernels {
  /** One strided gather (or scatter) of `n` elements, collapsed first. */
  function stridedCopy(
    x: GpuArray,
    out: GpuArray,
    base: number,
    shape: Shape,
    strides: readonly number[],
    scatter: boolean,
  ): void {
    let n = 1;
    for (const size of shape) n *= size;
    if (n === 0) return;
    const view = collapseStrided(shape, strides);
    const rank = view.shape.length;
    const dims = new Uint32Array(2 + 2 * rank);
    dims[0] = n;
    dims[1] = base >>> 0;
    view.shape.forEach((size, d) => {
      dims[2 + d] = size;
      dims[2 + rank + d] = view.strides[d]! >>> 0;
    });
    const kind = scatter ? 'scatter' : 'gather';
    ctx.dispatch(`layout.${kind}${rank}`, () => stridedCopyShader(rank, scatter), [x, out], dims, ctx.grid(n));
  }

  /** The offset of a window's first element and its strides, as slice.ts's windowOffsets computes them. */
  function window(
    shape: Shape,
    begin: readonly number[],
    step: readonly number[],
  ): { base: number; strides: number[] } {
    const strides = stridesOf(shape);
    let base = 0;
    for (let d = 0; d < shape.length; d++) base += begin[d]! * strides[d]!;
    return { base, strides: step.map((s, d) => s * strides[d]!) };
  }

  /** gatherAxis and scatterAddAxis's dims, with n as the CPU kernels derive it. */
  function axisDims(total: number, indices: GpuArray, batch: number, outer: number, dim: number, inner: number) {
    const n = batch === 0 ? 0 : indices.length / batch;
    return { n, dims: Uint32Array.of(total, n, outer, dim, inner) };
  }

  return {
    transpose(x, shape, perm, out) {
      const strides = stridesOf(shape);
      stridedCopy(
        x,
        out,
        0,
        perm.map((p) => shape[p]!),
        perm.map((p) => strides[p]!),
        false,
      );
    },

    broadcastTo(x, shape, out, outShape) {
      const lead = outShape.length - shape.length;
      const inStrides = stridesOf(shape);
      const strides = outShape.map((_, d) => (d < lead || shape[d - lead] === 1 ? 0 : inStrides[d - lead]!));
      // The CPU kernel copies when the lengths agree and fills from a single element; both are this gather too.
      stridedCopy(x, out, 0, outShape, strides, false);
    },

    stridedRead(x, shape, begin, step, size, out) {
      const { base, strides } = window(shape, begin, step);
      stridedCopy(x, out, base, size, strides, false);
    },

    stridedWrite(src, out, outShape, begin, step, size) {
      // A scatter into the window only: the rest of `out` (zeros from allocate, or a pad's constant) is kept.
      const { base, strides } = window(outShape, begin, step);
      stridedCopy(src, out, base, size, strides, true);
    },

    concat(parts, inners, outer, out) {
      let total = 0;
      for (const inner of inners) total += inner;
      if (outer === 0 || total === 0) return;
      // Parts with no columns need no binding; the rest go CONCAT_PARTS_PER_DISPATCH to a dispatch.
      let column = 0;
      let step: { part: GpuArray; inner: number }[] = [];
      let stepColumn = 0;
      const flush = (): void => {
        if (step.length === 0) return;
        const cols = step.reduce((sum, p) => sum + p.inner, 0);
        const count = step.length;
        const dims = Uint32Array.of(outer * cols, cols, total, stepColumn, ...step.map((p) => p.inner));
        ctx.dispatch(
          `layout.concat${count}`,
          () => concatShader(count),
          [...step.map((p) => p.part), out],
          dims,
          ctx.grid(outer * cols),
        );
        step = [];
      };
      parts.forEach((part, i) => {
        const inner = inners[i]!;
        if (inner !== 0) {
          if (step.length === 0) stepColumn = column;
          step.push({ part, inner });
          if (step.length === CONCAT_PARTS_PER_DISPATCH) flush();
        }
        column += inner;
      });
      flush();
    },

    tile(x, shape, reps, out) {
      const { viewShape, viewStrides } = tileView(shape, reps);
      stridedCopy(x, out, 0, viewShape, viewStrides, false);
    },

    gatherAxis(x, indices, batch, outer, dim, inner, out) {
      const { n, dims } = axisDims(out.length, indices, batch, outer, dim, inner);
      if (out.length === 0 || n === 0) return;
      const outside = ctx.indexFlag(); // raised by an index outside [0, dim): the next read throws
      ctx.dispatch(
        'layout.gatherAxis',
        () => GATHER_AXIS_SHADER,
        [x, indices, out, outside],
        dims,
        ctx.grid(out.length),
      );
    },

    scatterAddAxis(dy, indices, batch, outer, dim, inner, out) {
      // Every element of out is written (a sum of nothing is 0), as the CPU kernel zero-fills it first.
      const { dims } = axisDims(out.length, indices, batch, outer, dim, inner);
      if (out.length === 0) return;
      const dtype = out.dtype;
      ctx.dispatch(
        `layout.scatterAdd.${dtype}`,
        () => scatterAddShader(dtype),
        [dy, indices, out],
        dims,
        ctx.grid(out.length),
      );
    },

    oneHot(indices, depth, onValue, offValue, out) {
      if (out.length === 0) return;
      const dims = Uint32Array.of(out.length, depth, wordOf(onValue, out.dtype), wordOf(offValue, out.dtype));
      ctx.dispatch('layout.oneHot', () => ONE_HOT_SHADER, [indices, out], dims, ctx.grid(out.length));
    },
  };
}
