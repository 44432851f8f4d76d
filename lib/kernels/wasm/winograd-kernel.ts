/**
 * The emitted kernels of the Winograd F(4×4, 5×5) convolution (`../winograd.ts`).
 * `winogradF32` (forward; the input gradient is a forward convolution too): a range of tiles (4×4 blocks of outputs) worked through in
 * chunks of {@link WINOGRAD_CHUNK}, all in the running thread's scratch: the
 * input transform of the chunk's tiles, 64 small products (one per point of
 * the transform: the chunk's tiles × input channels by input × output
 * channels, with `gemm.ts`'s 4 × 8 register block), and the output transform
 * into the padded output. Transforms run on vectors of 4 channels (NHWC keeps
 * them together), in the reference's order of operations, so the results are
 * its bits whichever thread takes which tiles. `winogradFilterF32` (filter
 * gradient): the same input transform, dy's 4×4 blocks transformed to 8×8
 * (`A dy Aᵀ`), and per point the products summed over the tiles onto the
 * task's sums. The driver is `winograd.ts`.
 */
import { A_ROWS, ALPHA, AT, BT, PANEL, TILE_OUT, WINOGRAD_CHUNK } from '../winograd.js';
import { type Code, I32, type ModuleBuilder, ScalarOp, SimdOp, V128 } from './emitter.js';

/** Bytes of the transforms' intermediate (64 vectors) at the start of a thread's scratch. */
export const TEMP_BYTES = ALPHA * ALPHA * 16;

/**
 * Bytes between one point's block of a chunk (transformed tiles, products)
 * and the next beyond the block itself: the transforms write a vector to each
 * of 8 points in turn, and at a power-of-two stride (16 tiles of 32 channels:
 * 2 KiB) those stores fall in one cache set. The dy transform of the filter
 * gradient took 3.9 ms of 5.8 for conv2's shapes without it.
 */
export const POINT_PAD = 64;

/** Bytes of scratch one thread's calls use, for `cinBytes` and `coutBytes` (products padded to 8 channels). */
export function scratchBytes(cinBytes: number, coutBytes: number): number {
  return TEMP_BYTES + ALPHA * ALPHA * (WINOGRAD_CHUNK * (cinBytes + coutBytes) + 2 * POINT_PAD);
}

/**
 * Pushes `Σ coefs[k] · v[k]` (vectors in the locals `v`): the reference's
 * `combine`, the same operations in the same order. Coefficients other than
 * ±1 come from the frame's constant vectors.
 */
function combine({ f, constant }: Frame, coefs: readonly number[], v: readonly number[]): void {
  let first = true;
  coefs.forEach((c, k) => {
    if (c === 0) return;
    f.get(v[k]!);
    if (first) {
      if (c === -1) f.vOp(SimdOp.f32x4Neg);
      else if (c !== 1) f.get(constant(c)).vOp(SimdOp.f32x4Mul);
      first = false;
      return;
    }
    if (Math.abs(c) !== 1) f.get(constant(Math.abs(c))).vOp(SimdOp.f32x4Mul);
    f.vOp(c > 0 ? SimdOp.f32x4Add : SimdOp.f32x4Sub);
  });
}

/** Every coefficient {@link combine} multiplies by: the first of each row signed, the others' magnitudes. */
const CONSTANTS = [
  ...new Set(
    [...BT, ...AT, ...A_ROWS].flatMap((row) => {
      const first = row.findIndex((c) => c !== 0);
      return row.map((c, k) => (k === first ? c : Math.abs(c))).filter((c) => c !== 0 && c !== 1 && c !== -1);
    }),
  ),
];

/** Locals shared by the kernels: the chunk loop, locating a tile, the transforms' pointers and vectors. */
interface Frame {
  readonly f: Code;
  readonly scratch: number;
  readonly tileCols: number;
  readonly perImage: number;
  readonly c0: number;
  readonly end: number;
  readonly n: number;
  readonly tl: number;
  readonly t: number;
  readonly img: number;
  readonly rest: number;
  readonly src: number;
  readonly dst: number;
  readonly cb: number;
  readonly p: number;
  readonly q: number;
  readonly rowp: number;
  /** The transforms' pointer into their intermediate, and their loop counter. */
  readonly tp: number;
  readonly ix: number;
  readonly vec: readonly number[];
  /** The local holding `value` in all four lanes (one of {@link CONSTANTS}, set at the function's start). */
  readonly constant: (value: number) => number;
}

