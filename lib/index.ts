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
export { Tensor, type NestedArray, type TensorLike, type TensorLikeArray, type TensorJSON } from './tensor.js';
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
  tensor1d,
  tensor2d,
  tensor3d,
  tensor4d,
  linspace,
  type DTypeOfValues,
} from './creation.js';
export { tidy, keep, dispose, type TensorContainer } from './memory.js';
export { setSeed } from './random.js';
export * from './ops/index.js';
export {
  GradientTape,
  type GradientTapeOptions,
  type GradientOptions,
  type Gradient,
  type GradientsOf,
  type Sources,
  type UnconnectedGradients,
  type JacobianOptions,
  type TapeGraph,
  type TapeGraphOp,
  type TapeGraphTensor,
} from './tape.js';
export { toDot, type ToDotOptions, type TapeGraphEdge } from './tape-graph.js';
export type { ExplainReason, GradientExplanation } from './explain.js';
export { ForwardAccumulator, jvp, type JvpOptions, type TangentsOf } from './forward.js';
export {
  customGradient,
  customGrad,
  type CustomGradFunc,
  type CustomGradientInputs,
  type CustomGradientOptions,
  type CustomGradientResult,
  type SaveFunc,
} from './custom-gradient.js';
export {
  grad,
  grads,
  valueAndGrad,
  valueAndGrads,
  vjp,
  hessian,
  variableGrads,
  type AuxFunction,
  type Cotangent,
  type FunctionalOptions,
  type TensorFunction,
  type ValueAndGrad,
  type ValueAndGrads,
  type VariableGrads,
  type WithAux,
} from './functional.js';
export {
  setKernels,
  referenceKernels,
  type Kernels,
  type UnaryKernel,
  type BinaryKernel,
  type ReduceKernel,
  type MatmulKernel,
  type WindowGeometry,
  type AdamHyperparameters,
} from './kernels/index.js';
export { ready, type CpuBackendName } from './kernels/wasm/index.js';
export {
  setBackend,
  backend,
  toBackend,
  type BackendName,
  type SettableBackend,
  type WebGpuOptions,
  type GpuLike,
} from './backends.js';
export { enableCheckNumerics, disableCheckNumerics, withCheckNumerics } from './numerics.js';
export * as train from './train/index.js';
export { clipByGlobalNorm, clipByNorm } from './train/clip.js';
export * as initializers from './train/initializers.js';
export * as io from './io/index.js';
export {
  checkGradients,
  numericJvp,
  type CheckGradientsOptions,
  type CheckGradientsResult,
  type GradientComparison,
} from './testing/index.js';
