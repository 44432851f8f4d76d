/**
 * 2-D pooling in WebAssembly, with the reference's semantics (`../pool.ts`):
 * a window covers only its in-bounds elements; the maximum is the first one
 * in row-major window order, a NaN counting as the maximum; averages and
 * gradients sum in float64 in the reference's order and round once, so every
 * result is bit for bit the reference's.
 *
 * - max pooling (float32): four channels at a time (f32x4 compares and bit
 *   selects of the value and of its flat offset in x), the rest one by one;
 *   the offsets feed the gradient (a float64 scatter-add, or float32 where
 *   windows do not overlap and no sum has two terms) and the gather.
 * - average pooling and its gradient (float32 and float64): scalar float64 sums.
 * Float64 max pooling, and small arrays, stay in the reference kernels.
 */
import type { TypedArray } from '../../dtype.js';
import { windowArgs, type WindowGeometry } from '../conv.js';
import {
  avgPool as referenceAvgPool,
  avgPoolBackprop as referenceAvgPoolBackprop,
  maxPool as referenceMaxPool,
  maxPoolBackprop as referenceMaxPoolBackprop,
  maxPoolGather as referenceMaxPoolGather,
} from '../pool.js';
import { type Code, F32, F64, I32, type ModuleBuilder, ScalarOp as O, SimdOp as S, V128 } from './emitter.js';
import { geometryParams } from './im2col.js';
import type { Runtime } from './runtime.js';

/** Pooling over inputs of fewer elements than this stays in TypeScript. */
export const POOL_MIN_SIZE = 1024;

/** The window parameters of the pooling kernels, in the order they take them: the batch, then `windowArgs`. */
function geometryArgs(g: WindowGeometry): number[] {
  return [g.batch, ...windowArgs(g)];
}

/**
 * Emits the sweep over output positions that every pooling kernel shares
 * (parameters `first ..` are the window's, as {@link geometryArgs} orders
 * them): for each (n, i, j) it sets `start` (the flat element offset of the
 * window's first in-bounds element, channel 0), `rows` and `cols` (its
 * in-bounds extent), and calls `body`; `out` counts output positions times C.
 */
function sweep(f: Code, first: number, body: (v: SweepLocals) => void): void {
  const N = first;
  const { H, W, C, outH, outW, FH, FW, sh, sw, top, left } = geometryParams(first + 1); // pooling has no dilations
  const L = () => f.local(I32);
  const v: SweepLocals = { start: L(), rows: L(), cols: L(), out: L(), W, C };
  const [n, i, j, h0, w0, e] = [L(), L(), L(), L(), L(), L()];
  /** lo = max(e, 0); extent = min(e + size, limit) - lo */
  const clamp = (lo: number, extent: number, size: number, limit: number) => {
    f.get(e).i32(0).get(e).i32(0).sOp(O.i32GeS).select().set(lo);
    f.get(e).get(size).i32Add().tee(extent).get(limit).get(extent).get(limit).sOp(O.i32LtS).select();
    f.get(lo).i32Sub().set(extent);
  };
  f.i32(0).set(v.out);
  f.i32(0).set(n);
  f.loop();
  f.i32(0).set(i);
  f.loop();
  f.get(i).get(sh).i32Mul().get(top).i32Sub().set(e);
  clamp(h0, v.rows, FH, H);
  f.i32(0).set(j);
  f.loop();
  f.get(j).get(sw).i32Mul().get(left).i32Sub().set(e);
  clamp(w0, v.cols, FW, W);
  f.get(n).get(H).i32Mul().get(h0).i32Add().get(W).i32Mul().get(w0).i32Add().get(C).i32Mul().set(v.start);
  body(v);
  f.get(v.out).get(C).i32Add().set(v.out);
  f.get(j).i32(1).i32Add().tee(j).get(outW).i32LtU().brIf(0);
  f.end();
  f.get(i).i32(1).i32Add().tee(i).get(outH).i32LtU().brIf(0);
  f.end();
  f.get(n).i32(1).i32Add().tee(n).get(N).i32LtU().brIf(0);
  f.end();
}

