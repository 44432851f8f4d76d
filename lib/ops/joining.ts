/**
 * Joining and splitting: concat, stack, unstack, split, tile. Splitting is
 * done with slices, so its gradient is slice's; concat's gradient splits dy
 * back into one slice per input.
 */
import { convertToTensor, zeros } from '../creation.js';
import { promoteTypes, type DType } from '../dtype.js';
import { active, allocateHere } from '../kernels/placement.js';
import { defineOp, type OpRunner } from '../op.js';
import { formatShape, normalizeAxes, sizeOf } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { installMethods, type Method } from './methods.js';
import { sum } from './reduce.js';
import { cast, expandDims, identity, reshape, squeeze } from './shape.js';
import { slice } from './slicing.js';

declare module '../op.js' {
  interface OpsWithGradient {
    concat: number;
    tile: readonly number[];
  }
}

const concatOp: OpRunner<number> = defineOp('concat', {
  forward: (xs, axis) => {
    const first = xs[0]!;
    const shape = first.shape.slice();
    shape[axis] = xs.reduce((total, x) => total + x.shape[axis]!, 0);
    const out = allocateHere(first.dtype, sizeOf(shape), 'concat');
    active().concat(
      xs.map((x) => x.placed),
      xs.map((x) => sizeOf(x.shape.slice(axis))),
      sizeOf(shape.slice(0, axis)),
      out,
    );
    return new Tensor(out, shape, first.dtype);
  },
  // Linear: the tangents, zeros where an input has none, concatenated the same way (one contribution for all inputs).
  jvp: (ts, xs, _y, axis) => [
    concatOp(
      xs.map((x, i) => ts[i] ?? zeros(x.shape, x.dtype)),
      axis,
    ),
  ],
  // Each input's gradient is its own block of dy along the axis.
  vjp: (dy, xs, _y, axis, needs) => {
    let offset = 0;
    return xs.map((x, i) => {
      const begin = dy.shape.map((_, d) => (d === axis ? offset : 0));
      offset += x.shape[axis]!;
      return needs[i] ? slice(dy, begin, x.shape) : undefined;
    });
  },
});

const tileOp: OpRunner<readonly number[]> = defineOp('tile', {
  forward: ([x], reps) => {
    const shape = x!.shape.map((n, d) => n * reps[d]!);
    const out = allocateHere(x!.dtype, sizeOf(shape), 'tile');
    active().tile(x!.placed, x!.shape, reps, out);
    return new Tensor(out, shape, x!.dtype);
  },
  jvp: ([t], _x, _y, reps) => [t && tileOp([t], reps)],
  // Every copy contributes: view dy as [reps[0], n0, reps[1], n1, ...] and sum the repetition axes.
  vjp: (dy, [x], _y, reps) => {
    const view = x!.shape.flatMap((n, d) => [reps[d]!, n]);
    return [
      reshape(
        sum(
          reshape(dy, view),
          reps.map((_, d) => 2 * d),
        ),
        x!.shape,
      ),
    ];
  },
});

/** Converts a list of tensors for `op`, promoting them to their widest dtype (numbers and arrays take the first tensor's). */
function tensorList(op: string, tensors: readonly TensorLike[]): Tensor[] {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new Error(`tapegrad.${op}: expected a non-empty array of tensors, got ${JSON.stringify(tensors)}`);
  }
  const hint = tensors.find((t): t is Tensor => t instanceof Tensor)?.dtype;
  const list = tensors.map((t, i) => convertToTensor(op, `tensors[${i}]`, t, hint));
  const dtype = list.reduce((d, t) => promoteTypes(d, t.dtype), list[0]!.dtype);
  return list.map((t) => cast(t, dtype));
}

