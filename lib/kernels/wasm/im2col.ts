/**
 * The patch-matrix kernels of the WebAssembly convolutions (`conv.ts`),
 * emitted per element type: `im2col` (blocks of rows of the reference's patch
 * matrix, written straight into the kernel memory), and col2im, its
 * transpose, in two forms that both sum in float64 in the reference's order:
 * a scatter of blocks of rows taken in ascending order (`col2imRows`), and a
 * gather per input element over the whole matrix (`col2im`). Also im2col
 * written straight into a product's packed panels (`im2colPanels`,
 * `im2colLanes`), and the direct convolution of one input channel and its
 * filter gradient (`conv1`, `conv1Filter`), where a patch is too short for
 * the product to pay.
 */
import { type Code, I32, type ModuleBuilder, ScalarOp as O, SimdOp as S, V128 } from './emitter.js';

/** Local indices of the geometry parameters (in `windowArgs` order), after `first` leading parameters. */
export function geometryParams(first: number) {
  const names = ['H', 'W', 'C', 'outH', 'outW', 'FH', 'FW', 'sh', 'sw', 'dh', 'dw', 'top', 'left'] as const;
  return Object.fromEntries(names.map((n, i) => [n, first + i])) as Record<(typeof names)[number], number>;
}

/** Declares an i32 local for each name. */
function namedLocals<K extends string>(f: Code, names: readonly K[]): Record<K, number> {
  return Object.fromEntries(names.map((name) => [name, f.local(I32)])) as Record<K, number>;
}

/**
 * Emits the window taps of output column `j` that fall inside x: `w0 = j*sw - left` (its first input column,
 * maybe negative) and `qa <= q < qb`, the taps q with `0 <= w0 + q*dw < W` (parameters and locals by index).
 */
