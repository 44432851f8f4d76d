/**
 * Shared plumbing for element-wise ops: argument conversion, dtype promotion
 * (recorded as casts, so gradients reach each input in its own dtype), and
 * the kernel calls with broadcasting.
 */
import { convertToTensor } from '../creation.js';
import { isFloat, promoteTypes, type DType } from '../dtype.js';
import { type BinaryKernel, type UnaryKernel } from '../kernels/index.js';
import { active, allocateHere } from '../kernels/placement.js';
import { defineOp, type DifferentiableOpName, type VjpRule } from '../op.js';
import { broadcastShapes, sizeOf } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { cast } from './shape.js';

/**
 * Converts two operands to tensors of one dtype: a number or array takes the
 * other operand's dtype; two tensors of different dtypes meet at the wider one.
 * With `numeric`, bool operands are refused (arithmetic needs numbers).
 */
export function binaryInputs(op: string, a: TensorLike, b: TensorLike, numeric: boolean): [Tensor, Tensor] {
  let x = convertToTensor(op, 'a', a, b instanceof Tensor ? b.dtype : undefined);
  let y = convertToTensor(op, 'b', b, x.dtype);
  if (x.dtype !== y.dtype) {
    const dtype = promoteTypes(x.dtype, y.dtype);
    x = cast(x, dtype);
    y = cast(y, dtype);
  }
  if (numeric && x.dtype === 'bool') {
    throw new TypeError(
      `tapegrad.${op}: arithmetic on bool tensors is not defined; cast them with cast(x, 'int32') or cast(x, 'float32') first`,
    );
  }
  return [x, y];
}

/** Converts a unary op's argument, checking its dtype is one the op supports. */
export function unaryInput(op: string, x: TensorLike, floatOnly: boolean): Tensor {
  const t = convertToTensor(op, 'x', x);
  if (t.dtype === 'bool' || (floatOnly && !isFloat(t.dtype))) {
    throw new TypeError(
      `tapegrad.${op}: expects a ${floatOnly ? 'float32 or float64' : 'numeric'} tensor, got ${t.dtype}; ` +
        `cast it first, e.g. cast(x, 'float32')`,
    );
  }
  return t;
}

/** Runs a unary kernel into a new tensor of `x`'s shape and dtype. */
export function mapUnary(kernel: UnaryKernel, x: Tensor): Tensor {
  const out = allocateHere(x.dtype, x.size);
  active().unary(kernel, x.placed, out);
  return new Tensor(out, x.shape, x.dtype);
}

/** Runs a binary kernel with broadcasting into a new tensor (of `dtype`, default the inputs'). */
export function mapBinary(op: string, kernel: BinaryKernel, a: Tensor, b: Tensor, dtype: DType = a.dtype): Tensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = allocateHere(dtype, sizeOf(shape), op);
  active().binary(kernel, a.placed, a.shape, b.placed, b.shape, out, shape);
  return new Tensor(out, shape, dtype);
}

/**
 * Declares an element-wise unary op whose forward is the kernel of the same
 * name and returns its public function; `floatOnly` refuses int32 (for ops
 * whose result is not an integer). Every element-wise unary op is declared
 * this way: its JVP is derived from its VJP, so it is written once.
 */
export function defineUnaryOp(
  name: UnaryKernel & DifferentiableOpName,
  floatOnly: boolean,
  vjp: VjpRule<undefined>,
): (x: TensorLike) => Tensor {
  const op = defineOp(name, {
    forward: ([x]) => mapUnary(name, x!),
    vjp,
    // JVP: an element-wise op's Jacobian is diagonal, hence symmetric, so J t = J^T t: the VJP applied to t.
    jvp: ([t], xs, y) => vjp(t!, xs, y, undefined, [true]),
  });
  const run = (x: TensorLike) => op([unaryInput(name, x, floatOnly)], undefined);
  return Object.defineProperty(run, 'name', { value: name }); // as a function declaration's: `square.name` is 'square'
}