function frame(f: Code, scratch: number, tileCols: number, perImage: number): Frame {
  const L = () => f.local(I32);
  const constants = new Map<number, number>();
  for (const value of CONSTANTS) {
    const local = f.local(V128);
    f.f32x4Const(value).set(local);
    constants.set(value, local);
  }
  return {
    f,
    scratch,
    tileCols,
    perImage,
    c0: L(),
    end: L(),
    n: L(),
    tl: L(),
    t: L(),
    img: L(),
    rest: L(),
    src: L(),
    dst: L(),
    cb: L(),
    p: L(),
    q: L(),
    rowp: L(),
    tp: L(),
    ix: L(),
    vec: Array.from({ length: ALPHA }, () => f.local(V128)),
    constant: (value) => {
      const local = constants.get(value);
      if (local === undefined) throw new Error(`winograd-kernel: no constant ${value}`);
      return local;
    },
  };
}

/** t = c0 + tl; sets `img` and leaves the tile's row in `p` and its column in `q`. */
function locate({ f, c0, tl, t, img, rest, p, q, perImage, tileCols }: Frame): void {
  f.get(c0).get(tl).i32Add().set(t);
  f.get(t).get(perImage).sOp(ScalarOp.i32DivU).set(img);
  f.get(t).get(img).get(perImage).i32Mul().i32Sub().set(rest);
  f.get(rest).get(tileCols).sOp(ScalarOp.i32DivU).set(p);
  f.get(rest).get(p).get(tileCols).i32Mul().i32Sub().set(q);
}

/** Opens the loop over chunks of tiles `t0 .. t0 + count`, setting `n` to the chunk's tiles. */
function openChunks({ f, c0, end, n }: Frame, t0: number, count: number): void {
  f.get(t0).set(c0);
  f.get(t0).get(count).i32Add().set(end);
  f.loop();
  f.get(end).get(c0).i32Sub().set(n);
  f.i32(WINOGRAD_CHUNK).get(n).get(n).i32(WINOGRAD_CHUNK).sOp(ScalarOp.i32GeS).select().set(n);
}

function closeChunks({ f, c0, end }: Frame): void {
  f.get(c0).i32(WINOGRAD_CHUNK).i32Add().tee(c0).get(end).i32LtU().brIf(0);
  f.end();
}

/** Base address of the tile located in `img`, `p`, `q` in an image of `image` and rows of `row` bytes, columns of `col`. */
function tileBase({ f, img, p, q }: Frame, base: number, image: number, row: number, col: number): void {
  f.get(base).get(img).get(image).i32Mul().i32Add();
  f.get(p).i32(TILE_OUT).i32Mul().get(row).i32Mul().i32Add();
  f.get(q).i32(TILE_OUT).i32Mul().get(col).i32Mul().i32Add();
}

/**
 * Transforms the chunk's tiles to the 8×8 points: out[point][tile][channel] =
 * R d Rᵀ (along rows, then columns) for the `size` × `size` block `d` each tile
 * reads from `base` (images `image` bytes apart, rows `row` apart), with R's
 * rows `rows` (8 of `size` coefficients). Written at `outBase`, points `pt`
 * bytes apart (`pt8`: eight points), tiles `chBytes` apart, as the block's
 * columns are. The input transform is R = Bᵀ on 8×8 blocks of x; the filter
 * gradient's dy transform R = A on 4×4 blocks of dy.
 */
