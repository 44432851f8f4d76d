/**
 * Winograd F(4×4, 5×5) (`lib/kernels/winograd.ts`, `lib/kernels/wasm/winograd*.ts`):
 * - the transforms compute 1-D correlation exactly (float64);
 * - the WebAssembly kernels give the TypeScript reference's bits, forward,
 *   input gradient and filter gradient, over random shapes and paddings, on
 *   one thread and on two;
 * - both are within rounding of the direct convolution (the reference kernels);
 * - the installed float32 kernels take it for the CNN's second layer, and
 *   below the size thresholds, in float64, for other filters and with
 *   `TAPEGRAD_WINOGRAD=0` they stay direct.
 */
import fc from 'fast-check';
import { values } from './matmul-cases.js';
import { backend } from '../../lib/index.js';
import { kernels, referenceKernels } from '../../lib/kernels/index.js';
import { windowGeometry, type WindowGeometry, type WindowPadding } from '../../lib/kernels/conv.js';
import {
  AT,
  BT,
  G,
  filterGradientTasks,
  filterSumsStride,
  forwardShape,
  sumFilterTasks,
  untransformFilterGradient,
  winogradFilterFits,
  winogradFilterPartial,
  inputGradientShape,
  transformFilter,
  transformedFilterSize,
  winogradConv2d,
  winogradFits,
} from '../../lib/kernels/winograd.js';
import { WINOGRAD_THRESHOLDS, wasmConv } from '../../lib/kernels/wasm/conv.js';
import { kernelModuleBytes, Runtime, wasmApi } from '../../lib/kernels/wasm/runtime.js';
import { MatmulThreads } from '../../lib/kernels/wasm/threads.js';
import { lastJson, runBundled } from './bundled-child.js';

const runtime = new Runtime(wasmApi!, new wasmApi!.Module(kernelModuleBytes()));
/** Winograd whatever the size, on this thread. */
const ALWAYS = { minWork: 0, minPositions: 0 };
const wino = wasmConv(runtime, 0, undefined, ALWAYS);

type Which = 'conv2d' | 'conv2dBackpropInput' | 'conv2dBackpropFilter';
const WHICH: Which[] = ['conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter'];

interface Case {
  g: WindowGeometry;
  seed: number;
}

const geometry = (x: number[], outC: number, padding: WindowPadding): WindowGeometry =>
  windowGeometry('conv2d', x, [5, 5], outC, [1, 1], [1, 1], { padding, rounding: undefined });

/** Random 5×5 stride-1 convolutions that Winograd takes: 'same', 'valid' or explicit padding of 0 to 4. */
const caseArb: fc.Arbitrary<Case> = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 1, max: 13 }),
    w: fc.integer({ min: 1, max: 13 }),
    c: fc.constantFrom(4, 8, 16),
    outC: fc.constantFrom(4, 8, 12, 16),
    padding: fc.oneof(
      fc.constant('same' as const),
      fc.constant('valid' as const),
      fc.tuple(fc.tuple(fc.nat(4), fc.nat(4)), fc.tuple(fc.nat(4), fc.nat(4))) as fc.Arbitrary<WindowPadding>,
    ),
    seed: fc.nat(1000),
  })
  .map(({ batch, h, w, c, outC, padding, seed }) => {
    try {
      const g = geometry([batch, h, w, c], outC, padding);
      return winogradFits(g) ? { g, seed } : undefined;
    } catch {
      return undefined; // the window does not fit
    }
  })
  .filter((c): c is Case => c !== undefined);

/** The cases `which` takes as Winograd: the filter gradient needs output channels in whole panels of 8. */
const casesFor = (which: Which) =>
  which === 'conv2dBackpropFilter' ? caseArb.filter((c) => winogradFilterFits(c.g)) : caseArb;

const xSize = (g: WindowGeometry) => g.batch * g.inHeight * g.inWidth * g.inChannels;
const ySize = (g: WindowGeometry) => g.batch * g.outHeight * g.outWidth * g.outChannels;

