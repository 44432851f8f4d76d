/**
 * Element-wise kernels: unary maps, broadcasting binary maps, select, cast.
 * Each kernel is named, so a faster backend can supply the same names.
 */
import type { TypedArray } from '../dtype.js';
import type { Shape } from '../shape.js';
import { broadcastOffsets } from './layout.js';

/** Names of the element-wise unary kernels. */
export type UnaryKernel = keyof typeof UNARY;

/** Names of the element-wise binary kernels. */
export type BinaryKernel = keyof typeof BINARY;

/** Scalar definition of each unary kernel. */
export const UNARY = {
  neg: (x: number) => -x,
  square: (x: number) => x * x,
  sqrt: Math.sqrt,
  exp: Math.exp,
  log: Math.log,
  // Stable in both tails: exp(-|x|) never overflows.
  sigmoid: (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  tanh: Math.tanh,
  relu: (x: number) => (x > 0 ? x : 0),
  /** 1 where x > 0, else 0: relu's derivative, with relu'(0) = 0 as in TensorFlow. */
  step: (x: number) => (x > 0 ? 1 : 0),
  abs: Math.abs,
  sign: (x: number) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN),
  reciprocal: (x: number) => 1 / x,
  identity: (x: number) => x,
  // Math.expm1 / Math.log1p keep full relative precision near 0, where exp(x) - 1 cancels.
  expm1: Math.expm1,
  log1p: Math.log1p,
  rsqrt: (x: number) => 1 / Math.sqrt(x),
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  // softplus(x) = ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|): e^-|x| never overflows, and
  // log1p keeps the small tail (x -> -inf, where softplus(x) ~ e^x) exact.
  softplus: (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
  // logSigmoid(x) = -softplus(-x), with the same care in both tails.
  logSigmoid: (x: number) => (x < 0 ? x - Math.log1p(Math.exp(x)) : -Math.log1p(Math.exp(-x))),
  relu6: (x: number) => (x > 0 ? (x < 6 ? x : 6) : x === 0 || x < 0 ? 0 : x),
  elu: (x: number) => (x > 0 ? x : Math.expm1(x)),
  selu: (x: number) => (x > 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * Math.expm1(x)),
  erf,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfToEven,
  // Predicates (1 or 0), written to bool outputs.
  isNaN: (x: number) => (Number.isNaN(x) ? 1 : 0),
  isFinite: (x: number) => (Number.isFinite(x) ? 1 : 0),
  isInf: (x: number) => (x === Infinity || x === -Infinity ? 1 : 0),
  logicalNot: (x: number) => (x ? 0 : 1),
} satisfies Record<string, (x: number) => number>;

/** Scalar definition of each binary kernel. */
export const BINARY = {
  add: (a: number, b: number) => a + b,
  sub: (a: number, b: number) => a - b,
  mul: (a: number, b: number) => a * b,
  div: (a: number, b: number) => a / b,
  /** Integer division rounding toward -infinity (TensorFlow.js `div` on int32). */
  floorDiv: (a: number, b: number) => Math.floor(a / b),
  pow: Math.pow,
  maximum: (a: number, b: number) => (a >= b || Number.isNaN(a) ? a : b),
  minimum: (a: number, b: number) => (a <= b || Number.isNaN(a) ? a : b),
  equal: (a: number, b: number) => (a === b ? 1 : 0),
  notEqual: (a: number, b: number) => (a !== b ? 1 : 0),
  less: (a: number, b: number) => (a < b ? 1 : 0),
  lessEqual: (a: number, b: number) => (a <= b ? 1 : 0),
  greater: (a: number, b: number) => (a > b ? 1 : 0),
  greaterEqual: (a: number, b: number) => (a >= b ? 1 : 0),
  squaredDifference: (a: number, b: number) => (a - b) * (a - b),
  atan2: Math.atan2,
  /** Floor modulo: the result has the sign of the divisor, `a - floor(a / b) * b` (TensorFlow's FloorMod). */
  mod: (a: number, b: number) => {
    const r = a % b;
    return r !== 0 && r < 0 !== b < 0 ? r + b : r;
  },
  /** `a` where positive, else `alpha * a` (`b` is alpha). */
  leakyRelu: (a: number, b: number) => (a > 0 ? a : a * b),
  /** relu's VJP, `a` (dy) where `b` (x) is positive, else `a * 0` (TensorFlow's ReluGrad). */
  reluGrad: (a: number, b: number) => (b > 0 ? a : a * 0),
  /** tanh's VJP from its output: `a * (1 - b²)` (TensorFlow's TanhGrad). */
  tanhGrad: (a: number, b: number) => a * (1 - b * b),
  /** sigmoid's VJP from its output: `a * b * (1 - b)` (TensorFlow's SigmoidGrad). */
  sigmoidGrad: (a: number, b: number) => a * b * (1 - b),
  logicalAnd: (a: number, b: number) => (a && b ? 1 : 0),
  logicalOr: (a: number, b: number) => (a || b ? 1 : 0),
} satisfies Record<string, (a: number, b: number) => number>;

/** SELU's constants (Klambauer et al. 2017), as TensorFlow: 1.05070098735548049..., 1.67326324235437728... */
export const SELU_SCALE = 1.0507009873554805;
export const SELU_ALPHA = 1.6732632423543772;

/** Rounds to the nearest integer, a tie to the even one (banker's rounding, as tf.round). */
function roundHalfToEven(x: number): number {
  const r = Math.round(x); // ties go up here
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The error function to about double precision. For |x| < 3 the series
 * erf(x) = 2/sqrt(pi) e^(-x^2) sum_n (2x^2)^n x / (1 * 3 * ... * (2n + 1)),
 * whose terms are all positive (no cancellation); beyond, 1 - erfc(x) with
 * erfc's continued fraction e^(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
 * evaluated from the tail (60 levels: converged to double precision for x >= 3).
 */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (Number.isNaN(x)) return NaN;
  if (ax < 3) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
    }
    return (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
  }
  if (ax > 6) return Math.sign(x); // erfc(6) = 2e-17: below double precision next to 1
  let fraction = ax;
  for (let k = 60; k >= 1; k--) fraction = ax + k / 2 / fraction;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / fraction;
  return Math.sign(x) * (1 - erfc);
}

