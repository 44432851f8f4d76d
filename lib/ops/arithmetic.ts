/**
 * Broadcasting arithmetic: add, sub, mul, div, neg, squaredDifference and
 * addN, whose VJPs are written in these same ops. Each VJP returns gradients
 * in the output's (broadcast) shape; the tape sums them back to each input's shape.
 */
import { convertToTensor } from '../creation.js';
import type { DType } from '../dtype.js';
import { defineOp } from '../op.js';
import { formatShape, shapesEqual } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { binaryInputs, defineUnaryOp, mapBinary, mapUnary } from './elementwise.js';
import { installMethods, type Method } from './methods.js';

declare module '../op.js' {
  interface OpsWithGradient {
    add: undefined;
    sub: undefined;
    mul: undefined;
    div: undefined;
    neg: undefined;
    squaredDifference: undefined;
    addN: undefined;
  }
}

const addOp = defineOp('add', {
  forward: ([a, b]) => mapBinary('add', 'add', a!, b!),
  // d(a + b) = da + db
  vjp: (dy) => [dy, dy],
  // JVP: d(a + b) = ta + tb; a contribution in an input's shape is broadcast to the output's by the caller.
  jvp: ([ta, tb]) => [ta, tb],
});

const subOp = defineOp('sub', {
  forward: ([a, b]) => mapBinary('sub', 'sub', a!, b!),
  // d(a - b) = da - db
  vjp: (dy) => [dy, neg(dy)],
  jvp: ([ta, tb]) => [ta, tb && neg(tb)],
});

const mulOp = defineOp('mul', {
  forward: ([a, b]) => mapBinary('mul', 'mul', a!, b!),
  // d(a b) = b da + a db
  vjp: (dy, [a, b], _y, _attrs, needs) => [needs[0] ? mul(dy, b!) : undefined, needs[1] ? mul(dy, a!) : undefined],
  jvp: ([ta, tb], [a, b]) => [ta && mul(ta, b!), tb && mul(a!, tb)],
});

const divOp = defineOp('div', {
  forward: ([a, b]) => mapBinary('div', a!.dtype === 'int32' ? 'floorDiv' : 'div', a!, b!),
  // d(a / b) = da / b - (a / b^2) db = da / b - y db / b
  vjp: (dy, [, b], y, _attrs, needs) => [
    needs[0] ? div(dy, b!) : undefined,
    needs[1] ? neg(mul(dy, div(y, b!))) : undefined,
  ],
  jvp: ([ta, tb], [, b], y) => [ta && div(ta, b!), tb && neg(mul(tb, div(y, b!)))],
});

/**
 * Adds two tensors element-wise, with NumPy broadcasting.
 *
 * @param a - The first addend: a tensor, or a number or nested array (which takes the other operand's dtype); not bool.
 * @param b - The second addend, broadcast against `a`: a tensor, or a number or nested array (which takes the other
 *   operand's dtype); not bool.
 *
 * @example
 * ```ts
 * import { add, tensor } from 'tapegrad';
 * add(tensor([[1], [2]]), tensor([10, 20])); // [[11, 21], [12, 22]]
 * ```
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return addOp(binaryInputs('add', a, b, true), undefined);
}

/**
 * Subtracts `b` from `a` element-wise, with broadcasting.
 *
 * @param a - The minuend: a tensor, or a number or nested array (which takes the other operand's dtype); not bool.
 * @param b - The subtrahend, taken from `a`, broadcast against `a`: a tensor, or a number or nested array (which takes
 *   the other operand's dtype); not bool.
 *
 * @example
 * ```ts
 * sub(tensor([5, 7]), 2); // [3, 5]
 * ```
 */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return subOp(binaryInputs('sub', a, b, true), undefined);
}

/**
 * Multiplies element-wise, with broadcasting.
 *
 * @param a - The first factor: a tensor, or a number or nested array (which takes the other operand's dtype); not bool.
 * @param b - The second factor, broadcast against `a`: a tensor, or a number or nested array (which takes the other
 *   operand's dtype); not bool.
 *
 * @example
 * ```ts
 * mul(tensor([1, 2, 3]), 2); // [2, 4, 6]
 * ```
 */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return mulOp(binaryInputs('mul', a, b, true), undefined);
}

/**
 * Divides `a` by `b` element-wise, with broadcasting. On int32 tensors it
 * rounds toward negative infinity, as TensorFlow.js.
 *
 * @param a - The dividend: a tensor, or a number or nested array (which takes the other operand's dtype); not bool.
 * @param b - The divisor, broadcast against `a`: a tensor, or a number or nested array (which takes the other operand's
 *   dtype); not bool.
 *
 * @example
 * ```ts
 * div(tensor([1, 3]), 2);                 // [0.5, 1.5]
 * div(tensor([7, -7], [2], 'int32'), 2);  // [3, -4] (int32)
 * ```
 */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return divOp(binaryInputs('div', a, b, true), undefined);
}

