/// <reference types="@webgpu/types" />
/**
 * WGSL element-wise kernels: unary maps, broadcasting binary maps, select and cast, with the CPU kernels' arguments
 * (lib/kernels/elementwise.ts) and their results: the same NaN, signed-zero, tie and integer-overflow rules, and the
 * same conversion when the output's dtype differs from the computation's (a typed-array store: float to int32
 * truncates and wraps modulo 2^32, NaN and infinities become 0).
 *
 * One shader per op, dtypes, collapsed rank, broadcast pattern and aliasing: each input is read through strides that
 * are 0 along its broadcast axes (as `broadcastOffsets` in ../layout.ts), with the index arithmetic unrolled for the
 * rank, and none at all where every input is read contiguously or as a scalar (the commonest case).
 *
 * The expressions below call the WGSL math library of wgsl-math.ts (bit-level NaN and infinity tests, conversions,
 * and transcendentals written out to within a few ulps of the CPU's results); each shader includes the functions its
 * code names.
 */
import type { Shape } from '../../shape.js';
import type { BinaryKernel, Kernels, UnaryKernel } from '../index.js';
import type { OnArrays } from '../storage.js';
import type { GpuArray, GpuDType } from './buffers.js';
import { FLAT_INDEX, WGSL_TYPE, WORKGROUP, type GpuContext } from './context.js';
import { helpersFor } from './wgsl-math.js';

/** The domain a kernel computes in: f32, i32 (int32, and bool read as 0/1), or a WGSL bool (predicates). */
type Domain = 'f32' | 'i32' | 'bool';

/**
 * A WGSL expression in `x` (and `y`) for each domain the op has: `f` on f32, `i` on i32 (without it, int32 inputs
 * are converted to f32, as the CPU computes them in doubles); `bool` when the expression is a WGSL bool (written as
 * 1 or 0, as the CPU's predicates and comparisons).
 */
interface OpCode {
  readonly f: string;
  readonly i?: string;
  readonly bool?: true;
}

/** The WGSL of each unary kernel (see OpCode). */
export const WGSL_UNARY: Record<UnaryKernel, OpCode> = {
  neg: { f: '-x', i: '-x' },
  square: { f: 'x * x', i: 'x * x' },
  sqrt: { f: 'select(sqrt(x), nan_f32(), x < 0.0)' },
  exp: { f: 'exp_f32(x)' },
  log: { f: 'log_f32(x)' },
  sigmoid: { f: 'sigmoid_f32(x)' },
  tanh: { f: 'tanh_f32(x)' },
  relu: { f: 'select(0.0, x, x > 0.0 && !is_nan(x))', i: 'max(x, 0)' },
  step: { f: 'select(0.0, 1.0, x > 0.0 && !is_nan(x))', i: 'select(0, 1, x > 0)' },
  abs: { f: 'bitcast<f32>(bitcast<u32>(x) & 0x7fffffffu)', i: 'abs(x)' },
  sign: { f: 'sign_f32(x)', i: 'sign(x)' },
  reciprocal: { f: '1.0 / x' },
  identity: { f: 'x', i: 'x' },
  expm1: { f: 'expm1_f32(x)' },
  log1p: { f: 'log1p_f32(x)' },
  rsqrt: { f: 'select(1.0 / sqrt(x), nan_f32(), x < 0.0)' },
  sin: { f: 'sin_f32(x)' },
  cos: { f: 'cos_f32(x)' },
  tan: { f: 'tan_f32(x)' },
  asin: { f: 'asin_f32(x)' },
  acos: { f: 'acos_f32(x)' },
  atan: { f: 'atan_f32(x)' },
  sinh: { f: 'sinh_f32(x)' },
  cosh: { f: 'cosh_f32(x)' },
  asinh: { f: 'asinh_f32(x)' },
  acosh: { f: 'acosh_f32(x)' },
  atanh: { f: 'atanh_f32(x)' },
  softplus: { f: 'select(log1p_f32(exp_f32(x)), x + log1p_f32(exp_f32(-x)), x > 0.0)' },
  logSigmoid: { f: 'select(-log1p_f32(exp_f32(-x)), x - log1p_f32(exp_f32(x)), x < 0.0)' },
  relu6: { f: 'relu6_f32(x)', i: 'clamp(x, 0, 6)' },
  elu: { f: 'select(expm1_f32(x), x, x > 0.0)' },
  selu: { f: 'select(SELU_SCALE_ALPHA * expm1_f32(x), SELU_SCALE * x, x > 0.0)' },
  erf: { f: 'erf_f32(x)' },
  floor: { f: 'floor(x)', i: 'x' },
  ceil: { f: 'ceil(x)', i: 'x' },
  round: { f: 'round(x)', i: 'x' }, // WGSL's round takes a tie to the even neighbour, as the CPU's
  isNaN: { f: 'is_nan(x)', i: 'false', bool: true },
  isFinite: { f: 'is_finite(x)', i: 'true', bool: true },
  isInf: { f: 'is_inf(x)', i: 'false', bool: true },
  // JavaScript's `x ? 0 : 1`: NaN is falsy too.
  logicalNot: { f: '(bitcast<u32>(x) & 0x7fffffffu) == 0u || is_nan(x)', i: 'x == 0', bool: true },
};