function inBoundsTaps(
  f: Code,
  g: { W: number; FW: number; sw: number; dw: number; left: number },
  v: { j: number; w0: number; qa: number; qb: number },
): void {
  const { W, FW, sw, dw, left } = g;
  const { j, w0, qa, qb } = v;
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

/** Emits a loop storing the 16-byte chunks of `len` bytes (a multiple of 16) from `src` at `dst`, `stride` bytes apart. */
function copyChunks(
  f: Code,
  tmp: { d: number; s: number; l: number },
  dst: number,
  src: number,
  len: number,
  stride: number,
) {
  const { d, s, l } = tmp;
  f.get(dst).set(d).get(src).set(s).get(len).set(l);
  f.block().loop();
  f.get(l).sOp(O.i32Eqz).brIf(1);
  f.get(d).get(s).v128Load().v128Store();
  f.get(d).get(stride).i32Add().set(d).get(s).i32(16).i32Add().set(s).get(l).i32(16).i32Sub().set(l);
  f.br(0).end().end();
}

/** Emits a loop zeroing `len / 16` chunks of 16 bytes from `dst` on, `stride` bytes apart. */
function zeroChunks(f: Code, tmp: { d: number; l: number }, dst: number, len: number, stride: number): void {
  const { d, l } = tmp;
  f.get(dst).set(d).get(len).set(l);
  f.block().loop();
  f.get(l).sOp(O.i32Eqz).brIf(1);
  f.get(d).i32x4Const(0).v128Store();
  f.get(d).get(stride).i32Add().set(d).get(l).i32(16).i32Sub().set(l);
  f.br(0).end().end();
}

/** Emits a loop storing the `len / 4` elements (`len` a multiple of 16) from `src` at `dst`, 16 bytes apart. */
function copyLanes(f: Code, tmp: { d: number; s: number; l: number }, dst: number, src: number, len: number): void {
  const { d, s, l } = tmp;
  f.get(dst).set(d).get(src).set(s).get(len).set(l);
  f.block().loop();
  f.get(l).sOp(O.i32Eqz).brIf(1);
  for (let e = 0; e < 4; e++)
    f.get(d)
      .get(s)
      .intLoad(4, 4 * e)
      .intStore(4, 16 * e);
  f.get(d).i32(64).i32Add().set(d).get(s).i32(16).i32Add().set(s).get(l).i32(16).i32Sub().set(l);
  f.br(0).end().end();
}

/** Emits a loop zeroing `len / 4` elements (`len` a multiple of 16) from `dst` on, 16 bytes apart. */
function zeroLanes(f: Code, tmp: { d: number; l: number }, dst: number, len: number): void {
  const { d, l } = tmp;
  f.get(dst).set(d).get(len).set(l);
  f.block().loop();
  f.get(l).sOp(O.i32Eqz).brIf(1);
  for (let e = 0; e < 4; e++)
    f.get(d)
      .i32(0)
      .intStore(4, 16 * e);
  f.get(d).i32(64).i32Add().set(d).get(l).i32(16).i32Sub().set(l);
  f.br(0).end().end();
}

/** Where `emitIm2colRows` writes a row of the patch matrix. */
type Im2colLayout = 'dense' | 'panels' | 'lanes';

/**
 * `im2col<F32|F64>(x, dst, row0, rows, ld, ...geometry)`: rows `row0 ..
 * row0+rows` (at least one) of the reference's `im2col(x)`, each followed by
 * zeros up to `ld` elements, written from byte address `dst`; `x` is a byte
 * address too. Per row and window row, the in-bounds taps are one run of x
 * (without dilation) copied with vector moves, the rest zeros.
 *
 * `im2colPanelsF32(x, dst, row0, rows, stride, ...geometry)`: rows `row0 ..
 * row0+rows` of im2col(x) (float32, C a multiple of 4), written already
 * packed as the transposed A of a product (`packRuns16`'s layout: panel q,
 * the patch's elements 4q .. 4q+3, holds their four values for each row in
 * turn): the 16-byte chunk q of row r at `dst + q * stride + (r - row0) * 16`,
 * `stride` being 16 times the rows of the block.
 *
 * `im2colLanesF32(x, dst, row0, rows, stride, ...geometry)`: the same rows
 * packed as the (not transposed) A of a product with one block of k
 * (`packCols4x4`'s layout: panel q, rows 4q .. 4q+3, holds their four
 * values of each element of the patch in turn): element e of row r at
 * `dst + floor((r - row0) / 4) * stride + e * 16 + ((r - row0) mod 4) * 4`,
 * `stride` being 16 times the patch size (`row0` a multiple of 4).
 *
 * The two packed layouts save writing the patch matrix and reading it back to pack it.
 *
 * One loop over rows and window rows serves the three layouts: they differ only in how a run of a patch row is
 * written (`copy`, `zero`, and `spread`, the bytes it spans there) and in where the next row starts.
 */
function emitIm2colRows(module: ModuleBuilder, layout: Im2colLayout, bytes: 4 | 8): void {
  const name = layout === 'dense' ? `im2colF${bytes * 8}` : layout === 'panels' ? 'im2colPanelsF32' : 'im2colLanesF32';
  const f = module.func(name, new Array<typeof I32>(18).fill(I32));
  // ldOrStride: the dense row length in elements (`ld`), or the panels' stride in bytes.
  const [x, dst, row0, rows, ldOrStride] = [0, 1, 2, 3, 4];
  const { H, W, C, outH, outW, FH, FW, sh, sw, dh, dw, top, left } = geometryParams(5);
  const {
    n,
    i,
    j,
    o,
    t,
    w0,
    qa,
    qb,
    cb,
    runRow,
    head,
    tail,
    runs,
    runLen,
    step,
    xRow,
    h,
    p,
    r,
    d,
    s,
    c,
    row,
    pad,
    lane,
  } = namedLocals(f, [
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
    'd',
    's',
    'c',
    'row',
    'pad',
    'lane',
  ]);
  const tmp = { d: f.local(I32), s: f.local(I32), l: f.local(I32) };
  /** Pushes the bytes that `len` (a local) bytes of a patch row span where they are written. */
  const spread = (len: number): void => {
    if (layout === 'dense') f.get(len);
    else if (layout === 'lanes') f.get(len).i32(4).i32Mul();
    else f.get(len).i32(4).sOp(O.i32ShrU).get(ldOrStride).i32Mul();
  };
  const copy = (to: number, from: number, len: number): void => {
    if (layout === 'dense') copyBytes(f, tmp, to, from, len);
    else if (layout === 'lanes') copyLanes(f, tmp, to, from, len);
    else copyChunks(f, tmp, to, from, len, ldOrStride);
  };
  const zero = (to: number, len: number): void => {
    if (layout === 'dense') zeroBytes(f, tmp, to, len);
    else if (layout === 'lanes') zeroLanes(f, tmp, to, len);
    else zeroChunks(f, tmp, to, len, ldOrStride);
  };
  // n, i, j of row0; cb = C * bytes; runRow = FW * cb.
  f.get(row0).get(outW).sOp(O.i32RemU).set(j);
  f.get(row0).get(outW).sOp(O.i32DivU).tee(t).get(outH).sOp(O.i32RemU).set(i);
  f.get(t).get(outH).sOp(O.i32DivU).set(n);
  f.get(C).i32(bytes).i32Mul().set(cb);
  f.get(FW).get(cb).i32Mul().set(runRow);
  f.get(dw).get(cb).i32Mul().set(step);
  if (layout === 'dense') {
    // pad = (ld - FH*FW*C) * bytes, the zeros after each row; rows follow one another from dst.
    f.get(ldOrStride).get(FH).get(FW).i32Mul().get(C).i32Mul().i32Sub().i32(bytes).i32Mul().set(pad);
    f.get(dst).set(o);
  } else f.get(dst).set(row);
  f.get(rows).set(r);
  f.loop(); // over rows
  inBoundsTaps(f, { W, FW, sw, dw, left }, { j, w0, qa, qb });
  f.get(qa).get(cb).i32Mul().set(head);
  f.get(FW).get(qb).i32Sub().get(cb).i32Mul().set(tail);
  // Without dilation the in-bounds taps are one run of x; with it, one run of C per tap.
  f.i32(1).get(qb).get(qa).i32Sub().get(dw).i32(1).sOp(O.i32Eq).select().set(runs);
  f.get(qb).get(qa).i32Sub().get(cb).i32Mul().get(cb).get(dw).i32(1).sOp(O.i32Eq).select().set(runLen);
  // xRow = x + ((n*H*W) + w0 + qa*dw) * cb: the first in-bounds tap, at input row 0.
  f.get(x).get(n).get(H).i32Mul().get(W).i32Mul().get(w0).i32Add().get(qa).get(dw).i32Mul().i32Add().get(cb).i32Mul();
  f.i32Add().set(xRow);
  f.get(i).get(sh).i32Mul().get(top).i32Sub().set(h);
  if (layout !== 'dense') f.get(row).set(o);
  f.get(FH).set(p);
  f.loop(); // over window rows
  f.get(h).get(H).i32LtU().if();
  zero(o, head);
  f.get(xRow).get(h).get(W).i32Mul().get(cb).i32Mul().i32Add().set(s);
  f.get(o);
  spread(head);
  f.i32Add().set(d);
  f.get(runs).set(c);
  f.block().loop();
  f.get(c).sOp(O.i32Eqz).brIf(1);
  copy(d, s, runLen);
  f.get(d);
  spread(runLen);
  f.i32Add().set(d);
  f.get(s).get(step).i32Add().set(s).get(c).i32(1).i32Sub().set(c);
  f.br(0).end().end();
  zero(d, tail);
  f.else();
  zero(o, runRow);
  f.end();
  f.get(o);
  spread(runRow);
  f.i32Add().set(o);
  f.get(h).get(dh).i32Add().set(h);
  f.get(p).i32(1).i32Sub().tee(p).brIf(0);
  f.end();
  if (layout === 'dense') {
    zero(o, pad);
    f.get(o).get(pad).i32Add().set(o);
  } else if (layout === 'lanes') {
    // The next lane of the panel, or the first of the next panel.
    f.get(row).i32(4).i32Add().set(row);
    f.get(lane).i32(1).i32Add().tee(lane).i32(4).sOp(O.i32Eq).if();
    f.i32(0).set(lane);
    f.get(row).get(ldOrStride).i32Add().i32(16).i32Sub().set(row);
    f.end();
  } else f.get(row).i32(16).i32Add().set(row);
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
  storeSums(f, { from: a, to: out, pairs, odd, count: c }, bytes);
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
  const { n, i, j, t, w0, qa, qb, h, p, q, r, src, row, a, e, runs, runLen } = namedLocals(f, [
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
    'e',
    'runs',
    'runLen',
  ]);
  /** Adds the pair (two elements) `k` pairs past `src` onto the two doubles as far past `a`. */
  const addPair = (k: number) => {
    f.get(a)
      .get(a)
      .v128Load(16 * k);
    if (bytes === 4)
      f.get(src)
        .v128Load64Zero(8 * k)
        .vOp(S.f64x2PromoteLowF32x4);
    else f.get(src).v128Load(16 * k);
    f.vOp(S.f64x2Add).v128Store(16 * k);
  };
  const advance = (elements: number) => {
    f.get(a)
      .i32(8 * elements)
      .i32Add()
      .set(a);
    f.get(src)
      .i32(bytes * elements)
      .i32Add()
      .set(src);
    f.get(e).i32(elements).i32Sub().set(e);
  };
  f.get(row0).get(outW).sOp(O.i32RemU).set(j);
  f.get(row0).get(outW).sOp(O.i32DivU).tee(t).get(outH).sOp(O.i32RemU).set(i);
  f.get(t).get(outH).sOp(O.i32DivU).set(n);
  f.get(cols).set(row);
  f.get(rows).set(r);
  f.loop(); // over rows
  inBoundsTaps(f, { W, FW, sw, dw, left }, { j, w0, qa, qb });
  // Without dilation the in-bounds taps are one run of the sums and of the row; with it, runs of C.
  f.i32(1).get(qb).get(qa).i32Sub().get(dw).i32(1).sOp(O.i32Eq).select().set(runs);
  f.get(qb).get(qa).i32Sub().get(C).i32Mul().get(C).get(dw).i32(1).sOp(O.i32Eq).select().set(runLen);
  f.get(i).get(sh).i32Mul().get(top).i32Sub().set(h);
  f.i32(0).set(p);
  f.loop(); // over window rows
  f.get(h).get(H).i32LtU().if();
  f.get(runs).set(q);
  f.block().loop(); // over runs of in-bounds taps
  f.get(q).sOp(O.i32Eqz).brIf(1);
  // a = acc + ((n*H + h)*W + w0 + qa*dw) * C * 8 (+ dw*C*8 per run); src = row + (p*FW + qa) * C * bytes (+ C*bytes)
  f.get(acc).get(n).get(H).i32Mul().get(h).i32Add().get(W).i32Mul().get(w0).i32Add();
  f.get(qa).get(runs).i32Add().get(q).i32Sub().get(dw).i32Mul().i32Add();
  f.get(C).i32Mul().i32(8).i32Mul().i32Add().set(a);
  f.get(row).get(p).get(FW).i32Mul().get(qa).i32Add().get(runs).i32Add().get(q).i32Sub().get(C).i32Mul();
  f.i32(bytes).i32Mul().i32Add().set(src);
  f.get(runLen).set(e);
  f.block().loop(); // eight elements at a time
  f.get(e).i32(8).sOp(O.i32LtS).brIf(1);
  for (let k = 0; k < 4; k++) addPair(k);
  advance(8);
  f.br(0).end().end();
  f.block().loop(); // then pairs
  f.get(e).i32(2).sOp(O.i32LtS).brIf(1);
  addPair(0);
  advance(2);
  f.br(0).end().end();
  f.get(e).if();
  f.get(a).get(a).floatLoad(8).get(src).floatLoad(bytes);
  if (bytes === 4) f.sOp(O.f64PromoteF32);
  f.sOp(O.f64Add).floatStore(8);
  f.end();
  f.get(q).i32(1).i32Sub().set(q);
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

/** Vectors of output channels the single-channel kernels hold per call: 1 to {@link CONV1_VECTORS}. */
export const CONV1_VECTORS = 4;

/**
 * `padRowsF32(src, dst, images, rows, rowBytes, srcRow, dstRow, srcImage,
 * dstImage)`: copies `rowBytes` (a multiple of 4) per row, for `rows` rows
 * of `images` images, from byte address `src` to `dst`, rows and images
 * their strides (bytes) apart: the input of a single-channel convolution
 * into a zeroed, padded copy, so that every tap is a plain load.
 */
function emitPadRows(module: ModuleBuilder): void {
  const f = module.func('padRowsF32', new Array<typeof I32>(9).fill(I32));
  const [src, dst, images, rows, rowBytes, srcRow, dstRow, srcImage, dstImage] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const { n, r, s, d } = namedLocals(f, ['n', 'r', 's', 'd']);
  const tmp = { d: f.local(I32), s: f.local(I32), l: f.local(I32) };
  f.get(images).set(n);
  f.loop();
  f.get(src).set(s).get(dst).set(d).get(rows).set(r);
  f.loop();
  copyBytes(f, tmp, d, s, rowBytes);
  f.get(s).get(srcRow).i32Add().set(s).get(d).get(dstRow).i32Add().set(d);
  f.get(r).i32(1).i32Sub().tee(r).brIf(0);
  f.end();
  f.get(src).get(srcImage).i32Add().set(src).get(dst).get(dstImage).i32Add().set(dst);
  f.get(n).i32(1).i32Sub().tee(n).brIf(0);
  f.end();
}

/**
 * `conv1F32v<V>(x, f, y, batch, outH, outW, imageStep, rowStep, colStep,
 * taps, tapAt, ldf, ldy)`: a convolution of one input channel, direct (no
 * patch matrix): for each output position, `4V` output channels summed over
 * the taps in order, each `acc + x * f` from +0 (the operations, in the
 * order, of the packed product of im2col(x) and the filter, so the same
 * bits). `x` is the zero-padded input (`imageStep`, `rowStep`, `colStep`:
 * bytes per image, per output row and per output column); tap t reads
 * `x + i32[tapAt + 4t]`, its filter row is at `f + t * ldf`; output
 * position p is written at `y + p * ldy`. Two positions at a time share
 * each load of the filter. Byte addresses; every count at least 1.
 */
function emitConv1(module: ModuleBuilder, vectors: number): void {
  const f = module.func(`conv1F32v${vectors}`, new Array<typeof I32>(13).fill(I32));
  const [x, filter, y, batch, outH, outW, imageStep, rowStep, colStep, taps, tapAt, ldf, ldy] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
  ];
  const { n, i, j, xr, t, tp, fp, at, yp } = namedLocals(f, ['n', 'i', 'j', 'xr', 't', 'tp', 'fp', 'at', 'yp']);
  const acc = Array.from({ length: 2 * vectors }, () => f.local(V128));
  const [xs0, xs1, fv, zero] = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  /** Sums the taps of `lanes` (1 or 2) positions from `xr` on, and stores them from `yp` on. */
  const positions = (lanes: 1 | 2) => {
    for (let a = 0; a < lanes * vectors; a++) f.get(zero).set(acc[a]!);
    f.get(tapAt).set(tp).get(filter).set(fp).get(taps).set(t);
    f.loop();
    f.get(xr).get(tp).intLoad(4).i32Add().tee(at).loadSplat(4).set(xs0);
    if (lanes === 2) f.get(at).get(colStep).i32Add().loadSplat(4).set(xs1);
    for (let v = 0; v < vectors; v++) {
      f.get(fp)
        .v128Load(v * 16)
        .set(fv);
      multiplyAdd(f, acc, vectors, lanes, v, [xs0, xs1], fv);
    }
    f.get(tp).i32(4).i32Add().set(tp).get(fp).get(ldf).i32Add().set(fp);
    f.get(t).i32(1).i32Sub().tee(t).brIf(0);
    f.end();
    storeLanes(f, acc, vectors, lanes, yp, ldy);
  };
  f.get(y).set(yp);
  f.i32(0).set(n);
  f.loop(); // over images
  f.i32(0).set(i);
  f.loop(); // over output rows
  f.get(x).get(n).get(imageStep).i32Mul().i32Add().get(i).get(rowStep).i32Mul().i32Add().set(xr);
  f.get(outW).set(j);
  f.block().loop(); // two positions at a time
  f.get(j).i32(2).sOp(O.i32LtS).brIf(1);
  positions(2);
  f.get(yp).get(ldy).get(ldy).i32Add().i32Add().set(yp);
  f.get(xr).get(colStep).get(colStep).i32Add().i32Add().set(xr);
  f.get(j).i32(2).i32Sub().set(j);
  f.br(0).end().end();
  f.get(j).if();
  positions(1);
  f.get(yp).get(ldy).i32Add().set(yp);
  f.end();
  f.get(i).i32(1).i32Add().tee(i).get(outH).i32LtU().brIf(0);
  f.end();
  f.get(n).i32(1).i32Add().tee(n).get(batch).i32LtU().brIf(0);
  f.end();
}

/**
 * `conv1FilterF32v<V>(x, dy, df, batch, outH, outW, imageStep, rowStep,
 * colStep, taps, tapAt, lddy, lddf)`: the filter gradient of
 * {@link emitConv1}'s convolution, direct: `df[t, :4V] += x_t(p) * dy[p, :4V]`
 * over output positions p in order (each sum is that of the packed product
 * of im2col(x)ᵀ and dy, term by term, so the same bits; `df` zeroed by the
 * caller), two taps at a time sharing each load of dy, row of output
 * positions by row (the sums wait in `df` between rows). Output position p's
 * dy is at `dy + p * lddy`, tap t's sums at `df + t * lddf`; the rest as in
 * {@link emitConv1}.
 */
function emitConv1Filter(module: ModuleBuilder, vectors: number): void {
  const f = module.func(`conv1FilterF32v${vectors}`, new Array<typeof I32>(13).fill(I32));
  const [x, dy, df, batch, outH, outW, imageStep, rowStep, colStep, taps, tapAt, lddy, lddf] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
  ];
  const { n, i, j, xr, dyr, t, tp, dp, a0, a1, yp } = namedLocals(f, [
    'n',
    'i',
    'j',
    'xr',
    'dyr',
    't',
    'tp',
    'dp',
    'a0',
    'a1',
    'yp',
  ]);
  const acc = Array.from({ length: 2 * vectors }, () => f.local(V128));
  const [xs0, xs1, dv] = [f.local(V128), f.local(V128), f.local(V128)];
  /** Adds one row of positions onto the sums of `lanes` (1 or 2) taps from `tp` (table) and `dp` (sums) on. */
  const tapsOfRow = (lanes: 1 | 2) => {
    for (let v = 0; v < vectors; v++) {
      f.get(dp)
        .v128Load(v * 16)
        .set(acc[v]!);
      if (lanes === 2)
        f.get(dp)
          .get(lddf)
          .i32Add()
          .v128Load(v * 16)
          .set(acc[vectors + v]!);
    }
    f.get(xr).get(tp).intLoad(4).i32Add().set(a0);
    if (lanes === 2) f.get(xr).get(tp).intLoad(4, 4).i32Add().set(a1);
    f.get(dyr).set(yp).get(outW).set(j);
    f.loop();
    f.get(a0).loadSplat(4).set(xs0);
    if (lanes === 2) f.get(a1).loadSplat(4).set(xs1);
    for (let v = 0; v < vectors; v++) {
      f.get(yp)
        .v128Load(v * 16)
        .set(dv);
      multiplyAdd(f, acc, vectors, lanes, v, [xs0, xs1], dv);
    }
    f.get(a0).get(colStep).i32Add().set(a0);
    if (lanes === 2) f.get(a1).get(colStep).i32Add().set(a1);
    f.get(yp).get(lddy).i32Add().set(yp);
    f.get(j).i32(1).i32Sub().tee(j).brIf(0);
    f.end();
    storeLanes(f, acc, vectors, lanes, dp, lddf);
  };
  f.get(dy).set(dyr);
  f.i32(0).set(n);
  f.loop(); // over images
  f.i32(0).set(i);
  f.loop(); // over output rows
  f.get(x).get(n).get(imageStep).i32Mul().i32Add().get(i).get(rowStep).i32Mul().i32Add().set(xr);
  f.get(tapAt).set(tp).get(df).set(dp).get(taps).set(t);
  f.block().loop(); // two taps at a time
  f.get(t).i32(2).sOp(O.i32LtS).brIf(1);
  tapsOfRow(2);
  f.get(tp).i32(8).i32Add().set(tp);
  f.get(dp).get(lddf).get(lddf).i32Add().i32Add().set(dp);
  f.get(t).i32(2).i32Sub().set(t);
  f.br(0).end().end();
  f.get(t).if();
  tapsOfRow(1);
  f.end();
  f.get(dyr).get(outW).get(lddy).i32Mul().i32Add().set(dyr);
  f.get(i).i32(1).i32Add().tee(i).get(outH).i32LtU().brIf(0);
  f.end();
  f.get(n).i32(1).i32Add().tee(n).get(batch).i32LtU().brIf(0);
  f.end();
}

