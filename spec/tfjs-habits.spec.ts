/**
 * TensorFlow.js habits that cost nothing to support (issue 11): tidy, keep
 * and dispose (which free nothing on the CPU backends), tensor1d..tensor4d
 * and linspace, print(), what console.log shows, and JSON.
 */
import * as util from 'node:util';
import { linspace, tensor, tensor1d, tensor2d, tensor3d, tensor4d } from '../lib/creation.js';
import { dispose, keep, tidy } from '../lib/memory.js';
import { Tensor } from '../lib/tensor.js';
import { variable } from '../lib/variable.js';
import '../lib/index.js';
import { expectError, loose } from './support/errors.js';

describe("tidy, keep and dispose free nothing: memory is the garbage collector's", () => {
  test('tidy(fn) returns what fn returns, and so does tidy(name, fn)', () => {
    const x = tensor([1, 2, 3]);
    expect(tidy(() => x.add(1)).arraySync()).toEqual([2, 3, 4]);
    expect(tidy('named', () => x.mul(2)).arraySync()).toEqual([2, 4, 6]);
    const pair = tidy(() => ({ a: x, n: 5 }));
    expect(pair.a).toBe(x);
    expect(pair.n).toBe(5);
    expect(tidy(() => undefined)).toBeUndefined();
  });

  test('tensors made inside tidy and not returned stay usable', () => {
    let inner: Tensor | undefined;
    tidy(() => {
      inner = tensor([5, 6]);
      return inner.sum();
    });
    expect(inner!.add(1).arraySync()).toEqual([6, 7]);
  });

  test('tidy runs fn once, synchronously, and passes its errors through', () => {
    const fn = jest.fn(() => 1);
    expect(tidy(fn)).toBe(1);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(() =>
      tidy(() => {
        throw new RangeError('boom');
      }),
    ).toThrow(RangeError);
  });

  test('tidy rejects a function that returns a promise, and arguments that are not a function', () => {
    const rejected = Promise.resolve(1);
    expectError(
      () => tidy(() => rejected),
      TypeError,
      'tapegrad.tidy: the function returned a promise; tidy runs synchronous code only (as in TensorFlow.js), ' +
        'so await outside it',
    );
    expectError(
      () => tidy(loose(3)),
      TypeError,
      'tapegrad.tidy: expected a function, or a name and a function, got number',
    );
    expectError(
      () => tidy('name', loose(undefined)),
      TypeError,
      "tapegrad.tidy: expected a function after the name 'name', got undefined",
    );
  });

  test('keep returns its argument', () => {
    const x = tensor([1]);
    expect(keep(x)).toBe(x);
    const v = variable([1, 2]);
    expect(keep(v)).toBe(v);
  });

  test('x.dispose() does nothing on the CPU backends: the tensor stays usable', () => {
    const x = tensor([[1, 2]]);
    expect(x.dispose()).toBeUndefined();
    expect(x.add(1).arraySync()).toEqual([[2, 3]]);
    const v = variable([1, 2]);
    v.dispose();
    expect(v.assignAdd(1).arraySync()).toEqual([2, 3]);
  });

  test('dispose calls dispose() on every tensor of a nested container, and skips everything else', () => {
    const a = tensor([1]);
    const b = tensor([2]);
    const c = variable([3]);
    const spies = [a, b, c].map((t) => jest.spyOn(t, 'dispose'));
    const cyclic: Record<string, unknown> = { a };
    cyclic.self = cyclic;
    dispose(a);
    dispose([a, { inner: [b, 'text', 4, null, undefined], c }]);
    dispose(loose(cyclic));
    dispose(loose(new Map([['b', b]]))); // not an array or a plain object: skipped
    expect(spies.map((s) => s.mock.calls.length)).toEqual([3, 1, 1]);
    expect(a.arraySync()).toEqual([1]);
  });

  test('dispose of nothing is fine', () => {
    expect(() => dispose(undefined)).not.toThrow();
    expect(() => dispose([])).not.toThrow();
    expect(() => dispose({})).not.toThrow();
  });
});

