/// <reference types="@webgpu/types" />
/**
 * WGSL element-wise kernels: unary maps, broadcasting binary maps, select and cast, with the CPU kernels' arguments
 * (lib/kernels/elementwise.ts) and their results: the same NaN, signed-zero, tie and integer-overflow rules, and the
 * same conversion when the output's dtype differs from the computation's (a typed-array store: float to int32
 * truncates and wraps modulo 2^32, NaN and infinities become 0).
 *
 * One shader per op, dtypes, collapsed rank, broadcast pattern and aliasing: each input is read through strides that
 * are 0 along its broadcast axes (as `broadcastOffsets` in ../layout.ts), with the index arithmetic unrolled for the
 * rank, and none at all where every input is read contiguously or as a scalar (the commonest case).
 *
 * WGSL's exp, log, sin and friends may be far less accurate than float32 (the spec allows 2^-21 absolute error for
 * log near 1, 2^-11 for sin), and float NaN tests may be folded away by a driver that assumes no NaNs. So NaN and
 * infinity tests look at the bits, and the transcendentals are written out here (range reduction and polynomials),
 * to within a few ulps of the CPU's double-precision results rounded to float32.
 */
import type { Shape } from '../../shape.js';
import type { BinaryKernel, Kernels, UnaryKernel } from '../index.js';
import type { OnArrays } from '../storage.js';
import type { GpuArray, GpuDType } from './buffers.js';
import { FLAT_INDEX, WGSL_TYPE, WORKGROUP, type GpuContext } from './context.js';

/** The domain a kernel computes in: f32, i32 (int32, and bool read as 0/1), or a WGSL bool (predicates). */
type Domain = 'f32' | 'i32' | 'bool';

/**
 * A WGSL expression in `x` (and `y`) for each domain the op has: `f` on f32, `i` on i32 (without it, int32 inputs
 * are converted to f32, as the CPU computes them in doubles); `bool` when the expression is a WGSL bool (written as
 * 1 or 0, as the CPU's predicates and comparisons).
 */
interface OpCode {
  readonly f: string;
  readonly i?: string;
  readonly bool?: true;
}

/** The WGSL of each unary kernel (see OpCode). */
export const WGSL_UNARY: Record<UnaryKernel, OpCode> = {
  neg: { f: '-x', i: '-x' },
  square: { f: 'x * x', i: 'x * x' },
  sqrt: { f: 'select(sqrt(x), nan_f32(), x < 0.0)' },
  exp: { f: 'exp_f32(x)' },
  log: { f: 'log_f32(x)' },
  sigmoid: { f: 'sigmoid_f32(x)' },
  tanh: { f: 'tanh_f32(x)' },
  relu: { f: 'select(0.0, x, x > 0.0 && !is_nan(x))', i: 'max(x, 0)' },
  step: { f: 'select(0.0, 1.0, x > 0.0 && !is_nan(x))', i: 'select(0, 1, x > 0)' },
  abs: { f: 'bitcast<f32>(bitcast<u32>(x) & 0x7fffffffu)', i: 'abs(x)' },
  sign: { f: 'sign_f32(x)', i: 'sign(x)' },
  reciprocal: { f: '1.0 / x' },
  identity: { f: 'x', i: 'x' },
  expm1: { f: 'expm1_f32(x)' },
  log1p: { f: 'log1p_f32(x)' },
  rsqrt: { f: 'select(1.0 / sqrt(x), nan_f32(), x < 0.0)' },
  sin: { f: 'sin_f32(x)' },
  cos: { f: 'cos_f32(x)' },
  tan: { f: 'tan_f32(x)' },
  asin: { f: 'asin_f32(x)' },
  acos: { f: 'acos_f32(x)' },
  atan: { f: 'atan_f32(x)' },
  sinh: { f: 'sinh_f32(x)' },
  cosh: { f: 'cosh_f32(x)' },
  asinh: { f: 'asinh_f32(x)' },
  acosh: { f: 'acosh_f32(x)' },
  atanh: { f: 'atanh_f32(x)' },
  softplus: { f: 'select(log1p_f32(exp_f32(x)), x + log1p_f32(exp_f32(-x)), x > 0.0)' },
  logSigmoid: { f: 'select(-log1p_f32(exp_f32(-x)), x - log1p_f32(exp_f32(x)), x < 0.0)' },
  relu6: { f: 'relu6_f32(x)', i: 'clamp(x, 0, 6)' },
  elu: { f: 'select(expm1_f32(x), x, x > 0.0)' },
  selu: { f: 'select(SELU_SCALE_ALPHA * expm1_f32(x), SELU_SCALE * x, x > 0.0)' },
  erf: { f: 'erf_f32(x)' },
  floor: { f: 'floor(x)', i: 'x' },
  ceil: { f: 'ceil(x)', i: 'x' },
  round: { f: 'round(x)', i: 'x' }, // WGSL's round takes a tie to the even neighbour, as the CPU's
  isNaN: { f: 'is_nan(x)', i: 'false', bool: true },
  isFinite: { f: 'is_finite(x)', i: 'true', bool: true },
  isInf: { f: 'is_inf(x)', i: 'false', bool: true },
  // JavaScript's `x ? 0 : 1`: NaN is falsy too.
  logicalNot: { f: '(bitcast<u32>(x) & 0x7fffffffu) == 0u || is_nan(x)', i: 'x == 0', bool: true },
};

