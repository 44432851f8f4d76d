/**
 * maxPool and avgPool: forward values against naive pooling over nested
 * arrays (TensorFlow's 'same' padding, means over in-bounds elements),
 * hand-worked cases, the gradients' tie rule, and every error.
 */
import fc from 'fast-check';
import {
  GradientTape,
  avgPool,
  maxPool,
  mul,
  randomUniform,
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
function axis(inSize: number, window: number, stride: number, pad: Pad, d: 0 | 1) {
  if (pad === 'same') {
    const out = Math.ceil(inSize / stride);
    return { out, before: Math.floor(Math.max(0, (out - 1) * stride + window - inSize) / 2) };
  }
  const [before, after] = pad === 'valid' ? [0, 0] : typeof pad === 'number' ? [pad, pad] : pad[d + 1]!;
  return { out: Math.floor((inSize + before + after - window) / stride) + 1, before };
}

/** Pools each window's in-bounds elements with `reduce`. */
function naivePool(x: Image, size: Pair, strides: Pair, pad: Pad, reduce: (window: number[]) => number): Image {
  const [fh, fw] = pair(size);
  const [sh, sw] = pair(strides);
  const [H, W, C] = [x[0]!.length, x[0]![0]!.length, x[0]![0]![0]!.length];
  const rows = axis(H, fh, sh, pad, 0);
  const cols = axis(W, fw, sw, pad, 1);
  return x.map((image) =>
    Array.from({ length: rows.out }, (_, i) =>
      Array.from({ length: cols.out }, (_, j) =>
        Array.from({ length: C }, (_, c) => {
          const window: number[] = [];
          for (let p = 0; p < fh; p++) {
            for (let q = 0; q < fw; q++) {
              const h = i * sh + p - rows.before;
              const v = j * sw + q - cols.before;
              if (h >= 0 && h < H && v >= 0 && v < W) window.push(image[h]![v]![c]!);
            }
          }
          return reduce(window);
        }),
      ),
    ),
  );
}

const max = (w: number[]) => Math.max(...w);
const mean = (w: number[]) => w.reduce((a, b) => a + b, 0) / w.length;
const flat = (x: Image | Tensor): number[] =>
  Array.isArray(x) ? (x as unknown[]).flat(4).map(Number) : Array.from(x.dataSync());
const counting = (shape: number[]) =>
  tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 1),
    shape,
  );

interface Config {
  readonly x: number[];
  readonly size: Pair;
  readonly strides: Pair;
  readonly pad: Pad;
  readonly out: number[];
}

const CONFIGS: readonly Config[] = [
  { x: [1, 5, 5, 1], size: 3, strides: 2, pad: 'same', out: [1, 3, 3, 1] },
  { x: [1, 4, 4, 1], size: 3, strides: 2, pad: 'same', out: [1, 2, 2, 1] },
  { x: [2, 7, 7, 3], size: 3, strides: 1, pad: 'same', out: [2, 7, 7, 3] },
  { x: [1, 7, 6, 2], size: [3, 2], strides: [2, 3], pad: 'valid', out: [1, 3, 2, 2] },
  { x: [1, 6, 5, 2], size: 2, strides: 2, pad: 'same', out: [1, 3, 3, 2] },
  { x: [2, 5, 5, 1], size: 3, strides: 2, pad: 1, out: [2, 3, 3, 1] },
  {
    x: [1, 5, 4, 2],
    size: 2,
    strides: 1,
    pad: [
      [0, 0],
      [1, 0],
      [0, 1],
      [0, 0],
    ],
    out: [1, 5, 4, 2],
  },
];

