/**
 * Comparisons (bool results, no gradient) and `where`, which selects between
 * two tensors and passes each its gradient where it was chosen.
 */
import { convertToTensor } from '../creation.js';
import type { DType } from '../dtype.js';
import { active, allocateHere } from '../kernels/placement.js';
import { defineOp } from '../op.js';
import { broadcastShapes, sizeOf } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { binaryInputs, mapBinary } from './elementwise.js';
import { installMethods, type Method } from './methods.js';

declare module '../op.js' {
  interface OpsWithGradient {
    where: undefined;
  }
  interface OpsWithoutGradient {
    equal: undefined;
    notEqual: undefined;
    less: undefined;
    lessEqual: undefined;
    greater: undefined;
    greaterEqual: undefined;
  }
}

type ComparisonName = 'equal' | 'notEqual' | 'less' | 'lessEqual' | 'greater' | 'greaterEqual';

function comparison(name: ComparisonName): (a: TensorLike, b: TensorLike) => Tensor<'bool'> {
  const op = defineOp(name, {
    forward: ([a, b]) => mapBinary(name, name, a!, b!, 'bool'),
    vjp: 'none',
  });
  const run = (a: TensorLike, b: TensorLike) => op(binaryInputs(name, a, b, false), undefined) as Tensor<'bool'>;
  return Object.defineProperty(run, 'name', { value: name });
}

/**
 * `a == b` element-wise, with broadcasting; a bool tensor.
 *
 * @param a - The left side: a tensor, or a number or nested array (which takes the other operand's dtype); any dtype.
 * @param b - The right side, broadcast against `a`: a tensor, or a number or nested array (which takes the other
 *   operand's dtype); any dtype.
 *
 * @example
 * ```ts
 * import { equal, tensor } from 'tapegrad';
 * equal(tensor([1, 2]), 2); // [0, 1] (bool)
 * ```
 */
export const equal = comparison('equal');
/**
 * `a != b` element-wise, with broadcasting; a bool tensor.
 *
 * @param a - The left side: a tensor, or a number or nested array (which takes the other operand's dtype); any dtype.
 * @param b - The right side, broadcast against `a`: a tensor, or a number or nested array (which takes the other
 *   operand's dtype); any dtype.
 *
 * @example
 * ```ts
 * notEqual(tensor([1, 2]), 2); // [1, 0] (bool)
 * ```
 */
export const notEqual = comparison('notEqual');
/**
 * `a < b` element-wise, with broadcasting; a bool tensor.
 *
 * @param a - The left side: a tensor, or a number or nested array (which takes the other operand's dtype); any dtype.
 * @param b - The right side, broadcast against `a`: a tensor, or a number or nested array (which takes the other
 *   operand's dtype); any dtype.
 *
 * @example
 * ```ts
 * less(tensor([1, 2]), 2); // [1, 0] (bool)
 * ```
 */
export const less = comparison('less');
/**
 * `a <= b` element-wise, with broadcasting; a bool tensor.
 *
 * @param a - The left side: a tensor, or a number or nested array (which takes the other operand's dtype); any dtype.
 * @param b - The right side, broadcast against `a`: a tensor, or a number or nested array (which takes the other
 *   operand's dtype); any dtype.
 *
 * @example
 * ```ts
 * lessEqual(tensor([1, 3]), 2); // [1, 0] (bool)
 * ```
 */
export const lessEqual = comparison('lessEqual');
/**
 * `a > b` element-wise, with broadcasting; a bool tensor.
 *
 * @param a - The left side: a tensor, or a number or nested array (which takes the other operand's dtype); any dtype.
 * @param b - The right side, broadcast against `a`: a tensor, or a number or nested array (which takes the other
 *   operand's dtype); any dtype.
 *
 * @example
 * ```ts
 * greater(tensor([1, 3]), 2); // [0, 1] (bool)
 * ```
 */
export const greater = comparison('greater');
/**
 * `a >= b` element-wise, with broadcasting; a bool tensor.
 *
 * @param a - The left side: a tensor, or a number or nested array (which takes the other operand's dtype); any dtype.
 * @param b - The right side, broadcast against `a`: a tensor, or a number or nested array (which takes the other
 *   operand's dtype); any dtype.
 *
 * @example
 * ```ts
 * greaterEqual(tensor([1, 2]), 2); // [0, 1] (bool)
 * ```
 */
export const greaterEqual = comparison('greaterEqual');

