/**
 * conv2d, conv2dTranspose and depthwiseConv2d: forward values against a naive
 * direct convolution written here over nested arrays (its own padding
 * arithmetic, TensorFlow's 'same' rule), hand-worked cases, and every error.
 */
import fc from 'fast-check';
import {
  GradientTape,
  conv2d,
  conv2dTranspose,
  depthwiseConv2d,
  mul,
  ones,
  randomUniform,
  referenceKernels,
  setKernels,
  sum,
  tensor,
  zeros,
  type Tensor,
} from '../../lib/index.js';
import { expectError, loose } from '../support/errors.js';

type Pad = 'valid' | 'same' | number | [number, number][];
type Pair = number | [number, number];
type Image = number[][][][];

const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

/** Output size and padding before along one axis, by TensorFlow's rules (written independently of lib/). */
function axis(inSize: number, filter: number, stride: number, dilation: number, pad: Pad, d: 0 | 1) {
  const window = (filter - 1) * dilation + 1;
  if (pad === 'same') {
    const out = Math.ceil(inSize / stride);
    const total = Math.max(0, (out - 1) * stride + window - inSize);
    return { out, before: Math.floor(total / 2) };
  }
  const [before, after] = pad === 'valid' ? [0, 0] : typeof pad === 'number' ? [pad, pad] : pad[d + 1]!;
  return { out: Math.floor((inSize + before + after - window) / stride) + 1, before };
}

/** Direct convolution: y[n][i][j][o] = sum over p, q, c of x[n][i*s + p*d - top][j*s + q*d - left][c] * w[p][q][c][o]. */
function naiveConv(x: Image, w: Image, strides: Pair, pad: Pad, dilations: Pair = 1, depthwise = false): Image {
  const [sh, sw] = pair(strides);
  const [dh, dw] = pair(dilations);
  const [H, W, C] = [x[0]!.length, x[0]![0]!.length, x[0]![0]![0]!.length];
  const [FH, FW, , M] = [w.length, w[0]!.length, w[0]![0]!.length, w[0]![0]![0]!.length];
  const rows = axis(H, FH, sh, dh, pad, 0);
  const cols = axis(W, FW, sw, dw, pad, 1);
  const outC = depthwise ? C * M : M;
  return x.map((image) =>
    Array.from({ length: rows.out }, (_, i) =>
      Array.from({ length: cols.out }, (_, j) =>
        Array.from({ length: outC }, (_, o) => {
          let s = 0;
          for (let p = 0; p < FH; p++) {
            for (let q = 0; q < FW; q++) {
              const h = i * sh + p * dh - rows.before;
              const v = j * sw + q * dw - cols.before;
              if (h < 0 || h >= H || v < 0 || v >= W) continue;
              if (depthwise) {
                const c = Math.floor(o / M);
                s += image[h]![v]![c]! * w[p]![q]![c]![o % M]!;
              } else {
                for (let c = 0; c < C; c++) s += image[h]![v]![c]! * w[p]![q]![c]![o]!;
              }
            }
          }
          return s;
        }),
      ),
    ),
  );
}

const values = (t: Tensor | number[] | Image): number[] =>
  Array.isArray(t) ? (t as unknown[]).flat(4).map(Number) : Array.from(t.dataSync());

function expectClose(actual: Tensor, expected: Image, tolerance: number): void {
  const a = values(actual);
  const e = values(expected);
  expect(a.length).toBe(e.length);
  const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - e[i]!)), 0);
  expect(worst).toBeLessThan(tolerance);
}

let seed = 1;
const random = (shape: number[], dtype: 'float32' | 'float64') => randomUniform(shape, -1, 1, dtype, seed++);

interface Config {
  readonly x: number[];
  readonly w: number[];
  readonly strides: Pair;
  readonly pad: Pad;
  readonly dilations?: Pair;
  readonly out: number[];
}