function tileTransform(
  fr: Frame,
  size: number,
  rows: readonly (readonly number[])[],
  base: number,
  image: number,
  row: number,
  chBytes: number,
  outBase: number,
  pt: number,
  pt8: number,
): void {
  const { f, scratch, n, tl, src, dst, cb, p, q, rowp, tp, ix, vec } = fr;
  f.i32(0).set(tl);
  f.loop();
  locate(fr);
  tileBase(fr, base, image, row, chBytes);
  f.set(src);
  f.get(outBase).get(tl).get(chBytes).i32Mul().i32Add().set(dst);
  f.i32(0).set(cb);
  f.loop(); // over vectors of 4 channels
  // Along rows: tmp[i][jj] = Σ_j R[jj][j] d[i][j], row i at tp = scratch + 128·i.
  f.get(src).get(cb).i32Add().set(rowp);
  f.get(scratch).set(tp);
  f.i32(size).set(ix);
  f.loop();
  f.get(rowp).set(p);
  for (let j = 0; j < size; j++) {
    f.get(p).v128Load().set(vec[j]!);
    if (j < size - 1) f.get(p).get(chBytes).i32Add().set(p);
  }
  for (let jj = 0; jj < ALPHA; jj++) {
    f.get(tp);
    combine(fr, rows[jj]!, vec);
    f.v128Store(jj * 16);
  }
  f.get(rowp).get(row).i32Add().set(rowp);
  f.get(tp)
    .i32(ALPHA * 16)
    .i32Add()
    .set(tp);
  f.get(ix).i32(1).i32Sub().tee(ix).brIf(0);
  f.end();
  // Along columns: out[ii][jj] = Σ_i R[ii][i] tmp[i][jj], at point ii·8 + jj; column jj at tp = scratch + 16·jj.
  f.get(dst).get(cb).i32Add().set(q);
  f.get(scratch).set(tp);
  f.i32(ALPHA).set(ix);
  f.loop();
  for (let i = 0; i < size; i++)
    f.get(tp)
      .v128Load(i * ALPHA * 16)
      .set(vec[i]!);
  f.get(q).set(p);
  for (let ii = 0; ii < ALPHA; ii++) {
    f.get(p);
    combine(fr, rows[ii]!, vec);
    f.v128Store();
    if (ii < ALPHA - 1) f.get(p).get(pt8).i32Add().set(p);
  }
  f.get(q).get(pt).i32Add().set(q);
  f.get(tp).i32(16).i32Add().set(tp);
  f.get(ix).i32(1).i32Sub().tee(ix).brIf(0);
  f.end();
  f.get(cb).i32(16).i32Add().tee(cb).get(chBytes).i32LtU().brIf(0);
  f.end();
  f.get(tl).i32(1).i32Add().tee(tl).get(n).i32LtU().brIf(0);
  f.end();
}

/**
 * `winogradF32(x, u, y, scratch, t0, count, cinBytes, coutPadBytes, coutBytes,
 * tileCols, tilesPerImage, xRow, xImage, yRow, yImage)`: tiles `t0 ..
 * t0 + count` (numbered image by image, row by row). `x` is the input padded
 * so that tile (ty, tx) of an image reads its 8×8 block from row 4·ty and
 * column 4·tx (`xRow`, `xImage`: its row and image strides in bytes); `u` is
 * the transformed filter (`transformFilter`); tile (ty, tx)'s 4×4 outputs go
 * to rows 4·ty.. and columns 4·tx.. of `y` (strides `yRow`, `yImage`).
 * Channel counts are in bytes; byte addresses throughout.
 */
