/**
 * The WebAssembly convolution kernels (`lib/kernels/wasm/conv.ts`) against
 * the reference kernels of `lib/kernels/conv.ts`, over random geometries
 * (strides, dilations, 'same' / 'valid' / explicit padding, odd sizes,
 * channel counts 1, 3, 4, 16, 17, batches 1 to 3), float32 and float64:
 * - bit for bit the reference run with the WebAssembly matmul (same products
 *   summed in the same order; col2im summed in float64 in the same order),
 *   also where the kernels skip the patch matrix (one input channel: direct
 *   loops) or its packing (the filter gradient, channels a multiple of 4);
 * - within rounding of the reference run with the reference matmul (which
 *   sums in float64);
 * - on two threads, bit for bit one thread.
 * Kernel instances with no size threshold are built here, so the WebAssembly
 * path runs even for tiny convolutions, and with Winograd off: its kernels
 * have their own reference (`winograd.spec.ts`).
 */
import fc from 'fast-check';
import { values } from './matmul-cases.js';
import { backend } from '../../lib/index.js';
import { kernels, referenceKernels } from '../../lib/kernels/index.js';
import { windowGeometry, type WindowGeometry, type WindowPadding } from '../../lib/kernels/conv.js';
import { CONV_MIN_WORK, wasmConv } from '../../lib/kernels/wasm/conv.js';
import { wasmMatmul } from '../../lib/kernels/wasm/matmul.js';
import { kernelModuleBytes, Runtime, wasmApi } from '../../lib/kernels/wasm/runtime.js';
import { MatmulThreads } from '../../lib/kernels/wasm/threads.js';
import type { TypedArray } from '../../lib/dtype.js';

const runtime = new Runtime(wasmApi!, new wasmApi!.Module(kernelModuleBytes()));
const fastMatmul = wasmMatmul(runtime, 0);
// Winograd off: the direct kernels, whose bits are the reference's (`winograd.spec.ts` tests Winograd).
const fast = wasmConv(runtime, 0, undefined, false);

type Float = 'float32' | 'float64';
type Which = 'conv2d' | 'conv2dBackpropInput' | 'conv2dBackpropFilter';

/** One convolution: geometry, dtype and a seed for its values. */
interface ConvCase {
  dtype: Float;
  g: WindowGeometry;
  seed: number;
}

const paddingArb: fc.Arbitrary<WindowPadding> = fc.oneof(
  fc.constant('same' as const),
  fc.constant('valid' as const),
  fc.tuple(fc.tuple(fc.nat(3), fc.nat(3)), fc.tuple(fc.nat(3), fc.nat(3))) as fc.Arbitrary<WindowPadding>,
);

/** Random convolutions whose output is not empty. */
const caseArb = (dtype: Float): fc.Arbitrary<ConvCase> =>
  fc
    .record({
      batch: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 1, max: 11 }),
      w: fc.integer({ min: 1, max: 11 }),
      c: fc.constantFrom(1, 3, 4, 16, 17),
      outC: fc.constantFrom(1, 2, 5, 8, 9, 16),
      fh: fc.integer({ min: 1, max: 5 }),
      fw: fc.integer({ min: 1, max: 5 }),
      strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      dilations: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      padding: paddingArb,
      seed: fc.nat(1000),
    })
    .map(({ batch, h, w, c, outC, fh, fw, strides, dilations, padding, seed }) => {
      try {
        const g = windowGeometry('conv2d', [batch, h, w, c], [fh, fw], outC, strides, dilations, {
          padding,
          rounding: undefined,
        });
        return g.outHeight > 0 && g.outWidth > 0 ? { dtype, g, seed } : undefined;
      } catch {
        return undefined; // the window does not fit
      }
    })
    .filter((c): c is ConvCase => c !== undefined);

const xSize = (g: WindowGeometry) => g.batch * g.inHeight * g.inWidth * g.inChannels;
const ySize = (g: WindowGeometry) => g.batch * g.outHeight * g.outWidth * g.outChannels;
const fSize = (g: WindowGeometry) => g.filterHeight * g.filterWidth * g.inChannels * g.outChannels;
const alloc = (dtype: Float, size: number) => (dtype === 'float32' ? new Float32Array(size) : new Float64Array(size));

