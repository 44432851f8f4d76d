/**
 * The shape family's slicing and indexing ops (slice, pad, stridedSlice,
 * gather, oneHot): forward values against hand-worked numbers and naive
 * nested-array references, stridedSlice against cases worked out from
 * TensorFlow's documented semantics (Python slicing plus its five masks),
 * the gradients TensorFlow gives (repeated gather indices add up, padding
 * gets none) to second order, fast-check properties, and errors.
 */
import fc from 'fast-check';
import {
  GradientTape,
  gather,
  mul,
  oneHot,
  pad,
  randomNormal,
  range,
  slice,
  square,
  stridedSlice,
  sum,
  tensor,
  zeros,
  type NestedArray,
  type Tensor,
} from '../../lib/index.js';
import {
  at,
  build,
  counting,
  expectError,
  f64,
  gradient,
  i32,
  loose,
  pythonSlice,
  secondDerivative,
} from './shape-reference.js';

describe('slice and pad', () => {
  const x = counting([3, 4]); // [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]

  test('slice takes the block at begin of size, -1 meaning to the end', () => {
    expect(slice(x, [1, 1], [2, 2]).arraySync()).toEqual([
      [6, 7],
      [10, 11],
    ]);
    expect(slice(x, [0, 2], [-1, 1]).arraySync()).toEqual([[3], [7], [11]]);
    expect(slice(x, [2]).arraySync()).toEqual([[9, 10, 11, 12]]);
    expect(slice(x, 1, 1).arraySync()).toEqual([[5, 6, 7, 8]]);
    expect(slice(x, [3, 4]).shape).toEqual([0, 0]);
    expect(slice(tensor(4), []).arraySync()).toEqual(4);
  });

  test('pad surrounds x with the constant', () => {
    expect(
      pad(
        tensor([[1, 2]]),
        [
          [1, 1],
          [2, 0],
        ],
        -1,
      ).arraySync(),
    ).toEqual([
      [-1, -1, -1, -1],
      [-1, -1, 1, 2],
      [-1, -1, -1, -1],
    ]);
    expect(pad(tensor([true]), [[1, 1]], 1).arraySync()).toEqual([1, 1, 1]);
    expect(pad(zeros([0]), [[2, 0]], 3).arraySync()).toEqual([3, 3]);
  });

  test("slice's gradient is dy padded with zeros; pad's is the block that came from x (the constant has none)", () => {
    const u = f64([[10, 20]]);
    expect(gradient((t) => slice(t, [1, 2], [1, 2]), counting([2, 4]), u)!.arraySync()).toEqual([
      [0, 0, 0, 0],
      [0, 0, 10, 20],
    ]);
    const dy = counting([3, 4]);
    expect(
      gradient(
        (t) =>
          pad(
            t,
            [
              [1, 0],
              [1, 2],
            ],
            9,
          ),
        f64([[0], [0]]),
        dy,
      )!.arraySync(),
    ).toEqual([[6], [10]]);
  });
});

