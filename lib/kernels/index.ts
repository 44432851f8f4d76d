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
  /** Element-wise unary map by name (`exp`, `tanh`, ...). */
  unary: typeof unary;
  /** Element-wise binary map by name, with NumPy broadcasting. */
  binary: typeof binary;
  /** Element-wise choice between two arrays by a bool mask, broadcasting all three. */
  select: typeof select;
  /** Conversion between element types (truncating to int32, `!= 0` to bool). */
  cast: typeof cast;
  /** Sum, mean, max or min over a set of axes. */
  reduce: typeof reduce;
  /** Batched matrix product with optional transposes and broadcast batch axes. */
  matmul: typeof matmul;
  /** Axis permutation. */
  transpose: typeof transpose;
  /** Repetition along broadcast axes. */
  broadcastTo: typeof broadcastTo;
  /** Seeded uniform draws. */
  fillUniform: typeof fillUniform;
  /** Seeded normal draws. */
  fillNormal: typeof fillNormal;
}

/**
 * The plain TypeScript kernels: the fallback everywhere, and the reference faster ones are tested against.
 *
 * @example
 * ```ts
 * import { referenceKernels } from 'tapegrad';
 * const out = new Float32Array(2);
 * referenceKernels.unary('exp', new Float32Array([0, 1]), out);
 * out; // Float32Array [1, 2.7182817]
 * ```
 */
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
 *
 * @example
 * ```ts
 * import { referenceKernels, setKernels, tensor } from 'tapegrad';
 * let calls = 0;
 * const previous = setKernels({
 *   matmul: (...args) => {
 *     calls++;
 *     return referenceKernels.matmul(...args);
 *   },
 * });
 * tensor([[1, 2]]).matmul([[3], [4]]); // [[11]]
 * calls; // 1
 * setKernels(previous); // back to the kernels used before
 * ```
 */
export function setKernels(replacements: Partial<Kernels>): Kernels {
  const previous = { ...kernels };
  Object.assign(kernels, replacements);
  return previous;
}