/** The WGSL of each binary kernel (see OpCode). */
export const WGSL_BINARY: Record<BinaryKernel, OpCode> = {
  add: { f: 'x + y', i: 'x + y' },
  sub: { f: 'x - y', i: 'x - y' },
  mul: { f: 'x * y', i: 'x * y' },
  div: { f: 'x / y', i: 'div_i32(x, y)' },
  floorDiv: { f: 'floor_div_f32(x, y)', i: 'floor_div_i32(x, y)' },
  pow: { f: 'pow_f32(x, y)', i: 'pow_i32(x, y)' },
  maximum: { f: 'select(y, x, is_nan(x) || (!is_nan(y) && x >= y))', i: 'max(x, y)' },
  minimum: { f: 'select(y, x, is_nan(x) || (!is_nan(y) && x <= y))', i: 'min(x, y)' },
  equal: { f: 'x == y && !is_nan(x) && !is_nan(y)', i: 'x == y', bool: true },
  notEqual: { f: 'x != y || is_nan(x) || is_nan(y)', i: 'x != y', bool: true },
  less: { f: 'x < y && !is_nan(x) && !is_nan(y)', i: 'x < y', bool: true },
  lessEqual: { f: 'x <= y && !is_nan(x) && !is_nan(y)', i: 'x <= y', bool: true },
  greater: { f: 'x > y && !is_nan(x) && !is_nan(y)', i: 'x > y', bool: true },
  greaterEqual: { f: 'x >= y && !is_nan(x) && !is_nan(y)', i: 'x >= y', bool: true },
  squaredDifference: { f: '(x - y) * (x - y)', i: '(x - y) * (x - y)' },
  atan2: { f: 'atan2_f32(x, y)' },
  mod: { f: 'mod_f32(x, y)', i: 'mod_i32(x, y)' },
  leakyRelu: { f: 'select(x * y, x, x > 0.0)', i: 'select(x * y, x, x > 0)' },
  // x * 0 spelled out (signed zero, NaN for infinities): a compiler may fold the product to +0.
  reluGrad: { f: 'select(select(copysign(0.0, x), nan_f32(), !is_finite(x)), x, y > 0.0)', i: 'select(0, x, y > 0)' },
  // (1 - y)(1 + y) rather than 1 - y²: no cancellation next to |y| = 1, where the CPU's doubles have none either;
  // x first, so that y² cannot overflow where the CPU's doubles do not (x = 0, y = 1e30 gives 0, not NaN).
  tanhGrad: { f: '(x * (1.0 - y)) * (1.0 + y)', i: 'x * (1 - y * y)' },
  sigmoidGrad: { f: 'x * y * (1.0 - y)', i: 'x * y * (1 - y)' },
  logicalAnd: { f: '!is_falsy(x) && !is_falsy(y)', i: 'x != 0 && y != 0', bool: true },
  logicalOr: { f: '!is_falsy(x) || !is_falsy(y)', i: 'x != 0 || y != 0', bool: true },
};

/**
 * The output shape with each operand's strides (0 along broadcast axes), size-1 axes dropped and adjacent axes
 * merged where every operand steps through them as through one: equal shapes become one axis, a scalar operand one
 * axis with stride 0, and `[3, 4] + [4]` stays two axes, with strides [4, 1] and [0, 1].
 */
export function collapseShapes(shapes: readonly Shape[], outShape: Shape): { shape: number[]; strides: number[][] } {
  const full = shapes.map((shape) => broadcastStrides(shape, outShape));
  const shape: number[] = [];
  const strides: number[][] = shapes.map(() => []);
  for (let d = 0; d < outShape.length; d++) {
    const size = outShape[d]!;
    if (size === 1) continue;
    const last = shape.length - 1;
    // Merge axis d into the previous kept axis when stepping the previous one equals stepping d by `size`.
    if (last >= 0 && full.every((s, o) => strides[o]![last] === s[d]! * size)) {
      shape[last] = shape[last]! * size;
      full.forEach((s, o) => (strides[o]![last] = s[d]!));
    } else {
      shape.push(size);
      full.forEach((s, o) => strides[o]!.push(s[d]!));
    }
  }
  return { shape, strides };
}