const CONFIGS: readonly Config[] = [
  { x: [1, 5, 5, 1], w: [3, 3, 1, 1], strides: 1, pad: 'same', out: [1, 5, 5, 1] },
  { x: [2, 7, 7, 3], w: [5, 5, 3, 4], strides: 2, pad: 'valid', out: [2, 2, 2, 4] },
  { x: [2, 7, 6, 2], w: [3, 3, 2, 3], strides: 2, pad: 'same', out: [2, 4, 3, 3] },
  { x: [1, 7, 7, 2], w: [7, 7, 2, 2], strides: 1, pad: 'same', out: [1, 7, 7, 2] },
  { x: [1, 6, 6, 2], w: [3, 3, 2, 2], strides: 1, pad: 'same', dilations: 2, out: [1, 6, 6, 2] },
  { x: [1, 7, 7, 2], w: [3, 3, 2, 3], strides: 1, pad: 'valid', dilations: [2, 1], out: [1, 3, 5, 3] },
  { x: [1, 7, 5, 2], w: [3, 2, 2, 3], strides: [2, 1], pad: 1, out: [1, 4, 6, 3] },
  {
    x: [1, 5, 5, 2],
    w: [2, 2, 2, 2],
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
    out: [1, 7, 5, 2],
  },
  // Strides and dilations both above 1 (tfjs refuses this; TensorFlow allows it).
  { x: [1, 7, 7, 1], w: [3, 3, 1, 2], strides: 2, pad: 'same', dilations: 2, out: [1, 4, 4, 2] },
];

