/**
 * Broadcasting binary arithmetic. Each VJP returns gradients in the output's
 * (broadcast) shape; the tape sums them back to each input's shape.
 */
import { defineOp } from '../op.js';
import { formatShape, shapesEqual } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { binaryInputs, mapBinary, mapUnary, unaryInput } from './elementwise.js';
import { greater, greaterEqual, less, lessEqual, where } from './compare.js';
import { floor } from './math.js';
import { log, neg, square } from './unary.js';
import { cast } from './shape.js';
import { convertToTensor, onesLike } from '../creation.js';

/** 1 where `mask` is true, else 0, in the dtype of `like`. */
function indicator(mask: Tensor, like: Tensor): Tensor {
  return cast(mask, like.dtype);
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
  jvp: ([ta, tb], [a, b], y) => {
    const A = a!;
    const B = b!;
    let db: Tensor | undefined;
    if (tb) {
      const positive = greater(A, 0);
      db = mul(tb, mul(y, where(positive, log(where(positive, A, onesLike(A))), 0)));
    }
    return [ta && mul(ta, mul(B, pow(A, sub(B, 1)))), db];
  },
});

const maximumOp = defineOp('maximum', {
  forward: ([a, b]) => mapBinary('maximum', 'maximum', a!, b!),
  // The gradient goes to the larger input; a tie goes to the first (as TensorFlow).
  vjp: (dy, [a, b]) => [mul(dy, indicator(greaterEqual(a!, b!), dy)), mul(dy, indicator(less(a!, b!), dy))],
  jvp: ([ta, tb], [a, b]) => [
    ta && mul(ta, indicator(greaterEqual(a!, b!), ta)),
    tb && mul(tb, indicator(less(a!, b!), tb)),
  ],
});

