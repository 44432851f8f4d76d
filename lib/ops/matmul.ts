/**
 * Matrix product of the last two axes, batched over the leading axes with
 * broadcasting, as TensorFlow.js `matMul`.
 */
import type { DType } from '../dtype.js';
import { active, allocateHere } from '../kernels/placement.js';
import { defineOp } from '../op.js';
import { broadcastShapes, formatShape, sizeOf } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { binaryInputs } from './elementwise.js';
import { applyEpilogue } from './epilogue.js';
import { reluGrad } from './fused-grads.js';
import { installMethods, type Method } from './methods.js';

interface MatmulAttrs {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

/**
 * The activations a fused op applies to its result (TensorFlow.js's `fused` ops name more; these are fused here).
 *
 * @example
 * ```ts
 * import { fused, tensor } from 'tapegrad';
 * const activation: fused.FusedActivation = 'relu';
 * fused.matMul({ a: tensor([[1, -1]]), b: tensor([[1], [2]]), activation }); // [[0]]
 * ```
 */
export type FusedActivation = 'linear' | 'relu';

interface FusedMatmulAttrs extends MatmulAttrs {
  readonly activation: FusedActivation;
}

declare module '../op.js' {
  interface OpsWithGradient {
    matmul: MatmulAttrs;
    fusedMatMul: FusedMatmulAttrs;
  }
}

/** The product of A and B with the given transposes, into a new tensor; errors name `op` (inner and batch dimensions). */
function product(op: string, A: Tensor, B: Tensor, transposeA: boolean, transposeB: boolean): Tensor {
  const ra = A.rank;
  const rb = B.rank;
  const m = A.shape[transposeA ? ra - 1 : ra - 2]!;
  const k = A.shape[transposeA ? ra - 2 : ra - 1]!;
  const kb = B.shape[transposeB ? rb - 1 : rb - 2]!;
  const n = B.shape[transposeB ? rb - 2 : rb - 1]!;
  if (k !== kb) {
    throw new Error(
      `tapegrad.${op}: inner dimensions differ: ${formatShape(A.shape)}${transposeA ? 'ᵀ' : ''} x ` +
        `${formatShape(B.shape)}${transposeB ? 'ᵀ' : ''} (${k} vs ${kb}); the last axis of a must match ` +
        'the second-to-last of b (after the transposes)',
    );
  }
  const aBatch = A.shape.slice(0, -2);
  const bBatch = B.shape.slice(0, -2);
  const batch = broadcastShapes(
    op,
    aBatch,
    bBatch,
    () =>
      new Error(
        `tapegrad.${op}: batch dimensions ${formatShape(aBatch)} of ${formatShape(A.shape)} and ` +
          `${formatShape(bBatch)} of ${formatShape(B.shape)} cannot be broadcast; make each pair equal or 1`,
      ),
  );
  const shape = [...batch, m, n];
  const out = allocateHere(A.dtype, sizeOf(shape), op);
  active().matmul(A.placed, aBatch, B.placed, bBatch, batch, m, k, n, transposeA, transposeB, out);
  return new Tensor(out, shape, A.dtype);
}

const matmulOp = defineOp('matmul', {
  forward: ([a, b], { transposeA, transposeB }) => product('matmul', a!, b!, transposeA, transposeB),
  // For C = A B: dA = dC Bᵀ and dB = Aᵀ dC; the transposed forms follow by
  // transposing both sides. No transpose is materialised: the flags do it.
  vjp: (dy, [a, b], _c, { transposeA: ta, transposeB: tb }, needs) => matmulVjp(dy, a!, b!, ta, tb, needs),
  // JVP: d(A B) = dA B + A dB, with the same transposes.
  jvp: ([ta, tb], [a, b], _c, { transposeA: tA, transposeB: tB }) => [
    ta && matmul(ta, b!, tA, tB),
    tb && matmul(a!, tb, tA, tB),
  ],
});

// The matmul VJP for C = A B given dC, as matmul's, shared with fusedMatMul.
function matmulVjp(
  dc: Tensor,
  a: Tensor,
  b: Tensor,
  ta: boolean,
  tb: boolean,
  needs: readonly boolean[],
): [Tensor | undefined, Tensor | undefined] {
  const da = needs[0] ? (ta ? matmul(b, dc, tb, true) : matmul(dc, b, false, !tb)) : undefined;
  const db = needs[1] ? (tb ? matmul(dc, a, true, ta) : matmul(a, dc, !ta, false)) : undefined;
  return [da, db];
}

// y = act(a @ b + bias) in one op, as TensorFlow.js's fused matMul: the bias and the activation are applied in
// place on the product's array, so no intermediate array is made. With z = a @ b + bias, dz = dy for 'linear'
// and reluGrad(dy, y) for 'relu' (y > 0 exactly where z > 0); then da, db as matmul's, and dbias = dz (the tape
// sums it to the bias's shape).
const fusedMatMulOp = defineOp('fusedMatMul', {
  forward: ([a, b, bias], { transposeA, transposeB, activation }) =>
    applyEpilogue('fused.matMul', product('fused.matMul', a!, b!, transposeA, transposeB), bias, activation),
  vjp: (dy, [a, b, bias], y, { transposeA: ta, transposeB: tb, activation }, needs) => {
    const dz = activation === 'relu' ? reluGrad(dy, y) : dy;
    return [...matmulVjp(dz, a!, b!, ta, tb, needs), bias !== undefined && needs[2] ? dz : undefined];
  },
});

/**
 * `act(a @ b + bias)` as one recorded op (see {@link matmul} for `a`, `b` and the transposes): the public
 * form is `fused.matMul`. `bias` (optional) broadcasts to the product's shape.
 */
export function fusedMatMul(
  a: Tensor,
  b: Tensor,
  bias: Tensor | undefined,
  transposeA: boolean,
  transposeB: boolean,
  activation: FusedActivation,
): Tensor {
  const inputs = bias === undefined ? [a, b] : [a, b, bias];
  return fusedMatMulOp(inputs, { transposeA, transposeB, activation });
}

/**
 * The matrix product `a @ b` over the last two axes, optionally transposing
 * either operand first; leading (batch) axes broadcast. Both operands need
 * rank 2 or more.
 *
 * @param a - The left operand, of shape `[..., m, k]` (`[..., k, m]` when `transposeA`); rank 2 or more, not bool.
 * @param b - The right operand, of shape `[..., k, n]` (`[..., n, k]` when `transposeB`); rank 2 or more, not bool.
 * @param transposeA - Multiply by the transpose of `a` (its last two axes swapped) without materialising it; default
 *   false.
 * @param transposeB - Multiply by the transpose of `b` (its last two axes swapped) without materialising it; default
 *   false.
 *
 * @example
 * ```ts
 * import { matmul, tensor } from 'tapegrad';
 * matmul(tensor([[1, 2]]), tensor([[9], [10]]));   // [[29]]
 * matmul(tensor([[1, 2]]), tensor([[1, 2]]), false, true); // [[5]]
 * ```
 */
export function matmul(a: TensorLike, b: TensorLike, transposeA = false, transposeB = false): Tensor {
  return matmulOp(matmulInputs('matmul', a, b), { transposeA: Boolean(transposeA), transposeB: Boolean(transposeB) });
}

/** The operands of a matrix product (`op` names it in errors): one numeric dtype, rank 2 or more each. */
export function matmulInputs(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const [x, y] = binaryInputs(op, a, b, true);
  if (x.rank < 2 || y.rank < 2) {
    throw new Error(
      `tapegrad.${op}: both operands need rank 2 or more, got ${formatShape(x.shape)} and ${formatShape(y.shape)}; ` +
        'reshape a vector to [1, n] or [n, 1] first',
    );
  }
  return [x, y];
}

interface MatmulMethods {
  /**
   * {@inheritDoc matmul}
   *
   * @param rest - The arguments of {@link matmul} after the tensor, described there.
   */
  matmul: Method<typeof matmul>;
}

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merges MatmulMethods into Tensor
  interface Tensor<D extends DType = DType> extends MatmulMethods {}
}

installMethods<MatmulMethods>({ matmul });
