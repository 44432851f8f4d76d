/**
 * Taking parts of a tensor: slice and stridedSlice, and their adjoints
 * (pad, and an internal op that puts a gradient back where its elements came
 * from; gather is in gather.ts). Each adjoint's own VJP is the forward op again, so every
 * derivative order is available.
 */
import { convertToTensor } from '../creation.js';
import type { DType } from '../dtype.js';
import { active, allocateHere, fillHere } from '../kernels/placement.js';
import { defineOp, type OpRunner } from '../op.js';
import { formatShape, sizeOf, type Shape } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { installMethods, type Method } from './methods.js';

/** A window per axis: first index, step and length (as active().stridedRead takes it). */
interface WindowAttrs {
  readonly begin: readonly number[];
  readonly step: readonly number[];
  readonly size: readonly number[];
  /** The output's shape: `size`, with stridedSlice's new axes added and shrunk axes removed. */
  readonly shape: readonly number[];
}

/** stridedSliceGrad's window, and the shape of the x it writes into. */
interface StridedSliceGradAttrs extends WindowAttrs {
  readonly xShape: Shape;
}

interface PadAttrs {
  readonly paddings: readonly (readonly [number, number])[];
  readonly constantValue: number;
}

declare module '../op.js' {
  interface OpsWithGradient {
    slice: WindowAttrs;
    pad: PadAttrs;
    stridedSlice: WindowAttrs;
    stridedSliceGrad: StridedSliceGradAttrs;
  }
}

/** Reads the window `attrs` of x into a new tensor. */
function readWindow(x: Tensor, { begin, step, size, shape }: WindowAttrs): Tensor {
  const out = allocateHere(x.dtype, sizeOf(size));
  active().stridedRead(x.placed, x.shape, begin, step, size, out);
  return new Tensor(out, shape, x.dtype);
}

const sliceOp: OpRunner<WindowAttrs> = defineOp('slice', {
  forward: ([x], attrs) => readWindow(x!, attrs),
  // Linear: the tangent is sliced the same way.
  jvp: ([t], _x, _y, attrs) => [t && sliceOp([t], attrs)],
  // The adjoint of taking a block is putting it back among zeros: a pad.
  vjp: (dy, [x], _y, { begin, size }) => [
    padOp([dy], { paddings: begin.map((b, d) => [b, x!.shape[d]! - b - size[d]!] as const), constantValue: 0 }),
  ],
});

const padOp: OpRunner<PadAttrs> = defineOp('pad', {
  forward: ([x], { paddings, constantValue }) => {
    const t = x!;
    const shape = t.shape.map((n, d) => paddings[d]![0] + n + paddings[d]![1]);
    const out = allocateHere(t.dtype, sizeOf(shape), 'pad', true); // stridedWrite keeps the rest: zeros
    if (constantValue !== 0)
      fillHere(out, t.dtype, t.dtype === 'bool' ? Number(Boolean(constantValue)) : constantValue);
    const begin = paddings.map((p) => p[0]);
    active().stridedWrite(
      t.placed,
      out,
      shape,
      begin,
      begin.map(() => 1),
      t.shape,
    );
    return new Tensor(out, shape, t.dtype);
  },
  // The constant does not move: the tangent is padded with zeros.
  jvp: ([t], _x, _y, { paddings }) => [t && padOp([t], { paddings, constantValue: 0 })],
  // Only the block that came from x depends on it; the constant has no gradient.
  vjp: (dy, [x], _y, { paddings }) => [
    sliceOp([dy], { begin: paddings.map((p) => p[0]), step: paddings.map(() => 1), size: x!.shape, shape: x!.shape }),
  ],
});

const stridedSliceOp: OpRunner<WindowAttrs> = defineOp('stridedSlice', {
  forward: ([x], attrs) => readWindow(x!, attrs),
  jvp: ([t], _x, _y, attrs) => [t && stridedSliceOp([t], attrs)],
  vjp: (dy, [x], _y, attrs) => [stridedSliceGradOp([dy], { ...attrs, xShape: x!.shape })],
});

/** stridedSlice's adjoint: dy written into its window of a zero tensor shaped like x. */
const stridedSliceGradOp: OpRunner<StridedSliceGradAttrs> = defineOp('stridedSliceGrad', {
  forward: ([dy], { begin, step, size, xShape }) => {
    const out = allocateHere(dy!.dtype, sizeOf(xShape), undefined, true); // stridedWrite keeps the rest: zeros
    active().stridedWrite(dy!.placed, out, xShape, begin, step, size);
    return new Tensor(out, xShape, dy!.dtype);
  },
  jvp: ([t], _x, _y, attrs) => [t && stridedSliceGradOp([t], attrs)],
  // Its adjoint is the strided read again.
  vjp: (ddx, _inputs, _y, attrs) => [stridedSliceOp([ddx], attrs)],
});

