/**
 * The patch-matrix kernels of the WebAssembly convolutions (`conv.ts`),
 * emitted per element type: `im2col` (blocks of rows of the reference's patch
 * matrix, written straight into the kernel memory), and col2im, its
 * transpose, in two forms that both sum in float64 in the reference's order:
 * a scatter of blocks of rows taken in ascending order (`col2imRows`), and a
 * gather per input element over the whole matrix (`col2im`).
 */
import type { WindowGeometry } from '../conv.js';
import { type Code, I32, type ModuleBuilder, ScalarOp as O, SimdOp as S } from './emitter.js';

/** The geometry parameters of the window kernels, in the order they take them (after their own). */
export function geometryArgs(g: WindowGeometry): number[] {
  return [
    g.inHeight,
    g.inWidth,
    g.inChannels,
    g.outHeight,
    g.outWidth,
    g.filterHeight,
    g.filterWidth,
    g.strideHeight,
    g.strideWidth,
    g.dilationHeight,
    g.dilationWidth,
    g.padTop,
    g.padLeft,
  ];
}

/** Local indices of the geometry parameters, after `first` leading parameters. */
function geometryParams(first: number) {
  const names = ['H', 'W', 'C', 'outH', 'outW', 'FH', 'FW', 'sh', 'sw', 'dh', 'dw', 'top', 'left'] as const;
  return Object.fromEntries(names.map((n, i) => [n, first + i])) as Record<(typeof names)[number], number>;
}

/** Declares an i32 local for each name. */
function namedLocals<K extends string>(f: Code, names: readonly K[]): Record<K, number> {
  return Object.fromEntries(names.map((name) => [name, f.local(I32)])) as Record<K, number>;
}

/** Emits a loop copying `len` bytes (a multiple of 4) from `src` to `dst` (locals, left unchanged). */
function copyBytes(f: Code, tmp: { d: number; s: number; l: number }, dst: number, src: number, len: number): void {
  const { d, s, l } = tmp;
  f.get(dst).set(d).get(src).set(s).get(len).set(l);
  f.block().loop();
  f.get(l).i32(16).sOp(O.i32LtS).brIf(1);
  f.get(d).get(s).v128Load().v128Store();
  f.get(d).i32(16).i32Add().set(d).get(s).i32(16).i32Add().set(s).get(l).i32(16).i32Sub().set(l);
  f.br(0).end().end();
  f.block().loop();
  f.get(l).sOp(O.i32Eqz).brIf(1);
  f.get(d).get(s).intLoad(4).intStore(4);
  f.get(d).i32(4).i32Add().set(d).get(s).i32(4).i32Add().set(s).get(l).i32(4).i32Sub().set(l);
  f.br(0).end().end();
}

/** Emits a loop zeroing `len` bytes (a multiple of 4) from `dst` (locals, left unchanged). */
function zeroBytes(f: Code, tmp: { d: number; l: number }, dst: number, len: number): void {
  const { d, l } = tmp;
  f.get(dst).set(d).get(len).set(l);
  f.block().loop();
  f.get(l).i32(16).sOp(O.i32LtS).brIf(1);
  f.get(d).i32x4Const(0).v128Store();
  f.get(d).i32(16).i32Add().set(d).get(l).i32(16).i32Sub().set(l);
  f.br(0).end().end();
  f.block().loop();
  f.get(l).sOp(O.i32Eqz).brIf(1);
  f.get(d).i32(0).intStore(4);
  f.get(d).i32(4).i32Add().set(d).get(l).i32(4).i32Sub().set(l);
  f.br(0).end().end();
}

/**
 * `im2col<F32|F64>(x, dst, row0, rows, ld, ...geometry)`: rows `row0 ..
 * row0+rows` (at least one) of the reference's `im2col(x)`, each followed by
 * zeros up to `ld` elements, written from byte address `dst`; `x` is a byte
 * address too. Per row and window row, the in-bounds taps are one run of x
 * (without dilation) copied with vector moves, the rest zeros.
 */