/** The WGSL of each binary kernel (see OpCode). */
export const WGSL_BINARY: Record<BinaryKernel, OpCode> = {
  add: { f: 'x + y', i: 'x + y' },
  sub: { f: 'x - y', i: 'x - y' },
  mul: { f: 'x * y', i: 'x * y' },
  div: { f: 'x / y', i: 'div_i32(x, y)' },
  floorDiv: { f: 'floor_div_f32(x, y)', i: 'floor_div_i32(x, y)' },
  pow: { f: 'pow_f32(x, y)', i: 'pow_i32(x, y)' },
  maximum: { f: 'select(y, x, is_nan(x) || (!is_nan(y) && x >= y))', i: 'max(x, y)' },
  minimum: { f: 'select(y, x, is_nan(x) || (!is_nan(y) && x <= y))', i: 'min(x, y)' },
  equal: { f: 'x == y && !is_nan(x) && !is_nan(y)', i: 'x == y', bool: true },
  notEqual: { f: 'x != y || is_nan(x) || is_nan(y)', i: 'x != y', bool: true },
  less: { f: 'x < y && !is_nan(x) && !is_nan(y)', i: 'x < y', bool: true },
  lessEqual: { f: 'x <= y && !is_nan(x) && !is_nan(y)', i: 'x <= y', bool: true },
  greater: { f: 'x > y && !is_nan(x) && !is_nan(y)', i: 'x > y', bool: true },
  greaterEqual: { f: 'x >= y && !is_nan(x) && !is_nan(y)', i: 'x >= y', bool: true },
  squaredDifference: { f: '(x - y) * (x - y)', i: '(x - y) * (x - y)' },
  atan2: { f: 'atan2_f32(x, y)' },
  mod: { f: 'mod_f32(x, y)', i: 'mod_i32(x, y)' },
  leakyRelu: { f: 'select(x * y, x, x > 0.0)', i: 'select(x * y, x, x > 0)' },
  // x * 0 spelled out (signed zero, NaN for infinities): a compiler may fold the product to +0.
  reluGrad: { f: 'select(select(copysign(0.0, x), nan_f32(), !is_finite(x)), x, y > 0.0)', i: 'select(0, x, y > 0)' },
  // (1 - y)(1 + y) rather than 1 - y²: no cancellation next to |y| = 1, where the CPU's doubles have none either;
  // x first, so that y² cannot overflow where the CPU's doubles do not (x = 0, y = 1e30 gives 0, not NaN).
  tanhGrad: { f: '(x * (1.0 - y)) * (1.0 + y)', i: 'x * (1 - y * y)' },
  sigmoidGrad: { f: 'x * y * (1.0 - y)', i: 'x * y * (1 - y)' },
  logicalAnd: { f: '!is_falsy(x) && !is_falsy(y)', i: 'x != 0 && y != 0', bool: true },
  logicalOr: { f: '!is_falsy(x) || !is_falsy(y)', i: 'x != 0 || y != 0', bool: true },
};

/**
 * WGSL helper functions, each after those it calls: a shader takes the ones its code names (and theirs). Constants
 * are written as literals a float32 holds exactly; infinities and NaNs come from private variables, since a constant
 * expression that is not finite is a shader-creation error.
 */
