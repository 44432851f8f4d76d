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
} satisfies Record<string, (a: number, b: number) => number>;

/** `out[i] = f(x[i])` for the named kernel. */
export function unary(op: UnaryKernel, x: TypedArray, out: TypedArray): void {
  const f: (v: number) => number = UNARY[op];
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
}

/**
 * `out = f(a, b)` with NumPy broadcasting; `outShape` is the broadcast of
 * `aShape` and `bShape` (checked by the caller).
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
function isTrailingBlock(shape: Shape, outShape: Shape): boolean {
  let start = 0;
  while (start < shape.length && shape[start] === 1) start++;
  const lead = outShape.length - (shape.length - start);
  if (lead < 0) return false;
  for (let i = start; i < shape.length; i++) if (shape[i] !== outShape[lead + i - start]) return false;
  return true;
}

/** `out[i] = cond[i] ? a[i] : b[i]`, all three broadcast to `outShape`. */
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
 */
export function cast(x: TypedArray, out: TypedArray): void {
  if (out instanceof Uint8Array && !(x instanceof Uint8Array)) {
    for (let i = 0; i < x.length; i++) out[i] = x[i] !== 0 ? 1 : 0;
  } else {
    // Typed-array set converts element-wise (ToInt32 truncates toward zero).
    out.set(x);
  }
}
