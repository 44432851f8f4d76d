/**
 * Powers, roots, exponentials and logarithms, element-wise. Each VJP is
 * written with ops, reusing the output `y` where the derivative is simplest
 * in terms of it.
 */
import { onesLike } from '../creation.js';
import type { DType } from '../dtype.js';
import { defineOp } from '../op.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { add, div, mul, neg, sub } from './arithmetic.js';
import { greater, where } from './compare.js';
import { binaryInputs, defineUnaryOp, mapBinary } from './elementwise.js';
import { installMethods, type Method } from './methods.js';

declare module '../op.js' {
  interface OpsWithGradient {
    square: undefined;
    sqrt: undefined;
    rsqrt: undefined;
    reciprocal: undefined;
    exp: undefined;
    expm1: undefined;
    log: undefined;
    log1p: undefined;
    pow: undefined;
  }
}

// d(x^2) = 2x dx
/**
 * Squares element-wise.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 *
 * @example
 * ```ts
 * square(tensor([2, -3])); // [4, 9]
 * ```
 */
export const square = defineUnaryOp('square', false, (dy, [x]) => [mul(dy, mul(x!, 2))]);

// d(sqrt x) = dx / (2 sqrt x)
/**
 * Square root, element-wise (NaN below zero).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 *
 * @example
 * ```ts
 * sqrt(tensor([4, 9])); // [2, 3]
 * ```
 */
export const sqrt = defineUnaryOp('sqrt', true, (dy, _x, y) => [div(dy, mul(y, 2))]);

// d x^(-1/2) = -x^(-3/2) / 2 dx = -y^3 / 2 dx
/**
 * Reciprocal square root, `1 / sqrt(x)`, element-wise.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 *
 * @example
 * ```ts
 * rsqrt(tensor([4, 16])); // [0.5, 0.25]
 * ```
 */
export const rsqrt = defineUnaryOp('rsqrt', true, (dy, _x, y) => [mul(dy, mul(mul(y, mul(y, y)), -0.5))]);

// d(1/x) = -dx / x^2 = -y^2 dx
/**
 * `1 / x`, element-wise.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 *
 * @example
 * ```ts
 * reciprocal(tensor([2, -4])); // [0.5, -0.25]
 * ```
 */
export const reciprocal = defineUnaryOp('reciprocal', true, (dy, _x, y) => [neg(mul(dy, mul(y, y)))]);

// d(e^x) = e^x dx
/**
 * `e` to the power `x`, element-wise.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 *
 * @example
 * ```ts
 * exp(tensor([0, 1])); // [1, 2.7182817]
 * ```
 */
export const exp = defineUnaryOp('exp', true, (dy, _x, y) => [mul(dy, y)]);

// d(e^x - 1) = e^x dx = (y + 1) dx
/**
 * `e^x - 1`, element-wise, accurate for small `x` where `exp(x) - 1` would
 * cancel (`expm1(1e-10)` is 1e-10 to full precision).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 *
 * @example
 * ```ts
 * expm1(tensor([0, 1e-10], undefined, 'float64')); // [0, 1e-10]
 * ```
 */
export const expm1 = defineUnaryOp('expm1', true, (dy, _x, y) => [mul(dy, add(y, 1))]);

// d(ln x) = dx / x
/**
 * Natural logarithm, element-wise (-Infinity at 0, NaN below).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 *
 * @example
 * ```ts
 * log(tensor([1, Math.E])); // ~[0, 1]: float32 rounds e, so the second is 0.99999994
 * ```
 */
export const log = defineUnaryOp('log', true, (dy, [x]) => [div(dy, x!)]);

// d ln(1 + x) = dx / (1 + x)
/**
 * `ln(1 + x)`, element-wise, accurate for small `x` where `log(1 + x)` would
 * lose its digits to rounding `1 + x`.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 *
 * @example
 * ```ts
 * log1p(tensor([0, 1e-10], undefined, 'float64')); // [0, 1e-10]
 * ```
 */
export const log1p = defineUnaryOp('log1p', true, (dy, [x]) => [div(dy, add(x!, 1))]);

/** `a^b ln(a)`, the factor of db in d(a^b), with ln(a) taken as 0 where a <= 0 (as TensorFlow). */
function powLogFactor(a: Tensor, y: Tensor): Tensor {
  // A double `where`, so that no NaN from ln of a negative reaches the gradient of the gradient.
  const positive = greater(a, 0);
  return mul(y, where(positive, log(where(positive, a, onesLike(a))), 0));
}

const powOp = defineOp('pow', {
  forward: ([a, b]) => mapBinary('pow', 'pow', a!, b!),
  // d(a^b) = b a^(b-1) da + a^b ln(a) db
  vjp: (dy, [a, b], y, _attrs, needs) => {
    const db = needs[1] ? mul(dy, powLogFactor(a!, y)) : undefined;
    return [needs[0] ? mul(dy, mul(b!, pow(a!, sub(b!, 1)))) : undefined, db];
  },
  jvp: ([ta, tb], [a, b], y) => {
    const db = tb && mul(tb, powLogFactor(a!, y));
    return [ta && mul(ta, mul(b!, pow(a!, sub(b!, 1)))), db];
  },
});

/**
 * `a` to the power `b`, element-wise, with broadcasting. The gradient with
 * respect to `b` uses ln(a), taken as 0 where a <= 0 (TensorFlow's choice).
 *
 * @param a - The base: a tensor, or a number or nested array (which takes the other operand's dtype); not bool.
 * @param b - The exponent, broadcast against `a`: a tensor, or a number or nested array (which takes the other
 *   operand's dtype); not bool.
 *
 * @example
 * ```ts
 * pow(tensor([2, 3]), 2); // [4, 9]
 * ```
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return powOp(binaryInputs('pow', a, b, true), undefined);
}

interface PowerMethods {
  /** {@inheritDoc square} */
  square: Method<typeof square>;
  /** {@inheritDoc sqrt} */
  sqrt: Method<typeof sqrt>;
  /** {@inheritDoc rsqrt} */
  rsqrt: Method<typeof rsqrt>;
  /** {@inheritDoc reciprocal} */
  reciprocal: Method<typeof reciprocal>;
  /** {@inheritDoc exp} */
  exp: Method<typeof exp>;
  /** {@inheritDoc expm1} */
  expm1: Method<typeof expm1>;
  /** {@inheritDoc log} */
  log: Method<typeof log>;
  /** {@inheritDoc log1p} */
  log1p: Method<typeof log1p>;
  /**
   * {@inheritDoc pow}
   *
   * @param rest - The arguments of {@link pow} after the tensor, described there.
   */
  pow: Method<typeof pow>;
}

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merges PowerMethods into Tensor
  interface Tensor<D extends DType = DType> extends PowerMethods {}
}

installMethods<PowerMethods>({ square, sqrt, rsqrt, reciprocal, exp, expm1, log, log1p, pow });
