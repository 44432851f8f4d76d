/**
 * Activation functions: the element-wise ones (relu and its variants,
 * sigmoid, softplus), and softmax and log-softmax along one axis. The softmax
 * kernels shift each lane by its maximum, so large logits neither overflow
 * nor lose the small ones.
 */
import { describeValue } from '../format.js';
import { convertToTensor } from '../creation.js';
import type { DType } from '../dtype.js';
import { SELU_ALPHA, SELU_SCALE } from '../kernels/elementwise.js';
import { active, allocateHere } from '../kernels/placement.js';
import { defineOp } from '../op.js';
import { normalizeAxes } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { add, mul, neg, sub } from './arithmetic.js';
import { greater, less, where } from './compare.js';
import { defineUnaryOp, mapBinary, unaryInput } from './elementwise.js';
import { reluGrad, sigmoidGrad } from './fused-grads.js';
import { installMethods, type Method } from './methods.js';
import { exp } from './powers.js';
import { sum } from './reduce.js';
import { cast } from './shape.js';

interface AxisAttrs {
  readonly axis: number;
}

declare module '../op.js' {
  interface OpsWithGradient {
    relu: undefined;
    relu6: undefined;
    leakyRelu: undefined;
    elu: undefined;
    selu: undefined;
    sigmoid: undefined;
    logSigmoid: undefined;
    softplus: undefined;
    softmax: AxisAttrs;
    logSoftmax: AxisAttrs;
  }
}

/** `mask` (bool) as 1s and 0s in the dtype of `like`. */
function indicator(mask: Tensor, like: Tensor): Tensor {
  return cast(mask, like.dtype);
}

// d relu(x) = [x > 0] dx
/**
 * Rectified linear unit, `max(x, 0)`. Its derivative at 0 is taken as 0
 * (TensorFlow's choice).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 *
 * @example
 * ```ts
 * relu(tensor([-1, 0, 2])); // [0, 0, 2]
 * ```
 */
export const relu = defineUnaryOp('relu', false, (dy, [x]) => [reluGrad(dy, x!)]);

/**
 * `min(max(x, 0), 6)`, element-wise. The gradient passes where `0 < x < 6`
 * and is 0 at both kinks (as TensorFlow).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 *
 * @example
 * ```ts
 * relu6(tensor([-1, 3, 8])); // [0, 3, 6]
 * ```
 */
export const relu6 = defineUnaryOp('relu6', false, (dy, [x]) => [
  mul(dy, mul(indicator(greater(x!, 0), dy), indicator(less(x!, 6), dy))),
]);

// As TensorFlow's EluGrad: dy (y + 1) = dy e^x where y < 0, else dy.
/**
 * Exponential linear unit: `x` where `x > 0`, else `e^x - 1`. Its derivative
 * is 1 for `x > 0` and `e^x` otherwise (1 at 0, as TensorFlow).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 *
 * @example
 * ```ts
 * elu(tensor([-1, 2])); // [-0.63212055, 2]
 * ```
 */
export const elu = defineUnaryOp('elu', true, (dy, _x, y) => [where(less(y, 0), mul(dy, add(y, 1)), dy)]);

// As TensorFlow's SeluGrad: dy (y + scale alpha) = dy scale alpha e^x where y < 0, else dy scale.
/**
 * Scaled exponential linear unit: `scale * x` where `x > 0`, else
 * `scale * alpha * (e^x - 1)`, with scale = 1.0507 and alpha = 1.6733 (as TensorFlow).
 * Its derivative at 0 is taken as `scale` (TensorFlow's choice).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 *
 * @example
 * ```ts
 * selu(tensor([1, 0])); // [1.050701, 0]
 * ```
 */
export const selu = defineUnaryOp('selu', true, (dy, _x, y) => [
  where(less(y, 0), mul(dy, add(y, SELU_SCALE * SELU_ALPHA)), mul(dy, SELU_SCALE)),
]);

