/**
 * Creation at the edges (issue 10): booleans among numbers, values that are
 * not numbers, bounds of random draws, sizes past what a tensor can hold, and
 * shapes printed as given.
 */
import {
  add,
  broadcastTo,
  dropout,
  eye,
  fill,
  ones,
  randomNormal,
  randomUniform,
  range,
  scalar,
  tensor,
  tile,
  matmul,
  pad,
  oneHot,
  variable,
  zeros,
  type Tensor,
} from '../lib/index.js';
import { allocate } from '../lib/dtype.js';
import { checkShape, MAX_SIZE } from '../lib/shape.js';
import { expectError, loose } from './support/errors.js';

const valuesOf = (t: Tensor) => ({ dtype: t.dtype, values: t.arraySync() });

describe('booleans mixed with numbers are numbers, as in NumPy', () => {
  test.each<[string, unknown, unknown]>([
    ['[true, 5]', [true, 5], [1, 5]],
    ['[0.5, false]', [0.5, false], [0.5, 0]],
    ['[[true], [2]] (nested)', [[true], [2]], [[1], [2]]],
    [
      '[[false, true], [3, 4]]',
      [
        [false, true],
        [3, 4],
      ],
      [
        [0, 1],
        [3, 4],
      ],
    ],
  ])('tensor(%s) is float32', (_name, values, expected) => {
    expect(valuesOf(tensor(loose(values)))).toEqual({ dtype: 'float32', values: expected });
  });

  test('booleans alone stay bool; an empty array is float32', () => {
    expect(valuesOf(tensor([[true], [false]]))).toEqual({ dtype: 'bool', values: [[1], [0]] });
    expect(tensor(true).dtype).toBe('bool');
    expect(tensor([]).dtype).toBe('float32');
    expect(tensor([[], []]).dtype).toBe('float32');
  });

  test('a mixed array in an op is a number array (it takes the other operand dtype)', () => {
    expect(valuesOf(add(tensor([1, 1]), loose([true, 2])))).toEqual({ dtype: 'float32', values: [2, 3] });
    expect(valuesOf(variable(loose([false, 3])))).toEqual({ dtype: 'float32', values: [0, 3] });
  });
});

