/**
 * Piecewise ops, element-wise: abs and sign, rounding, mod and floorDiv, the
 * larger or smaller of two tensors, and clipping. Kinks and ties follow
 * TensorFlow (abs'(0) = 0, `maximum` gives a tie to its first argument), and
 * each op's TSDoc says so.
 */
import { describeValue } from '../format.js';
import { convertToTensor, zerosLike } from '../creation.js';
import type { DType } from '../dtype.js';
import { defineOp, type VjpRule } from '../op.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { div, mul, neg } from './arithmetic.js';
import { greater, greaterEqual, less, lessEqual } from './compare.js';
import { binaryInputs, defineUnaryOp, mapBinary, unaryInput } from './elementwise.js';
import { installMethods, type Method } from './methods.js';
import { cast } from './shape.js';

declare module '../op.js' {
  interface OpsWithGradient {
    abs: undefined;
    sign: undefined;
    floor: undefined;
    ceil: undefined;
    round: undefined;
    mod: undefined;
    maximum: undefined;
    minimum: undefined;
    clipByValue: { readonly min: number; readonly max: number };
  }
  interface OpsWithoutGradient {
    floorDiv: undefined;
  }
}

/** 1 where `mask` is true, else 0, in the dtype of `like`. */
function indicator(mask: Tensor, like: Tensor): Tensor {
  return cast(mask, like.dtype);
}

/** A zeros gradient, for the piecewise-constant ops (as TensorFlow.js's Floor, Ceil, Round, Sign). */
const zeroGradient: VjpRule<undefined> = (dy) => [zerosLike(dy)];

// d|x| = sign(x) dx
/**
 * Absolute value, element-wise. Its derivative at 0 is taken as 0
 * (`sign(0) = 0`, as TensorFlow).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 *
 * @example
 * ```ts
 * sign(tensor([-2, 0, 3])); // [-1, 0, 1]
 * ```
 */
export const sign = defineUnaryOp('sign', false, zeroGradient);

/**
 * Rounds down to an integer, element-wise. Its gradient is zero everywhere
 * (a zeros tensor, as TensorFlow.js).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
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
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 *
 * @example
 * ```ts
 * round(tensor([0.5, 1.5, 2.5, -2.5, 2.6])); // [0, 2, 2, -2, 3]
 * ```
 */
export const round = defineUnaryOp('round', false, zeroGradient);

const modOp = defineOp('mod', {
  forward: ([a, b]) => mapBinary('mod', 'mod', a!, b!),
  // mod(a, b) = a - floor(a / b) b, floor taken as locally constant (as TensorFlow's FloorMod):
  // d mod = da - floor(a / b) db.
  vjp: (dy, [a, b], _y, _attrs, needs) => [dy, needs[1] ? neg(mul(dy, floor(div(a!, b!)))) : undefined],
  jvp: ([ta, tb], [a, b]) => [ta, tb && neg(mul(tb, floor(div(a!, b!))))],
});

// No gradient: piecewise constant, and TensorFlow's FloorDiv has none.
const floorDivOp = defineOp('floorDiv', {
  forward: ([a, b]) => mapBinary('floorDiv', 'floorDiv', a!, b!),
  vjp: 'none',
});

/**
 * Floor modulo, element-wise, with broadcasting: `a - floor(a / b) * b`, whose
 * sign is the divisor's (as tf.mod, and Python's `%`; unlike JavaScript's `%`).
 * The gradient is `dy` for `a` and `-dy * floor(a / b)` for `b` (as TensorFlow).
 *
 * @param a - The dividend: a tensor, or a number or nested array (which takes the other operand's dtype); not bool.
 * @param b - The divisor, whose sign the result takes, broadcast against `a`: a tensor, or a number or nested array
 *   (which takes the other operand's dtype); not bool.
 *
 * @example
 * ```ts
 * mod(tensor([5, -5, 5.5]), tensor([3, 3, -2])); // [2, 1, -0.5]
 * ```
 */
export function mod(a: TensorLike, b: TensorLike): Tensor {
  return modOp(binaryInputs('mod', a, b, true), undefined);
}

/**
 * `floor(a / b)`, element-wise, with broadcasting. It has no gradient (like
 * TensorFlow's FloorDiv): a tape gives its inputs none through it.
 *
 * @param a - The dividend: a tensor, or a number or nested array (which takes the other operand's dtype); not bool.
 * @param b - The divisor, broadcast against `a`: a tensor, or a number or nested array (which takes the other operand's
 *   dtype); not bool.
 *
 * @example
 * ```ts
 * floorDiv(tensor([7, -7]), 2); // [3, -4]
 * ```
 */
export function floorDiv(a: TensorLike, b: TensorLike): Tensor {
  return floorDivOp(binaryInputs('floorDiv', a, b, true), undefined);
}

const maximumOp = defineOp('maximum', {
  forward: ([a, b]) => mapBinary('maximum', 'maximum', a!, b!),
  // The gradient goes to the larger input; a tie goes to the first (as TensorFlow).
  vjp: (dy, [a, b]) => [mul(dy, indicator(greaterEqual(a!, b!), dy)), mul(dy, indicator(less(a!, b!), dy))],
  jvp: ([ta, tb], [a, b]) => [
    ta && mul(ta, indicator(greaterEqual(a!, b!), ta)),
    tb && mul(tb, indicator(less(a!, b!), tb)),
  ],
});

