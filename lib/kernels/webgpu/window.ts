/// <reference types="@webgpu/types" />
/**
 * What the WGSL convolution (conv.ts) and pooling (pool.ts) kernels share: the window geometry as the shaders read it
 * from `dims`, the binding declarations, the one-invocation-per-element shader and its dispatch, and the checks on
 * the arrays (float32 only, no output aliasing an input).
 */
import { windowArgs, type WindowGeometry } from '../conv.js';
import type { Kernels } from '../index.js';
import type { OnArrays } from '../storage.js';
import type { GpuArray } from './buffers.js';
import { FLAT_INDEX, WORKGROUP, type GpuContext } from './context.js';

/** A kernel of the table, on GPU arrays. */
export type Gpu<K extends keyof Kernels> = OnArrays<Kernels[K], GpuArray>;

/**
 * The geometry as the shaders read it from `dims`: [batch, H, W, C, outH, outW, FH, FW, strideH, strideW,
 * dilationH, dilationW, padTop (i32 bits), padLeft (i32 bits), outC, total, positions, zero] (the batch, then
 * `windowArgs`'s order, then these kernels' own). `total` is the number of
 * elements the dispatch writes; `positions` is batch * outH * outW (the length of a filter gradient's sum); `zero` is
 * 0.0, a zero the shader compiler cannot see, so that `zero * v` (a padded im2col entry times v) is NaN for an
 * infinite or NaN v, where a literal `0.0 * v` is folded to 0. padBottom and
 * padRight are not needed: the output sizes already say where the windows stop.
 */
export const GEOMETRY = /* wgsl */ `
struct Geometry {
  batch: u32, H: u32, W: u32, C: u32, OH: u32, OW: u32, FH: u32, FW: u32,
  SH: u32, SW: u32, DH: u32, DW: u32, padTop: i32, padLeft: i32, OC: u32, total: u32, positions: u32, zero: f32,
}

fn geometry() -> Geometry {
  return Geometry(dims[0], dims[1], dims[2], dims[3], dims[4], dims[5], dims[6], dims[7], dims[8], dims[9],
    dims[10], dims[11], bitcast<i32>(dims[12]), bitcast<i32>(dims[13]), dims[14], dims[15], dims[16], bitcast<f32>(dims[17]));
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
export function geometryDims(g: WindowGeometry, total: number): Uint32Array {
  // Uint32Array.from stores a negative padding as its two's complement, which the shader bitcasts back to i32.
  return Uint32Array.from([g.batch, ...windowArgs(g), g.outChannels, total, g.batch * g.outHeight * g.outWidth, 0]);
}

/** A binding of the shader: name, read-only or written, element type (u32 where bits are copied, not summed). */
export type Binding = readonly [name: string, access: 'read' | 'read_write', type: 'f32' | 'u32' | 'i32'];

/** The bindings in dispatch order, then dims. */
export function declare(bindings: readonly Binding[]): string {
  return [
    ...bindings.map(
      ([name, access, type], at) => `@group(0) @binding(${at}) var<storage, ${access}> ${name}: array<${type}>;`,
    ),
    `@group(0) @binding(${bindings.length}) var<storage, read> dims: array<u32>;`,
  ].join('\n');
}

/** A shader with one invocation per written element `i` (a 2-D grid of workgroups) and `g` in scope. */
export function elementShader(bindings: readonly Binding[], helpers: string, body: string): string {
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

/** Refuses arrays other than float32 (WGSL has no f64; int pooling has no GPU kernel), naming the kernel. */
export function checkFloat32(kernel: string, arrays: readonly GpuArray[]): void {
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
export function checkNoAlias(kernel: string, out: GpuArray, inputs: readonly GpuArray[]): void {
  if (inputs.some((input) => input.buffer === out.buffer)) {
    throw new Error(`tapegrad.webgpu.${kernel}: the output must not be one of the inputs`);
  }
}

/**
 * One invocation per element of `out` (float32, not aliasing an input), under the pipeline key `conv.${kernel}`;
 * inputs then out are bound in that order.
 */
export function perElement(
  ctx: GpuContext,
  kernel: string,
  shader: string,
  inputs: readonly GpuArray[],
  out: GpuArray,
  g: WindowGeometry,
): void {
  checkFloat32(kernel, [...inputs, out]);
  checkNoAlias(kernel, out, inputs);
  ctx.dispatch(`conv.${kernel}`, () => shader, [...inputs, out], geometryDims(g, out.length), ctx.grid(out.length));
}

/**
 * WGSL that unravels the flat index `i` of an NHWC array, whose sizes are the Geometry fields `h`, `w` and `c`, into
 * `let` bindings with the names `[n, row, column, channel]` (using a `var r` for the quotient).
 */
export function unravelNhwc(names: readonly [string, string, string, string], h: string, w: string, c: string): string {
  const [n, row, col, ch] = names;
  return `let ${ch} = i % g.${c};
  var r = i / g.${c};
  let ${col} = r % g.${w};
  r = r / g.${w};
  let ${row} = r % g.${h};
  let ${n} = r / g.${h};`;
}