/** Checks a number or list of integers (a number counts as a list of one), naming the op and argument. */
function integers(op: string, name: string, value: unknown): number[] {
  const list = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(list) || !list.every((v) => Number.isInteger(v))) {
    throw new TypeError(
      `tapegrad.${op}: ${name} must be an integer or an array of integers, got ${JSON.stringify(value)}`,
    );
  }
  return list as number[];
}

/**
 * The block of `x` that starts at `begin` and extends `size` along each
 * axis; a size of -1 takes the rest of that axis. As in TensorFlow.js, a
 * number `begin` or `size` applies to the first axis, a shorter `begin` is
 * padded with 0 and a shorter (or missing) `size` with -1.
 *
 * The gradient puts `dy` back in place among zeros (a {@link pad}).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}).
 * @param begin - The start index along each axis (a number: along the first); missing trailing entries are 0.
 * @param size - The extent along each axis, -1 for the rest of it (a number: along the first); missing entries are -1.
 *
 * @example
 * ```ts
 * import { slice, tensor } from 'tapegrad';
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * slice(x, [0, 1], [2, 2]); // [[2, 3], [5, 6]]
 * slice(x, [1, 0], [1, -1]); // [[4, 5, 6]]
 * slice(x, 1); // [[4, 5, 6]]
 * slice(tensor([1, 2, 3, 4]), 1, 2); // [2, 3]
 * ```
 */
export function slice(x: TensorLike, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  const t = convertToTensor('slice', 'x', x);
  const rank = t.rank;
  const b = integers('slice', 'begin', begin);
  const s = size === undefined ? [] : integers('slice', 'size', size);
  if (b.length > rank || s.length > rank) {
    throw new Error(
      `tapegrad.slice: begin ${JSON.stringify(begin)} and size ${JSON.stringify(size)} give more axes than ` +
        `x has (${formatShape(t.shape)}); give at most ${rank} entries`,
    );
  }
  const first = t.shape.map((_, d) => b[d] ?? 0);
  const length = t.shape.map((n, d) => {
    const bd = first[d]!;
    const sd = s[d] ?? -1;
    if (bd < 0 || bd > n) {
      throw new RangeError(
        `tapegrad.slice: begin ${bd} is out of range for axis ${d} of ${formatShape(t.shape)}; use an integer in [0, ${n}]`,
      );
    }
    if (sd < -1 || bd + sd > n) {
      throw new RangeError(
        `tapegrad.slice: size ${sd} at begin ${bd} does not fit axis ${d} of ${formatShape(t.shape)}; ` +
          `use a size in [0, ${n - bd}], or -1 for the rest of the axis`,
      );
    }
    return sd === -1 ? n - bd : sd;
  });
  return sliceOp([t], { begin: first, step: first.map(() => 1), size: length, shape: length });
}

/**
 * Pads `x` with `constantValue`: `paddings[d] = [before, after]` elements
 * are added before and after axis `d`.
 *
 * The gradient is the block of `dy` that came from `x` (a {@link slice});
 * `constantValue` is a number and has none.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}).
 * @param paddings - `[before, after]` for each axis of `x`: how many elements to add at its start and end (non-negative
 *   integers).
 * @param constantValue - The value of the added elements; default 0.
 *
 * @example
 * ```ts
 * import { pad, tensor } from 'tapegrad';
 * pad(tensor([1, 2]), [[1, 2]]); // [0, 1, 2, 0, 0]
 * pad(tensor([[1, 2]]), [[1, 0], [0, 1]], 9); // [[9, 9, 9], [1, 2, 9]]
 * ```
 */
export function pad(x: TensorLike, paddings: readonly (readonly [number, number])[], constantValue = 0): Tensor {
  const t = convertToTensor('pad', 'x', x);
  const ok =
    Array.isArray(paddings) &&
    paddings.length === t.rank &&
    paddings.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= 0));
  if (!ok) {
    throw new Error(
      `tapegrad.pad: paddings ${JSON.stringify(paddings)} do not fit x ${formatShape(t.shape)}; ` +
        `give ${t.rank} pairs [before, after] of non-negative integers, one per axis`,
    );
  }
  if (typeof constantValue !== 'number') {
    throw new TypeError(`tapegrad.pad: constantValue must be a number, got ${JSON.stringify(constantValue)}`);
  }
  return padOp([t], { paddings: paddings.map((p) => [p[0], p[1]] as const), constantValue });
}

