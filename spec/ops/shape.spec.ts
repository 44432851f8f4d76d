/**
 * The shape family's rearranging and joining ops (expandDims, squeeze,
 * concat, stack, unstack, split, tile, reverse): forward values against
 * hand-worked numbers and nested-array references, the gradients TensorFlow
 * gives, dtypes kept, fast-check properties over random shapes, and errors.
 * Slicing and indexing ops are in slicing.spec.ts; shared helpers in shape-reference.ts.
 */
import fc from 'fast-check';
import {
  GradientTape,
  concat,
  expandDims,
  gather,
  mul,
  pad,
  randomNormal,
  reverse,
  slice,
  split,
  squeeze,
  stack,
  stridedSlice,
  tensor,
  tile,
  unstack,
  zeros,
  type DType,
} from '../../lib/index.js';
import { at, build, counting, expectError, f64, gradient, i32, values } from './shape-reference.js';

describe('expandDims and squeeze', () => {
  test('expandDims inserts a 1 at the axis, counting negative axes from the end of the result', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect([0, 1, 2, -1, -3].map((a) => expandDims(x, a).shape)).toEqual([
      [1, 2, 3],
      [2, 1, 3],
      [2, 3, 1],
      [2, 3, 1],
      [1, 2, 3],
    ]);
    expect(expandDims(x, 1).arraySync()).toEqual([[[1, 2, 3]], [[4, 5, 6]]]);
    expect(expandDims(tensor(5)).arraySync()).toEqual([5]);
  });

  test('squeeze removes every size-1 axis, or the ones named', () => {
    const x = zeros([1, 3, 1, 1]);
    expect(squeeze(x).shape).toEqual([3]);
    expect(squeeze(x, [0, -1]).shape).toEqual([3, 1]);
    expect(squeeze(x, 2).shape).toEqual([1, 3, 1]);
    expect(squeeze(tensor([[[7]]])).arraySync()).toEqual(7);
  });

  test('their gradients reshape dy back', () => {
    const x = f64([1, 2]);
    expect(gradient((t) => mul(squeeze(expandDims(t, 1)), f64([3, 4])), x)!.arraySync()).toEqual([3, 4]);
  });
});

describe('concat, stack, unstack, split', () => {
  test('concat joins along an axis', () => {
    expect(
      concat([
        tensor([[1, 2]]),
        tensor([
          [3, 4],
          [5, 6],
        ]),
      ]).arraySync(),
    ).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(
      concat(
        [
          tensor([[1], [2]]),
          tensor([
            [3, 4],
            [5, 6],
          ]),
          zeros([2, 0]),
        ],
        -1,
      ).arraySync(),
    ).toEqual([
      [1, 3, 4],
      [2, 5, 6],
    ]);
  });

  test('concat promotes to the widest dtype and sends each input its gradient in its own dtype', () => {
    const a = tensor([1, 2]);
    const b = f64([3]);
    const tape = new GradientTape();
    tape.watch([a, b]);
    const y = concat([a, b, tensor([4], undefined, 'int32')]);
    expect([y.dtype, y.arraySync()]).toEqual(['float64', [1, 2, 3, 4]]);
    const [ga, gb] = tape.gradient(y, [a, b], f64([10, 20, 30, 40]));
    expect([ga!.dtype, ga!.arraySync(), gb!.dtype, gb!.arraySync()]).toEqual(['float32', [10, 20], 'float64', [30]]);
  });

  test('stack adds an axis; unstack takes it apart', () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([4, 5, 6]);
    expect(stack([a, b], 1).arraySync()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(stack([a, b], -1).shape).toEqual([3, 2]);
    expect(stack([tensor(1), tensor(2)]).arraySync()).toEqual([1, 2]);
    expect(values(unstack(stack([a, b], 1), 1))).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(unstack(zeros([2, 0]), 1)).toEqual([]);
  });

  test('split into equal parts or given sizes, one of them -1', () => {
    const x = counting([2, 6]);
    expect(values(split(x, 3, 1))).toEqual([
      [
        [1, 2],
        [7, 8],
      ],
      [
        [3, 4],
        [9, 10],
      ],
      [
        [5, 6],
        [11, 12],
      ],
    ]);
    expect(split(x, [1, -1, 0, 2], -1).map((p) => p.shape)).toEqual([
      [2, 1],
      [2, 3],
      [2, 0],
      [2, 2],
    ]);
  });

  test('the gradient through split and concat reaches every part', () => {
    const x = f64([1, 2, 3, 4]);
    const g = gradient((t) => {
      const [p, q] = split(t, [1, 3]);
      return concat([mul(q!, 2), p!]);
    }, x);
    expect(g!.arraySync()).toEqual([1, 2, 2, 2]);
  });

  test('concat then split round-trips over random shapes and axes', () => {
    const spec = fc.record({
      shape: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }),
      sizes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
      axisPick: fc.nat(),
      seed: fc.nat(),
    });
    fc.assert(
      fc.property(spec, ({ shape, sizes, axisPick, seed }) => {
        const axis = axisPick % shape.length;
        const parts = sizes.map((n, i) =>
          randomNormal(
            shape.map((d, k) => (k === axis ? n : d)),
            0,
            1,
            'float64',
            seed + i,
          ),
        );
        const joined = concat(parts, axis - shape.length);
        expect(joined.shape[axis]).toBe(sizes.reduce((a, b) => a + b, 0));
        expect(values(split(joined, sizes, axis))).toEqual(values(parts));
      }),
      { numRuns: 100 },
    );
  });
});

