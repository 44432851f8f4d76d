/**
 * Trigonometric and hyperbolic functions and their inverses, erf, and atan2,
 * element-wise. Each VJP is written with ops (so nested tapes differentiate
 * it again), reusing the output `y` where the derivative is simplest in terms of it.
 */
import type { DType } from '../dtype.js';
import { defineOp } from '../op.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { add, div, mul, neg, sub } from './arithmetic.js';
import { binaryInputs, defineUnaryOp, mapBinary } from './elementwise.js';
import { installMethods, type Method } from './methods.js';
import { exp, rsqrt, square } from './powers.js';
import { tanhGrad } from './fused-grads.js';

declare module '../op.js' {
  interface OpsWithGradient {
    sin: undefined;
    cos: undefined;
    tan: undefined;
    asin: undefined;
    acos: undefined;
    atan: undefined;
    sinh: undefined;
    cosh: undefined;
    tanh: undefined;
    asinh: undefined;
    acosh: undefined;
    atanh: undefined;
    erf: undefined;
    atan2: undefined;
  }
}

// d sin x = cos x dx
/**
 * Sine, element-wise (radians).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 *
 * @example
 * ```ts
 * cosh(tensor([0, 1])); // [1, 1.5430807]
 * ```
 */
export const cosh = defineUnaryOp('cosh', true, (dy, [x]) => [mul(dy, sinh(x!))]);

// d tanh x = (1 - tanh^2 x) dx
/**
 * Hyperbolic tangent, element-wise.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 *
 * @example
 * ```ts
 * tanh(tensor([0])); // [0]
 * ```
 */
export const tanh = defineUnaryOp('tanh', true, (dy, _x, y) => [tanhGrad(dy, y)]);

// d asinh x = dx / sqrt(x^2 + 1)
/**
 * Inverse hyperbolic sine, element-wise.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 *
 * @example
 * ```ts
 * erf(tensor([0, 1], undefined, 'float64')); // [0, 0.8427007929497149]
 * ```
 */
export const erf = defineUnaryOp('erf', true, (dy, [x]) => [
  mul(dy, mul(exp(neg(square(x!))), 2 / Math.sqrt(Math.PI))),
]);

const atan2Op = defineOp('atan2', {
  forward: ([a, b]) => mapBinary('atan2', 'atan2', a!, b!),
  // d atan2(a, b) = (b da - a db) / (a^2 + b^2)
  vjp: (dy, [a, b]) => {
    const scale = div(dy, add(square(a!), square(b!)));
    return [mul(scale, b!), neg(mul(scale, a!))];
  },
  jvp: ([ta, tb], [a, b]) => {
    const r = add(square(a!), square(b!));
    return [ta && mul(ta, div(b!, r)), tb && neg(mul(tb, div(a!, r)))];
  },
});

/**
 * The angle of the point `(b, a)`, `atan(a / b)` in the right quadrant: in
 * [-pi, pi], element-wise, with broadcasting. Float tensors only.
 *
 * @param a - The y-coordinate (numerator): a tensor, or a number or nested array (which takes the other operand's
 *   dtype); float32 or float64.
 * @param b - The x-coordinate (denominator), broadcast against `a`: a tensor, or a number or nested array (which takes
 *   the other operand's dtype); float32 or float64.
 *
 * @example
 * ```ts
 * atan2(tensor([1, 1, -1]), tensor([1, -1, 0])); // [0.7853982, 2.3561945, -1.5707964]
 * ```
 */
export function atan2(a: TensorLike, b: TensorLike): Tensor {
  const inputs = binaryInputs('atan2', a, b, true);
  if (inputs[0].dtype === 'int32') {
    throw new TypeError(
      `tapegrad.atan2: expects float32 or float64 tensors, got int32; cast them first, e.g. cast(a, 'float32')`,
    );
  }
  return atan2Op(inputs, undefined);
}

interface TrigMethods {
  /** {@inheritDoc sin} */
  sin: Method<typeof sin>;
  /** {@inheritDoc cos} */
  cos: Method<typeof cos>;
  /** {@inheritDoc tan} */
  tan: Method<typeof tan>;
  /** {@inheritDoc asin} */
  asin: Method<typeof asin>;
  /** {@inheritDoc acos} */
  acos: Method<typeof acos>;
  /** {@inheritDoc atan} */
  atan: Method<typeof atan>;
  /** {@inheritDoc sinh} */
  sinh: Method<typeof sinh>;
  /** {@inheritDoc cosh} */
  cosh: Method<typeof cosh>;
  /** {@inheritDoc tanh} */
  tanh: Method<typeof tanh>;
  /** {@inheritDoc asinh} */
  asinh: Method<typeof asinh>;
  /** {@inheritDoc acosh} */
  acosh: Method<typeof acosh>;
  /** {@inheritDoc atanh} */
  atanh: Method<typeof atanh>;
  /** {@inheritDoc erf} */
  erf: Method<typeof erf>;
  /**
   * {@inheritDoc atan2}
   *
   * @param rest - The arguments of {@link atan2} after the tensor, described there.
   */
  atan2: Method<typeof atan2>;
}

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merges TrigMethods into Tensor
  interface Tensor<D extends DType = DType> extends TrigMethods {}
}

installMethods<TrigMethods>({ sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh, erf, atan2 });