function emitIm2col(module: ModuleBuilder, bytes: 4 | 8): void {
  const f = module.func(`im2colF${bytes * 8}`, new Array<typeof I32>(18).fill(I32));
  const [x, dst, row0, rows, ld] = [0, 1, 2, 3, 4];
  const { H, W, C, outH, outW, FH, FW, sh, sw, dh, dw, top, left } = geometryParams(5);
  const L = () => f.local(I32);
  const { n, i, j, o, t, w0, qa, qb, cb, runRow, head, tail, runs, runLen, step, xRow, h, p, r, pad, d, s, c } =
    namedLocals(f, [
      'n',
      'i',
      'j',
      'o',
      't',
      'w0',
      'qa',
      'qb',
      'cb',
      'runRow',
      'head',
      'tail',
      'runs',
      'runLen',
      'step',
      'xRow',
      'h',
      'p',
      'r',
      'pad',
      'd',
      's',
      'c',
    ]);
  const tmp = { d: L(), s: L(), l: L() };
  // n, i, j of row0; cb = C * bytes; runRow = FW * cb; pad = (ld - FH*FW*C) * bytes.
  f.get(row0).get(outW).sOp(O.i32RemU).set(j);
  f.get(row0).get(outW).sOp(O.i32DivU).tee(t).get(outH).sOp(O.i32RemU).set(i);
  f.get(t).get(outH).sOp(O.i32DivU).set(n);
  f.get(C).i32(bytes).i32Mul().set(cb);
  f.get(FW).get(cb).i32Mul().set(runRow);
  f.get(ld).get(FH).get(FW).i32Mul().get(C).i32Mul().i32Sub().i32(bytes).i32Mul().set(pad);
  f.get(dst).set(o);
  f.get(dw).get(cb).i32Mul().set(step);
  f.get(rows).set(r);
  f.loop(); // over rows
  // The in-bounds taps q of this column: qa <= q < qb.
  f.get(j).get(sw).i32Mul().get(left).i32Sub().set(w0);
  f.i32(0).set(qa);
  f.block().loop();
  f.get(qa).get(FW).sOp(O.i32GeS).brIf(1);
  f.get(w0).get(qa).get(dw).i32Mul().i32Add().i32(0).sOp(O.i32GeS).brIf(1);
  f.get(qa).i32(1).i32Add().set(qa).br(0);
  f.end().end();
  f.get(qa).set(qb);
  f.block().loop();
  f.get(qb).get(FW).sOp(O.i32GeS).brIf(1);
  f.get(w0).get(qb).get(dw).i32Mul().i32Add().get(W).sOp(O.i32GeS).brIf(1);
  f.get(qb).i32(1).i32Add().set(qb).br(0);
  f.end().end();
  f.get(qa).get(cb).i32Mul().set(head);
  f.get(FW).get(qb).i32Sub().get(cb).i32Mul().set(tail);
  // Without dilation the in-bounds taps are one run of x; with it, one run of C per tap.
  f.i32(1).get(qb).get(qa).i32Sub().get(dw).i32(1).sOp(O.i32Eq).select().set(runs);
  f.get(qb).get(qa).i32Sub().get(cb).i32Mul().get(cb).get(dw).i32(1).sOp(O.i32Eq).select().set(runLen);
  // xRow = x + ((n*H*W) + w0 + qa*dw) * cb: the first in-bounds tap, at input row 0.
  f.get(x).get(n).get(H).i32Mul().get(W).i32Mul().get(w0).i32Add().get(qa).get(dw).i32Mul().i32Add().get(cb).i32Mul();
  f.i32Add().set(xRow);
  f.get(i).get(sh).i32Mul().get(top).i32Sub().set(h);
  f.get(FH).set(p);
  f.loop(); // over window rows
  f.get(h).get(H).i32LtU().if();
  zeroBytes(f, tmp, o, head);
  f.get(xRow).get(h).get(W).i32Mul().get(cb).i32Mul().i32Add().set(s);
  f.get(o).get(head).i32Add().set(d);
  f.get(runs).set(c);
  f.block().loop();
  f.get(c).sOp(O.i32Eqz).brIf(1);
  copyBytes(f, tmp, d, s, runLen);
  f.get(d).get(runLen).i32Add().set(d).get(s).get(step).i32Add().set(s).get(c).i32(1).i32Sub().set(c);
  f.br(0).end().end();
  f.get(o).get(runRow).i32Add().get(tail).i32Sub().set(d);
  zeroBytes(f, tmp, d, tail);
  f.else();
  zeroBytes(f, tmp, o, runRow);
  f.end();
  f.get(o).get(runRow).i32Add().set(o);
  f.get(h).get(dh).i32Add().set(h);
  f.get(p).i32(1).i32Sub().tee(p).brIf(0);
  f.end();
  zeroBytes(f, tmp, o, pad);
  f.get(o).get(pad).i32Add().set(o);
  // Next output position.
  f.get(j).i32(1).i32Add().tee(j).get(outW).sOp(O.i32Eq).if();
  f.i32(0).set(j);
  f.get(i).i32(1).i32Add().tee(i).get(outH).sOp(O.i32Eq).if();
  f.i32(0).set(i).get(n).i32(1).i32Add().set(n);
  f.end().end();
  f.get(r).i32(1).i32Sub().tee(r).brIf(0);
  f.end();
}