/** Bit `i` of `mask`. */
const bit = (mask: number, i: number): boolean => Math.floor(mask / 2 ** i) % 2 === 1;

/**
 * Works out a stridedSlice window from TensorFlow's sparse specification:
 * each entry `i` of begin/end/strides is an ellipsis (covering as many axes
 * as the other entries leave), a new axis of size 1, or one axis of x
 * (shrunk to a single index or sliced); axes after the last entry are taken whole.
 */
function stridedWindow(
  shape: Shape,
  begin: readonly number[],
  end: readonly number[],
  strides: readonly number[],
  masks: { begin: number; end: number; ellipsis: number; newAxis: number; shrink: number },
): WindowAttrs {
  const op = 'tapegrad.stridedSlice';
  const sparse = begin.length;
  const ellipses = begin.map((_, i) => i).filter((i) => bit(masks.ellipsis, i));
  if (ellipses.length > 1) {
    throw new Error(
      `${op}: ellipsisMask ${masks.ellipsis} marks ${ellipses.length} entries; mark at most one ellipsis`,
    );
  }
  const isNewAxis = (i: number) => !bit(masks.ellipsis, i) && bit(masks.newAxis, i);
  const real = begin.filter((_, i) => !bit(masks.ellipsis, i) && !isNewAxis(i)).length;
  if (real > shape.length) {
    throw new Error(
      `${op}: the specification indexes ${real} axes but x ${formatShape(shape)} has ${shape.length}; ` +
        'give at most one entry per axis (new axes and the ellipsis excepted)',
    );
  }
  const windowBegin: number[] = [];
  const step: number[] = [];
  const size: number[] = [];
  const out: number[] = [];
  const whole = (d: number) => {
    windowBegin.push(0);
    step.push(1);
    size.push(shape[d]!);
    out.push(shape[d]!);
  };
  let axis = 0;
  for (let i = 0; i < sparse; i++) {
    if (bit(masks.ellipsis, i)) {
      for (const stop = axis + shape.length - real; axis < stop; axis++) whole(axis);
      continue;
    }
    if (isNewAxis(i)) {
      out.push(1);
      continue;
    }
    const n = shape[axis]!;
    const s = strides[i]!;
    if (s === 0) throw new RangeError(`${op}: strides[${i}] is 0; give a non-zero stride`);
    if (bit(masks.shrink, i)) {
      if (s < 0) {
        throw new RangeError(
          `${op}: strides[${i}] is ${s} on a shrunk axis (shrinkAxisMask); a shrunk axis needs a positive stride`,
        );
      }
      // As in TensorFlow, a shrunk axis takes begin[i] as it is: beginMask and end do not apply.
      const b = begin[i]!;
      const index = b < 0 ? b + n : b;
      if (index < 0 || index >= n) {
        throw new RangeError(
          `${op}: index ${b} is out of range for axis ${axis} of ${formatShape(shape)} (shrinkAxisMask); ` +
            `use an index in [${-n}, ${n - 1}]`,
        );
      }
      windowBegin.push(index);
      step.push(1);
      size.push(1);
    } else {
      // TensorFlow's canonical bounds: negative counts from the end, then clamp
      // to [0, n] going forward or [-1, n - 1] going backward; a mask takes the whole range.
      const [low, high] = s > 0 ? [0, n] : [-1, n - 1];
      const bound = (v: number, masked: boolean, first: boolean): number => {
        if (masked) return s > 0 === first ? low : high;
        const forward = v < 0 ? v + n : v;
        return Math.min(high, Math.max(low, forward));
      };
      const b = bound(begin[i]!, bit(masks.begin, i), true);
      const e = bound(end[i]!, bit(masks.end, i), false);
      const length = Math.max(0, Math.ceil((e - b) / s));
      windowBegin.push(b);
      step.push(s);
      size.push(length);
      out.push(length);
    }
    axis++;
  }
  for (; axis < shape.length; axis++) whole(axis);
  return { begin: windowBegin, step, size, shape: out };
}

