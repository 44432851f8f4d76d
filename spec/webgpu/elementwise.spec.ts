/**
 * The WebGPU element-wise kernels against the CPU's (`referenceKernels`), on seeded values and edge values (zeros of
 * both signs, ties, large magnitudes, NaN, infinities), broadcasting shapes, in-place use, and one output past
 * 65,535 workgroups.
 *
 * Tolerances: bit-exact (NaN matches NaN, -0 only -0) for every kernel whose result is one IEEE operation or none:
 * neg, square, abs, sign, relu and friends, floor/ceil/round, predicates, add/sub/mul, maximum/minimum, comparisons,
 * mod, floorDiv, the logical kernels, every int32 kernel, select and cast. The others are compared with |gpu - cpu|
 * <= rtol |cpu| + 1e-37 (the absolute part lets a GPU flush float32 subnormals, as WebGPU permits):
 * - rtol 4e-7 (about 3 ulps) for sqrt, rsqrt, reciprocal, div, squaredDifference and the Grad kernels, whose WGSL
 *   may round two or three times where the CPU rounds its double once;
 * - rtol 4e-6 for the transcendentals (written out in the module, to a few ulps; the CPU's are double precision);
 *   on SwiftShader every unary one is within 5e-7. pow's error grows with |y| (y log2(m) rounds once, m the
 *   significand of |x|): 1.2e-6 at y = 100 here.
 */
import type { TypedArray } from '../../lib/dtype.js';
import { referenceKernels, type BinaryKernel, type UnaryKernel } from '../../lib/kernels/index.js';
import { BINARY, UNARY } from '../../lib/kernels/elementwise.js';
import { gpuElementwise } from '../../lib/kernels/webgpu/elementwise.js';
import type { GpuArray } from '../../lib/kernels/webgpu/buffers.js';
import type { Shape } from '../../lib/shape.js';
import { describeGpu, gpuTitle, seeded, useGpuContext } from './harness.js';

const EXACT = 0;
const ROUNDED = 4e-7;
const TRANSCENDENTAL = 4e-6;

/** Unary kernels that are not bit-exact, with their relative tolerance (see the file comment). */
const UNARY_RTOL: Partial<Record<UnaryKernel, number>> = {
  sqrt: ROUNDED,
  rsqrt: ROUNDED,
  reciprocal: ROUNDED,
  ...Object.fromEntries(
    [
      'exp',
      'log',
      'sigmoid',
      'tanh',
      'expm1',
      'log1p',
      'sin',
      'cos',
      'tan',
      'asin',
      'acos',
      'atan',
      'sinh',
      'cosh',
      'asinh',
      'acosh',
      'atanh',
      'softplus',
      'logSigmoid',
      'elu',
      'selu',
      'erf',
    ].map((op) => [op, TRANSCENDENTAL]),
  ),
};

const BINARY_RTOL: Partial<Record<BinaryKernel, number>> = {
  div: ROUNDED,
  squaredDifference: ROUNDED,
  tanhGrad: ROUNDED,
  sigmoidGrad: ROUNDED,
  pow: TRANSCENDENTAL,
  atan2: TRANSCENDENTAL,
};

/** Float edge values: signed zeros, ties, small and large magnitudes, the limits of exp, NaN and infinities. */
const EDGES = [
  0,
  -0,
  0.5,
  -0.5,
  1.5,
  -1.5,
  2.5,
  -2.5,
  1,
  -1,
  2,
  -2,
  3,
  -3,
  6,
  7,
  -7,
  10,
  -10,
  20,
  -20,
  50,
  -50,
  88,
  -88,
  89,
  -89,
  100,
  -100,
  1e-3,
  -1e-3,
  1e-7,
  -1e-7,
  1e-30,
  -1e-30,
  3.1415927,
  1.5707964,
  1e30,
  -1e30,
  NaN,
  Infinity,
  -Infinity,
];

/** Seeded values in [-scale, scale) followed by the edges. */
function floats(size: number, seed: number, scale: number): Float32Array {
  const x = seeded(size, seed).map((v) => v * scale);
  return Float32Array.from([...x, ...EDGES]);
}