const whereOp = defineOp('where', {
  forward: ([condition, a, b]) => {
    const shape = broadcastShapes('where', broadcastShapes('where', condition!.shape, a!.shape), b!.shape);
    const out = allocateHere(a!.dtype, sizeOf(shape));
    active().select(condition!.placed, condition!.shape, a!.placed, a!.shape, b!.placed, b!.shape, out, shape);
    return new Tensor(out, shape, a!.dtype);
  },
  // Each branch gets dy where it was chosen and zero elsewhere. An infinite or NaN
  // gradient in the branch not taken still becomes NaN upstream (0 * inf): see the guide.
  vjp: (dy, [condition]) => {
    const zero = convertToTensor('where', 'zero', 0, dy.dtype);
    return [undefined, where(condition!, dy, zero), where(condition!, zero, dy)];
  },
  // JVP: each branch's tangent where that branch was chosen; the condition has none.
  jvp: ([, ta, tb], [condition]) => [undefined, ta && where(condition!, ta, 0), tb && where(condition!, 0, tb)],
});

/**
 * `a` where `condition` is true, else `b`; all three broadcast together.
 * The gradient reaches `a` where the condition holds and `b` elsewhere.
 *
 * Both branches are computed everywhere, so a branch that is infinite or NaN
 * where it is not taken still poisons the gradient: the zero gradient it gets
 * there meets an infinite local derivative (0 * inf = NaN), as in TensorFlow
 * and PyTorch. `where(greater(x, 0), sqrt(x), 0)` has a NaN gradient at
 * x = 0. The remedy is a second `where` that keeps the unsafe input in its
 * domain: `where(greater(x, 0), sqrt(where(greater(x, 0), x, 1)), 0)`.
 *
 * @param condition - Which branch to take, element-wise: a bool tensor (or booleans), broadcast with `a` and `b`.
 * @param a - The values where `condition` is true: a tensor, or a number or nested array (which takes `b`'s dtype).
 * @param b - The values where `condition` is false, of `a`'s dtype after conversion; the three broadcast together.
 *
 * @example
 * ```ts
 * where(tensor([true, false]), tensor([1, 2]), tensor([10, 20])); // [1, 20]
 * ```
 *
 * @example
 * ```ts
 * import { GradientTape, greater, sqrt, tensor, where } from 'tapegrad';
 * const x = tensor([0, 4]);
 * const tape = new GradientTape({ persistent: true });
 * tape.watch(x);
 * const naive = where(greater(x, 0), sqrt(x), 0);
 * const safe = where(greater(x, 0), sqrt(where(greater(x, 0), x, 1)), 0);
 * tape.gradient(naive, x); // [NaN, 0.25]
 * tape.gradient(safe, x); // [0, 0.25]
 * ```
 */
export function where(condition: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const c = convertToTensor('where', 'condition', condition, 'bool');
  if (c.dtype !== 'bool') {
    throw new TypeError(
      `tapegrad.where: condition must be a bool tensor, got ${c.dtype}; compare first, e.g. greater(x, 0)`,
    );
  }
  const [x, y] = binaryInputs('where', a, b, false);
  return whereOp([c, x, y], undefined);
}

interface CompareMethods {
  /**
   * {@inheritDoc equal}
   *
   * @param rest - The arguments of {@link equal} after the tensor, described there.
   */
  equal: Method<typeof equal>;
  /**
   * {@inheritDoc notEqual}
   *
   * @param rest - The arguments of {@link notEqual} after the tensor, described there.
   */
  notEqual: Method<typeof notEqual>;
  /**
   * {@inheritDoc less}
   *
   * @param rest - The arguments of {@link less} after the tensor, described there.
   */
  less: Method<typeof less>;
  /**
   * {@inheritDoc lessEqual}
   *
   * @param rest - The arguments of {@link lessEqual} after the tensor, described there.
   */
  lessEqual: Method<typeof lessEqual>;
  /**
   * {@inheritDoc greater}
   *
   * @param rest - The arguments of {@link greater} after the tensor, described there.
   */
  greater: Method<typeof greater>;
  /**
   * {@inheritDoc greaterEqual}
   *
   * @param rest - The arguments of {@link greaterEqual} after the tensor, described there.
   */
  greaterEqual: Method<typeof greaterEqual>;
}

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merges CompareMethods into Tensor
  interface Tensor<D extends DType = DType> extends CompareMethods {}
}

installMethods<CompareMethods>({ equal, notEqual, less, lessEqual, greater, greaterEqual });