describe('a value that is neither a number nor a boolean is an error naming the op', () => {
  const message = (op: string, got: string) =>
    `tapegrad.${op}: cannot make a tensor from ${got}; give numbers, booleans or arrays of them`;

  test.each<[string, unknown, string]>([
    ['an object', [1, {}], 'an object'],
    ['a string', [[1], ['2']], 'string'],
    ['null', [null, 1], 'null'],
    ['undefined', [1, undefined], 'undefined'],
    ['a hole in a sparse array', [1, , 3], 'undefined'], // eslint-disable-line no-sparse-arrays
    ['a typed array inside an array', [new Float32Array(2)], 'Float32Array'],
  ])('tensor of nested %s', (_name, values, got) => {
    expectError(() => tensor(loose(values)), TypeError, message('tensor', got));
  });

  test('an op argument names the op, not tensor', () => {
    expectError(() => add(tensor([1]), loose(['a'])), TypeError, message('add', 'string'));
    expectError(
      () => add(tensor([1]), loose([[1], [2, 3]])),
      Error,
      'tapegrad.add: nested arrays are ragged at depth 1 (shape so far [2,1]); every row must have the same length',
    );
  });

  test.each<[string, () => unknown, string]>([
    ['fill({})', () => fill([2], loose({})), 'tapegrad.fill: expected a number or boolean, got an object'],
    ["fill('3')", () => fill([2], loose('3')), 'tapegrad.fill: expected a number or boolean, got string'],
    ['fill(null)', () => fill([2], loose(null)), 'tapegrad.fill: expected a number or boolean, got null'],
    [
      'fill(undefined)',
      () => fill([2], loose(undefined)),
      'tapegrad.fill: expected a number or boolean, got undefined',
    ],
    ["scalar('x')", () => scalar(loose('x')), 'tapegrad.scalar: expected a number or boolean, got string'],
  ])('%s is an error', (_name, fn, text) => {
    expectError(fn, TypeError, text);
  });

  test('fill takes a boolean as scalar does: bool by default', () => {
    expect(valuesOf(fill([2], true))).toEqual({ dtype: 'bool', values: [1, 1] });
    expect(valuesOf(fill([2], true, 'float32'))).toEqual({ dtype: 'float32', values: [1, 1] });
  });

  test('an int32 scalar or fill must be given an int32, as tensor must (no silent truncation)', () => {
    const text = (op: string, v: string) =>
      `tapegrad.${op}: value ${v} is not an int32; round it first, or give a float dtype`;
    expectError(() => scalar(1.5, 'int32'), TypeError, text('scalar', '1.5'));
    expectError(() => scalar(2 ** 31, 'int32'), TypeError, text('scalar', '2147483648'));
    expectError(() => fill([2], 1.5, 'int32'), TypeError, text('fill', '1.5'));
    expectError(() => fill([2], NaN, 'int32'), TypeError, text('fill', 'NaN'));
    expect(valuesOf(fill([2], -3, 'int32'))).toEqual({ dtype: 'int32', values: [-3, -3] });
  });

  test('a number next to an int32 tensor stays int32 only if it is an int32 (2^31 is float32, not an error)', () => {
    const n = tensor([1], undefined, 'int32');
    expect(add(n, 2).dtype).toBe('int32');
    expect(valuesOf(add(n, 2 ** 31))).toEqual({ dtype: 'float32', values: [2 ** 31] });
  });

  test('a number becomes bool as cast does (non-zero is true, NaN too), whichever function makes it', () => {
    expect(scalar(NaN, 'bool').item()).toBe(1);
    expect(fill([1], NaN, 'bool').arraySync()).toEqual([1]);
    expect(tensor([NaN], undefined, 'bool').arraySync()).toEqual([1]);
    expect(fill([1], 0.5, 'bool').arraySync()).toEqual([1]);
  });

  test.each<[string, () => unknown, string]>([
    ['start', () => range(loose('0'), 3), 'tapegrad.range: start must be a number, got string'],
    ['stop', () => range(0, loose(null)), 'tapegrad.range: stop must be a number, got null'],
    ['step', () => range(0, 3, loose(true)), 'tapegrad.range: step must be a number, got boolean'],
  ])('range with a %s that is not a number', (_name, fn, text) => {
    expectError(fn, TypeError, text);
  });

  test('an int32 range needs integer start and step and values that fit (no silent truncation)', () => {
    const text = (args: string) =>
      `tapegrad.range: an int32 range needs integer start and step and int32 values, got range(${args}); ` +
      'round them, or make a float range';
    expectError(() => range(0, 1, 0.25, 'int32'), TypeError, text('0, 1, 0.25'));
    expectError(() => range(0.5, 3, 1, 'int32'), TypeError, text('0.5, 3, 1'));
    expectError(() => range(2 ** 31 - 1, 2 ** 31 + 1, 1, 'int32'), TypeError, text('2147483647, 2147483649, 1'));
    expect(range(0, 2.5, 1, 'int32').arraySync()).toEqual([0, 1, 2]);
    expect(range(3, 3, 0.5, 'int32').shape).toEqual([0]);
  });

  test('eye takes only non-negative integer sizes', () => {
    expectError(
      () => eye(loose('2')),
      TypeError,
      'tapegrad.eye: shape must be an array of non-negative integers, got ["2","2"]',
    );
    expectError(
      () => eye(2, loose(true)),
      TypeError,
      'tapegrad.eye: shape must be an array of non-negative integers, got [2,true]',
    );
  });
});