/** Whether `got` matches `expected` within `rtol` (0: bit-exact up to NaN payloads), else a message naming the first miss. */
function mismatch(
  got: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  input?: (i: number) => string,
): string | undefined {
  if (got.length !== expected.length) return `length ${got.length}, expected ${expected.length}`;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const e = expected[i]!;
    if (Object.is(g, e) || (Number.isNaN(g) && Number.isNaN(e))) continue;
    if (rtol > 0 && Number.isFinite(e) && Math.abs(g - e) <= rtol * Math.abs(e) + 1e-37) continue;
    return `element ${i}${input ? ` (${input(i)})` : ''}: got ${g}, expected ${e}`;
  }
  return undefined;
}

function allocateLike(dtype: 'float32' | 'int32' | 'bool', n: number): TypedArray {
  return dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
}

const sizeOf = (shape: Shape): number => shape.reduce((p, s) => p * s, 1);

/** Comparisons, predicates and logical kernels write bool. */
const BOOL_BINARY = new Set<BinaryKernel>([
  'equal',
  'notEqual',
  'less',
  'lessEqual',
  'greater',
  'greaterEqual',
  'logicalAnd',
  'logicalOr',
]);
const BOOL_UNARY = new Set<UnaryKernel>(['isNaN', 'isFinite', 'isInf', 'logicalNot']);

/** int32 unary kernels the ops allow (the others convert through float, as the CPU's doubles; checked too). */
const INT_UNARY: UnaryKernel[] = [
  'neg',
  'square',
  'relu',
  'step',
  'abs',
  'sign',
  'identity',
  'relu6',
  'floor',
  'ceil',
  'round',
  'isNaN',
  'isFinite',
  'isInf',
  'logicalNot',
  'reciprocal',
  'sqrt',
];

