/// <reference types="@webgpu/types" />
/**
 * WGSL fused optimizer steps (adamUpdate, sgdUpdate), with the CPU kernels' arguments (lib/kernels/optimizers.ts):
 * one dispatch per step, reading and writing every element in the CPU's order. An output may be one of the inputs
 * (an update in place): each distinct buffer is bound once, read_write where any role writes it.
 */
import type { Kernels } from '../index.js';
import { adamFactors } from '../optimizers.js';
import type { OnArrays } from '../storage.js';
import type { GpuArray } from './buffers.js';
import { checkType, f32Bits, FLAT_INDEX, WORKGROUP, type GpuContext } from './context.js';

/**
 * Bindings for a kernel whose outputs may be some of its inputs (in place): one binding per distinct buffer,
 * read_write where any role writes it, since two bindings of one buffer with a writable one are a validation error.
 */
function bindDistinct(roles: readonly { name: string; array: GpuArray; write: boolean }[]): {
  arrays: GpuArray[];
  decls: string;
  names: Record<string, string>;
  key: string;
} {
  const arrays: GpuArray[] = [];
  const writable: boolean[] = [];
  const names: Record<string, string> = {};
  for (const role of roles) {
    let b = arrays.findIndex((a) => a.buffer === role.array.buffer);
    if (b < 0) {
      b = arrays.length;
      arrays.push(role.array);
      writable.push(false);
    }
    writable[b] ||= role.write;
    names[role.name] = `b${b}`;
  }
  const decls = arrays
    .map((_, b) => `@group(0) @binding(${b}) var<storage, ${writable[b] ? 'read_write' : 'read'}> b${b}: array<f32>;`)
    .concat(`@group(0) @binding(${arrays.length}) var<storage, read> dims: array<u32>;`)
    .join('\n');
  return { arrays, decls, names, key: roles.map((r) => names[r.name]).join(',') };
}

/** The WebGPU optimizer kernels. */
export interface GpuOptimizerKernels {
  /** One dispatch; outputs may be inputs (bound once, read_write). */
  adamUpdate: OnArrays<Kernels['adamUpdate'], GpuArray>;
  /** One dispatch; `outW` may be `w` or `g`. */
  sgdUpdate: OnArrays<Kernels['sgdUpdate'], GpuArray>;
}

/** The fused optimizer steps on GPU arrays (float32), with the CPU kernels' arguments. */
export function gpuOptimizers(ctx: GpuContext): GpuOptimizerKernels {
  return {
    adamUpdate(w, g, m, v, h, outW, outM, outV) {
      for (const a of [w, g, m, v, outW, outM, outV]) checkType('adamUpdate', a, ['float32']);
      const { arrays, decls, names, key } = bindDistinct([
        { name: 'w', array: w, write: false },
        { name: 'g', array: g, write: false },
        { name: 'm', array: m, write: false },
        { name: 'v', array: v, write: false },
        { name: 'outW', array: outW, write: true },
        { name: 'outM', array: outM, write: true },
        { name: 'outV', array: outV, write: true },
      ]);
      const { c1, c2, b1, b2 } = adamFactors(h);
      const params = [h.lr, h.beta1, h.beta2, h.epsilon, c1, c2, b1, b2].map(f32Bits);
      const dims = Uint32Array.from([w.length, ...params]);
      const p = (k: number) => `bitcast<f32>(dims[${k + 1}])`;
      // The CPU's order: read g, m, v; write m' and v'; then read w (which may be m' itself) and write w'.
      const shader = () => /* wgsl */ `
${decls}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  ${FLAT_INDEX}
  if (i >= dims[0]) { return; }
  let gi = ${names.g}[i];
  let mi = ${p(1)} * ${names.m}[i] + ${p(4)} * gi;
  let vi = ${p(2)} * ${names.v}[i] + ${p(5)} * gi * gi;
  ${names.outM}[i] = mi;
  ${names.outV}[i] = vi;
  ${names.outW}[i] = ${names.w}[i] - (${p(0)} * (mi / ${p(6)})) / (sqrt(vi / ${p(7)}) + ${p(3)});
}`;
      ctx.dispatch(`adam:${key}`, shader, arrays, dims, ctx.grid(w.length));
    },

    sgdUpdate(w, g, lr, outW) {
      for (const a of [w, g, outW]) checkType('sgdUpdate', a, ['float32']);
      const { arrays, decls, names, key } = bindDistinct([
        { name: 'w', array: w, write: false },
        { name: 'g', array: g, write: false },
        { name: 'outW', array: outW, write: true },
      ]);
      const shader = () => /* wgsl */ `
${decls}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  ${FLAT_INDEX}
  if (i >= dims[0]) { return; }
  ${names.outW}[i] = ${names.w}[i] - bitcast<f32>(dims[1]) * ${names.g}[i];
}`;
      ctx.dispatch(`sgd:${key}`, shader, arrays, Uint32Array.from([w.length, f32Bits(lr)]), ctx.grid(w.length));
    },
  };
}