/**
 * Emits `acc[v] += xs[0] * w` and, with two lanes (two output positions or taps at once), `acc[vectors + v] +=
 * xs[1] * w`: the multiply-adds of the single-channel convolutions.
 */
function multiplyAdd(
  f: Code,
  acc: readonly number[],
  vectors: number,
  lanes: number,
  v: number,
  xs: readonly [number, number],
  w: number,
): void {
  for (let lane = 0; lane < lanes; lane++) {
    const a = acc[lane * vectors + v]!;
    f.get(a).get(xs[lane]!).get(w).vMul(4).vAdd(4).set(a);
  }
}

/** Emits the stores of the accumulators: vector v at `at + 16 v`, and a second lane's `step` bytes further on. */
function storeLanes(f: Code, acc: readonly number[], vectors: number, lanes: number, at: number, step: number): void {
  for (let v = 0; v < vectors; v++) {
    f.get(at)
      .get(acc[v]!)
      .v128Store(v * 16);
    if (lanes === 2)
      f.get(at)
        .get(step)
        .i32Add()
        .get(acc[vectors + v]!)
        .v128Store(v * 16);
  }
}

/**
 * Emits the store of `2 pairs + odd` float64 sums from byte address `from` to `to` (locals, both left past them):
 * rounded once to float32 (`bytes` 4: to nearest, ties to even, as JavaScript's conversion) or as they are
 * (`bytes` 8), a pair at a time in `f64x2` lanes, then the odd last one; `count` is a scratch local. Each pair is
 * read before anything is written over it, so `to` may be `from`.
 */
