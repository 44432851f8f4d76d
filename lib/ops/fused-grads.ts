/**
 * Fused backward ops, as TensorFlow's `ReluGrad`, `TanhGrad` and
 * `SigmoidGrad`: the VJPs of relu, tanh and sigmoid in one pass over the
 * arrays instead of three or four (a comparison, a cast and a product; or a
 * square, a difference and a product), each with a fresh array per step.
 * They are ops like any other, with VJPs of their own written in tapegrad's
 * ops, so second derivatives through relu, tanh and sigmoid still come from
 * the tape. They are internal: the activations' VJPs call them.
 */
import { zerosLike } from '../creation.js';
import { defineOp } from '../op.js';
import type { Tensor } from '../tensor.js';
import { mul, sub } from './arithmetic.js';
import { mapBinary } from './elementwise.js';

declare module '../op.js' {
  interface OpsWithGradient {
    reluGrad: undefined;
    tanhGrad: undefined;
    sigmoidGrad: undefined;
  }
}

// reluGrad(dy, x) = dy [x > 0]. It is linear in dy; the mask is piecewise constant in x,
// so x's gradient is zeros (as TensorFlow's ReluGrad gradient gives the features).
const reluGradOp = defineOp('reluGrad', {
  forward: ([dy, x]) => mapBinary('reluGrad', 'reluGrad', dy!, x!),
  vjp: (g, [, x], _out, _attrs, needs) => [
    needs[0] ? reluGrad(g, x!) : undefined,
    needs[1] ? zerosLike(x!) : undefined,
  ],
  jvp: ([t], [, x]) => [t === undefined ? undefined : reluGrad(t, x!), undefined],
});

/**
 * `dy` where `x > 0`, else 0 (`dy * 0`, so a NaN in `dy` still shows): relu's
 * VJP in one pass. `dy` and `x` have one dtype.
 */
export function reluGrad(dy: Tensor, x: Tensor): Tensor {
  return reluGradOp([dy, x], undefined);
}

// tanhGrad(dy, y) = dy (1 - y^2): d/d(dy) = (1 - y^2), d/dy = -2 y dy.
const tanhGradOp = defineOp('tanhGrad', {
  forward: ([dy, y]) => mapBinary('tanhGrad', 'tanhGrad', dy!, y!),
  vjp: (g, [dy, y], _out, _attrs, needs) => [
    needs[0] ? tanhGrad(g, y!) : undefined,
    needs[1] ? mul(mul(g, dy!), mul(y!, -2)) : undefined,
  ],
});

/** `dy * (1 - y²)`: tanh's VJP from its output `y`, in one pass. */
export function tanhGrad(dy: Tensor, y: Tensor): Tensor {
  return tanhGradOp([dy, y], undefined);
}

// sigmoidGrad(dy, y) = dy y (1 - y): d/d(dy) = y (1 - y), d/dy = dy (1 - 2y).
const sigmoidGradOp = defineOp('sigmoidGrad', {
  forward: ([dy, y]) => mapBinary('sigmoidGrad', 'sigmoidGrad', dy!, y!),
  vjp: (g, [dy, y], _out, _attrs, needs) => [
    needs[0] ? sigmoidGrad(g, y!) : undefined,
    needs[1] ? mul(mul(g, dy!), sub(1, mul(y!, 2))) : undefined,
  ],
});

/** `dy * y * (1 - y)`: sigmoid's VJP from its output `y`, in one pass. */
export function sigmoidGrad(dy: Tensor, y: Tensor): Tensor {
  return sigmoidGradOp([dy, y], undefined);
}