/** The case's operands for `which` and the size of its result. */
function operands(which: Which, { g, seed }: Case) {
  const fSize = 25 * g.inChannels * g.outChannels;
  const x = values('float32', xSize(g), seed) as Float32Array;
  const filter = values('float32', fSize, seed + 1) as Float32Array;
  const dy = values('float32', ySize(g), seed + 2) as Float32Array;
  if (which === 'conv2d') return { a: x, b: filter, size: ySize(g) };
  if (which === 'conv2dBackpropInput') return { a: dy, b: filter, size: xSize(g) };
  return { a: x, b: dy, size: fSize };
}

type Kernel = (a: Float32Array, b: Float32Array, g: WindowGeometry, out: Float32Array, matmul: never) => void;

/** Runs a kernel set's `which` on the case into a NaN-filled result. */
function run(set: { [K in Which]: unknown }, which: Which, c: Case): Float32Array {
  const { a, b, size } = operands(which, c);
  const out = new Float32Array(size).fill(NaN);
  (set[which] as Kernel)(a, b, c.g, out, referenceKernels.matmul as never);
  return out;
}

/** The TypeScript Winograd reference on the case. */
function reference(which: Which, c: Case): Float32Array {
  const { a, b, size } = operands(which, c);
  const out = new Float32Array(size).fill(NaN);
  if (which === 'conv2dBackpropFilter') {
    const shape = forwardShape(c.g);
    const tasks = filterGradientTasks(shape);
    const block = 64 * filterSumsStride(shape);
    const sums = new Float32Array(tasks.length * block);
    tasks.forEach(([t0, count], task) => winogradFilterPartial(a, b, shape, t0, count, sums, task * block));
    sumFilterTasks(sums, 0, tasks.length, shape);
    untransformFilterGradient(sums, 0, shape, out);
    return out;
  }
  const shape = which === 'conv2d' ? forwardShape(c.g) : inputGradientShape(c.g);
  const u = new Float32Array(transformedFilterSize(shape));
  transformFilter(b, shape, which === 'conv2dBackpropInput', u, 0);
  winogradConv2d(a, u, shape, out);
  return out;
}

/** Indices (at most 5) where two results differ, by Object.is. */
function differences(got: Float32Array, want: Float32Array): number[] {
  const differ: number[] = [];
  for (let i = 0; i < want.length && differ.length < 5; i++) if (!Object.is(got[i], want[i])) differ.push(i);
  return differ;
}

/** The largest |got − want| over the largest |want|. */
function relativeError(got: Float32Array, want: Float32Array): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return scale === 0 ? err : err / scale;
}

const show = ({ g }: Case) => ({ ...g });

test('the transforms compute 1-D correlation exactly: Aᵀ[(G g) ⊙ (Bᵀ d)] = (d ⋆ g), in float64', () => {
  const mv = (m: readonly (readonly number[])[], v: number[]) =>
    m.map((row) => row.reduce((s, w, i) => s + w * v[i]!, 0));
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }),
      fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }),
      (d, g) => {
        const u = mv(G, g);
        const v = mv(BT, d);
        const y = mv(
          AT,
          u.map((x, i) => x * v[i]!),
        );
        for (let i = 0; i < 4; i++) {
          const want = g.reduce((s, w, k) => s + w * d[i + k]!, 0);
          expect(Math.abs(y[i]! - want)).toBeLessThan(1e-12);
        }
      },
    ),
    { numRuns: 200 },
  );
});