describe('stridedSlice, against cases worked out from TensorFlow semantics', () => {
  // The tensor of TensorFlow's tf.strided_slice documentation.
  const t = tensor([
    [
      [1, 1, 1],
      [2, 2, 2],
    ],
    [
      [3, 3, 3],
      [4, 4, 4],
    ],
    [
      [5, 5, 5],
      [6, 6, 6],
    ],
  ]);

  test.each<[string, Parameters<typeof stridedSlice>, NestedArray]>([
    ['t[1:2, 0:1, 0:3]', [t, [1, 0, 0], [2, 1, 3], [1, 1, 1]], [[[3, 3, 3]]]],
    [
      't[1:2, 0:2, 0:3]',
      [t, [1, 0, 0], [2, 2, 3], [1, 1, 1]],
      [
        [
          [3, 3, 3],
          [4, 4, 4],
        ],
      ],
    ],
    [
      't[1:2, -1:-3:-1, 0:3]',
      [t, [1, -1, 0], [2, -3, 3], [1, -1, 1]],
      [
        [
          [4, 4, 4],
          [3, 3, 3],
        ],
      ],
    ],
    [
      't[1] (shrinkAxisMask)',
      [t, [1], [2], [1], 0, 0, 0, 0, 1],
      [
        [3, 3, 3],
        [4, 4, 4],
      ],
    ],
    ['t[-1, :, 0] (masks and shrinks)', [t, [-1, 0, 0], [0, 0, 1], [1, 1, 1], 2, 2, 0, 0, 5], [5, 6]],
    [
      't[..., 1] (ellipsis, shrink)',
      [t, [0, 1], [0, 2], [1, 1], 0, 0, 1, 0, 2],
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    ],
    ['t[:, newaxis, 0]', [t, [0, 0, 0], [0, 0, 1], [1, 1, 1], 1, 1, 0, 2, 4], [[[1, 1, 1]], [[3, 3, 3]], [[5, 5, 5]]]],
    [
      't[::-1, ::-1, 0]',
      [t, [0, 0, 0], [0, 0, 1], [-1, -1, 1], 3, 3, 0, 0, 4],
      [
        [6, 5],
        [4, 3],
        [2, 1],
      ],
    ],
    [
      't[2:0:-2] (an empty strided window)',
      [t, [2], [0], [-3]],
      [
        [
          [5, 5, 5],
          [6, 6, 6],
        ],
      ],
    ],
    ['t[0:0] (empty)', [t, [0], [0]], []],
  ])('%s', (_label, args, expected) => {
    expect(stridedSlice(...args).arraySync()).toEqual(expected);
  });

  test('an ellipsis followed by a new axis: t[..., newaxis]', () => {
    expect(stridedSlice(t, [0, 0], [0, 0], [1, 1], 0, 0, 1, 2).shape).toEqual([3, 2, 3, 1]);
  });

  test('bounds beyond the axis are clamped to it, in either direction', () => {
    const x = range(0, 7);
    expect(stridedSlice(x, [-100], [100]).arraySync()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(stridedSlice(x, [10], [-10], [-1]).arraySync()).toEqual([6, 5, 4, 3, 2, 1, 0]);
    expect(stridedSlice(x, [5], [2], [1]).arraySync()).toEqual([]);
  });

  test('the gradient puts dy back in its window, and its own gradient is the slice again', () => {
    const f = (x: Tensor) => stridedSlice(x, [0, 2], [2, -4], [1, -2]);
    const x = counting([2, 3]);
    expect(f(x).arraySync()).toEqual([
      [3, 1],
      [6, 4],
    ]);
    expect(
      gradient(
        f,
        x,
        f64([
          [1, 2],
          [3, 4],
        ]),
      )!.arraySync(),
    ).toEqual([
      [2, 0, 1],
      [4, 0, 3],
    ]);
    // sum(f(x)^2) has Hessian 2 on the selected elements: second derivative along v is 2v there, 0 elsewhere.
    const v = counting([2, 3]);
    expect(secondDerivative((t) => sum(square(f(t))), x, v)!.arraySync()).toEqual([
      [2, 0, 6],
      [8, 0, 12],
    ]);
  });

  test('matches Python slicing over random shapes, bounds and strides', () => {
    const axisSpec = fc.record({
      n: fc.integer({ min: 0, max: 5 }),
      b: fc.integer({ min: -7, max: 7 }),
      e: fc.integer({ min: -7, max: 7 }),
      s: fc.integer({ min: -3, max: 3 }).filter((s) => s !== 0),
    });
    fc.assert(
      fc.property(fc.array(axisSpec, { minLength: 1, maxLength: 3 }), (axes) => {
        const shape = axes.map((a) => a.n);
        const x = counting(shape);
        const nested = x.arraySync();
        const picked = axes.map(({ n, b, e, s }) => pythonSlice(n, b, e, s));
        const y = stridedSlice(
          x,
          axes.map((a) => a.b),
          axes.map((a) => a.e),
          axes.map((a) => a.s),
        );
        expect(y.shape).toEqual(picked.map((p) => p.length));
        expect(y.arraySync()).toEqual(
          build(y.shape, (index) =>
            at(
              nested,
              index.map((i, d) => picked[d]![i]!),
            ),
          ),
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('gather', () => {
  const x = counting([2, 3]); // [[1, 2, 3], [4, 5, 6]]

  test('gathers along an axis, indices of any rank', () => {
    expect(gather(x, i32([[1], [0]])).arraySync()).toEqual([[[4, 5, 6]], [[1, 2, 3]]]);
    expect(gather(x, i32([2, 2, 0]), -1).arraySync()).toEqual([
      [3, 3, 1],
      [6, 6, 4],
    ]);
    expect(gather(x, i32(1, []), 1).arraySync()).toEqual([2, 5]);
    expect(gather(x, i32([], [0]), 1).shape).toEqual([2, 0]);
  });

  test('batchDims: each batch entry uses its own indices', () => {
    const y = counting([2, 2, 3]);
    // y[b, :, idx[b, j]]
    expect(
      gather(
        y,
        i32([
          [2, 0],
          [1, 1],
        ]),
        2,
        1,
      ).arraySync(),
    ).toEqual([
      [
        [3, 1],
        [6, 4],
      ],
      [
        [8, 8],
        [11, 11],
      ],
    ]);
    expect(gather(y, i32([[1], [0]]), 1, -1).arraySync()).toEqual([[[4, 5, 6]], [[7, 8, 9]]]);
  });

  test('a repeated index receives the sum of its gradients (TensorFlow), and the second derivative follows', () => {
    const v = f64([1, 2, 3]);
    expect(gradient((t) => gather(t, i32([2, 2, 0])), v)!.arraySync()).toEqual([1, 0, 2]);
    // y = 2 x0^2 + x2^2: the second derivative along v is [4 v0, 0, 2 v2].
    const f = (t: Tensor) => sum(square(gather(t, i32([0, 0, 2]))));
    expect(secondDerivative(f, f64([1, 2, 3]), f64([1, 1, 1]))!.arraySync()).toEqual([4, 0, 2]);
  });

  test('matches a nested-array reference, and its gradient has x shape, over random shapes', () => {
    const spec = fc
      .record({
        shape: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
        indexShape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
        axisPick: fc.nat(),
        batchPick: fc.nat(),
        seed: fc.nat(),
      })
      .map((r) => {
        const batchDims = Math.min(r.batchPick % 2, r.shape.length - 1, r.indexShape.length);
        const axis = batchDims + (r.axisPick % (r.shape.length - batchDims));
        return {
          ...r,
          batchDims,
          axis,
          indexShape: [...r.shape.slice(0, batchDims), ...r.indexShape.slice(batchDims)],
        };
      });
    fc.assert(
      fc.property(spec, ({ shape, indexShape, axis, batchDims, seed }) => {
        const x = counting(shape);
        const count = indexShape.reduce((a, b) => a * b, 1);
        const idx = i32(
          Array.from({ length: count }, (_, i) => (seed + 7 * i) % shape[axis]!),
          indexShape,
        );
        const y = gather(x, idx, axis, batchDims);
        const nested = x.arraySync();
        const ni = idx.arraySync();
        const j = indexShape.length - batchDims;
        const expected = build(y.shape, (index) => {
          const k = at(ni, [...index.slice(0, batchDims), ...index.slice(axis, axis + j)]);
          return at(nested, [...index.slice(0, axis), k, ...index.slice(axis + j)]);
        });
        expect(y.arraySync()).toEqual(expected);
        const g = gradient(
          (t) => gather(t, idx, axis, batchDims),
          f64(nested),
          randomNormal(y.shape, 0, 1, 'float64', seed),
        );
        expect([g!.shape, g!.dtype]).toEqual([shape, 'float64']);
      }),
      { numRuns: 100 },
    );
  });
});

describe('oneHot', () => {
  test('puts onValue at each index and offValue elsewhere; an index outside [0, depth) gives offValue only', () => {
    expect(
      oneHot(
        i32([
          [0, 3],
          [1, -1],
        ]),
        3,
      ).arraySync(),
    ).toEqual([
      [
        [1, 0, 0],
        [0, 0, 0],
      ],
      [
        [0, 1, 0],
        [0, 0, 0],
      ],
    ]);
    const y = oneHot(i32([1]), 2, 0.5, -0.5, 'float64');
    expect([y.dtype, y.arraySync()]).toEqual(['float64', [[-0.5, 0.5]]]);
    expect(oneHot(i32([0]), 2, 1, 0, 'bool').arraySync()).toEqual([[1, 0]]);
  });

  test('is not recorded: no gradient flows through it', () => {
    const x = tensor([1]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = mul(oneHot(i32([0]), 2, 1, 0, 'float32'), x);
    expect(tape.gradient(y, x)!.arraySync()).toEqual([1]);
  });
});

describe('errors name the op, the values and what to do', () => {
  const x = zeros([2, 3]);

  test('slice', () => {
    expectError(
      () => slice(x, [0, 4]),
      RangeError,
      'tapegrad.slice: begin 4 is out of range for axis 1 of [2,3]; use an integer in [0, 3]',
    );
    expectError(
      () => slice(x, [1, 1], [2, 1]),
      RangeError,
      'tapegrad.slice: size 2 at begin 1 does not fit axis 0 of [2,3]; use a size in [0, 1], or -1 for the rest of the axis',
    );
    expectError(
      () => slice(x, [0, 0, 0]),
      Error,
      'tapegrad.slice: begin [0,0,0] and size undefined give more axes than x has ([2,3]); give at most 2 entries',
    );
    expectError(
      () => slice(x, loose([0.5])),
      TypeError,
      'tapegrad.slice: begin must be an integer or an array of integers, got [0.5]',
    );
  });

  test('pad', () => {
    expectError(
      () => pad(x, [[1, 1]]),
      Error,
      'tapegrad.pad: paddings [[1,1]] do not fit x [2,3]; give 2 pairs [before, after] of non-negative integers, one per axis',
    );
    expectError(
      () =>
        pad(x, [
          [0, 0],
          [-1, 0],
        ]),
      Error,
      'tapegrad.pad: paddings [[0,0],[-1,0]] do not fit x [2,3]; give 2 pairs [before, after] of non-negative integers, one per axis',
    );
    expectError(
      () =>
        pad(
          x,
          [
            [0, 0],
            [0, 0],
          ],
          loose('0'),
        ),
      TypeError,
      'tapegrad.pad: constantValue must be a number, got "0"',
    );
  });

  test('stridedSlice', () => {
    expectError(
      () => stridedSlice(x, [0], [1], [0]),
      RangeError,
      'tapegrad.stridedSlice: strides[0] is 0; give a non-zero stride',
    );
    expectError(
      () => stridedSlice(x, [0, 0], [1, 1], [1, 1], 0, 0, 3),
      Error,
      'tapegrad.stridedSlice: ellipsisMask 3 marks 2 entries; mark at most one ellipsis',
    );
    expectError(
      () => stridedSlice(x, [0, 3], [1, 4], [1, 1], 0, 0, 0, 0, 2),
      RangeError,
      'tapegrad.stridedSlice: index 3 is out of range for axis 1 of [2,3] (shrinkAxisMask); use an index in [-3, 2]',
    );
    expectError(
      () => stridedSlice(x, [1], [0], [-1], 0, 0, 0, 0, 1),
      RangeError,
      'tapegrad.stridedSlice: strides[0] is -1 on a shrunk axis (shrinkAxisMask); a shrunk axis needs a positive stride',
    );
    expectError(
      () => stridedSlice(x, [0, 0, 0], [1, 1, 1]),
      Error,
      'tapegrad.stridedSlice: the specification indexes 3 axes but x [2,3] has 2; ' +
        'give at most one entry per axis (new axes and the ellipsis excepted)',
    );
    expectError(
      () => stridedSlice(x, [0, 0], [1]),
      Error,
      'tapegrad.stridedSlice: begin, end and strides have 2, 1 and 2 entries; give the same number of each',
    );
    expectError(
      () => stridedSlice(x, [0], [1], [1], -1),
      TypeError,
      'tapegrad.stridedSlice: beginMask must be a non-negative integer, got -1',
    );
  });

  test('gather', () => {
    expectError(
      () => gather(x, i32([0, 3]), 1),
      RangeError,
      'tapegrad.gather: index 3 (at flat position 1 of indices) is out of range for axis 1 of [2,3]; indices must be in [0, 3)',
    );
    expectError(
      () => gather(x, i32([-1])),
      RangeError,
      'tapegrad.gather: index -1 (at flat position 0 of indices) is out of range for axis 0 of [2,3]; indices must be in [0, 2)',
    );
    expectError(
      () => gather(x, tensor([0])),
      TypeError,
      "tapegrad.gather: indices must be int32, got float32; cast them with cast(indices, 'int32')",
    );
    expectError(
      () => gather(x, i32([0]), 2),
      RangeError,
      'tapegrad.gather: axis 2 is out of range for a tensor of rank 2; use an integer in [-2, 1]',
    );
    expectError(
      () => gather(x, i32([[0], [0]]), 0, 1),
      RangeError,
      'tapegrad.gather: axis 0 is a batch axis (batchDims 1); use an axis >= batchDims',
    );
    expectError(
      () => gather(x, i32([[0], [0], [0]]), 1, 1),
      Error,
      'tapegrad.gather: the batch axes of x [2,3] and indices [3,1] differ (axis 0: 2 vs 3); the first 1 axes must match',
    );
    expectError(
      () => gather(x, i32([0]), 1, 2),
      RangeError,
      'tapegrad.gather: batchDims 2 is out of range for indices [1] and x [2,3]; use an integer in [-1, 1]',
    );
    expectError(
      () => gather(tensor(1), i32([0])),
      RangeError,
      'tapegrad.gather: x is a scalar; gather needs a tensor of rank 1 or more',
    );
  });

  test('oneHot', () => {
    expectError(
      () => oneHot(tensor([0]), 2),
      TypeError,
      "tapegrad.oneHot: indices must be int32, got float32; cast them with cast(indices, 'int32')",
    );
    expectError(
      () => oneHot(i32([0]), -1),
      RangeError,
      'tapegrad.oneHot: depth must be a non-negative integer, got -1',
    );
    expectError(
      () => oneHot(i32([0]), 2, 1, 0, loose('float16')),
      TypeError,
      'tapegrad.oneHot: unknown dtype "float16"; use one of float32, float64, int32, bool',
    );
  });
});