function storeSums(
  f: Code,
  v: { from: number; to: number; pairs: number; odd: number; count: number },
  bytes: 4 | 8,
): void {
  const { from, to, pairs, odd, count } = v;
  f.get(pairs).set(count);
  f.block().loop();
  f.get(count).sOp(O.i32Eqz).brIf(1);
  if (bytes === 4) f.get(to).get(from).v128Load().vOp(S.f32x4DemoteF64x2Zero).v128Store64Low();
  else f.get(to).get(from).v128Load().v128Store();
  f.get(from).i32(16).i32Add().set(from);
  f.get(to)
    .i32(2 * bytes)
    .i32Add()
    .set(to);
  f.get(count).i32(1).i32Sub().set(count);
  f.br(0).end().end();
  f.get(odd).if();
  f.get(to).get(from).floatLoad(8);
  if (bytes === 4) f.sOp(O.f32DemoteF64);
  f.floatStore(bytes);
  f.get(to).i32(bytes).i32Add().set(to);
  f.end();
}

/**
 * `roundF64ToF32(src, dst, n)`: rounds the n float64 values at byte address `src` to float32 at `dst`
 * ({@link storeSums}; `dst` may be `src`). The gradients that col2im and the pooling kernels sum in float64 leave
 * memory this way: as float32 already, so that a plain copy takes them out (a `Float32Array` set from a
 * `Float64Array` converts element by element: 0.19-0.21 ms for 200,704 values from shared memory here, against
 * 0.04 for the copy).
 */