/**
 * TensorFlow's strided slice: along each axis, the elements from `begin` up to
 * (not including) `end` by `strides` (all 1 by default). Negative `begin` and
 * `end` count from the end of the axis and are clamped to it; a negative stride
 * walks backward. Bit `i` of a mask applies to entry `i`:
 *
 * - `beginMask` / `endMask`: ignore `begin[i]` / `end[i]` and go from the start / to
 *   the end of the axis (in the direction of the stride);
 * - `ellipsisMask`: entry `i` stands for as many whole axes as the other entries leave (at most one);
 * - `newAxisMask`: entry `i` inserts an axis of size 1 (its begin, end and stride are ignored);
 * - `shrinkAxisMask`: take the single index `begin[i]` and drop the axis.
 *
 * Axes after the last entry are taken whole. The gradient writes `dy` back
 * into its window of a zero tensor shaped like `x`.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}).
 * @param begin - The first index along each entry's axis, negative counting from the end.
 * @param end - The index to stop before along each entry's axis, negative counting from the end.
 * @param strides - The step along each entry's axis, non-zero, negative walking backward; default all 1.
 * @param beginMask - Bit mask: bit `i` set ignores `begin[i]` and starts from the axis's start (its end for a negative
 *   stride); default 0.
 * @param endMask - Bit mask: bit `i` set ignores `end[i]` and runs to the axis's end (its start for a negative stride);
 *   default 0.
 * @param ellipsisMask - Bit mask: bit `i` set makes entry `i` stand for the axes the other entries leave (at most one
 *   bit); default 0.
 * @param newAxisMask - Bit mask: bit `i` set makes entry `i` insert an axis of size 1; default 0.
 * @param shrinkAxisMask - Bit mask: bit `i` set takes the single index `begin[i]` and drops that axis; default 0.
 *
 * @example
 * ```ts
 * import { range, reshape, stridedSlice, tensor } from 'tapegrad';
 * const x = tensor([0, 1, 2, 3, 4, 5, 6]);
 * stridedSlice(x, [1], [6], [2]); // [1, 3, 5]
 * stridedSlice(x, [-1], [0], [-3]); // [6, 3]
 * stridedSlice(x, [0], [0], [-1], 1, 1); // [6, 5, 4, 3, 2, 1, 0]: both masks, the whole axis backward
 * const m = reshape(range(0, 6), [2, 3]); // [[0, 1, 2], [3, 4, 5]]
 * stridedSlice(m, [0, 1], [2, 3], [1, 1], 0, 0, 0, 0, 1); // [1, 2]: row 0, shrunk
 * stridedSlice(m, [0, 2], [0, 3], [1, 1], 0, 0, 1); // [[2], [5]]: the ellipsis covers the rows
 * stridedSlice(m, [0, 0], [0, 0], [1, 1], 0, 0, 0, 1, 2); // [[0, 1, 2]]: a new axis, then row 0 (shrunk)
 * ```
 */
export function stridedSlice(
  x: TensorLike,
  begin: readonly number[],
  end: readonly number[],
  strides?: readonly number[],
  beginMask = 0,
  endMask = 0,
  ellipsisMask = 0,
  newAxisMask = 0,
  shrinkAxisMask = 0,
): Tensor {
  const t = convertToTensor('stridedSlice', 'x', x);
  const b = integers('stridedSlice', 'begin', begin);
  const e = integers('stridedSlice', 'end', end);
  const s = strides === undefined ? b.map(() => 1) : integers('stridedSlice', 'strides', strides);
  if (e.length !== b.length || s.length !== b.length) {
    throw new Error(
      `tapegrad.stridedSlice: begin, end and strides have ${b.length}, ${e.length} and ${s.length} entries; ` +
        'give the same number of each',
    );
  }
  const masks = {
    begin: beginMask,
    end: endMask,
    ellipsis: ellipsisMask,
    newAxis: newAxisMask,
    shrink: shrinkAxisMask,
  };
  for (const [name, mask] of Object.entries(masks)) {
    if (!Number.isInteger(mask) || mask < 0) {
      throw new TypeError(`tapegrad.stridedSlice: ${name}Mask must be a non-negative integer, got ${String(mask)}`);
    }
  }
  return stridedSliceOp([t], stridedWindow(t.shape, b, e, s, masks));
}

interface SlicingMethods {
  /**
   * {@inheritDoc slice}
   *
   * @param rest - The arguments of {@link slice} after the tensor, described there.
   */
  slice: Method<typeof slice>;
  /**
   * {@inheritDoc stridedSlice}
   *
   * @param rest - The arguments of {@link stridedSlice} after the tensor, described there.
   */
  stridedSlice: Method<typeof stridedSlice>;
  /**
   * {@inheritDoc pad}
   *
   * @param rest - The arguments of {@link pad} after the tensor, described there.
   */
  pad: Method<typeof pad>;
}

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merges SlicingMethods into Tensor
  interface Tensor<D extends DType = DType> extends SlicingMethods {}
}

installMethods<SlicingMethods>({ slice, stridedSlice, pad });