/**
 * `out[i] = f(x[i])` for the named kernel.
 *
 * @param op - The kernel's name (`exp`, `tanh`, ...).
 * @param x - The input elements.
 * @param out - The output array, of `x`'s length (and its element type, or bool for predicates); written.
 */
export function unary(op: UnaryKernel, x: TypedArray, out: TypedArray): void {
  const f: (v: number) => number = UNARY[op];
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
}

/**
 * `out = f(a, b)` with NumPy broadcasting; `outShape` is the broadcast of
 * `aShape` and `bShape` (checked by the caller).
 *
 * @param op - The kernel's name (`add`, `mul`, ...).
 * @param a - The first operand's elements, row-major.
 * @param aShape - The first operand's shape.
 * @param b - The second operand's elements, row-major.
 * @param bShape - The second operand's shape.
 * @param out - The output array, of `outShape`'s size; written.
 * @param outShape - The broadcast of `aShape` and `bShape`.
 */
export function binary(
  op: BinaryKernel,
  a: TypedArray,
  aShape: Shape,
  b: TypedArray,
  bShape: Shape,
  out: TypedArray,
  outShape: Shape,
): void {
  const f: (x: number, y: number) => number = BINARY[op];
  const n = out.length;
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, b[i]!);
  } else if (b.length === 1 && a.length === n) {
    const s = b[0]!;
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, s);
  } else if (a.length === 1 && b.length === n) {
    const s = a[0]!;
    for (let i = 0; i < n; i++) out[i] = f(s, b[i]!);
  } else if (a.length === n && isTrailingBlock(bShape, outShape)) {
    // b repeats along the leading axes, e.g. a bias [256] added to [128, 256].
    const m = b.length;
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, b[i % m]!);
  } else {
    const ia = broadcastOffsets(aShape, outShape);
    const ib = broadcastOffsets(bShape, outShape);
    for (let i = 0; i < n; i++) out[i] = f(a[ia[i]!]!, b[ib[i]!]!);
  }
}

/** Whether `shape` equals the trailing dimensions of `outShape` (after dropping its leading 1s). */
export function isTrailingBlock(shape: Shape, outShape: Shape): boolean {
  let start = 0;
  while (start < shape.length && shape[start] === 1) start++;
  const lead = outShape.length - (shape.length - start);
  if (lead < 0) return false;
  for (let i = start; i < shape.length; i++) if (shape[i] !== outShape[lead + i - start]) return false;
  return true;
}

/**
 * `out[i] = cond[i] ? a[i] : b[i]`, all three broadcast to `outShape`.
 *
 * @param cond - The mask's elements (1 true, 0 false), row-major.
 * @param condShape - The mask's shape.
 * @param a - The elements taken where the mask is true.
 * @param aShape - The shape of `a`.
 * @param b - The elements taken where the mask is false.
 * @param bShape - The shape of `b`.
 * @param out - The output array, of `outShape`'s size; written.
 * @param outShape - The broadcast of the three shapes.
 */
export function select(
  cond: Uint8Array,
  condShape: Shape,
  a: TypedArray,
  aShape: Shape,
  b: TypedArray,
  bShape: Shape,
  out: TypedArray,
  outShape: Shape,
): void {
  const n = out.length;
  const ic = broadcastOffsets(condShape, outShape);
  const ia = broadcastOffsets(aShape, outShape);
  const ib = broadcastOffsets(bShape, outShape);
  for (let i = 0; i < n; i++) out[i] = cond[ic[i]!] ? a[ia[i]!]! : b[ib[i]!]!;
}

/**
 * Converts `x` into `out`'s element type: to bool as `x != 0` (NaN is true),
 * to int32 truncating toward zero, as TensorFlow's cast.
 *
 * @param x - The input elements.
 * @param out - The output array, of `x`'s length, in the target element type; written.
 */
export function cast(x: TypedArray, out: TypedArray): void {
  if (out instanceof Uint8Array && !(x instanceof Uint8Array)) {
    for (let i = 0; i < x.length; i++) out[i] = x[i] !== 0 ? 1 : 0;
  } else {
    // Typed-array set converts element-wise (ToInt32 truncates toward zero).
    out.set(x);
  }
}
