/**
 * Every error tapegrad throws (each `throw new` in lib/, except lib/testing,
 * which has its own spec): the class, and the whole message, which names the
 * op (`tapegrad.<op>`), the shapes or values involved, and what to do.
 */
import {
  GradientTape,
  add,
  broadcastTo,
  cast,
  div,
  exp,
  eye,
  fill,
  matmul,
  mean,
  mul,
  neg,
  ones,
  randomNormal,
  randomUniform,
  range,
  relu,
  reshape,
  scalar,
  sqrt,
  sum,
  tensor,
  transpose,
  variable,
  where,
  zeros,
  type DType,
  type Tensor,
  type TensorLike,
} from '../lib/index.js';
import { defineOp } from '../lib/op.js';
import { expectError, loose } from './support/errors.js';

/** A tape watching `x = [1, 2]`, with `y = 2x` recorded. */
function recorded(options?: { persistent?: boolean }): { tape: GradientTape; x: Tensor; y: Tensor } {
  const x = tensor([1, 2]);
  const tape = new GradientTape(options);
  tape.watch(x);
  return { tape, x, y: mul(x, 2) };
}

const G = 'tapegrad.GradientTape.gradient';

describe('GradientTape.gradient errors', () => {
  test('a second call on a non-persistent tape says to use persistent: true', () => {
    const { tape, x, y } = recorded();
    tape.gradient(y, x);
    expectError(
      () => tape.gradient(y, x),
      Error,
      `${G}: this tape is not persistent and its gradient() was already called, which released what it recorded; ` +
        'create it with new GradientTape({ persistent: true }) to call gradient() more than once',
    );
  });

  test('an unknown unconnectedGradients value', () => {
    const { tape, x, y } = recorded();
    expectError(
      () => tape.gradient(y, x, undefined, loose({ unconnectedGradients: 'zeros' })),
      TypeError,
      `${G}: unconnectedGradients must be 'none' or 'zero', got "zeros"`,
    );
  });

  test('targets that are neither a tensor nor an array', () => {
    const { tape, x } = recorded();
    expectError(
      () => tape.gradient(loose(5), x),
      TypeError,
      `${G}: targets must be a tensor or an array of tensors, got number`,
    );
  });

  test('an empty array of targets', () => {
    const { tape, x } = recorded();
    expectError(() => tape.gradient([], x), Error, `${G}: targets is empty; give at least one tensor to differentiate`);
  });

  test('a target that is not a tensor', () => {
    const { tape, x, y } = recorded();
    expectError(
      () => tape.gradient(loose([y, [1, 2]]), x),
      TypeError,
      `${G}: targets[1] is not a tensor (got an array)`,
    );
  });

  test('outputGradients that are neither a tensor nor an array', () => {
    const { tape, x, y } = recorded();
    expectError(
      () => tape.gradient(y, x, loose(1)),
      TypeError,
      `${G}: outputGradients must be a tensor or an array of tensors, got number`,
    );
  });

  test('a wrong number of outputGradients', () => {
    const { tape, x, y } = recorded();
    expectError(
      () => tape.gradient([y, y], x, [tensor([1, 1])]),
      Error,
      `${G}: got 1 outputGradients for 2 targets; give exactly one per target (undefined for ones), or none at all`,
    );
  });

  test('an outputGradients entry that is not a tensor', () => {
    const { tape, x, y } = recorded();
    expectError(
      () => tape.gradient(y, x, loose([[1, 1]])),
      TypeError,
      `${G}: outputGradients[0] is not a tensor (got an array)`,
    );
  });

  test('an output gradient of the wrong shape', () => {
    const { tape, x, y } = recorded();
    expectError(
      () => tape.gradient(y, x, tensor([[1, 1]])),
      Error,
      `${G}: outputGradients[0] has shape [1,2] but targets[0] has shape [2]; each output gradient must have its target's shape`,
    );
  });

  test('an output gradient of the wrong dtype', () => {
    const { tape, x, y } = recorded();
    expectError(
      () => tape.gradient(y, x, tensor([1, 1], undefined, 'int32')),
      TypeError,
      `${G}: outputGradients[0] is int32 but targets[0] is float32; cast it with cast(g, 'float32')`,
    );
  });

  test('sources that are neither a tensor, an array nor a record', () => {
    const { tape, y } = recorded();
    expectError(
      () => tape.gradient(y, loose(null)),
      TypeError,
      `${G}: expected a tensor, an array or a record of tensors, got null`,
    );
  });

  test('a source in an array or a record that is not a tensor', () => {
    const { tape, x, y } = recorded({ persistent: true });
    expectError(() => tape.gradient(y, loose([x, 3])), TypeError, `${G}: sources[1] is not a tensor (got number)`);
    expectError(
      () => tape.gradient(y, loose({ x, w: 'w' })),
      TypeError,
      `${G}: sources['w'] is not a tensor (got string)`,
    );
  });
});