describe('conv2d', () => {
  test('a 3x3 input and a 2x2 all-ones filter, by hand', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    expect(conv2d(x, ones([2, 2, 1, 1]), 1, 'valid').arraySync()).toEqual([
      [
        [[12], [16]],
        [[24], [28]],
      ],
    ]);
    // 'same' at stride 1 pads 0 before and 1 after: the last row and column see the padding.
    expect(conv2d(x, ones([2, 2, 1, 1]), 1, 'same').arraySync()).toEqual([
      [
        [[12], [16], [9]],
        [[24], [28], [15]],
        [[15], [17], [9]],
      ],
    ]);
  });

  test('two input and two output channels, by hand', () => {
    // x[0, 0, 0, :] = [1, 2]; filter [1, 1, 2, 2] = [[1, 10], [100, 1000]].
    const y = conv2d(tensor([1, 2], [1, 1, 1, 2]), tensor([1, 10, 100, 1000], [1, 1, 2, 2]), 1, 'valid');
    expect(y.arraySync()).toEqual([[[[201, 2010]]]]);
  });

  test("TensorFlow's 'same' at stride 2: 5x5 with a 3x3 window pads 1 before and 1 after", () => {
    const y = conv2d(ones([1, 5, 5, 1]), ones([3, 3, 1, 1]), 2, 'same');
    // Each output counts the in-bounds elements of its window.
    expect(y.arraySync()).toEqual([
      [
        [[4], [6], [4]],
        [[6], [9], [6]],
        [[4], [6], [4]],
      ],
    ]);
  });

  test("TensorFlow's 'same' at stride 2: 4x4 with a 3x3 window pads 0 before and 1 after", () => {
    const y = conv2d(ones([1, 4, 4, 1]), ones([3, 3, 1, 1]), 2, 'same');
    expect(y.arraySync()).toEqual([
      [
        [[9], [6]],
        [[6], [4]],
      ],
    ]);
  });

  test.each(CONFIGS.map((c) => [JSON.stringify(c), c] as const))(
    'matches the direct convolution in float32 and float64: %s',
    (_name, c) => {
      for (const dtype of ['float32', 'float64'] as const) {
        const x = random(c.x, dtype);
        const w = random(c.w, dtype);
        const y = conv2d(x, w, c.strides, c.pad, 'NHWC', c.dilations ?? 1);
        expect([y.shape, y.dtype]).toEqual([c.out, dtype]);
        const expected = naiveConv(x.arraySync() as Image, w.arraySync() as Image, c.strides, c.pad, c.dilations);
        expectClose(y, expected, dtype === 'float32' ? 1e-5 : 1e-12);
      }
    },
  );

  test('for random shapes, strides, dilations and pads, matches the direct convolution or refuses a negative size', () => {
    const dims = { n: [1, 2], h: [1, 7], w: [1, 7], c: [1, 3], fh: [1, 4], fw: [1, 4], o: [1, 3] };
    const ints = Object.fromEntries(
      Object.entries(dims).map(([k, [min, max]]) => [k, fc.integer({ min: min!, max: max! })]),
    ) as Record<keyof typeof dims, fc.Arbitrary<number>>;
    const params = fc.record({
      ...ints,
      strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      dilations: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      pad: fc.oneof(fc.constant<Pad>('same'), fc.constant<Pad>('valid'), fc.integer({ min: 0, max: 2 })),
    });
    fc.assert(
      fc.property(params, (p) => {
        const x = random([p.n, p.h, p.w, p.c], 'float64');
        const w = random([p.fh, p.fw, p.c, p.o], 'float64');
        const rows = axis(p.h, p.fh, p.strides[0], p.dilations[0], p.pad, 0);
        const cols = axis(p.w, p.fw, p.strides[1], p.dilations[1], p.pad, 1);
        const run = () => conv2d(x, w, p.strides, p.pad, 'NHWC', p.dilations);
        if (rows.out < 0 || cols.out < 0) {
          expect(run).toThrow(RangeError);
          return;
        }
        const y = run();
        expect(y.shape).toEqual([p.n, rows.out, cols.out, p.o]);
        expectClose(y, naiveConv(x.arraySync() as Image, w.arraySync() as Image, p.strides, p.pad, p.dilations), 1e-12);
      }),
      { numRuns: 60 },
    );
  });

  test('a rank-3 input is a batch of one and gives a rank-3 result', () => {
    const x = random([5, 5, 2], 'float64');
    const w = random([3, 3, 2, 2], 'float64');
    const y = conv2d(x, w, 2, 'same');
    expect(y.shape).toEqual([3, 3, 2]);
    expect(y.arraySync()).toEqual((conv2d(x.reshape([1, 5, 5, 2]), w, 2, 'same').arraySync() as Image)[0]);
  });

  test('dimRoundingMode rounds a fractional output size with a numeric pad', () => {
    // (6 + 2 - 3) / 2 + 1 = 3.5 output rows.
    const x = random([1, 6, 6, 1], 'float64');
    const w = random([3, 3, 1, 1], 'float64');
    expect(conv2d(x, w, 2, 1).shape).toEqual([1, 3, 3, 1]);
    expect(conv2d(x, w, 2, 1, 'NHWC', 1, 'floor').shape).toEqual([1, 3, 3, 1]);
    expect(conv2d(x, w, 2, 1, 'NHWC', 1, 'round').shape).toEqual([1, 4, 4, 1]);
    const ceil = conv2d(x, w, 2, 1, 'NHWC', 1, 'ceil');
    expect(ceil.shape).toEqual([1, 4, 4, 1]);
    // The extra row and column read past the padding: zeros, as in the 3x3 prefix the floor gives.
    const c = values(ceil);
    const prefix = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => c[i * 4 + j]));
    expect(prefix).toEqual(values(conv2d(x, w, 2, 1)));
  });

  test('a float32 and a float64 operand meet in float64; array operands are float32', () => {
    expect(conv2d(ones([1, 2, 2, 1], 'float64'), ones([1, 1, 1, 1]), 1, 'valid').dtype).toBe('float64');
    expect(conv2d([[[[1]]]], [[[[2]]]], 1, 'valid').arraySync()).toEqual([[[[2]]]]);
  });

  test('runs its product through the matmul kernel in use', () => {
    let calls = 0;
    const previous = setKernels({
      matmul: (...args) => {
        calls++;
        return referenceKernels.matmul(...args);
      },
    });
    try {
      conv2d(ones([1, 3, 3, 1]), ones([2, 2, 1, 1]), 1, 'valid');
    } finally {
      setKernels(previous);
    }
    expect(calls).toBe(1);
  });

  test('the gradients match the naive adjoints: dx spreads dy over windows, dw correlates x with dy', () => {
    // y = conv(x, w) with 1x1 spatial output per window: for a 2x2 x and a 2x2 filter, 'valid',
    // dx = dy * w and dw = dy * x.
    const x = tensor([1, 2, 3, 4], [1, 2, 2, 1]);
    const w = tensor([5, 6, 7, 8], [2, 2, 1, 1]);
    const tape = new GradientTape();
    tape.watch([x, w]);
    const y = conv2d(x, w, 1, 'valid');
    const [dx, dw] = tape.gradient(mul(y, 3), [x, w]);
    expect(values(dx!)).toEqual([15, 18, 21, 24]);
    expect(values(dw!)).toEqual([3, 6, 9, 12]);
  });

  test('is bilinear: the second derivative in x is zero and the mixed one is a convolution of ones', () => {
    const x = random([1, 4, 4, 1], 'float64');
    const w = random([2, 2, 1, 1], 'float64');
    const outer = new GradientTape();
    outer.watch([x, w]);
    const inner = new GradientTape();
    inner.watch(x);
    const [dx] = inner.gradient(sum(conv2d(x, w, 1, 'valid')), [x]);
    // d/dw of sum(dx): every filter tap sees each of the 3x3 windows once.
    const [ddx, dxdw] = outer.gradient(sum(dx!), [x, w]);
    expect(ddx).toBeUndefined();
    expect(values(dxdw!)).toEqual([9, 9, 9, 9]);
  });
});

