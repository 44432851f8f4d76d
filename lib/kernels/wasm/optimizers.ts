/**
 * The fused Adam and gradient-descent updates (`../optimizers.ts`) in WebAssembly SIMD, for float32
 * variables. The TypeScript kernel computes float32 arrays in float32
 * arithmetic, one IEEE rounding per operation; this one does the same
 * operations in the same order in `f32x4` lanes (four elements at a time),
 * and IEEE arithmetic (add, multiply, divide, square root) is correctly
 * rounded, so the results are the TypeScript kernel's bit for bit. The arrays
 * go through WebAssembly memory block by block (w, g, m, v in; w, m, v out,
 * in place there; for gradient descent w and g in, w out).
 */
import {
  adamConstants,
  type adamUpdate as referenceAdamUpdate,
  type sgdUpdate as referenceSgdUpdate,
} from '../optimizers.js';
import type { TypedArray } from '../../dtype.js';
import { I32, SimdOp as S, V128, type ModuleBuilder } from './emitter.js';
import type { Runtime } from './runtime.js';

/** The exported name of the Adam kernel. */
export const ADAM_F32 = 'adamF32';

/** The exported name of the gradient-descent kernel. */
export const SGD_F32 = 'sgdF32';

/** Elements per trip through WebAssembly memory (w, g, m, v: 4 x 16 KiB, in L1/L2 between copies). */
const BLOCK = 4096;

/** Float32 variables of at least this many elements go to WebAssembly (below, the copies cost more). */
export const WASM_ADAM_MIN_SIZE = 1024;

/**
 * The same for gradient descent. Measured on the bench machine, copies included: a 784 x 256 weight in 93 us
 * against 515 us in TypeScript (its `Math.fround`s included), 4K elements 1.7-2.2 against 10.4 us.
 */
export const WASM_SGD_MIN_SIZE = 1024;

/**
 * `adamF32(pw, pg, pm, pv, ph, n)`: over n float32 elements (n rounded up to
 * a multiple of 4; the caller leaves room) at byte addresses pw, pg, pm, pv,
 * in place: with the float32 constants of `adamConstants` at ph (beta1,
 * 1 - beta1, beta2, 1 - beta2, lr, 1 - beta1^t, 1 - beta2^t, epsilon),
 * `m = beta1 m + c1 g; v = beta2 v + (c2 g) g; w = w - (lr (m / b1)) / (sqrt(v / b2) + epsilon)`.
 */
export function emitAdam(module: ModuleBuilder): void {
  const c = module.func(ADAM_F32, [I32, I32, I32, I32, I32, I32]);
  const [pw, pg, pm, pv, ph, n] = [0, 1, 2, 3, 4, 5];
  const vector = () => c.local(V128);
  const constants = [vector(), vector(), vector(), vector(), vector(), vector(), vector(), vector()] as const;
  const [beta1, c1, beta2, c2, lr, b1, b2, eps] = constants;
  const [g, m, v] = [vector(), vector(), vector()];
  const end = c.local(I32);
  constants.forEach((local, i) =>
    c
      .get(ph)
      .loadSplat(4, i * 4)
      .set(local),
  );
  c.get(pw).get(n).i32(4).i32Mul().i32Add().set(end);
  c.loop();
  c.get(pg).v128Load().set(g);
  // m = beta1 m + c1 g
  c.get(beta1).get(pm).v128Load().vOp(S.f32x4Mul).get(c1).get(g).vOp(S.f32x4Mul).vOp(S.f32x4Add).set(m);
  // v = beta2 v + (c2 g) g
  c.get(beta2).get(pv).v128Load().vOp(S.f32x4Mul);
  c.get(c2).get(g).vOp(S.f32x4Mul).get(g).vOp(S.f32x4Mul).vOp(S.f32x4Add).set(v);
  c.get(pm).get(m).v128Store();
  c.get(pv).get(v).v128Store();
  // w = w - (lr (m / b1)) / (sqrt(v / b2) + eps)
  c.get(pw).get(pw).v128Load();
  c.get(lr).get(m).get(b1).vOp(S.f32x4Div).vOp(S.f32x4Mul);
  c.get(v).get(b2).vOp(S.f32x4Div).vOp(S.f32x4Sqrt).get(eps).vOp(S.f32x4Add);
  c.vOp(S.f32x4Div).vOp(S.f32x4Sub).v128Store();
  for (const p of [pg, pm, pv]) c.get(p).i32(16).i32Add().set(p);
  c.get(pw).i32(16).i32Add().tee(pw).get(end).i32LtU().brIf(0);
  c.end();
}