/** The operands of `which` (`a`, `b`) and the size of its result. */
function operands(which: Which, { dtype, g, seed }: ConvCase): { a: TypedArray; b: TypedArray; size: number } {
  const x = values(dtype, xSize(g), seed);
  const filter = values(dtype, fSize(g), seed + 1);
  const dy = values(dtype, ySize(g), seed + 2);
  if (which === 'conv2d') return { a: x, b: filter, size: ySize(g) };
  if (which === 'conv2dBackpropInput') return { a: dy, b: filter, size: xSize(g) };
  return { a: x, b: dy, size: fSize(g) };
}

type ConvKernel = (a: TypedArray, b: TypedArray, g: WindowGeometry, out: TypedArray, matmul: typeof fastMatmul) => void;

/** Runs `kernel` with `matmul` on the case's operands (their absolute values with `abs`) into a NaN-filled result. */
function run(kernel: ConvKernel, which: Which, c: ConvCase, matmul = fastMatmul, abs = false): TypedArray {
  const { a, b, size } = operands(which, c);
  const out = alloc(c.dtype, size).fill(NaN);
  kernel(abs ? a.map(Math.abs) : a, abs ? b.map(Math.abs) : b, c.g, out, matmul);
  return out;
}

/** Indices (at most 5) where two results differ, by Object.is. */
function differences(got: TypedArray, want: TypedArray): number[] {
  const differ: number[] = [];
  for (let i = 0; i < want.length && differ.length < 5; i++) if (!Object.is(got[i], want[i])) differ.push(i);
  return differ;
}

const WHICH: Which[] = ['conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter'];
const show = ({ dtype, g }: ConvCase) => ({ dtype, ...g });

describe('the WebAssembly convolutions give the reference kernels’ bits (with the WebAssembly matmul)', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const which of WHICH) {
      test(`${which}, ${dtype}: random geometries`, () => {
        fc.assert(
          fc.property(caseArb(dtype), (c) => {
            const got = run(fast[which], which, c);
            const want = run(referenceKernels[which], which, c);
            expect({ ...show(c), differ: differences(got, want) }).toEqual({ ...show(c), differ: [] });
          }),
          { numRuns: 60 },
        );
      });
    }
  }

  test.each([
    // [batch, h, w, c, outC, fh, fw, stride, dilation, padding]: the CNN's layers, blocks across KC and MC, ragged tiles
    [2, 28, 28, 1, 16, 5, 5, 1, 1, 'same'],
    [2, 14, 14, 16, 32, 5, 5, 1, 1, 'same'],
    [3, 13, 11, 17, 9, 3, 4, 2, 1, 'valid'],
    [1, 20, 19, 4, 7, 5, 3, 1, 2, 'same'],
    [4, 15, 15, 8, 6, 3, 3, 1, 2, 'same'], // filter gradient: patches straight into panels, 900 positions in 4 blocks
    [
      2,
      9,
      10,
      3,
      5,
      4,
      4,
      3,
      1,
      [
        [2, 1],
        [0, 3],
      ],
    ],
  ] as const)(
    'x [%i, %i, %i, %i], %i filters %ix%i, stride %i, dilation %i, pad %j: the CNN’s layers, blocks across KC and MC',
    (batch, h, w, c, outC, fh, fw, s, d, pad) => {
      const g = windowGeometry('conv2d', [batch, h, w, c], [fh, fw], outC, [s, s], [d, d], {
        padding: pad as WindowPadding,
        rounding: undefined,
      });
      for (const dtype of ['float32', 'float64'] as const) {
        for (const which of WHICH) {
          const cc = { dtype, g, seed: 7 };
          expect({
            which,
            dtype,
            differ: differences(run(fast[which], which, cc), run(referenceKernels[which], which, cc)),
          }).toEqual({ which, dtype, differ: [] });
        }
      }
    },
  );
});

