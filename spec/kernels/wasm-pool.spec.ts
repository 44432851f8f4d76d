/**
 * The WebAssembly pooling kernels (`lib/kernels/wasm/pool.ts`) against the
 * reference kernels of `lib/kernels/pool.ts`: bit for bit, over random
 * geometries (strides, 'same' / 'valid' / explicit padding, odd sizes,
 * channel counts 1, 3, 4, 16, 17, batches 1 to 3), float32 and float64, with
 * values full of ties, signed zeros and NaNs (the first maximum wins; a NaN
 * counts as the maximum). A kernel instance with no size threshold is built
 * here, so the WebAssembly path runs even for tiny inputs.
 */
import fc from 'fast-check';
import { backend } from '../../lib/index.js';
import { kernels, referenceKernels } from '../../lib/kernels/index.js';
import { windowGeometry, type WindowGeometry, type WindowPadding } from '../../lib/kernels/conv.js';
import { POOL_MIN_SIZE, wasmPool } from '../../lib/kernels/wasm/pool.js';
import { kernelModuleBytes, Runtime, wasmApi } from '../../lib/kernels/wasm/runtime.js';
import type { TypedArray } from '../../lib/dtype.js';

const runtime = new Runtime(wasmApi!, new wasmApi!.Module(kernelModuleBytes()));
const fast = wasmPool(runtime, 0);

type Float = 'float32' | 'float64';

interface PoolCase {
  dtype: Float;
  g: WindowGeometry;
  seed: number;
  /** Values drawn from a few (ties), or spread out. */
  ties: boolean;
}

/** Random pooling geometries in which every window has an in-bounds element (as the ops make sure). */
const caseArb = (dtype: Float): fc.Arbitrary<PoolCase> =>
  fc
    .record({
      batch: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 1, max: 12 }),
      w: fc.integer({ min: 1, max: 12 }),
      c: fc.constantFrom(1, 3, 4, 16, 17),
      fh: fc.integer({ min: 1, max: 4 }),
      fw: fc.integer({ min: 1, max: 4 }),
      strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      pad: fc.oneof(
        fc.constant('same' as const),
        fc.constant('valid' as const),
        fc.tuple(fc.tuple(fc.nat(3), fc.nat(3)), fc.tuple(fc.nat(3), fc.nat(3))),
      ),
      seed: fc.nat(1000),
      ties: fc.boolean(),
    })
    .map(({ batch, h, w, c, fh, fw, strides, pad, seed, ties }) => {
      try {
        const g = windowGeometry('maxPool', [batch, h, w, c], [fh, fw], c, strides, [1, 1], {
          padding: pad as WindowPadding,
          rounding: undefined,
        });
        const empty =
          g.padTop >= fh ||
          (g.outHeight - 1) * g.strideHeight - g.padTop >= h ||
          g.padLeft >= fw ||
          (g.outWidth - 1) * g.strideWidth - g.padLeft >= w;
        return g.outHeight > 0 && g.outWidth > 0 && !empty ? { dtype, g, seed, ties } : undefined;
      } catch {
        return undefined;
      }
    })
    .filter((c): c is PoolCase => c !== undefined);

const xSize = (g: WindowGeometry) => g.batch * g.inHeight * g.inWidth * g.inChannels;
const ySize = (g: WindowGeometry) => g.batch * g.outHeight * g.outWidth * g.inChannels;

/** Values: with `ties`, from {-1, -0, 0, 1, 2, NaN} (NaN rarely); else spread over [-1, 1). */
function values(dtype: Float, size: number, seed: number, ties: boolean): TypedArray {
  const out = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  let s = seed >>> 0;
  const few = [-1, -0, 0, 1, 2, 2, 1, 0, -0, NaN];
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ties ? few[(s >>> 8) % (i % 7 === 0 ? 10 : 9)]! : s / 2 ** 31 - 1;
  }
  return out;
}

/** Indices (at most 5) where two results differ, by Object.is. */
function differences(got: TypedArray, want: TypedArray): number[] {
  const differ: number[] = [];
  for (let i = 0; i < want.length && differ.length < 5; i++) if (!Object.is(got[i], want[i])) differ.push(i);
  return differ;
}

type Which = 'maxPool' | 'maxPoolBackprop' | 'maxPoolGather' | 'avgPool' | 'avgPoolBackprop';
type Pools = Pick<typeof referenceKernels, Which>;

/** Runs kernel `which` of `set` on the case's values into a NaN-filled result. */
function run(set: Pools, which: Which, { dtype, g, seed, ties }: PoolCase): TypedArray {
  const x = values(dtype, xSize(g), seed, ties);
  const dy = values(dtype, ySize(g), seed + 1, false);
  const ddx = values(dtype, xSize(g), seed + 2, false);
  const alloc = (size: number) => (dtype === 'float32' ? new Float32Array(size) : new Float64Array(size)).fill(NaN);
  if (which === 'maxPool' || which === 'avgPool') {
    const y = alloc(ySize(g));
    set[which](x, g, y);
    return y;
  }
  if (which === 'maxPoolGather') {
    const y = alloc(ySize(g));
    set.maxPoolGather(ddx, x, g, y);
    return y;
  }
  const dx = alloc(xSize(g));
  if (which === 'maxPoolBackprop') set.maxPoolBackprop(dy, x, g, dx);
  else set.avgPoolBackprop(dy, g, dx);
  return dx;
}