/**
 * `sgdF32(pw, pg, plr, n)`: over n float32 elements (n rounded up to a multiple of 4; the caller leaves room)
 * at byte addresses pw and pg, in place at pw: `w = w - lr g`, with the float32 learning rate at plr.
 */
export function emitSgd(module: ModuleBuilder): void {
  const c = module.func(SGD_F32, [I32, I32, I32, I32]);
  const [pw, pg, plr, n] = [0, 1, 2, 3];
  const lr = c.local(V128);
  const end = c.local(I32);
  c.get(plr).loadSplat(4, 0).set(lr);
  c.get(pw).get(n).i32(4).i32Mul().i32Add().set(end);
  c.loop();
  c.get(pw).get(pw).v128Load().get(lr).get(pg).v128Load().vOp(S.f32x4Mul).vOp(S.f32x4Sub).v128Store();
  c.get(pg).i32(16).i32Add().set(pg);
  c.get(pw).i32(16).i32Add().tee(pw).get(end).i32LtU().brIf(0);
  c.end();
}

/**
 * The reference `adamUpdate` with float32 variables of at least `minSize`
 * elements run by {@link emitAdam}'s kernel (bit for bit the same results);
 * other dtypes, mixed arrays and small variables go to `reference`.
 */
export function wasmAdamUpdate(
  runtime: Runtime,
  reference: typeof referenceAdamUpdate,
  minSize = WASM_ADAM_MIN_SIZE,
): typeof referenceAdamUpdate {
  const kernel = runtime.exports[ADAM_F32] as unknown as (...args: number[]) => void;
  // Layout: 8 float32 constants (in 64 bytes), then w, g, m, v blocks of BLOCK float32 each.
  const H = 0;
  const W = 64;
  const [G, M, V] = [W + BLOCK * 4, W + BLOCK * 8, W + BLOCK * 12];
  runtime.reserve(W + BLOCK * 16);
  return (w, g, m, v, h, outW, outM, outV) => {
    if (!inKernel(w.length, minSize, [w, g, m, v, outW, outM, outV])) {
      reference(w, g, m, v, h, outW, outM, outV);
      return;
    }
    runtime.f32().set(adamConstants(h), H / 4);
    inBlocks(
      runtime,
      [
        [w, W],
        [g, G],
        [m, M],
        [v, V],
      ],
      [
        [outW, W],
        [outM, M],
        [outV, V],
      ],
      (size) => kernel(W, G, M, V, H, size),
    );
  };
}

/**
 * The reference `sgdUpdate` with float32 variables of at least `minSize`
 * elements run by {@link emitSgd}'s kernel (bit for bit the same results: the
 * same two float32 operations); other dtypes, mixed arrays and small
 * variables go to `reference`.
 */
export function wasmSgdUpdate(
  runtime: Runtime,
  reference: typeof referenceSgdUpdate,
  minSize = WASM_SGD_MIN_SIZE,
): typeof referenceSgdUpdate {
  const kernel = runtime.exports[SGD_F32] as unknown as (...args: number[]) => void;
  // Layout: the float32 learning rate (in 16 bytes), then w and g blocks of BLOCK float32 each.
  const LR = 0;
  const W = 16;
  const G = W + BLOCK * 4;
  runtime.reserve(G + BLOCK * 4);
  return (w, g, lr, outW) => {
    if (!inKernel(w.length, minSize, [w, g, outW])) {
      reference(w, g, lr, outW);
      return;
    }
    runtime.f32()[LR / 4] = lr;
    inBlocks(
      runtime,
      [
        [w, W],
        [g, G],
      ],
      [[outW, W]],
      (size) => kernel(W, G, LR, size),
    );
  };
}

/** Whether the kernels take an update: every array a `Float32Array` of `n` elements, n at least `minSize`. */
function inKernel(n: number, minSize: number, arrays: readonly TypedArray[]): boolean {
  return n >= minSize && arrays.every((a) => a instanceof Float32Array && a.length === n);
}

/**
 * Passes arrays of one length through the memory in blocks of BLOCK elements: per block, each of `inputs`
 * copied to its byte address, `kernel(size)` run there, then each of `outputs` copied from its byte address.
 */
function inBlocks(
  runtime: Runtime,
  inputs: readonly (readonly [TypedArray, number])[],
  outputs: readonly (readonly [TypedArray, number])[],
  kernel: (size: number) => void,
): void {
  const f32 = runtime.f32();
  const n = inputs[0]![0].length;
  for (let start = 0; start < n; start += BLOCK) {
    const size = Math.min(BLOCK, n - start);
    for (const [array, at] of inputs) f32.set(array.subarray(start, start + size), at / 4);
    kernel(size);
    for (const [array, at] of outputs) array.set(f32.subarray(at / 4, at / 4 + size), start);
  }
}
