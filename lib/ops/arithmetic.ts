/**
 * Broadcasting binary arithmetic. Each VJP returns gradients in the output's
 * (broadcast) shape; the tape sums them back to each input's shape.
 */
import { defineOp } from '../op.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { binaryInputs, mapBinary } from './elementwise.js';
import { greater, greaterEqual, less, lessEqual, where } from './compare.js';
import { log, neg } from './unary.js';
import { cast } from './shape.js';
import { onesLike } from '../creation.js';

/** 1 where `mask` is true, else 0, in the dtype of `like`. */
function indicator(mask: Tensor, like: Tensor): Tensor {
  return cast(mask, like.dtype);
}

const addOp = defineOp('add', {
  forward: ([a, b]) => mapBinary('add', 'add', a!, b!),
  // d(a + b) = da + db
  vjp: (dy) => [dy, dy],
});

const subOp = defineOp('sub', {
  forward: ([a, b]) => mapBinary('sub', 'sub', a!, b!),
  // d(a - b) = da - db
  vjp: (dy) => [dy, neg(dy)],
});

const mulOp = defineOp('mul', {
  forward: ([a, b]) => mapBinary('mul', 'mul', a!, b!),
  // d(a b) = b da + a db
  vjp: (dy, [a, b], _y, _attrs, needs) => [needs[0] ? mul(dy, b!) : undefined, needs[1] ? mul(dy, a!) : undefined],
});

const divOp = defineOp('div', {
  forward: ([a, b]) => mapBinary('div', a!.dtype === 'int32' ? 'floorDiv' : 'div', a!, b!),
  // d(a / b) = da / b - (a / b^2) db = da / b - y db / b
  vjp: (dy, [, b], y, _attrs, needs) => [
    needs[0] ? div(dy, b!) : undefined,
    needs[1] ? neg(mul(dy, div(y, b!))) : undefined,
  ],
});

const powOp = defineOp('pow', {
  forward: ([a, b]) => mapBinary('pow', 'pow', a!, b!),
  // d(a^b) = b a^(b-1) da + a^b ln(a) db; ln(a) is taken as 0 where a <= 0 (as TensorFlow),
  // through a double `where` so that no NaN reaches the gradient of the gradient.
  vjp: (dy, [a, b], y, _attrs, needs) => {
    const A = a!;
    const B = b!;
    let db: Tensor | undefined;
    if (needs[1]) {
      const positive = greater(A, 0);
      db = mul(dy, mul(y, where(positive, log(where(positive, A, onesLike(A))), 0)));
    }
    return [needs[0] ? mul(dy, mul(B, pow(A, sub(B, 1)))) : undefined, db];
  },
});

const maximumOp = defineOp('maximum', {
  forward: ([a, b]) => mapBinary('maximum', 'maximum', a!, b!),
  // The gradient goes to the larger input; a tie goes to the first (as TensorFlow).
  vjp: (dy, [a, b]) => [mul(dy, indicator(greaterEqual(a!, b!), dy)), mul(dy, indicator(less(a!, b!), dy))],
});

const minimumOp = defineOp('minimum', {
  forward: ([a, b]) => mapBinary('minimum', 'minimum', a!, b!),
  // The gradient goes to the smaller input; a tie goes to the first (as TensorFlow).
  vjp: (dy, [a, b]) => [mul(dy, indicator(lessEqual(a!, b!), dy)), mul(dy, indicator(greater(a!, b!), dy))],
});

/**
 * Adds two tensors element-wise, with NumPy broadcasting.
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
 * @example
 * ```ts
 * div(tensor([1, 3]), 2);                 // [0.5, 1.5]
 * div(tensor([7, -7], [2], 'int32'), 2);  // [3, -4] (int32)
 * ```
 */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return divOp(binaryInputs('div', a, b, true), undefined);
}

/**
 * `a` to the power `b`, element-wise, with broadcasting. The gradient with
 * respect to `b` uses ln(a), taken as 0 where a <= 0 (TensorFlow's choice).
 *
 * @example
 * ```ts
 * pow(tensor([2, 3]), 2); // [4, 9]
 * ```
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return powOp(binaryInputs('pow', a, b, true), undefined);
}

/**
 * The larger of `a` and `b`, element-wise, with broadcasting. Where they are
 * equal the whole gradient goes to `a` (as TensorFlow).
 *
 * @example
 * ```ts
 * maximum(tensor([1, 4]), tensor([3, 2])); // [3, 4]
 * ```
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return maximumOp(binaryInputs('maximum', a, b, true), undefined);
}

/**
 * The smaller of `a` and `b`, element-wise, with broadcasting. Where they are
 * equal the whole gradient goes to `a` (as TensorFlow).
 *
 * @example
 * ```ts
 * minimum(tensor([1, 4]), tensor([3, 2])); // [1, 2]
 * ```
 */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return minimumOp(binaryInputs('minimum', a, b, true), undefined);
}