describe.each([
  ['maxPool', maxPool, max],
  ['avgPool', avgPool, mean],
] as const)('%s', (_name, pool, reduce) => {
  test.each(CONFIGS.map((c) => [JSON.stringify(c), c] as const))(
    'matches naive pooling in float32 and float64: %s',
    (_label, c) => {
      for (const dtype of ['float32', 'float64'] as const) {
        const x = randomUniform(c.x, -1, 1, dtype, 3);
        const y = pool(x, c.size, c.strides, c.pad);
        expect([y.shape, y.dtype]).toEqual([c.out, dtype]);
        const expected = flat(naivePool(x.arraySync() as Image, c.size, c.strides, c.pad, reduce));
        flat(y).forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(dtype === 'float32' ? 1e-6 : 1e-14));
      }
    },
  );

  test('for random shapes, windows, strides and pads, matches naive pooling', () => {
    const size = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }));
    const params = fc
      .record({
        x: fc.tuple(
          fc.integer({ min: 1, max: 2 }),
          fc.integer({ min: 4, max: 7 }),
          fc.integer({ min: 4, max: 7 }),
          fc.integer({ min: 1, max: 3 }),
        ),
        size,
        strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
        // A numeric pad below the window keeps every window partly inside x.
        pad: fc.oneof(fc.constant<Pad>('same'), fc.constant<Pad>('valid'), fc.integer({ min: 0, max: 3 })),
      })
      .filter((p) => typeof p.pad !== 'number' || p.pad < Math.min(...p.size));
    fc.assert(
      fc.property(params, (p) => {
        const x = randomUniform(p.x, -1, 1, 'float64', 8);
        const y = pool(x, p.size, p.strides, p.pad);
        const expected = flat(naivePool(x.arraySync() as Image, p.size, p.strides, p.pad, reduce));
        expect(y.size).toBe(expected.length);
        flat(y).forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-14));
      }),
      { numRuns: 60 },
    );
  });

  test('a rank-3 input is a batch of one and gives a rank-3 result', () => {
    const y = pool(counting([5, 5, 1]), 3, 2, 'same');
    expect(y.shape).toEqual([3, 3, 1]);
    expect(flat(y)).toEqual(flat(pool(counting([1, 5, 5, 1]), 3, 2, 'same')));
  });

  test('the gradient is the adjoint: <pool(x), dy> = <x, dx>', () => {
    const x = randomUniform([1, 5, 5, 2], -1, 1, 'float64', 4);
    const dy = randomUniform([1, 3, 3, 2], -1, 1, 'float64', 5);
    const tape = new GradientTape();
    tape.watch(x);
    const y = pool(x, 3, 2, 'same');
    const [dx] = tape.gradient(sum(mul(y, dy)), [x]);
    // Both pools are linear in x given the argmax (which the gradient holds fixed).
    expect(Math.abs(sum(mul(x, dx!)).item() - sum(mul(y, dy)).item())).toBeLessThan(1e-12);
  });
});

describe('maxPool', () => {
  test("TensorFlow's 'same' at stride 2 on odd and even sizes, by hand", () => {
    // 5x5 with a 3x3 window: pad 1 before and 1 after.
    expect(flat(maxPool(counting([1, 5, 5, 1]), 3, 2, 'same'))).toEqual([7, 9, 10, 17, 19, 20, 22, 24, 25]);
    // 4x4 with a 3x3 window: pad 0 before and 1 after.
    expect(flat(maxPool(counting([1, 4, 4, 1]), 3, 2, 'same'))).toEqual([11, 12, 15, 16]);
  });

  test('padding never wins the maximum', () => {
    const x = tensor([-5, -6, -7, -8], [1, 2, 2, 1]);
    expect(flat(maxPool(x, 2, 1, 'same'))).toEqual([-5, -6, -7, -8]);
    expect(flat(maxPool(x, 2, 2, 1))).toEqual([-5, -6, -7, -8]);
  });

  test('a tie sends the gradient to the first maximum in row-major window order', () => {
    const x = zeros([1, 2, 2, 1]);
    const tape = new GradientTape();
    tape.watch(x);
    const [dx] = tape.gradient(maxPool(x, 2, 1, 'valid'), [x]);
    expect(flat(dx!)).toEqual([1, 0, 0, 0]);
  });

  test('overlapping windows add their gradients at a shared maximum', () => {
    const x = tensor([0, 0, 0, 0, 9, 0, 0, 0, 0], [1, 3, 3, 1]);
    const tape = new GradientTape();
    tape.watch(x);
    const [dx] = tape.gradient(maxPool(x, 2, 1, 'valid'), [x]);
    expect(flat(dx!)).toEqual([0, 0, 0, 0, 4, 0, 0, 0, 0]);
  });

  test('a NaN in a window is its maximum', () => {
    expect(flat(maxPool(tensor([1, NaN, 3, 4], [1, 2, 2, 1]), 2, 1, 'valid'))).toEqual([NaN]);
  });

  test('pools int32 without a gradient dtype change', () => {
    const y = maxPool(tensor([1, 5, 3, 2], [1, 2, 2, 1], 'int32'), 2, 1, 'valid');
    expect([flat(y), y.dtype]).toEqual([[5], 'int32']);
  });

  test('the second derivative through maxPool is the gather at the same maxima', () => {
    const x = tensor([1, 2, 3, 4, 9, 5, 6, 7, 8], [1, 3, 3, 1], 'float64');
    const dy = tensor([1, 2, 3, 4], [1, 2, 2, 1], 'float64');
    const outer = new GradientTape();
    outer.watch(dy);
    const inner = new GradientTape();
    inner.watch(x);
    const [dx] = inner.gradient(sum(mul(maxPool(x, 2, 1, 'valid'), dy)), [x]);
    // Every window's maximum is the 9 at the centre: d/d dy of <dx, u> = u[centre] in every window.
    const u = tensor([0, 0, 0, 0, 10, 0, 0, 0, 1], [1, 3, 3, 1], 'float64');
    const [ddy] = outer.gradient(sum(mul(dx!, u)), [dy]);
    expect(flat(ddy!)).toEqual([10, 10, 10, 10]);
  });
});