const minimumOp = defineOp('minimum', {
  forward: ([a, b]) => mapBinary('minimum', 'minimum', a!, b!),
  // The gradient goes to the smaller input; a tie goes to the first (as TensorFlow).
  vjp: (dy, [a, b]) => [mul(dy, indicator(lessEqual(a!, b!), dy)), mul(dy, indicator(greater(a!, b!), dy))],
  jvp: ([ta, tb], [a, b]) => [
    ta && mul(ta, indicator(lessEqual(a!, b!), ta)),
    tb && mul(tb, indicator(greater(a!, b!), tb)),
  ],
});

/**
 * The larger of `a` and `b`, element-wise, with broadcasting. Where they are
 * equal the whole gradient goes to `a` (as TensorFlow).
 *
 * @param a - The first operand (which a tie's gradient goes to): a tensor, or a number or nested array (which takes the
 *   other operand's dtype); not bool.
 * @param b - The second operand, broadcast against `a`: a tensor, or a number or nested array (which takes the other
 *   operand's dtype); not bool.
 *
 * @example
 * ```ts
 * maximum(tensor([1, 4]), tensor([3, 2])); // [3, 4]
 * ```
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return maximumOp(binaryInputs('maximum', a, b, true), undefined);
}

/**
 * The smaller of `a` and `b`, element-wise, with broadcasting. Where they are
 * equal the whole gradient goes to `a` (as TensorFlow).
 *
 * @param a - The first operand (which a tie's gradient goes to): a tensor, or a number or nested array (which takes the
 *   other operand's dtype); not bool.
 * @param b - The second operand, broadcast against `a`: a tensor, or a number or nested array (which takes the other
 *   operand's dtype); not bool.
 *
 * @example
 * ```ts
 * minimum(tensor([1, 4]), tensor([3, 2])); // [1, 2]
 * ```
 */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return minimumOp(binaryInputs('minimum', a, b, true), undefined);
}

const clipByValueOp = defineOp('clipByValue', {
  forward: ([x], { min, max }) => {
    const lo = convertToTensor('clipByValue', 'clipValueMin', min, x!.dtype);
    const hi = convertToTensor('clipByValue', 'clipValueMax', max, x!.dtype);
    return mapBinary('clipByValue', 'minimum', mapBinary('clipByValue', 'maximum', x!, lo), hi);
  },
  // The gradient passes where min <= x <= max, bounds included (TensorFlow's ClipByValue).
  vjp: (dy, [x], _y, { min, max }) => [
    mul(dy, mul(indicator(greaterEqual(x!, min), dy), indicator(lessEqual(x!, max), dy))),
  ],
  jvp: ([t], [x], _y, { min, max }) => [
    mul(t!, mul(indicator(greaterEqual(x!, min), t!), indicator(lessEqual(x!, max), t!))),
  ],
});

/**
 * Clips each element to `[clipValueMin, clipValueMax]`. The gradient passes
 * where `clipValueMin <= x <= clipValueMax`, bounds included (as TensorFlow),
 * and is 0 outside.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 * @param clipValueMin - The lower bound, a number (converted to `x`'s dtype); at most `clipValueMax`.
 * @param clipValueMax - The upper bound, a number (converted to `x`'s dtype).
 *
 * @example
 * ```ts
 * clipByValue(tensor([-2, 0.5, 3]), 0, 1); // [0, 0.5, 1]
 * ```
 */
export function clipByValue(x: TensorLike, clipValueMin: number, clipValueMax: number): Tensor {
  const t = unaryInput('clipByValue', x, false);
  if (typeof clipValueMin !== 'number' || typeof clipValueMax !== 'number') {
    throw new TypeError(
      `tapegrad.clipByValue: clipValueMin and clipValueMax must be numbers, got ${describeValue(clipValueMin)} and ${describeValue(clipValueMax)}`,
    );
  }
  if (!(clipValueMin <= clipValueMax)) {
    throw new RangeError(
      `tapegrad.clipByValue: clipValueMin ${clipValueMin} is greater than clipValueMax ${clipValueMax}; ` +
        'pass the lower bound first',
    );
  }
  return clipByValueOp([t], { min: clipValueMin, max: clipValueMax });
}

interface PiecewiseMethods {
  /** {@inheritDoc abs} */
  abs: Method<typeof abs>;
  /** {@inheritDoc sign} */
  sign: Method<typeof sign>;
  /** {@inheritDoc floor} */
  floor: Method<typeof floor>;
  /** {@inheritDoc ceil} */
  ceil: Method<typeof ceil>;
  /** {@inheritDoc round} */
  round: Method<typeof round>;
  /**
   * {@inheritDoc mod}
   *
   * @param rest - The arguments of {@link mod} after the tensor, described there.
   */
  mod: Method<typeof mod>;
  /**
   * {@inheritDoc floorDiv}
   *
   * @param rest - The arguments of {@link floorDiv} after the tensor, described there.
   */
  floorDiv: Method<typeof floorDiv>;
  /**
   * {@inheritDoc maximum}
   *
   * @param rest - The arguments of {@link maximum} after the tensor, described there.
   */
  maximum: Method<typeof maximum>;
  /**
   * {@inheritDoc minimum}
   *
   * @param rest - The arguments of {@link minimum} after the tensor, described there.
   */
  minimum: Method<typeof minimum>;
  /**
   * {@inheritDoc clipByValue}
   *
   * @param rest - The arguments of {@link clipByValue} after the tensor, described there.
   */
  clipByValue: Method<typeof clipByValue>;
}

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merges PiecewiseMethods into Tensor
  interface Tensor<D extends DType = DType> extends PiecewiseMethods {}
}

installMethods<PiecewiseMethods>({ abs, sign, floor, ceil, round, mod, floorDiv, maximum, minimum, clipByValue });