describeGpu(gpuTitle('WebGPU element-wise kernels'), () => {
  const gpu = useGpuContext();

  async function unaryCase(
    op: UnaryKernel,
    x: TypedArray,
    outDtype: 'float32' | 'int32' | 'bool',
    rtol: number,
  ): Promise<void> {
    const k = gpuElementwise(gpu.ctx);
    const expected = allocateLike(outDtype, x.length);
    referenceKernels.unary(op, x, expected);
    const out = gpu.ctx.allocate(x.length, outDtype);
    k.unary(op, gpu.ctx.upload(x), out);
    const got = await gpu.ctx.read(out);
    expect(mismatch(got, expected, rtol, (i) => `${op}(${x[i]})`)).toBeUndefined();
  }

  async function binaryCase(
    op: BinaryKernel,
    a: TypedArray,
    aShape: Shape,
    b: TypedArray,
    bShape: Shape,
    outShape: Shape,
    outDtype: 'float32' | 'int32' | 'bool',
    rtol: number,
  ): Promise<void> {
    const k = gpuElementwise(gpu.ctx);
    const n = sizeOf(outShape);
    const expected = allocateLike(outDtype, n);
    referenceKernels.binary(op, a, aShape, b, bShape, expected, outShape);
    const out = gpu.ctx.allocate(n, outDtype);
    k.binary(op, gpu.ctx.upload(a), aShape, gpu.ctx.upload(b), bShape, out, outShape);
    const got = await gpu.ctx.read(out);
    expect(mismatch(got, expected, rtol)).toBeUndefined();
  }

  for (const op of Object.keys(UNARY) as UnaryKernel[]) {
    it(`unary ${op} on float32 (${UNARY_RTOL[op] ? `rtol ${UNARY_RTOL[op]}` : 'bit-exact'})`, async () => {
      // Trigonometric range reduction is accurate to |x| of a few thousand: no 1e30 for sin, cos and tan.
      let x = floats(300, 7, op === 'acosh' ? 40 : 4);
      if (op === 'sin' || op === 'cos' || op === 'tan') x = x.filter((v) => !(Math.abs(v) > 1e4));
      await unaryCase(op, x, BOOL_UNARY.has(op) ? 'bool' : 'float32', UNARY_RTOL[op] ?? EXACT);
    });
  }

  it('unary expm1, log1p, sinh, asinh, atanh, tanh and erf keep relative precision near 0', async () => {
    const x = Float32Array.from(seeded(200, 3).map((v, i) => v * 10 ** -(i % 9)));
    for (const op of [
      'expm1',
      'log1p',
      'sinh',
      'asinh',
      'atanh',
      'tanh',
      'erf',
      'sin',
      'tan',
      'atan',
    ] as UnaryKernel[]) {
      await unaryCase(op, x, 'float32', TRANSCENDENTAL);
    }
  });

  for (const op of INT_UNARY) {
    it(`unary ${op} on int32 (bit-exact)`, async () => {
      const x = Int32Array.from([
        0, 1, -1, 2, -2, 5, 6, 7, -7, 46341, -46341, 100000, -100000, 2147483647, -2147483648,
      ]);
      const safe = op === 'square' ? x.filter((v) => Math.abs(v) < 94906265) : x;
      await unaryCase(op, safe, BOOL_UNARY.has(op) ? 'bool' : 'int32', EXACT);
    });
  }

  it('unary logicalNot on bool, and in place (out is x)', async () => {
    await unaryCase('logicalNot', Uint8Array.from([0, 1, 1, 0]), 'bool', EXACT);
    const k = gpuElementwise(gpu.ctx);
    const x = floats(100, 2, 3);
    const expected = new Float32Array(x.length);
    referenceKernels.unary('relu', x, expected);
    const array = gpu.ctx.upload(x);
    k.unary('relu', array, array);
    expect(mismatch(await gpu.ctx.read(array), expected, EXACT)).toBeUndefined();
  });

  // Every pair of edges (and seeded values) in one same-shape call: the contiguous shader.
  const pairs = (seed: number, scale: number): [Float32Array, Float32Array] => {
    const values = [...seeded(24, seed).map((v) => v * scale), ...EDGES];
    const a: number[] = [];
    const b: number[] = [];
    for (const x of values)
      for (const y of values) {
        a.push(x);
        b.push(y);
      }
    return [Float32Array.from(a), Float32Array.from(b)];
  };

  for (const op of Object.keys(BINARY) as BinaryKernel[]) {
    it(`binary ${op} on float32 (${BINARY_RTOL[op] ? `rtol ${BINARY_RTOL[op]}` : 'bit-exact'})`, async () => {
      const [a, b] = pairs(11, op === 'pow' ? 4 : 5);
      const outDtype = BOOL_BINARY.has(op) ? 'bool' : 'float32';
      await binaryCase(op, a, [a.length], b, [b.length], [a.length], outDtype, BINARY_RTOL[op] ?? EXACT);
    });
  }

  it('binary pow on float32 over positive bases and fractional exponents (rtol 4e-6)', async () => {
    const a = Float32Array.from(seeded(500, 5).map((v) => (v + 1) * 30));
    const b = Float32Array.from(seeded(500, 6).map((v) => v * 12));
    await binaryCase('pow', a, [500], b, [500], [500], 'float32', TRANSCENDENTAL);
  });

  it('binary mod and floorDiv on float32 with exact and large quotients (bit-exact)', async () => {
    const a = Float32Array.from([6, -6, 7, -7, 0.3, -0.3, 1e10, -1e10, 3.5e38, 1e-30, 5, 0.1, 1, 100, -100, 0]);
    const b = Float32Array.from([3, 3, -2, -2, 0.1, 0.1, 3, 3, 1e-3, 7e-31, 0.1, 0.3, 1e-7, 0.7, 0.7, -5]);
    await binaryCase('mod', a, [16], b, [16], [16], 'float32', EXACT);
    await binaryCase('floorDiv', a.slice(0, 6), [6], b.slice(0, 6), [6], [6], 'float32', EXACT);
  });

  const INT_BINARY = Object.keys(BINARY).filter((op) => op !== 'logicalAnd' && op !== 'logicalOr') as BinaryKernel[];
  for (const op of INT_BINARY) {
    it(`binary ${op} on int32 (bit-exact)`, async () => {
      // Products stay below 2^53, where the CPU's doubles wrap modulo 2^32 as int32 arithmetic does.
      const wide =
        ['add', 'sub', 'div', 'floorDiv', 'mod', 'maximum', 'minimum', 'reluGrad'].includes(op) || BOOL_BINARY.has(op);
      const small = op === 'pow' ? [-3, -2, -1, 0, 1, 2, 3] : [0, 1, -1, 2, -2, 3, -3, 7, -7, 46341, -100000];
      const values = wide ? [...small, 2147483647, -2147483648, 2147483646] : small;
      const exps = op === 'pow' ? [-3, -2, -1, 0, 1, 2, 3, 5, 19, 20] : values;
      const a: number[] = [];
      const b: number[] = [];
      for (const x of values)
        for (const y of exps) {
          a.push(x);
          b.push(y);
        }
      const n = a.length;
      await binaryCase(
        op,
        Int32Array.from(a),
        [n],
        Int32Array.from(b),
        [n],
        [n],
        BOOL_BINARY.has(op) ? 'bool' : 'int32',
        EXACT,
      );
    });
  }

  it('binary logicalAnd, logicalOr and comparisons on bool (bit-exact)', async () => {
    const a = Uint8Array.from([0, 0, 1, 1]);
    const b = Uint8Array.from([0, 1, 0, 1]);
    for (const op of ['logicalAnd', 'logicalOr', 'equal', 'less', 'greaterEqual'] as BinaryKernel[]) {
      await binaryCase(op, a, [4], b, [4], [4], 'bool', EXACT);
    }
  });

  const SHAPES: [Shape, Shape, Shape][] = [
    [[3, 4], [4], [3, 4]],
    [[4], [3, 4], [3, 4]],
    [
      [2, 1, 5],
      [3, 1],
      [2, 3, 5],
    ],
    [
      [3, 1],
      [2, 1, 5],
      [2, 3, 5],
    ],
    [
      [2, 3, 4, 5],
      [3, 1, 5],
      [2, 3, 4, 5],
    ],
    [[], [3, 4], [3, 4]],
    [[3, 4], [], [3, 4]],
    [[], [], []],
    [[1, 1], [1], [1, 1]],
    [[0, 3], [3], [0, 3]],
    [[2, 0], [1], [2, 0]],
  ];
  for (const [aShape, bShape, outShape] of SHAPES) {
    it(`broadcasts ${JSON.stringify(aShape)} with ${JSON.stringify(bShape)} (sub, less, atan2; bit-exact but atan2)`, async () => {
      const a = seeded(sizeOf(aShape), 1);
      const b = seeded(sizeOf(bShape), 2);
      await binaryCase('sub', a, aShape, b, bShape, outShape, 'float32', EXACT);
      await binaryCase('less', a, aShape, b, bShape, outShape, 'bool', EXACT);
      await binaryCase('atan2', a, aShape, b, bShape, outShape, 'float32', TRANSCENDENTAL);
      const ia = Int32Array.from(a, (v) => Math.round(v * 100));
      const ib = Int32Array.from(b, (v) => Math.round(v * 10) || 3);
      await binaryCase('floorDiv', ia, aShape, ib, bShape, outShape, 'int32', EXACT);
    });
  }

  it('binary in place: out is a, out is b, a and b one buffer (bit-exact)', async () => {
    const k = gpuElementwise(gpu.ctx);
    const a = seeded(12, 3);
    const b = seeded(4, 4);
    const expected = new Float32Array(12);
    referenceKernels.binary('add', a, [3, 4], b, [4], expected, [3, 4]);
    const ga = gpu.ctx.upload(a);
    k.binary('add', ga, [3, 4], gpu.ctx.upload(b), [4], ga, [3, 4]);
    expect(mismatch(await gpu.ctx.read(ga), expected, EXACT)).toBeUndefined();

    const c = seeded(12, 5);
    referenceKernels.binary('mul', a, [12], c, [12], expected, [12]);
    const gc = gpu.ctx.upload(c);
    k.binary('mul', gpu.ctx.upload(a), [12], gc, [12], gc, [12]);
    expect(mismatch(await gpu.ctx.read(gc), expected, EXACT)).toBeUndefined();

    referenceKernels.binary('squaredDifference', c, [3, 4], c, [3, 4], expected, [3, 4]);
    const same = gpu.ctx.upload(c);
    k.binary('squaredDifference', same, [3, 4], same, [3, 4], same, [3, 4]);
    expect(mismatch(await gpu.ctx.read(same), expected, EXACT)).toBeUndefined();
  });

  it('binary add over 65,535 x 64 elements with a broadcast row (a 2-D grid of workgroups; bit-exact)', async () => {
    const rows = (65535 * 64) / 4 + 25;
    await binaryCase('add', seeded(rows * 4, 9), [rows, 4], seeded(4, 10), [4], [rows, 4], 'float32', EXACT);
  });

  it('select broadcasts the mask and both branches, float32, int32 and bool, NaN kept (bit-exact)', async () => {
    const k = gpuElementwise(gpu.ctx);
    const cases: [Shape, Shape, Shape, Shape][] = [
      [[3, 1], [1, 4], [], [3, 4]],
      [[12], [12], [12], [12]],
      [[], [2, 3], [3], [2, 3]],
      [[2, 1, 3], [4, 1], [3], [2, 4, 3]],
      [[0], [1], [1], [0]],
    ];
    for (const [cShape, aShape, bShape, outShape] of cases) {
      const cond = Uint8Array.from(seeded(sizeOf(cShape), 1), (v) => (v > 0 ? 1 : 0));
      const n = sizeOf(outShape);
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const make = (shape: Shape, seed: number): TypedArray => {
          const v = seeded(sizeOf(shape), seed);
          if (dtype === 'int32') return Int32Array.from(v, (x) => Math.round(x * 1000));
          if (dtype === 'bool') return Uint8Array.from(v, (x) => (x > 0 ? 1 : 0));
          return v.map((x, i) => (i === 1 ? NaN : x));
        };
        const a = make(aShape, 2);
        const b = make(bShape, 3);
        const expected = allocateLike(dtype, n);
        referenceKernels.select(cond, cShape, a, aShape, b, bShape, expected, outShape);
        const out = gpu.ctx.allocate(n, dtype);
        const gc = gpu.ctx.upload(cond);
        k.select(gc, cShape, gpu.ctx.upload(a), aShape, gpu.ctx.upload(b), bShape, out, outShape);
        expect(mismatch(await gpu.ctx.read(out), expected, EXACT)).toBeUndefined();
      }
    }
  });

  it('cast between float32, int32 and bool as the CPU (truncation, wrap, NaN; bit-exact)', async () => {
    const k = gpuElementwise(gpu.ctx);
    const f = Float32Array.from([
      ...EDGES,
      -0.7,
      0.7,
      2 ** 31,
      -(2 ** 31),
      3e9,
      -3e9,
      2 ** 32 + 2 ** 9,
      1e10,
      -1e10,
      2 ** 54,
      16777217,
      2 ** -140,
    ]);
    const i = Int32Array.from([
      0, 1, -1, 7, 16777217, 16777219, -16777219, 33554435, 2147483647, -2147483648, 2147483583,
    ]);
    const b = Uint8Array.from([0, 1, 1, 0]);
    const inputs: TypedArray[] = [f, i, b];
    for (const x of inputs) {
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const expected = allocateLike(dtype, x.length);
        referenceKernels.cast(x, expected);
        const out = gpu.ctx.allocate(x.length, dtype);
        k.cast(gpu.ctx.upload(x), out);
        const got = await gpu.ctx.read(out);
        expect([x.constructor.name, dtype, mismatch(got, expected, EXACT, (j) => String(x[j]))]).toEqual([
          x.constructor.name,
          dtype,
          undefined,
        ]);
      }
    }
  });

  it('adds a scalar to a [2, 3] in one dispatch', async () => {
    const k = gpuElementwise(gpu.ctx);
    const out: GpuArray = gpu.ctx.allocate(6, 'float32');
    const before = gpu.ctx.dispatches;
    k.binary('add', gpu.ctx.upload(seeded(6, 1)), [2, 3], gpu.ctx.upload(seeded(1, 2)), [], out, [2, 3]);
    expect(gpu.ctx.dispatches).toBe(before + 1);
    await gpu.ctx.read(out);
  });
});
