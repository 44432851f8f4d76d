/** Every op, re-exported by family. Family files export public ops only; shared plumbing lives in elementwise.ts, which is not re-exported. */
export * from './arithmetic.js';
export * from './unary.js';
export * from './math.js';
export * from './compare.js';
export * from './logic.js';
export * from './reduce.js';
export * from './scan.js';
export * from './activation.js';
export * as losses from './losses.js';
export * from './matmul.js';
export * from './shape.js';
export * from './slicing.js';
export * from './gather.js';
export * from './joining.js';
export * from './conv.js';
export * from './pool.js';
export * from './dropout.js';