describe('tile and reverse', () => {
  test('tile repeats along each axis', () => {
    expect(
      tile(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        [2, 2],
      ).arraySync(),
    ).toEqual([
      [1, 2, 1, 2],
      [3, 4, 3, 4],
      [1, 2, 1, 2],
      [3, 4, 3, 4],
    ]);
    expect(tile(tensor([1, 2]), [0]).arraySync()).toEqual([]);
  });

  test("tile's gradient sums the copies", () => {
    expect(gradient((t) => tile(t, [3, 1]), f64([[1, 2]]), counting([3, 2]))!.arraySync()).toEqual([[9, 12]]);
  });

  test('reverse flips the named axes, all of them by default', () => {
    const x = counting([2, 2, 2]);
    expect(reverse(x, [0, 2]).arraySync()).toEqual([
      [
        [6, 5],
        [8, 7],
      ],
      [
        [2, 1],
        [4, 3],
      ],
    ]);
    expect(reverse(x).dataSync()).toEqual(new Float64Array([8, 7, 6, 5, 4, 3, 2, 1]));
    expect(gradient((t) => reverse(t), f64([1, 2, 3]), f64([10, 20, 30]))!.arraySync()).toEqual([30, 20, 10]);
  });

  test('tile, reverse, pad and slice match nested-array references over random shapes', () => {
    const spec = fc.record({
      shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
      picks: fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
    });
    fc.assert(
      fc.property(spec, ({ shape, picks }) => {
        const x = counting(shape);
        const nested = x.arraySync();
        const rank = shape.length;
        const reps = shape.map((_, d) => picks[d]! % 3);
        expect(tile(x, reps).arraySync()).toEqual(
          build(
            shape.map((n, d) => n * reps[d]!),
            (index) =>
              at(
                nested,
                index.map((i, d) => i % shape[d]!),
              ),
          ),
        );
        const axes = shape.flatMap((_, d) => (picks[3 + d]! % 2 ? [d] : []));
        expect(reverse(x, axes).arraySync()).toEqual(
          build(shape, (index) =>
            at(
              nested,
              index.map((i, d) => (axes.includes(d) ? shape[d]! - 1 - i : i)),
            ),
          ),
        );
        const paddings = shape.map((_, d) => [picks[6 + d]! % 3, picks[9 + d]! % 2] as [number, number]);
        expect(pad(x, paddings, -1).arraySync()).toEqual(
          build(
            shape.map((n, d) => n + paddings[d]![0] + paddings[d]![1]),
            (index) => {
              const inner = index.map((i, d) => i - paddings[d]![0]);
              return inner.every((i, d) => i >= 0 && i < shape[d]!) ? at(nested, inner) : -1;
            },
          ),
        );
        // A block inside the bounds: begin in [0, n], size in [0, n - begin].
        const begin = shape.map((n, d) => picks[d]! % (n + 1));
        const size = shape.map((n, d) => picks[6 + d]! % (n - begin[d]! + 1));
        const block = slice(x, begin, size);
        expect(block.shape).toEqual(size);
        expect(block.arraySync()).toEqual(
          build(size, (index) =>
            at(
              nested,
              index.map((i, d) => begin[d]! + i),
            ),
          ),
        );
        expect(rank).toBe(x.rank);
      }),
      { numRuns: 150 },
    );
  });
});