describe('the WebAssembly Winograd kernel', () => {
  for (const which of WHICH) {
    test(`${which}: the TypeScript reference's bits, random shapes and paddings`, () => {
      fc.assert(
        fc.property(casesFor(which), (c) => {
          expect({ ...show(c), differ: differences(run(wino, which, c), reference(which, c)) }).toEqual({
            ...show(c),
            differ: [],
          });
        }),
        { numRuns: 60 },
      );
    });

    test(`${which}: within 2e-5 of the largest output of the direct convolution`, () => {
      fc.assert(
        fc.property(casesFor(which), (c) => {
          const direct = run(referenceKernels, which, c);
          expect(relativeError(run(wino, which, c), direct)).toBeLessThan(2e-5);
        }),
        { numRuns: 40 },
      );
    });
  }

  test('the CNN’s second layer (8 images of 14×14×16 into 32 channels): the reference’s bits, 1e-5 of direct', () => {
    const c: Case = { g: geometry([8, 14, 14, 16], 32, 'same'), seed: 7 };
    for (const which of WHICH) {
      const got = run(wino, which, c);
      expect(differences(got, reference(which, c))).toEqual([]);
      const err = relativeError(got, run(referenceKernels, which, c));
      expect(err).toBeLessThan(1e-5);
      expect(err).toBeGreaterThan(0); // Winograd's rounding, not the direct convolution's
    }
  });
});

describe('on two threads, one thread’s bits', () => {
  const sharedRuntime = new Runtime(wasmApi!, new wasmApi!.Module(kernelModuleBytes(undefined, true)), undefined, true);
  const threads = new MatmulThreads(sharedRuntime);
  threads.minWork = 0;
  const shared = wasmConv(sharedRuntime, 0, threads, ALWAYS);

  beforeAll(async () => {
    await expect(threads.start()).resolves.toBe(true);
  });
  afterAll(() => threads.stop());

  for (const workerOnly of [false, true]) {
    test(`random shapes${workerOnly ? ', every task on the worker' : ''}`, () => {
      threads.workerOnly = workerOnly;
      const before = threads.workerTasks;
      fc.assert(
        fc.property(caseArb, fc.constantFrom(...WHICH), (c, which) => {
          if (which === 'conv2dBackpropFilter' && !winogradFilterFits(c.g)) return;
          expect({ ...show(c), which, differ: differences(run(shared, which, c), run(wino, which, c)) }).toEqual({
            ...show(c),
            which,
            differ: [],
          });
        }),
        { numRuns: 30 },
      );
      threads.workerOnly = false;
      if (workerOnly) expect(threads.workerTasks).toBeGreaterThan(before);
    });
  }

  test('the CNN’s second layer, every task on the worker', () => {
    const c: Case = { g: geometry([8, 14, 14, 16], 32, 'same'), seed: 3 };
    for (const which of WHICH) {
      threads.workerOnly = true;
      const before = threads.workerTasks;
      const got = run(shared, which, c);
      threads.workerOnly = false;
      expect(threads.workerTasks).toBeGreaterThan(before);
      expect(differences(got, reference(which, c))).toEqual([]);
    }
  });
});

