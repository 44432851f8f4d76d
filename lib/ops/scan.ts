/** Scans along one axis: cumulative sums. */
import { convertToTensor } from '../creation.js';
import type { DType } from '../dtype.js';
import { active, allocateHere } from '../kernels/placement.js';
import { defineOp, type OpRunner } from '../op.js';
import { normalizeAxes } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { installMethods, type Method } from './methods.js';
import { cast } from './shape.js';

interface CumsumAttrs {
  readonly axis: number;
  readonly exclusive: boolean;
  readonly reverse: boolean;
}

declare module '../op.js' {
  interface OpsWithGradient {
    cumsum: CumsumAttrs;
  }
}

const cumsumOp: OpRunner<CumsumAttrs> = defineOp('cumsum', {
  forward: ([x], { axis, exclusive, reverse }) => {
    const out = allocateHere(x!.dtype, x!.size);
    active().cumsum(x!.placed, x!.shape, axis, exclusive, reverse, out);
    return new Tensor(out, x!.shape, x!.dtype);
  },
  // Each x_j enters every sum at or after it, so its gradient is the sum of dy from
  // there on: the cumulative sum in the other direction, exclusive if the forward was.
  vjp: (dy, _x, _y, { axis, exclusive, reverse }) => [cumsumOp([dy], { axis, exclusive, reverse: !reverse })],
});

/**
 * The cumulative sum along `axis` (default 0). With `exclusive`, each element
 * sums the ones before it (the first becomes 0); with `reverse`, the sums run
 * from the end. Bool tensors are summed as int32. The gradient is the
 * cumulative sum of the output gradient in the other direction.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); rank >= 1.
 * @param axis - The axis to sum along (a single number), negative counting from the end; default 0.
 * @param exclusive - Leave each element out of its own sum, so the first is 0; default false.
 * @param reverse - Sum from the end of the axis toward its start; default false.
 *
 * @example
 * ```ts
 * import { cumsum, tensor } from 'tapegrad';
 * const x = tensor([1, 2, 3]);
 * cumsum(x); // [1, 3, 6]
 * cumsum(x, 0, true); // [0, 1, 3]
 * cumsum(x, 0, false, true); // [6, 5, 3]
 * cumsum(tensor([[1, 2], [3, 4]]), -1); // [[1, 3], [3, 7]]
 * ```
 */
export function cumsum(x: TensorLike, axis = 0, exclusive = false, reverse = false): Tensor {
  const t = convertToTensor('cumsum', 'x', x);
  if (typeof axis !== 'number') {
    throw new TypeError(`tapegrad.cumsum: axis must be a single number, got ${JSON.stringify(axis)}`);
  }
  if (t.rank === 0) {
    throw new RangeError('tapegrad.cumsum: x is a scalar, which has no axis to sum along; reshape it to [1] first');
  }
  const [a] = normalizeAxes('cumsum', axis, t.rank);
  return cumsumOp([t.dtype === 'bool' ? cast(t, 'int32') : t], {
    axis: a!,
    exclusive: Boolean(exclusive),
    reverse: Boolean(reverse),
  });
}

interface ScanMethods {
  /**
   * {@inheritDoc cumsum}
   *
   * @param rest - The arguments of {@link cumsum} after the tensor, described there.
   */
  cumsum: Method<typeof cumsum>;
}

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merges ScanMethods into Tensor
  interface Tensor<D extends DType = DType> extends ScanMethods {}
}

installMethods<ScanMethods>({ cumsum });
