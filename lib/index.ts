/**
 * tapegrad: eager, tape-based automatic differentiation for TypeScript.
 *
 * @example
 * ```ts
 * import { GradientTape, matmul, variable } from 'tapegrad';
 * const w1 = variable([[1, 2]]);
 * const tape = new GradientTape(); // watches the trainable variables ops read
 * const y = matmul(w1, [[9], [10]]); // [[29]]
 * const [g] = tape.gradient(y, [w1]);
 * g; // [[9, 10]]
 * ```
 * @packageDocumentation
 */
export { Tensor, type NestedArray, type TensorLike, type TensorLikeArray } from './tensor.js';
export { Variable, variable, type VariableOptions } from './variable.js';
export type { DType, FloatDType, DataTypeMap, TypedArray } from './dtype.js';
export type { Shape } from './shape.js';
export {
  tensor,
  type NumberArray,
  type BoolArray,
  scalar,
  zeros,
  ones,
  fill,
  zerosLike,
  onesLike,
  range,
  eye,
  randomNormal,
  randomUniform,
} from './creation.js';
export * from './ops/index.js';
export {
  GradientTape,
  type GradientTapeOptions,
  type GradientOptions,
  type Gradient,
  type GradientsOf,
  type Sources,
  type UnconnectedGradients,
} from './tape.js';
export {
  setKernels,
  referenceKernels,
  type Kernels,
  type UnaryKernel,
  type BinaryKernel,
  type ReduceKernel,
} from './kernels/index.js';
export {
  checkGradients,
  numericJvp,
  type CheckGradientsOptions,
  type CheckGradientsResult,
  type GradientComparison,
} from './testing/index.js';