describe('which convolutions the installed kernels run as Winograd', () => {
  const cnn: Case = { g: geometry([8, 14, 14, 16], 32, 'same'), seed: 11 };

  test('float32, 5×5, stride 1, past both thresholds: the Winograd reference’s bits', () => {
    expect(backend()).toBe('wasm-simd');
    for (const which of WHICH) expect(differences(run(kernels, which, cnn), reference(which, cnn))).toEqual([]);
  });

  test('below either threshold, the direct convolution’s bits', () => {
    const direct = wasmConv(runtime, 0, undefined, false);
    // 576 positions and 7.4M multiply-adds; 1,152 positions and 0.9M multiply-adds.
    const fewPositions: Case = { g: geometry([1, 24, 24, 16], 32, 'same'), seed: 11 };
    const littleWork: Case = { g: geometry([2, 24, 24, 4], 8, 'same'), seed: 12 };
    expect(576).toBeLessThan(WINOGRAD_THRESHOLDS.minPositions);
    expect(25 * 1152 * 4 * 8).toBeLessThan(WINOGRAD_THRESHOLDS.minWork);
    expect(1152).toBeGreaterThanOrEqual(WINOGRAD_THRESHOLDS.minPositions);
    expect(25 * 576 * 16 * 32).toBeGreaterThanOrEqual(WINOGRAD_THRESHOLDS.minWork);
    for (const c of [fewPositions, littleWork]) {
      for (const which of WHICH) expect(differences(run(kernels, which, c), run(direct, which, c))).toEqual([]);
    }
  });

  test('shapes Winograd does not take stay direct', () => {
    const strided = windowGeometry('conv2d', [64, 14, 14, 16], [5, 5], 32, [2, 2], [1, 1], {
      padding: 'same',
      rounding: undefined,
    });
    const threeByThree = windowGeometry('conv2d', [64, 14, 14, 16], [3, 3], 32, [1, 1], [1, 1], {
      padding: 'same',
      rounding: undefined,
    });
    const oddChannels = geometry([64, 14, 14, 15], 32, 'same');
    for (const g of [strided, threeByThree, oddChannels]) expect(winogradFits(g)).toBe(false);
    expect(
      winogradFits(
        geometry([64, 14, 14, 16], 32, [
          [5, 0],
          [0, 0],
        ]),
      ),
    ).toBe(false); // padding past 4
    expect(winogradFits(cnn.g)).toBe(true);
    expect(winogradFilterFits(cnn.g)).toBe(true);
    expect(winogradFits(geometry([64, 14, 14, 16], 12, 'same'))).toBe(true);
    expect(winogradFilterFits(geometry([64, 14, 14, 16], 12, 'same'))).toBe(false); // 12 output channels
  });

  test('float64 stays direct: the reference kernels’ bits', () => {
    const x = values('float64', xSize(cnn.g), 1);
    const filter = values('float64', 25 * 16 * 32, 2);
    const got = new Float64Array(ySize(cnn.g));
    const want = new Float64Array(ySize(cnn.g));
    kernels.conv2d(x, filter, cnn.g, got, kernels.matmul);
    referenceKernels.conv2d(x, filter, cnn.g, want, kernels.matmul);
    expect(differences(got as unknown as Float32Array, want as unknown as Float32Array)).toEqual([]);
  });
});

/** In a fresh process: whether the installed conv2d on the CNN's second layer (8 images) gives the direct kernel's bits. */
const INSTALLED = `
import { backend } from '../../lib/index.js';
import { kernels } from '../../lib/kernels/index.js';
import { windowGeometry } from '../../lib/kernels/conv.js';
import { wasmConv } from '../../lib/kernels/wasm/conv.js';
import { kernelModuleBytes, Runtime, wasmApi } from '../../lib/kernels/wasm/runtime.js';
const g = windowGeometry('conv2d', [8, 14, 14, 16], [5, 5], 32, [1, 1], [1, 1], { padding: 'same', rounding: undefined });
const x = Float32Array.from({ length: 8 * 196 * 16 }, (_, i) => Math.sin(i));
const f = Float32Array.from({ length: 25 * 16 * 32 }, (_, i) => Math.cos(i));
const got = new Float32Array(8 * 196 * 32);
const want = new Float32Array(got.length);
kernels.conv2d(x, f, g, got, kernels.matmul);
const runtime = new Runtime(wasmApi, new wasmApi.Module(kernelModuleBytes()));
wasmConv(runtime, 0, undefined, false).conv2d(x, f, g, want, kernels.matmul);
let differ = 0;
for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) differ++;
console.log(JSON.stringify({ backend: backend(), direct: differ === 0 }));
`;

test('TAPEGRAD_WINOGRAD=0 keeps the installed convolutions direct; unset, they run as Winograd', async () => {
  const [unset, off] = await Promise.all([
    runBundled(INSTALLED),
    runBundled(INSTALLED, [], { TAPEGRAD_WINOGRAD: '0' }),
  ]);
  expect(lastJson(unset)).toEqual({ backend: 'wasm-simd', direct: false });
  expect(lastJson(off)).toEqual({ backend: 'wasm-simd', direct: true });
}, 90_000);
