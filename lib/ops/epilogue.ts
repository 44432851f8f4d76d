/**
 * The epilogue of the fused ops (`fused.matMul`, `fused.conv2d`): a bias added
 * and an activation applied in place on the array the product or convolution
 * just wrote, so the result costs one array instead of three. The array is
 * new and no tensor has seen it yet, so writing it in place is safe.
 */
import { broadcastsTo, formatShape } from '../shape.js';
import { kernels } from '../kernels/index.js';
import { active, allocateHere } from '../kernels/placement.js';
import type { Storage } from '../kernels/storage.js';
import { convertToTensor } from '../creation.js';
import type { DType } from '../dtype.js';
import { Tensor, type TensorLike } from '../tensor.js';

/** `y ← act(y + bias)`, in place on the CPU (a new array on the GPU); `bias` must broadcast to y's shape without growing it. */
export function applyEpilogue(
  op: string,
  product: Tensor,
  bias: Tensor | undefined,
  activation: 'linear' | 'relu',
): Tensor {
  let y = product;
  if (bias !== undefined) {
    if (!broadcastsTo(bias.shape, y.shape)) {
      throw new Error(
        `tapegrad.${op}: the bias, shaped ${formatShape(bias.shape)}, does not broadcast to the result's shape ` +
          `${formatShape(y.shape)}; give one value per output channel (shape [${y.shape[y.rank - 1]}]) or a shape ` +
          "whose dimensions are 1 or the result's",
      );
    }
    if (product.onGpu) {
      y = gpuStep(product, (out) =>
        active().binary('add', product.placed, product.shape, bias.placed, bias.shape, out, product.shape),
      );
    } else kernels.binary('add', y.values, y.shape, bias.valuesNow, bias.shape, y.values, y.shape);
  }
  if (activation === 'relu') {
    const x = y;
    if (x.onGpu) y = gpuStep(x, (out) => active().unary('relu', x.placed, out));
    else kernels.unary('relu', y.values, y.values);
  }
  return y;
}

/**
 * One epilogue step on the GPU, into a new array: a dispatch may not write a buffer it also reads (WebGPU forbids
 * aliased writable bindings), and the extra array costs no copy there.
 */
function gpuStep(y: Tensor, run: (out: Storage) => void): Tensor {
  const out = allocateHere(y.dtype, y.size);
  run(out);
  return new Tensor(out, y.shape, y.dtype);
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