const WHICH: Which[] = ['maxPool', 'maxPoolBackprop', 'maxPoolGather', 'avgPool', 'avgPoolBackprop'];

describe('the WebAssembly pooling kernels give the reference kernels’ bits', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const which of WHICH) {
      test(`${which}, ${dtype}: random geometries, ties, signed zeros and NaNs`, () => {
        fc.assert(
          fc.property(caseArb(dtype), (c) => {
            const show = { dtype, ties: c.ties, ...c.g };
            expect({ ...show, differ: differences(run(fast, which, c), run(referenceKernels, which, c)) }).toEqual({
              ...show,
              differ: [],
            });
          }),
          { numRuns: 80 },
        );
      });
    }
  }

  test('the CNN’s pooling layers, and overlapping windows (3x3, stride 2)', () => {
    const cases: [number[], number, number, WindowPadding][] = [
      [[3, 28, 28, 16], 2, 2, 'valid'],
      [[2, 14, 14, 32], 2, 2, 'valid'],
      [[2, 15, 13, 17], 3, 2, 'same'],
    ];
    for (const [shape, f, s, padding] of cases) {
      const g = windowGeometry('maxPool', shape, [f, f], shape[3]!, [s, s], [1, 1], { padding, rounding: undefined });
      for (const which of WHICH) {
        for (const ties of [false, true]) {
          const c = { dtype: 'float32' as const, g, seed: 5, ties };
          expect({ which, shape, differ: differences(run(fast, which, c), run(referenceKernels, which, c)) }).toEqual({
            which,
            shape,
            differ: [],
          });
        }
      }
    }
  });
});

test('maxPoolBackprop with signed zeros and NaNs in dy: +0 + dy at each maximum, as the reference sums', () => {
  for (const [shape, f, s, padding] of [
    [[2, 8, 8, 6], 2, 2, 'valid'], // windows tile x
    [[2, 9, 7, 5], 2, 3, 'same'], // gaps between windows, rows and columns in none
    [[1, 7, 9, 4], 3, 2, 'valid'], // overlapping windows: the float64 scatter
  ] as const) {
    const g = windowGeometry('maxPool', shape, [f, f], shape[3], [s, s], [1, 1], { padding, rounding: undefined });
    const x = values('float32', xSize(g), 3, true);
    const dy = values('float32', ySize(g), 4, true);
    const got = new Float32Array(xSize(g)).fill(NaN);
    const want = new Float32Array(xSize(g)).fill(NaN);
    fast.maxPoolBackprop(dy, x, g, got);
    referenceKernels.maxPoolBackprop(dy, x, g, want);
    expect({ shape, differ: differences(got, want) }).toEqual({ shape, differ: [] });
  }
});

describe('the WebAssembly pooling kernels fall back to the reference kernels', () => {
  test('for small inputs, empty windows, and integer dtypes', () => {
    const g = windowGeometry('maxPool', [1, 4, 4, 2], [2, 2], 2, [2, 2], [1, 1], {
      padding: 'valid',
      rounding: undefined,
    });
    expect(32).toBeLessThan(POOL_MIN_SIZE);
    const thresholded = wasmPool(runtime);
    const c = { dtype: 'float32' as const, g, seed: 1, ties: true };
    for (const which of WHICH)
      expect(differences(run(thresholded, which, c), run(referenceKernels, which, c))).toEqual([]);
    // A window wholly in the padding (the ops refuse these; the kernels leave them to the reference).
    const empty = windowGeometry('maxPool', [1, 3, 3, 1], [1, 1], 1, [1, 1], [1, 1], {
      padding: [
        [0, 0],
        [2, 0],
      ],
      rounding: undefined,
    });
    const e = { dtype: 'float64' as const, g: empty, seed: 2, ties: false };
    for (const which of WHICH) expect(differences(run(fast, which, e), run(referenceKernels, which, e))).toEqual([]);
    const ints = new Int32Array([
      1, 5, 3, 4, 9, 2, 8, 7, 6, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 0, 0, 1, 1,
    ]);
    const y = new Int32Array(8);
    fast.maxPool(ints, g, y);
    const want = new Int32Array(8);
    referenceKernels.maxPool(ints, g, want);
    expect(Array.from(y)).toEqual(Array.from(want));
  });
});

test('the installed kernels are the WebAssembly pooling kernels', () => {
  expect(backend()).toBe('wasm-simd');
  for (const which of WHICH) expect(kernels[which]).not.toBe(referenceKernels[which]);
});