const leakyReluOp = defineOp('leakyRelu', {
  // The kernel takes alpha as its second operand, a scalar of x's dtype.
  forward: ([x, alpha]) => mapBinary('leakyRelu', 'leakyRelu', x!, alpha!),
  // dy where x > 0, else alpha dy (as TensorFlow's LeakyReluGrad); alpha is a constant.
  vjp: (dy, [x, alpha]) => [where(greater(x!, 0), dy, mul(dy, alpha!)), undefined],
});

/**
 * Leaky rectified linear unit: `x` where `x > 0`, else `alpha * x`. The
 * derivative at 0 is `alpha` (as TensorFlow). `alpha` is a number, not differentiated.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 * @param alpha - The slope for `x <= 0`, a number; default 0.2 (as TensorFlow.js).
 *
 * @example
 * ```ts
 * leakyRelu(tensor([-1, 2])); // [-0.2, 2]
 * leakyRelu(tensor([-1, 2]), 0.5); // [-0.5, 2]
 * ```
 */
export function leakyRelu(x: TensorLike, alpha = 0.2): Tensor {
  const t = unaryInput('leakyRelu', x, true);
  if (typeof alpha !== 'number') {
    throw new TypeError(`tapegrad.leakyRelu: alpha must be a number, got ${describeValue(alpha)}; pass e.g. 0.2`);
  }
  return leakyReluOp([t, convertToTensor('leakyRelu', 'alpha', alpha, t.dtype)], undefined);
}

// d sigma(x) = sigma(x) (1 - sigma(x)) dx
/**
 * Logistic sigmoid, `1 / (1 + e^-x)`, computed without overflow in either tail.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 *
 * @example
 * ```ts
 * sigmoid(tensor([0])); // [0.5]
 * ```
 */
export const sigmoid = defineUnaryOp('sigmoid', true, (dy, _x, y) => [sigmoidGrad(dy, y)]);

// d softplus(x) = sigmoid(x) dx
/**
 * `ln(1 + e^x)`, element-wise, computed without overflow for large `x`
 * (where it is `x`) and without underflow to 0 for very negative `x` (where it is `e^x`).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 *
 * @example
 * ```ts
 * softplus(tensor([0, 1000, -1000])); // [0.6931472, 1000, 0]
 * ```
 */
export const softplus = defineUnaryOp('softplus', true, (dy, [x]) => [mul(dy, sigmoid(x!))]);

// d ln sigmoid(x) = (1 - sigmoid(x)) dx = sigmoid(-x) dx
/**
 * `ln(sigmoid(x)) = -softplus(-x)`, element-wise, stable in both tails
 * (about `x` for very negative `x`, about `-e^-x` for large `x`).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 *
 * @example
 * ```ts
 * logSigmoid(tensor([0, -1000, 1000])); // [-0.6931472, -1000, 0]
 * ```
 */
export const logSigmoid = defineUnaryOp('logSigmoid', true, (dy, [x]) => [mul(dy, sigmoid(neg(x!)))]);

function softmaxWith(x: Tensor, axis: number, log: boolean): Tensor {
  const out = allocateHere(x.dtype, x.size);
  active().softmax(x.placed, x.shape, axis, log, out);
  return new Tensor(out, x.shape, x.dtype);
}

const softmaxOp = defineOp('softmax', {
  forward: ([x], { axis }) => softmaxWith(x!, axis, false),
  // dx = y (dy - sum(dy y)) along the axis: the Jacobian is diag(y) - y y^T.
  vjp: (dy, _x, y, { axis }) => [mul(y, sub(dy, sum(mul(dy, y), axis, true)))],
});

const logSoftmaxOp = defineOp('logSoftmax', {
  forward: ([x], { axis }) => softmaxWith(x!, axis, true),
  // dx = dy - softmax(x) sum(dy) along the axis, with softmax(x) = exp(y).
  vjp: (dy, _x, y, { axis }) => [sub(dy, mul(exp(y), sum(dy, axis, true)))],
});

