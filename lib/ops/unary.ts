/**
 * Element-wise unary math. Each VJP is written with ops, reusing the output
 * `y` where the derivative is simplest in terms of it.
 */
import { defineOp } from '../op.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { mul, sub, div } from './arithmetic.js';
import { greater } from './compare.js';
import { mapUnary, unaryInput } from './elementwise.js';
import { cast } from './shape.js';

const negOp = defineOp('neg', {
  forward: ([x]) => mapUnary('neg', x!),
  // d(-x) = -dx
  vjp: (dy) => [neg(dy)],
});

const squareOp = defineOp('square', {
  forward: ([x]) => mapUnary('square', x!),
  // d(x^2) = 2x dx
  vjp: (dy, [x]) => [mul(dy, mul(x!, 2))],
});

const sqrtOp = defineOp('sqrt', {
  forward: ([x]) => mapUnary('sqrt', x!),
  // d(sqrt x) = dx / (2 sqrt x)
  vjp: (dy, _x, y) => [div(dy, mul(y, 2))],
});

const expOp = defineOp('exp', {
  forward: ([x]) => mapUnary('exp', x!),
  // d(e^x) = e^x dx
  vjp: (dy, _x, y) => [mul(dy, y)],
});

const logOp = defineOp('log', {
  forward: ([x]) => mapUnary('log', x!),
  // d(ln x) = dx / x
  vjp: (dy, [x]) => [div(dy, x!)],
});

const reluOp = defineOp('relu', {
  forward: ([x]) => mapUnary('relu', x!),
  // d relu(x) = [x > 0] dx: relu'(0) = 0, as TensorFlow.
  vjp: (dy, [x]) => [mul(dy, cast(greater(x!, 0), dy.dtype))],
});

const sigmoidOp = defineOp('sigmoid', {
  forward: ([x]) => mapUnary('sigmoid', x!),
  // d sigma(x) = sigma(x) (1 - sigma(x)) dx
  vjp: (dy, _x, y) => [mul(dy, mul(y, sub(1, y)))],
});

const tanhOp = defineOp('tanh', {
  forward: ([x]) => mapUnary('tanh', x!),
  // d tanh(x) = (1 - tanh^2 x) dx
  vjp: (dy, _x, y) => [mul(dy, sub(1, mul(y, y)))],
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