/**
 * `col2im<F32|F64>(cols, ldc, dx, acc, batch, ...geometry)`: the reference's
 * col2im of the `[positions, FH*FW*C]` matrix at byte address `cols` (row
 * stride `ldc` elements) into the dense NHWC `dx`, as a gather: each input
 * element sums, in float64 (C doubles of scratch at `acc`), the entries that
 * read it, in order of output position, as the reference's scatter does.
 */
function emitCol2im(module: ModuleBuilder, bytes: 4 | 8): void {
  const f = module.func(`col2imF${bytes * 8}`, new Array<typeof I32>(18).fill(I32));
  const [cols, ldc, dx, acc, batch] = [0, 1, 2, 3, 4];
  const { H, W, C, outH, outW, FH, FW, sh, sw, dh, dw, top, left } = geometryParams(5);
  const L = () => f.local(I32);
  const { n, h, w, p, q, t, i, j, rowBase, src, a, c, pairs, odd, out } = namedLocals(f, [
    'n',
    'h',
    'w',
    'p',
    'q',
    't',
    'i',
    'j',
    'rowBase',
    'src',
    'a',
    'c',
    'pairs',
    'odd',
    'out',
  ]);
  const accBytes = L();
  const tmp = { d: L(), l: L() };
  f.get(C).i32(1).sOp(O.i32ShrU).set(pairs);
  f.get(C).i32(1).sOp(O.i32And).set(odd);
  f.get(C).i32(8).i32Mul().set(accBytes);
  f.get(dx).set(out);
  f.i32(0).set(n);
  f.loop(); // over n
  f.i32(0).set(h);
  f.loop(); // over h
  f.i32(0).set(w);
  f.loop(); // over w
  zeroBytes(f, tmp, acc, accBytes);
  f.get(FH).set(p);
  f.loop(); // p from FH-1 down: output rows i ascending
  f.get(p).i32(1).i32Sub().set(p);
  f.block();
  f.get(h).get(top).i32Add().get(p).get(dh).i32Mul().i32Sub().tee(t).i32(0).sOp(O.i32LtS).brIf(0);
  f.get(t).get(sh).sOp(O.i32DivU).tee(i).get(sh).i32Mul().get(t).sOp(O.i32Ne).brIf(0);
  f.get(i).get(outH).i32LtU().sOp(O.i32Eqz).brIf(0);
  f.get(n).get(outH).i32Mul().get(i).i32Add().get(outW).i32Mul().set(rowBase);
  f.get(FW).set(q);
  f.loop(); // q from FW-1 down: output columns j ascending
  f.get(q).i32(1).i32Sub().set(q);
  f.block();
  f.get(w).get(left).i32Add().get(q).get(dw).i32Mul().i32Sub().tee(t).i32(0).sOp(O.i32LtS).brIf(0);
  f.get(t).get(sw).sOp(O.i32DivU).tee(j).get(sw).i32Mul().get(t).sOp(O.i32Ne).brIf(0);
  f.get(j).get(outW).i32LtU().sOp(O.i32Eqz).brIf(0);
  // src = cols + ((rowBase + j) * ldc + (p*FW + q) * C) * bytes
  f.get(cols).get(rowBase).get(j).i32Add().get(ldc).i32Mul();
  f.get(p).get(FW).i32Mul().get(q).i32Add().get(C).i32Mul().i32Add().i32(bytes).i32Mul().i32Add().set(src);
  f.get(acc).set(a);
  f.get(pairs).set(c);
  f.block().loop();
  f.get(c).sOp(O.i32Eqz).brIf(1);
  f.get(a).get(a).v128Load();
  if (bytes === 4) f.get(src).v128Load64Zero().vOp(S.f64x2PromoteLowF32x4);
  else f.get(src).v128Load();
  f.vOp(S.f64x2Add).v128Store();
  f.get(a).i32(16).i32Add().set(a);
  f.get(src)
    .i32(2 * bytes)
    .i32Add()
    .set(src);
  f.get(c).i32(1).i32Sub().set(c);
  f.br(0).end().end();
  f.get(odd).if();
  f.get(a).get(a).floatLoad(8).get(src).floatLoad(bytes);
  if (bytes === 4) f.sOp(O.f64PromoteF32);
  f.sOp(O.f64Add).floatStore(8);
  f.end();
  f.end(); // block of tap q
  f.get(q).brIf(0);
  f.end(); // loop q
  f.end(); // block of tap p
  f.get(p).brIf(0);
  f.end(); // loop p
  // dx[n, h, w, :] = the sums, rounded once.
  f.get(acc).set(a);
  f.get(pairs).set(c);
  f.block().loop();
  f.get(c).sOp(O.i32Eqz).brIf(1);
  if (bytes === 4) f.get(out).get(a).v128Load().vOp(S.f32x4DemoteF64x2Zero).v128Store64Low();
  else f.get(out).get(a).v128Load().v128Store();
  f.get(a).i32(16).i32Add().set(a);
  f.get(out)
    .i32(2 * bytes)
    .i32Add()
    .set(out);
  f.get(c).i32(1).i32Sub().set(c);
  f.br(0).end().end();
  f.get(odd).if();
  f.get(out).get(a).floatLoad(8);
  if (bytes === 4) f.sOp(O.f32DemoteF64);
  f.floatStore(bytes);
  f.get(out).i32(bytes).i32Add().set(out);
  f.end();
  f.get(w).i32(1).i32Add().tee(w).get(W).i32LtU().brIf(0);
  f.end();
  f.get(h).i32(1).i32Add().tee(h).get(H).i32LtU().brIf(0);
  f.end();
  f.get(n).i32(1).i32Add().tee(n).get(batch).i32LtU().brIf(0);
  f.end();
}

