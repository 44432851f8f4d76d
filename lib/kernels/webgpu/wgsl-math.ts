/**
 * The WGSL math library of the element-wise kernels (elementwise.ts): bit tests for NaN and infinities, float32 and
 * int32 conversions as typed-array stores make them, and the transcendentals (exp, expm1, log, log1p, the
 * trigonometric and hyperbolic functions and their inverses, erf, pow), the float remainder and floor division, and
 * the int32 division, remainder and power, each as WGSL source. `helpersFor` picks the ones a shader's code names.
 *
 * WGSL's own exp, log, sin and friends may be far less accurate than float32 (the spec allows 2^-21 absolute error
 * for log near 1, 2^-11 for sin), and float NaN tests may be folded away by a driver that assumes no NaNs. So NaN and
 * infinity tests look at the bits, and the transcendentals are written out here (range reduction and polynomials), to
 * within a few ulps of the CPU's double-precision results rounded to float32.
 */

import { BIT_HELPERS } from './wgsl-bits.js';
import { DIVISION_HELPERS } from './wgsl-division.js';

/**
 * WGSL helper functions, each after those it calls: a shader takes the ones its code names (and theirs). Constants
 * are written as literals a float32 holds exactly; infinities and NaNs come from private variables, since a constant
 * expression that is not finite is a shader-creation error.
 */
const HELPERS: readonly (readonly [string, string])[] = [
  ...BIT_HELPERS,
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
  ...DIVISION_HELPERS,
];

/** The helpers that `code` needs, in dependency order. */
export function helpersFor(code: string): string {
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
