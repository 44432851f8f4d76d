/**
 * The WGSL division helpers of the element-wise kernels' math library (wgsl-math.ts): the float remainder and floor
 * division computed exactly by long division of the significands (as the CPU's doubles give them), and the int32
 * division, remainder and power as the CPU's int32 results. Each entry is a name and its WGSL source, after the
 * entries it calls (which may be in wgsl-bits.ts).
 */
export const DIVISION_HELPERS: readonly (readonly [string, string])[] = [
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
