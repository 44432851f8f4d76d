/**
 * The kernel interface that ops call for every numeric loop. The reference
 * implementation is plain TypeScript; a faster backend (WebAssembly SIMD)
 * replaces entries with `setKernels` without touching ops or the tape.
 * Nothing in this folder imports tensors, tapes or ops.
 */
import {
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  depthwiseConv2d,
  depthwiseConv2dBackpropFilter,
  depthwiseConv2dBackpropInput,
} from './conv.js';
import { binary, cast, select, unary } from './elementwise.js';
import { gatherAxis, oneHot, scatterAddAxis } from './gather.js';
import { broadcastTo, transpose } from './layout.js';
import { matmul } from './matmul.js';
import { adamUpdate, sgdUpdate } from './optimizers.js';
import { avgPool, avgPoolBackprop, maxPool, maxPoolBackprop, maxPoolGather } from './pool.js';
import { fillNormal, fillUniform } from './random.js';
import { argReduce, reduce } from './reduce.js';
import { cumsum, softmax } from './scan.js';
import { concat, stridedRead, stridedWrite, tile } from './slice.js';

export type { BinaryKernel, UnaryKernel } from './elementwise.js';
export type { ReduceKernel } from './reduce.js';
export type { MatmulKernel, WindowGeometry } from './conv.js';
export type { AdamHyperparameters } from './optimizers.js';

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
  /** Sum, mean, max, min, product, all, any or log-sum-exp over a set of axes. */
  reduce: typeof reduce;
  /** Index of the largest or smallest element along one axis. */
  argReduce: typeof argReduce;
  /** Cumulative sum along one axis (exclusive and/or reversed). */
  cumsum: typeof cumsum;
  /** Softmax or log-softmax along one axis, shifted by the maximum. */
  softmax: typeof softmax;
  /** Batched matrix product with optional transposes and broadcast batch axes. */
  matmul: typeof matmul;
  /** Axis permutation. */
  transpose: typeof transpose;
  /** Repetition along broadcast axes. */
  broadcastTo: typeof broadcastTo;
  /** Copy of a strided window (slice, stridedSlice, reverse). */
  stridedRead: typeof stridedRead;
  /** Write into a strided window (pad, the adjoint of stridedSlice). */
  stridedWrite: typeof stridedWrite;
  /** Concatenation along one axis. */
  concat: typeof concat;
  /** Repetition of a whole array along each axis. */
  tile: typeof tile;
  /** Gather along one axis by int32 indices. */
  gatherAxis: typeof gatherAxis;
  /** Scatter-add along one axis by int32 indices: the adjoint of gatherAxis. */
  scatterAddAxis: typeof scatterAddAxis;
  /** One-hot encoding of int32 indices. */
  oneHot: typeof oneHot;
  /** Seeded uniform draws. */
  fillUniform: typeof fillUniform;
  /** Seeded normal draws. */
  fillNormal: typeof fillNormal;
  /** 2-D convolution (NHWC) as im2col and a product by the given matmul kernel. */
  conv2d: typeof conv2d;
  /** conv2d's gradient with respect to its input. */
  conv2dBackpropInput: typeof conv2dBackpropInput;
  /** conv2d's gradient with respect to its filter. */
  conv2dBackpropFilter: typeof conv2dBackpropFilter;
  /** Depthwise 2-D convolution (NHWC). */
  depthwiseConv2d: typeof depthwiseConv2d;
  /** depthwiseConv2d's gradient with respect to its input. */
  depthwiseConv2dBackpropInput: typeof depthwiseConv2dBackpropInput;
  /** depthwiseConv2d's gradient with respect to its filter. */
  depthwiseConv2dBackpropFilter: typeof depthwiseConv2dBackpropFilter;
  /** 2-D max pooling (NHWC). */
  maxPool: typeof maxPool;
  /** maxPool's gradient: dy scattered onto each window's first maximum. */
  maxPoolBackprop: typeof maxPoolBackprop;
  /** The transpose of maxPoolBackprop: a gather at each window's first maximum. */
  maxPoolGather: typeof maxPoolGather;
  /** 2-D average pooling over in-bounds elements (NHWC). */
  avgPool: typeof avgPool;
  /** avgPool's gradient (its transpose). */
  avgPoolBackprop: typeof avgPoolBackprop;
  /** One fused Adam step over a variable, its gradient and its two slots. */
  adamUpdate: typeof adamUpdate;
  /** One fused gradient-descent step. */
  sgdUpdate: typeof sgdUpdate;
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
  argReduce,
  cumsum,
  softmax,
  matmul,
  transpose,
  broadcastTo,
  stridedRead,
  stridedWrite,
  concat,
  tile,
  gatherAxis,
  scatterAddAxis,
  oneHot,
  fillUniform,
  fillNormal,
  conv2d,
  conv2dBackpropInput,
  conv2dBackpropFilter,
  depthwiseConv2d,
  depthwiseConv2dBackpropInput,
  depthwiseConv2dBackpropFilter,
  maxPool,
  maxPoolBackprop,
  maxPoolGather,
  avgPool,
  avgPoolBackprop,
  adamUpdate,
  sgdUpdate,
});

/** The kernels in use. Ops read this object on every call. */
export const kernels: Kernels = { ...referenceKernels };

/**
 * Replaces some kernels (for example with WebAssembly ones) and returns the
 * previous set, so a caller can restore it.
 *
 * @param replacements - The kernels to use from now on, by name; the others stay as they are.
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