describe('avgPool', () => {
  test("TensorFlow's 'same' at stride 2 divides by the in-bounds count, by hand", () => {
    expect(flat(avgPool(counting([1, 5, 5, 1]), 3, 2, 'same'))).toEqual([4, 5.5, 7, 11.5, 13, 14.5, 19, 20.5, 22]);
    expect(flat(avgPool(counting([1, 4, 4, 1]), 3, 2, 'same'))).toEqual([6, 7.5, 12, 13.5]);
  });

  test('the gradient shares dy equally over the in-bounds elements of each window', () => {
    const x = zeros([1, 3, 3, 1]);
    const tape = new GradientTape();
    tape.watch(x);
    // 2x2 windows at stride 2, 'same': counts 4, 2, 2, 1.
    const [dx] = tape.gradient(avgPool(x, 2, 2, 'same'), [x]);
    expect(flat(dx!)).toEqual([0.25, 0.25, 0.5, 0.25, 0.25, 0.5, 0.5, 0.5, 1]);
  });

  test('averages int32 input in float32', () => {
    const y = avgPool(tensor([1, 2, 3, 4], [1, 2, 2, 1], 'int32'), 2, 1, 'valid');
    expect([flat(y), y.dtype]).toEqual([[2.5], 'float32']);
  });
});

describe('pooling errors', () => {
  test('a wrong rank', () => {
    expectError(
      () => maxPool(zeros([4, 4]), 2, 2, 'valid'),
      Error,
      'tapegrad.maxPool: x must have rank 4 [batch, height, width, channels] or rank 3 [height, width, channels], got shape [4,4]',
    );
  });

  test('a bool input', () => {
    expectError(
      () => avgPool(tensor([true], [1, 1, 1]), 1, 1, 'valid'),
      TypeError,
      "tapegrad.avgPool: expects a numeric tensor, got bool; cast it first, e.g. cast(x, 'float32')",
    );
  });

  test('a malformed filterSize or strides', () => {
    expectError(
      () => maxPool(zeros([1, 4, 4, 1]), [2, 0], 1, 'valid'),
      RangeError,
      'tapegrad.maxPool: filterSize must be a positive integer or a pair [height, width] of them, got [2,0]',
    );
    expectError(
      () => avgPool(zeros([1, 4, 4, 1]), 2, loose([1, 1, 1]), 'valid'),
      TypeError,
      'tapegrad.avgPool: strides must be a positive integer or a pair [height, width] of them, got [1,1,1]',
    );
  });

  test('a window larger than the input', () => {
    expectError(
      () => maxPool(zeros([1, 2, 2, 1]), 4, 1, 'valid'),
      RangeError,
      "tapegrad.maxPool: the window's effective height 4 does not fit the input height 2 with pad 'valid' " +
        "(the output height would be -1); pad the input (pad 'same') or use a smaller window",
    );
  });

  test('windows wholly in the padding', () => {
    expectError(
      () => maxPool(zeros([1, 3, 3, 1]), 2, 1, 2),
      RangeError,
      'tapegrad.maxPool: some 2x2 windows of x [1,3,3,1] lie wholly in the padding ' +
        '(padding top 2, left 2, bottom 2, right 2); use less padding than the window size',
    );
    // Rounding the output size up can also add a window past the input: (5 - 1) / 3 + 1 = 2.33 -> 3.
    expectError(
      () => avgPool(zeros([1, 5, 5, 1]), 1, 3, 0, 'ceil'),
      RangeError,
      'tapegrad.avgPool: some 1x1 windows of x [1,5,5,1] lie wholly in the padding ' +
        '(padding top 0, left 0, bottom 2, right 2); use less padding than the window size',
    );
  });
});