function emitForward(module: ModuleBuilder): void {
  const f = module.func('winogradF32', new Array<typeof I32>(15).fill(I32));
  const [
    x,
    u,
    y,
    scratch,
    t0,
    count,
    cinBytes,
    coutPadBytes,
    coutBytes,
    tileCols,
    perImage,
    xRow,
    xImage,
    yRow,
    yImage,
  ] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const fr = frame(f, scratch, tileCols, perImage);
  const { n, tl, src, dst, cb, p, q, tp, ix, vec } = fr;
  const L = () => f.local(I32);
  const [ptV, ptV8, ptM, uPt, vBase, mBase] = [L(), L(), L(), L(), L(), L()];
  const [pt, aPt, bPt, cPt, jp, bPanel, ip, aRow, k, bp, cRow] = [
    L(),
    L(),
    L(),
    L(),
    L(),
    L(),
    L(),
    L(),
    L(),
    L(),
    L(),
  ];
  const a = [L(), L(), L(), L()];
  const acc = Array.from({ length: 8 }, () => f.local(V128));
  const bv = [f.local(V128), f.local(V128)];
  const av = f.local(V128);
  const zero = f.local(V128); // never set: locals start as zeros

  // Strides: a point's block of transformed tiles (V) and of products (M), a point's transformed filter.
  f.get(cinBytes).i32(WINOGRAD_CHUNK).i32Mul().i32(POINT_PAD).i32Add().set(ptV);
  f.get(ptV).i32(ALPHA).i32Mul().set(ptV8);
  f.get(coutPadBytes).i32(WINOGRAD_CHUNK).i32Mul().i32(POINT_PAD).i32Add().set(ptM);
  f.get(cinBytes).get(coutPadBytes).i32Mul().i32(2).sOp(ScalarOp.i32ShrU).set(uPt);
  f.get(scratch).i32(TEMP_BYTES).i32Add().set(vBase);
  f.get(vBase)
    .get(ptV)
    .i32(ALPHA * ALPHA)
    .i32Mul()
    .i32Add()
    .set(mBase);

  openChunks(fr, t0, count);
  tileTransform(fr, ALPHA, BT, x, xImage, xRow, cinBytes, vBase, ptV, ptV8);

  // Per point: M[point] (tiles × output channels) = V[point] (tiles × input channels) · U[point].
  f.i32(0).set(pt);
  f.get(vBase).set(aPt);
  f.get(u).set(bPt);
  f.get(mBase).set(cPt);
  f.loop();
  f.i32(0).set(jp);
  f.get(bPt).set(bPanel);
  f.loop(); // over panels of 8 output channels (jp in bytes)
  f.i32(0).set(ip);
  f.get(aPt).set(aRow);
  f.loop(); // over blocks of 4 tiles
  for (const s of acc) f.get(zero).set(s);
  f.get(aRow).set(a[0]!);
  for (let r = 1; r < 4; r++)
    f.get(a[r - 1]!)
      .get(cinBytes)
      .i32Add()
      .set(a[r]!);
  f.get(bPanel).set(bp);
  f.get(cinBytes).i32(2).sOp(ScalarOp.i32ShrU).set(k);
  f.loop(); // over input channels
  for (let v = 0; v < 2; v++)
    f.get(bp)
      .v128Load(v * 16)
      .set(bv[v]!);
  for (let r = 0; r < 4; r++) {
    f.get(a[r]!).loadSplat(4).set(av);
    for (let v = 0; v < 2; v++) {
      const s = acc[r * 2 + v]!;
      f.get(s).get(av).get(bv[v]!).vMul(4).vAdd(4).set(s);
    }
  }
  for (let r = 0; r < 4; r++) f.get(a[r]!).i32(4).i32Add().set(a[r]!);
  f.get(bp)
    .i32(PANEL * 4)
    .i32Add()
    .set(bp);
  f.get(k).i32(1).i32Sub().tee(k).brIf(0);
  f.end();
  f.get(cPt).get(ip).get(coutPadBytes).i32Mul().i32Add().get(jp).i32Add().set(cRow);
  for (let r = 0; r < 4; r++) {
    for (let v = 0; v < 2; v++)
      f.get(cRow)
        .get(acc[r * 2 + v]!)
        .v128Store(v * 16);
    if (r < 3) f.get(cRow).get(coutPadBytes).i32Add().set(cRow);
  }
  f.get(aRow).get(cinBytes).i32(4).i32Mul().i32Add().set(aRow);
  f.get(ip).i32(4).i32Add().tee(ip).get(n).i32LtU().brIf(0);
  f.end();
  f.get(bPanel).get(cinBytes).i32(PANEL).i32Mul().i32Add().set(bPanel);
  f.get(jp)
    .i32(PANEL * 4)
    .i32Add()
    .tee(jp)
    .get(coutPadBytes)
    .i32LtU()
    .brIf(0);
  f.end();
  f.get(aPt).get(ptV).i32Add().set(aPt);
  f.get(bPt).get(uPt).i32Add().set(bPt);
  f.get(cPt).get(ptM).i32Add().set(cPt);
  f.get(pt)
    .i32(1)
    .i32Add()
    .tee(pt)
    .i32(ALPHA * ALPHA)
    .i32LtU()
    .brIf(0);
  f.end();

  // Output transform of the chunk's tiles into y.
  f.i32(0).set(tl);
  f.loop();
  locate(fr);
  tileBase(fr, y, yImage, yRow, coutBytes);
  f.set(dst);
  f.get(mBase).get(tl).get(coutPadBytes).i32Mul().i32Add().set(src);
  f.i32(0).set(cb);
  f.loop(); // over vectors of 4 output channels
  // Along rows: s[i][o] = Σ_j AT[o][j] m[i][j], m[i][j] at point i·8 + j; row i at tp = scratch + 64·i.
  f.get(src).get(cb).i32Add().set(p);
  f.get(scratch).set(tp);
  f.i32(ALPHA).set(ix);
  f.loop();
  for (let j = 0; j < ALPHA; j++) f.get(p).v128Load().set(vec[j]!).get(p).get(ptM).i32Add().set(p);
  for (let o = 0; o < TILE_OUT; o++) {
    f.get(tp);
    combine(fr, AT[o]!, vec);
    f.v128Store(o * 16);
  }
  f.get(tp)
    .i32(TILE_OUT * 16)
    .i32Add()
    .set(tp);
  f.get(ix).i32(1).i32Sub().tee(ix).brIf(0);
  f.end();
  // Along columns: y[r][o] = Σ_i AT[r][i] s[i][o]; column o at tp = scratch + 16·o.
  f.get(dst).get(cb).i32Add().set(q);
  f.get(scratch).set(tp);
  f.i32(TILE_OUT).set(ix);
  f.loop();
  for (let i = 0; i < ALPHA; i++)
    f.get(tp)
      .v128Load(i * TILE_OUT * 16)
      .set(vec[i]!);
  f.get(q).set(p);
  for (let r = 0; r < TILE_OUT; r++) {
    f.get(p);
    combine(fr, AT[r]!, vec);
    f.v128Store();
    if (r < TILE_OUT - 1) f.get(p).get(yRow).i32Add().set(p);
  }
  f.get(q).get(coutBytes).i32Add().set(q);
  f.get(tp).i32(16).i32Add().set(tp);
  f.get(ix).i32(1).i32Sub().tee(ix).brIf(0);
  f.end();
  f.get(cb).i32(16).i32Add().tee(cb).get(coutBytes).i32LtU().brIf(0);
  f.end();
  f.get(tl).i32(1).i32Add().tee(tl).get(n).i32LtU().brIf(0);
  f.end();

  closeChunks(fr);
}