/** `collapseShapes` for two operands (the binary kernels' case). */
export function collapseBroadcast(
  aShape: Shape,
  bShape: Shape,
  outShape: Shape,
): { shape: number[]; aStrides: number[]; bStrides: number[] } {
  const { shape, strides } = collapseShapes([aShape, bShape], outShape);
  return { shape, aStrides: strides[0]!, bStrides: strides[1]! };
}

/** Row-major strides of `shape` read as `outShape` (right-aligned), 0 along missing and size-1 axes. */
function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const lead = outShape.length - shape.length;
  const strides = new Array<number>(outShape.length).fill(0);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1) strides[d + lead] = stride;
    stride *= shape[d]!;
  }
  return strides;
}

/** WGSL functions a shader needs beyond the helpers, and its output element as an expression in the operands. */
interface Parts {
  readonly functions: string;
  readonly body: (values: readonly string[]) => string;
}

/** The conversion of a `from` value (WGSL expression `v`) into an element of `to`, as a typed-array store. */
function store(v: string, from: Domain, to: GpuDType): string {
  if (from === 'bool')
    return to === 'float32' ? `select(0.0, 1.0, ${v})` : to === 'int32' ? `select(0, 1, ${v})` : `select(0u, 1u, ${v})`;
  if (from === 'f32')
    return to === 'float32' ? v : to === 'int32' ? `to_i32(${v})` : `(bitcast<u32>(to_i32(${v})) & 0xffu)`;
  return to === 'float32' ? `to_f32(${v})` : to === 'int32' ? v : `(bitcast<u32>(${v}) & 0xffu)`;
}

/** An element of a `dtype` array (WGSL expression `v`) in `domain` (f32 or i32). */
function load(v: string, dtype: GpuDType, domain: 'f32' | 'i32'): string {
  if (dtype === 'float32') return v; // float inputs always compute in f32
  if (dtype === 'int32') return domain === 'i32' ? v : `to_f32(${v})`;
  return domain === 'i32' ? `i32(${v})` : `f32(${v})`;
}

/**
 * Dispatches one element-wise shader: `out[i] = body(operand values)` with each operand read through the collapsed
 * broadcast strides. Operands that share a buffer are bound once; one that shares `out`'s buffer (in-place use) is
 * read from the read_write `out` binding, since a writable binding may not alias another. dims = [n,
 * shape[rank], strides[operand][rank]].
 */
function run(
  ctx: GpuContext,
  name: string,
  operands: readonly GpuArray[],
  out: GpuArray,
  layout: { shape: number[]; strides: number[][] },
  { functions, body }: Parts,
): void {
  const n = out.length;
  if (n === 0) return;
  // Bindings: out first in the key's terms, then each distinct input buffer.
  const inputs: GpuArray[] = [];
  const source = operands.map((array) => {
    if (array.buffer === out.buffer) {
      if (array.dtype !== out.dtype) throw new TypeError(`tapegrad.webgpu.${name}: in place with another dtype`);
      return 'out';
    }
    let b = inputs.findIndex((x) => x.buffer === array.buffer);
    if (b >= 0 && inputs[b]!.dtype !== array.dtype)
      throw new TypeError(`tapegrad.webgpu.${name}: one buffer, two dtypes`);
    if (b < 0) b = inputs.push(array) - 1;
    return `in${b}`;
  });
  const rank = layout.shape.length;
  // Which strides are 0 (broadcast) and, for one axis, 1: known when the shader is built, so they cost nothing.
  const pattern = layout.strides.map((s) => s.map((v) => (v === 0 ? '0' : rank === 1 ? '1' : 's')).join('')).join('.');
  const key = `elementwise.${name}.${operands.map((a) => a.dtype).join(',')}>${out.dtype}.${source.join(',')}.r${rank}.${pattern}`;
  const shader = (): string => {
    const lines: string[] = [];
    const index: string[] = operands.map(() => '0u');
    if (rank === 1) {
      layout.strides.forEach((s, o) => (index[o] = s[0] === 0 ? '0u' : 'i'));
    } else if (rank > 1) {
      lines.push('var rest = i;', ...operands.map((_, o) => `var i${o} = 0u;`));
      // Axes from the innermost out: c is i's index along axis d; the outermost axis needs no division.
      for (let d = rank - 1; d >= 0; d--) {
        const c = d === 0 ? 'rest' : `rest % dims[${1 + d}]`;
        const terms = layout.strides
          .map((s, o) => (s[d] === 0 ? '' : `i${o} += c * dims[${1 + rank * (o + 1) + d}];`))
          .join(' ');
        lines.push(`{ let c = ${c};${d === 0 ? '' : ` rest = rest / dims[${1 + d}];`} ${terms} }`);
      }
      operands.forEach((_, o) => (index[o] = `i${o}`));
    }
    const values = operands.map((_, o) => `${source[o]}[${index[o]}]`);
    const main = `${lines.join('\n  ')}\n  out[i] = ${body(values)};`;
    const code = `${functions}\n\n@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  ${FLAT_INDEX}
  if (i >= dims[0]) { return; }
  ${main}
}`;
    const bindings = inputs.map(
      (array, b) => `@group(0) @binding(${b}) var<storage, read> in${b}: array<${WGSL_TYPE[array.dtype]}>;`,
    );
    return /* wgsl */ `
${bindings.join('\n')}
@group(0) @binding(${inputs.length}) var<storage, read_write> out: array<${WGSL_TYPE[out.dtype]}>;
@group(0) @binding(${inputs.length + 1}) var<storage, read> dims: array<u32>;
${helpersFor(code)}
${code}`;
  };
  const dims = Uint32Array.from([n, ...layout.shape, ...layout.strides.flat()]);
  ctx.dispatch(key, shader, [...inputs, out], dims, ctx.grid(n));
}