function axisInput(op: string, logits: TensorLike, axis: number): { x: Tensor; axis: number } {
  const x = unaryInput(op, logits, true);
  if (typeof axis !== 'number') {
    throw new TypeError(`tapegrad.${op}: the axis must be a single number, got ${JSON.stringify(axis)}`);
  }
  if (x.rank === 0) {
    throw new RangeError(`tapegrad.${op}: logits is a scalar, which has no axis to normalise over; give it rank >= 1`);
  }
  return { x, axis: normalizeAxes(op, axis, x.rank)[0]! };
}

/**
 * The softmax along `dim` (default -1, the last axis): `exp(x) / sum(exp(x))`,
 * computed after subtracting the maximum so large logits do not overflow.
 * Unlike TensorFlow.js, any axis is accepted, not only the last.
 *
 * @param logits - The unnormalised log-probabilities: a tensor, or a number or nested array (converted as by
 *   {@link tensor}); float32 or float64, rank >= 1.
 * @param dim - The axis to normalise over, negative counting from the end; default -1 (the last).
 *
 * @example
 * ```ts
 * import { softmax, tensor } from 'tapegrad';
 * softmax(tensor([0, Math.log(3)])); // ~[0.25, 0.75]
 * softmax(tensor([1000, 1000])); // [0.5, 0.5]
 * softmax(tensor([[0, 0], [Math.log(3), 0]]), 0); // ~[[0.25, 0.5], [0.75, 0.5]]
 * ```
 */
export function softmax(logits: TensorLike, dim = -1): Tensor {
  const { x, axis } = axisInput('softmax', logits, dim);
  return softmaxOp([x], { axis });
}

/**
 * The log of the softmax along `axis` (default -1): `x - logSumExp(x)`,
 * computed without forming `log(0)` for very negative logits. Any axis is
 * accepted, not only the last (TensorFlow.js's limit).
 *
 * @param logits - The unnormalised log-probabilities: a tensor, or a number or nested array (converted as by
 *   {@link tensor}); float32 or float64, rank >= 1.
 * @param axis - The axis to normalise over, negative counting from the end; default -1 (the last).
 *
 * @example
 * ```ts
 * logSoftmax(tensor([0, 0])); // ~[-0.6931472, -0.6931472]
 * logSoftmax(tensor([0, -1000])); // [0, -1000]
 * ```
 */
export function logSoftmax(logits: TensorLike, axis = -1): Tensor {
  const { x, axis: a } = axisInput('logSoftmax', logits, axis);
  return logSoftmaxOp([x], { axis: a });
}

interface ActivationMethods {
  /** {@inheritDoc relu} */
  relu: Method<typeof relu>;
  /** {@inheritDoc relu6} */
  relu6: Method<typeof relu6>;
  /**
   * {@inheritDoc leakyRelu}
   *
   * @param rest - The arguments of {@link leakyRelu} after the tensor, described there.
   */
  leakyRelu: Method<typeof leakyRelu>;
  /** {@inheritDoc elu} */
  elu: Method<typeof elu>;
  /** {@inheritDoc selu} */
  selu: Method<typeof selu>;
  /** {@inheritDoc sigmoid} */
  sigmoid: Method<typeof sigmoid>;
  /** {@inheritDoc logSigmoid} */
  logSigmoid: Method<typeof logSigmoid>;
  /** {@inheritDoc softplus} */
  softplus: Method<typeof softplus>;
  /**
   * {@inheritDoc softmax}
   *
   * @param rest - The arguments of {@link softmax} after the tensor, described there.
   */
  softmax: Method<typeof softmax>;
  /**
   * {@inheritDoc logSoftmax}
   *
   * @param rest - The arguments of {@link logSoftmax} after the tensor, described there.
   */
  logSoftmax: Method<typeof logSoftmax>;
}

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merges ActivationMethods into Tensor
  interface Tensor<D extends DType = DType> extends ActivationMethods {}
}

installMethods<ActivationMethods>({
  relu,
  relu6,
  leakyRelu,
  elu,
  selu,
  sigmoid,
  logSigmoid,
  softplus,
  softmax,
  logSoftmax,
});
