/// <reference types="@webgpu/types" />
/**
 * WGSL convolution kernels (conv2d, depthwiseConv2d and their input and filter gradients) on NHWC arrays, with the
 * CPU kernels' arguments (lib/kernels/conv.ts); the pooling kernels are in pool.ts, and the geometry, bindings and
 * checks both share in window.ts. Every kernel is direct: one invocation per element it writes, looping over the window or
 * the positions that element depends on, so no im2col matrix is ever allocated and no invocation writes another's
 * element (gradients are gathers, never atomic scatters).
 *
 * Where the two filter gradients have long sums (many batch and output positions), a workgroup shares one filter
 * element and reduces its partial sums in workgroup memory, so that a small filter still fills the device.
 */
import type { WindowGeometry } from '../index.js';
import type { GpuArray } from './buffers.js';
import { WORKGROUP, type GpuContext } from './context.js';
import {
  checkFloat32,
  checkNoAlias,
  declare,
  elementShader,
  GEOMETRY,
  geometryDims,
  perElement,
  unravelNhwc,
  type Binding,
  type Gpu,
} from './window.js';

/** The convolution kernels on GPU arrays, as `gpuConv` returns them. */
export interface GpuConvKernels {
  conv2d: Gpu<'conv2d'>;
  conv2dBackpropInput: Gpu<'conv2dBackpropInput'>;
  conv2dBackpropFilter: Gpu<'conv2dBackpropFilter'>;
  depthwiseConv2d: Gpu<'depthwiseConv2d'>;
  depthwiseConv2dBackpropInput: Gpu<'depthwiseConv2dBackpropInput'>;
  depthwiseConv2dBackpropFilter: Gpu<'depthwiseConv2dBackpropFilter'>;
}

/**
 * The fewest batch-and-output positions for which a filter gradient reduces each element's sum across a workgroup
 * rather than in one invocation: below one term per invocation the tree reduction only adds barriers.
 */
export const FILTER_REDUCE_POSITIONS = WORKGROUP;

/**
 * The most workgroups a reducing filter gradient dispatches; each takes every FILTER_REDUCE_GROUPS-th filter element
 * in turn. 4,096 workgroups of WORKGROUP invocations fill any current GPU, and stay clear of the 65,535 limit.
 */
export const FILTER_REDUCE_GROUPS = 4096;

/**
 * A filter gradient: `out[e] = sum over positions pos of term(g, e, pos)`, either one invocation per element (`direct`)
 * or one workgroup per element at a time, its invocations taking every WORKGROUP-th position and summing their
 * partial sums in a tree.
 */
function filterGradientShader(bindings: readonly Binding[], term: string, direct: boolean): string {
  const out = bindings[bindings.length - 1]![0];
  if (direct) {
    return elementShader(
      bindings,
      term,
      `var sum = 0.0;
  for (var pos = 0u; pos < g.positions; pos++) { sum += term(g, i, pos); }
  ${out}[i] = sum;`,
    );
  }
  return /* wgsl */ `
${declare(bindings)}
${GEOMETRY}
${term}
var<workgroup> partial: array<f32, ${WORKGROUP}>;

@compute @workgroup_size(${WORKGROUP})
fn main(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) groups: vec3u,
) {
  let g = geometry();
  // Workgroup-uniform bounds, so the barriers stay in uniform control flow. Between elements no barrier is needed:
  // after the last one only invocation 0 reads, and only partial[0], which only it writes.
  for (var e = wg.x; e < g.total; e += groups.x) {
    var sum = 0.0;
    for (var pos = lid; pos < g.positions; pos += ${WORKGROUP}u) { sum += term(g, e, pos); }
    partial[lid] = sum;
    workgroupBarrier();
    for (var half = ${WORKGROUP / 2}u; half > 0u; half = half / 2u) {
      if (lid < half) { partial[lid] += partial[lid + half]; }
      workgroupBarrier();
    }
    if (lid == 0u) { ${out}[e] = partial[0]; }
  }
}`;
}

// -- Convolutions --

/** The bindings of a convolution's forward shader (x, filter, y) and of its input gradient's (dy, filter, dx). */
const FORWARD_BINDINGS: readonly Binding[] = [
  ['x', 'read', 'f32'],
  ['f', 'read', 'f32'],
  ['y', 'read_write', 'f32'],
];
const BACKPROP_INPUT_BINDINGS: readonly Binding[] = [
  ['dy', 'read', 'f32'],
  ['f', 'read', 'f32'],
  ['dx', 'read_write', 'f32'],
];

/**
 * conv2d: output element (n, oi, oj, o) sums x * filter over taps (p, q, c) in the CPU's order (its im2col row).
 * A tap in the padding reads a zero as im2col does, so `0 * filter` still turns an infinite or NaN filter entry
 * into NaN, as on the CPU.
 */
