/**
 * Debugging: `checkNumerics`, TensorFlow's `tf.debugging.check_numerics`, an
 * identity that throws when its input, or the gradient flowing back through
 * it, holds NaN or ±Infinity. (Checking every op at once is
 * `enableCheckNumerics`, in lib/numerics.ts.)
 */
import { convertToTensor } from '../creation.js';
import { isFloat } from '../dtype.js';
import { describeValue } from '../format.js';
import { placement } from '../kernels/placement.js';
import type { GpuArray } from '../kernels/storage.js';
import { countNonFinite, firstNonFinite } from '../numerics.js';
import { defineOp, type OpRunner } from '../op.js';
import { formatShape } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';

declare module '../op.js' {
  interface OpsWithGradient {
    checkNumerics: string;
  }
}

const checkNumericsOp: OpRunner<string> = defineOp('checkNumerics', {
  forward: ([x], message) => {
    if (x!.onGpu) {
      // No synchronous read on webgpu: the device checks, and the next read (await data()) throws.
      const t = x!;
      placement.held!.checkFinite(
        t.storage as GpuArray,
        () =>
          `tapegrad.checkNumerics: ${message}: the ${t.dtype} ${formatShape(t.shape)} tensor on webgpu holds NaN ` +
          'or ±Infinity (found at this read)',
      );
    } else if (isFloat(x!.dtype)) {
      const bad = firstNonFinite(x!.valuesNow);
      if (bad >= 0) {
        const count = countNonFinite(x!.valuesNow);
        throw new Error(
          `tapegrad.checkNumerics: ${message}: the ${x!.dtype} ${formatShape(x!.shape)} tensor holds ` +
            `${x!.valuesNow[bad]} (${count} of ${x!.size} elements not finite, the first at flat index ${bad})`,
        );
      }
    }
    return new Tensor(x!.storage, x!.shape, x!.dtype);
  },
  // The gradient is checked too, as TensorFlow's CheckNumerics gradient does: d check(x) = dx.
  vjp: (dy, _x, _y, message) => [checkNumericsOp([dy], `${message} (its gradient)`)],
  jvp: ([t], _x, _y, message) => [t && checkNumericsOp([t], `${message} (its tangent)`)],
});

/**
 * Checks a tensor for NaN and ±Infinity, as TensorFlow's
 * `tf.debugging.check_numerics`: returns it (as a new tensor sharing its
 * data) when every element is finite, else throws an error that starts with
 * `message`. The gradient flowing back through it is checked the same way.
 * Integer and bool tensors always pass. To check every op at once, see
 * {@link enableCheckNumerics}.
 *
 * @param x - The tensor to check: a tensor, or a number or nested array (converted as by {@link tensor}).
 * @param message - The text the error starts with, saying what was checked.
 *
 * @example
 * ```ts
 * import { checkNumerics, tensor } from 'tapegrad';
 * checkNumerics(tensor([1, 2]), 'inputs'); // [1, 2]
 * let message = '';
 * try {
 *   checkNumerics(tensor([1, 0]).log(), 'log of the inputs');
 * } catch (e) {
 *   message = (e as Error).message;
 * }
 * message; // 'tapegrad.checkNumerics: log of the inputs: the float32 [2] tensor holds -Infinity (1 of 2 elements not finite, the first at flat index 1)'
 * ```
 */
export function checkNumerics(x: TensorLike, message: string): Tensor {
  if (typeof message !== 'string') {
    throw new TypeError(`tapegrad.checkNumerics: message must be a string, got ${describeValue(message)}`);
  }
  return checkNumericsOp([convertToTensor('checkNumerics', 'x', x)], message);
}
