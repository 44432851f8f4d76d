/**
 * Logical ops on bool tensors and float predicates (isNaN, isFinite, isInf):
 * bool results, no gradient.
 */
import { convertToTensor } from '../creation.js';
import type { DType } from '../dtype.js';
import { type UnaryKernel } from '../kernels/index.js';
import { active, allocateHere } from '../kernels/placement.js';
import type { GpuArray } from '../kernels/storage.js';
import { defineOp } from '../op.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { binaryInputs, mapBinary, unaryInput } from './elementwise.js';
import { installMethods, type Method } from './methods.js';

declare module '../op.js' {
  interface OpsWithoutGradient {
    logicalAnd: undefined;
    logicalOr: undefined;
    logicalNot: undefined;
    isNaN: undefined;
    isFinite: undefined;
    isInf: undefined;
  }
}

/** Converts a logical op's operand, which must be bool (as tf.logicalAnd and friends). */
function boolInput(op: string, name: string, x: TensorLike): Tensor<'bool'> {
  const t = convertToTensor(op, name, x, 'bool');
  if (t.dtype !== 'bool') {
    throw new TypeError(
      `tapegrad.${op}: ${name} must be a bool tensor, got ${t.dtype}; compare first, e.g. greater(x, 0), ` +
        "or cast(x, 'bool')",
    );
  }
  return t as Tensor<'bool'>;
}

/** Runs a unary kernel into a new bool tensor of `x`'s shape. */
function predicate(kernel: UnaryKernel, x: Tensor): Tensor<'bool'> {
  const out = allocateHere('bool', x.size);
  active().unary(kernel, x.placed, out);
  return new Tensor(out as Uint8Array | GpuArray, x.shape, 'bool');
}

function logicalBinary(name: 'logicalAnd' | 'logicalOr'): (a: TensorLike, b: TensorLike) => Tensor<'bool'> {
  const op = defineOp(name, { forward: ([a, b]) => mapBinary(name, name, a!, b!, 'bool'), vjp: 'none' });
  const run = (a: TensorLike, b: TensorLike) => {
    const inputs = binaryInputs(name, boolInput(name, 'a', a), boolInput(name, 'b', b), false);
    return op(inputs, undefined) as Tensor<'bool'>;
  };
  return Object.defineProperty(run, 'name', { value: name });
}

function floatPredicate(name: 'isNaN' | 'isFinite' | 'isInf'): (x: TensorLike) => Tensor<'bool'> {
  const op = defineOp(name, { forward: ([x]) => predicate(name, x!), vjp: 'none' });
  const run = (x: TensorLike) => op([unaryInput(name, x, false)], undefined) as Tensor<'bool'>;
  return Object.defineProperty(run, 'name', { value: name });
}

/**
 * `a AND b` element-wise on bool tensors, with broadcasting.
 *
 * @param a - The first operand: a bool tensor, or booleans.
 * @param b - The second operand, broadcast against `a`: a bool tensor, or booleans.
 *
 * @example
 * ```ts
 * logicalAnd(tensor([true, true, false]), tensor([true, false, false])); // [1, 0, 0] (bool)
 * ```
 */
export const logicalAnd = logicalBinary('logicalAnd');

/**
 * `a OR b` element-wise on bool tensors, with broadcasting.
 *
 * @param a - The first operand: a bool tensor, or booleans.
 * @param b - The second operand, broadcast against `a`: a bool tensor, or booleans.
 *
 * @example
 * ```ts
 * logicalOr(tensor([true, true, false]), tensor([true, false, false])); // [1, 1, 0] (bool)
 * ```
 */
export const logicalOr = logicalBinary('logicalOr');

const logicalNotOp = defineOp('logicalNot', { forward: ([x]) => predicate('logicalNot', x!), vjp: 'none' });

/**
 * `NOT x` element-wise on a bool tensor.
 *
 * @param x - The operand: a bool tensor, or booleans.
 *
 * @example
 * ```ts
 * logicalNot(tensor([true, false])); // [0, 1] (bool)
 * ```
 */
export function logicalNot(x: TensorLike): Tensor<'bool'> {
  return logicalNotOp([boolInput('logicalNot', 'x', x)], undefined) as Tensor<'bool'>;
}

/**
 * Whether each element is NaN; a bool tensor (all false for int32).
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 *
 * @example
 * ```ts
 * isNaN(tensor([1, NaN, Infinity])); // [0, 1, 0] (bool)
 * ```
 */
export const isNaN = floatPredicate('isNaN');

/**
 * Whether each element is finite (neither NaN nor ±Infinity); a bool tensor.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 *
 * @example
 * ```ts
 * isFinite(tensor([1, NaN, -Infinity])); // [1, 0, 0] (bool)
 * ```
 */
export const isFinite = floatPredicate('isFinite');

/**
 * Whether each element is +Infinity or -Infinity; a bool tensor.
 *
 * @param x - The input: a tensor, or a number or nested array (converted as by {@link tensor}); any dtype but bool.
 *
 * @example
 * ```ts
 * isInf(tensor([1, NaN, -Infinity])); // [0, 0, 1] (bool)
 * ```
 */
export const isInf = floatPredicate('isInf');

interface LogicMethods {
  /**
   * {@inheritDoc logicalAnd}
   *
   * @param rest - The arguments of {@link logicalAnd} after the tensor, described there.
   */
  logicalAnd: Method<typeof logicalAnd>;
  /**
   * {@inheritDoc logicalOr}
   *
   * @param rest - The arguments of {@link logicalOr} after the tensor, described there.
   */
  logicalOr: Method<typeof logicalOr>;
  /** {@inheritDoc logicalNot} */
  logicalNot: Method<typeof logicalNot>;
  /** {@inheritDoc isNaN} */
  isNaN: Method<typeof isNaN>;
  /** {@inheritDoc isFinite} */
  isFinite: Method<typeof isFinite>;
  /** {@inheritDoc isInf} */
  isInf: Method<typeof isInf>;
}

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merges LogicMethods into Tensor
  interface Tensor<D extends DType = DType> extends LogicMethods {}
}

installMethods<LogicMethods>({ logicalAnd, logicalOr, logicalNot, isNaN, isFinite, isInf });