describe('conv2dTranspose', () => {
  test('spreads each input element over a window, by hand', () => {
    const x = tensor([1, 2, 3, 4], [1, 2, 2, 1]);
    expect(conv2dTranspose(x, ones([2, 2, 1, 1]), [1, 3, 3, 1], 1, 'valid').arraySync()).toEqual([
      [
        [[1], [3], [2]],
        [[4], [10], [6]],
        [[3], [7], [4]],
      ],
    ]);
  });

  test('stride 2 leaves gaps a 1x1 filter does not fill; a rank-3 x and outputShape give a rank-3 result', () => {
    const y = conv2dTranspose(tensor([1, 2, 3, 4], [2, 2, 1]), ones([1, 1, 1, 1]), [3, 3, 1], 2, 'valid');
    expect(y.arraySync()).toEqual([
      [[1], [0], [2]],
      [[0], [0], [0]],
      [[3], [0], [4]],
    ]);
  });

  test.each(CONFIGS.filter((c) => c.dilations === undefined).map((c) => [JSON.stringify(c), c] as const))(
    'is the adjoint of conv2d, <conv2d(x, w), dy> = <x, conv2dTranspose(dy, w)>: %s',
    (_name, c) => {
      const x = random(c.x, 'float64');
      const w = random(c.w, 'float64');
      const dy = random(c.out, 'float64');
      const dx = conv2dTranspose(dy, w, c.x, c.strides, c.pad);
      expect(dx.shape).toEqual(c.x);
      const lhs = sum(mul(conv2d(x, w, c.strides, c.pad), dy)).item();
      const rhs = sum(mul(x, dx)).item();
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-10 * Math.max(1, Math.abs(lhs)));
    },
  );

  test('keeps float32', () => {
    expect(conv2dTranspose(ones([1, 2, 2, 1]), ones([2, 2, 1, 1]), [1, 3, 3, 1], 1, 'valid').dtype).toBe('float32');
  });
});

describe('depthwiseConv2d', () => {
  test('each channel with its own filters, by hand', () => {
    const x = tensor([1, 10, 2, 20, 3, 30, 4, 40], [1, 2, 2, 2]);
    // Channel multiplier 2: channel 0 -> outputs 0, 1; channel 1 -> outputs 2, 3.
    const w = tensor([1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0], [2, 2, 2, 2]);
    // out0 = x0[0,0] = 1; out1 = 2 * x0[1,1] = 8; out2 = x1[0,0] * 0 + x1[1,1] * 1 = 40; out3 = x1[0,0] = 10.
    expect(depthwiseConv2d(x, w, 1, 'valid').arraySync()).toEqual([[[[1, 8, 40, 10]]]]);
  });

  const DEPTHWISE: readonly Config[] = [
    { x: [2, 5, 5, 3], w: [3, 3, 3, 2], strides: 1, pad: 'same', out: [2, 5, 5, 6] },
    { x: [1, 7, 7, 2], w: [5, 5, 2, 1], strides: 2, pad: 'same', out: [1, 4, 4, 2] },
    { x: [1, 7, 6, 2], w: [3, 3, 2, 3], strides: [1, 2], pad: 'valid', dilations: 2, out: [1, 3, 1, 6] },
    { x: [1, 4, 4, 1], w: [2, 2, 1, 2], strides: 2, pad: 1, out: [1, 3, 3, 2] },
  ];

  test.each(DEPTHWISE.map((c) => [JSON.stringify(c), c] as const))(
    'matches the direct depthwise convolution in float32 and float64: %s',
    (_name, c) => {
      for (const dtype of ['float32', 'float64'] as const) {
        const x = random(c.x, dtype);
        const w = random(c.w, dtype);
        const y = depthwiseConv2d(x, w, c.strides, c.pad, 'NHWC', c.dilations ?? 1);
        expect([y.shape, y.dtype]).toEqual([c.out, dtype]);
        const expected = naiveConv(x.arraySync() as Image, w.arraySync() as Image, c.strides, c.pad, c.dilations, true);
        expectClose(y, expected, dtype === 'float32' ? 1e-5 : 1e-12);
      }
    },
  );

  test('with multiplier 1 it is conv2d with a block-diagonal filter', () => {
    const x = random([1, 5, 5, 2], 'float64');
    const w = random([3, 3, 2, 1], 'float64');
    const wv = w.arraySync() as number[][][][];
    const diagonal = wv.map((row) =>
      row.map((tap) => [
        [tap[0]![0]!, 0],
        [0, tap[1]![0]!],
      ]),
    );
    const y = depthwiseConv2d(x, w, 2, 'same');
    expectClose(y, conv2d(x, tensor(diagonal, undefined, 'float64'), 2, 'same').arraySync() as Image, 1e-12);
  });
});

