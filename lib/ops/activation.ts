/**
 * Softmax and log-softmax along one axis. The kernels shift each lane by its
 * maximum, so large logits neither overflow nor lose the small ones.
 */
import { allocate } from '../dtype.js';
import { kernels } from '../kernels/index.js';
import { defineOp } from '../op.js';
import { normalizeAxes } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { mul, sub } from './arithmetic.js';
import { unaryInput } from './elementwise.js';
import { sum } from './reduce.js';
import { exp } from './unary.js';

interface AxisAttrs {
  readonly axis: number;
}

function softmaxWith(x: Tensor, axis: number, log: boolean): Tensor {
  const out = allocate(x.dtype, x.size);
  kernels.softmax(x.values, x.shape, axis, log, out);
  return new Tensor(out, x.shape, x.dtype);
}

const softmaxOp = defineOp<AxisAttrs>('softmax', {
  forward: ([x], { axis }) => softmaxWith(x!, axis, false),
  // dx = y (dy - sum(dy y)) along the axis: the Jacobian is diag(y) - y y^T.
  vjp: (dy, _x, y, { axis }) => [mul(y, sub(dy, sum(mul(dy, y), axis, true)))],
});

const logSoftmaxOp = defineOp<AxisAttrs>('logSoftmax', {
  forward: ([x], { axis }) => softmaxWith(x!, axis, true),
  // dx = dy - softmax(x) sum(dy) along the axis, with softmax(x) = exp(y).
  vjp: (dy, _x, y, { axis }) => [sub(dy, mul(exp(y), sum(dy, axis, true)))],
});

function axisInput(op: string, logits: TensorLike, axis: number): { x: Tensor; axis: number } {
  const x = unaryInput(op, logits, true);
  if (typeof axis !== 'number') {
    throw new TypeError(`tapegrad.${op}: the axis must be a single number, got ${JSON.stringify(axis)}`);
  }
  if (x.rank === 0) {
    throw new RangeError(`tapegrad.${op}: logits is a scalar, which has no axis to normalise over; give it rank >= 1`);
  }
  return { x, axis: normalizeAxes(op, axis, x.rank)[0]! };
}

/**
 * The softmax along `dim` (default -1, the last axis): `exp(x) / sum(exp(x))`,
 * computed after subtracting the maximum so large logits do not overflow.
 * Unlike TensorFlow.js, any axis is accepted, not only the last.
 *
 * @example
 * ```ts
 * import { softmax, tensor } from 'tapegrad';
 * softmax(tensor([0, Math.log(3)])); // ~[0.25, 0.75]
 * softmax(tensor([1000, 1000])); // [0.5, 0.5]
 * softmax(tensor([[0, 0], [Math.log(3), 0]]), 0); // ~[[0.25, 0.5], [0.75, 0.5]]
 * ```
 */
export function softmax(logits: TensorLike, dim = -1): Tensor {
  const { x, axis } = axisInput('softmax', logits, dim);
  return softmaxOp([x], { axis });
}

/**
 * The log of the softmax along `axis` (default -1): `x - logSumExp(x)`,
 * computed without forming `log(0)` for very negative logits. Any axis is
 * accepted, not only the last (TensorFlow.js's limit).
 *
 * @example
 * ```ts
 * logSoftmax(tensor([0, 0])); // ~[-0.6931472, -0.6931472]
 * logSoftmax(tensor([0, -1000])); // [0, -1000]
 * ```
 */
export function logSoftmax(logits: TensorLike, axis = -1): Tensor {
  const { x, axis: a } = axisInput('logSoftmax', logits, axis);
  return logSoftmaxOp([x], { axis: a });
}
