/**
 * Tensors: creation, immutability, accessors, printing, numbers in place of
 * tensors, dtype promotion and broadcasting errors (the "Tensors" section of
 * issue 2; variables are in variable.spec.ts).
 */
import {
  cast,
  GradientTape,
  Tensor,
  add,
  div,
  eye,
  fill,
  leakyRelu,
  mul,
  neg,
  ones,
  onesLike,
  randomNormal,
  randomUniform,
  range,
  scalar,
  sub,
  tensor,
  variable,
  zeros,
  zerosLike,
  type DType,
  type NestedArray,
} from '../lib/index.js';

describe('tensor(values, shape?, dtype?) creates a tensor from numbers, arrays or typed arrays', () => {
  test('a number gives a float32 scalar', () => {
    const t = tensor(3.5);
    expect(t.shape).toEqual([]);
    expect(t.dtype).toBe('float32');
    expect(t.item()).toBe(3.5);
  });

  test('nested arrays give their shape, row-major', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('a flat array with a shape is laid out row-major in that shape', () => {
    const t = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    expect(t.arraySync()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });

  test('booleans give a bool tensor', () => {
    const t = tensor([true, false]);
    expect(t.dtype).toBe('bool');
    expect(t.dataSync()).toEqual(new Uint8Array([1, 0]));
  });

  test.each([
    ['Float32Array', new Float32Array([1.5, 2]), 'float32'],
    ['Float64Array', new Float64Array([1.5, 2]), 'float64'],
    ['Int32Array', new Int32Array([1, 2]), 'int32'],
    ['Uint8Array', new Uint8Array([1, 0]), 'bool'],
  ] as const)('a %s gives a tensor of the matching dtype with a copy of its data', (_name, data, dtype) => {
    const t = tensor(data);
    expect(t.dtype).toBe(dtype);
    expect(t.shape).toEqual([2]);
    expect(Array.from(t.dataSync())).toEqual(Array.from(data));
    data[0] = 99;
    expect(t.dataSync()[0]).not.toBe(99);
  });

  test('a typed array takes a shape', () => {
    expect(tensor(new Float64Array([1, 2, 3, 4]), [2, 2]).arraySync()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  test('a Uint8Array is bool: non-zero bytes become 1', () => {
    expect(Array.from(tensor(new Uint8Array([0, 2, 255])).dataSync())).toEqual([0, 1, 1]);
  });

  test('the dtype argument overrides the inferred dtype, converting values', () => {
    expect(tensor([1, -2], undefined, 'int32').arraySync()).toEqual([1, -2]);
    expect(tensor(new Float32Array([0, 0.5]), undefined, 'bool').arraySync()).toEqual([0, 1]);
    expect(tensor(new Int32Array([1, 2]), [2], 'float64').dtype).toBe('float64');
    expect(tensor([0.1], undefined, 'float64').dataSync()[0]).toBe(0.1);
    expect(tensor([true, false], undefined, 'float32').arraySync()).toEqual([1, 0]);
  });

  test('non-integer values for an int32 tensor are an error that points to cast', () => {
    expect(() => tensor([1, 1.7], undefined, 'int32')).toThrow(
      "tapegrad.tensor: value 1.7 at flat index 1 is not an int32; round it first, or convert a float tensor with cast(x, 'int32') (which truncates)",
    );
    expect(() => tensor([2 ** 31], undefined, 'int32')).toThrow('is not an int32');
    expect(cast(tensor([1.7, -1.7]), 'int32').arraySync()).toEqual([1, -1]);
  });

  test('a tensor argument is copied, keeping its dtype unless one is given', () => {
    const a = tensor([1, 2], undefined, 'int32');
    const b = tensor(a);
    expect(b).not.toBe(a);
    expect(b.id).not.toBe(a.id);
    expect(b.dtype).toBe('int32');
    expect(tensor(a, [2, 1]).shape).toEqual([2, 1]);
    expect(tensor(a, undefined, 'float32').dtype).toBe('float32');
  });

  test('empty arrays give size-0 shapes', () => {
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
    expect(tensor([], [0, 3]).shape).toEqual([0, 3]);
  });

  test('ragged nested arrays are an error naming the depth', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow('tapegrad.tensor: nested arrays are ragged at depth 1');
    expect(() => tensor([[1, 2], 3] as number[][])).toThrow('ragged');
    expect(() => tensor([1, [2, 3]] as number[])).toThrow('ragged');
    expect(() => tensor([[], [1]])).toThrow('ragged');
  });

  test('a value count that does not fill the shape is an error naming both', () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(
      'tapegrad.tensor: 3 values do not fill shape [2,2] (4 elements); give a shape whose sizes multiply to the number of values',
    );
    expect(() => tensor(new Float32Array(5), [2, 3])).toThrow('5 values do not fill shape [2,3]');
  });
});

describe('scalar, zeros, ones, fill, zerosLike, onesLike', () => {
  test('scalar gives a rank-0 tensor, float32 by default, bool for a boolean', () => {
    expect(scalar(2).shape).toEqual([]);
    expect(scalar(2).dtype).toBe('float32');
    expect(scalar(2, 'int32').dtype).toBe('int32');
    expect(scalar(true).dtype).toBe('bool');
    expect(scalar(true).item()).toBe(1);
  });

  test('zeros and ones fill their shape, float32 by default', () => {
    expect(zeros([2, 3]).arraySync()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(ones([2], 'int32').arraySync()).toEqual([1, 1]);
    expect(ones([2], 'int32').dtype).toBe('int32');
    expect(zeros([]).shape).toEqual([]);
    expect(zeros([0, 4]).size).toBe(0);
  });

  test('fill repeats a value over a shape', () => {
    const t = fill([2, 2], 7, 'float64');
    expect(t.dtype).toBe('float64');
    expect(t.arraySync()).toEqual([
      [7, 7],
      [7, 7],
    ]);
    expect(fill([3], 5, 'bool').arraySync()).toEqual([1, 1, 1]);
  });

  test("zerosLike and onesLike take the argument's shape and dtype", () => {
    const x = tensor([[1, 2, 3]], undefined, 'float64');
    expect(zerosLike(x).shape).toEqual([1, 3]);
    expect(zerosLike(x).dtype).toBe('float64');
    expect(zerosLike(x).arraySync()).toEqual([[0, 0, 0]]);
    expect(onesLike(x).arraySync()).toEqual([[1, 1, 1]]);
    expect(onesLike(tensor([true])).dtype).toBe('bool');
  });
});

describe('range and eye', () => {
  test('range counts from start below stop by step', () => {
    expect(range(0, 5).arraySync()).toEqual([0, 1, 2, 3, 4]);
    expect(range(1, 2, 0.25).arraySync()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(range(0, 5, 2, 'int32').arraySync()).toEqual([0, 2, 4]);
    expect(range(0, 5, 2, 'int32').dtype).toBe('int32');
  });

  test('range with a negative step counts down above stop', () => {
    expect(range(5, 0, -1).arraySync()).toEqual([5, 4, 3, 2, 1]);
    expect(range(1, 0, -0.25).arraySync()).toEqual([1, 0.75, 0.5, 0.25]);
  });

  test('range is empty when stop is not ahead of start in the step direction', () => {
    expect(range(0, 0).shape).toEqual([0]);
    expect(range(5, 0).shape).toEqual([0]);
    expect(range(0, 5, -1).shape).toEqual([0]);
  });

  test('range with a zero or infinite step is an error', () => {
    expect(() => range(0, 5, 0)).toThrow('tapegrad.range: step must be a finite non-zero number, got 0');
    expect(() => range(0, 5, Infinity)).toThrow('got Infinity');
  });

  test('eye gives a square identity by default', () => {
    expect(eye(3).arraySync()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
  });

  test('eye gives a non-square identity with numColumns, in either orientation', () => {
    expect(eye(2, 3).arraySync()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(eye(3, 2, 'int32').arraySync()).toEqual([
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
    expect(eye(0).shape).toEqual([0, 0]);
  });
});

describe('randomNormal and randomUniform: reproducible from a seed, with the right distribution', () => {
  const N = 10000;
  const stats = (t: Tensor) => {
    const d = t.dataSync();
    let s = 0;
    for (const v of d) s += v;
    const mean = s / d.length;
    let q = 0;
    for (const v of d) q += (v - mean) ** 2;
    return { mean, stddev: Math.sqrt(q / d.length), min: Math.min(...d), max: Math.max(...d) };
  };

  test('the same seed gives the same draws; another seed or no seed gives different ones', () => {
    const a = randomNormal([50], 0, 1, 'float32', 42);
    expect(a.dataSync()).toEqual(randomNormal([50], 0, 1, 'float32', 42).dataSync());
    expect(a.dataSync()).not.toEqual(randomNormal([50], 0, 1, 'float32', 43).dataSync());
    expect(randomNormal([50]).dataSync()).not.toEqual(randomNormal([50]).dataSync());
    const u = randomUniform([50], 0, 1, 'float64', 7);
    expect(u.dataSync()).toEqual(randomUniform([50], 0, 1, 'float64', 7).dataSync());
    expect(randomUniform([50]).dataSync()).not.toEqual(randomUniform([50]).dataSync());
  });

  test('randomNormal has its shape, dtype, mean and stddev (10000 draws)', () => {
    const t = randomNormal([100, 100], 3, 2, 'float64', 1);
    expect(t.shape).toEqual([100, 100]);
    expect(t.dtype).toBe('float64');
    const { mean, stddev } = stats(t);
    expect(Math.abs(mean - 3)).toBeLessThan(0.1); // standard error 0.02
    expect(Math.abs(stddev - 2)).toBeLessThan(0.1);
  });

  test('randomNormal defaults to mean 0, stddev 1, float32, and fills an odd size', () => {
    const t = randomNormal([N + 1], undefined, undefined, undefined, 5);
    expect(t.dtype).toBe('float32');
    const { mean, stddev } = stats(t);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(stddev - 1)).toBeLessThan(0.05);
    expect(Number.isFinite(t.dataSync()[N]!)).toBe(true);
  });

  test('randomUniform draws lie in [minval, maxval) with mean (min + max) / 2', () => {
    const t = randomUniform([N], -2, 4, 'float32', 3);
    const { mean, stddev, min, max } = stats(t);
    expect(min).toBeGreaterThanOrEqual(-2);
    expect(max).toBeLessThan(4);
    expect(Math.abs(mean - 1)).toBeLessThan(0.1);
    expect(Math.abs(stddev - 6 / Math.sqrt(12))).toBeLessThan(0.1);
  });

  test('randomUniform float32 draws never round up to maxval', () => {
    // Between 1 and the next float32 above it, half the draws would round to maxval.
    const maxval = 1 + 2 ** -23;
    const t = randomUniform([1000], 1, maxval, 'float32', 5);
    expect(Math.max(...t.dataSync())).toBeLessThan(maxval);
  });

  test('randomUniform int32 draws are integers in [minval, maxval), each value hit', () => {
    const t = randomUniform([1000], 0, 5, 'int32', 9);
    expect(t.dtype).toBe('int32');
    expect(new Set(t.dataSync())).toEqual(new Set([0, 1, 2, 3, 4]));
  });
});

describe('a tensor is immutable', () => {
  test('dataSync returns a copy: changing it does not change the tensor', () => {
    const t = tensor([1, 2, 3]);
    const d = t.dataSync();
    d[0] = 100;
    expect(t.dataSync()[0]).toBe(1);
    expect(t.arraySync()).toEqual([1, 2, 3]);
  });

  test('arraySync returns fresh arrays', () => {
    const t = tensor([[1, 2]]);
    (t.arraySync() as number[][])[0]![0] = 100;
    expect(t.arraySync()).toEqual([[1, 2]]);
  });

  test('changing the array a tensor was made from does not change the tensor', () => {
    const source = [1, 2];
    const t = tensor(source);
    source[0] = 100;
    expect(t.arraySync()).toEqual([1, 2]);
  });

  test('an op leaves its inputs unchanged', () => {
    const a = tensor([1, 2]);
    add(a, 1);
    neg(a);
    a.reshape([2, 1]);
    expect(a.arraySync()).toEqual([1, 2]);
    expect(a.shape).toEqual([2]);
  });
});

describe('shape, dtype, size, rank', () => {
  test.each([
    ['a scalar', scalar(1), [], 1, 0],
    ['a vector', tensor([1, 2, 3]), [3], 3, 1],
    ['a rank-3 tensor', zeros([2, 3, 4]), [2, 3, 4], 24, 3],
    ['a tensor with a size-0 dimension', zeros([2, 0]), [2, 0], 0, 2],
  ])('%s has its shape, size (product of the shape) and rank', (_name, t, shape, size, rank) => {
    expect(t.shape).toEqual(shape);
    expect(t.size).toBe(size);
    expect(t.rank).toBe(rank);
  });

  test('dtype is float32 by default and as given otherwise', () => {
    expect(tensor([1]).dtype).toBe('float32');
    expect(tensor([1], undefined, 'float64').dtype).toBe('float64');
    expect(tensor([1], undefined, 'int32').dtype).toBe('int32');
    expect(tensor([1], undefined, 'bool').dtype).toBe('bool');
  });

  test('dataSync gives the typed array of the dtype', () => {
    expect(tensor([1]).dataSync()).toBeInstanceOf(Float32Array);
    expect(tensor([1], undefined, 'float64').dataSync()).toBeInstanceOf(Float64Array);
    expect(tensor([1], undefined, 'int32').dataSync()).toBeInstanceOf(Int32Array);
    expect(tensor([true]).dataSync()).toBeInstanceOf(Uint8Array);
  });

  test('every tensor has its own id', () => {
    expect(tensor([1]).id).not.toBe(tensor([1]).id);
  });
});

describe('arraySync gives nested arrays for every rank', () => {
  test('rank 0 gives a number', () => {
    expect(scalar(4).arraySync()).toBe(4);
  });

  test('ranks 1 to 3', () => {
    expect(tensor([1, 2]).arraySync()).toEqual([1, 2]);
    expect(range(0, 6).reshape([2, 3]).arraySync()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(range(0, 8).reshape([2, 2, 2]).arraySync()).toEqual([
      [
        [0, 1],
        [2, 3],
      ],
      [
        [4, 5],
        [6, 7],
      ],
    ]);
  });

  test('size-0 dimensions give empty arrays at that depth', () => {
    expect(zeros([0]).arraySync()).toEqual([]);
    expect(zeros([0, 3]).arraySync()).toEqual([]);
    expect(zeros([2, 0]).arraySync()).toEqual([[], []]);
    expect(zeros([2, 0, 3]).arraySync()).toEqual([[], []]);
    expect(zeros([1, 2, 0]).arraySync()).toEqual([[[], []]]);
  });

  test('bool tensors give 0 and 1', () => {
    expect(tensor([true, false]).arraySync()).toEqual([1, 0]);
  });
});

describe('item() gives the one element', () => {
  test('of a scalar or any one-element tensor', () => {
    expect(scalar(7).item()).toBe(7);
    expect(tensor([[7]]).item()).toBe(7);
    expect(tensor([7], undefined, 'int32').item()).toBe(7);
  });

  test('is an error for more or fewer elements, naming the count and shape', () => {
    expect(() => tensor([1, 2]).item()).toThrow(
      'tapegrad.Tensor.item: the tensor has 2 elements (shape [2]); item() needs exactly one, use dataSync() or arraySync() for more',
    );
    expect(() => zeros([0, 3]).item()).toThrow('the tensor has 0 elements (shape [0,3])');
  });
});

describe('toString prints values like NumPy/TensorFlow, with shape and dtype', () => {
  test('a matrix', () => {
    expect(
      tensor([
        [1, 2],
        [3, 4],
      ]).toString(),
    ).toBe('Tensor([[1, 2], [3, 4]], shape=[2,2], dtype=float32)');
    expect(String(tensor([[1, 2]]))).toBe('Tensor([[1, 2]], shape=[1,2], dtype=float32)');
  });

  test('a scalar, a vector and an empty tensor', () => {
    expect(scalar(3).toString()).toBe('Tensor(3, shape=[], dtype=float32)');
    expect(tensor([1, 2], undefined, 'int32').toString()).toBe('Tensor([1, 2], shape=[2], dtype=int32)');
    expect(zeros([0]).toString()).toBe('Tensor([], shape=[0], dtype=float32)');
    expect(zeros([2, 0]).toString()).toBe('Tensor([[], []], shape=[2,0], dtype=float32)');
  });

  test('float32 values print with the shortest digits that read back to them', () => {
    expect(tensor([0.1, 0.2, 1 / 3]).toString()).toBe('Tensor([0.1, 0.2, 0.33333334], shape=[3], dtype=float32)');
    expect(tensor([1e-8, -2.5]).toString()).toBe('Tensor([1e-8, -2.5], shape=[2], dtype=float32)');
  });

  test('a float32 value that needs nine significant digits prints nine, not seventeen', () => {
    expect(tensor([0.10527681559324265]).toString()).toBe('Tensor([0.105276816], shape=[1], dtype=float32)');
  });

  test('a float32 integer beyond 2^24 prints its shortest float32 digits', () => {
    expect(tensor([1.5e20]).toString()).toBe('Tensor([150000000000000000000], shape=[1], dtype=float32)');
    expect(tensor([16777217, -16777216]).toString()).toBe('Tensor([16777216, -16777216], shape=[2], dtype=float32)');
  });

  test('float64 values print with the shortest float64 digits', () => {
    expect(tensor([0.1, 1 / 3], undefined, 'float64').toString()).toBe(
      'Tensor([0.1, 0.3333333333333333], shape=[2], dtype=float64)',
    );
  });

  test('non-finite values print as NaN and Infinity', () => {
    expect(tensor([NaN, Infinity, -Infinity]).toString()).toBe(
      'Tensor([NaN, Infinity, -Infinity], shape=[3], dtype=float32)',
    );
  });

  test('bool values print as true and false', () => {
    expect(tensor([true, false]).toString()).toBe('Tensor([true, false], shape=[2], dtype=bool)');
  });

  test('a tensor of more than 1000 elements prints the first and last three of each long axis', () => {
    expect(range(0, 2000).toString()).toBe('Tensor([0, 1, 2, ..., 1997, 1998, 1999], shape=[2000], dtype=float32)');
    expect(range(0, 999).toString()).not.toContain('...');
  });
});

describe('numbers are accepted where a tensor is, taking the other operand’s dtype', () => {
  test('mul(x, 2) keeps a float32 x float32', () => {
    const y = mul(tensor([1, 2]), 2);
    expect(y.dtype).toBe('float32');
    expect(y.arraySync()).toEqual([2, 4]);
  });

  test('a float64 tensor stays float64 with a number on either side', () => {
    const x = tensor([1, 2], undefined, 'float64');
    expect(mul(x, 0.1).dtype).toBe('float64');
    expect(sub(1, x).dtype).toBe('float64');
    expect(mul(x, 0.1).dataSync()[0]).toBe(0.1);
  });

  test('an int32 tensor stays int32 with an integer and becomes float32 with 2.5', () => {
    const i = tensor([1, 2], undefined, 'int32');
    expect(mul(i, 2).dtype).toBe('int32');
    expect(mul(i, 2).arraySync()).toEqual([2, 4]);
    expect(mul(i, 2.5).dtype).toBe('float32');
    expect(mul(i, 2.5).arraySync()).toEqual([2.5, 5]);
    expect(add(2.5, i).dtype).toBe('float32');
  });

  test('nested arrays are accepted too, taking the other operand’s dtype', () => {
    const x = tensor([[1, 2]], undefined, 'float64');
    const y = add(x, [[10], [20]]);
    expect(y.dtype).toBe('float64');
    expect(y.arraySync()).toEqual([
      [11, 12],
      [21, 22],
    ]);
  });

  test('numbers on both sides give float32', () => {
    expect(add(1, 2).dtype).toBe('float32');
    expect(add(1, 2).item()).toBe(3);
  });

  test('tensor methods accept numbers', () => {
    expect(tensor([1, 2]).mul(3).arraySync()).toEqual([3, 6]);
    expect(tensor([4, 6]).div(2).arraySync()).toEqual([2, 3]);
  });
});

describe('mixed dtypes promote, and gradients come back in each source’s own dtype', () => {
  test('int32 + float32 is float32, float32 + float64 is float64, bool + int32 is int32', () => {
    const i = tensor([1, 2], undefined, 'int32');
    const f = tensor([0.5, 0.5]);
    const d = tensor([0.25, 0.25], undefined, 'float64');
    expect(add(i, f).dtype).toBe('float32');
    expect(add(i, f).arraySync()).toEqual([1.5, 2.5]);
    expect(add(f, d).dtype).toBe('float64');
    expect(add(tensor([true, false]), i).dtype).toBe('int32');
    expect(add(tensor([true, false]), i).arraySync()).toEqual([2, 2]);
  });

  test('int32 division rounds toward negative infinity and stays int32', () => {
    const q = div(tensor([7, -7], undefined, 'int32'), 2);
    expect(q.dtype).toBe('int32');
    expect(q.arraySync()).toEqual([3, -4]);
  });

  test('gradients of float32 and float64 sources mixed in one expression have the sources’ dtypes', () => {
    const f = tensor([1, 2]);
    const d = tensor([3, 4], undefined, 'float64');
    const i = tensor([5, 6], undefined, 'int32');
    using tape = new GradientTape();
    tape.watch([f, d, i]);
    const y = mul(add(f, i), d); // float64
    const [gf, gd, gi] = tape.gradient(y, [f, d, i]);
    expect(gf?.dtype).toBe('float32');
    expect(gf?.arraySync()).toEqual([3, 4]);
    expect(gd?.dtype).toBe('float64');
    expect(gd?.arraySync()).toEqual([6, 8]);
    expect(gi).toBeUndefined();
  });
});

describe('arithmetic on bool tensors is an error', () => {
  test.each([
    ['add', add],
    ['sub', sub],
    ['mul', mul],
    ['div', div],
  ] as const)('%s of two bool tensors says to cast first', (name, op) => {
    expect(() => op(tensor([true]), tensor([false]))).toThrow(
      `tapegrad.${name}: arithmetic on bool tensors is not defined; cast them with cast(x, 'int32') or cast(x, 'float32') first`,
    );
  });

  test('a boolean literal next to a bool tensor is bool too', () => {
    expect(() => add(tensor([true]), true)).toThrow('tapegrad.add: arithmetic on bool tensors');
  });

  test('neg of a bool tensor says to cast first', () => {
    expect(() => neg(tensor([true]))).toThrow('tapegrad.neg: expects a numeric tensor, got bool');
  });
});

describe('broadcasting: NumPy rules for every binary op, and an error naming the op and both shapes', () => {
  test('trailing dimensions align, and 1 stretches', () => {
    const y = add(tensor([[1], [2]]), tensor([10, 20, 30]));
    expect(y.shape).toEqual([2, 3]);
    expect(y.arraySync()).toEqual([
      [11, 21, 31],
      [12, 22, 32],
    ]);
    expect(mul(zeros([4, 1, 3]), zeros([2, 1])).shape).toEqual([4, 2, 3]);
  });

  test('incompatible shapes are an error naming the op, both shapes and the dimensions that clash', () => {
    expect(() => add(zeros([2, 3]), zeros([4]))).toThrow(
      'tapegrad.add: shapes [2,3] and [4] cannot be broadcast (dimension 3 against 4); ' +
        'make each pair of trailing dimensions equal or 1',
    );
    expect(() => mul(zeros([2, 3]), zeros([3, 3]))).toThrow('tapegrad.mul: shapes [2,3] and [3,3] cannot be broadcast');
  });
});

/**
 * Each op method, with what it gives: `x.op(...args)` is `op(x, ...args)`
 * (`concat` and `stack` put `x` first in the list).
 */
const METHOD_CASES: readonly [string, () => Tensor | Tensor[], NestedArray | NestedArray[], DType?][] = [
  ['add', () => tensor([1, 2]).add(1), [2, 3]],
  ['sub', () => tensor([1, 2]).sub(1), [0, 1]],
  ['mul', () => tensor([1, 2]).mul(2), [2, 4]],
  ['div', () => tensor([1, 2]).div(2), [0.5, 1]],
  ['pow', () => tensor([2, 3]).pow(2), [4, 9]],
  ['maximum', () => tensor([1, 5]).maximum(3), [3, 5]],
  ['minimum', () => tensor([1, 5]).minimum(3), [1, 3]],
  ['neg', () => tensor([1, -2]).neg(), [-1, 2]],
  ['square', () => tensor([2, 3]).square(), [4, 9]],
  ['sqrt', () => tensor([4, 9]).sqrt(), [2, 3]],
  ['exp', () => tensor([0]).exp(), [1]],
  ['log', () => tensor([1]).log(), [0]],
  ['relu', () => tensor([-1, 2]).relu(), [0, 2]],
  ['sigmoid', () => tensor([0]).sigmoid(), [0.5]],
  ['tanh', () => tensor([0]).tanh(), [0]],
  ['matmul', () => tensor([[1, 2]]).matmul([[3], [4]]), [[11]]],
  [
    'sum',
    () =>
      tensor([
        [1, 2],
        [3, 4],
      ]).sum(1),
    [3, 7],
  ],
  [
    'mean',
    () =>
      tensor([
        [1, 2],
        [3, 4],
      ]).mean(0),
    [2, 3],
  ],
  [
    'reshape',
    () => tensor([1, 2, 3, 4]).reshape([2, -1]),
    [
      [1, 2],
      [3, 4],
    ],
  ],
  ['transpose', () => tensor([[1, 2]]).transpose(), [[1], [2]]],
  [
    'broadcastTo',
    () => tensor([1, 2]).broadcastTo([2, 2]),
    [
      [1, 2],
      [1, 2],
    ],
  ],
  ['identity', () => tensor([1, 2]).identity(), [1, 2]],
  ['equal', () => tensor([1, 2]).equal(2), [0, 1], 'bool'],
  ['notEqual', () => tensor([1, 2]).notEqual(2), [1, 0], 'bool'],
  ['less', () => tensor([1, 2]).less(2), [1, 0], 'bool'],
  ['lessEqual', () => tensor([1, 3]).lessEqual(2), [1, 0], 'bool'],
  ['greater', () => tensor([1, 3]).greater(2), [0, 1], 'bool'],
  ['greaterEqual', () => tensor([1, 2]).greaterEqual(2), [0, 1], 'bool'],
  ['cast', () => tensor([1.7, -1.7]).cast('int32'), [1, -1], 'int32'],
  ['abs', () => tensor([-2, 3]).abs(), [2, 3]],
  ['sign', () => tensor([-2, 0, 3]).sign(), [-1, 0, 1]],
  ['reciprocal', () => tensor([2, 4]).reciprocal(), [0.5, 0.25]],
  ['rsqrt', () => tensor([4]).rsqrt(), [0.5]],
  ['expm1', () => tensor([0]).expm1(), [0]],
  ['log1p', () => tensor([0]).log1p(), [0]],
  ['softplus', () => tensor([0]).softplus(), [0.6931472]],
  ['logSigmoid', () => tensor([0]).logSigmoid(), [-0.6931472]],
  ['relu6', () => tensor([-1, 8]).relu6(), [0, 6]],
  ['leakyRelu', () => tensor([-1, 2]).leakyRelu(), [-0.2, 2]],
  ['elu', () => tensor([0, 2]).elu(), [0, 2]],
  ['selu', () => tensor([0]).selu(), [0]],
  ['sin', () => tensor([0]).sin(), [0]],
  ['cos', () => tensor([0]).cos(), [1]],
  ['tan', () => tensor([0]).tan(), [0]],
  ['asin', () => tensor([0]).asin(), [0]],
  ['acos', () => tensor([1]).acos(), [0]],
  ['atan', () => tensor([0]).atan(), [0]],
  ['sinh', () => tensor([0]).sinh(), [0]],
  ['cosh', () => tensor([0]).cosh(), [1]],
  ['asinh', () => tensor([0]).asinh(), [0]],
  ['acosh', () => tensor([1]).acosh(), [0]],
  ['atanh', () => tensor([0]).atanh(), [0]],
  ['erf', () => tensor([0]).erf(), [0]],
  ['floor', () => tensor([1.5, -1.5]).floor(), [1, -2]],
  ['ceil', () => tensor([1.5, -1.5]).ceil(), [2, -1]],
  ['round', () => tensor([0.5, 1.5]).round(), [0, 2]],
  ['squaredDifference', () => tensor([1, 4]).squaredDifference([3, 1]), [4, 9]],
  ['atan2', () => tensor([1]).atan2([0]), [1.5707964]],
  ['mod', () => tensor([5, -5]).mod(3), [2, 1]],
  ['floorDiv', () => tensor([7, -7]).floorDiv(2), [3, -4]],
  ['logicalAnd', () => tensor([true, false]).logicalAnd([true, true]), [1, 0], 'bool'],
  ['logicalOr', () => tensor([true, false]).logicalOr([false, false]), [1, 0], 'bool'],
  ['logicalNot', () => tensor([true, false]).logicalNot(), [0, 1], 'bool'],
  ['isNaN', () => tensor([1, NaN]).isNaN(), [0, 1], 'bool'],
  ['isFinite', () => tensor([1, Infinity]).isFinite(), [1, 0], 'bool'],
  ['isInf', () => tensor([1, -Infinity]).isInf(), [0, 1], 'bool'],
  ['clipByValue', () => tensor([-2, 0.5, 3]).clipByValue(0, 1), [0, 0.5, 1]],
  [
    'prod',
    () =>
      tensor([
        [1, 2],
        [3, 4],
      ]).prod(1),
    [2, 12],
  ],
  [
    'max',
    () =>
      tensor([
        [1, 5],
        [3, 2],
      ]).max(0),
    [3, 5],
  ],
  [
    'min',
    () =>
      tensor([
        [1, 5],
        [3, 2],
      ]).min(),
    1,
  ],
  ['logSumExp', () => tensor([0, 0]).logSumExp(), 0.6931472],
  ['norm', () => tensor([3, 4]).norm(), 5],
  ['all', () => tensor([true, false]).all(), 0, 'bool'],
  ['any', () => tensor([true, false]).any(), 1, 'bool'],
  ['argMax', () => tensor([2, 7, 1]).argMax(), 1, 'int32'],
  ['argMin', () => tensor([2, 7, 1]).argMin(), 2, 'int32'],
  ['cumsum', () => tensor([1, 2, 3]).cumsum(), [1, 3, 6]],
  ['softmax', () => tensor([0, 0]).softmax(), [0.5, 0.5]],
  ['logSoftmax', () => tensor([0, -1000]).logSoftmax(), [0, -1000]],
  ['expandDims', () => tensor([1, 2]).expandDims(1), [[1], [2]]],
  ['squeeze', () => tensor([[1], [2]]).squeeze(), [1, 2]],
  ['reverse', () => tensor([1, 2, 3]).reverse(), [3, 2, 1]],
  ['concat', () => tensor([1, 2]).concat([tensor([3]), tensor([4, 5])]), [1, 2, 3, 4, 5]],
  [
    'stack',
    () => tensor([1, 2]).stack(tensor([3, 4])),
    [
      [1, 2],
      [3, 4],
    ],
  ],
  [
    'unstack',
    () =>
      tensor([
        [1, 2],
        [3, 4],
      ]).unstack(),
    [
      [1, 2],
      [3, 4],
    ],
  ],
  ['split', () => tensor([1, 2, 3, 4]).split([1, -1]), [[1], [2, 3, 4]]],
  [
    'slice',
    () =>
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]).slice([0, 1], [-1, 1]),
    [[2], [5]],
  ],
  ['stridedSlice', () => tensor([0, 1, 2, 3, 4]).stridedSlice([4], [0], [-2]), [4, 2]],
  ['gather', () => tensor([10, 20, 30]).gather([2, 0]), [30, 10]],
  ['pad', () => tensor([1, 2]).pad([[1, 1]]), [0, 1, 2, 0]],
  ['tile', () => tensor([1, 2]).tile([2]), [1, 2, 1, 2]],
  [
    'oneHot',
    () => tensor([1, 0], undefined, 'int32').oneHot(2),
    [
      [0, 1],
      [1, 0],
    ],
    'int32',
  ],
  [
    'conv2d',
    () => ones([1, 3, 3, 1]).conv2d(ones([2, 2, 1, 1]), 1, 'valid'),
    [
      [
        [[4], [4]],
        [[4], [4]],
      ],
    ],
  ],
  ['depthwiseConv2d', () => ones([1, 2, 2, 2]).depthwiseConv2d(ones([2, 2, 2, 1]), 1, 'valid'), [[[[4, 4]]]]],
  ['maxPool', () => tensor([1, 2, 3, 4], [1, 2, 2, 1]).maxPool(2, 1, 'valid'), [[[[4]]]]],
  ['avgPool', () => tensor([1, 2, 3, 4], [1, 2, 2, 1]).avgPool(2, 1, 'valid'), [[[[2.5]]]]],
  [
    'conv2dTranspose',
    () => tensor([1, 2, 3, 4], [1, 2, 2, 1]).conv2dTranspose(ones([2, 2, 1, 1]), [1, 3, 3, 1], 1, 'valid'),
    [
      [
        [[1], [3], [2]],
        [[4], [10], [6]],
        [[3], [7], [4]],
      ],
    ],
  ],
];

/** Equal, numbers within float32 rounding. */
function close(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => close(actual[i], e));
  }
  if (typeof expected !== 'number' || typeof actual !== 'number') return false;
  return actual === expected || Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected));
}

describe('op methods: declared and installed by the op families', () => {
  test.each(METHOD_CASES.map((c) => [c[0], c] as const))(
    '%s gives its op of the tensor',
    (_name, [, run, expected, dtype]) => {
      const result = run();
      const value = Array.isArray(result) ? result.map((t) => t.arraySync()) : result.arraySync();
      expect({ value, close: close(value, expected) }).toEqual({ value, close: true });
      if (dtype !== undefined && !Array.isArray(result)) expect(result.dtype).toBe(dtype);
    },
  );

  test('every method is on Tensor.prototype, not enumerable, named as its op', () => {
    for (const [name] of METHOD_CASES) {
      const descriptor = Object.getOwnPropertyDescriptor(Tensor.prototype, name);
      expect({
        name,
        type: typeof descriptor?.value,
        enumerable: descriptor?.enumerable,
        fn: descriptor?.value?.name,
      }).toEqual({
        name,
        type: 'function',
        enumerable: false,
        fn: name,
      });
    }
  });

  test('a method takes its defaults from its op: leakyRelu() is leakyRelu(x), alpha 0.2', () => {
    const x = tensor([-1, 2]);
    expect(x.leakyRelu().arraySync()).toEqual(leakyRelu(x).arraySync());
    expect(x.leakyRelu(0.5).arraySync()).toEqual(leakyRelu(x, 0.5).arraySync());
  });

  test('a Variable has the methods too', () => {
    expect(variable([1, 2]).add(1).arraySync()).toEqual([2, 3]);
  });
});
