/**
 * Variables: `variable(initial, { trainable, name, dtype })`, assignment with
 * shape and dtype checks, and how tapes see them.
 */
import { GradientTape, Tensor, Variable, add, mul, scalar, tensor, variable } from '../lib/index.js';

describe('variable(initial, options) creates a Variable usable wherever a Tensor is', () => {
  test('from a tensor: a copy with its shape and dtype, trainable by default', () => {
    const init = tensor([[1, 2]], undefined, 'float64');
    const v = variable(init);
    expect(v).toBeInstanceOf(Variable);
    expect(v).toBeInstanceOf(Tensor);
    expect(v.shape).toEqual([1, 2]);
    expect(v.dtype).toBe('float64');
    expect(v.trainable).toBe(true);
    expect(v.id).not.toBe(init.id);
    v.assign(tensor([[5, 6]], undefined, 'float64'));
    expect(init.arraySync()).toEqual([[1, 2]]);
  });

  test('from numbers and arrays, float32 by default, or in the dtype given', () => {
    expect(variable([1, 2]).dtype).toBe('float32');
    expect(variable(3).shape).toEqual([]);
    const step = variable(0, { dtype: 'int32', trainable: false });
    expect(step.dtype).toBe('int32');
    expect(variable(tensor([1.5]), { dtype: 'float64' }).dtype).toBe('float64');
  });

  test('ops and methods take a variable as a tensor', () => {
    const v = variable([1, 2]);
    expect(mul(v, 2).arraySync()).toEqual([2, 4]);
    expect(v.add(1).arraySync()).toEqual([2, 3]);
    expect(tensor(v).arraySync()).toEqual([1, 2]);
    expect(v.size).toBe(2);
  });

  test('a name is kept; without one each variable gets a distinct default name', () => {
    expect(variable(1, { name: 'w' }).name).toBe('w');
    const a = variable(1);
    const b = variable(1);
    expect(a.name).toMatch(/^Variable_\d+$/);
    expect(a.name).not.toBe(b.name);
  });

  test('toString names the variable and prints its current value', () => {
    const v = variable([1, 2], { name: 'w' });
    expect(v.toString()).toBe("Variable 'w' Tensor([1, 2], shape=[2], dtype=float32)");
    v.assign([3, 4]);
    expect(String(v)).toBe("Variable 'w' Tensor([3, 4], shape=[2], dtype=float32)");
  });
});

