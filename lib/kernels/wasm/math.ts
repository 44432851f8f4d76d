/**
 * Float32 transcendental functions in WebAssembly SIMD (four lanes at a
 * time), for element-wise kernels on large float32 arrays: each exported
 * function `name(p, n)` replaces the `n` floats at byte address `p` by their
 * image, in place, rounding `n` up to a multiple of four (the caller leaves
 * room). Float64 never comes here: it keeps `Math.*`. The module also gets
 * plain add, sub, mul and div maps in f32x4 and f64x2 ({@link ARITH}), which
 * are exact IEEE arithmetic.
 *
 * The formulas are the classic Cephes single-precision ones (S. L. Moshier,
 * `expf`, `tanhf`, `logf`; sigmoid is built on exp), made branch-free: both branches are computed and
 * chosen per lane with a bit mask, and the special values are fixed by masks.
 * Accuracy, measured against `Math.fround(Math.*)` of the float32 input on
 * every 97th float32 bit pattern plus dense sweeps of the branch and range
 * limits (`spec/kernels/elementwise.spec.ts` checks a random subset in CI):
 * - exp: at most 1 ulp (99.6% of inputs exact), subnormal results included;
 *   0 below -104, +Inf above 88.72, NaN to NaN.
 * - log: at most 1 ulp; subnormals are scaled up first; log(+-0) = -Inf,
 *   log(x < 0) = NaN, log(+Inf) = +Inf.
 * - tanh: at most 1 ulp; odd (-0 stays -0), exactly +-1 beyond |x| = 9.01.
 * - sigmoid: at most 2 ulp (97% exact, 0.006% at 2 ulp), including the
 *   subnormal tail below x = -87.3; exactly 0 and 1 at -Inf and +Inf.
 * WebAssembly arithmetic is IEEE 754 with subnormals (no flush to zero), and
 * the same on every host, so these bounds hold everywhere.
 */
import { Code, I32, type ModuleBuilder, SimdOp as S, V128 } from './emitter.js';

/** The functions {@link emitMath} adds to a module, by the unary kernel name they serve. */
export const MATH_F32 = {
  exp: 'expF32',
  log: 'logF32',
  tanh: 'tanhF32',
  sigmoid: 'sigmoidF32',
} as const;

/**
 * Exact float32 maps that {@link emitMath} adds beside the transcendental ones, by the unary kernel name they
 * serve: each gives the reference's bits for every input (relu: `x > 0 ? x : 0`, as a mask, so NaN and -0 give +0).
 * Branch-free, where the TypeScript loop's branch mispredicts on activations of mixed sign (7 ns an element on a
 * CNN's 800K-element activations, against well under 1 here with the copies).
 */
export const EXACT_F32 = {
  relu: 'reluF32',
} as const;

/** The exported name of the float32 `reluGrad` map: `reluGradF32(pa, pb, po, n)`, same-size operands only. */
export const RELU_GRAD_F32 = 'reluGradF32';

/** The arithmetic of {@link emitMath}'s binary maps, and the SIMD instruction of each in f32x4 and f64x2. */
export const ARITH = {
  add: [S.f32x4Add, S.f64x2Add],
  sub: [S.f32x4Sub, S.f64x2Sub],
  mul: [S.f32x4Mul, S.f64x2Mul],
  div: [S.f32x4Div, S.f64x2Div],
} as const;

/** Operand layouts of a binary map: v = a vector of n elements, s = one element splat to all lanes. */
export type ArithMode = 'vv' | 'vs' | 'sv';

/** The export name of a binary map, e.g. `mulF32vs(pa, pb, po, n)`. */
export const arithName = (op: keyof typeof ARITH, bytes: 4 | 8, mode: ArithMode) => `${op}F${bytes * 8}${mode}`;

/** Adds {@link MATH_F32}'s functions, and every binary map {@link arithName} names, to `module`. */
export function emitMath(module: ModuleBuilder): void {
  emitMap(module, MATH_F32.exp, exp);
  emitMap(module, MATH_F32.log, log);
  emitMap(module, MATH_F32.tanh, tanh);
  emitMap(module, MATH_F32.sigmoid, sigmoid);
  emitMap(module, EXACT_F32.relu, relu);
  emitReluGrad(module);
  for (const op of Object.keys(ARITH) as (keyof typeof ARITH)[]) {
    for (const bytes of [4, 8] as const) {
      for (const mode of ['vv', 'vs', 'sv'] as const) emitArith(module, op, bytes, mode);
    }
  }
}

