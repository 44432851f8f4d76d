/**
 * The kernel interface that ops call for every numeric loop. The reference
 * implementation is plain TypeScript; a faster backend (WebAssembly SIMD)
 * replaces entries with `setKernels` without touching ops or the tape.
 * Nothing in this folder imports tensors, tapes or ops.
 */
import { binary, cast, select, unary } from './elementwise.js';
import { broadcastTo, transpose } from './layout.js';
import { matmul } from './matmul.js';
import { fillNormal, fillUniform } from './random.js';
import { reduce } from './reduce.js';

export type { BinaryKernel, UnaryKernel } from './elementwise.js';
export type { ReduceKernel } from './reduce.js';

/** Every numeric loop ops use, by name. */
export interface Kernels {
  unary: typeof unary;
  binary: typeof binary;
  select: typeof select;
  cast: typeof cast;
  reduce: typeof reduce;
  matmul: typeof matmul;
  transpose: typeof transpose;
  broadcastTo: typeof broadcastTo;
  fillUniform: typeof fillUniform;
  fillNormal: typeof fillNormal;
}

/** The plain TypeScript kernels: the fallback everywhere, and the reference faster ones are tested against. */
export const referenceKernels: Readonly<Kernels> = Object.freeze({
  unary,
  binary,
  select,
  cast,
  reduce,
  matmul,
  transpose,
  broadcastTo,
  fillUniform,
  fillNormal,
});

/** The kernels in use. Ops read this object on every call. */
export const kernels: Kernels = { ...referenceKernels };

/**
 * Replaces some kernels (for example with WebAssembly ones) and returns the
 * previous set, so a caller can restore it.
 */
export function setKernels(replacements: Partial<Kernels>): Kernels {
  const previous = { ...kernels };
  Object.assign(kernels, replacements);
  return previous;
}