const CONV2D_SHADER = elementShader(
  FORWARD_BINDINGS,
  '',
  `${unravelNhwc(['n', 'oi', 'oj', 'o'], 'OH', 'OW', 'OC')}
  var sum = 0.0;
  for (var p = 0u; p < g.FH; p++) {
    let h = i32(oi * g.SH + p * g.DH) - g.padTop;
    let rowInside = h >= 0 && h < i32(g.H);
    for (var q = 0u; q < g.FW; q++) {
      let w = i32(oj * g.SW + q * g.DW) - g.padLeft;
      let fBase = (p * g.FW + q) * g.C * g.OC + o;
      if (rowInside && w >= 0 && w < i32(g.W)) {
        let xBase = ((n * g.H + u32(h)) * g.W + u32(w)) * g.C;
        for (var c = 0u; c < g.C; c++) { sum += x[xBase + c] * f[fBase + c * g.OC]; }
      } else {
        for (var c = 0u; c < g.C; c++) { sum += g.zero * f[fBase + c * g.OC]; }
      }
    }
  }
  y[i] = sum;`,
);

/**
 * conv2dBackpropInput: input element (n, h, w, c) gathers dy * filter over the (output position, tap) pairs that
 * read it: tap p of output row oi reads row oi * SH + p * DH - padTop.
 */
const CONV2D_BACKPROP_INPUT_SHADER = elementShader(
  BACKPROP_INPUT_BINDINGS,
  '',
  `${unravelNhwc(['n', 'h', 'w', 'c'], 'H', 'W', 'C')}
  var sum = 0.0;
  for (var p = 0u; p < g.FH; p++) {
    let ti = i32(h) + g.padTop - i32(p * g.DH);
    if (ti < 0 || u32(ti) % g.SH != 0u || u32(ti) / g.SH >= g.OH) { continue; }
    let oi = u32(ti) / g.SH;
    for (var q = 0u; q < g.FW; q++) {
      let tj = i32(w) + g.padLeft - i32(q * g.DW);
      if (tj < 0 || u32(tj) % g.SW != 0u || u32(tj) / g.SW >= g.OW) { continue; }
      let oj = u32(tj) / g.SW;
      let yBase = ((n * g.OH + oi) * g.OW + oj) * g.OC;
      let fBase = ((p * g.FW + q) * g.C + c) * g.OC;
      for (var o = 0u; o < g.OC; o++) { sum += dy[yBase + o] * f[fBase + o]; }
    }
  }
  dx[i] = sum;`,
);

/**
 * In a filter gradient's term: output position `pos` as (n, oi, oj), and the input row `h` and column `w` (either
 * may be in the padding) that its tap (p, q) reads.
 */
const TAP_AT_POSITION = `let oj = pos % g.OW;
  let rest = pos / g.OW;
  let oi = rest % g.OH;
  let n = rest / g.OH;
  let h = i32(oi * g.SH + p * g.DH) - g.padTop;
  let w = i32(oj * g.SW + q * g.DW) - g.padLeft;`;

/**
 * conv2dBackpropFilter's term: filter element (p, q, c, o) times position (n, oi, oj): x (a zero in the padding, as
 * im2col reads it) times dy.
 */
const CONV2D_FILTER_TERM = /* wgsl */ `
fn term(g: Geometry, e: u32, pos: u32) -> f32 {
  let o = e % g.OC;
  var r = e / g.OC;
  let c = r % g.C;
  r = r / g.C;
  let q = r % g.FW;
  let p = r / g.FW;
  ${TAP_AT_POSITION}
  let d = dy[pos * g.OC + o];
  if (h < 0 || h >= i32(g.H) || w < 0 || w >= i32(g.W)) { return g.zero * d; }
  return x[((n * g.H + u32(h)) * g.W + u32(w)) * g.C + c] * d;
}`;

/** depthwiseConv2d: output element (n, oi, oj, k = c * M + m) sums x[.., c] * filter[p, q, k] over in-bounds taps. */
const DEPTHWISE_SHADER = elementShader(
  FORWARD_BINDINGS,
  '',
  `${unravelNhwc(['n', 'oi', 'oj', 'k'], 'OH', 'OW', 'OC')}
  let c = k / (g.OC / g.C);
  var sum = 0.0;
  for (var p = 0u; p < g.FH; p++) {
    let h = i32(oi * g.SH + p * g.DH) - g.padTop;
    if (h < 0 || h >= i32(g.H)) { continue; }
    for (var q = 0u; q < g.FW; q++) {
      let w = i32(oj * g.SW + q * g.DW) - g.padLeft;
      if (w < 0 || w >= i32(g.W)) { continue; }
      sum += x[((n * g.H + u32(h)) * g.W + u32(w)) * g.C + c] * f[(p * g.FW + q) * g.OC + k];
    }
  }
  y[i] = sum;`,
);