describe('assign, assignAdd, assignSub replace the value, checking shape and dtype', () => {
  test('assign replaces the value and returns the variable', () => {
    const v = variable([1, 2]);
    expect(v.assign(tensor([5, 6]))).toBe(v);
    expect(v.arraySync()).toEqual([5, 6]);
    v.assign([7, 8]);
    expect(v.arraySync()).toEqual([7, 8]);
  });

  test('assignAdd and assignSub add and subtract, returning the variable', () => {
    const v = variable([1, 2]);
    expect(v.assignAdd(tensor([10, 20]))).toBe(v);
    expect(v.arraySync()).toEqual([11, 22]);
    expect(v.assignSub(1)).toBe(v);
    expect(v.arraySync()).toEqual([10, 21]);
    v.assignSub([1, 1]);
    expect(v.arraySync()).toEqual([9, 20]);
  });

  test('an int32 variable stays int32 with integer deltas', () => {
    const step = variable(0, { dtype: 'int32', trainable: false });
    step.assignAdd(1).assignAdd(1);
    expect(step.item()).toBe(2);
    expect(step.dtype).toBe('int32');
  });

  test('tensors computed from the old value keep it after an assignment', () => {
    const v = variable([1, 2]);
    const doubled = mul(v, 2);
    const copy = tensor(v);
    const same = v.reshape([2]);
    v.assign([100, 200]);
    expect(doubled.arraySync()).toEqual([2, 4]);
    expect(copy.arraySync()).toEqual([1, 2]);
    expect(same.arraySync()).toEqual([1, 2]);
  });

  test('the assigned tensor is copied: it and the variable stay independent', () => {
    const value = tensor([5, 6]);
    const v = variable([1, 2]);
    v.assign(value);
    v.assignAdd(1);
    expect(value.arraySync()).toEqual([5, 6]);
    expect(v.arraySync()).toEqual([6, 7]);
  });

  test('assigning a value of another shape is an error naming the variable and both shapes', () => {
    const v = variable([1, 2], { name: 'w' });
    expect(() => v.assign(tensor([1, 2, 3]))).toThrow(
      "tapegrad.Variable.assign: variable 'w' is float32 [2] but the new value is float32 [3]; " +
        'give a value of the same shape and dtype',
    );
    expect(() => v.assign(tensor([[1, 2]]))).toThrow('but the new value is float32 [1,2]');
    expect(v.arraySync()).toEqual([1, 2]);
  });

  test('assigning a tensor of another dtype is an error naming both dtypes', () => {
    const v = variable([1, 2], { name: 'w' });
    expect(() => v.assign(tensor([1, 2], undefined, 'float64'))).toThrow(
      "tapegrad.Variable.assign: variable 'w' is float32 [2] but the new value is float64 [2]",
    );
    expect(() => v.assign(tensor([1, 2], undefined, 'int32'))).toThrow('but the new value is int32 [2]');
  });

  test('assignAdd and assignSub check the shape of the result too', () => {
    const v = variable([1, 2], { name: 'w' });
    expect(() =>
      v.assignAdd(
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toThrow("variable 'w' is float32 [2] but the new value is float32 [2,2]");
    expect(() => v.assignSub(tensor([1, 2], undefined, 'float64'))).toThrow('but the new value is float64 [2]');
    expect(v.arraySync()).toEqual([1, 2]);
  });

  test('an int32 variable refuses a fractional delta rather than truncating it', () => {
    const step = variable(0, { dtype: 'int32', name: 'step' });
    expect(() => step.assignAdd(0.5)).toThrow("variable 'step' is int32 [] but the new value is float32 []");
  });
});

describe('assignment is not recorded on tapes', () => {
  test('a variable assigned from a watched tensor has no gradient path back to it', () => {
    const x = tensor([1, 2]);
    const v = variable([0, 0]);
    using tape = new GradientTape({ persistent: true });
    tape.watch(x);
    v.assign(mul(x, 3));
    v.assignAdd(x);
    expect(tape.gradient(mul(v, 1), x)).toBeUndefined();
    expect(tape.gradient(v, x)).toBeUndefined();
  });

  test('assignAdd and assignSub do not make a tape watch the variable', () => {
    const v = variable([1, 2]);
    using tape = new GradientTape();
    v.assignAdd(1);
    v.assignSub(tensor([1, 1]));
    v.assign([3, 4]);
    expect(tape.watchedVariables()).toEqual([]);
    // No op read it: a gradient of v itself is only its own seed, watched or not (as in TensorFlow).
    expect(tape.gradient(v, v)?.arraySync()).toEqual([1, 1]);
  });

  test('reading the variable after assignment is recorded and differentiated at the new value', () => {
    const v = variable(scalar(2));
    using tape = new GradientTape();
    v.assign(scalar(5));
    expect(tape.gradient(mul(v, v), v)?.item()).toBe(10);
  });
});

describe('trainable: false', () => {
  test('a tape does not watch a non-trainable variable unless told to', () => {
    const frozen = variable([1, 2], { trainable: false });
    const w = variable([3, 4]);
    using tape = new GradientTape({ persistent: true });
    const y = add(mul(frozen, w), 0);
    expect(frozen.trainable).toBe(false);
    const [gf, gw] = tape.gradient(y, [frozen, w]);
    expect(gf).toBeUndefined();
    expect(gw?.arraySync()).toEqual([1, 2]);
    expect(tape.watchedVariables()).toEqual([w]);
  });

  test('a non-trainable variable watched explicitly gets a gradient', () => {
    const frozen = variable([1, 2], { trainable: false });
    using tape = new GradientTape();
    tape.watch(frozen);
    expect(tape.gradient(mul(frozen, frozen), frozen)?.arraySync()).toEqual([2, 4]);
  });
});