describe('dtypes: data movement keeps int32, bool, float32 and float64', () => {
  test.each<DType>(['float32', 'float64', 'int32', 'bool'])('%s', (dtype) => {
    const x = counting([2, 3], dtype === 'bool' ? 'int32' : dtype);
    const t =
      dtype === 'bool'
        ? tensor([
            [true, false, true],
            [false, true, false],
          ])
        : x;
    const results = [
      expandDims(t, 0),
      squeeze(expandDims(t, 2)),
      slice(t, [0, 1]),
      stridedSlice(t, [1, 2], [0, 0], [-1, -1]),
      gather(t, i32([1, 0]), 1),
      pad(t, [
        [1, 0],
        [0, 1],
      ]),
      tile(t, [1, 2]),
      reverse(t),
      concat([t, t]),
      stack([t, t]),
      ...split(t, 3, 1),
      ...unstack(t),
    ];
    expect(results.map((r) => r.dtype)).toEqual(results.map(() => dtype));
    expect(slice(t, [1, 1], [1, 2]).arraySync()).toEqual(dtype === 'bool' ? [[1, 0]] : [[5, 6]]);
  });
});

describe('errors name the op, the values and what to do', () => {
  const x = zeros([2, 3]);

  test('expandDims and squeeze', () => {
    expectError(
      () => expandDims(x, 3),
      RangeError,
      'tapegrad.expandDims: axis 3 is out of range for a tensor of rank 2; use an integer in [-3, 2]',
    );
    expectError(
      () => squeeze(zeros([1, 2]), [1]),
      Error,
      'tapegrad.squeeze: cannot squeeze axis 1 of [1,2]: its size is 2, not 1; squeeze only axes of size 1',
    );
    expectError(
      () => squeeze(x, 2),
      RangeError,
      'tapegrad.squeeze: axis 2 is out of range for a tensor of rank 2; use an integer in [-2, 1]',
    );
  });

  test('reverse', () => {
    expectError(() => reverse(x, [0, -2]), RangeError, 'tapegrad.reverse: axis 0 is given twice in [0,-2]');
  });

  test('concat, stack, unstack, split', () => {
    expectError(() => concat([]), Error, 'tapegrad.concat: expected a non-empty array of tensors, got []');
    expectError(
      () => concat([tensor(1), tensor(2)]),
      Error,
      'tapegrad.concat: cannot concatenate scalars; use stack, or reshape them to [1] first',
    );
    expectError(
      () => concat([x, zeros([3, 3])], 1),
      Error,
      'tapegrad.concat: tensors[1] has shape [3,3] but tensors[0] has [2,3]; all shapes must match except along axis 1',
    );
    expectError(
      () => concat([x, x], 2),
      RangeError,
      'tapegrad.concat: axis 2 is out of range for rank 2 tensors; use an integer in [-2, 1]',
    );
    expectError(
      () => stack([x, zeros([3, 2])]),
      Error,
      'tapegrad.stack: tensors[1] has shape [3,2] but tensors[0] has [2,3]; stacked tensors must all have the same shape',
    );
    expectError(
      () => stack([x, x], 3),
      RangeError,
      'tapegrad.stack: axis 3 is out of range for stacking rank 2 tensors; use an integer in [-3, 2]',
    );
    expectError(
      () => unstack(tensor(1)),
      Error,
      'tapegrad.unstack: x is a scalar; unstack needs a tensor of rank 1 or more',
    );
    expectError(
      () => split(x, 2, 1),
      Error,
      'tapegrad.split: cannot split axis 1 of [2,3] (size 3) into 2 equal parts; ' +
        'give a positive number of parts that divides the size, or a list of sizes',
    );
    expectError(
      () => split(x, [-1, -1], 1),
      Error,
      'tapegrad.split: sizes [-1,-1] do not split axis 1 of [2,3] (size 3); ' +
        'give non-negative sizes that add up to it, at most one of them -1',
    );
    expectError(
      () => split(x, [1, 1], 1),
      Error,
      'tapegrad.split: sizes [1,1] do not split axis 1 of [2,3] (size 3); ' +
        'give non-negative sizes that add up to it, at most one of them -1',
    );
    expectError(
      () => split(tensor(1), 1),
      Error,
      'tapegrad.split: x is a scalar; split needs a tensor of rank 1 or more',
    );
  });

  test('tile', () => {
    expectError(
      () => tile(x, [2]),
      Error,
      'tapegrad.tile: reps [2] do not fit x [2,3]; give 2 non-negative integers, one per axis',
    );
  });
});