/** depthwiseConv2dBackpropInput: input element (n, h, w, c) gathers dy * filter over covering windows and m. */
const DEPTHWISE_BACKPROP_INPUT_SHADER = elementShader(
  BACKPROP_INPUT_BINDINGS,
  '',
  `${unravelNhwc(['n', 'h', 'w', 'c'], 'H', 'W', 'C')}
  let M = g.OC / g.C;
  var sum = 0.0;
  for (var p = 0u; p < g.FH; p++) {
    let ti = i32(h) + g.padTop - i32(p * g.DH);
    if (ti < 0 || u32(ti) % g.SH != 0u || u32(ti) / g.SH >= g.OH) { continue; }
    let oi = u32(ti) / g.SH;
    for (var q = 0u; q < g.FW; q++) {
      let tj = i32(w) + g.padLeft - i32(q * g.DW);
      if (tj < 0 || u32(tj) % g.SW != 0u || u32(tj) / g.SW >= g.OW) { continue; }
      let oj = u32(tj) / g.SW;
      let yBase = ((n * g.OH + oi) * g.OW + oj) * g.OC + c * M;
      let fBase = (p * g.FW + q) * g.OC + c * M;
      var s = 0.0;
      for (var m = 0u; m < M; m++) { s += dy[yBase + m] * f[fBase + m]; }
      sum += s;
    }
  }
  dx[i] = sum;`,
);

/** depthwiseConv2dBackpropFilter's term: filter element (p, q, k) times position (n, oi, oj), in-bounds only. */
const DEPTHWISE_FILTER_TERM = /* wgsl */ `
fn term(g: Geometry, e: u32, pos: u32) -> f32 {
  let k = e % g.OC;
  let r = e / g.OC;
  let q = r % g.FW;
  let p = r / g.FW;
  ${TAP_AT_POSITION}
  if (h < 0 || h >= i32(g.H) || w < 0 || w >= i32(g.W)) { return 0.0; }
  let c = k / (g.OC / g.C);
  return x[((n * g.H + u32(h)) * g.W + u32(w)) * g.C + c] * dy[pos * g.OC + k];
}`;

/**
 * The convolution kernels on GPU arrays (float32), with the CPU kernels' arguments. The convolutions
 * take the CPU's trailing matmul kernel and ignore it: they are direct loops, not im2col and a product.
 */
export function gpuConv(ctx: GpuContext): GpuConvKernels {
  /** A filter gradient: direct for short sums, one workgroup per filter element for long ones. */
  const filterGradient = (kernel: string, term: string, x: GpuArray, dy: GpuArray, g: WindowGeometry, df: GpuArray) => {
    checkFloat32(kernel, [x, dy, df]);
    checkNoAlias(kernel, df, [x, dy]);
    const direct = g.batch * g.outHeight * g.outWidth < FILTER_REDUCE_POSITIONS;
    const bindings: Binding[] = [
      ['x', 'read', 'f32'],
      ['dy', 'read', 'f32'],
      ['df', 'read_write', 'f32'],
    ];
    ctx.dispatch(
      `conv.${kernel}.${direct ? 'direct' : 'reduce'}`,
      () => filterGradientShader(bindings, term, direct),
      [x, dy, df],
      geometryDims(g, df.length),
      direct ? ctx.grid(df.length) : [Math.min(df.length, FILTER_REDUCE_GROUPS), 1, 1],
    );
  };

  return {
    conv2d(x, filter, g, y) {
      perElement(ctx, 'conv2d', CONV2D_SHADER, [x, filter], y, g);
    },
    conv2dBackpropInput(dy, filter, g, dx) {
      perElement(ctx, 'conv2dBackpropInput', CONV2D_BACKPROP_INPUT_SHADER, [dy, filter], dx, g);
    },
    conv2dBackpropFilter(x, dy, g, dFilter) {
      filterGradient('conv2dBackpropFilter', CONV2D_FILTER_TERM, x, dy, g, dFilter);
    },
    depthwiseConv2d(x, filter, g, y) {
      perElement(ctx, 'depthwiseConv2d', DEPTHWISE_SHADER, [x, filter], y, g);
    },
    depthwiseConv2dBackpropInput(dy, filter, g, dx) {
      perElement(ctx, 'depthwiseConv2dBackpropInput', DEPTHWISE_BACKPROP_INPUT_SHADER, [dy, filter], dx, g);
    },
    depthwiseConv2dBackpropFilter(x, dy, g, dFilter) {
      filterGradient('depthwiseConv2dBackpropFilter', DEPTHWISE_FILTER_TERM, x, dy, g, dFilter);
    },
  };
}