describe('convolution errors', () => {
  const x = zeros([1, 5, 5, 2]);
  const w = zeros([3, 3, 2, 4]);

  test('NCHW data says to transpose', () => {
    expectError(
      () => conv2d(x, w, 1, 'same', 'NCHW'),
      Error,
      "tapegrad.conv2d: dataFormat 'NCHW' is not supported; transpose x to NHWC with transpose(x, [0, 2, 3, 1]) " +
        "and pass 'NHWC' (transpose the result back with [0, 3, 1, 2])",
    );
    expectError(
      () => depthwiseConv2d(x, zeros([3, 3, 2, 1]), 1, 'same', 'NCHW'),
      Error,
      "tapegrad.depthwiseConv2d: dataFormat 'NCHW' is not supported; transpose x to NHWC with transpose(x, [0, 2, 3, 1]) " +
        "and pass 'NHWC' (transpose the result back with [0, 3, 1, 2])",
    );
    expectError(
      () => conv2d(x, w, 1, 'same', loose('HWC')),
      TypeError,
      "tapegrad.conv2d: dataFormat must be 'NHWC' (or 'NCHW', which is not supported), got 'HWC'",
    );
  });

  test('integer operands', () => {
    expectError(
      () => conv2d(zeros([1, 5, 5, 2], 'int32'), w, 1, 'same'),
      TypeError,
      "tapegrad.conv2d: x and filter must be float32 or float64, got int32 and float32; cast them first, e.g. cast(x, 'float32')",
    );
  });

  test('wrong ranks', () => {
    expectError(
      () => conv2d(zeros([5, 5]), w, 1, 'same'),
      Error,
      'tapegrad.conv2d: x must have rank 4 [batch, height, width, channels] or rank 3 [height, width, channels], got shape [5,5]',
    );
    expectError(
      () => conv2d(x, zeros([3, 3, 2]), 1, 'same'),
      Error,
      'tapegrad.conv2d: filter must have rank 4 with a height and width of at least 1, got shape [3,3,2]',
    );
    expectError(
      () => conv2dTranspose(zeros([1, 3, 3, 4]), zeros([0, 3, 2, 4]), [1, 5, 5, 2], 1, 'same'),
      Error,
      'tapegrad.conv2dTranspose: filter must have rank 4 with a height and width of at least 1, got shape [0,3,2,4]',
    );
  });

  test('channels that do not match the filter', () => {
    expectError(
      () => conv2d(x, zeros([3, 3, 3, 4]), 1, 'same'),
      Error,
      'tapegrad.conv2d: x has 2 channels (shape [1,5,5,2]) but the filter expects 3 (shape [3,3,3,4]); ' +
        'the filter is [filterHeight, filterWidth, inChannels, outChannels]',
    );
    expectError(
      () => depthwiseConv2d(x, zeros([3, 3, 1, 2]), 1, 'same'),
      Error,
      'tapegrad.depthwiseConv2d: x has 2 channels (shape [1,5,5,2]) but the filter expects 1 (shape [3,3,1,2]); ' +
        'the filter is [filterHeight, filterWidth, inChannels, channelMultiplier]',
    );
  });

  test('strides and dilations that are not positive integers', () => {
    expectError(
      () => conv2d(x, w, [0, 1], 'same'),
      RangeError,
      'tapegrad.conv2d: strides must be a positive integer or a pair [height, width] of them, got [0,1]',
    );
    expectError(
      () => conv2d(x, w, loose('2'), 'same'),
      TypeError,
      "tapegrad.conv2d: strides must be a positive integer or a pair [height, width] of them, got '2'",
    );
    expectError(
      () => conv2d(x, w, 1, 'same', 'NHWC', 1.5),
      RangeError,
      'tapegrad.conv2d: dilations must be a positive integer or a pair [height, width] of them, got 1.5',
    );
  });

  test('a malformed pad', () => {
    const message = (got: string) =>
      "tapegrad.conv2d: pad must be 'same', 'valid', a non-negative integer or " +
      `[[0, 0], [top, bottom], [left, right], [0, 0]] of non-negative integers, got ${got}`;
    expectError(() => conv2d(x, w, 1, loose('full')), TypeError, message("'full'"));
    expectError(() => conv2d(x, w, 1, -1), TypeError, message('-1'));
    expectError(
      () =>
        conv2d(x, w, 1, [
          [1, 0],
          [0, 0],
          [0, 0],
          [0, 0],
        ]),
      TypeError,
      message('[[1,0],[0,0],[0,0],[0,0]]'),
    );
  });

  test('dimRoundingMode with a string pad, or an unknown one', () => {
    expectError(
      () => conv2d(x, w, 1, 'same', 'NHWC', 1, 'floor'),
      Error,
      "tapegrad.conv2d: dimRoundingMode 'floor' applies only to a numeric or explicit pad, got pad 'same'; " +
        'leave dimRoundingMode out',
    );
    expectError(
      () => conv2d(x, w, 1, 1, 'NHWC', 1, loose('up')),
      TypeError,
      "tapegrad.conv2d: dimRoundingMode must be 'floor', 'round' or 'ceil', got 'up'",
    );
  });

  test('a window larger than the padded input', () => {
    expectError(
      () => conv2d(zeros([1, 2, 5, 2]), w, 2, 'valid', 'NHWC', 2),
      RangeError,
      "tapegrad.conv2d: the window's effective height 5 does not fit the input height 2 with pad 'valid' " +
        "(the output height would be -1); pad the input (pad 'same') or use a smaller window",
    );
  });

  test('conv2dTranspose with an outputShape that does not fit x and the filter', () => {
    const dy = zeros([1, 3, 3, 4]);
    expectError(
      () => conv2dTranspose(dy, w, [5, 5], 2, 'same'),
      TypeError,
      'tapegrad.conv2dTranspose: outputShape must be [batch, height, width, outDepth] or [height, width, outDepth] ' +
        'of non-negative integers, got [5,5]',
    );
    expectError(
      () => conv2dTranspose(dy, w, [2, 5, 5, 2], 2, 'same'),
      Error,
      'tapegrad.conv2dTranspose: outputShape [2,5,5,2] needs batch 1 (x is [1,3,3,4]) and depth 2 ' +
        '(filter is [3,3,2,4]); the filter is [filterHeight, filterWidth, outDepth, inDepth]',
    );
    expectError(
      () => conv2dTranspose(dy, w, [1, 9, 9, 2], 2, 'same'),
      Error,
      'tapegrad.conv2dTranspose: a conv2d of an input shaped [1,9,9,2] with these strides and pad gives 5x5 outputs, ' +
        'but x is 3x3 ([1,3,3,4]); give the outputShape whose conv2d has the shape of x',
    );
    expectError(
      () => conv2dTranspose(zeros([1, 3, 3, 2]), w, [1, 5, 5, 2], 2, 'same'),
      Error,
      'tapegrad.conv2dTranspose: x has 2 channels (shape [1,3,3,2]) but the filter expects 4 (shape [3,3,2,4]); ' +
        'the filter is [filterHeight, filterWidth, outDepth, inDepth]',
    );
  });
});
