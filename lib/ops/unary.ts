/**
 * Element-wise unary math. Each VJP is written with ops, reusing the output
 * `y` where the derivative is simplest in terms of it.
 */
import { convertToTensor, zerosLike } from '../creation.js';
import { SELU_ALPHA, SELU_SCALE } from '../kernels/elementwise.js';
import { defineOp } from '../op.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { add, mul, sub, div } from './arithmetic.js';
import { greater, less, where } from './compare.js';
import { defineUnaryOp, mapBinary, mapUnary, unaryInput } from './elementwise.js';
import { cast } from './shape.js';

/** `mask` (bool) as 1s and 0s in the dtype of `like`. */
function indicator(mask: Tensor, like: Tensor): Tensor {
  return cast(mask, like.dtype);
}

const negOp = defineOp('neg', {
  forward: ([x]) => mapUnary('neg', x!),
  // d(-x) = -dx
  vjp: (dy) => [neg(dy)],
  // JVP: an element-wise op's Jacobian is diagonal, so the tangent takes the VJP's factor.
  jvp: ([t]) => [neg(t!)],
});

const squareOp = defineOp('square', {
  forward: ([x]) => mapUnary('square', x!),
  // d(x^2) = 2x dx
  vjp: (dy, [x]) => [mul(dy, mul(x!, 2))],
  jvp: ([t], [x]) => [mul(t!, mul(x!, 2))],
});

const sqrtOp = defineOp('sqrt', {
  forward: ([x]) => mapUnary('sqrt', x!),
  // d(sqrt x) = dx / (2 sqrt x)
  vjp: (dy, _x, y) => [div(dy, mul(y, 2))],
  jvp: ([t], _x, y) => [div(t!, mul(y, 2))],
});

const expOp = defineOp('exp', {
  forward: ([x]) => mapUnary('exp', x!),
  // d(e^x) = e^x dx
  vjp: (dy, _x, y) => [mul(dy, y)],
  jvp: ([t], _x, y) => [mul(t!, y)],
});

const logOp = defineOp('log', {
  forward: ([x]) => mapUnary('log', x!),
  // d(ln x) = dx / x
  vjp: (dy, [x]) => [div(dy, x!)],
  jvp: ([t], [x]) => [div(t!, x!)],
});

const reluOp = defineOp('relu', {
  forward: ([x]) => mapUnary('relu', x!),
  // d relu(x) = [x > 0] dx: relu'(0) = 0, as TensorFlow.
  vjp: (dy, [x]) => [mul(dy, cast(greater(x!, 0), dy.dtype))],
  jvp: ([t], [x]) => [mul(t!, cast(greater(x!, 0), t!.dtype))],
});

const sigmoidOp = defineOp('sigmoid', {
  forward: ([x]) => mapUnary('sigmoid', x!),
  // d sigma(x) = sigma(x) (1 - sigma(x)) dx
  vjp: (dy, _x, y) => [mul(dy, mul(y, sub(1, y)))],
  jvp: ([t], _x, y) => [mul(t!, mul(y, sub(1, y)))],
});

const tanhOp = defineOp('tanh', {
  forward: ([x]) => mapUnary('tanh', x!),
  // d tanh(x) = (1 - tanh^2 x) dx
  vjp: (dy, _x, y) => [mul(dy, sub(1, mul(y, y)))],
  jvp: ([t], _x, y) => [mul(t!, sub(1, mul(y, y)))],
});

/**
 * Negates element-wise.
 *
 * @example
 * ```ts
 * import { neg, tensor } from 'tapegrad';
 * neg(tensor([1, -2])); // [-1, 2]
 * ```
 */
export function neg(x: TensorLike): Tensor {
  return negOp([unaryInput('neg', x, false)], undefined);
}

/**
 * Squares element-wise.
 *
 * @example
 * ```ts
 * square(tensor([2, -3])); // [4, 9]
 * ```
 */
export function square(x: TensorLike): Tensor {
  return squareOp([unaryInput('square', x, false)], undefined);
}

/**
 * Square root, element-wise (NaN below zero).
 *
 * @example
 * ```ts
 * sqrt(tensor([4, 9])); // [2, 3]
 * ```
 */
export function sqrt(x: TensorLike): Tensor {
  return sqrtOp([unaryInput('sqrt', x, true)], undefined);
}

/**
 * `e` to the power `x`, element-wise.
 *
 * @example
 * ```ts
 * exp(tensor([0, 1])); // [1, 2.7182817]
 * ```
 */
export function exp(x: TensorLike): Tensor {
  return expOp([unaryInput('exp', x, true)], undefined);
}

/**
 * Natural logarithm, element-wise (-Infinity at 0, NaN below).
 *
 * @example
 * ```ts
 * log(tensor([1, Math.E])); // ~[0, 1]: float32 rounds e, so the second is 0.99999994
 * ```
 */
export function log(x: TensorLike): Tensor {
  return logOp([unaryInput('log', x, true)], undefined);
}

/**
 * Rectified linear unit, `max(x, 0)`. Its derivative at 0 is taken as 0
 * (TensorFlow's choice).
 *
 * @example
 * ```ts
 * relu(tensor([-1, 0, 2])); // [0, 0, 2]
 * ```
 */
export function relu(x: TensorLike): Tensor {
  return reluOp([unaryInput('relu', x, false)], undefined);
}

