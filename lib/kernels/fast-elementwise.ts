/**
 * Element-wise kernels for the hot cases, in plain TypeScript, installed with
 * the WebAssembly ones (`wasm/elementwise.ts`, which sends small arrays and
 * the cases it has no map for here). `fastUnary` and `fastBinary` compute
 * exactly what the reference kernels of `elementwise.ts` compute (the same
 * scalar formula, stored into the same typed array), but with one loop per op
 * instead of one shared loop calling a function per element: V8 cannot inline
 * a call whose target changes from op to op, and the call costs more than the
 * arithmetic. Every other case goes to the reference.
 */
import type { TypedArray } from '../dtype.js';
import { binary, isTrailingBlock, unary } from './elementwise.js';

/** `out[i] = op(x[i])`, fast for neg, square, sqrt, exp, log, tanh, relu, step and abs. */
export const fastUnary: typeof unary = (op, x, out) => {
  const n = x.length;
  if (op === 'relu' && x instanceof Float32Array && out instanceof Float32Array) {
    reluF32(x, out);
    return;
  }
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i]!;
      return;
    case 'square':
      for (let i = 0; i < n; i++) out[i] = x[i]! * x[i]!;
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]!);
      return;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!);
      return;
    case 'log':
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]!);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!);
      return;
    case 'relu':
      for (let i = 0; i < n; i++) out[i] = x[i]! > 0 ? x[i]! : 0;
      return;
    case 'step':
      for (let i = 0; i < n; i++) out[i] = x[i]! > 0 ? 1 : 0;
      return;
    case 'abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]!);
      return;
    default:
      unary(op, x, out);
  }
};

/**
 * `out = op(a, b)` with broadcasting, fast for add, sub, mul and div when
 * both operands have the output's size, one is a single element, or `b`
 * repeats along leading axes (a bias row); the rest goes to the reference.
 */
export const fastBinary: typeof binary = (op, a, aShape, b, bShape, out, outShape) => {
  const n = out.length;
  if (op === 'reluGrad' && a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array) {
    if (a.length === n && b.length === n) reluGradF32(a, b, out);
    else binary(op, a, aShape, b, bShape, out, outShape);
  } else if (a.length === n && b.length === n && (op === 'reluGrad' || op === 'tanhGrad' || op === 'sigmoidGrad')) {
    fusedGrad(op, a, b, out, n);
  } else if (op !== 'add' && op !== 'sub' && op !== 'mul' && op !== 'div') {
    binary(op, a, aShape, b, bShape, out, outShape);
  } else if (a.length === n && b.length === n) {
    same(op, a, b, out, n);
  } else if (b.length === 1 && a.length === n) {
    scalarRight(op, a, b[0]!, out, n);
  } else if (a.length === 1 && b.length === n) {
    scalarLeft(op, a[0]!, b, out, n);
  } else if (a.length === n && b.length > 0 && isTrailingBlock(bShape, outShape)) {
    rows(op, a, b, out, n);
  } else {
    binary(op, a, aShape, b, bShape, out, outShape);
  }
};

type Arith = 'add' | 'sub' | 'mul' | 'div';

// relu and its gradient on float32 arrays, in functions that see no other element type: the shared
// loops above see several, so V8 makes their element accesses polymorphic (measured on a CNN's
// 800K-element activations: 6-7 ns per element there). The same formulas as the reference.
function reluF32(x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v > 0 ? v : 0;
  }
}

function reluGradF32(dy: Float32Array, x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const d = dy[i]!;
    out[i] = x[i]! > 0 ? d : d * 0;
  }
}

/** The fused backward kernels on operands of one size (the shape they always have in a VJP). */
function fusedGrad(
  op: 'reluGrad' | 'tanhGrad' | 'sigmoidGrad',
  dy: TypedArray,
  y: TypedArray,
  out: TypedArray,
  n: number,
): void {
  if (op === 'reluGrad') for (let i = 0; i < n; i++) out[i] = y[i]! > 0 ? dy[i]! : dy[i]! * 0;
  else if (op === 'tanhGrad') for (let i = 0; i < n; i++) out[i] = dy[i]! * (1 - y[i]! * y[i]!);
  else for (let i = 0; i < n; i++) out[i] = dy[i]! * y[i]! * (1 - y[i]!);
}

function same(op: Arith, a: TypedArray, b: TypedArray, out: TypedArray, n: number): void {
  if (op === 'add') for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
  else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
  else if (op === 'mul') for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
  else for (let i = 0; i < n; i++) out[i] = a[i]! / b[i]!;
}

function scalarRight(op: Arith, a: TypedArray, s: number, out: TypedArray, n: number): void {
  if (op === 'add') for (let i = 0; i < n; i++) out[i] = a[i]! + s;
  else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = a[i]! - s;
  else if (op === 'mul') for (let i = 0; i < n; i++) out[i] = a[i]! * s;
  else for (let i = 0; i < n; i++) out[i] = a[i]! / s;
}

function scalarLeft(op: Arith, s: number, b: TypedArray, out: TypedArray, n: number): void {
  if (op === 'add') for (let i = 0; i < n; i++) out[i] = s + b[i]!;
  else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = s - b[i]!;
  else if (op === 'mul') for (let i = 0; i < n; i++) out[i] = s * b[i]!;
  else for (let i = 0; i < n; i++) out[i] = s / b[i]!;
}

/** `b` (m elements) repeats every m elements of `a`. */
function rows(op: Arith, a: TypedArray, b: TypedArray, out: TypedArray, n: number): void {
  const m = b.length;
  for (let r = 0; r < n; r += m) {
    if (op === 'add') for (let j = 0; j < m; j++) out[r + j] = a[r + j]! + b[j]!;
    else if (op === 'sub') for (let j = 0; j < m; j++) out[r + j] = a[r + j]! - b[j]!;
    else if (op === 'mul') for (let j = 0; j < m; j++) out[r + j] = a[r + j]! * b[j]!;
    else for (let j = 0; j < m; j++) out[r + j] = a[r + j]! / b[j]!;
  }
}