/** The locals a {@link sweep} body sees. */
interface SweepLocals {
  readonly start: number;
  readonly rows: number;
  readonly cols: number;
  readonly out: number;
  /** Parameters: input width and channels. */
  readonly W: number;
  readonly C: number;
}

/**
 * Emits `for (e = e0, r = rows; r; r--, e0 += W*C) for (k = cols; k; k--, e += C) body(e)`
 * (rows and cols at least 1): the window's elements in row-major order.
 */
function window(f: Code, v: SweepLocals, e0: number, body: (e: number) => void): void {
  const [r, k, e, row] = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  f.get(e0).set(row);
  f.get(v.rows).set(r);
  f.loop();
  f.get(row).set(e);
  f.get(v.cols).set(k);
  f.loop();
  body(e);
  f.get(e).get(v.C).i32Add().set(e);
  f.get(k).i32(1).i32Sub().tee(k).brIf(0);
  f.end();
  f.get(row).get(v.W).get(v.C).i32Mul().i32Add().set(row);
  f.get(r).i32(1).i32Sub().tee(r).brIf(0);
  f.end();
}

/** The locals of {@link firstMax}. */
interface MaxLocals {
  readonly best: number;
  readonly at: number;
  readonly val: number;
  readonly mask: number;
  readonly iota: number;
  readonly bestF: number;
  readonly valF: number;
  readonly atS: number;
  readonly cond: number;
}