describe('tensor1d .. tensor4d', () => {
  test('make tensors of their rank, with dtypes as tensor() infers them', () => {
    const t1 = tensor1d([1, 2, 3]);
    expect([t1.shape, t1.dtype, t1.arraySync()]).toEqual([[3], 'float32', [1, 2, 3]]);
    expect(tensor1d([true, false]).dtype).toBe('bool');
    expect(tensor1d(new Int32Array([4, 5])).dtype).toBe('int32');
    expect(tensor1d([1, 2], 'float64').dtype).toBe('float64');
    expect(tensor1d([]).shape).toEqual([0]);
    const t2 = tensor2d([
      [1, 2],
      [3, 4],
    ]);
    expect([t2.shape, t2.arraySync()]).toEqual([
      [2, 2],
      [
        [1, 2],
        [3, 4],
      ],
    ]);
    const t3 = tensor3d([[[1], [2]]], undefined, 'int32');
    expect([t3.shape, t3.dtype]).toEqual([[1, 2, 1], 'int32']);
    expect(tensor4d([[[[1, 2]]]]).shape).toEqual([1, 1, 1, 2]);
  });

  test('fill a shape from flat values or a typed array', () => {
    expect(tensor2d([1, 2, 3, 4, 5, 6], [2, 3]).arraySync()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const t3 = tensor3d(new Float64Array([1, 2, 3, 4]), [2, 2, 1]);
    expect([t3.shape, t3.dtype]).toEqual([[2, 2, 1], 'float64']);
    expect(tensor4d([1, 2, 3, 4], [1, 2, 2, 1], 'int32').arraySync()).toEqual([
      [
        [[1], [2]],
        [[3], [4]],
      ],
    ]);
    expect(tensor2d([], [0, 3]).shape).toEqual([0, 3]);
    expect(tensor2d([[1, 2]], [1, 2]).shape).toEqual([1, 2]);
  });

  test('the dtype follows the values in the types too', () => {
    const f64: Tensor<'float64'> = tensor2d(new Float64Array([1, 2]), [1, 2]);
    const b: Tensor<'bool'> = tensor1d([true]);
    const i: Tensor<'int32'> = tensor3d([1], [1, 1, 1], 'int32');
    const f: Tensor<'float32'> = tensor4d([[[[1]]]]);
    expect([f64.dtype, b.dtype, i.dtype, f.dtype]).toEqual(['float64', 'bool', 'int32', 'float32']);
  });

  test('copy their values', () => {
    const data = new Float32Array([1, 2]);
    const t = tensor1d(data);
    data[0] = 9;
    expect(t.arraySync()).toEqual([1, 2]);
  });

  test('throw on values of another rank, naming the function and the shapes', () => {
    expectError(
      () => tensor1d(loose([[1, 2]])),
      Error,
      'tapegrad.tensor1d: the values have shape [1,2] (rank 2) but tensor1d makes rank-1 tensors; ' +
        'give a flat array or a typed array, or use tensor()',
    );
    expectError(
      () => tensor1d(loose(5)),
      Error,
      'tapegrad.tensor1d: the values have shape [] (rank 0) but tensor1d makes rank-1 tensors; ' +
        'give a flat array or a typed array, or use tensor()',
    );
    expectError(
      () => tensor2d([1, 2, 3]),
      Error,
      'tapegrad.tensor2d: the values have shape [3] (rank 1) but tensor2d makes rank-2 tensors; ' +
        'give a shape of 2 numbers with flat values, or nest the values 2 deep',
    );
    expectError(
      () => tensor3d([[1, 2]]),
      Error,
      'tapegrad.tensor3d: the values have shape [1,2] (rank 2) but tensor3d makes rank-3 tensors; ' +
        'nest the values 3 deep, or give flat values and a shape of 3 numbers, or use tensor()',
    );
    expectError(
      () => tensor4d([[[1]]], [1, 1, 1, 1]),
      Error,
      'tapegrad.tensor4d: the values have shape [1,1,1] (rank 3) but tensor4d makes rank-4 tensors; ' +
        'nest the values 4 deep, or give flat values and a shape of 4 numbers, or use tensor()',
    );
  });

  test('throw on a shape of another rank, or one the values do not match', () => {
    expectError(
      () => tensor2d([1, 2, 3, 4], loose([4])),
      Error,
      'tapegrad.tensor2d: shape [4] has 1 numbers; a rank-2 tensor needs 2',
    );
    expectError(
      () => tensor3d([1, 2], loose([1, 2])),
      Error,
      'tapegrad.tensor3d: shape [1,2] has 2 numbers; a rank-3 tensor needs 3',
    );
    expectError(
      () =>
        tensor2d(
          [
            [1, 2],
            [3, 4],
          ],
          [1, 4],
        ),
      Error,
      'tapegrad.tensor2d: the values have shape [2,2] but shape [1,4] was given; ' +
        'give flat values to fill a shape, or leave the shape out',
    );
    expectError(
      () => tensor2d([1, 2, 3], [2, 2]),
      Error,
      'tapegrad.tensor2d: 3 values do not fill shape [2,2] (4 elements); ' +
        'give a shape whose sizes multiply to the number of values',
    );
  });

  test('name themselves in the errors tensor() checks', () => {
    expect(() => tensor2d([[1, 2], [3]])).toThrow(/^tapegrad\.tensor2d: nested arrays are ragged/);
    expect(() => tensor1d([1.5], 'int32')).toThrow(/^tapegrad\.tensor1d: value 1.5 at flat index 0 is not an int32/);
    expect(() => tensor1d([1], loose('float16'))).toThrow(/^tapegrad\.tensor1d: unknown dtype "float16"/);
  });
});

describe('linspace', () => {
  test('gives num float32 values from start to stop, both included', () => {
    const t = linspace(0, 1, 5);
    expect([t.shape, t.dtype, t.arraySync()]).toEqual([[5], 'float32', [0, 0.25, 0.5, 0.75, 1]]);
    expect(linspace(3, -3, 3).arraySync()).toEqual([3, 0, -3]);
    expect(linspace(2, 7, 1).arraySync()).toEqual([2]);
    expect(linspace(1, 1, 3).arraySync()).toEqual([1, 1, 1]);
    expect(linspace(-1, 1, 2).arraySync()).toEqual([-1, 1]);
  });

  test('ends on stop exactly, and each value is start + i * step rounded to float32', () => {
    const t = linspace(0, 0.3, 7);
    const values = t.dataSync();
    expect(values[6]).toBe(Math.fround(0.3));
    for (let i = 0; i < 6; i++) expect(values[i]).toBe(Math.fround((i * 0.3) / 6));
  });

  test('throws unless num is a positive integer and start and stop are finite numbers', () => {
    for (const num of [0, -1, 2.5, NaN, Infinity]) {
      expectError(
        () => linspace(0, 1, num),
        RangeError,
        `tapegrad.linspace: num must be a positive integer (the number of values), got ${num}`,
      );
    }
    expectError(() => linspace(0, 1, loose('3')), TypeError, 'tapegrad.linspace: num must be a number, got string');
    expectError(
      () => linspace(NaN, 1, 3),
      RangeError,
      'tapegrad.linspace: start and stop must be finite numbers, got NaN and 1',
    );
    expect(() => linspace(0, 1, 2 ** 33)).toThrow(
      /^tapegrad\.linspace: linspace\(0, 1, 8589934592\) has 8589934592 elements, more than/,
    );
  });
});

describe('print(), console.log and JSON', () => {
  let log: jest.SpyInstance;
  beforeEach(() => {
    log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => log.mockRestore());

  test('print() logs "Tensor" and the values indented, as TensorFlow.js does', () => {
    tensor([
      [1, 2],
      [3, 4],
    ]).print();
    expect(log.mock.calls).toEqual([['Tensor\n    [[1, 2], [3, 4]]']]);
  });

  test('print(true) adds dtype, rank and shape, as TensorFlow.js does', () => {
    tensor([true, false]).print(true);
    expect(log.mock.calls).toEqual([['Tensor\n  dtype: bool\n  rank: 1\n  shape: [2]\n  values:\n    [true, false]']]);
  });

  test('print() of a scalar, an empty tensor, and a large one (summarised)', () => {
    tensor(3.5).print();
    tensor([], [0, 2]).print();
    linspace(0, 1999, 2000).print();
    expect(log.mock.calls.map((c: unknown[]) => c[0])).toEqual([
      'Tensor\n    3.5',
      'Tensor\n    []',
      'Tensor\n    [0, 1, 2, ..., 1997, 1998, 1999]',
    ]);
  });

  test("a variable's print() names it", () => {
    variable([[1, 2]], { name: 'w' }).print(true);
    expect(log.mock.calls).toEqual([
      ["Variable 'w'\n  dtype: float32\n  rank: 2\n  shape: [1,2]\n  values:\n    [[1, 2]]"],
    ]);
  });

  test('util.inspect (what console.log shows) gives dtype, shape and values, not internals', () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      undefined,
      'int32',
    );
    const text = util.inspect(x);
    expect(text).toBe('Tensor\n  dtype: int32\n  rank: 2\n  shape: [2,2]\n  values:\n    [[1, 2], [3, 4]]');
    expect(text).not.toMatch(/id|node|watched|Int32Array/);
    expect(util.format('%o', x)).not.toMatch(/watched/);
    expect(util.inspect(variable([1.5], { name: 'bias' }))).toBe(
      "Variable 'bias'\n  dtype: float32\n  rank: 1\n  shape: [1]\n  values:\n    [1.5]",
    );
  });

  test('a tensor inside an object or array is shown the same way', () => {
    expect(util.inspect({ w: tensor([1, 2]) })).toContain('[1, 2]');
    expect(util.inspect([tensor([7])])).toContain('dtype: float32');
  });

  test('print and inspect do not record anything or change the tensor', () => {
    const x = tensor([1, 2]);
    const before = x.values;
    x.print();
    util.inspect(x);
    expect(x.values).toBe(before);
    expect(x.node).toBeUndefined();
  });

  test('toJSON gives dtype, shape and nested values; JSON.stringify uses it', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(x.toJSON()).toEqual({
      dtype: 'float32',
      shape: [2, 2],
      values: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(JSON.stringify(x)).toBe('{"dtype":"float32","shape":[2,2],"values":[[1,2],[3,4]]}');
    expect(JSON.stringify({ weights: [tensor(2, undefined, 'int32')] })).toBe(
      '{"weights":[{"dtype":"int32","shape":[],"values":2}]}',
    );
    expect(JSON.parse(JSON.stringify(tensor([true, false])))).toEqual({ dtype: 'bool', shape: [2], values: [1, 0] });
  });

  test('toJSON reads back with tensor(); NaN and Infinity become null, as in all JSON', () => {
    const x = tensor([[0.1, -2]], undefined, 'float64');
    const json = JSON.parse(JSON.stringify(x)) as { dtype: 'float64'; shape: number[]; values: number[][] };
    const back = tensor(json.values, json.shape, json.dtype);
    expect([back.dtype, back.shape, back.arraySync()]).toEqual(['float64', [1, 2], [[0.1, -2]]]);
    expect(JSON.stringify(tensor([NaN, Infinity, -Infinity, 1]))).toBe(
      '{"dtype":"float32","shape":[4],"values":[null,null,null,1]}',
    );
  });

  test('the shape in toJSON is a copy', () => {
    const x = tensor([1, 2]);
    x.toJSON().shape.push(9);
    expect(x.shape).toEqual([2]);
  });

  test("a variable's JSON is its current value", () => {
    const v = variable([1, 2]);
    v.assign([3, 4]);
    expect(JSON.stringify(v)).toBe('{"dtype":"float32","shape":[2],"values":[3,4]}');
  });
});