describe('single-channel convolutions (direct kernels, no patch matrix) give the reference kernels’ bits', () => {
  /** Random float32 convolutions of one input channel, with 4 to 36 output channels (1 to 4 vectors a call, one to three calls). */
  const singleArb = caseArb('float32')
    .chain((c) =>
      fc.constantFrom(4, 8, 12, 16, 20, 36).map((outC) => ({ ...c, g: { ...c.g, inChannels: 1, outChannels: outC } })),
    )
    .map((c) => ({ ...c, g: { ...c.g, batch: Math.min(c.g.batch, 2) } }));
  for (const which of ['conv2d', 'conv2dBackpropFilter'] as const) {
    test(`${which}: random geometries`, () => {
      fc.assert(
        fc.property(singleArb, (c) => {
          const got = run(fast[which], which, c);
          const want = run(referenceKernels[which], which, c);
          expect({ ...show(c), differ: differences(got, want) }).toEqual({ ...show(c), differ: [] });
        }),
        { numRuns: 80 },
      );
    });
  }

  test('infinities and NaNs in x, the filter and dy: padding taps multiply them as the patch matrix’s zeros do', () => {
    const g = windowGeometry('conv2d', [2, 9, 8, 1], [3, 4], 8, [2, 1], [1, 2], {
      padding: 'same',
      rounding: undefined,
    });
    const special = (a: TypedArray) => {
      const out = Float32Array.from(a);
      for (let i = 0; i < out.length; i += 7) out[i] = [Infinity, -Infinity, NaN, -0][(i / 7) % 4]!;
      return out;
    };
    const x = special(values('float32', xSize(g), 1));
    const filter = special(values('float32', fSize(g), 2));
    const dy = special(values('float32', ySize(g), 3));
    for (const [which, a, b, size] of [
      ['conv2d', x, filter, ySize(g)],
      ['conv2dBackpropFilter', x, dy, fSize(g)],
    ] as const) {
      const got = new Float32Array(size).fill(1);
      const want = new Float32Array(size).fill(2);
      fast[which](a, b, g, got, fastMatmul);
      referenceKernels[which](a, b, g, want, fastMatmul);
      expect({ which, differ: differences(got, want) }).toEqual({ which, differ: [] });
    }
  });

  test('the CNN’s first layer (28x28, 16 filters 5x5, same) and a valid one whose last rows and columns are never read', () => {
    for (const [shape, outC, fh, stride, pad] of [
      [[3, 28, 28, 1], 16, 5, 1, 'same'],
      [[2, 12, 11, 1], 12, 3, 2, 'valid'],
    ] as const) {
      const g = windowGeometry('conv2d', shape, [fh, fh], outC, [stride, stride], [1, 1], {
        padding: pad,
        rounding: undefined,
      });
      for (const which of ['conv2d', 'conv2dBackpropFilter'] as const) {
        const c = { dtype: 'float32' as const, g, seed: 11 };
        expect({
          which,
          shape,
          differ: differences(run(fast[which], which, c), run(referenceKernels[which], which, c)),
        }).toEqual({ which, shape, differ: [] });
      }
    }
  });
});

describe('the WebAssembly convolutions are within rounding of the reference kernels (float64 sums)', () => {
  for (const which of WHICH) {
    test(`${which}, float32`, () => {
      fc.assert(
        fc.property(caseArb('float32'), (c) => {
          const got = run(fast[which], which, c);
          const want = run(referenceKernels[which], which, c, referenceKernels.matmul);
          // Each result sums at most k = FH*FW*max(C, outC) products (rounded in float32), then rounds once more.
          const bound = run(referenceKernels[which], which, c, referenceKernels.matmul, true);
          const k = c.g.filterHeight * c.g.filterWidth * Math.max(c.g.inChannels, c.g.outChannels);
          const eps = (k + c.g.filterHeight * c.g.filterWidth + 2) * 2 ** -23;
          let worst = 0;
          for (let i = 0; i < got.length; i++) {
            const err = Math.abs(got[i]! - want[i]!) - eps * bound[i]! - 1e-30;
            if (!(err <= 0)) worst = Number.isNaN(err) ? NaN : Math.max(worst, err);
          }
          expect({ ...show(c), worst }).toEqual({ ...show(c), worst: 0 });
        }),
        { numRuns: 40 },
      );
    });
  }
});

