/**
 * Packing of matmul operands inside WebAssembly. The raw operand is first
 * copied into the kernel memory with one `TypedArray.set`; these kernels then
 * lay a block of it out in the panels `gemm.ts` reads (see `packA`/`packB`).
 * Packing only moves bits (integer loads and stores, or whole vectors), so the
 * product is bit for bit what it was with packing in TypeScript. The kernels
 * handle whole panels; the last, partial panel (fewer than MR rows or NR
 * columns, zero-padded) is filled here in TypeScript.
 *
 * Two access patterns cover all four cases:
 * - `packRuns`: each step p of k is a contiguous run along the panel's width
 *   (op(A) transposed, op(B) not): vector copies of whole panel rows;
 * - `packCols`: each of the panel's W lines is contiguous along k (op(A) not
 *   transposed, op(B) transposed): W read streams, one element of each per step.
 */
import { I32, type ModuleBuilder } from './emitter.js';
import type { Tile } from './gemm.js';

/** A pack kernel: `(src, ld, kc, panels, dst)`, addresses and `ld` (the source's line stride) in bytes. */
export type PackKernel = (src: number, ld: number, kc: number, panels: number, dst: number) => void;

/** The pack kernels of one module (see {@link emitPacks}). */
export interface PackExports {
  /** `packRuns16`, `packRuns32`: panels 16 or 32 bytes wide, any element type. */
  readonly [name: string]: PackKernel;
}

/**
 * `packRuns<width>(src, ld, kc, panels, dst)`: for p < kc and q < panels, the
 * `width` bytes at `src + p*ld + q*width` go to `dst + (q*kc + p)*width`.
 * `kc` and `panels` are at least 1.
 */
function emitPackRuns(module: ModuleBuilder, width: 16 | 32): void {
  const f = module.func(`packRuns${width}`, [I32, I32, I32, I32, I32]);
  const [src, ld, kc, panels, dst] = [0, 1, 2, 3, 4];
  const p = f.local(I32);
  const q = f.local(I32);
  const s = f.local(I32);
  // Panel by panel, so the writes are sequential: a step-first order writes at a stride of kc * width
  // bytes (a power of two for full blocks), which thrashes one cache set and measured 4x slower.
  f.get(panels).set(q);
  f.loop(); // over q
  f.get(src).set(s);
  f.get(kc).set(p);
  f.loop(); // over p
  for (let o = 0; o < width; o += 16) f.get(dst).get(s).v128Load(o).v128Store(o);
  f.get(s).get(ld).i32Add().set(s);
  f.get(dst).i32(width).i32Add().set(dst);
  f.get(p).i32(1).i32Sub().tee(p).brIf(0);
  f.end();
  f.get(src).i32(width).i32Add().set(src);
  f.get(q).i32(1).i32Sub().tee(q).brIf(0);
  f.end();
}

/**
 * `packCols<bytes>x<w>(src, ld, kc, panels, dst)`: for q < panels, r < w and
 * p < kc, the element at `src + (q*w + r)*ld + p*bytes` goes to
 * `dst + ((q*kc + p)*w + r)*bytes`. `kc` and `panels` are at least 1.
 */
function emitPackCols(module: ModuleBuilder, bytes: 4 | 8, w: number): void {
  const f = module.func(`packCols${bytes}x${w}`, [I32, I32, I32, I32, I32]);
  const [src, ld, kc, panels, dst] = [0, 1, 2, 3, 4];
  const p = f.local(I32);
  const q = f.local(I32);
  const s = f.local(I32);
  const line: number[] = []; // r * ld
  for (let r = 0; r < w; r++) line.push(f.local(I32));
  const panelStride = f.local(I32); // w * ld
  for (let r = 0; r < w; r++) f.get(ld).i32(r).i32Mul().set(line[r]!);
  f.get(ld).i32(w).i32Mul().set(panelStride);
  f.get(panels).set(q);
  f.loop(); // over q
  f.get(src).set(s);
  f.get(kc).set(p);
  f.loop(); // over p: dst advances w elements, each line one element
  for (let r = 0; r < w; r++)
    f.get(dst)
      .get(s)
      .get(line[r]!)
      .i32Add()
      .intLoad(bytes)
      .intStore(bytes, r * bytes);
  f.get(s).i32(bytes).i32Add().set(s);
  f.get(dst)
    .i32(w * bytes)
    .i32Add()
    .set(dst);
  f.get(p).i32(1).i32Sub().tee(p).brIf(0);
  f.end();
  f.get(src).get(panelStride).i32Add().set(src);
  f.get(q).i32(1).i32Sub().tee(q).brIf(0);
  f.end();
}

/** Adds the pack kernels for `tiles` to `module`. */
export function emitPacks(module: ModuleBuilder, tiles: readonly Tile[]): void {
  const runs = new Set<number>();
  const cols = new Set<string>();
  for (const { bytes, mr, nr } of tiles) {
    for (const w of [mr, nr]) {
      runs.add(w * bytes);
      cols.add(`${bytes}x${w}`);
    }
  }
  for (const width of runs) {
    if (width !== 16 && width !== 32) throw new Error(`tapegrad: no pack kernel for panels of ${width} bytes`);
    emitPackRuns(module, width);
  }
  for (const c of cols) {
    const [bytes, w] = c.split('x').map(Number) as [4 | 8, number];
    emitPackCols(module, bytes, w);
  }
}

/**
 * Packs a block of `len` lines (rows of op(A), or columns of op(B)) by `kc`
 * steps of k into panels of `w` lines, zero-padded to whole panels, at element
 * `dst` of `mem`; the block's first element is at element `src` of `mem`. With
 * `runs`, step p of line l is at `src + p*ld + l`; else at `src + l*ld + p`.
 */
export function packBlock(
  exports: PackExports,
  mem: Float32Array | Float64Array,
  runs: boolean,
  src: number,
  ld: number,
  len: number,
  kc: number,
  w: number,
  dst: number,
): void {
  const bytes = mem.BYTES_PER_ELEMENT as 4 | 8;
  const panels = Math.floor(len / w);
  if (panels > 0) {
    const kernel = runs ? exports[`packRuns${w * bytes}`]! : exports[`packCols${bytes}x${w}`]!;
    kernel(src * bytes, ld * bytes, kc, panels, dst * bytes);
  }
  const tail = len - panels * w;
  if (tail === 0) return;
  const l0 = panels * w;
  const d0 = dst + l0 * kc;
  if (runs) {
    for (let p = 0; p < kc; p++) {
      const s = src + p * ld + l0;
      const d = d0 + p * w;
      for (let r = 0; r < tail; r++) mem[d + r] = mem[s + r]!;
      for (let r = tail; r < w; r++) mem[d + r] = 0;
    }
    return;
  }
  for (let r = 0; r < tail; r++) {
    const s = src + (l0 + r) * ld;
    for (let p = 0; p < kc; p++) mem[d0 + p * w + r] = mem[s + p]!;
  }
  for (let r = tail; r < w; r++) for (let p = 0; p < kc; p++) mem[d0 + p * w + r] = 0;
}