const HELPERS: readonly (readonly [string, string])[] = [
  ['INF_BITS', 'var<private> INF_BITS: u32 = 0x7f800000u;'],
  ['is_nan', 'fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }'],
  ['is_inf', 'fn is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }'],
  ['is_finite', 'fn is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) < 0x7f800000u; }'],
  ['is_falsy', 'fn is_falsy(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0u || is_nan(x); }'],
  ['inf_f32', 'fn inf_f32() -> f32 { return bitcast<f32>(INF_BITS); }'],
  ['nan_f32', 'fn nan_f32() -> f32 { return bitcast<f32>(INF_BITS | 0x400000u); }'],
  [
    'copysign',
    'fn copysign(m: f32, s: f32) -> f32 { return bitcast<f32>((bitcast<u32>(m) & 0x7fffffffu) | (bitcast<u32>(s) & 0x80000000u)); }',
  ],
  // 2^n for n in [-126, 127], exactly.
  ['pow2', 'fn pow2(n: i32) -> f32 { return bitcast<f32>(u32(n + 127) << 23u); }'],
  // v * 2^k for k in [-252, 254], in two exact steps (one alone would leave pow2's range).
  ['scale2', 'fn scale2(v: f32, k: i32) -> f32 { let h = k / 2; return v * pow2(h) * pow2(k - h); }'],
  // float32 to int32 as a typed-array store: truncation, modulo 2^32 beyond the range, 0 for NaN and infinities.
  [
    'to_i32',
    `fn to_i32(v: f32) -> i32 {
  let bits = bitcast<u32>(v);
  let e = i32((bits >> 23u) & 0xffu) - 127;
  if (e < 31) { return i32(v); }
  if (e == 128 || e >= 55) { return 0; }
  let u = ((bits & 0x7fffffu) | 0x800000u) << u32(e - 23);
  return bitcast<i32>(select(u, 0u - u, (bits >> 31u) != 0u));
}`,
  ],
  // int32 to float32 rounding to nearest, a tie to even (WGSL leaves the rounding to the implementation).
  [
    'u32_to_f32',
    `fn u32_to_f32(u: u32) -> f32 {
  if (u < 0x1000000u) { return f32(u); }
  let shift = firstLeadingBit(u) - 23u;
  var m = u >> shift;
  let rest = u - (m << shift);
  let half = 1u << (shift - 1u);
  if (rest > half || (rest == half && (m & 1u) == 1u)) { m += 1u; }
  return f32(m) * f32(1u << shift);
}`,
  ],
  [
    'to_f32',
    `fn to_f32(v: i32) -> f32 {
  let r = u32_to_f32(select(bitcast<u32>(v), 0u - bitcast<u32>(v), v < 0));
  return select(r, -r, v < 0);
}`,
  ],
  ['SELU_SCALE', 'const SELU_SCALE: f32 = 1.0507010221481323;'],
  ['SELU_SCALE_ALPHA', 'const SELU_SCALE_ALPHA: f32 = 1.7580993175506592;'],
  // ln 2 in two parts (Cody and Waite): k * LN2_HI is exact for |k| < 512.
  ['LN2_HI', 'const LN2_HI: f32 = 0.693145751953125;'],
  ['LN2_LO', 'const LN2_LO: f32 = 1.428606765330187e-6;'],
  // e^r - 1 for |r| <= ln(2)/2: Taylor to r^8 (the next term is below 2^-30 of the sum).
  [
    'expm1_poly',
    `fn expm1_poly(r: f32) -> f32 {
  let p = 0.5 + r * (1.6666667e-1 + r * (4.1666668e-2 + r * (8.3333338e-3 + r * (1.3888889e-3 + r * (1.9841270e-4 + r * 2.4801587e-5)))));
  return r + r * r * p;
}`,
  ],
  [
    'exp_f32',
    `fn exp_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x > 88.72283935546875) { return inf_f32(); }
  if (x < -103.97208) { return 0.0; }
  let k = round(x * 1.4426950216293335);
  let r = (x - k * LN2_HI) - k * LN2_LO;
  return scale2(1.0 + expm1_poly(r), i32(k));
}`,
  ],
  [
    'expm1_f32',
    `fn expm1_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x > 88.72283935546875) { return inf_f32(); }
  if (x < -18.0) { return -1.0; }
  if (abs(x) <= 0.34657359) { return expm1_poly(x); }
  let k = round(x * 1.4426950216293335);
  let r = (x - k * LN2_HI) - k * LN2_LO;
  let e = expm1_poly(r);
  let ki = i32(k);
  if (ki > 24) { return scale2(1.0 + e, ki) - 1.0; }
  // 2^k (1 + e) - 1 = 2^k e + (2^k - 1), where 2^k - 1 is exact.
  return scale2(e, ki) + (scale2(1.0, ki) - 1.0);
}`,
  ],
  // ln(1 + f) for f in [sqrt(1/2) - 1, sqrt(2) - 1] (fdlibm's logf kernel: f - f^2/2 + s (f^2/2 + R(s^2))).
  [
    'log1p_kernel',
    `fn log1p_kernel(f: f32) -> f32 {
  let s = f / (2.0 + f);
  let z = s * s;
  let w = z * z;
  let t1 = w * (4.0000000596e-01 + w * (2.2222198546e-01 + w * 1.5313838422e-01));
  let t2 = z * (6.6666668653e-01 + w * (2.8571429849e-01 + w * (1.8183572590e-01 + w * 1.4798198640e-01)));
  let hfsq = 0.5 * f * f;
  return f - (hfsq - s * (hfsq + t1 + t2));
}`,
  ],
  // ln(x) for finite x > 0 as k ln 2 + ln(m), m in [sqrt(1/2), sqrt(2)), and the correction c added to ln(m).
  [
    'log_reduced',
    `fn log_reduced(x: f32, c: f32) -> f32 {
  var bits = bitcast<u32>(x);
  var k = 0;
  if (bits < 0x800000u) { bits = bitcast<u32>(x * 33554432.0); k = -25; }
  k += i32(bits >> 23u) - 127;
  var m = bitcast<f32>((bits & 0x7fffffu) | 0x3f800000u);
  if (m > 1.4142135) { m = m * 0.5; k += 1; }
  let fk = f32(k);
  return fk * LN2_HI + ((log1p_kernel(m - 1.0) + c) + fk * LN2_LO);
}`,
  ],
  [
    'log_f32',
    `fn log_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x < 0.0) { return nan_f32(); }
  if (x == 0.0) { return -inf_f32(); }
  if (is_inf(x)) { return x; }
  return log_reduced(x, 0.0);
}`,
  ],
  [
    'log1p_f32',
    `fn log1p_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x < -1.0) { return nan_f32(); }
  if (x == -1.0) { return -inf_f32(); }
  if (is_inf(x)) { return x; }
  if (x > -0.29289322 && x < 0.41421356) { return log1p_kernel(x); }
  let u = 1.0 + x;
  // The rounding error of 1 + x, relative to u, corrects ln(u) to first order.
  return log_reduced(u, (x - (u - 1.0)) / u);
}`,
  ],
  [
    'sigmoid_f32',
    `fn sigmoid_f32(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp_f32(-x)); }
  let e = exp_f32(x);
  return e / (1.0 + e);
}`,
  ],
  [
    'tanh_f32',
    `fn tanh_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a > 9.1) { return copysign(1.0, x); }
  let t = expm1_f32(2.0 * a);
  return copysign(t / (t + 2.0), x);
}`,
  ],
  [
    'sinh_f32',
    `fn sinh_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a > 20.0) { let h = exp_f32(0.5 * a); return copysign(0.5 * h * h, x); }
  let t = expm1_f32(a);
  return copysign(0.5 * (t + t / (t + 1.0)), x);
}`,
  ],
  [
    'cosh_f32',
    `fn cosh_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a > 20.0) { let h = exp_f32(0.5 * a); return 0.5 * h * h; }
  let e = exp_f32(a);
  return 0.5 * (e + 1.0 / e);
}`,
  ],
  [
    'asinh_f32',
    `fn asinh_f32(x: f32) -> f32 {
  if (!is_finite(x)) { return x; }
  let a = abs(x);
  if (a > 268435456.0) { return copysign(log_f32(a) + 0.6931471805599453, x); }
  return copysign(log1p_f32(a + a * a / (1.0 + sqrt(1.0 + a * a))), x);
}`,
  ],
  [
    'acosh_f32',
    `fn acosh_f32(x: f32) -> f32 {
  if (is_nan(x) || x < 1.0) { return select(x, nan_f32(), x < 1.0); }
  if (x > 268435456.0) { return log_f32(x) + 0.6931471805599453; }
  if (x > 2.0) { return log_f32(2.0 * x - 1.0 / (x + sqrt(x * x - 1.0))); }
  let t = x - 1.0;
  return log1p_f32(t + sqrt(2.0 * t + t * t));
}`,
  ],
  [
    'atanh_f32',
    `fn atanh_f32(x: f32) -> f32 {
  let a = abs(x);
  if (is_nan(x) || a > 1.0) { return select(x, nan_f32(), a > 1.0); }
  return copysign(0.5 * log1p_f32(2.0 * a / (1.0 - a)), x);
}`,
  ],
  // x - j pi/2 with j = round(x 2/pi) and pi/2 in three parts (the first two exact times j < 4096), and j.
  [
    'reduce_pio2',
    `fn reduce_pio2(x: f32) -> vec2f {
  let j = round(x * 0.6366197466850281);
  let r = ((x - j * 1.5703125) - j * 0.0004838705062866211) - j * -4.371138828673793e-8;
  return vec2f(r, j);
}`,
  ],
  [
    'sin_poly',
    `fn sin_poly(r: f32) -> f32 {
  let z = r * r;
  return r + r * z * (-1.6666667e-1 + z * (8.3333338e-3 + z * (-1.9841270e-4 + z * 2.7557319e-6)));
}`,
  ],
  [
    'cos_poly',
    `fn cos_poly(r: f32) -> f32 {
  let z = r * r;
  return 1.0 - 0.5 * z + z * z * (4.1666668e-2 + z * (-1.3888889e-3 + z * (2.4801587e-5 + z * -2.7557319e-7)));
}`,
  ],
  [
    'sin_f32',
    `fn sin_f32(x: f32) -> f32 {
  if (!is_finite(x)) { return nan_f32(); }
  let rj = reduce_pio2(x);
  let q = i32(rj.y) & 3;
  let v = select(sin_poly(rj.x), cos_poly(rj.x), (q & 1) == 1);
  return select(v, -v, q >= 2);
}`,
  ],
  [
    'cos_f32',
    `fn cos_f32(x: f32) -> f32 {
  if (!is_finite(x)) { return nan_f32(); }
  let rj = reduce_pio2(x);
  let q = i32(rj.y) & 3;
  let v = select(cos_poly(rj.x), sin_poly(rj.x), (q & 1) == 1);
  return select(v, -v, q == 1 || q == 2);
}`,
  ],
  [
    'tan_f32',
    `fn tan_f32(x: f32) -> f32 {
  if (!is_finite(x)) { return nan_f32(); }
  let rj = reduce_pio2(x);
  let s = sin_poly(rj.x);
  let c = cos_poly(rj.x);
  return select(s / c, -c / s, (i32(rj.y) & 1) == 1);
}`,
  ],
  // atan(t) for t >= 0 (infinity included): t > 1 as pi/2 - atan(1/t), t > tan(pi/8) as pi/4 + atan((t-1)/(t+1)),
  // then the series to u^19 (|u| <= tan(pi/8): the next term is below 2^-27 of the sum); pi/2 and pi/4 in two parts.
  [
    'atan_core',
    `fn atan_core(t: f32) -> f32 {
  let inverted = t > 1.0;
  var u = select(t, 1.0 / t, inverted);
  let shifted = u > 0.41421356;
  if (shifted) { u = (u - 1.0) / (u + 1.0); }
  let z = u * u;
  let p = u + u * z * (-0.33333334 + z * (0.2 + z * (-0.14285715 + z * (0.11111111 + z * (-0.09090909 + z * (0.07692308 + z * (-0.06666667 + z * (0.05882353 + z * -0.05263158))))))));
  let a = select(p, 0.7853981852531433 + (p - 2.1855694e-8), shifted);
  return select(a, (1.5707963705062866 - a) - 4.371139e-8, inverted);
}`,
  ],
  [
    'atan_f32',
    `fn atan_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  return copysign(atan_core(abs(x)), x);
}`,
  ],
  [
    'asin_f32',
    `fn asin_f32(x: f32) -> f32 {
  let a = abs(x);
  if (!(a <= 1.0)) { return nan_f32(); }
  return copysign(atan_core(a / sqrt((1.0 - a) * (1.0 + a))), x);
}`,
  ],
  [
    'acos_f32',
    `fn acos_f32(x: f32) -> f32 {
  if (!(abs(x) <= 1.0)) { return nan_f32(); }
  return 2.0 * atan_core(sqrt((1.0 - x) / (1.0 + x)));
}`,
  ],
  // Math.atan2's special cases (zeros, infinities) spelled out: WGSL leaves atan2(0, 0) undefined.
  [
    'atan2_f32',
    `fn atan2_f32(y: f32, x: f32) -> f32 {
  if (is_nan(x) || is_nan(y)) { return nan_f32(); }
  let xneg = (bitcast<u32>(x) >> 31u) != 0u;
  if (y == 0.0) { return select(y, copysign(3.1415927410125732, y), xneg); }
  if (x == 0.0) { return copysign(1.5707963705062866, y); }
  if (is_inf(x)) {
    if (is_inf(y)) { return copysign(select(0.7853981852531433, 2.356194496154785, xneg), y); }
    return copysign(select(0.0, 3.1415927410125732, xneg), y);
  }
  if (is_inf(y)) { return copysign(1.5707963705062866, y); }
  let a = atan_core(abs(y) / abs(x));
  return copysign(select(a, (3.1415927410125732 - a) - 8.742278e-8, xneg), y);
}`,
  ],
  [
    'sign_f32',
    `fn sign_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0);
}`,
  ],
  [
    'relu6_f32',
    `fn relu6_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  return select(0.0, select(6.0, x, x < 6.0), x > 0.0);
}`,
  ],
  // erf as the CPU kernel: for |x| < 3 the series 2/sqrt(pi) e^(-x^2) sum (2x^2)^n x / (1 3 ... (2n+1)) (positive
  // terms, no cancellation); up to 3.9 1 - erfc by its continued fraction; beyond, erf rounds to +-1 in float32.
  [
    'erf_f32',
    `fn erf_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a >= 3.9) { return copysign(1.0, x); }
  let x2 = a * a;
  if (a < 3.0) {
    var term = a;
    var sum = a;
    for (var n = 1; n < 80; n++) {
      term *= 2.0 * x2 / f32(2 * n + 1);
      sum += term;
      if (term <= 1e-8 * sum) { break; }
    }
    return copysign(1.128379225730896 * exp_f32(-x2) * sum, x);
  }
  var fraction = a;
  for (var k = 40; k >= 1; k--) { fraction = a + f32(k) * 0.5 / fraction; }
  return copysign(1.0 - exp_f32(-x2) * 0.5641895835477563 / fraction, x);
}`,
  ],
  // Math.pow on float32: special cases as ECMAScript's (pow(1, NaN) and pow(+-1, +-Infinity) are NaN), small integer
  // exponents by repeated multiplication (x * x rounds once, as the CPU's square), others as 2^(y log2 |x|) with
  // y k (k the exponent of |x|) split into an exact sum, so that only y log2(m), |log2 m| <= 1/2, rounds.
  [
    'pow_f32',
    `fn pow_f32(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (is_nan(x) || is_nan(y)) { return nan_f32(); }
  let ax = abs(x);
  if (is_inf(y)) {
    if (ax == 1.0) { return nan_f32(); }
    return select(0.0, inf_f32(), (ax > 1.0) == (y > 0.0));
  }
  let integer = floor(y) == y;
  let odd = integer && abs(y) < 16777216.0 && (i32(y) & 1) != 0;
  let xneg = (bitcast<u32>(x) >> 31u) != 0u;
  if (ax == 0.0 || is_inf(x)) {
    // |x|^y is 0 or infinity; the sign is x's for odd integer y.
    let big = (ax == 0.0) == (y < 0.0);
    let m = select(0.0, inf_f32(), big);
    return select(m, -m, xneg && odd);
  }
  if (x < 0.0 && !integer) { return nan_f32(); }
  var mag: f32;
  if (integer && abs(y) <= 8.0) {
    var n = i32(abs(y));
    var b = ax;
    var r = 1.0;
    loop {
      if ((n & 1) == 1) { r *= b; }
      n = n >> 1u;
      if (n == 0) { break; }
      b *= b;
    }
    mag = select(r, 1.0 / r, y < 0.0);
  } else {
    var bits = bitcast<u32>(ax);
    var k = 0;
    if (bits < 0x800000u) { bits = bitcast<u32>(ax * 33554432.0); k = -25; }
    k += i32(bits >> 23u) - 127;
    var m = bitcast<f32>((bits & 0x7fffffu) | 0x3f800000u);
    if (m > 1.4142135) { m = m * 0.5; k += 1; }
    let lm = log1p_kernel(m - 1.0) * 1.4426950216293335;
    let fk = f32(k);
    // y k as th + tl exactly: y's top 12 significant bits and the rest, each times k (at most 8 bits), are exact.
    let yh = bitcast<f32>(bitcast<u32>(y) & 0xfffff000u);
    let th = yh * fk;
    let tl = (y - yh) * fk;
    let s = y * lm;
    let total = th + s;
    if (total > 150.0) { return select(inf_f32(), -inf_f32(), xneg && odd); }
    if (total < -170.0) { return select(0.0, -0.0, xneg && odd); }
    let n = round(total);
    let f = ((th - n) + s) + tl;
    mag = scale2(exp_f32(f * 0.6931471805599453), i32(n));
  }
  return select(mag, -mag, xneg && odd);
}`,
  ],
  // |x| / |y| for finite |x| >= |y| > 0 by long division of the integer significands, one bit of the exponent
  // difference at a time: (quotient, exactly while the difference is at most 30; remainder's significand; y's
  // exponent as a bias-adjusted shift) so that the remainder is r * 2^(e - 150).
  [
    'long_div',
    `fn long_div(ax: f32, ay: f32) -> vec4u {
  let bx = bitcast<u32>(ax);
  let by = bitcast<u32>(ay);
  let ex = max(i32(bx >> 23u), 1);
  let ey = max(i32(by >> 23u), 1);
  let mx = select(bx & 0x7fffffu, (bx & 0x7fffffu) | 0x800000u, bx >= 0x800000u);
  let my = select(by & 0x7fffffu, (by & 0x7fffffu) | 0x800000u, by >= 0x800000u);
  var q = mx / my;
  var r = mx % my;
  for (var d = ex - ey; d > 0; d--) {
    let r2 = r << 1u;
    q = (q << 1u) | (r2 / my);
    r = r2 % my;
  }
  return vec4u(q, r, u32(ex - ey), u32(ey));
}`,
  ],
  // C's fmod, exactly (sign of x), from the long division's remainder.
  [
    'fmod_f32',
    `fn fmod_f32(x: f32, y: f32) -> f32 {
  let ax = abs(x);
  let ay = abs(y);
  if (!is_finite(x) || is_nan(y) || ay == 0.0) { return nan_f32(); }
  if (is_inf(y) || ax < ay) { return x; }
  let qr = long_div(ax, ay);
  return copysign(scale2(f32(qr.y), i32(qr.w) - 150), x);
}`,
  ],
  [
    'mod_f32',
    `fn mod_f32(x: f32, y: f32) -> f32 {
  let r = fmod_f32(x, y);
  if (r != 0.0 && (r < 0.0) != (y < 0.0)) { return r + y; }
  return r;
}`,
  ],
  // floor(x / y) from the exact quotient and remainder of the long division, rounded once to float32 as the CPU
  // rounds its double's floor; quotients of 2^30 and more (every float32 there an integer) fall back to floor(x / y).
  [
    'floor_div_f32',
    `fn floor_div_f32(x: f32, y: f32) -> f32 {
  let ax = abs(x);
  let ay = abs(y);
  if (!is_finite(x) || !is_finite(y) || ay == 0.0 || ax == 0.0) { return floor(x / y); }
  let negative = (x < 0.0) != (y < 0.0);
  // 0 < |x / y| < 1: 0 or -1 (x / y may underflow in float32, not in the CPU's doubles).
  if (ax < ay) { return select(0.0, -1.0, negative); }
  let qr = long_div(ax, ay);
  if (qr.z > 30u) { return floor(x / y); }
  if (!negative) { return u32_to_f32(qr.x); }
  return -u32_to_f32(qr.x + select(0u, 1u, qr.y != 0u));
}`,
  ],
  // The CPU's int32 results: x / y truncated; division by zero gives 0 (NaN or infinity stored); overflow wraps.
  [
    'div_i32',
    `fn div_i32(x: i32, y: i32) -> i32 {
  if (y == 0) { return 0; }
  if (y == -1) { return 0 - x; }
  return x / y;
}`,
  ],
  [
    'floor_div_i32',
    `fn floor_div_i32(x: i32, y: i32) -> i32 {
  if (y == 0) { return 0; }
  if (y == -1) { return 0 - x; }
  let q = x / y;
  if (x % y != 0 && (x < 0) != (y < 0)) { return q - 1; }
  return q;
}`,
  ],
  [
    'mod_i32',
    `fn mod_i32(x: i32, y: i32) -> i32 {
  if (y == 0 || y == -1) { return 0; }
  let r = x % y;
  if (r != 0 && (r < 0) != (y < 0)) { return r + y; }
  return r;
}`,
  ],
  // Exact powers modulo 2^32; a negative exponent truncates 1 / x^|y| to 0 unless |x| = 1.
  [
    'pow_i32',
    `fn pow_i32(x: i32, y: i32) -> i32 {
  if (y < 0) {
    if (x == 1) { return 1; }
    if (x == -1) { return select(1, -1, (y & 1) != 0); }
    return 0;
  }
  var b = x;
  var n = u32(y);
  var r = 1;
  loop {
    if ((n & 1u) == 1u) { r *= b; }
    n = n >> 1u;
    if (n == 0u) { break; }
    b *= b;
  }
  return r;
}`,
  ],
];