describe('the WebAssembly convolutions fall back to the reference kernels', () => {
  const g = windowGeometry('conv2d', [1, 6, 6, 2], [3, 3], 4, [1, 1], [1, 1], { padding: 'same', rounding: undefined });
  /** A matmul that counts its calls. */
  const counting = () => {
    const calls = { n: 0 };
    const matmul: typeof fastMatmul = (...args) => {
      calls.n++;
      referenceKernels.matmul(...args);
    };
    return { calls, matmul };
  };

  test('below the work threshold, with the matmul kernel passed in; above it, in place', () => {
    const small = wasmConv(runtime); // 6*6*9*2*4 = 2592 multiply-adds < CONV_MIN_WORK
    expect(36 * 18 * 4).toBeLessThan(CONV_MIN_WORK);
    for (const which of WHICH) {
      const { calls, matmul } = counting();
      const c = { dtype: 'float32' as const, g, seed: 3 };
      const got = run(small[which], which, c, matmul);
      expect(calls.n).toBe(1);
      expect(differences(got, run(referenceKernels[which], which, c, referenceKernels.matmul))).toEqual([]);
      run(fast[which], which, c, matmul);
      expect(calls.n).toBe(1);
    }
  });

  test('mixed or integer dtypes go to the reference kernels', () => {
    const { calls, matmul } = counting();
    const x = values('float64', 72, 1);
    const filter = values('float32', 72, 2);
    const y = new Float64Array(144).fill(NaN);
    fast.conv2d(x, filter, g, y, matmul);
    const want = new Float64Array(144);
    referenceKernels.conv2d(x, filter, g, want, referenceKernels.matmul);
    expect(calls.n).toBe(1);
    expect(differences(y, want)).toEqual([]);
    const ints = new Int32Array(72).fill(2);
    const out = new Int32Array(144);
    fast.conv2d(ints, new Int32Array(72).fill(1), g, out, referenceKernels.matmul);
    expect(Array.from(out.subarray(0, 2))).toEqual([16, 16]); // corner: 4 taps x 2 channels x 2
  });
});

describe('the WebAssembly convolutions on two threads give one thread’s bits', () => {
  const sharedRuntime = new Runtime(wasmApi!, new wasmApi!.Module(kernelModuleBytes(undefined, true)), undefined, true);
  const threads = new MatmulThreads(sharedRuntime);
  threads.minWork = 0;
  const shared = wasmConv(sharedRuntime, 0, threads, false);

  beforeAll(async () => {
    await expect(threads.start()).resolves.toBe(true);
  });
  afterAll(() => threads.stop());

  for (const workerOnly of [false, true]) {
    test(`random geometries${workerOnly ? ', every task on the worker' : ''}`, () => {
      threads.workerOnly = workerOnly;
      const before = threads.workerTasks;
      fc.assert(
        fc.property(caseArb('float32'), fc.constantFrom(...WHICH), (c, which) => {
          const got = run(shared[which], which, c);
          const want = run(fast[which], which, c);
          expect({ ...show(c), which, differ: differences(got, want) }).toEqual({ ...show(c), which, differ: [] });
        }),
        { numRuns: 40 },
      );
      if (workerOnly) expect(threads.workerTasks).toBeGreaterThan(before);
      threads.workerOnly = false;
    });
  }

  // Channels a multiple of 4 take the programs of calls that both threads run whole (im2col included): tasks of
  // output positions (forward), of output-channel panels (filter gradient) and of images (input gradient).
  const cnn: [string, WindowGeometry][] = [
    ['the CNN’s second layer, 3 images', geometry([3, 14, 14, 16], [5, 5], 32, [1, 1], [1, 1], 'same')],
    ['strided, dilated, 5 images, odd positions', geometry([5, 9, 7, 4], [3, 2], 24, [2, 1], [1, 2], 'valid')],
  ];
  for (const [name, g] of cnn) {
    for (const which of WHICH) {
      for (const workerOnly of [false, true]) {
        test(`${name}: ${which}${workerOnly ? ', every task on the worker' : ''}`, () => {
          threads.workerOnly = workerOnly;
          const before = threads.workerTasks;
          const c: ConvCase = { dtype: 'float32', g, seed: 5 };
          const got = run(shared[which], which, c);
          threads.workerOnly = false;
          expect(differences(got, run(fast[which], which, c))).toEqual([]);
          if (workerOnly) expect(threads.workerTasks).toBeGreaterThan(before);
        });
      }
    }
  }
});

function geometry(
  xShape: number[],
  filter: [number, number],
  outChannels: number,
  strides: [number, number],
  dilations: [number, number],
  padding: WindowPadding,
): WindowGeometry {
  return windowGeometry('conv2d', xShape, filter, outChannels, strides, dilations, { padding, rounding: undefined });
}

test('the installed kernels are the WebAssembly convolutions', () => {
  expect(backend()).toBe('wasm-simd');
  for (const which of WHICH) expect(kernels[which]).not.toBe(referenceKernels[which]);
});