/**
 * `f(pa, pb, po, n)`: out = a op b over n elements (rounded up to whole
 * vectors, n >= 1) at byte addresses pa, pb, po; a splat operand is the one
 * element at its address. Exactly IEEE arithmetic, so exactly the reference.
 */
function emitArith(module: ModuleBuilder, op: keyof typeof ARITH, bytes: 4 | 8, mode: ArithMode): void {
  const c = module.func(arithName(op, bytes, mode), [I32, I32, I32, I32]);
  const [pa, pb, po, n] = [0, 1, 2, 3];
  const end = c.local(I32);
  const sa = c.local(V128);
  const sb = c.local(V128);
  if (mode === 'sv') c.get(pa).loadSplat(bytes).set(sa);
  if (mode === 'vs') c.get(pb).loadSplat(bytes).set(sb);
  c.get(po).get(n).i32(bytes).i32Mul().i32Add().set(end);
  c.loop();
  c.get(po);
  if (mode === 'sv') c.get(sa);
  else c.get(pa).v128Load();
  if (mode === 'vs') c.get(sb);
  else c.get(pb).v128Load();
  c.vOp(ARITH[op][bytes === 4 ? 0 : 1]).v128Store();
  if (mode !== 'sv') c.get(pa).i32(16).i32Add().set(pa);
  if (mode !== 'vs') c.get(pb).i32(16).i32Add().set(pb);
  c.get(po).i32(16).i32Add().tee(po).get(end).i32LtU().brIf(0);
  c.end();
}

/**
 * `reluGradF32(pa, pb, po, n)`: out = b > 0 ? a : a * 0 over n float32 elements (rounded up to whole vectors) at
 * byte addresses pa (dy), pb (x), po: the reference's `reluGrad`, bit for bit (a * 0 keeps its sign, and NaN or
 * an infinity in a gives NaN there, as in the reference).
 */
function emitReluGrad(module: ModuleBuilder): void {
  const c = module.func(RELU_GRAD_F32, [I32, I32, I32, I32]);
  const [pa, pb, po, n] = [0, 1, 2, 3];
  const end = c.local(I32);
  const a = c.local(V128);
  const zero = c.local(V128); // never set: locals start as zeros
  c.get(po).get(n).i32(4).i32Mul().i32Add().set(end);
  c.loop();
  c.get(po);
  c.get(pa).v128Load().set(a);
  c.get(a).get(a).get(zero).vOp(S.f32x4Mul);
  c.get(pb).v128Load().get(zero).vOp(S.f32x4Gt);
  c.vOp(S.v128Bitselect).v128Store();
  for (const p of [pa, pb]) c.get(p).i32(16).i32Add().set(p);
  c.get(po).i32(16).i32Add().tee(po).get(end).i32LtU().brIf(0);
  c.end();
}

/** Emits code that leaves f(x) on the stack, `x` being a v128 local of four floats. */
type Body = (c: Code, x: number) => void;

/**
 * The vector constants of each function under construction, as locals set
 * before its loop: V8 builds a `v128.const` from general registers each time
 * it runs (several instructions), so the loop reads locals instead.
 */
const constants = new WeakMap<Code, Map<string, number>>();

/** Pushes four lanes of the float32 `value` (or, with `int`, the 32-bit integer `value`). */
function splat(c: Code, value: number, int = false): Code {
  const table = constants.get(c)!;
  const key = `${int ? 'i' : 'f'}${Object.is(value, -0) ? '-0' : value}`;
  let local = table.get(key);
  if (local === undefined) {
    local = c.local(V128);
    table.set(key, local);
  }
  return c.get(local);
}

/** `f(p, n)`: in place over ceil(n / 4) vectors from address p (n >= 1). */
function emitMap(module: ModuleBuilder, name: string, body: Body): void {
  const c = module.func(name, [I32, I32]);
  constants.set(c, new Map());
  const p = 0;
  const end = c.local(I32);
  const x = c.local(V128);
  c.get(p).get(1).i32(4).i32Mul().i32Add().set(end);
  c.loop();
  c.get(p); // the store's address
  c.get(p).v128Load().set(x);
  body(c, x);
  c.v128Store();
  c.get(p).i32(16).i32Add().tee(p).get(end).i32LtU().brIf(0);
  c.end();
  // Move the constants' initialisation in front of everything.
  const bodyLength = c.bytes.length;
  for (const [key, local] of constants.get(c)!) {
    const value = Number(key.slice(1));
    (key[0] === 'i' ? c.i32x4Const(value) : c.f32x4Const(value)).set(local);
  }
  c.bytes.unshift(...c.bytes.splice(bodyLength));
}

