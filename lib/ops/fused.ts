/**
 * Fused ops, as TensorFlow.js's `tf.fused`: a matrix product or a 2-D
 * convolution, plus a bias and an activation, in one recorded op. The bias
 * and the activation are applied in place on the product's array, so a layer
 * costs one array instead of three; the backward pass is one `reluGrad` and
 * the product's own gradients. Results equal the unfused ops'
 * (`relu(add(matmul(a, b), bias))`), and every transform differentiates them.
 *
 * @example
 * ```ts
 * import { fused, tensor } from 'tapegrad';
 * const x = tensor([[1, -2]]);
 * const w = tensor([[1, 0], [0, 1]]);
 * fused.matMul({ a: x, b: w, bias: tensor([0.5, 0.5]), activation: 'relu' }); // [[1.5, 0]]
 * ```
 * @packageDocumentation
 */
import { describeValue } from '../format.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { fusedConv2d } from './conv.js';
import { biasInput } from './epilogue.js';
import { fusedMatMul, matmulInputs, type FusedActivation } from './matmul.js';

export type { FusedActivation } from './matmul.js';

/** TensorFlow.js's activation names, of which {@link FusedActivation}'s are fused here. */
const TFJS_ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'prelu', 'leakyrelu', 'sigmoid'];

function checkActivation(op: string, activation: unknown, extra: Record<string, unknown>): FusedActivation {
  if (activation === 'linear' || activation === 'relu') {
    const given = Object.entries(extra).filter(([, v]) => v !== undefined);
    if (given.length > 0) {
      throw new Error(
        `tapegrad.${op}: ${given[0]![0]} applies only to the 'prelu' and 'leakyrelu' activations, which are not ` +
          'fused here; leave it out',
      );
    }
    return activation;
  }
  if (typeof activation === 'string' && TFJS_ACTIVATIONS.includes(activation)) {
    throw new Error(
      `tapegrad.${op}: activation '${activation}' is not fused here (only 'linear' and 'relu'); use ` +
        `activation 'linear' and apply ${activation === 'leakyrelu' ? 'leakyRelu' : activation}(...) to the result`,
    );
  }
  throw new TypeError(
    `tapegrad.${op}: activation must be 'linear' or 'relu', got ${typeof activation === 'string' ? `'${activation}'` : describeValue(activation)}`,
  );
}

/**
 * `activation(a @ b + bias)`: {@link matmul} with a bias and an activation in
 * one op (TensorFlow.js `tf.fused.matMul`).
 *
 * @param args - `a` and `b` (see {@link matmul}; rank 2 or more), `transposeA`
 *   and `transposeB` (default false), `bias` (optional; broadcasts to the
 *   product's shape, e.g. `[n]`), `activation` (`'linear'`, the default, or
 *   `'relu'`). TensorFlow.js's `preluActivationWeights` and `leakyreluAlpha`
 *   belong to activations not fused here.
 *
 * @example
 * ```ts
 * import { fused, tensor } from 'tapegrad';
 * const a = tensor([[1, 2], [3, 4]]);
 * const b = tensor([[1, -1], [1, -1]]);
 * fused.matMul({ a, b }); // [[3, -3], [7, -7]]
 * fused.matMul({ a, b, bias: tensor([1, 10]), activation: 'relu' }); // [[4, 7], [8, 3]]
 * ```
 */
export function matMul(args: {
  a: TensorLike;
  b: TensorLike;
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: TensorLike;
  activation?: FusedActivation;
  preluActivationWeights?: TensorLike;
  leakyreluAlpha?: number;
}): Tensor {
  const op = 'fused.matMul';
  const { transposeA = false, transposeB = false, bias, activation = 'linear' } = args;
  const act = checkActivation(op, activation, {
    preluActivationWeights: args.preluActivationWeights,
    leakyreluAlpha: args.leakyreluAlpha,
  });
  const [x, y] = matmulInputs(op, args.a, args.b);
  const b = biasInput(op, bias, x.dtype, 'a and b are');
  return fusedMatMul(x, y, b, Boolean(transposeA), Boolean(transposeB), act);
}

/**
 * `activation(conv2d(x, filter) + bias)`: {@link conv2d} with a bias and an
 * activation in one op (TensorFlow.js `tf.fused.conv2d`).
 *
 * @param args - `x`, `filter`, `strides`, `pad`, `dataFormat` (default
 *   `'NHWC'`), `dilations` (default 1) and `dimRoundingMode` as
 *   {@link conv2d} takes them; `bias` (optional; one value per output channel,
 *   `[outChannels]`, or any shape that broadcasts to the result's);
 *   `activation` (`'linear'`, the default, or `'relu'`).
 *
 * @example
 * ```ts
 * import { fused, ones, tensor } from 'tapegrad';
 * const x = tensor([1, 2, 3, 4], [1, 2, 2, 1]);
 * fused.conv2d({ x, filter: ones([2, 2, 1, 1]), strides: 1, pad: 'valid', bias: tensor([-12]), activation: 'relu' }); // [[[[0]]]]
 * fused.conv2d({ x, filter: ones([1, 1, 1, 2]), strides: 1, pad: 'valid', bias: tensor([0, -2]) }).shape; // [1, 2, 2, 2]
 * ```
 */
export function conv2d(args: {
  x: TensorLike;
  filter: TensorLike;
  strides: readonly [number, number] | number;
  pad: 'valid' | 'same' | number | readonly (readonly [number, number])[];
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: readonly [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  bias?: TensorLike;
  activation?: FusedActivation;
  preluActivationWeights?: TensorLike;
  leakyreluAlpha?: number;
}): Tensor {
  const act = checkActivation('fused.conv2d', args.activation ?? 'linear', {
    preluActivationWeights: args.preluActivationWeights,
    leakyreluAlpha: args.leakyreluAlpha,
  });
  return fusedConv2d(
    args.x,
    args.filter,
    args.strides,
    args.pad,
    args.dataFormat ?? 'NHWC',
    args.dilations ?? [1, 1],
    args.dimRoundingMode,
    args.bias,
    act,
  );
}
