/**
 * The WGSL bit tests and conversions of the element-wise kernels' math library (wgsl-math.ts): NaN and infinity tests
 * on the bits (which no driver folds away), exact powers of two, and float32/int32 conversions made as typed-array
 * stores make them (WGSL leaves the rounding of int32 to float32 to the implementation). Each entry is a name and its
 * WGSL source, after the entries it calls.
 */
export const BIT_HELPERS: readonly (readonly [string, string])[] = [
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
];