function emitRoundF64ToF32(module: ModuleBuilder): void {
  const f = module.func(ROUND_F64_TO_F32, [I32, I32, I32]);
  const [src, dst, n] = [0, 1, 2];
  const { pairs, odd, count } = namedLocals(f, ['pairs', 'odd', 'count']);
  f.get(n).i32(1).sOp(O.i32ShrU).set(pairs);
  f.get(n).i32(1).sOp(O.i32And).set(odd);
  storeSums(f, { from: src, to: dst, pairs, odd, count }, 4);
}

/** The exported name of {@link emitRoundF64ToF32}'s kernel. */
export const ROUND_F64_TO_F32 = 'roundF64ToF32';

/** Adds the im2col and col2im kernels (float32 and float64), and the single-channel convolutions, to `module`. */
export function emitIm2colKernels(module: ModuleBuilder): void {
  emitRoundF64ToF32(module);
  for (const bytes of [4, 8] as const) {
    emitIm2colRows(module, 'dense', bytes);
    emitCol2im(module, bytes);
    emitCol2imRows(module, bytes);
  }
  emitIm2colRows(module, 'panels', 4);
  emitIm2colRows(module, 'lanes', 4);
  emitPadRows(module);
  for (let v = 1; v <= CONV1_VECTORS; v++) {
    emitConv1(module, v);
    emitConv1Filter(module, v);
  }
}