const minimumOp = defineOp('minimum', {
  forward: ([a, b]) => mapBinary('minimum', 'minimum', a!, b!),
  // The gradient goes to the smaller input; a tie goes to the first (as TensorFlow).
  vjp: (dy, [a, b]) => [mul(dy, indicator(lessEqual(a!, b!), dy)), mul(dy, indicator(greater(a!, b!), dy))],
  jvp: ([ta, tb], [a, b]) => [
    ta && mul(ta, indicator(lessEqual(a!, b!), ta)),
    tb && mul(tb, indicator(greater(a!, b!), tb)),
  ],
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

const atan2Op = defineOp('atan2', {
  forward: ([a, b]) => mapBinary('atan2', 'atan2', a!, b!),
  // d atan2(a, b) = (b da - a db) / (a^2 + b^2)
  vjp: (dy, [a, b]) => {
    const scale = div(dy, add(square(a!), square(b!)));
    return [mul(scale, b!), neg(mul(scale, a!))];
  },
  jvp: ([ta, tb], [a, b]) => {
    const r = add(square(a!), square(b!));
    return [ta && mul(ta, div(b!, r)), tb && neg(mul(tb, div(a!, r)))];
  },
});

const modOp = defineOp('mod', {
  forward: ([a, b]) => mapBinary('mod', 'mod', a!, b!),
  // mod(a, b) = a - floor(a / b) b, floor taken as locally constant (as TensorFlow's FloorMod):
  // d mod = da - floor(a / b) db.
  vjp: (dy, [a, b], _y, _attrs, needs) => [dy, needs[1] ? neg(mul(dy, floor(div(a!, b!)))) : undefined],
  jvp: ([ta, tb], [a, b]) => [ta, tb && neg(mul(tb, floor(div(a!, b!))))],
});

// No gradient: piecewise constant, and TensorFlow's FloorDiv has none.
const floorDivOp = defineOp('floorDiv', {
  forward: ([a, b]) => mapBinary('floorDiv', 'floorDiv', a!, b!),
  vjp: 'none',
});

const addNOp = defineOp('addN', {
  // A fresh tensor even for one input: an op's output is never one of its inputs.
  forward: (xs) => xs.slice(1).reduce((total, x) => mapBinary('addN', 'add', total, x), mapUnary('identity', xs[0]!)),
  // d (x1 + ... + xn) = dx1 + ... + dxn
  vjp: (dy, xs) => xs.map(() => dy),
  jvp: (tangents) => tangents,
});

const clipByValueOp = defineOp<{ readonly min: number; readonly max: number }>('clipByValue', {
  forward: ([x], { min, max }) => {
    const lo = convertToTensor('clipByValue', 'clipValueMin', min, x!.dtype);
    const hi = convertToTensor('clipByValue', 'clipValueMax', max, x!.dtype);
    return mapBinary('clipByValue', 'minimum', mapBinary('clipByValue', 'maximum', x!, lo), hi);
  },
  // The gradient passes where min <= x <= max, bounds included (TensorFlow's ClipByValue).
  vjp: (dy, [x], _y, { min, max }) => [
    mul(dy, mul(indicator(greaterEqual(x!, min), dy), indicator(lessEqual(x!, max), dy))),
  ],
  jvp: ([t], [x], _y, { min, max }) => [
    mul(t!, mul(indicator(greaterEqual(x!, min), t!), indicator(lessEqual(x!, max), t!))),
  ],
});

/**
 * `(a - b)^2`, element-wise, with broadcasting.
 *
 * @example
 * ```ts
 * squaredDifference(tensor([1, 4]), tensor([3, 1])); // [4, 9]
 * ```
 */
export function squaredDifference(a: TensorLike, b: TensorLike): Tensor {
  return squaredDifferenceOp(binaryInputs('squaredDifference', a, b, true), undefined);
}

/**
 * The angle of the point `(b, a)`, `atan(a / b)` in the right quadrant: in
 * [-pi, pi], element-wise, with broadcasting. Float tensors only.
 *
 * @example
 * ```ts
 * atan2(tensor([1, 1, -1]), tensor([1, -1, 0])); // [0.7853982, 2.3561945, -1.5707964]
 * ```
 */
export function atan2(a: TensorLike, b: TensorLike): Tensor {
  const inputs = binaryInputs('atan2', a, b, true);
  if (inputs[0].dtype === 'int32') {
    throw new TypeError(
      `tapegrad.atan2: expects float32 or float64 tensors, got int32; cast them first, e.g. cast(a, 'float32')`,
    );
  }
  return atan2Op(inputs, undefined);
}

/**
 * Floor modulo, element-wise, with broadcasting: `a - floor(a / b) * b`, whose
 * sign is the divisor's (as tf.mod, and Python's `%`; unlike JavaScript's `%`).
 * The gradient is `dy` for `a` and `-dy * floor(a / b)` for `b` (as TensorFlow).
 *
 * @example
 * ```ts
 * mod(tensor([5, -5, 5.5]), tensor([3, 3, -2])); // [2, 1, -0.5]
 * ```
 */
export function mod(a: TensorLike, b: TensorLike): Tensor {
  return modOp(binaryInputs('mod', a, b, true), undefined);
}

/**
 * `floor(a / b)`, element-wise, with broadcasting. It has no gradient (like
 * TensorFlow's FloorDiv): a tape gives its inputs none through it.
 *
 * @example
 * ```ts
 * floorDiv(tensor([7, -7]), 2); // [3, -4]
 * ```
 */
export function floorDiv(a: TensorLike, b: TensorLike): Tensor {
  return floorDivOp(binaryInputs('floorDiv', a, b, true), undefined);
}

/**
 * Adds a list of tensors element-wise. All must have the same shape and dtype
 * (no broadcasting, as tf.addN).
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

/**
 * Clips each element to `[clipValueMin, clipValueMax]`. The gradient passes
 * where `clipValueMin <= x <= clipValueMax`, bounds included (as TensorFlow),
 * and is 0 outside.
 *
 * @example
 * ```ts
 * clipByValue(tensor([-2, 0.5, 3]), 0, 1); // [0, 0.5, 1]
 * ```
 */
export function clipByValue(x: TensorLike, clipValueMin: number, clipValueMax: number): Tensor {
  const t = unaryInput('clipByValue', x, false);
  if (typeof clipValueMin !== 'number' || typeof clipValueMax !== 'number') {
    throw new TypeError(
      `tapegrad.clipByValue: clipValueMin and clipValueMax must be numbers, got ${typeof clipValueMin} and ${typeof clipValueMax}`,
    );
  }
  if (!(clipValueMin <= clipValueMax)) {
    throw new RangeError(
      `tapegrad.clipByValue: clipValueMin ${clipValueMin} is greater than clipValueMax ${clipValueMax}; ` +
        'pass the lower bound first',
    );
  }
  return clipByValueOp([t], { min: clipValueMin, max: clipValueMax });
}