describe('random draws check their parameters', () => {
  test.each<[string, () => unknown, typeof TypeError | typeof RangeError, string]>([
    [
      'a string mean',
      () => randomNormal([2], loose('1')),
      TypeError,
      'tapegrad.randomNormal: mean must be a number, got string',
    ],
    ['a NaN mean', () => randomNormal([2], NaN), RangeError, 'tapegrad.randomNormal: mean must be finite, got NaN'],
    [
      'a negative stddev',
      () => randomNormal([2], 0, -1),
      RangeError,
      'tapegrad.randomNormal: stddev must be a finite number >= 0, got -1',
    ],
    [
      'a NaN stddev',
      () => randomNormal([2], 0, NaN),
      RangeError,
      'tapegrad.randomNormal: stddev must be a finite number >= 0, got NaN',
    ],
    [
      'an infinite stddev',
      () => randomNormal([2], 0, Infinity),
      RangeError,
      'tapegrad.randomNormal: stddev must be a finite number >= 0, got Infinity',
    ],
    [
      'a string minval',
      () => randomUniform([2], loose('0')),
      TypeError,
      'tapegrad.randomUniform: minval must be a number, got string',
    ],
    [
      'an infinite maxval',
      () => randomUniform([2], 0, Infinity),
      RangeError,
      'tapegrad.randomUniform: minval and maxval must be finite numbers, got 0 and Infinity',
    ],
    [
      'a NaN minval',
      () => randomUniform([2], NaN, 1),
      RangeError,
      'tapegrad.randomUniform: minval and maxval must be finite numbers, got NaN and 1',
    ],
    [
      'minval above maxval',
      () => randomUniform([2], 2, 1),
      RangeError,
      'tapegrad.randomUniform: maxval (1) must be greater than minval (2)',
    ],
    [
      'int32 draws between non-integer bounds',
      () => randomUniform([2], 0.5, 1.5, 'int32'),
      RangeError,
      'tapegrad.randomUniform: int32 draws need integer bounds in [-2^31, 2^31], got 0.5 and 1.5; round them',
    ],
    [
      'float32 draws where no float32 lies (they would be redrawn forever)',
      () => randomUniform([1], 0.1, 0.10000000000000002, 'float32'),
      RangeError,
      'tapegrad.randomUniform: no float32 lies in [0.1, 0.10000000000000002); widen the interval or draw float64',
    ],
  ])('%s is an error', (_name, fn, kind, text) => {
    expectError(fn, kind, text);
  });

  test('a zero stddev draws the mean; integer int32 bounds draw within them', () => {
    expect(randomNormal([3], 2, 0, 'float32', 1).arraySync()).toEqual([2, 2, 2]);
    const u = randomUniform([200], -2, 3, 'int32', 1).dataSync();
    expect(Math.min(...u)).toBe(-2);
    expect(Math.max(...u)).toBe(2);
    expect(randomUniform([2], 0.1, 0.10000000000000002, 'float64', 1).dataSync()[0]).toBe(0.1);
  });
});