/** The helpers that `code` needs, in dependency order. */
function helpersFor(code: string): string {
  const used: string[] = [];
  let text = code;
  for (let h = HELPERS.length - 1; h >= 0; h--) {
    const [name, source] = HELPERS[h]!;
    if (new RegExp(`\\b${name}\\b`).test(text)) {
      used.unshift(source);
      text += source;
    }
  }
  return used.join('\n');
}

/**
 * The output shape with each operand's strides (0 along broadcast axes), size-1 axes dropped and adjacent axes
 * merged where every operand steps through them as through one: equal shapes become one axis, a scalar operand one
 * axis with stride 0, and `[3, 4] + [4]` stays two axes, with strides [4, 1] and [0, 1].
 */
export function collapseShapes(shapes: readonly Shape[], outShape: Shape): { shape: number[]; strides: number[][] } {
  const full = shapes.map((shape) => broadcastStrides(shape, outShape));
  const shape: number[] = [];
  const strides: number[][] = shapes.map(() => []);
  for (let d = 0; d < outShape.length; d++) {
    const size = outShape[d]!;
    if (size === 1) continue;
    const last = shape.length - 1;
    // Merge axis d into the previous kept axis when stepping the previous one equals stepping d by `size`.
    if (last >= 0 && full.every((s, o) => strides[o]![last] === s[d]! * size)) {
      shape[last] = shape[last]! * size;
      full.forEach((s, o) => (strides[o]![last] = s[d]!));
    } else {
      shape.push(size);
      full.forEach((s, o) => strides[o]!.push(s[d]!));
    }
  }
  return { shape, strides };
}

