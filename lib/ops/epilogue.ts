/**
 * The epilogue of the fused ops (`fused.matMul`, `fused.conv2d`): a bias added
 * and an activation applied in place on the array the product or convolution
 * just wrote, so the result costs one array instead of three. The array is
 * new and no tensor has seen it yet, so writing it in place is safe.
 */
import { broadcastsTo, formatShape } from '../shape.js';
import { kernels } from '../kernels/index.js';
import { convertToTensor } from '../creation.js';
import type { DType } from '../dtype.js';
import type { Tensor, TensorLike } from '../tensor.js';

/** `y ← act(y + bias)` in place on y's values; `bias` must broadcast to y's shape without growing it. */
export function applyEpilogue(op: string, y: Tensor, bias: Tensor | undefined, activation: 'linear' | 'relu'): Tensor {
  if (bias !== undefined) {
    if (!broadcastsTo(bias.shape, y.shape)) {
      throw new Error(
        `tapegrad.${op}: the bias, shaped ${formatShape(bias.shape)}, does not broadcast to the result's shape ` +
          `${formatShape(y.shape)}; give one value per output channel (shape [${y.shape[y.rank - 1]}]) or a shape ` +
          "whose dimensions are 1 or the result's",
      );
    }
    kernels.binary('add', y.values, y.shape, bias.values, bias.shape, y.values, y.shape);
  }
  if (activation === 'relu') kernels.unary('relu', y.values, y.values);
  return y;
}

/** A fused op's optional bias as a tensor of `dtype` (`operands` says what has that dtype, for the error). */
export function biasInput(
  op: string,
  bias: TensorLike | undefined,
  dtype: DType,
  operands: string,
): Tensor | undefined {
  if (bias === undefined) return undefined;
  const b = convertToTensor(op, 'bias', bias, dtype);
  if (b.dtype !== dtype) {
    throw new TypeError(`tapegrad.${op}: the bias is ${b.dtype} but ${operands} ${dtype}; give them one dtype`);
  }
  return b;
}
