/**
 * Matrix product of the last two axes, batched over the leading axes with
 * broadcasting, as TensorFlow.js `matMul`.
 */
import { allocate, type DType } from '../dtype.js';
import { kernels } from '../kernels/index.js';
import { defineOp } from '../op.js';
import { broadcastShapes, formatShape, sizeOf } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { binaryInputs } from './elementwise.js';
import { installMethods, type Method } from './methods.js';

interface MatmulAttrs {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

declare module '../op.js' {
  interface OpsWithGradient {
    matmul: MatmulAttrs;
  }
}

const matmulOp = defineOp('matmul', {
  forward: ([a, b], { transposeA, transposeB }) => {
    const A = a!;
    const B = b!;
    const ra = A.rank;
    const rb = B.rank;
    const m = A.shape[transposeA ? ra - 1 : ra - 2]!;
    const k = A.shape[transposeA ? ra - 2 : ra - 1]!;
    const kb = B.shape[transposeB ? rb - 1 : rb - 2]!;
    const n = B.shape[transposeB ? rb - 2 : rb - 1]!;
    if (k !== kb) {
      throw new Error(
        `tapegrad.matmul: inner dimensions differ: ${formatShape(A.shape)}${transposeA ? 'ᵀ' : ''} x ` +
          `${formatShape(B.shape)}${transposeB ? 'ᵀ' : ''} (${k} vs ${kb}); the last axis of a must match ` +
          'the second-to-last of b (after the transposes)',
      );
    }
    const aBatch = A.shape.slice(0, -2);
    const bBatch = B.shape.slice(0, -2);
    const batch = broadcastShapes(
      'matmul',
      aBatch,
      bBatch,
      () =>
        new Error(
          `tapegrad.matmul: batch dimensions ${formatShape(aBatch)} of ${formatShape(A.shape)} and ` +
            `${formatShape(bBatch)} of ${formatShape(B.shape)} cannot be broadcast; make each pair equal or 1`,
        ),
    );
    const shape = [...batch, m, n];
    const out = allocate(A.dtype, sizeOf(shape), 'matmul');
    kernels.matmul(A.values, aBatch, B.values, bBatch, batch, m, k, n, transposeA, transposeB, out);
    return new Tensor(out, shape, A.dtype);
  },
  // For C = A B: dA = dC Bᵀ and dB = Aᵀ dC; the transposed forms follow by
  // transposing both sides. No transpose is materialised: the flags do it.
  vjp: (dy, [a, b], _c, { transposeA: ta, transposeB: tb }, needs) => {
    let da: Tensor | undefined;
    let db: Tensor | undefined;
    if (needs[0]) da = ta ? matmul(b!, dy, tb, true) : matmul(dy, b!, false, !tb);
    if (needs[1]) db = tb ? matmul(dy, a!, true, ta) : matmul(a!, dy, !ta, false);
    return [da, db];
  },
  // JVP: d(A B) = dA B + A dB, with the same transposes.
  jvp: ([ta, tb], [a, b], _c, { transposeA: tA, transposeB: tB }) => [
    ta && matmul(ta, b!, tA, tB),
    tb && matmul(a!, tb, tA, tB),
  ],
});

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
  const [x, y] = binaryInputs('matmul', a, b, true);
  if (x.rank < 2 || y.rank < 2) {
    throw new Error(
      `tapegrad.matmul: both operands need rank 2 or more, got ${formatShape(x.shape)} and ${formatShape(y.shape)}; ` +
        'reshape a vector to [1, n] or [n, 1] first',
    );
  }
  return matmulOp([x, y], { transposeA: Boolean(transposeA), transposeB: Boolean(transposeB) });
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