/**
 * `col2imRows<F32|F64>(cols, ldc, row0, rows, acc, ...geometry)`: the
 * reference's col2im of rows `row0 .. row0+rows` (at least one) of the patch
 * matrix, whose row `row0` is at byte address `cols` (rows `ldc` elements
 * apart), added in float64 onto the dense NHWC array of doubles at `acc`, in
 * the reference's order (row by row, taps p then q), so that blocks of rows in
 * ascending order sum each element exactly as the reference does.
 */
function emitCol2imRows(module: ModuleBuilder, bytes: 4 | 8): void {
  const f = module.func(`col2imRowsF${bytes * 8}`, new Array<typeof I32>(18).fill(I32));
  const [cols, ldc, row0, rows, acc] = [0, 1, 2, 3, 4];
  const { H, W, C, outH, outW, FH, FW, sh, sw, dh, dw, top, left } = geometryParams(5);
  const { n, i, j, t, w0, qa, qb, h, p, q, r, src, row, a, c, pairs, odd } = namedLocals(f, [
    'n',
    'i',
    'j',
    't',
    'w0',
    'qa',
    'qb',
    'h',
    'p',
    'q',
    'r',
    'src',
    'row',
    'a',
    'c',
    'pairs',
    'odd',
  ]);
  f.get(C).i32(1).sOp(O.i32ShrU).set(pairs);
  f.get(C).i32(1).sOp(O.i32And).set(odd);
  f.get(row0).get(outW).sOp(O.i32RemU).set(j);
  f.get(row0).get(outW).sOp(O.i32DivU).tee(t).get(outH).sOp(O.i32RemU).set(i);
  f.get(t).get(outH).sOp(O.i32DivU).set(n);
  f.get(cols).set(row);
  f.get(rows).set(r);
  f.loop(); // over rows
  f.get(j).get(sw).i32Mul().get(left).i32Sub().set(w0);
  f.i32(0).set(qa);
  f.block().loop();
  f.get(qa).get(FW).sOp(O.i32GeS).brIf(1);
  f.get(w0).get(qa).get(dw).i32Mul().i32Add().i32(0).sOp(O.i32GeS).brIf(1);
  f.get(qa).i32(1).i32Add().set(qa).br(0);
  f.end().end();
  f.get(qa).set(qb);
  f.block().loop();
  f.get(qb).get(FW).sOp(O.i32GeS).brIf(1);
  f.get(w0).get(qb).get(dw).i32Mul().i32Add().get(W).sOp(O.i32GeS).brIf(1);
  f.get(qb).i32(1).i32Add().set(qb).br(0);
  f.end().end();
  f.get(i).get(sh).i32Mul().get(top).i32Sub().set(h);
  f.i32(0).set(p);
  f.loop(); // over window rows
  f.get(h).get(H).i32LtU().if();
  f.get(qa).set(q);
  f.block().loop(); // over in-bounds taps
  f.get(q).get(qb).sOp(O.i32GeS).brIf(1);
  // a = acc + ((n*H + h)*W + w0 + q*dw) * C * 8; src = row + (p*FW + q) * C * bytes
  f.get(acc).get(n).get(H).i32Mul().get(h).i32Add().get(W).i32Mul().get(w0).i32Add().get(q).get(dw).i32Mul().i32Add();
  f.get(C).i32Mul().i32(8).i32Mul().i32Add().set(a);
  f.get(row).get(p).get(FW).i32Mul().get(q).i32Add().get(C).i32Mul().i32(bytes).i32Mul().i32Add().set(src);
  f.get(pairs).set(c);
  f.block().loop();
  f.get(c).sOp(O.i32Eqz).brIf(1);
  f.get(a).get(a).v128Load();
  if (bytes === 4) f.get(src).v128Load64Zero().vOp(S.f64x2PromoteLowF32x4);
  else f.get(src).v128Load();
  f.vOp(S.f64x2Add).v128Store();
  f.get(a).i32(16).i32Add().set(a);
  f.get(src)
    .i32(2 * bytes)
    .i32Add()
    .set(src);
  f.get(c).i32(1).i32Sub().set(c);
  f.br(0).end().end();
  f.get(odd).if();
  f.get(a).get(a).floatLoad(8).get(src).floatLoad(bytes);
  if (bytes === 4) f.sOp(O.f64PromoteF32);
  f.sOp(O.f64Add).floatStore(8);
  f.end();
  f.get(q).i32(1).i32Add().set(q);
  f.br(0).end().end();
  f.end(); // if h in bounds
  f.get(h).get(dh).i32Add().set(h);
  f.get(p).i32(1).i32Add().tee(p).get(FH).i32LtU().brIf(0);
  f.end();
  f.get(row).get(ldc).i32(bytes).i32Mul().i32Add().set(row);
  // Next output position.
  f.get(j).i32(1).i32Add().tee(j).get(outW).sOp(O.i32Eq).if();
  f.i32(0).set(j);
  f.get(i).i32(1).i32Add().tee(i).get(outH).sOp(O.i32Eq).if();
  f.i32(0).set(i).get(n).i32(1).i32Add().set(n);
  f.end().end();
  f.get(r).i32(1).i32Sub().tee(r).brIf(0);
  f.end();
}

/** Adds the im2col and col2im kernels (float32 and float64) to `module`. */
export function emitIm2colKernels(module: ModuleBuilder): void {
  for (const bytes of [4, 8] as const) {
    emitIm2col(module, bytes);
    emitCol2im(module, bytes);
    emitCol2imRows(module, bytes);
  }
}