describe('GradientTape.watch errors', () => {
  test('a value that is neither a tensor, an array nor a record', () => {
    const tape = new GradientTape();
    expectError(
      () => tape.watch(loose(3)),
      TypeError,
      'tapegrad.GradientTape.watch: expected a tensor, an array or a record of tensors, got number',
    );
  });

  test('an array entry that is not a tensor', () => {
    const tape = new GradientTape();
    expectError(
      () => tape.watch(loose([scalar(1), [2]])),
      TypeError,
      'tapegrad.GradientTape.watch: sources[1] is not a tensor (got an array)',
    );
  });
});

describe('defineOp and the backward replay', () => {
  test('defining an op under a name already taken', () => {
    expectError(
      () => defineOp('add', { forward: ([x]) => x!, vjp: (dy) => [dy] }),
      Error,
      "tapegrad.defineOp: an op named 'add' is already defined",
    );
  });

  test('a VJP returning a gradient of the wrong shape is reported as a bug in that op', () => {
    const op = defineOp('spec.errors.wrongShapeVjp', {
      forward: ([x]) => tensor(x!),
      vjp: () => [zeros([7])],
    });
    const x = tensor([1, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = op([x], undefined);
    expectError(
      () => tape.gradient(y, x),
      Error,
      'tapegrad.spec.errors.wrongShapeVjp: the gradient for input 0 is float32 [7] but the input is float32 [2]; ' +
        "this is a bug in the op's VJP, please report it",
    );
  });

  test('a VJP returning a gradient of the wrong dtype is reported as a bug in that op', () => {
    const op = defineOp('spec.errors.wrongDTypeVjp', {
      forward: ([x]) => tensor(x!),
      vjp: (dy) => [cast(dy, 'float64')],
    });
    const x = tensor([1, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = op([x], undefined);
    expectError(
      () => tape.gradient(y, x),
      Error,
      'tapegrad.spec.errors.wrongDTypeVjp: the gradient for input 0 is float64 [2] but the input is float32 [2]; ' +
        "this is a bug in the op's VJP, please report it",
    );
  });
});

describe('Tensor and Variable errors', () => {
  test('item() of a tensor with more than one element', () => {
    expectError(
      () => tensor([[1, 2, 3]]).item(),
      Error,
      'tapegrad.Tensor.item: the tensor has 3 elements (shape [1,3]); item() needs exactly one, use dataSync() or arraySync() for more',
    );
  });

  test('assigning a value of another shape or dtype to a variable', () => {
    const v = variable([[1, 2]], { name: 'w' });
    expectError(
      () => v.assign(tensor([1, 2], undefined, 'float64')),
      Error,
      "tapegrad.Variable.assign: variable 'w' is float32 [1,2] but the new value is float64 [2]; " +
        'give a value of the same shape and dtype',
    );
  });
});

describe('creation errors', () => {
  test.each<[string, () => unknown, string]>([
    ['tensor', () => tensor([1], undefined, loose('float16')), 'tensor'],
    ['scalar', () => scalar(1, loose('float16')), 'scalar'],
    ['zeros', () => zeros([2], loose('float16')), 'zeros'],
    ['ones', () => ones([2], loose('float16')), 'ones'],
    ['fill', () => fill([2], 1, loose('float16')), 'fill'],
    ['eye', () => eye(2, 2, loose('float16')), 'eye'],
    ['range', () => range(0, 2, 1, loose('float16')), 'range'],
    ['cast', () => cast(tensor([1]), loose('float16')), 'cast'],
  ])('%s with an unknown dtype lists the dtypes', (_name, fn, op) => {
    expectError(fn, TypeError, `tapegrad.${op}: unknown dtype "float16"; use one of float32, float64, int32, bool`);
  });

  test.each<[string, () => unknown, string]>([
    ['zeros', () => zeros([2, -1]), '[2,-1]'],
    ['ones', () => ones([1.5]), '[1.5]'],
    ['fill', () => fill(loose(3), 1), '3'],
    ['eye', () => eye(-1), '[-1,-1]'],
    ['tensor', () => tensor([1], [-1]), '[-1]'],
    ['randomNormal', () => randomNormal([2, 0.5]), '[2,0.5]'],
    ['randomUniform', () => randomUniform([-2]), '[-2]'],
  ])('%s with a bad shape names the function and the shape', (op, fn, shape) => {
    expectError(fn, TypeError, `tapegrad.${op}: shape must be an array of non-negative integers, got ${shape}`);
  });

  test('tensor from an unsupported typed array', () => {
    expectError(
      () => tensor(loose(new Int16Array(2))),
      TypeError,
      'tapegrad.tensor: Int16Array is not supported; use Float32Array, Float64Array, Int32Array or Uint8Array (bool)',
    );
  });

  test('tensor from values that are not numbers, booleans or arrays', () => {
    expectError(
      () => tensor(loose(['a'])),
      TypeError,
      'tapegrad.tensor: cannot make a tensor from string; give numbers, booleans or arrays of them',
    );
    expectError(
      () => tensor(loose(null)),
      TypeError,
      'tapegrad.tensor: cannot make a tensor from null; give numbers, booleans or arrays of them',
    );
  });

  test('tensor from ragged nested arrays', () => {
    expectError(
      () => tensor([[1, 2], [3]]),
      Error,
      'tapegrad.tensor: nested arrays are ragged at depth 1 (shape so far [2,2]); every row must have the same length',
    );
  });

  test('tensor from a value count that does not fill the shape', () => {
    expectError(
      () => tensor(tensor([1, 2, 3]), [2, 2]),
      Error,
      'tapegrad.tensor: 3 values do not fill shape [2,2] (4 elements); give a shape whose sizes multiply to the number of values',
    );
  });

  test('an op argument that is undefined or null', () => {
    expectError(
      () => add(tensor([1]), loose(undefined)),
      TypeError,
      "tapegrad.add: argument 'b' is undefined; expected a tensor, a number or an array",
    );
    expectError(
      () => neg(loose(null)),
      TypeError,
      "tapegrad.neg: argument 'x' is null; expected a tensor, a number or an array",
    );
  });

  test('scalar of something other than a number or boolean', () => {
    expectError(() => scalar(loose('3')), TypeError, 'tapegrad.scalar: expected a number or boolean, got string');
  });

  test('range with a zero step', () => {
    expectError(() => range(0, 3, 0), RangeError, 'tapegrad.range: step must be a finite non-zero number, got 0');
  });

  test('range with an infinite or NaN end', () => {
    expectError(
      () => range(0, Infinity),
      RangeError,
      'tapegrad.range: start and stop must be finite numbers, got 0 and Infinity',
    );
    expectError(
      () => range(NaN, 3),
      RangeError,
      'tapegrad.range: start and stop must be finite numbers, got NaN and 3',
    );
  });

  test('range of bool', () => {
    expectError(
      () => range(0, 3, 1, 'bool'),
      TypeError,
      'tapegrad.range: dtype must be float32, float64 or int32, got bool; cast the range instead',
    );
  });

  test('randomNormal of an integer dtype', () => {
    expectError(
      () => randomNormal([2], 0, 1, loose('int32')),
      TypeError,
      'tapegrad.randomNormal: dtype must be float32 or float64, got int32',
    );
  });

  test('randomUniform of bool', () => {
    expectError(
      () => randomUniform([2], 0, 1, loose('bool')),
      TypeError,
      'tapegrad.randomUniform: dtype must be float32, float64 or int32, got bool',
    );
  });

  test('randomUniform with maxval not above minval', () => {
    expectError(
      () => randomUniform([2], 1, 1),
      RangeError,
      'tapegrad.randomUniform: maxval (1) must be greater than minval (1)',
    );
  });
});

describe('op errors', () => {
  test.each<[string, (a: TensorLike, b: TensorLike) => Tensor]>([
    ['add', add],
    ['mul', mul],
    ['div', div],
  ])('%s of incompatible shapes names both shapes and the clashing dimensions', (name, op) => {
    expectError(
      () => op(zeros([2, 3]), zeros([4])),
      Error,
      `tapegrad.${name}: shapes [2,3] and [4] cannot be broadcast (dimension 3 against 4); ` +
        'make each pair of trailing dimensions equal or 1',
    );
  });

  test('arithmetic on bool tensors', () => {
    expectError(
      () => add(tensor([true]), tensor([true])),
      TypeError,
      "tapegrad.add: arithmetic on bool tensors is not defined; cast them with cast(x, 'int32') or cast(x, 'float32') first",
    );
  });

  test.each<[string, DType, (x: TensorLike) => Tensor, string]>([
    ['sqrt', 'int32', sqrt, 'float32 or float64'],
    ['exp', 'bool', exp, 'float32 or float64'],
    ['neg', 'bool', neg, 'numeric'],
    ['relu', 'bool', relu, 'numeric'],
  ])('%s of a %s tensor says which dtypes it takes and to cast', (name, dtype, op, wanted) => {
    expectError(
      () => op(tensor([1], undefined, dtype)),
      TypeError,
      `tapegrad.${name}: expects a ${wanted} tensor, got ${dtype}; cast it first, e.g. cast(x, 'float32')`,
    );
  });

  test('where with a condition that is not bool', () => {
    expectError(
      () => where(tensor([1, 0]), tensor([1, 2]), tensor([3, 4])),
      TypeError,
      'tapegrad.where: condition must be a bool tensor, got float32; compare first, e.g. greater(x, 0)',
    );
  });

  test('where with shapes that do not broadcast', () => {
    expectError(
      () => where(tensor([true, false]), zeros([3]), 0),
      Error,
      'tapegrad.where: shapes [2] and [3] cannot be broadcast (dimension 2 against 3); make each pair of trailing dimensions equal or 1',
    );
  });

  test('matmul with inner dimensions that differ, transposes marked', () => {
    expectError(
      () => matmul(zeros([2, 3]), zeros([4, 5])),
      Error,
      'tapegrad.matmul: inner dimensions differ: [2,3] x [4,5] (3 vs 4); ' +
        'the last axis of a must match the second-to-last of b (after the transposes)',
    );
    expectError(
      () => matmul(zeros([2, 3]), zeros([3, 2]), false, true),
      Error,
      'tapegrad.matmul: inner dimensions differ: [2,3] x [3,2]ᵀ (3 vs 2); ' +
        'the last axis of a must match the second-to-last of b (after the transposes)',
    );
  });

  test('matmul of a vector', () => {
    expectError(
      () => matmul(zeros([3]), zeros([3, 2])),
      Error,
      'tapegrad.matmul: both operands need rank 2 or more, got [3] and [3,2]; reshape a vector to [1, n] or [n, 1] first',
    );
  });

  test('matmul with batch dimensions that do not broadcast', () => {
    expectError(
      () => matmul(zeros([2, 2, 3]), zeros([3, 3, 4])),
      Error,
      'tapegrad.matmul: batch dimensions [2] of [2,2,3] and [3] of [3,3,4] cannot be broadcast; make each pair equal or 1',
    );
  });

  test.each<[string, (x: TensorLike, axis: number | number[]) => Tensor]>([
    ['sum', sum],
    ['mean', mean],
  ])('%s over an axis out of range, or given twice', (name, op) => {
    expectError(
      () => op(zeros([2, 3]), 2),
      RangeError,
      `tapegrad.${name}: axis 2 is out of range for a tensor of rank 2; use an integer in [-2, 1]`,
    );
    expectError(
      () => op(zeros([2, 3]), 0.5),
      RangeError,
      `tapegrad.${name}: axis 0.5 is out of range for a tensor of rank 2; use an integer in [-2, 1]`,
    );
    expectError(() => op(zeros([2, 3]), [0, -2]), RangeError, `tapegrad.${name}: axis 0 is given twice in [0,-2]`);
  });

  test('reshape to a shape that is not integers >= -1', () => {
    expectError(
      () => reshape(zeros([4]), [2, -2]),
      TypeError,
      'tapegrad.reshape: shape must be an array of integers >= -1, got [2,-2]',
    );
  });

  test('reshape with two -1 dimensions', () => {
    expectError(
      () => reshape(zeros([4]), [-1, -1]),
      Error,
      'tapegrad.reshape: at most one dimension may be -1, got [-1,-1]',
    );
  });

  test('reshape with a -1 that cannot be inferred', () => {
    expectError(
      () => reshape(zeros([5]), [2, -1]),
      Error,
      'tapegrad.reshape: cannot reshape [5] (5 elements) to [2,-1]; the other dimensions must divide the size',
    );
  });

  test('reshape to a different size', () => {
    expectError(
      () => reshape(zeros([2, 3]), [4]),
      Error,
      'tapegrad.reshape: cannot reshape [2,3] (6 elements) to [4] (4 elements); the sizes must match',
    );
  });

  test('transpose with a perm that is not a permutation of the axes', () => {
    expectError(
      () => transpose(zeros([2, 3]), [0, 0]),
      Error,
      'tapegrad.transpose: perm [0,0] is not a permutation of the 2 axes of [2,3]; give each of 0..1 once',
    );
    expectError(
      () => transpose(zeros([2, 3]), [1, 0, 2]),
      Error,
      'tapegrad.transpose: perm [1,0,2] is not a permutation of the 2 axes of [2,3]; give each of 0..1 once',
    );
  });

  test('broadcastTo a shape the tensor does not broadcast to', () => {
    expectError(
      () => broadcastTo(zeros([3]), [2, 2]),
      Error,
      'tapegrad.broadcastTo: shape [3] cannot be broadcast to [2,2]; ' +
        'each dimension must equal the target or be 1, aligned from the right',
    );
  });

  test('broadcastTo a malformed shape', () => {
    expectError(
      () => broadcastTo(zeros([3]), [-3]),
      TypeError,
      'tapegrad.broadcastTo: shape must be an array of non-negative integers, got [-3]',
    );
  });
});
