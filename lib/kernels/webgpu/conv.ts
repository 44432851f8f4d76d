/// <reference types="@webgpu/types" />
/**
 * WGSL convolution and pooling kernels on NHWC arrays, with the CPU kernels' arguments (lib/kernels/conv.ts and
 * lib/kernels/pool.ts). Every kernel is direct: one invocation per element it writes, looping over the window or
 * the positions that element depends on, so no im2col matrix is ever allocated and no invocation writes another's
 * element (gradients are gathers, never atomic scatters).
 *
 * Where the two filter gradients have long sums (many batch and output positions), a workgroup shares one filter
 * element and reduces its partial sums in workgroup memory, so that a small filter still fills the device.
 */
import type { Kernels, WindowGeometry } from '../index.js';
import type { OnArrays } from '../storage.js';
import type { GpuArray } from './buffers.js';
import { FLAT_INDEX, WORKGROUP, type GpuContext } from './context.js';

/** A kernel of the table, on GPU arrays. */
type Gpu<K extends keyof Kernels> = OnArrays<Kernels[K], GpuArray>;

/** The convolution and pooling kernels on GPU arrays, as `gpuConv` returns them. */
export interface GpuConvKernels {
  conv2d: Gpu<'conv2d'>;
  conv2dBackpropInput: Gpu<'conv2dBackpropInput'>;
  conv2dBackpropFilter: Gpu<'conv2dBackpropFilter'>;
  depthwiseConv2d: Gpu<'depthwiseConv2d'>;
  depthwiseConv2dBackpropInput: Gpu<'depthwiseConv2dBackpropInput'>;
  depthwiseConv2dBackpropFilter: Gpu<'depthwiseConv2dBackpropFilter'>;
  maxPool: Gpu<'maxPool'>;
  maxPoolBackprop: Gpu<'maxPoolBackprop'>;
  maxPoolGather: Gpu<'maxPoolGather'>;
  avgPool: Gpu<'avgPool'>;
  avgPoolBackprop: Gpu<'avgPoolBackprop'>;
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
 * The geometry as the shaders read it from `dims`: [batch, H, W, C, outH, outW, outC, FH, FW, strideH, strideW,
 * dilationH, dilationW, padTop (i32 bits), padLeft (i32 bits), total, positions, zero]. `total` is the number of
 * elements the dispatch writes; `positions` is batch * outH * outW (the length of a filter gradient's sum); `zero` is
 * 0.0, a zero the shader compiler cannot see, so that `zero * v` (a padded im2col entry times v) is NaN for an
 * infinite or NaN v, where a literal `0.0 * v` is folded to 0. padBottom and
 * padRight are not needed: the output sizes already say where the windows stop.
 */
const GEOMETRY = /* wgsl */ `
struct Geometry {
  batch: u32, H: u32, W: u32, C: u32, OH: u32, OW: u32, OC: u32, FH: u32, FW: u32,
  SH: u32, SW: u32, DH: u32, DW: u32, padTop: i32, padLeft: i32, total: u32, positions: u32, zero: f32,
}

fn geometry() -> Geometry {
  return Geometry(dims[0], dims[1], dims[2], dims[3], dims[4], dims[5], dims[6], dims[7], dims[8], dims[9],
    dims[10], dims[11], dims[12], bitcast<i32>(dims[13]), bitcast<i32>(dims[14]), dims[15], dims[16], bitcast<f32>(dims[17]));
}

// The first output row (or column) whose window, of extent \`size\` taps \`dilation\` apart, can reach input row
// \`at\` (the padding before already added): windows start every \`stride\` rows.
fn firstWindow(at: i32, size: u32, dilation: u32, stride: u32) -> u32 {
  let lo = at - i32((size - 1u) * dilation);
  if (lo <= 0) { return 0u; }
  return (u32(lo) + stride - 1u) / stride;
}
`;

/** The dims array of a dispatch over `total` elements (see GEOMETRY). */
function geometryDims(g: WindowGeometry, total: number): Uint32Array {
  return Uint32Array.from([
    g.batch,
    g.inHeight,
    g.inWidth,
    g.inChannels,
    g.outHeight,
    g.outWidth,
    g.outChannels,
    g.filterHeight,
    g.filterWidth,
    g.strideHeight,
    g.strideWidth,
    g.dilationHeight,
    g.dilationWidth,
    g.padTop >>> 0,
    g.padLeft >>> 0,
    total,
    g.batch * g.outHeight * g.outWidth,
    0,
  ]);
}

/** A binding of the shader: name, read-only or written, element type (u32 where bits are copied, not summed). */
type Binding = readonly [name: string, access: 'read' | 'read_write', type: 'f32' | 'u32' | 'i32'];

/** The bindings in dispatch order, then dims. */
function declare(bindings: readonly Binding[]): string {
  return [
    ...bindings.map(
      ([name, access, type], at) => `@group(0) @binding(${at}) var<storage, ${access}> ${name}: array<${type}>;`,
    ),
    `@group(0) @binding(${bindings.length}) var<storage, read> dims: array<u32>;`,
  ].join('\n');
}

/** A shader with one invocation per written element `i` (a 2-D grid of workgroups) and `g` in scope. */
function elementShader(bindings: readonly Binding[], helpers: string, body: string): string {
  return /* wgsl */ `
${declare(bindings)}
${GEOMETRY}
${helpers}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  ${FLAT_INDEX}
  let g = geometry();
  if (i >= g.total) { return; }
  ${body}
}`;
}

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

/**
 * conv2d: output element (n, oi, oj, o) sums x * filter over taps (p, q, c) in the CPU's order (its im2col row).
 * A tap in the padding reads a zero as im2col does, so `0 * filter` still turns an infinite or NaN filter entry
 * into NaN, as on the CPU.
 */
const CONV2D_SHADER = elementShader(
  [
    ['x', 'read', 'f32'],
    ['f', 'read', 'f32'],
    ['y', 'read_write', 'f32'],
  ],
  '',
  `let o = i % g.OC;
  var r = i / g.OC;
  let oj = r % g.OW;
  r = r / g.OW;
  let oi = r % g.OH;
  let n = r / g.OH;
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
  [
    ['dy', 'read', 'f32'],
    ['f', 'read', 'f32'],
    ['dx', 'read_write', 'f32'],
  ],
  '',
  `let c = i % g.C;
  var r = i / g.C;
  let w = r % g.W;
  r = r / g.W;
  let h = r % g.H;
  let n = r / g.H;
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
  let oj = pos % g.OW;
  let rest = pos / g.OW;
  let oi = rest % g.OH;
  let n = rest / g.OH;
  let h = i32(oi * g.SH + p * g.DH) - g.padTop;
  let w = i32(oj * g.SW + q * g.DW) - g.padLeft;
  let d = dy[pos * g.OC + o];
  if (h < 0 || h >= i32(g.H) || w < 0 || w >= i32(g.W)) { return g.zero * d; }
  return x[((n * g.H + u32(h)) * g.W + u32(w)) * g.C + c] * d;
}`;

/** depthwiseConv2d: output element (n, oi, oj, k = c * M + m) sums x[.., c] * filter[p, q, k] over in-bounds taps. */
const DEPTHWISE_SHADER = elementShader(
  [
    ['x', 'read', 'f32'],
    ['f', 'read', 'f32'],
    ['y', 'read_write', 'f32'],
  ],
  '',
  `let k = i % g.OC;
  var r = i / g.OC;
  let oj = r % g.OW;
  r = r / g.OW;
  let oi = r % g.OH;
  let n = r / g.OH;
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
  [
    ['dy', 'read', 'f32'],
    ['f', 'read', 'f32'],
    ['dx', 'read_write', 'f32'],
  ],
  '',
  `let c = i % g.C;
  var r = i / g.C;
  let w = r % g.W;
  r = r / g.W;
  let h = r % g.H;
  let n = r / g.H;
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
  let oj = pos % g.OW;
  let rest = pos / g.OW;
  let oi = rest % g.OH;
  let n = rest / g.OH;
  let h = i32(oi * g.SH + p * g.DH) - g.padTop;
  let w = i32(oj * g.SW + q * g.DW) - g.padLeft;
  if (h < 0 || h >= i32(g.H) || w < 0 || w >= i32(g.W)) { return 0.0; }
  let c = k / (g.OC / g.C);
  return x[((n * g.H + u32(h)) * g.W + u32(w)) * g.C + c] * dy[pos * g.OC + k];
}`;

// -- Pooling (windows are FH x FW undilated, clipped to the input, as lib/kernels/pool.ts sweeps them) --

/**
 * The flat offset in x of the first maximum of window (n, oi, oj) in channel c, or -1 for an empty window; x is
 * read as bits and compared through an order-preserving integer key, so that the result does not depend on how
 * the device treats NaNs or subnormals: a NaN is the maximum (the first one wins) and -0 ties with +0 (the first
 * wins), as the CPU's `v > best || (isNaN(v) && !isNaN(best))` decides.
 */
const ARGMAX = /* wgsl */ `
fn isNan(bits: u32) -> bool { return (bits & 0x7fffffffu) > 0x7f800000u; }

// Orders non-NaN floats as the integers do; -0 and +0 share a key.
fn orderKey(bits: u32) -> i32 {
  let magnitude = i32(bits & 0x7fffffffu);
  if ((bits & 0x80000000u) != 0u) { return -magnitude; }
  return magnitude;
}

fn argmax(g: Geometry, n: u32, oi: u32, oj: u32, c: u32) -> i32 {
  let top = i32(oi * g.SH) - g.padTop;
  let h0 = max(top, 0);
  let h1 = min(top + i32(g.FH), i32(g.H));
  let left = i32(oj * g.SW) - g.padLeft;
  let w0 = max(left, 0);
  let w1 = min(left + i32(g.FW), i32(g.W));
  var at = -1;
  var best = 0;
  var bestNan = false;
  for (var h = h0; h < h1; h++) {
    for (var w = w0; w < w1; w++) {
      let s = ((i32(n * g.H) + h) * i32(g.W) + w) * i32(g.C) + i32(c);
      let bits = x[s];
      if (isNan(bits)) {
        if (!bestNan) { bestNan = true; at = s; }
      } else {
        let key = orderKey(bits);
        if (at < 0 || (!bestNan && key > best)) { best = key; at = s; }
      }
    }
  }
  return at;
}`;

/** Output element i's (n, oi, oj, c) for the pooling shaders. */
const POOL_OUTPUT_INDEX = `let c = i % g.C;
  var r = i / g.C;
  let oj = r % g.OW;
  r = r / g.OW;
  let oi = r % g.OH;
  let n = r / g.OH;`;

/** The bits the CPU writes for an empty window (`x[-1]`, undefined, stored as float32: NaN). */
const NAN_BITS = '0x7fc00000u';

/** maxPool and maxPoolGather: y copies the bits of x (or of ddx) at each window's first maximum. */
function maxPoolShader(gather: boolean): string {
  const source = gather ? 'ddx' : 'x';
  const bindings: Binding[] = [
    ['x', 'read', 'u32'],
    ...(gather ? [['ddx', 'read', 'u32'] as const] : []),
    ['y', 'read_write', 'u32'],
  ];
  return elementShader(
    bindings,
    ARGMAX,
    `${POOL_OUTPUT_INDEX}
  let at = argmax(g, n, oi, oj, c);
  if (at < 0) { y[i] = ${NAN_BITS}; } else { y[i] = ${source}[at]; }`,
  );
}

/** The argmax of every output element as a flat offset in x: the first pass of maxPoolBackprop. */
const MAX_POOL_ARGMAX_SHADER = elementShader(
  [
    ['x', 'read', 'u32'],
    ['argmaxOut', 'read_write', 'i32'],
  ],
  ARGMAX,
  `${POOL_OUTPUT_INDEX}
  argmaxOut[i] = argmax(g, n, oi, oj, c);`,
);

/**
 * The output rows (or columns) whose pooling windows contain input row `at` (padding before added), as [first, end):
 * window oi covers rows oi * stride .. oi * stride + size - 1.
 */
const POOL_COVER = /* wgsl */ `
fn coverEnd(at: i32, stride: u32, outSize: u32) -> u32 {
  if (at < 0) { return 0u; }
  return min(u32(at) / stride + 1u, outSize);
}`;

/** Input element i's (n, h, w, c) and the ranges of output rows and columns whose windows contain it. */
const POOL_INPUT_INDEX = `let c = i % g.C;
  var r = i / g.C;
  let w = r % g.W;
  r = r / g.W;
  let h = r % g.H;
  let n = r / g.H;
  let ai = i32(h) + g.padTop;
  let aj = i32(w) + g.padLeft;
  let i0 = firstWindow(ai, g.FH, 1u, g.SH);
  let i1 = coverEnd(ai, g.SH, g.OH);
  let j0 = firstWindow(aj, g.FW, 1u, g.SW);
  let j1 = coverEnd(aj, g.SW, g.OW);`;

/**
 * maxPoolBackprop's second pass: input element i sums, in output order as the CPU adds them, the dy of the windows
 * whose first maximum it is.
 */
const MAX_POOL_BACKPROP_SHADER = elementShader(
  [
    ['dy', 'read', 'f32'],
    ['argmaxIn', 'read', 'i32'],
    ['dx', 'read_write', 'f32'],
  ],
  POOL_COVER,
  `${POOL_INPUT_INDEX}
  var sum = 0.0;
  for (var oi = i0; oi < i1; oi++) {
    for (var oj = j0; oj < j1; oj++) {
      let o = ((n * g.OH + oi) * g.OW + oj) * g.C + c;
      if (argmaxIn[o] == i32(i)) { sum += dy[o]; }
    }
  }
  dx[i] = sum;`,
);

/** The number of in-bounds elements of window (oi, oj), as pool.ts's sweep clips it. */
const WINDOW_COUNT = /* wgsl */ `
fn windowCount(g: Geometry, oi: u32, oj: u32) -> u32 {
  let top = i32(oi * g.SH) - g.padTop;
  let left = i32(oj * g.SW) - g.padLeft;
  let rows = min(top + i32(g.FH), i32(g.H)) - max(top, 0);
  let cols = min(left + i32(g.FW), i32(g.W)) - max(left, 0);
  return u32(max(rows, 0) * max(cols, 0));
}`;

/** avgPool: the in-bounds sum over the in-bounds count (0 / 0, NaN, for an empty window, as on the CPU). */
const AVG_POOL_SHADER = elementShader(
  [
    ['x', 'read', 'f32'],
    ['y', 'read_write', 'u32'], // bits, so that an empty window can get the CPU's NaN (WGSL has no NaN constant)
  ],
  WINDOW_COUNT,
  `${POOL_OUTPUT_INDEX}
  let top = i32(oi * g.SH) - g.padTop;
  let left = i32(oj * g.SW) - g.padLeft;
  let count = windowCount(g, oi, oj);
  if (count == 0u) { y[i] = ${NAN_BITS}; return; }
  var sum = 0.0;
  for (var h = max(top, 0); h < min(top + i32(g.FH), i32(g.H)); h++) {
    for (var w = max(left, 0); w < min(left + i32(g.FW), i32(g.W)); w++) {
      sum += x[((i32(n * g.H) + h) * i32(g.W) + w) * i32(g.C) + i32(c)];
    }
  }
  y[i] = bitcast<u32>(sum / f32(count));`,
);

/** avgPoolBackprop: input element i gathers each covering window's dy over that window's count. */
const AVG_POOL_BACKPROP_SHADER = elementShader(
  [
    ['dy', 'read', 'f32'],
    ['dx', 'read_write', 'f32'],
  ],
  POOL_COVER + WINDOW_COUNT,
  `${POOL_INPUT_INDEX}
  var sum = 0.0;
  for (var oi = i0; oi < i1; oi++) {
    for (var oj = j0; oj < j1; oj++) {
      sum += dy[((n * g.OH + oi) * g.OW + oj) * g.C + c] / f32(windowCount(g, oi, oj));
    }
  }
  dx[i] = sum;`,
);

/** Refuses arrays other than float32 (WGSL has no f64; int pooling has no GPU kernel), naming the kernel. */
function checkFloat32(kernel: string, arrays: readonly GpuArray[]): void {
  for (const array of arrays) {
    if (array.dtype !== 'float32') {
      throw new TypeError(`tapegrad.webgpu.${kernel}: float32 only on the GPU, got ${array.dtype}`);
    }
  }
}

/**
 * Refuses an output that shares a buffer with an input: WebGPU rejects a written binding aliasing another, and none
 * of these kernels can work in place (each output element reads many input elements).
 */
function checkNoAlias(kernel: string, out: GpuArray, inputs: readonly GpuArray[]): void {
  if (inputs.some((input) => input.buffer === out.buffer)) {
    throw new Error(`tapegrad.webgpu.${kernel}: the output must not be one of the inputs`);
  }
}

/**
 * The convolution and pooling kernels on GPU arrays (float32), with the CPU kernels' arguments. The convolutions
 * take the CPU's trailing matmul kernel and ignore it: they are direct loops, not im2col and a product.
 */
export function gpuConv(ctx: GpuContext): GpuConvKernels {
  /** One invocation per element of `out`; inputs then out are bound in that order. */
  const perElement = (
    kernel: string,
    shader: string,
    inputs: readonly GpuArray[],
    out: GpuArray,
    g: WindowGeometry,
  ): void => {
    checkFloat32(kernel, [...inputs, out]);
    checkNoAlias(kernel, out, inputs);
    ctx.dispatch(`conv.${kernel}`, () => shader, [...inputs, out], geometryDims(g, out.length), ctx.grid(out.length));
  };

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
      perElement('conv2d', CONV2D_SHADER, [x, filter], y, g);
    },
    conv2dBackpropInput(dy, filter, g, dx) {
      perElement('conv2dBackpropInput', CONV2D_BACKPROP_INPUT_SHADER, [dy, filter], dx, g);
    },
    conv2dBackpropFilter(x, dy, g, dFilter) {
      filterGradient('conv2dBackpropFilter', CONV2D_FILTER_TERM, x, dy, g, dFilter);
    },
    depthwiseConv2d(x, filter, g, y) {
      perElement('depthwiseConv2d', DEPTHWISE_SHADER, [x, filter], y, g);
    },
    depthwiseConv2dBackpropInput(dy, filter, g, dx) {
      perElement('depthwiseConv2dBackpropInput', DEPTHWISE_BACKPROP_INPUT_SHADER, [dy, filter], dx, g);
    },
    depthwiseConv2dBackpropFilter(x, dy, g, dFilter) {
      filterGradient('depthwiseConv2dBackpropFilter', DEPTHWISE_FILTER_TERM, x, dy, g, dFilter);
    },
    maxPool(x, g, y) {
      perElement('maxPool', maxPoolShader(false), [x], y, g);
    },
    maxPoolGather(ddx, x, g, y) {
      // x first: the shared argmax code reads it at binding 0.
      checkFloat32('maxPoolGather', [ddx, x, y]);
      checkNoAlias('maxPoolGather', y, [ddx, x]);
      ctx.dispatch(
        'conv.maxPoolGather',
        () => maxPoolShader(true),
        [x, ddx, y],
        geometryDims(g, y.length),
        ctx.grid(y.length),
      );
    },
    maxPoolBackprop(dy, x, g, dx) {
      checkFloat32('maxPoolBackprop', [dy, x, dx]);
      checkNoAlias('maxPoolBackprop', dx, [dy, x]);
      const outputs = g.batch * g.outHeight * g.outWidth * g.inChannels;
      const argmax = ctx.allocate(outputs, 'int32');
      ctx.dispatch(
        'conv.maxPoolArgmax',
        () => MAX_POOL_ARGMAX_SHADER,
        [x, argmax],
        geometryDims(g, outputs),
        ctx.grid(outputs),
      );
      ctx.dispatch(
        'conv.maxPoolBackprop',
        () => MAX_POOL_BACKPROP_SHADER,
        [dy, argmax, dx],
        geometryDims(g, dx.length),
        ctx.grid(dx.length),
      );
      // Both dispatches are submitted: whatever reuses the buffer is queued after them.
      ctx.pool.freeNow(argmax);
    },
    avgPool(x, g, y) {
      perElement('avgPool', AVG_POOL_SHADER, [x], y, g);
    },
    avgPoolBackprop(dy, g, dx) {
      perElement('avgPoolBackprop', AVG_POOL_BACKPROP_SHADER, [dy], dx, g);
    },
  };
}
