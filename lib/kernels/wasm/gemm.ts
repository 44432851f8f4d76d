/**
 * The matrix-product micro-kernels, emitted as WebAssembly SIMD. Operands
 * arrive packed (see `pack.ts`): A in panels of MR rows, each holding its MR
 * values for every p in turn, and B in panels of NR columns likewise, both
 * zero-padded to whole panels. One call computes `C[mc, nc] += A[mc, kc] B[kc, nc]`
 * with an MR x NR block of C held in SIMD registers across the whole k loop:
 * per step, NR/lanes vector loads of B, MR splat loads of A, and MR x NR/lanes
 * multiply-adds, so the loads are amortised over many flops. Where the
 * engine has relaxed SIMD, a tile with `fma` does each multiply-add as one
 * `relaxed_madd` (fused on hardware with FMA: one rounding instead of two);
 * the plain multiply, then add, is the fallback.
 */
import { I32, ModuleBuilder, V128 } from './emitter.js';

/** The register tile of one element type. */
export interface Tile {
  /** Bytes per element: 4 (f32x4) or 8 (f64x2). */
  readonly bytes: 4 | 8;
  /** Rows of the register block (A panel height). */
  readonly mr: number;
  /** Columns of the register block (B panel width), a multiple of the lanes per vector. */
  readonly nr: number;
  /** Multiply-adds as relaxed SIMD's `relaxed_madd` (only where {@link relaxedSimdSupported}); else multiply, then add. */
  readonly fma?: boolean;
}

/**
 * 4 x 8 floats (8 accumulators of f32x4) and 4 x 4 doubles (8 of f64x2): with
 * the B vectors and one splat that is 11 of the 16 SIMD registers of x86-64,
 * leaving the compiler room so nothing spills.
 */
export const TILE_F32: Tile = { bytes: 4, mr: 4, nr: 8 };
export const TILE_F64: Tile = { bytes: 8, mr: 4, nr: 4 };

/**
 * Whether the engine runs relaxed SIMD's multiply-adds: `validate`
 * (`WebAssembly.validate`) accepts a tiny module that uses `f32x4.relaxed_madd`
 * and `f64x2.relaxed_madd`. Browsers have them; Node 20 only with
 * `--experimental-wasm-relaxed-simd`.
 */
export function relaxedSimdSupported(validate: (bytes: Uint8Array) => boolean): boolean {
  const module = new ModuleBuilder();
  const f = module.func('probe', []);
  const v = f.local(V128);
  f.get(v).get(v).get(v).vMadd(4).get(v).get(v).vMadd(8).set(v);
  try {
    return validate(module.encode());
  } catch {
    return false;
  }
}

/** The float32 and float64 tiles, with `fma` where `relaxed` (see {@link relaxedSimdSupported}). */
export function gemmTiles(relaxed: boolean): { readonly f32: Tile; readonly f64: Tile } {
  return relaxed
    ? { f32: { ...TILE_F32, fma: true }, f64: { ...TILE_F64, fma: true } }
    : { f32: TILE_F32, f64: TILE_F64 };
}

/**
 * Adds `gemm(a, b, c, mc, nc, kc, ldc)` to `module`: `a`, `b`, `c` are byte
 * addresses of the packed A block, the packed B block and C; `mc`, `nc` are
 * multiples of MR and NR, `kc` is at least 1; `ldc` is C's row stride in bytes.
 * It computes `C += A B`, or with `overwrite` `C = A B` (C is not read, so the
 * first block of k needs no zeroed C; the sums start from +0 either way, so
 * the results are the same bits).
 */
export function emitGemm(
  module: ModuleBuilder,
  exportName: string,
  { bytes, mr, nr, fma = false }: Tile,
  overwrite = false,
): void {
  const f = module.func(exportName, [I32, I32, I32, I32, I32, I32, I32]);
  const [a, b, c, mc, nc, kc, ldc] = [0, 1, 2, 3, 4, 5, 6];
  const vectors = (nr * bytes) / 16;
  const jp = f.local(I32);
  const ip = f.local(I32);
  const p = f.local(I32);
  const aPtr = f.local(I32);
  const bPtr = f.local(I32);
  const cRow = f.local(I32);
  const acc: number[] = [];
  for (let i = 0; i < mr * vectors; i++) acc.push(f.local(V128));
  const bv: number[] = [];
  for (let v = 0; v < vectors; v++) bv.push(f.local(V128));
  const av = f.local(V128);
  const zero = f.local(V128); // never set: locals start as zeros

  /** cRow = c + ip * ldc + jp * bytes: the block's first row. */
  const blockStart = () => f.get(c).get(ip).get(ldc).i32Mul().i32Add().get(jp).i32(bytes).i32Mul().i32Add().set(cRow);
  const nextRow = () => f.get(cRow).get(ldc).i32Add().set(cRow);
  const advance = (ptr: number, by: number) => f.get(ptr).i32(by).i32Add().set(ptr);

  f.i32(0).set(jp);
  f.loop(); // over column panels
  f.i32(0).set(ip);
  f.loop(); // over row panels
  // acc = C's block (or 0): each element then sums its k terms in order, one at a time, however k is blocked.
  if (overwrite) {
    for (const x of acc) f.get(zero).set(x);
  } else {
    blockStart();
    for (let r = 0; r < mr; r++) {
      for (let v = 0; v < vectors; v++)
        f.get(cRow)
          .v128Load(v * 16)
          .set(acc[r * vectors + v]!);
      if (r < mr - 1) nextRow();
    }
  }
  // aPtr = a + ip * kc * bytes; bPtr = b + jp * kc * bytes (panel starts)
  f.get(a).get(ip).get(kc).i32Mul().i32(bytes).i32Mul().i32Add().set(aPtr);
  f.get(b).get(jp).get(kc).i32Mul().i32(bytes).i32Mul().i32Add().set(bPtr);
  /** One step of k, `s` steps past the pointers: NR/lanes loads of B, MR splats of A, the multiply-adds. */
  const step = (s: number) => {
    for (let v = 0; v < vectors; v++)
      f.get(bPtr)
        .v128Load(s * nr * bytes + v * 16)
        .set(bv[v]!);
    for (let r = 0; r < mr; r++) {
      f.get(aPtr)
        .loadSplat(bytes, (s * mr + r) * bytes)
        .set(av);
      for (let v = 0; v < vectors; v++) {
        const x = acc[r * vectors + v]!;
        if (fma) f.get(av).get(bv[v]!).get(x).vMadd(bytes).set(x);
        else f.get(x).get(av).get(bv[v]!).vMul(bytes).vAdd(bytes).set(x);
      }
    }
  };
  // Over k. (Unrolling by 2 or 4, and 6x8, 4x12 or 3x16 tiles, all measured slower in V8 than this.)
  f.get(kc).set(p);
  f.loop();
  step(0);
  advance(aPtr, mr * bytes);
  advance(bPtr, nr * bytes);
  f.get(p).i32(1).i32Sub().tee(p).brIf(0);
  f.end();
  // C's block = acc.
  blockStart();
  for (let r = 0; r < mr; r++) {
    for (let v = 0; v < vectors; v++)
      f.get(cRow)
        .get(acc[r * vectors + v]!)
        .v128Store(v * 16);
    if (r < mr - 1) nextRow();
  }
  f.get(ip).i32(mr).i32Add().tee(ip).get(mc).i32LtU().brIf(0);
  f.end();
  f.get(jp).i32(nr).i32Add().tee(jp).get(nc).i32LtU().brIf(0);
  f.end();
}