// d(-x) = -dx
/**
 * Negates element-wise.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 *
 * @example
 * ```ts
 * import { neg, tensor } from 'tapegrad';
 * neg(tensor([1, -2])); // [-1, 2]
 * ```
 */
export const neg = defineUnaryOp('neg', false, (dy) => [neg(dy)]);

const squaredDifferenceOp = defineOp('squaredDifference', {
  forward: ([a, b]) => mapBinary('squaredDifference', 'squaredDifference', a!, b!),
  // d (a - b)^2 = 2 (a - b) (da - db)
  vjp: (dy, [a, b]) => {
    const g = mul(dy, mul(sub(a!, b!), 2));
    return [g, neg(g)];
  },
  jvp: ([ta, tb], [a, b]) => {
    const d = mul(sub(a!, b!), 2);
    return [ta && mul(ta, d), tb && neg(mul(tb, d))];
  },
});

/**
 * `(a - b)^2`, element-wise, with broadcasting.
 *
 * @param a - The first operand: a tensor, or a number or nested array (which takes the other operand's dtype); not
 *   bool.
 * @param b - The operand subtracted from `a`, broadcast against `a`: a tensor, or a number or nested array (which takes
 *   the other operand's dtype); not bool.
 *
 * @example
 * ```ts
 * squaredDifference(tensor([1, 4]), tensor([3, 1])); // [4, 9]
 * ```
 */
export function squaredDifference(a: TensorLike, b: TensorLike): Tensor {
  return squaredDifferenceOp(binaryInputs('squaredDifference', a, b, true), undefined);
}

const addNOp = defineOp('addN', {
  // A fresh tensor even for one input: an op's output is never one of its inputs.
  forward: (xs) => xs.slice(1).reduce((total, x) => mapBinary('addN', 'add', total, x), mapUnary('identity', xs[0]!)),
  // d (x1 + ... + xn) = dx1 + ... + dxn
  vjp: (dy, xs) => xs.map(() => dy),
  jvp: (tangents) => tangents,
});

/**
 * Adds a list of tensors element-wise. All must have the same shape and dtype
 * (no broadcasting, as tf.addN).
 *
 * @param tensors - The tensors to add: a non-empty array, all of one shape and dtype (a number or array takes the first
 *   tensor's dtype); not bool.
 *
 * @example
 * ```ts
 * addN([tensor([1, 2]), tensor([3, 4]), tensor([5, 6])]); // [9, 12]
 * ```
 */
export function addN(tensors: readonly TensorLike[]): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new TypeError('tapegrad.addN: expects a non-empty array of tensors; pass e.g. addN([a, b])');
  }
  const first = tensors[0];
  const dtype = first instanceof Tensor ? first.dtype : undefined;
  const xs = tensors.map((t, i) => convertToTensor('addN', `tensors[${i}]`, t, dtype));
  const x0 = xs[0]!;
  if (x0.dtype === 'bool') {
    throw new TypeError(
      `tapegrad.addN: arithmetic on bool tensors is not defined; cast them with cast(x, 'float32') first`,
    );
  }
  xs.forEach((x, i) => {
    if (x.dtype !== x0.dtype || !shapesEqual(x.shape, x0.shape)) {
      throw new Error(
        `tapegrad.addN: tensors[${i}] is ${x.dtype} ${formatShape(x.shape)} but tensors[0] is ` +
          `${x0.dtype} ${formatShape(x0.shape)}; all must have the same shape and dtype (use add to broadcast)`,
      );
    }
  });
  return addNOp(xs, undefined);
}

interface ArithmeticMethods {
  /**
   * {@inheritDoc add}
   *
   * @param rest - The arguments of {@link add} after the tensor, described there.
   */
  add: Method<typeof add>;
  /**
   * {@inheritDoc sub}
   *
   * @param rest - The arguments of {@link sub} after the tensor, described there.
   */
  sub: Method<typeof sub>;
  /**
   * {@inheritDoc mul}
   *
   * @param rest - The arguments of {@link mul} after the tensor, described there.
   */
  mul: Method<typeof mul>;
  /**
   * {@inheritDoc div}
   *
   * @param rest - The arguments of {@link div} after the tensor, described there.
   */
  div: Method<typeof div>;
  /** {@inheritDoc neg} */
  neg: Method<typeof neg>;
  /**
   * {@inheritDoc squaredDifference}
   *
   * @param rest - The arguments of {@link squaredDifference} after the tensor, described there.
   */
  squaredDifference: Method<typeof squaredDifference>;
}

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merges ArithmeticMethods into Tensor
  interface Tensor<D extends DType = DType> extends ArithmeticMethods {}
}

installMethods<ArithmeticMethods>({ add, sub, mul, div, neg, squaredDifference });
