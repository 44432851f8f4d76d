/**
 * The WGSL convolution and pooling kernels against the reference (CPU) kernels, on geometries built as the ops build
 * them (windowGeometry): 'same' and 'valid' padding, strides 2, dilation 2, explicit padding (with a negative
 * padBottom), a 1x1 filter, a window larger than the input, batch 3, channel multiplier 2.
 *
 * Tolerances: a convolution output (or gradient) element summing `taps` products of values bounded by X and W is
 * compared with |gpu - cpu| <= taps * 2^-21 * X * W. The GPU sums in float32 (the filter gradients partly in a tree),
 * the CPU in float64 and rounds once, so the difference is float32 round-off of at most `taps` additions (each at most
 * 2^-24 of a partial sum bounded by taps * X * W, which the 2^-21 covers several times over for these sizes). The
 * averages use the same bound with `taps` the window size and X * W replaced by max|x| (or max|dy|).
 * maxPool and maxPoolGather copy bits and are compared bit for bit (NaN, -0 and ties included); maxPoolBackprop is
 * bit for bit where no input element collects more than two windows' dy (a float32 sum of two float32 values is the
 * rounded exact sum, as the CPU's float64 sum rounded is), and within the bound above otherwise.
 */
import { referenceKernels } from '../../lib/kernels/index.js';
import { windowGeometry, type WindowGeometry, type WindowPadding } from '../../lib/kernels/conv.js';
import type { GpuArray } from '../../lib/kernels/webgpu/buffers.js';
import { WORKGROUP } from '../../lib/kernels/webgpu/context.js';
import { FILTER_REDUCE_GROUPS, FILTER_REDUCE_POSITIONS, gpuConv } from '../../lib/kernels/webgpu/conv.js';
import { gpuPool } from '../../lib/kernels/webgpu/pool.js';
import { describeGpu, gpuTitle, seeded, useGpuContext } from './harness.js';

/** A window sweep: x's NHWC shape, window size, output channels (or multiplier), strides, dilations and padding. */
interface Sweep {
  readonly name: string;
  readonly x: readonly [number, number, number, number];
  readonly window: readonly [number, number];
  readonly channels: number;
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  readonly pad: WindowPadding;
}

const sweep = (
  name: string,
  x: Sweep['x'],
  window: Sweep['window'],
  channels: number,
  strides: Sweep['strides'],
  dilations: Sweep['dilations'],
  pad: WindowPadding,
): Sweep => ({ name, x, window, channels, strides, dilations, pad });

/** The geometry the ops would build, with `outChannels` output channels. */
const geometryOf = (s: Sweep, outChannels: number): WindowGeometry =>
  windowGeometry('spec', s.x, s.window, outChannels, s.strides, s.dilations, { padding: s.pad, rounding: undefined });

const CONV_SWEEPS: readonly Sweep[] = [
  sweep("'same', 3x3, batch 2", [2, 5, 6, 3], [3, 3], 4, [1, 1], [1, 1], 'same'),
  sweep("'valid', strides 2", [1, 7, 8, 2], [3, 2], 3, [2, 2], [1, 1], 'valid'),
  sweep("'same', dilation 2", [1, 7, 7, 2], [3, 3], 2, [1, 1], [2, 2], 'same'),
  sweep(
    'explicit padding, strides 2, padBottom -1',
    [1, 7, 6, 2],
    [3, 3],
    3,
    [2, 2],
    [1, 1],
    [
      [1, 0],
      [2, 1],
    ],
  ),
  sweep('1x1 filter', [2, 4, 4, 3], [1, 1], 5, [1, 1], [1, 1], 'valid'),
  sweep("window larger than the input, 'same'", [1, 3, 2, 2], [5, 4], 2, [1, 1], [1, 1], 'same'),
  sweep("batch 3, strides 2, 'same'", [3, 5, 5, 2], [2, 2], 3, [2, 2], [1, 1], 'same'),
  sweep('strides [1, 2], dilations [2, 1]', [1, 9, 8, 2], [2, 3], 2, [1, 2], [2, 1], 'same'),
  sweep('128 positions (filter gradients reduce in a workgroup)', [2, 8, 8, 2], [3, 3], 2, [1, 1], [1, 1], 'same'),
];

