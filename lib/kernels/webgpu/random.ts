/**
 * The seeded fills (fillUniform, fillNormal) on GPU arrays, with the CPU kernels' arguments (lib/kernels/random.ts).
 * The draws are made on the CPU, by the CPU kernels, and uploaded, so that a seed gives the same numbers on every
 * backend.
 */
import { allocate } from '../../dtype.js';
import type { Kernels } from '../index.js';
import { fillNormal as cpuFillNormal, fillUniform as cpuFillUniform } from '../random.js';
import type { OnArrays } from '../storage.js';
import type { GpuArray } from './buffers.js';
import type { GpuContext } from './context.js';

/** The WebGPU random kernels. */
export interface GpuRandomKernels {
  /** The CPU's draws, uploaded. */
  fillUniform: OnArrays<Kernels['fillUniform'], GpuArray>;
  /** The CPU's draws, uploaded. */
  fillNormal: OnArrays<Kernels['fillNormal'], GpuArray>;
}

/** The seeded fills on GPU arrays: the CPU kernels' values for the seed, written to `out`. */
export function gpuRandom(ctx: GpuContext): GpuRandomKernels {
  return {
    // The draws are made on the CPU, by the CPU kernel, so that a seed gives the same numbers on every backend.
    fillUniform(out, lo, hi, seed) {
      const values = allocate(out.dtype, out.length);
      cpuFillUniform(values, lo, hi, seed);
      ctx.write(out, values);
    },

    fillNormal(out, mean, stddev, seed) {
      const values = allocate(out.dtype, out.length);
      cpuFillNormal(values, mean, stddev, seed);
      ctx.write(out, values);
    },
  };
}
