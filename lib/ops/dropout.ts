/** Dropout, as TensorFlow.js `dropout`. */
import { describeValue } from '../format.js';
import { convertToTensor, randomUniform } from '../creation.js';
import { isFloat } from '../dtype.js';
import { defineOp } from '../op.js';
import { isSeed } from '../random.js';
import { broadcastsTo, describeShape, formatShape } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { div, mul } from './arithmetic.js';
import { greaterEqual } from './compare.js';
import { mapBinary } from './elementwise.js';
import { cast } from './shape.js';

declare module '../op.js' {
  interface OpsWithGradient {
    dropout: undefined;
  }
}

// y = x * mask, where mask (0 or 1 / (1 - rate), broadcast to x) was drawn
// once and is a constant of the op: dx = dy * mask, and the mask gets none.
const dropoutOp = defineOp('dropout', {
  forward: ([x, mask]) => mapBinary('dropout', 'mul', x!, mask!),
  vjp: (dy, [, mask]) => [mul(dy, mask!), undefined],
});

/** A 32-bit FNV-1a hash, so a string seed picks a numeric one. */
function hashSeed(seed: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Sets each element of x to zero with probability `rate` and scales the rest
 * by `1 / (1 - rate)`, so the expected value is unchanged. `noiseShape`
 * (default x's shape) is the shape of the random keep/drop draws, broadcast
 * to x: `[batch, 1, 1, channels]` drops whole feature maps; a `null` entry
 * (with as many entries as x has axes) takes x's size there. The same
 * `seed` (an integer in [0, 2^32), or a string) gives the same mask; without
 * one, the mask follows the global seed when `setSeed` has set one. The draws
 * are tapegrad's own generator, so they differ from tfjs's for the same seed.
 * Always active: there is no training flag. The gradient is the same mask
 * times dy.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); float32 or float64.
 * @param rate - The probability of dropping each element, in [0, 1).
 * @param noiseShape - The shape of the keep/drop draws, broadcast to `x`'s (a `null` entry takes `x`'s size); default
 *   `x`'s shape.
 * @param seed - An integer in [0, 2^32), or a string, that fixes the mask; without it the mask follows the global seed.
 *
 * @example
 * ```ts
 * import { dropout, ones } from 'tapegrad';
 * const y = dropout(ones([2, 4]), 0.5, undefined, 42);
 * y.shape; // [2, 4]
 * y.equal(0).sum().item() + y.equal(2).sum().item(); // 8: each element is dropped (0) or scaled by 1 / 0.5
 * const columns = dropout(ones([3, 4]), 0.5, [1, 4], 7).sum(0); // each column kept or dropped whole
 * columns.mul(columns.sub(6)).sum().item(); // 0: every column sums to 0 or 3 * 2
 * ```
 */
export function dropout(
  x: TensorLike,
  rate: number,
  noiseShape?: readonly (number | null)[],
  seed?: number | string,
): Tensor {
  const op = 'dropout';
  const t = convertToTensor(op, 'x', x);
  if (!isFloat(t.dtype)) {
    throw new TypeError(
      `tapegrad.${op}: x must be float32 or float64 (it is scaled), got ${t.dtype}; cast it first, e.g. cast(x, 'float32')`,
    );
  }
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
    throw new RangeError(`tapegrad.${op}: rate must be a number in [0, 1), got ${String(rate)}`);
  }
  let shape: number[] = [...t.shape];
  if (noiseShape !== undefined && noiseShape !== null) {
    const given = Array.isArray(noiseShape) ? noiseShape : [];
    shape = given.map((d, i) => (d === null && given.length === t.rank ? t.shape[i]! : d) as number);
    if (
      !Array.isArray(noiseShape) ||
      !shape.every((d) => Number.isInteger(d) && d >= 0) ||
      !broadcastsTo(shape, t.shape)
    ) {
      throw new Error(
        `tapegrad.${op}: noiseShape ${describeShape(noiseShape)} must broadcast to the shape of x ` +
          `${formatShape(t.shape)}; give each axis x's size or 1`,
      );
    }
  }
  if (seed !== undefined && typeof seed !== 'string' && !isSeed(seed)) {
    if (typeof seed !== 'number') {
      throw new TypeError(`tapegrad.${op}: seed must be a number or a string, got ${describeValue(seed)}`);
    }
    throw new RangeError(
      `tapegrad.${op}: seed must be an integer in [0, 2^32) or a string, got ${seed}; ` +
        'pick a whole number from 0 to 4294967295',
    );
  }
  // Keep where u >= rate (probability 1 - rate); kept elements are scaled by 1 / (1 - rate).
  const u = randomUniform(shape, 0, 1, t.dtype, typeof seed === 'string' ? hashSeed(seed) : seed);
  const mask = div(cast(greaterEqual(u, rate), t.dtype), 1 - rate);
  return dropoutOp([t, mask], undefined);
}