const POOL_SWEEPS: readonly Sweep[] = [
  sweep("2x2, strides 2, 'valid'", [2, 4, 6, 3], [2, 2], 3, [2, 2], [1, 1], 'valid'),
  sweep("3x3, strides 1, 'same' (9 windows an element)", [1, 5, 5, 2], [3, 3], 2, [1, 1], [1, 1], 'same'),
  sweep("3x3, strides 2, 'same'", [1, 7, 6, 2], [3, 3], 2, [2, 2], [1, 1], 'same'),
  sweep(
    'explicit padding, strides [1, 2]',
    [1, 5, 6, 2],
    [2, 3],
    2,
    [1, 2],
    [1, 1],
    [
      [1, 1],
      [0, 2],
    ],
  ),
  sweep("window larger than the input, 'same'", [1, 3, 2, 2], [5, 4], 2, [1, 1], [1, 1], 'same'),
  sweep("batch 3, 2x2, 'valid'", [3, 4, 4, 1], [2, 2], 1, [1, 1], [1, 1], 'valid'),
];

const size = (shape: readonly number[]): number => shape.reduce((p, s) => p * s, 1);
const maxAbs = (a: Float32Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** |actual - expected| <= tolerance everywhere (and NaN exactly where expected has NaN). */
function expectClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let k = 0; k < expected.length; k++) {
    const e = expected[k]!;
    const a = actual[k]!;
    const error =
      Number.isNaN(e) || Number.isNaN(a) ? (Number.isNaN(e) && Number.isNaN(a) ? 0 : Infinity) : Math.abs(a - e);
    if (error > worst) [worst, at] = [error, k];
  }
  if (worst > tolerance) {
    throw new Error(`element ${at}: gpu ${actual[at]} vs cpu ${expected[at]}: error ${worst} > tolerance ${tolerance}`);
  }
}

/** The error bound of the header for sums of `taps` products of values bounded by `a` and `b`. */
const bound = (taps: number, a: number, b: number): number => taps * 2 ** -21 * a * b;

/** The most times one input element is read by the windows of `g` along each axis (rows x columns). */
const coverage = (g: WindowGeometry): number =>
  Math.ceil(g.filterHeight / g.strideHeight) * Math.ceil(g.filterWidth / g.strideWidth);