/** An op's shader parts: `fn op` with its expression, and the body that loads, applies and stores. */
function opParts(code: OpCode, dtypes: readonly GpuDType[], out: GpuDType): Parts {
  const domain: 'f32' | 'i32' = dtypes.some((d) => d === 'float32') || code.i === undefined ? 'f32' : 'i32';
  const params = dtypes.map((_, o) => `${'xy'[o]}: ${domain}`).join(', ');
  const result = code.bool ? 'bool' : domain;
  return {
    functions: `fn op(${params}) -> ${result} { return ${domain === 'f32' ? code.f : code.i!}; }`,
    body: (values) => store(`op(${values.map((v, o) => load(v, dtypes[o]!, domain)).join(', ')})`, result, out),
  };
}

/** The element-wise kernels on GPU arrays, with the CPU kernels' arguments and results (see the module comment). */
export function gpuElementwise(ctx: GpuContext): {
  unary: OnArrays<Kernels['unary'], GpuArray>;
  binary: OnArrays<Kernels['binary'], GpuArray>;
  select: OnArrays<Kernels['select'], GpuArray>;
  cast: OnArrays<Kernels['cast'], GpuArray>;
} {
  return {
    unary(op, x, out) {
      const code = WGSL_UNARY[op];
      if (code === undefined) throw new RangeError(`tapegrad.webgpu.unary: no kernel named ${String(op)}`);
      run(ctx, op, [x], out, contiguous(1, out.length), opParts(code, [x.dtype], out.dtype));
    },
    binary(op, a, aShape, b, bShape, out, outShape) {
      const code = WGSL_BINARY[op];
      if (code === undefined) throw new RangeError(`tapegrad.webgpu.binary: no kernel named ${String(op)}`);
      const layout = collapseShapes([aShape, bShape], outShape);
      run(ctx, op, [a, b], out, layout, opParts(code, [a.dtype, b.dtype], out.dtype));
    },
    select(cond, condShape, a, aShape, b, bShape, out, outShape) {
      if (a.dtype !== out.dtype || b.dtype !== out.dtype) {
        throw new TypeError(
          `tapegrad.webgpu.select: a, b and out must share a dtype, got ${a.dtype}, ${b.dtype}, ${out.dtype}`,
        );
      }
      const layout = collapseShapes([condShape, aShape, bShape], outShape);
      // The chosen element is copied as it is stored (a bit-exact copy, NaN payloads included).
      run(ctx, 'select', [cond, a, b], out, layout, {
        functions: '',
        body: ([c, x, y]) => `select(${y}, ${x}, ${c} != 0u)`,
      });
    },
    cast(x, out) {
      let body: Parts['body'];
      if (out.dtype === 'bool' && x.dtype !== 'bool') {
        // x != 0, NaN included (a store would truncate NaN to 0 instead).
        body = ([v]) =>
          x.dtype === 'float32'
            ? `select(0u, 1u, (bitcast<u32>(${v}) & 0x7fffffffu) != 0u)`
            : `select(0u, 1u, ${v} != 0)`;
      } else {
        const domain = x.dtype === 'float32' ? 'f32' : 'i32';
        body = ([v]) => store(load(v!, x.dtype, domain), domain, out.dtype);
      }
      run(ctx, 'cast', [x], out, contiguous(1, out.length), { functions: '', body });
    },
  };
}

/** The layout of `operands` arrays read element by element over `n` outputs. */
function contiguous(operands: number, n: number): { shape: number[]; strides: number[][] } {
  return n === 1
    ? { shape: [], strides: Array.from({ length: operands }, () => []) }
    : { shape: [n], strides: Array.from({ length: operands }, () => [1]) };
}