describe('a size past what a tensor holds is an error naming the op, the shape and the limit', () => {
  const limit = 'more than the 4294967296 (2^32) a tensor can hold; split the work into smaller tensors';

  test('the limit is 2^32 elements, the typed-array length limit of Node 20', () => {
    expect(MAX_SIZE).toBe(2 ** 32);
  });

  test.each<[string, () => unknown, string]>([
    ['zeros', () => zeros([1e6, 1e6]), 'shape [1000000,1000000] has 1000000000000 elements'],
    ['ones', () => ones([2 ** 16, 2 ** 16, 2]), 'shape [65536,65536,2] has 8589934592 elements'],
    ['fill', () => fill([2 ** 32 + 1], 1), 'shape [4294967297] has 4294967297 elements'],
    ['eye', () => eye(1e5), 'shape [100000,100000] has 10000000000 elements'],
    ['tensor', () => tensor([1], [1e5, 1e5]), 'shape [100000,100000] has 10000000000 elements'],
    ['randomNormal', () => randomNormal([1e5, 1e5]), 'shape [100000,100000] has 10000000000 elements'],
    ['randomUniform', () => randomUniform([1e5, 1e5]), 'shape [100000,100000] has 10000000000 elements'],
    ['range', () => range(0, 1e12, 1), 'range(0, 1000000000000, 1) has 1000000000000 elements'],
    ['broadcastTo', () => broadcastTo(zeros([1]), [1e5, 1e5]), 'shape [100000,100000] has 10000000000 elements'],
    [
      'add',
      () => add(zeros([1e5, 1]), zeros([1, 1e5])),
      'broadcasting [100000,1] and [1,100000] gives [100000,100000], which has 10000000000 elements',
    ],
  ])('%s', (op, fn, what) => {
    expectError(fn, RangeError, `tapegrad.${op}: ${what}, ${limit}`);
  });

  test('a shape of exactly 2^32 elements passes the check; one more does not (checked without allocating)', () => {
    expect(() => checkShape('zeros', [2 ** 16, 2 ** 16])).not.toThrow();
    expectError(
      () => checkShape('zeros', [2 ** 32 + 1, 1]),
      RangeError,
      `tapegrad.zeros: shape [4294967297,1] has 4294967297 elements, ${limit}`,
    );
    // The check is on the product: a huge axis beside an empty one holds nothing.
    expect(zeros([2 ** 40, 0]).size).toBe(0);
  });

  test('every allocation checks the size, naming the op where the caller says it (else tapegrad)', () => {
    expectError(
      () => allocate('float32', 2 ** 33, 'tile'),
      RangeError,
      `tapegrad.tile: a float32 result has 8589934592 elements, ${limit}`,
    );
    expectError(
      () => allocate('float32', 2 ** 33),
      RangeError,
      `tapegrad: a float32 result has 8589934592 elements, ${limit}`,
    );
  });

  test('ops whose result outgrows their inputs name themselves', () => {
    const big = `a float32 result has 10000000000 elements, ${limit}`;
    expectError(() => tile(zeros([1e5]), [1e5]), RangeError, `tapegrad.tile: ${big}`);
    expectError(() => matmul(zeros([1e5, 1]), zeros([1, 1e5])), RangeError, `tapegrad.matmul: ${big}`);
    expectError(() => pad(zeros([1]), [[0, 1e10 - 1]]), RangeError, `tapegrad.pad: ${big}`);
    expectError(
      () => oneHot(zeros([1e5], 'int32'), 1e5),
      RangeError,
      `tapegrad.oneHot: ${big.replace('a float32', 'an int32')}`,
    );
  });
});

describe('shapes print NaN and Infinity as themselves', () => {
  const text = (op: string, shape: string) =>
    `tapegrad.${op}: shape must be an array of non-negative integers, got ${shape}`;
  test.each<[string, () => unknown, string, string]>([
    ['NaN', () => zeros([NaN]), 'zeros', '[NaN]'],
    ['Infinity', () => ones([2, Infinity]), 'ones', '[2,Infinity]'],
    ['-Infinity', () => fill([-Infinity], 1), 'fill', '[-Infinity]'],
    ['a string', () => zeros(loose(['2'])), 'zeros', '["2"]'],
    ['null', () => zeros(loose([null])), 'zeros', '[null]'],
    ['an object for the shape', () => zeros(loose({})), 'zeros', 'an object'],
    ['a number for the shape', () => zeros(loose(NaN)), 'zeros', 'NaN'],
  ])('%s', (_name, fn, op, shape) => {
    expectError(fn, TypeError, text(op, shape));
  });

  test("dropout's noiseShape too", () => {
    expectError(
      () => dropout(ones([2]), 0.5, [NaN]),
      Error,
      "tapegrad.dropout: noiseShape [NaN] must broadcast to the shape of x [2]; give each axis x's size or 1",
    );
  });
});