/** `collapseShapes` for two operands (the binary kernels' case). */
export function collapseBroadcast(
  aShape: Shape,
  bShape: Shape,
  outShape: Shape,
): { shape: number[]; aStrides: number[]; bStrides: number[] } {
  const { shape, strides } = collapseShapes([aShape, bShape], outShape);
  return { shape, aStrides: strides[0]!, bStrides: strides[1]! };
}

/** Row-major strides of `shape` read as `outShape` (right-aligned), 0 along missing and size-1 axes. */
function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const lead = outShape.length - shape.length;
  const strides = new Array<number>(outShape.length).fill(0);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1) strides[d + lead] = stride;
    stride *= shape[d]!;
  }
  return strides;
}

/** WGSL functions a shader needs beyond the helpers, and its output element as an expression in the operands. */
interface Parts {
  readonly functions: string;
  readonly body: (values: readonly string[]) => string;
}

/** The conversion of a `from` value (WGSL expression `v`) into an element of `to`, as a typed-array store. */
function store(v: string, from: Domain, to: GpuDType): string {
  if (from === 'bool')
    return to === 'float32' ? `select(0.0, 1.0, ${v})` : to === 'int32' ? `select(0, 1, ${v})` : `select(0u, 1u, ${v})`;
  if (from === 'f32')
    return to === 'float32' ? v : to === 'int32' ? `to_i32(${v})` : `(bitcast<u32>(to_i32(${v})) & 0xffu)`;
  return to === 'float32' ? `to_f32(${v})` : to === 'int32' ? v : `(bitcast<u32>(${v}) & 0xffu)`;
}