/** Checks `axis` is an integer in `[-rank, rank)` and makes it non-negative. */
function axisOf(op: string, axis: number, rank: number, what: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new RangeError(
      `tapegrad.${op}: axis ${String(axis)} is out of range for ${what}; use an integer in [${-rank}, ${rank - 1}]`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Joins tensors along `axis`. Every tensor has the same rank (at least 1)
 * and the same size on every other axis; tensors of different dtypes are
 * promoted to the widest.
 *
 * @param tensors - The tensors to join: a non-empty array of tensors (or numbers or nested arrays), of one rank >= 1.
 * @param axis - The axis to join along, negative counting from the end; default 0.
 *
 * @example
 * ```ts
 * import { concat, tensor } from 'tapegrad';
 * concat([tensor([1, 2]), tensor([3])]); // [1, 2, 3]
 * concat([tensor([[1], [2]]), tensor([[3, 4], [5, 6]])], 1); // [[1, 3, 4], [2, 5, 6]]
 * concat([tensor([[1, 2]]), tensor([[3, 4]])], -2); // [[1, 2], [3, 4]]
 * ```
 */
export function concat(tensors: readonly TensorLike[], axis = 0): Tensor {
  const xs = tensorList('concat', tensors);
  const first = xs[0]!;
  if (first.rank === 0) {
    throw new Error('tapegrad.concat: cannot concatenate scalars; use stack, or reshape them to [1] first');
  }
  const a = axisOf('concat', axis, first.rank, `rank ${first.rank} tensors`);
  xs.forEach((x, i) => {
    if (x.rank !== first.rank || x.shape.some((n, d) => d !== a && n !== first.shape[d])) {
      throw new Error(
        `tapegrad.concat: tensors[${i}] has shape ${formatShape(x.shape)} but tensors[0] has ${formatShape(first.shape)}; ` +
          `all shapes must match except along axis ${a}`,
      );
    }
  });
  // One tensor: a copy, as TensorFlow.js's clone.
  return xs.length === 1 ? identity(first) : concatOp(xs, a);
}

/**
 * Stacks tensors of one shape along a new axis `axis` (in `[-(rank + 1), rank]`).
 *
 * @param tensors - The tensors to stack: a non-empty array of tensors (or numbers or nested arrays), of one shape.
 * @param axis - Where the new axis goes, in `[-(rank + 1), rank]`; default 0.
 *
 * @example
 * ```ts
 * import { stack, tensor } from 'tapegrad';
 * stack([tensor([1, 2]), tensor([3, 4])]); // [[1, 2], [3, 4]]
 * stack([tensor([1, 2]), tensor([3, 4])], 1); // [[1, 3], [2, 4]]
 * ```
 */
export function stack(tensors: readonly TensorLike[], axis = 0): Tensor {
  const xs = tensorList('stack', tensors);
  const first = xs[0]!;
  xs.forEach((x, i) => {
    if (x.rank !== first.rank || x.shape.some((n, d) => n !== first.shape[d])) {
      throw new Error(
        `tapegrad.stack: tensors[${i}] has shape ${formatShape(x.shape)} but tensors[0] has ${formatShape(first.shape)}; ` +
          'stacked tensors must all have the same shape',
      );
    }
  });
  const a = axisOf('stack', axis, first.rank + 1, `stacking rank ${first.rank} tensors`);
  const expanded = xs.map((x) => expandDims(x, a));
  return expanded.length === 1 ? expanded[0]! : concatOp(expanded, a);
}

/**
 * Splits `x` along `axis` into its `x.shape[axis]` slices, each without that axis.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); rank >= 1.
 * @param axis - The axis to split along, negative counting from the end; default 0.
 *
 * @example
 * ```ts
 * import { tensor, unstack } from 'tapegrad';
 * unstack(tensor([[1, 2], [3, 4]])); // [[1, 2], [3, 4]]
 * unstack(tensor([[1, 2], [3, 4]]), 1); // [[1, 3], [2, 4]]
 * ```
 */
export function unstack(x: TensorLike, axis = 0): Tensor[] {
  const t = convertToTensor('unstack', 'x', x);
  if (t.rank === 0) throw new Error('tapegrad.unstack: x is a scalar; unstack needs a tensor of rank 1 or more');
  const [a] = normalizeAxes('unstack', axis, t.rank);
  return split(t, new Array<number>(t.shape[a!]!).fill(1), a).map((part) => squeeze(part, [a!]));
}

/**
 * Splits `x` along `axis`: into `numOrSizeSplits` equal parts when it is a
 * number (which must divide the axis), or into parts of the given sizes (one
 * of which may be -1, for what the others leave).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); rank >= 1.
 * @param numOrSizeSplits - The number of equal parts (dividing the axis's size), or the size of each part (adding up to
 *   it; one may be -1).
 * @param axis - The axis to split along, negative counting from the end; default 0.
 *
 * @example
 * ```ts
 * import { split, tensor } from 'tapegrad';
 * const x = tensor([[1, 2, 3, 4], [5, 6, 7, 8]]);
 * split(x, 2, 1); // [[[1, 2], [5, 6]], [[3, 4], [7, 8]]]
 * split(x, [1, -1], 1); // [[[1], [5]], [[2, 3, 4], [6, 7, 8]]]
 * split(x, [1, 1]).map((p) => p.shape); // [[1, 4], [1, 4]]
 * ```
 */
export function split(x: TensorLike, numOrSizeSplits: number | readonly number[], axis = 0): Tensor[] {
  const t = convertToTensor('split', 'x', x);
  if (t.rank === 0) throw new Error('tapegrad.split: x is a scalar; split needs a tensor of rank 1 or more');
  const [a] = normalizeAxes('split', axis, t.rank);
  const n = t.shape[a!]!;
  let sizes: number[];
  if (typeof numOrSizeSplits === 'number') {
    if (!Number.isInteger(numOrSizeSplits) || numOrSizeSplits < 1 || n % numOrSizeSplits !== 0) {
      throw new Error(
        `tapegrad.split: cannot split axis ${a} of ${formatShape(t.shape)} (size ${n}) into ${numOrSizeSplits} ` +
          'equal parts; give a positive number of parts that divides the size, or a list of sizes',
      );
    }
    sizes = new Array<number>(numOrSizeSplits).fill(n / numOrSizeSplits);
  } else {
    const list = numOrSizeSplits;
    const unknown = Array.isArray(list) ? list.indexOf(-1) : -1;
    const known = Array.isArray(list) ? list.reduce((s, v) => s + (v === -1 ? 0 : v), 0) : NaN;
    const ok =
      Array.isArray(list) &&
      list.every((v) => Number.isInteger(v) && v >= -1) &&
      unknown === list.lastIndexOf(-1) &&
      (unknown >= 0 ? known <= n : known === n);
    if (!ok) {
      throw new Error(
        `tapegrad.split: sizes ${JSON.stringify(list)} do not split axis ${a} of ${formatShape(t.shape)} (size ${n}); ` +
          'give non-negative sizes that add up to it, at most one of them -1',
      );
    }
    sizes = list.map((v) => (v === -1 ? n - known : v));
  }
  let offset = 0;
  return sizes.map((size) => {
    const begin = t.shape.map((_, d) => (d === a ? offset : 0));
    offset += size;
    return slice(
      t,
      begin,
      t.shape.map((m, d) => (d === a ? size : m)),
    );
  });
}

/**
 * Repeats `x` `reps[d]` times along each axis `d`.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}).
 * @param reps - How many times to repeat `x` along each axis: one non-negative integer per axis.
 *
 * @example
 * ```ts
 * import { tensor, tile } from 'tapegrad';
 * tile(tensor([1, 2]), [3]); // [1, 2, 1, 2, 1, 2]
 * tile(tensor([[1, 2]]), [2, 2]); // [[1, 2, 1, 2], [1, 2, 1, 2]]
 * ```
 */
export function tile(x: TensorLike, reps: readonly number[]): Tensor {
  const t = convertToTensor('tile', 'x', x);
  if (!Array.isArray(reps) || reps.length !== t.rank || !reps.every((r) => Number.isInteger(r) && r >= 0)) {
    throw new Error(
      `tapegrad.tile: reps ${JSON.stringify(reps)} do not fit x ${formatShape(t.shape)}; ` +
        `give ${t.rank} non-negative integers, one per axis`,
    );
  }
  return tileOp([t], reps.slice());
}

interface JoiningMethods {
  /**
   * {@link concat} of this tensor and `x` (one tensor or several), in that order, along `axis`.
   *
   * @param x - The tensor or tensors to append after this one.
   * @param axis - The axis to join along, negative counting from the end; default 0.
   *
   * @example
   * ```ts
   * tensor([1, 2]).concat([tensor([3]), tensor([4, 5])]); // [1, 2, 3, 4, 5]
   * ```
   */
  concat(x: Tensor | readonly Tensor[], axis?: number): Tensor;
  /**
   * {@link stack} of this tensor and `x` (one tensor or several), in that order, along a new axis `axis`.
   *
   * @param x - The tensor or tensors to stack after this one, each of this tensor's shape.
   * @param axis - Where the new axis goes, in `[-(rank + 1), rank]`; default 0.
   *
   * @example
   * ```ts
   * tensor([1, 2]).stack(tensor([3, 4])); // [[1, 2], [3, 4]]
   * ```
   */
  stack(x: Tensor | readonly Tensor[], axis?: number): Tensor;
  /**
   * {@inheritDoc unstack}
   *
   * @param rest - The arguments of {@link unstack} after the tensor, described there.
   */
  unstack: Method<typeof unstack>;
  /**
   * {@inheritDoc split}
   *
   * @param rest - The arguments of {@link split} after the tensor, described there.
   */
  split: Method<typeof split>;
  /**
   * {@inheritDoc tile}
   *
   * @param rest - The arguments of {@link tile} after the tensor, described there.
   */
  tile: Method<typeof tile>;
}

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merges JoiningMethods into Tensor
  interface Tensor<D extends DType = DType> extends JoiningMethods {}
}

installMethods<JoiningMethods>({
  concat: (x, others, axis) => concat([x, ...(others instanceof Tensor ? [others] : others)], axis),
  stack: (x, others, axis) => stack([x, ...(others instanceof Tensor ? [others] : others)], axis),
  unstack,
  split,
  tile,
});