function maxLocals(f: Code): MaxLocals {
  const [best, at, val, mask, iota] = Array.from({ length: 5 }, () => f.local(V128)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const [bestF, valF] = [f.local(F32), f.local(F32)];
  const [atS, cond] = [f.local(I32), f.local(I32)];
  f.v128Const([0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]).set(iota);
  return { best, at, val, mask, iota, bestF, valF, atS, cond };
}

/**
 * Emits the search of the window from element `e0` of x (byte address `x`)
 * for its first maximum, a NaN counting as the maximum: of four channels
 * into `best` (and, with `track`, their flat offsets into `at`), or of one
 * into `bestF` (and `atS`).
 */
function firstMax(f: Code, l: MaxLocals, v: SweepLocals, x: number, e0: number, vector: boolean, track: boolean): void {
  if (vector) {
    f.get(x).get(e0).i32(4).i32Mul().i32Add().v128Load().set(l.best);
    if (track) f.get(e0).vOp(S.i32x4Splat).get(l.iota).vOp(S.i32x4Add).set(l.at);
    window(f, v, e0, (e) => {
      f.get(x).get(e).i32(4).i32Mul().i32Add().v128Load().set(l.val);
      // mask = val > best, or val is NaN and best is not
      f.get(l.val).get(l.best).vOp(S.f32x4Gt);
      f.get(l.val).get(l.val).vOp(S.f32x4Ne).get(l.best).get(l.best).vOp(S.f32x4Eq).vOp(S.v128And);
      f.vOp(S.v128Or).set(l.mask);
      f.get(l.val).get(l.best).get(l.mask).vOp(S.v128Bitselect).set(l.best);
      if (track) {
        f.get(e).vOp(S.i32x4Splat).get(l.iota).vOp(S.i32x4Add).get(l.at).get(l.mask).vOp(S.v128Bitselect).set(l.at);
      }
    });
    return;
  }
  f.get(x).get(e0).i32(4).i32Mul().i32Add().floatLoad(4).set(l.bestF);
  if (track) f.get(e0).set(l.atS);
  window(f, v, e0, (e) => {
    f.get(x).get(e).i32(4).i32Mul().i32Add().floatLoad(4).set(l.valF);
    f.get(l.valF).get(l.bestF).sOp(O.f32Gt);
    f.get(l.valF).get(l.valF).sOp(O.f32Ne).get(l.bestF).get(l.bestF).sOp(O.f32Eq).sOp(O.i32And);
    f.sOp(O.i32Or).set(l.cond);
    f.get(l.valF).get(l.bestF).get(l.cond).select().set(l.bestF);
    if (track) f.get(e).get(l.atS).get(l.cond).select().set(l.atS);
  });
}

/**
 * Emits a sweep over each output position's channels, four at a time, then
 * the rest one by one: `body(c, vector)` with `c` the channel (a local) and
 * `e0` (a local) the window's first element of channel c.
 */
function byChannels(f: Code, v: SweepLocals, body: (c: number, e0: number, vector: boolean) => void): void {
  const c = f.local(I32);
  const e0 = f.local(I32);
  f.i32(0).set(c);
  f.block().loop(); // four channels at a time
  f.get(v.C).get(c).i32Sub().i32(4).sOp(O.i32LtS).brIf(1);
  f.get(v.start).get(c).i32Add().set(e0);
  body(c, e0, true);
  f.get(c).i32(4).i32Add().set(c);
  f.br(0).end().end();
  f.block().loop(); // the channels left, one by one
  f.get(c).get(v.C).sOp(O.i32GeS).brIf(1);
  f.get(v.start).get(c).i32Add().set(e0);
  body(c, e0, false);
  f.get(c).i32(1).i32Add().set(c);
  f.br(0).end().end();
}

/**
 * `maxPoolF32(x, y, arg, ...window)`: y = each window's first maximum (NaN
 * first) and arg = its flat offset in x, per channel; byte addresses.
 * `maxPoolValuesF32(x, y, ...window)`: y alone.
 */
function emitMaxPool(module: ModuleBuilder, withArg: boolean): void {
  const f = module.func(
    withArg ? 'maxPoolF32' : 'maxPoolValuesF32',
    new Array<typeof I32>(withArg ? 17 : 16).fill(I32),
  );
  const [x, y, arg] = [0, 1, 2];
  const l = maxLocals(f);
  sweep(f, withArg ? 3 : 2, (v) =>
    byChannels(f, v, (c, e0, vector) => {
      firstMax(f, l, v, x, e0, vector, withArg);
      f.get(y).get(v.out).get(c).i32Add().i32(4).i32Mul().i32Add();
      if (vector) f.get(l.best).v128Store();
      else f.get(l.bestF).floatStore(4);
      if (withArg) {
        f.get(arg).get(v.out).get(c).i32Add().i32(4).i32Mul().i32Add();
        if (vector) f.get(l.at).v128Store();
        else f.get(l.atS).intStore(4);
      }
    }),
  );
}

/**
 * `maxPoolBackpropF32(x, dy, dx, ...window)`, for windows that do not
 * overlap: writes each window of dx whole, `+0 + dy` (as the reference's
 * sum) at the window's first maximum (NaN first, as {@link emitMaxPool}
 * finds it) and +0 elsewhere, so no offsets are stored and nothing is
 * scattered; elements of dx in no window are left as they are (zeroed by
 * the caller). Byte addresses.
 */
function emitMaxPoolBackprop(module: ModuleBuilder): void {
  const f = module.func('maxPoolBackpropF32', new Array<typeof I32>(17).fill(I32));
  const [x, dy, dx] = [0, 1, 2];
  const l = maxLocals(f);
  const [grad, zero] = [f.local(V128), f.local(V128)]; // zero: never set, +0
  const [gradF, zeroF] = [f.local(F32), f.local(F32)];
  sweep(f, 3, (v) =>
    byChannels(f, v, (c, e0, vector) => {
      firstMax(f, l, v, x, e0, vector, true);
      if (vector) {
        f.get(zero).get(dy).get(v.out).get(c).i32Add().i32(4).i32Mul().i32Add().v128Load().vOp(S.f32x4Add).set(grad);
        window(f, v, e0, (e) => {
          f.get(dx).get(e).i32(4).i32Mul().i32Add();
          f.get(grad).get(zero).get(e).vOp(S.i32x4Splat).get(l.iota).vOp(S.i32x4Add).get(l.at).vOp(S.i32x4Eq);
          f.vOp(S.v128Bitselect).v128Store();
        });
      } else {
        f.get(zeroF).get(dy).get(v.out).get(c).i32Add().i32(4).i32Mul().i32Add().floatLoad(4).sOp(O.f32Add);
        f.set(gradF);
        window(f, v, e0, (e) => {
          f.get(dx).get(e).i32(4).i32Mul().i32Add();
          f.get(gradF).get(zeroF).get(e).get(l.atS).sOp(O.i32Eq).select().floatStore(4);
        });
      }
    }),
  );
}

/**
 * `scatterAddF32To<64|32>(dy, arg, count, acc)`: `acc[arg[o]] += dy[o]`, o
 * ascending, with `acc` float64, or float32 (exact where each element of acc
 * gets at most one term: windows that do not overlap); byte addresses.
 */
function emitScatterAdd(module: ModuleBuilder, accBytes: 4 | 8): void {
  const f = module.func(`scatterAddF32To${accBytes * 8}`, [I32, I32, I32, I32]);
  const [dy, arg, count, acc] = [0, 1, 2, 3];
  const a = f.local(I32);
  f.block().loop();
  f.get(count).sOp(O.i32Eqz).brIf(1);
  f.get(acc).get(arg).intLoad(4).i32(accBytes).i32Mul().i32Add().tee(a);
  f.get(a).floatLoad(accBytes).get(dy).floatLoad(4);
  if (accBytes === 8) f.sOp(O.f64PromoteF32).sOp(O.f64Add);
  else f.sOp(O.f32Add);
  f.floatStore(accBytes);
  f.get(dy).i32(4).i32Add().set(dy).get(arg).i32(4).i32Add().set(arg).get(count).i32(1).i32Sub().set(count);
  f.br(0).end().end();
}

/**
 * `avgPoolF<32|64>(x, y, ...window)`: the mean of each window's in-bounds
 * elements, summed in float64 and divided, then rounded (the reference's
 * arithmetic); byte addresses.
 */
function emitAvgPool(module: ModuleBuilder, bytes: 4 | 8): void {
  const f = module.func(`avgPoolF${bytes * 8}`, new Array<typeof I32>(16).fill(I32));
  const [x, y] = [0, 1];
  const c = f.local(I32);
  const e0 = f.local(I32);
  const sum = f.local(F64);
  sweep(f, 2, (v) => {
    f.i32(0).set(c);
    f.loop();
    f.f64(0).set(sum);
    f.get(v.start).get(c).i32Add().set(e0);
    window(f, v, e0, (e) => {
      f.get(sum).get(x).get(e).i32(bytes).i32Mul().i32Add().floatLoad(bytes);
      if (bytes === 4) f.sOp(O.f64PromoteF32);
      f.sOp(O.f64Add).set(sum);
    });
    f.get(y).get(v.out).get(c).i32Add().i32(bytes).i32Mul().i32Add();
    f.get(sum).get(v.rows).get(v.cols).i32Mul().sOp(O.f64ConvertI32U).sOp(O.f64Div);
    if (bytes === 4) f.sOp(O.f32DemoteF64);
    f.floatStore(bytes);
    f.get(c).i32(1).i32Add().tee(c).get(v.C).i32LtU().brIf(0);
    f.end();
  });
}

/**
 * `avgPoolBackpropF<32|64>(dy, acc, ...window)`: adds each `dy` element,
 * divided by its window's count in float64, onto the window's elements of the
 * float64 array `acc` (zeroed by the caller); byte addresses.
 */
function emitAvgPoolBackprop(module: ModuleBuilder, bytes: 4 | 8): void {
  const f = module.func(`avgPoolBackpropF${bytes * 8}`, new Array<typeof I32>(16).fill(I32));
  const [dy, acc] = [0, 1];
  const c = f.local(I32);
  const e0 = f.local(I32);
  const a = f.local(I32);
  const share = f.local(F64);
  sweep(f, 2, (v) => {
    f.i32(0).set(c);
    f.loop();
    f.get(dy).get(v.out).get(c).i32Add().i32(bytes).i32Mul().i32Add().floatLoad(bytes);
    if (bytes === 4) f.sOp(O.f64PromoteF32);
    f.get(v.rows).get(v.cols).i32Mul().sOp(O.f64ConvertI32U).sOp(O.f64Div).set(share);
    f.get(v.start).get(c).i32Add().set(e0);
    window(f, v, e0, (e) => {
      f.get(acc).get(e).i32(8).i32Mul().i32Add().tee(a);
      f.get(a).floatLoad(8).get(share).sOp(O.f64Add).floatStore(8);
    });
    f.get(c).i32(1).i32Add().tee(c).get(v.C).i32LtU().brIf(0);
    f.end();
  });
}

/** Adds the pooling kernels to `module`. */
export function emitPool(module: ModuleBuilder): void {
  emitMaxPool(module, true);
  emitMaxPool(module, false);
  emitMaxPoolBackprop(module);
  emitScatterAdd(module, 8);
  emitScatterAdd(module, 4);
  for (const bytes of [4, 8] as const) {
    emitAvgPool(module, bytes);
    emitAvgPoolBackprop(module, bytes);
  }
}

/** The pooling kernels of {@link wasmPool}. */
export interface PoolKernels {
  /** Each window's first maximum. */
  maxPool: typeof referenceMaxPool;
  /** dy scattered onto each window's first maximum. */
  maxPoolBackprop: typeof referenceMaxPoolBackprop;
  /** A gather at each window's first maximum. */
  maxPoolGather: typeof referenceMaxPoolGather;
  /** Each window's mean over its in-bounds elements. */
  avgPool: typeof referenceAvgPool;
  /** avgPool's transpose. */
  avgPoolBackprop: typeof referenceAvgPoolBackprop;
}

const align = (elements: number) => Math.ceil(elements / 4) * 4;

/**
 * The pooling kernels (the reference's signatures), running in `runtime`'s
 * memory for inputs of at least `minSize` elements: max pooling and its
 * gradient and gather in float32, average pooling and its gradient in float32
 * and float64; everything else in the reference kernels. Results are bit for
 * bit the reference's.
 */
export function wasmPool(runtime: Runtime, minSize = POOL_MIN_SIZE): PoolKernels {
  const x = runtime.exports;
  const inSize = (g: WindowGeometry) => g.batch * g.inHeight * g.inWidth * g.inChannels;
  const outSize = (g: WindowGeometry) => g.batch * g.outHeight * g.outWidth * g.inChannels;
  const f32 = (...arrays: TypedArray[]) => arrays.every((a) => a instanceof Float32Array);
  const f64 = (...arrays: TypedArray[]) => arrays.every((a) => a instanceof Float64Array);
  /** Runs maxPoolF32 on x (copied to the memory's start); returns element offsets of y and of the argmax array. */
  const argmax = (xs: TypedArray, g: WindowGeometry): { y: number; arg: number; end: number } => {
    const y = align(xs.length);
    const arg = y + align(outSize(g));
    const end = arg + align(outSize(g));
    runtime.reserve(end * 4);
    runtime.f32().set(xs);
    x.maxPoolF32!(0, y * 4, arg * 4, ...geometryArgs(g));
    return { y, arg, end };
  };
  /** Element offsets (in float64s) of a zeroed float64 accumulator of `size` after element `after` (in 4-byte units). */
  const accumulator = (after: number, size: number): number => {
    const at = Math.ceil(after / 2);
    runtime.reserve((at + size) * 8);
    runtime.f64().fill(0, at, at + size);
    return at;
  };
  // A window with no in-bounds element (which the ops never make) is left to the reference, which the kernels can assume away.
  const emptyWindow = (g: WindowGeometry) =>
    g.padTop >= g.filterHeight ||
    (g.outHeight - 1) * g.strideHeight - g.padTop >= g.inHeight ||
    g.padLeft >= g.filterWidth ||
    (g.outWidth - 1) * g.strideWidth - g.padLeft >= g.inWidth;
  /** Whether the windows cover the input exactly once (each element of it is in one window). */
  const tiled = (g: WindowGeometry) =>
    g.strideHeight === g.filterHeight &&
    g.strideWidth === g.filterWidth &&
    g.padTop === 0 &&
    g.padLeft === 0 &&
    g.outHeight * g.strideHeight === g.inHeight &&
    g.outWidth * g.strideWidth === g.inWidth;
  const small = (g: WindowGeometry) => inSize(g) < minSize || outSize(g) === 0 || emptyWindow(g);
  return {
    maxPool(xs, g, y) {
      if (small(g) || !f32(xs, y)) return referenceMaxPool(xs, g, y);
      const yAt = align(xs.length);
      runtime.reserve((yAt + y.length) * 4);
      const mem = runtime.f32();
      mem.set(xs);
      x.maxPoolValuesF32!(0, yAt * 4, ...geometryArgs(g));
      y.set(mem.subarray(yAt, yAt + y.length));
    },
    maxPoolBackprop(dy, xs, g, dx) {
      if (small(g) || !f32(dy, xs, dx)) return referenceMaxPoolBackprop(dy, xs, g, dx);
      if (g.strideHeight >= g.filterHeight && g.strideWidth >= g.filterWidth) {
        // Windows do not overlap: each element of dx gets at most one term, +0 + dy (as the reference's sum),
        // so each window of dx is written whole, and elements in no window (if any) are zeros.
        const dyAt = align(xs.length);
        const dxAt = dyAt + align(dy.length);
        runtime.reserve((dxAt + dx.length) * 4);
        const mem = runtime.f32();
        mem.set(xs);
        mem.set(dy, dyAt);
        if (!tiled(g)) mem.fill(0, dxAt, dxAt + dx.length);
        x.maxPoolBackpropF32!(0, dyAt * 4, dxAt * 4, ...geometryArgs(g));
        dx.set(mem.subarray(dxAt, dxAt + dx.length));
        return;
      }
      const r = argmax(xs, g);
      const dyAt = r.end;
      const acc = accumulator(dyAt + align(dy.length), dx.length);
      runtime.f32().set(dy, dyAt);
      x.scatterAddF32To64!(dyAt * 4, r.arg * 4, dy.length, acc * 8);
      runtime.sumsOut(acc, dx as Float32Array);
    },
    maxPoolGather(ddx, xs, g, y) {
      if (small(g) || !f32(xs)) return referenceMaxPoolGather(ddx, xs, g, y);
      const r = argmax(xs, g);
      const arg = new Int32Array(runtime.memory.buffer, r.arg * 4, y.length);
      for (let o = 0; o < y.length; o++) y[o] = ddx[arg[o]!]!;
    },
    avgPool(xs, g, y) {
      const bytes = f32(xs, y) ? 4 : f64(xs, y) ? 8 : 0;
      if (small(g) || bytes === 0) return referenceAvgPool(xs, g, y);
      const yAt = align(xs.length);
      runtime.reserve((yAt + y.length) * bytes);
      const mem = bytes === 4 ? runtime.f32() : runtime.f64();
      mem.set(xs);
      x[`avgPoolF${bytes * 8}`]!(0, yAt * bytes, ...geometryArgs(g));
      y.set(mem.subarray(yAt, yAt + y.length));
    },
    avgPoolBackprop(dy, g, dx) {
      const bytes = f32(dy, dx) ? 4 : f64(dy, dx) ? 8 : 0;
      if (small(g) || bytes === 0) return referenceAvgPoolBackprop(dy, g, dx);
      const acc = accumulator((align(dy.length) * bytes) / 4, dx.length);
      (bytes === 4 ? runtime.f32() : runtime.f64()).set(dy);
      x[`avgPoolBackpropF${bytes * 8}`]!(0, acc * 8, ...geometryArgs(g));
      runtime.sumsOut(acc, dx as Float32Array | Float64Array);
    },
  };
}