/** An element of a `dtype` array (WGSL expression `v`) in `domain` (f32 or i32). */
function load(v: string, dtype: GpuDType, domain: 'f32' | 'i32'): string {
  if (dtype === 'float32') return v; // float inputs always compute in f32
  if (dtype === 'int32') return domain === 'i32' ? v : `to_f32(${v})`;
  return domain === 'i32' ? `i32(${v})` : `f32(${v})`;
}

/**
 * Dispatches one element-wise shader: `out[i] = body(operand values)` with each operand read through the collapsed
 * broadcast strides. Operands that share a buffer are bound once; one that shares `out`'s buffer (in-place use) is
 * read from the read_write `out` binding, since a writable binding may not alias another. dims = [n,
 * shape[rank], strides[operand][rank]].
 */
function run(
  ctx: GpuContext,
  name: string,
  operands: readonly GpuArray[],
  out: GpuArray,
  layout: { shape: number[]; strides: number[][] },
  { functions, body }: Parts,
): void {
  const n = out.length;
  if (n === 0) return;
  // Bindings: out first in the key's terms, then each distinct input buffer.
  const inputs: GpuArray[] = [];
  const source = operands.map((array) => {
    if (array.buffer === out.buffer) {
      if (array.dtype !== out.dtype) throw new TypeError(`tapegrad.webgpu.${name}: in place with another dtype`);
      return 'out';
    }
    let b = inputs.findIndex((x) => x.buffer === array.buffer);
    if (b >= 0 && inputs[b]!.dtype !== array.dtype)
      throw new TypeError(`tapegrad.webgpu.${name}: one buffer, two dtypes`);
    if (b < 0) b = inputs.push(array) - 1;
    return `in${b}`;
  });
  const rank = layout.shape.length;
  // Which strides are 0 (broadcast) and, for one axis, 1: known when the shader is built, so they cost nothing.
  const pattern = layout.strides.map((s) => s.map((v) => (v === 0 ? '0' : rank === 1 ? '1' : 's')).join('')).join('.');
  const key = `elementwise.${name}.${operands.map((a) => a.dtype).join(',')}>${out.dtype}.${source.join(',')}.r${rank}.${pattern}`;
  const shader = (): string => {
    const lines: string[] = [];
    const index: string[] = operands.map(() => '0u');
    if (rank === 1) {
      layout.strides.forEach((s, o) => (index[o] = s[0] === 0 ? '0u' : 'i'));
    } else if (rank > 1) {
      lines.push('var rest = i;', ...operands.map((_, o) => `var i${o} = 0u;`));
      // Axes from the innermost out: c is i's index along axis d; the outermost axis needs no division.
      for (let d = rank - 1; d >= 0; d--) {
        const c = d === 0 ? 'rest' : `rest % dims[${1 + d}]`;
        const terms = layout.strides
          .map((s, o) => (s[d] === 0 ? '' : `i${o} += c * dims[${1 + rank * (o + 1) + d}];`))
          .join(' ');
        lines.push(`{ let c = ${c};${d === 0 ? '' : ` rest = rest / dims[${1 + d}];`} ${terms} }`);
      }
      operands.forEach((_, o) => (index[o] = `i${o}`));
    }
    const values = operands.map((_, o) => `${source[o]}[${index[o]}]`);
    const main = `${lines.join('\n  ')}\n  out[i] = ${body(values)};`;
    const code = `${functions}\n\n@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  ${FLAT_INDEX}
  if (i >= dims[0]) { return; }
  ${main}
}`;
    const bindings = inputs.map(
      (array, b) => `@group(0) @binding(${b}) var<storage, read> in${b}: array<${WGSL_TYPE[array.dtype]}>;`,
    );
    return /* wgsl */ `
${bindings.join('\n')}
@group(0) @binding(${inputs.length}) var<storage, read_write> out: array<${WGSL_TYPE[out.dtype]}>;
@group(0) @binding(${inputs.length + 1}) var<storage, read> dims: array<u32>;
${helpersFor(code)}
${code}`;
  };
  const dims = Uint32Array.from([n, ...layout.shape, ...layout.strides.flat()]);
  ctx.dispatch(key, shader, [...inputs, out], dims, ctx.grid(n));
}