/** Horner's rule in `z` with `coefficients` from the highest power down; leaves the value on the stack. */
function horner(c: Code, z: number, coefficients: readonly number[]): void {
  splat(c, coefficients[0]!);
  for (let i = 1; i < coefficients.length; i++) {
    c.get(z).vOp(S.f32x4Mul);
    splat(c, coefficients[i]!).vOp(S.f32x4Add);
  }
}

/** A new v128 local set from the value on the stack. */
function keep(c: Code): number {
  const local = c.local(V128);
  c.set(local);
  return local;
}

/** relu: x where x > 0, else +0 (the comparison's mask, and-ed with x). */
const relu: Body = (c, x) => {
  c.get(x).get(x);
  splat(c, 0).vOp(S.f32x4Gt).vOp(S.v128And);
};

/**
 * e^x = 2^k e^r with k = round(x / ln 2) and r = x - k ln 2 (ln 2 in two
 * parts, the first exact in k * 0.693359375, so r is exact to float32), and
 * e^r = 1 + r + r^2 P(r) (Cephes expf). x is first clamped to [-104, 89],
 * beyond which the result is 0 or +Inf anyway (NaN passes the clamp). 2^k is
 * applied as two exact powers 2^k1 2^k2, k1 = floor(k / 2), so that both are
 * normal numbers and the one rounding into the subnormals happens last.
 */
const exp: Body = (c, x) => {
  c.get(x);
  splat(c, -104).vOp(S.f32x4Pmax);
  splat(c, 89).vOp(S.f32x4Pmin);
  const xc = keep(c);
  // k = round(x / ln 2) by adding and subtracting 1.5 * 2^23; the sum's low bits are k as an integer.
  c.get(xc);
  splat(c, Math.LOG2E).vOp(S.f32x4Mul);
  splat(c, 12582912).vOp(S.f32x4Add);
  const shifted = keep(c);
  c.get(shifted);
  splat(c, 12582912).vOp(S.f32x4Sub);
  const k = keep(c);
  c.get(xc).get(k);
  splat(c, 0.693359375).vOp(S.f32x4Mul).vOp(S.f32x4Sub);
  c.get(k);
  splat(c, -2.1219444e-4).vOp(S.f32x4Mul).vOp(S.f32x4Sub);
  const r = keep(c);
  horner(c, r, [1.98756915e-4, 1.39819995e-3, 8.33345191e-3, 4.16657959e-2, 1.66666655e-1, 5.00000012e-1]);
  c.get(r).get(r).vOp(S.f32x4Mul).vOp(S.f32x4Mul).get(r).vOp(S.f32x4Add);
  splat(c, 1).vOp(S.f32x4Add);
  c.get(shifted);
  splat(c, 0x4b400000, true).vOp(S.i32x4Sub);
  const ki = keep(c);
  c.get(ki).i32(1).vOp(S.i32x4ShrS);
  const k1 = keep(c);
  // (k + 127) << 23 is the float 2^k for -126 <= k <= 127.
  c.get(k1);
  splat(c, 127, true).vOp(S.i32x4Add).i32(23).vOp(S.i32x4Shl).vOp(S.f32x4Mul);
  c.get(ki).get(k1).vOp(S.i32x4Sub);
  splat(c, 127, true).vOp(S.i32x4Add).i32(23).vOp(S.i32x4Shl).vOp(S.f32x4Mul);
};

/** exp of the value computed by `argument` (which leaves it on the stack). */
function expOf(c: Code, argument: () => void): void {
  argument();
  exp(c, keep(c));
}

/**
 * tanh x: for |x| < 0.625 the odd polynomial x + x^3 P(x^2) (Cephes tanhf);
 * beyond, 1 - 2 / (e^(2|x|) + 1) with the sign of x (e^(2|x|) overflows to
 * +Inf past |x| = 44, giving exactly 1).
 */