/**
 * `winogradFilterF32(x, dy, s, scratch, t0, count, cinBytes, coutBytes,
 * tileCols, tilesPerImage, xRow, xImage, dyRow, dyImage, sumsStride)`: adds, for tiles
 * `t0 .. t0 + count`, `(Bᵀ d B) ⊙ (A dy Aᵀ)` summed over the tiles, per point
 * and channel pair, onto `s` (`[point][input channel][output channel]`,
 * points `sumsStride` bytes apart, float32, summed tile by tile in order). `x` is padded as for
 * `winogradF32`; `dy` is the output gradient padded with zeros to whole
 * tiles (strides `dyRow`, `dyImage`). Output channels a multiple of 8.
 */
function emitFilterGradient(module: ModuleBuilder): void {
  const f = module.func('winogradFilterF32', new Array<typeof I32>(15).fill(I32));
  const [x, dy, s, scratch, t0, count, cinBytes, coutBytes, tileCols, perImage, xRow, xImage, dyRow, dyImage] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
  ];
  const sumsStride = 14;
  const fr = frame(f, scratch, tileCols, perImage);
  const { n } = fr;
  const L = () => f.local(I32);
  const [ptV, ptV8, ptW, ptW8, sPt8, vBase, wBase] = [L(), L(), L(), L(), L(), L(), L()];
  const [pt, aPt, bPt, sPt, ci, cin, jp, sRow, k, ap, bp] = [L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()];
  const acc = Array.from({ length: 8 }, () => f.local(V128));
  const bv = [f.local(V128), f.local(V128)];
  const av = f.local(V128);

  f.get(cinBytes).i32(WINOGRAD_CHUNK).i32Mul().i32(POINT_PAD).i32Add().set(ptV);
  f.get(ptV).i32(ALPHA).i32Mul().set(ptV8);
  f.get(coutBytes).i32(WINOGRAD_CHUNK).i32Mul().i32(POINT_PAD).i32Add().set(ptW);
  f.get(ptW).i32(ALPHA).i32Mul().set(ptW8);
  f.get(cinBytes).i32(2).sOp(ScalarOp.i32ShrU).set(cin);
  f.get(sumsStride).set(sPt8); // from a point's sums to the next, in bytes
  f.get(scratch).i32(TEMP_BYTES).i32Add().set(vBase);
  f.get(vBase)
    .get(ptV)
    .i32(ALPHA * ALPHA)
    .i32Mul()
    .i32Add()
    .set(wBase);

  openChunks(fr, t0, count);
  tileTransform(fr, ALPHA, BT, x, xImage, xRow, cinBytes, vBase, ptV, ptV8);

  // dy's transform: W[point][tile][channel] = A dy Aᵀ, 4×4 in, 8×8 out.
  tileTransform(fr, TILE_OUT, A_ROWS, dy, dyImage, dyRow, coutBytes, wBase, ptW, ptW8);

  // Per point: S[point] (input × output channels) += V[point]ᵀ W[point], over the chunk's tiles in order.
  f.i32(0).set(pt);
  f.get(vBase).set(aPt);
  f.get(wBase).set(bPt);
  f.get(s).set(sPt);
  f.loop();
  f.i32(0).set(ci);
  f.loop(); // over blocks of 4 input channels
  f.i32(0).set(jp);
  f.loop(); // over panels of 8 output channels (jp in bytes)
  f.get(sPt).get(ci).get(coutBytes).i32Mul().i32Add().get(jp).i32Add().set(sRow);
  for (let r = 0; r < 4; r++) {
    for (let v = 0; v < 2; v++)
      f.get(sRow)
        .v128Load(v * 16)
        .set(acc[r * 2 + v]!);
    if (r < 3) f.get(sRow).get(coutBytes).i32Add().set(sRow);
  }
  f.get(aPt).get(ci).i32(4).i32Mul().i32Add().set(ap);
  f.get(bPt).get(jp).i32Add().set(bp);
  f.get(n).set(k);
  f.loop(); // over the chunk's tiles
  for (let v = 0; v < 2; v++)
    f.get(bp)
      .v128Load(v * 16)
      .set(bv[v]!);
  for (let r = 0; r < 4; r++) {
    f.get(ap)
      .loadSplat(4, r * 4)
      .set(av);
    for (let v = 0; v < 2; v++) {
      const a = acc[r * 2 + v]!;
      f.get(a).get(av).get(bv[v]!).vMul(4).vAdd(4).set(a);
    }
  }
  f.get(ap).get(cinBytes).i32Add().set(ap);
  f.get(bp).get(coutBytes).i32Add().set(bp);
  f.get(k).i32(1).i32Sub().tee(k).brIf(0);
  f.end();
  f.get(sPt).get(ci).get(coutBytes).i32Mul().i32Add().get(jp).i32Add().set(sRow);
  for (let r = 0; r < 4; r++) {
    for (let v = 0; v < 2; v++)
      f.get(sRow)
        .get(acc[r * 2 + v]!)
        .v128Store(v * 16);
    if (r < 3) f.get(sRow).get(coutBytes).i32Add().set(sRow);
  }
  f.get(jp)
    .i32(PANEL * 4)
    .i32Add()
    .tee(jp)
    .get(coutBytes)
    .i32LtU()
    .brIf(0);
  f.end();
  f.get(ci).i32(4).i32Add().tee(ci).get(cin).i32LtU().brIf(0);
  f.end();
  f.get(aPt).get(ptV).i32Add().set(aPt);
  f.get(bPt).get(ptW).i32Add().set(bPt);
  f.get(sPt).get(sPt8).i32Add().set(sPt);
  f.get(pt)
    .i32(1)
    .i32Add()
    .tee(pt)
    .i32(ALPHA * ALPHA)
    .i32LtU()
    .brIf(0);
  f.end();

  closeChunks(fr);
}

/** Adds `winogradF32` and `winogradFilterF32` to the kernel module. */
export function emitWinogradKernels(module: ModuleBuilder): void {
  emitForward(module);
  emitFilterGradient(module);
}
