/**
 * Every op, re-exported by family, in the order the families import each
 * other (each imports only families above it). Importing a family also
 * installs its Tensor methods. Shared plumbing (elementwise.ts, methods.ts,
 * epilogue.ts, fused-grads.ts) is not re-exported, nor are the ops that
 * matmul.ts and conv.ts define for the `fused` namespace.
 */
export * from './shape.js';
export * from './compare.js';
export * from './logic.js';
export * from './arithmetic.js';
export * from './powers.js';
export * from './piecewise.js';
export * from './trig.js';
export * from './reduce.js';
export * from './scan.js';
export * from './activation.js';
export { matmul } from './matmul.js';
export * from './slicing.js';
export * from './gather.js';
export * from './joining.js';
export { conv2d, conv2dTranspose, depthwiseConv2d } from './conv.js';
export * from './pool.js';
export * from './dropout.js';
export * from './debugging.js';
export * as losses from './losses.js';
export * as fused from './fused.js';
