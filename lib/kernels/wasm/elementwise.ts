/**
 * The WebAssembly SIMD element-wise kernels: `wasmUnary` and `wasmBinary`
 * add the maps of `math.ts` for large arrays (float32 exp, log, tanh and
 * sigmoid, to 1-2 ulp; float32 relu and its gradient, and float add, sub, mul and div, exact) to the plain
 * TypeScript loops of `../fast-elementwise.ts`, which take every other case.
 */
import {
  isTrailingBlock,
  type binary as referenceBinary,
  type unary as referenceUnary,
  type BinaryKernel,
  type UnaryKernel,
} from '../elementwise.js';
import { fastBinary, fastUnary } from '../fast-elementwise.js';
import { ARITH, arithName, EXACT_F32, MATH_F32, RELU_GRAD_F32, type ArithMode } from './math.js';
import type { Runtime } from './runtime.js';

/**
 * Float32 arrays of at least this many elements go to the WebAssembly SIMD
 * maps of `math.ts` (within 1 ulp of the reference, 2 for sigmoid; see
 * there); smaller ones to `fastUnary` (exactly the reference). Measured
 * on the bench machine (2 cores, ns per element, copies included): tanh 17-31
 * with Math.tanh against 6.4 through WebAssembly at 256 elements and 3.8 at
 * 64K; exp 10-14 against 2.1. WebAssembly wins from 64 elements already; the
 * threshold stays a little higher so small tensors keep exact results.
 */
export const WASM_MATH_MIN_SIZE = 256;

/** Elements per trip through WebAssembly memory: 32 KiB, so a block stays in the L1/L2 cache between copies. */
const BLOCK = 8192;

/**
 * {@link fastUnary} with the float32 maps of `math.ts` (exp, log, tanh,
 * sigmoid, and relu, exact) for float32 arrays of at least `minSize` elements.
 * Each block of the input is copied to the start of `runtime`'s memory (no
 * kernel keeps anything there between calls), mapped in place, and copied
 * into `out`. Float64 keeps `Math.*`: exactly the reference.
 */
export function wasmUnary(runtime: Runtime, minSize = WASM_MATH_MIN_SIZE): typeof referenceUnary {
  const maps: Partial<Record<UnaryKernel, (p: number, n: number) => void>> = {};
  for (const [op, name] of Object.entries({ ...MATH_F32, ...EXACT_F32 }))
    maps[op as UnaryKernel] = runtime.exports[name];
  runtime.reserve(BLOCK * 4);
  return (op, x, out) => {
    const map = maps[op];
    const n = x.length;
    if (map === undefined || n < minSize || !(x instanceof Float32Array) || !(out instanceof Float32Array)) {
      fastUnary(op, x, out);
      return;
    }
    const memory = runtime.f32();
    for (let start = 0; start < n; start += BLOCK) {
      const size = Math.min(BLOCK, n - start);
      memory.set(x.subarray(start, start + size));
      map(0, size);
      out.set(memory.subarray(0, size), start);
    }
  };
}

/**
 * Float arrays of at least this many output elements with both operands of
 * the output's size, one a single element, or `b` a row that repeats (at most
 * 4096 elements), go to the WebAssembly maps
 * (exact IEEE arithmetic: the same results as the reference). Measured on
 * the bench machine, ns per element, copies included: a float32 product
 * 1.6 at 512 elements and 0.6 from 16K, against 4-5 for `fastBinary`'s loops once
 * they have seen several dtypes (their element accesses are then
 * polymorphic); a scalar sum 1.7 and 0.5 against 2-2.4. Below 512 the call
 * and copy overhead makes WebAssembly slower.
 */
export const WASM_ARITH_MIN_SIZE = 512;

/**
 * {@link fastBinary} with the WebAssembly maps of `math.ts` for add, sub, mul
 * and div on large float32 or float64 arrays of one dtype (same size, a
 * scalar on either side, or `b` a row repeated along leading axes), and for
 * float32 `reluGrad` of same-size operands; every
 * other case goes to {@link fastBinary}. Operands
 * are copied block by block to the start of `runtime`'s memory (a at 0, b
 * one block further), and the result, written over the vector operand, is
 * copied into `out`.
 */
export function wasmBinary(runtime: Runtime, minSize = WASM_ARITH_MIN_SIZE): typeof referenceBinary {
  type Maps = Record<ArithMode, (pa: number, pb: number, po: number, n: number) => void>;
  const maps: Partial<Record<BinaryKernel, { f32?: Partial<Maps>; f64?: Partial<Maps> }>> = {};
  const modes = (op: keyof typeof ARITH, bytes: 4 | 8): Maps => ({
    vv: runtime.exports[arithName(op, bytes, 'vv')]!,
    vs: runtime.exports[arithName(op, bytes, 'vs')]!,
    sv: runtime.exports[arithName(op, bytes, 'sv')]!,
  });
  for (const op of Object.keys(ARITH) as (keyof typeof ARITH)[]) maps[op] = { f32: modes(op, 4), f64: modes(op, 8) };
  // reluGrad has a float32 map of two vector operands only (its operands in a VJP always have one shape).
  maps.reluGrad = { f32: { vv: runtime.exports[RELU_GRAD_F32] } };
  runtime.reserve(2 * BLOCK * 8);
  return (op, a, aShape, b, bShape, out, outShape) => {
    const n = out.length;
    const byDtype = n >= minSize ? maps[op] : undefined;
    if (byDtype === undefined) {
      fastBinary(op, a, aShape, b, bShape, out, outShape); // small problems leave at once (per-op overhead)
      return;
    }
    const f32 = out instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array;
    const f64 = !f32 && out instanceof Float64Array && a instanceof Float64Array && b instanceof Float64Array;
    // A row: b (m elements, at most half a block) repeats every m elements of a, e.g. a bias.
    const row =
      a.length === n && b.length > 1 && b.length < n && b.length <= BLOCK / 2 && isTrailingBlock(bShape, outShape);
    const mode: ArithMode | undefined =
      (a.length === n && b.length === n) || row
        ? 'vv'
        : b.length === 1 && a.length === n
          ? 'vs'
          : a.length === 1 && b.length === n
            ? 'sv'
            : undefined;
    const map = mode === undefined ? undefined : (f32 ? byDtype.f32 : f64 ? byDtype.f64 : undefined)?.[mode];
    if (map === undefined) {
      fastBinary(op, a, aShape, b, bShape, out, outShape);
      return;
    }
    const bytes = f32 ? 4 : 8;
    const memory = f32 ? runtime.f32() : runtime.f64();
    if (mode === 'sv') memory[0] = a[0]!;
    if (mode === 'vs') memory[BLOCK] = b[0]!;
    // For a row, a block is a whole number of rows, and b is laid out once, repeated across it.
    const span = row ? BLOCK - (BLOCK % b.length) : BLOCK;
    if (row) for (let r = 0; r < span; r += b.length) memory.set(b, BLOCK + r);
    const result = mode === 'sv' ? BLOCK : 0;
    for (let start = 0; start < n; start += span) {
      const size = Math.min(span, n - start);
      if (mode !== 'sv') memory.set(a.subarray(start, start + size));
      if (mode !== 'vs' && !row) memory.set(b.subarray(start, start + size), BLOCK);
      map(0, BLOCK * bytes, result * bytes, size);
      out.set(memory.subarray(result, result + size), start);
    }
  };
}