describeGpu(gpuTitle('WebGPU convolution and pooling kernels'), () => {
  const gpu = useGpuContext();

  /** Runs a GPU kernel writing `length` float32s and returns what it wrote. */
  async function run(length: number, call: (out: GpuArray) => void): Promise<Float32Array> {
    const out = gpu.ctx.allocate(length, 'float32');
    call(out);
    return (await gpu.ctx.read(out)) as Float32Array;
  }

  describe('conv2d', () => {
    for (const [index, s] of CONV_SWEEPS.entries()) {
      const g = geometryOf(s, s.channels);
      const C = s.x[3];
      const fShape = [s.window[0], s.window[1], C, s.channels];
      const yShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];
      const x = seeded(size(s.x), 10 + index);
      const f = seeded(size(fShape), 20 + index);
      const dy = seeded(size(yShape), 30 + index);
      const X = maxAbs(x);
      const F = maxAbs(f);
      const DY = maxAbs(dy);

      it(`forward: ${s.name}`, async () => {
        const expected = new Float32Array(size(yShape));
        referenceKernels.conv2d(x, f, g, expected, referenceKernels.matmul);
        const k = gpuConv(gpu.ctx);
        const actual = await run(expected.length, (y) =>
          k.conv2d(gpu.ctx.upload(x), gpu.ctx.upload(f), g, y, referenceKernels.matmul),
        );
        expectClose(actual, expected, bound(s.window[0] * s.window[1] * C, X, F));
      });

      it(`backprop input: ${s.name}`, async () => {
        const expected = new Float32Array(size(s.x));
        referenceKernels.conv2dBackpropInput(dy, f, g, expected, referenceKernels.matmul);
        const k = gpuConv(gpu.ctx);
        const actual = await run(expected.length, (dx) =>
          k.conv2dBackpropInput(gpu.ctx.upload(dy), gpu.ctx.upload(f), g, dx, referenceKernels.matmul),
        );
        expectClose(actual, expected, bound(s.window[0] * s.window[1] * s.channels, DY, F));
      });

      it(`backprop filter: ${s.name}`, async () => {
        const expected = new Float32Array(size(fShape));
        referenceKernels.conv2dBackpropFilter(x, dy, g, expected, referenceKernels.matmul);
        const k = gpuConv(gpu.ctx);
        const actual = await run(expected.length, (df) =>
          k.conv2dBackpropFilter(gpu.ctx.upload(x), gpu.ctx.upload(dy), g, df, referenceKernels.matmul),
        );
        expectClose(actual, expected, bound(g.batch * g.outHeight * g.outWidth, X, DY));
      });
    }

    it('an infinite filter (or dy) entry met with the padding gives NaN, as 0 * Inf in im2col does', async () => {
      const s = CONV_SWEEPS[0]!;
      const g = geometryOf({ ...s, x: [1, 3, 3, 1], channels: 1 }, 1);
      const x = seeded(9, 3).map((v) => v + 2); // no zeros, so only padded taps make NaN
      const f = Float32Array.from([Infinity, 1, 1, 1, 1, 1, 1, 1, 1]);
      const expected = new Float32Array(9);
      referenceKernels.conv2d(x, f, g, expected, referenceKernels.matmul);
      expect(expected.filter(Number.isNaN).length).toBe(5); // the outputs whose tap (0, 0) is padding
      const k = gpuConv(gpu.ctx);
      const actual = await run(9, (y) => k.conv2d(gpu.ctx.upload(x), gpu.ctx.upload(f), g, y, referenceKernels.matmul));
      expect(actual).toEqual(expected);
      // The filter gradient likewise: an infinite dy at output (0, 0) times the padding its taps (0, *), (*, 0) read.
      const dy = Float32Array.from([Infinity, 1, 1, 1, 1, 1, 1, 1, 1]);
      const expectedDf = new Float32Array(9);
      referenceKernels.conv2dBackpropFilter(x, dy, g, expectedDf, referenceKernels.matmul);
      expect(expectedDf.filter(Number.isNaN).length).toBe(5);
      const df = await run(9, (out) =>
        k.conv2dBackpropFilter(gpu.ctx.upload(x), gpu.ctx.upload(dy), g, out, referenceKernels.matmul),
      );
      expect(df).toEqual(expectedDf);
    });

    it('writes more than 65,535 workgroups of outputs (1x1 filter, 4,198,400 outputs)', async () => {
      const g = geometryOf(sweep('', [1, 64, 64, 1], [1, 1], 1025, [1, 1], [1, 1], 'valid'), 1025);
      const x = seeded(64 * 64, 5);
      const f = seeded(1025, 6);
      const expected = new Float32Array(64 * 64 * 1025);
      expect(expected.length).toBeGreaterThan(65535 * WORKGROUP);
      referenceKernels.conv2d(x, f, g, expected, referenceKernels.matmul);
      const k = gpuConv(gpu.ctx);
      const actual = await run(expected.length, (y) =>
        k.conv2d(gpu.ctx.upload(x), gpu.ctx.upload(f), g, y, referenceKernels.matmul),
      );
      // One product an element: exact on both sides. (A loop: toEqual on 4 M elements takes seconds.)
      const a = new Uint32Array(actual.buffer);
      const e = new Uint32Array(expected.buffer);
      let mismatch = -1;
      for (let at = 0; at < e.length && mismatch < 0; at++) if (a[at] !== e[at]) mismatch = at;
      expect(mismatch).toBe(-1);
    });

    it('reduces more filter elements than it has workgroups, each workgroup taking several in turn', async () => {
      // 1x1 filter, 16 x 300 = 4,800 elements, each a sum over 64 positions.
      const g = geometryOf(sweep('', [1, 8, 8, 16], [1, 1], 300, [1, 1], [1, 1], 'valid'), 300);
      expect(g.batch * g.outHeight * g.outWidth).toBeGreaterThanOrEqual(FILTER_REDUCE_POSITIONS);
      expect(16 * 300).toBeGreaterThan(FILTER_REDUCE_GROUPS);
      const x = seeded(64 * 16, 7);
      const dy = seeded(64 * 300, 8);
      const k = gpuConv(gpu.ctx);
      const expected = new Float32Array(16 * 300);
      referenceKernels.conv2dBackpropFilter(x, dy, g, expected, referenceKernels.matmul);
      const actual = await run(expected.length, (df) =>
        k.conv2dBackpropFilter(gpu.ctx.upload(x), gpu.ctx.upload(dy), g, df, referenceKernels.matmul),
      );
      expectClose(actual, expected, bound(64, maxAbs(x), maxAbs(dy)));
      const depthwiseG = geometryOf(sweep('', [1, 8, 8, 16], [1, 1], 300, [1, 1], [1, 1], 'valid'), 16 * 300);
      const depthwiseDy = seeded(64 * 16 * 300, 9);
      const expectedDepthwise = new Float32Array(16 * 300);
      referenceKernels.depthwiseConv2dBackpropFilter(x, depthwiseDy, depthwiseG, expectedDepthwise);
      const actualDepthwise = await run(expectedDepthwise.length, (df) =>
        k.depthwiseConv2dBackpropFilter(gpu.ctx.upload(x), gpu.ctx.upload(depthwiseDy), depthwiseG, df),
      );
      expectClose(actualDepthwise, expectedDepthwise, bound(64, maxAbs(x), maxAbs(depthwiseDy)));
    });
  });

  describe('depthwiseConv2d', () => {
    for (const [index, s] of CONV_SWEEPS.entries()) {
      const C = s.x[3];
      const M = index % 2 === 0 ? 2 : 1; // channel multiplier 2 on every other sweep
      const g = geometryOf(s, C * M);
      const fShape = [s.window[0], s.window[1], C, M];
      const yShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];
      const x = seeded(size(s.x), 40 + index);
      const f = seeded(size(fShape), 50 + index);
      const dy = seeded(size(yShape), 60 + index);
      const X = maxAbs(x);
      const F = maxAbs(f);
      const DY = maxAbs(dy);

      it(`forward, multiplier ${M}: ${s.name}`, async () => {
        const expected = new Float32Array(size(yShape));
        referenceKernels.depthwiseConv2d(x, f, g, expected);
        const k = gpuConv(gpu.ctx);
        const actual = await run(expected.length, (y) => k.depthwiseConv2d(gpu.ctx.upload(x), gpu.ctx.upload(f), g, y));
        expectClose(actual, expected, bound(s.window[0] * s.window[1], X, F));
      });

      it(`backprop input, multiplier ${M}: ${s.name}`, async () => {
        const expected = new Float32Array(size(s.x));
        referenceKernels.depthwiseConv2dBackpropInput(dy, f, g, expected);
        const k = gpuConv(gpu.ctx);
        const actual = await run(expected.length, (dx) =>
          k.depthwiseConv2dBackpropInput(gpu.ctx.upload(dy), gpu.ctx.upload(f), g, dx),
        );
        expectClose(actual, expected, bound(s.window[0] * s.window[1] * M, DY, F));
      });

      it(`backprop filter, multiplier ${M}: ${s.name}`, async () => {
        const expected = new Float32Array(size(fShape));
        referenceKernels.depthwiseConv2dBackpropFilter(x, dy, g, expected);
        const k = gpuConv(gpu.ctx);
        const actual = await run(expected.length, (df) =>
          k.depthwiseConv2dBackpropFilter(gpu.ctx.upload(x), gpu.ctx.upload(dy), g, df),
        );
        expectClose(actual, expected, bound(g.batch * g.outHeight * g.outWidth, X, DY));
      });
    }
  });

  describe('pooling', () => {
    for (const [index, s] of POOL_SWEEPS.entries()) {
      const g = geometryOf(s, s.x[3]);
      const yShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];
      const x = seeded(size(s.x), 70 + index);
      const dy = seeded(size(yShape), 80 + index);
      const ddx = seeded(size(s.x), 90 + index);
      const taps = s.window[0] * s.window[1];

      it(`maxPool, bit for bit: ${s.name}`, async () => {
        const expected = new Float32Array(size(yShape));
        referenceKernels.maxPool(x, g, expected);
        const k = gpuPool(gpu.ctx);
        const actual = await run(expected.length, (y) => k.maxPool(gpu.ctx.upload(x), g, y));
        expect(bits(actual)).toEqual(bits(expected));
      });

      it(`maxPoolGather, bit for bit: ${s.name}`, async () => {
        const expected = new Float32Array(size(yShape));
        referenceKernels.maxPoolGather(ddx, x, g, expected);
        const k = gpuPool(gpu.ctx);
        const actual = await run(expected.length, (y) => k.maxPoolGather(gpu.ctx.upload(ddx), gpu.ctx.upload(x), g, y));
        expect(bits(actual)).toEqual(bits(expected));
      });

      it(`maxPoolBackprop: ${s.name}`, async () => {
        const expected = new Float32Array(size(s.x));
        referenceKernels.maxPoolBackprop(dy, x, g, expected);
        const k = gpuPool(gpu.ctx);
        const actual = await run(expected.length, (dx) =>
          k.maxPoolBackprop(gpu.ctx.upload(dy), gpu.ctx.upload(x), g, dx),
        );
        if (coverage(g) <= 2) expect(bits(actual)).toEqual(bits(expected));
        else expectClose(actual, expected, bound(coverage(g), maxAbs(dy), 1));
      });

      it(`avgPool: ${s.name}`, async () => {
        const expected = new Float32Array(size(yShape));
        referenceKernels.avgPool(x, g, expected);
        const k = gpuPool(gpu.ctx);
        const actual = await run(expected.length, (y) => k.avgPool(gpu.ctx.upload(x), g, y));
        expectClose(actual, expected, bound(taps, maxAbs(x), 1));
      });

      it(`avgPoolBackprop: ${s.name}`, async () => {
        const expected = new Float32Array(size(s.x));
        referenceKernels.avgPoolBackprop(dy, g, expected);
        const k = gpuPool(gpu.ctx);
        const actual = await run(expected.length, (dx) => k.avgPoolBackprop(gpu.ctx.upload(dy), g, dx));
        expectClose(actual, expected, bound(coverage(g), maxAbs(dy), 1));
      });
    }

    it('maxPool, maxPoolGather and maxPoolBackprop break ties and NaNs as the CPU does', async () => {
      // Values in {-1, -0.5, -0, 0, 0.5} (many ties, -0 against +0), a NaN in some windows, two NaNs in one.
      const s = POOL_SWEEPS[1]!; // 3x3 windows, strides 1, 'same'
      const g = geometryOf({ ...s, x: [2, 5, 5, 2] }, 2);
      const x = seeded(100, 11).map((v) => Math.round(v * 2) / 2 - (v < 0.25 ? 0 : 0.5));
      x[3] = -0;
      x[4] = 0;
      x[5] = -0;
      x[17] = NaN;
      x[37] = NaN;
      x[39] = NaN;
      x[60] = new Float32Array(new Uint32Array([0xffc00001]).buffer)[0]!; // a NaN with a sign and a payload
      expect(x.filter((v) => Object.is(v, -0)).length).toBeGreaterThan(0);
      const outputs = 2 * 5 * 5 * 2;
      const dy = seeded(outputs, 12);
      const ddx = seeded(100, 13);
      const k = gpuPool(gpu.ctx);
      const xs = gpu.ctx.upload(x);

      const expectedY = new Float32Array(outputs);
      referenceKernels.maxPool(x, g, expectedY);
      expect(expectedY.filter(Number.isNaN).length).toBeGreaterThan(0);
      expect(bits(await run(outputs, (y) => k.maxPool(xs, g, y)))).toEqual(bits(expectedY));

      const expectedGather = new Float32Array(outputs);
      referenceKernels.maxPoolGather(ddx, x, g, expectedGather);
      expect(bits(await run(outputs, (y) => k.maxPoolGather(gpu.ctx.upload(ddx), xs, g, y)))).toEqual(
        bits(expectedGather),
      );

      const expectedDx = new Float32Array(100);
      referenceKernels.maxPoolBackprop(dy, x, g, expectedDx);
      const dx = await run(100, (out) => k.maxPoolBackprop(gpu.ctx.upload(dy), xs, g, out));
      expectClose(dx, expectedDx, bound(9, maxAbs(dy), 1));
      // The same elements receive gradient: the argmax agrees.
      expect(Array.from(dx, (v) => v !== 0)).toEqual(Array.from(expectedDx, (v) => v !== 0));
    });
  });

  it('refuses other dtypes than float32, naming the kernel', () => {
    const k = { ...gpuConv(gpu.ctx), ...gpuPool(gpu.ctx) };
    const g = geometryOf(CONV_SWEEPS[4]!, 5);
    const ints = gpu.ctx.allocate(size(CONV_SWEEPS[4]!.x), 'int32');
    const f = gpu.ctx.allocate(15, 'float32');
    const y = gpu.ctx.allocate(2 * 4 * 4 * 5, 'float32');
    expect(() => k.conv2d(ints, f, g, y, referenceKernels.matmul)).toThrow(/conv2d.*float32/);
    expect(() => k.maxPool(ints, g, y)).toThrow(TypeError);
    expect(() => k.maxPool(ints, g, y)).toThrow(/maxPool/);
    expect(() => k.avgPoolBackprop(ints, g, y)).toThrow(/avgPoolBackprop/);
  });
});
