/**
 * The WebAssembly pack kernels (`lib/kernels/wasm/pack.ts`) against a naive
 * packing written here: every panel width of both register tiles, both access
 * patterns (runs along the panel, or lines along k), odd lengths that leave a
 * partial, zero-padded panel, line strides wider than the block, and the
 * memory around the destination left alone; float32 and float64, bit for bit.
 */
import fc from 'fast-check';
import { values } from './matmul-cases.js';
import { packBlock } from '../../lib/kernels/wasm/pack.js';
import { kernelModuleBytes, Runtime, wasmApi } from '../../lib/kernels/wasm/runtime.js';
import { TILE_F32, TILE_F64 } from '../../lib/kernels/wasm/gemm.js';

const runtime = new Runtime(wasmApi!, new wasmApi!.Module(kernelModuleBytes()));

/** Element (line l, step p) of the source, as `packBlock` is told to read it. */
const at = (runs: boolean, src: number, ld: number, l: number, p: number) =>
  runs ? src + p * ld + l : src + l * ld + p;

interface PackCase {
  runs: boolean;
  len: number;
  kc: number;
  w: number;
  /** Extra elements of line stride beyond the block. */
  slack: number;
  /** Where the block starts in the source region (an offset that is not a multiple of the vector width). */
  shift: number;
}

function check(dtype: 'float32' | 'float64', c: PackCase, seed: number): void {
  const { runs, len, kc, w, slack, shift } = c;
  const ld = (runs ? len : kc) + slack;
  const lines = runs ? kc : len;
  const panels = Math.ceil(len / w);
  const srcSize = shift + lines * ld;
  const dstSize = panels * w * kc;
  const bytes = dtype === 'float32' ? 4 : 8;
  const canary = 8;
  // Layout: source region, then canary, destination, canary.
  const src = 0;
  const dst = srcSize + canary;
  runtime.reserve((dst + dstSize + canary) * bytes);
  const mem = dtype === 'float32' ? runtime.f32() : runtime.f64();
  const raw = values(dtype, srcSize, seed);
  mem.set(raw, src);
  mem.fill(NaN, srcSize, dst + dstSize + canary);
  packBlock(runtime.exports, mem, runs, src + shift, ld, len, kc, w, dst);
  const expected = dtype === 'float32' ? new Float32Array(dstSize) : new Float64Array(dstSize);
  for (let l = 0; l < len; l++)
    for (let p = 0; p < kc; p++)
      expected[Math.floor(l / w) * w * kc + p * w + (l % w)] = raw[at(runs, shift, ld, l, p)]!;
  expect(mem.slice(dst, dst + dstSize)).toEqual(expected);
  expect(Array.from(mem.subarray(srcSize, dst)).every(Number.isNaN)).toBe(true);
  expect(Array.from(mem.subarray(dst + dstSize, dst + dstSize + canary)).every(Number.isNaN)).toBe(true);
  expect(mem.slice(src, srcSize)).toEqual(raw); // the source is only read
}

describe('the WebAssembly pack kernels lay out panels exactly as a naive loop', () => {
  for (const [dtype, tile] of [
    ['float32', TILE_F32],
    ['float64', TILE_F64],
  ] as const) {
    const caseArb = fc.record({
      runs: fc.boolean(),
      len: fc.integer({ min: 1, max: 70 }),
      kc: fc.integer({ min: 1, max: 40 }),
      w: fc.constantFrom(tile.mr, tile.nr),
      slack: fc.integer({ min: 0, max: 9 }),
      shift: fc.integer({ min: 0, max: 5 }),
    });
    test(`${dtype}: random lengths, steps, strides and offsets, both access patterns`, () => {
      fc.assert(
        fc.property(caseArb, fc.integer({ min: 1, max: 1000 }), (c, seed) => check(dtype, c, seed)),
        { numRuns: 150 },
      );
    });
    test(`${dtype}: whole panels only, one partial panel only, and a single element`, () => {
      for (const runs of [true, false])
        for (const w of [tile.mr, tile.nr]) {
          check(dtype, { runs, len: 3 * w, kc: 17, w, slack: 0, shift: 0 }, 1);
          check(dtype, { runs, len: w - 1, kc: 5, w, slack: 2, shift: 1 }, 2);
          check(dtype, { runs, len: 1, kc: 1, w, slack: 0, shift: 3 }, 3);
          check(dtype, { runs, len: 2 * w + 1, kc: 256, w, slack: 3, shift: 2 }, 4);
        }
    });
  }

  test('the module exports a kernel for every panel the tiles need', () => {
    for (const { bytes, mr, nr } of [TILE_F32, TILE_F64])
      for (const w of [mr, nr]) {
        expect(typeof runtime.exports[`packRuns${w * bytes}`]).toBe('function');
        expect(typeof runtime.exports[`packCols${bytes}x${w}`]).toBe('function');
      }
  });
});
