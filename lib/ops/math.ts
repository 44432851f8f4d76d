/**
 * Trigonometric, hyperbolic, error-function and rounding ops, element-wise.
 * Each VJP is written with ops (so nested tapes differentiate it again),
 * reusing the output `y` where the derivative is simplest in terms of it.
 */
import { zerosLike } from '../creation.js';
import type { VjpRule } from '../op.js';
import { add, div, mul, sub } from './arithmetic.js';
import { defineUnaryOp } from './elementwise.js';
import { exp, neg, rsqrt, square } from './unary.js';

/** A zeros gradient, for the piecewise-constant ops (as TensorFlow.js's Floor, Ceil, Round, Sign). */
const zeroGradient: VjpRule<undefined> = (dy) => [zerosLike(dy)];

// d sin x = cos x dx
/**
 * Sine, element-wise (radians).
 *
 * @example
 * ```ts
 * sin(tensor([0, Math.PI / 2])); // [0, 1]
 * ```
 */
export const sin = defineUnaryOp('sin', true, (dy, [x]) => [mul(dy, cos(x!))]);

// d cos x = -sin x dx
/**
 * Cosine, element-wise (radians).
 *
 * @example
 * ```ts
 * cos(tensor([0, Math.PI])); // [1, -1]
 * ```
 */
export const cos = defineUnaryOp('cos', true, (dy, [x]) => [neg(mul(dy, sin(x!)))]);

// d tan x = (1 + tan^2 x) dx
/**
 * Tangent, element-wise (radians).
 *
 * @example
 * ```ts
 * tan(tensor([0, Math.PI / 4], undefined, 'float64')); // ~[0, 1]
 * ```
 */
export const tan = defineUnaryOp('tan', true, (dy, _x, y) => [mul(dy, add(square(y), 1))]);

// d asin x = dx / sqrt(1 - x^2)
/**
 * Inverse sine, element-wise: NaN outside [-1, 1].
 *
 * @example
 * ```ts
 * asin(tensor([0, 1])); // [0, 1.5707964]
 * ```
 */
export const asin = defineUnaryOp('asin', true, (dy, [x]) => [mul(dy, rsqrt(sub(1, square(x!))))]);

// d acos x = -dx / sqrt(1 - x^2)
/**
 * Inverse cosine, element-wise: NaN outside [-1, 1].
 *
 * @example
 * ```ts
 * acos(tensor([1, 0])); // [0, 1.5707964]
 * ```
 */
export const acos = defineUnaryOp('acos', true, (dy, [x]) => [neg(mul(dy, rsqrt(sub(1, square(x!)))))]);

// d atan x = dx / (1 + x^2)
/**
 * Inverse tangent, element-wise.
 *
 * @example
 * ```ts
 * atan(tensor([0, 1])); // [0, 0.7853982]
 * ```
 */
export const atan = defineUnaryOp('atan', true, (dy, [x]) => [div(dy, add(square(x!), 1))]);

// d sinh x = cosh x dx
/**
 * Hyperbolic sine, element-wise.
 *
 * @example
 * ```ts
 * sinh(tensor([0, 1])); // [0, 1.1752012]
 * ```
 */
export const sinh = defineUnaryOp('sinh', true, (dy, [x]) => [mul(dy, cosh(x!))]);

// d cosh x = sinh x dx
/**
 * Hyperbolic cosine, element-wise.
 *
 * @example
 * ```ts
 * cosh(tensor([0, 1])); // [1, 1.5430807]
 * ```
 */
export const cosh = defineUnaryOp('cosh', true, (dy, [x]) => [mul(dy, sinh(x!))]);

// d asinh x = dx / sqrt(x^2 + 1)
/**
 * Inverse hyperbolic sine, element-wise.
 *
 * @example
 * ```ts
 * asinh(tensor([0, 1])); // [0, 0.8813736]
 * ```
 */
export const asinh = defineUnaryOp('asinh', true, (dy, [x]) => [mul(dy, rsqrt(add(square(x!), 1)))]);

// d acosh x = dx / sqrt(x^2 - 1)
/**
 * Inverse hyperbolic cosine, element-wise: NaN below 1.
 *
 * @example
 * ```ts
 * acosh(tensor([1, 2])); // [0, 1.316958]
 * ```
 */
export const acosh = defineUnaryOp('acosh', true, (dy, [x]) => [mul(dy, rsqrt(sub(square(x!), 1)))]);

// d atanh x = dx / (1 - x^2)
/**
 * Inverse hyperbolic tangent, element-wise: ±Infinity at ±1, NaN beyond.
 *
 * @example
 * ```ts
 * atanh(tensor([0, 0.5])); // [0, 0.54930615]
 * ```
 */
export const atanh = defineUnaryOp('atanh', true, (dy, [x]) => [div(dy, sub(1, square(x!)))]);

// d erf x = 2 / sqrt(pi) e^(-x^2) dx
/**
 * The Gauss error function, `2 / sqrt(pi) * integral from 0 to x of e^(-t^2) dt`,
 * element-wise; computed to about double precision (a relative 1e-15) for float64.
 *
 * @example
 * ```ts
 * erf(tensor([0, 1], undefined, 'float64')); // [0, 0.8427007929497149]
 * ```
 */
export const erf = defineUnaryOp('erf', true, (dy, [x]) => [
  mul(dy, mul(exp(neg(square(x!))), 2 / Math.sqrt(Math.PI))),
]);

/**
 * Rounds down to an integer, element-wise. Its gradient is zero everywhere
 * (a zeros tensor, as TensorFlow.js).
 *
 * @example
 * ```ts
 * floor(tensor([1.5, -1.5])); // [1, -2]
 * ```
 */
export const floor = defineUnaryOp('floor', false, zeroGradient);

/**
 * Rounds up to an integer, element-wise. Its gradient is zero everywhere
 * (a zeros tensor, as TensorFlow.js).
 *
 * @example
 * ```ts
 * ceil(tensor([1.5, -1.5])); // [2, -1]
 * ```
 */
export const ceil = defineUnaryOp('ceil', false, zeroGradient);

/**
 * Rounds to the nearest integer, element-wise, a tie to the even one
 * (half-to-even, as tf.round). Its gradient is zero everywhere (a zeros tensor,
 * as TensorFlow.js).
 *
 * @example
 * ```ts
 * round(tensor([0.5, 1.5, 2.5, -2.5, 2.6])); // [0, 2, 2, -2, 3]
 * ```
 */
export const round = defineUnaryOp('round', false, zeroGradient);