/** An op's shader parts: `fn op` with its expression, and the body that loads, applies and stores. */
function opParts(code: OpCode, dtypes: readonly GpuDType[], out: GpuDType): Parts {
  const domain: 'f32' | 'i32' = dtypes.some((d) => d === 'float32') || code.i === undefined ? 'f32' : 'i32';
  const params = dtypes.map((_, o) => `${'xy'[o]}: ${domain}`).join(', ');
  const result = code.bool ? 'bool' : domain;
  return {
    functions: `fn op(${params}) -> ${result} { return ${domain === 'f32' ? code.f : code.i!}; }`,
    body: (values) => store(`op(${values.map((v, o) => load(v, dtypes[o]!, domain)).join(', ')})`, result, out),
  };
}

/** The element-wise kernels on GPU arrays, with the CPU kernels' arguments and results (see the module comment). */
export function gpuElementwise(ctx: GpuContext): {
  unary: OnArrays<Kernels['unary'], GpuArray>;
  binary: OnArrays<Kernels['binary'], GpuArray>;
  select: OnArrays<Kernels['select'], GpuArray>;
  cast: OnArrays<Kernels['cast'], GpuArray>;
} {
  return {
    unary(op, x, out) {
      const code = WGSL_UNARY[op];
      if (code === undefined) throw new RangeError(`tapegrad.webgpu.unary: no kernel named ${String(op)}`);
      run(ctx, op, [x], out, contiguous(1, out.length), opParts(code, [x.dtype], out.dtype));
    },
    binary(op, a, aShape, b, bShape, out, outShape) {
      const code = WGSL_BINARY[op];
      if (code === undefined) throw new RangeError(`tapegrad.webgpu.binary: no kernel named ${String(op)}`);
      const layout = collapseShapes([aShape, bShape], outShape);
      run(ctx, op, [a, b], out, layout, opParts(code, [a.dtype, b.dtype], out.dtype));
    },
    select(cond, condShape, a, aShape, b, bShape, out, outShape) {
      if (a.dtype !== out.dtype || b.dtype !== out.dtype) {
        throw new TypeError(
          `tapegrad.webgpu.select: a, b and out must share a dtype, got ${a.dtype}, ${b.dtype}, ${out.dtype}`,
        );
      }
      const layout = collapseShapes([condShape, aShape, bShape], outShape);
      // The chosen element is copied as it is stored (a bit-exact copy, NaN payloads included).
      run(ctx, 'select', [cond, a, b], out, layout, {
        functions: '',
        body: ([c, x, y]) => `select(${y}, ${x}, ${c} != 0u)`,
      });
    },
    cast(x, out) {
      let body: Parts['body'];
      if (out.dtype === 'bool' && x.dtype !== 'bool') {
        // x != 0, NaN included (a store would truncate NaN to 0 instead).
        body = ([v]) =>
          x.dtype === 'float32'
            ? `select(0u, 1u, (bitcast<u32>(${v}) & 0x7fffffffu) != 0u)`
            : `select(0u, 1u, ${v} != 0)`;
      } else {
        const domain = x.dtype === 'float32' ? 'f32' : 'i32';
        body = ([v]) => store(load(v!, x.dtype, domain), domain, out.dtype);
      }
      run(ctx, 'cast', [x], out, contiguous(1, out.length), { functions: '', body });
    },
  };
}

/** The layout of `operands` arrays read element by element over `n` outputs. */
function contiguous(operands: number, n: number): { shape: number[]; strides: number[][] } {
  return n === 1
    ? { shape: [], strides: Array.from({ length: operands }, () => []) }
    : { shape: [n], strides: Array.from({ length: operands }, () => [1]) };
}