const tanh: Body = (c, x) => {
  c.get(x).vOp(S.f32x4Abs);
  const ax = keep(c);
  // The large branch.
  splat(c, 1);
  splat(c, 2);
  expOf(c, () => c.get(ax).get(ax).vOp(S.f32x4Add));
  splat(c, 1).vOp(S.f32x4Add).vOp(S.f32x4Div).vOp(S.f32x4Sub);
  // The small branch.
  c.get(x).get(x).vOp(S.f32x4Mul);
  const z = keep(c);
  horner(c, z, [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1]);
  c.get(z).vOp(S.f32x4Mul).get(x).vOp(S.f32x4Mul).get(x).vOp(S.f32x4Add);
  c.get(ax);
  splat(c, 0.625).vOp(S.f32x4Ge).vOp(S.v128Bitselect);
  // The sign of x: the large branch is positive, and the small one has it already except at -0 (-0 + +0 = +0).
  c.get(x);
  splat(c, -0x80000000, true).vOp(S.v128And).vOp(S.v128Or);
};

/**
 * sigmoid x with t = e^-|x|: 1 / (1 + t) for x >= 0 and t / (1 + t) for
 * x < 0, the reference kernel's formulas (no overflow, full relative
 * precision in the tail that goes to 0).
 */
const sigmoid: Body = (c, x) => {
  expOf(c, () => c.get(x).vOp(S.f32x4Abs).vOp(S.f32x4Neg));
  const t = keep(c);
  c.get(t);
  splat(c, 1).get(x);
  splat(c, 0).vOp(S.f32x4Lt).vOp(S.v128Bitselect);
  c.get(t);
  splat(c, 1).vOp(S.f32x4Add).vOp(S.f32x4Div);
};

/**
 * ln x = e ln 2 + ln(1 + f) with x = 2^e m, m in [sqrt(1/2), sqrt(2)),
 * f = m - 1 (exact), and ln(1 + f) = f - f^2 / 2 + f^3 P(f) (Cephes logf);
 * ln 2 in two parts as in exp. Subnormal x is scaled by 2^23 first. Zero,
 * negative, infinite and NaN inputs are set by masks at the end.
 */
const log: Body = (c, x) => {
  c.get(x);
  splat(c, 8388608).vOp(S.f32x4Mul).get(x);
  c.get(x);
  splat(c, 1.17549435e-38).vOp(S.f32x4Lt);
  const tiny = keep(c);
  c.get(tiny).vOp(S.v128Bitselect);
  const xs = keep(c);
  // The exponent e, so that m = x / 2^e is in [0.5, 1).
  c.get(xs).i32(23).vOp(S.i32x4ShrU);
  splat(c, 0xff, true).vOp(S.v128And);
  splat(c, 126, true).vOp(S.i32x4Sub);
  c.get(tiny);
  splat(c, -23, true).vOp(S.v128And).vOp(S.i32x4Add);
  const e = keep(c);
  c.get(xs);
  splat(c, 0x007fffff, true).vOp(S.v128And);
  splat(c, 0x3f000000, true).vOp(S.v128Or);
  const m = keep(c);
  c.get(m);
  splat(c, Math.SQRT1_2).vOp(S.f32x4Lt);
  const low = keep(c);
  // m < sqrt(1/2): use 2m and e - 1 (the mask is -1 in those lanes).
  c.get(e).get(low).vOp(S.i32x4Add).vOp(S.f32x4ConvertI32x4S);
  const ef = keep(c);
  c.get(m).get(m).vOp(S.f32x4Add).get(m).get(low).vOp(S.v128Bitselect);
  splat(c, 1).vOp(S.f32x4Sub);
  const f = keep(c);
  c.get(f).get(f).vOp(S.f32x4Mul);
  const z = keep(c);
  horner(
    c,
    f,
    [
      7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
      2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
    ],
  );
  c.get(f).vOp(S.f32x4Mul).get(z).vOp(S.f32x4Mul);
  c.get(ef);
  splat(c, -2.1219444e-4).vOp(S.f32x4Mul).vOp(S.f32x4Add);
  c.get(z);
  splat(c, 0.5).vOp(S.f32x4Mul).vOp(S.f32x4Sub);
  c.get(f).vOp(S.f32x4Add);
  c.get(ef);
  splat(c, 0.693359375).vOp(S.f32x4Mul).vOp(S.f32x4Add);
  // Special values: NaN unless x > 0; -Inf at +-0; +Inf at +Inf.
  splat(c, NaN).get(x);
  splat(c, 0).vOp(S.f32x4Gt).vOp(S.v128Bitselect);
  const r = keep(c);
  splat(c, -Infinity).get(r).get(x);
  splat(c, 0).vOp(S.f32x4Eq).vOp(S.v128Bitselect);
  const r2 = keep(c);
  splat(c, Infinity).get(r2).get(x);
  splat(c, Infinity).vOp(S.f32x4Eq).vOp(S.v128Bitselect);
};