/**
 * Logistic sigmoid, `1 / (1 + e^-x)`, computed without overflow in either tail.
 *
 * @example
 * ```ts
 * sigmoid(tensor([0])); // [0.5]
 * ```
 */
export function sigmoid(x: TensorLike): Tensor {
  return sigmoidOp([unaryInput('sigmoid', x, true)], undefined);
}

/**
 * Hyperbolic tangent, element-wise.
 *
 * @example
 * ```ts
 * tanh(tensor([0])); // [0]
 * ```
 */
export function tanh(x: TensorLike): Tensor {
  return tanhOp([unaryInput('tanh', x, true)], undefined);
}

// d|x| = sign(x) dx
/**
 * Absolute value, element-wise. Its derivative at 0 is taken as 0
 * (`sign(0) = 0`, as TensorFlow).
 *
 * @example
 * ```ts
 * abs(tensor([-2, 0, 3])); // [2, 0, 3]
 * ```
 */
export const abs = defineUnaryOp('abs', false, (dy, [x]) => [mul(dy, sign(x!))]);

/**
 * The sign of each element: -1, 0 or 1 (NaN stays NaN). Its gradient is zero
 * everywhere (a zeros tensor, as TensorFlow.js), not undefined.
 *
 * @example
 * ```ts
 * sign(tensor([-2, 0, 3])); // [-1, 0, 1]
 * ```
 */
export const sign = defineUnaryOp('sign', false, (dy) => [zerosLike(dy)]);

// d(1/x) = -dx / x^2 = -y^2 dx
/**
 * `1 / x`, element-wise.
 *
 * @example
 * ```ts
 * reciprocal(tensor([2, -4])); // [0.5, -0.25]
 * ```
 */
export const reciprocal = defineUnaryOp('reciprocal', true, (dy, _x, y) => [neg(mul(dy, mul(y, y)))]);

// d x^(-1/2) = -x^(-3/2) / 2 dx = -y^3 / 2 dx
/**
 * Reciprocal square root, `1 / sqrt(x)`, element-wise.
 *
 * @example
 * ```ts
 * rsqrt(tensor([4, 16])); // [0.5, 0.25]
 * ```
 */
export const rsqrt = defineUnaryOp('rsqrt', true, (dy, _x, y) => [mul(dy, mul(mul(y, mul(y, y)), -0.5))]);

// d(e^x - 1) = e^x dx = (y + 1) dx
/**
 * `e^x - 1`, element-wise, accurate for small `x` where `exp(x) - 1` would
 * cancel (`expm1(1e-10)` is 1e-10 to full precision).
 *
 * @example
 * ```ts
 * expm1(tensor([0, 1e-10], undefined, 'float64')); // [0, 1e-10]
 * ```
 */
export const expm1 = defineUnaryOp('expm1', true, (dy, _x, y) => [mul(dy, add(y, 1))]);

// d ln(1 + x) = dx / (1 + x)
/**
 * `ln(1 + x)`, element-wise, accurate for small `x` where `log(1 + x)` would
 * lose its digits to rounding `1 + x`.
 *
 * @example
 * ```ts
 * log1p(tensor([0, 1e-10], undefined, 'float64')); // [0, 1e-10]
 * ```
 */
export const log1p = defineUnaryOp('log1p', true, (dy, [x]) => [div(dy, add(x!, 1))]);

// d softplus(x) = sigmoid(x) dx
/**
 * `ln(1 + e^x)`, element-wise, computed without overflow for large `x`
 * (where it is `x`) and without underflow to 0 for very negative `x` (where it is `e^x`).
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
 * @example
 * ```ts
 * logSigmoid(tensor([0, -1000, 1000])); // [-0.6931472, -1000, 0]
 * ```
 */
export const logSigmoid = defineUnaryOp('logSigmoid', true, (dy, [x]) => [mul(dy, sigmoid(neg(x!)))]);

/**
 * `min(max(x, 0), 6)`, element-wise. The gradient passes where `0 < x < 6`
 * and is 0 at both kinks (as TensorFlow).
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
 * @example
 * ```ts
 * selu(tensor([1, 0])); // [1.050701, 0]
 * ```
 */
export const selu = defineUnaryOp('selu', true, (dy, _x, y) => [
  where(less(y, 0), mul(dy, add(y, SELU_SCALE * SELU_ALPHA)), mul(dy, SELU_SCALE)),
]);

const leakyReluOp = defineOp<undefined>('leakyRelu', {
  // The kernel takes alpha as its second operand, a scalar of x's dtype.
  forward: ([x, alpha]) => mapBinary('leakyRelu', 'leakyRelu', x!, alpha!),
  // dy where x > 0, else alpha dy (as TensorFlow's LeakyReluGrad); alpha is a constant.
  vjp: (dy, [x, alpha]) => [where(greater(x!, 0), dy, mul(dy, alpha!)), undefined],
});

/**
 * Leaky rectified linear unit: `x` where `x > 0`, else `alpha * x`. The
 * derivative at 0 is `alpha` (as TensorFlow). `alpha` is a number, not differentiated.
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
    throw new TypeError(`tapegrad.leakyRelu: alpha must be a number, got ${typeof alpha}; pass e.g. 0.2`);
  }
  return leakyReluOp([t, convertToTensor('leakyRelu', 'alpha', alpha, t.dtype)], undefined);
}
