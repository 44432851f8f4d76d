/**
 * The WebAssembly element-wise kernels against the reference TypeScript
 * kernels. Float32 exp, log and tanh must be within 1 ulp of the reference
 * (Math.* in float64, rounded to float32) and sigmoid within 2 ulp, on random
 * inputs over the whole float32 range and on edge values (+-0, NaN, +-Inf,
 * subnormals, the largest floats, the limits where results overflow or
 * become subnormal, and each formula's branch point); float64 and the
 * arithmetic maps must give exactly the reference. Kernel instances with no
 * size threshold are built here, so that the WebAssembly path runs for every
 * size, including odd ones and ones that cross a block.
 */
import fc from 'fast-check';
import * as lib from '../../lib/index.js';
import { referenceKernels } from '../../lib/kernels/index.js';
import type { BinaryKernel, UnaryKernel } from '../../lib/kernels/elementwise.js';
import { WASM_MATH_MIN_SIZE, wasmBinary, wasmUnary } from '../../lib/kernels/wasm/elementwise.js';
import { MATH_F32 } from '../../lib/kernels/wasm/math.js';
import { kernelModuleBytes, Runtime, wasmApi } from '../../lib/kernels/wasm/runtime.js';
import type { TypedArray } from '../../lib/dtype.js';

const runtime = new Runtime(wasmApi!, new wasmApi!.Module(kernelModuleBytes()));
const fastUnary = wasmUnary(runtime, 0);
const fastBinary = wasmBinary(runtime, 0);

/** The documented bound of each float32 map, in ulps. */
const BOUND: Record<keyof typeof MATH_F32, number> = { exp: 1, log: 1, tanh: 1, sigmoid: 2 };
const OPS = Object.keys(MATH_F32) as (keyof typeof MATH_F32)[];

/** The float32 with bit pattern `bits`. */
const fromBits = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0]!;

/** Float32 values in order as integers: adjacent floats differ by 1, and +0 and -0 are both 0. */
function ordinal(x: number): number {
  const bits = new Int32Array(new Float32Array([x]).buffer)[0]!;
  return bits >= 0 ? bits : -(bits & 0x7fffffff);
}

/** Distance in float32 ulps of `got` from `want`; 0 when both are NaN, Infinity when only one is. */
function ulps(got: number, want: number): number {
  if (Number.isNaN(got) || Number.isNaN(want)) return Number.isNaN(got) && Number.isNaN(want) ? 0 : Infinity;
  return Math.abs(ordinal(got) - ordinal(want));
}

const FLT_MIN = 2 ** -126;
const FLT_MAX = fromBits(0x7f7fffff);
/** Edge inputs: signed zeros, NaN, infinities, subnormals, extremes, and the limits of each formula. */
const EDGES = [
  0,
  -0,
  NaN,
  Infinity,
  -Infinity,
  2 ** -149,
  -(2 ** -149),
  FLT_MIN,
  FLT_MIN * (1 - 2 ** -23),
  -FLT_MIN,
  FLT_MAX,
  -FLT_MAX,
  1,
  -1,
  0.625,
  -0.625,
  Math.fround(0.625 - 2 ** -24),
  Math.SQRT1_2,
  Math.SQRT2,
  88.72283,
  88.72284,
  89,
  -87.33654,
  -103.27893,
  -103.97208,
  -104,
  9.01,
  -9.02,
  44,
  1e-30,
  -1e-30,
  1 - 2 ** -24,
  1 + 2 ** -23,
];

/** Random float32 values: half as random bit patterns (every magnitude), half uniform in [-12, 12]. */
function randomFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    if (i % 2 === 0) bits[i] = s;
    else out[i] = (s / 2 ** 32) * 24 - 12;
  }
  return out;
}

/** The worst element of the fast map of `op` against the reference, as { ulps, x, got, want }. */
function worst(op: UnaryKernel, x: Float32Array) {
  const got = new Float32Array(x.length).fill(5);
  const want = new Float32Array(x.length);
  fastUnary(op, x, got);
  referenceKernels.unary(op, x, want);
  let result = { ulps: 0, x: 0, got: 0, want: 0 };
  for (let i = 0; i < x.length; i++) {
    const d = ulps(got[i]!, want[i]!);
    if (d > result.ulps) result = { ulps: d, x: x[i]!, got: got[i]!, want: want[i]! };
  }
  return result;
}

describe('the float32 WebAssembly maps stay within their ulp bound of the reference', () => {
  test.each(OPS)('%s on random floats of every magnitude and on [-12, 12]', (op) => {
    expect(worst(op, randomFloats(200_003, 7)).ulps).toBeLessThanOrEqual(BOUND[op]);
  });

  test.each(OPS)('%s on edge values, at every position in a vector', (op) => {
    const x = new Float32Array(EDGES.length * 4 + 3);
    for (let i = 0; i < x.length; i++) x[i] = EDGES[(i * 5) % EDGES.length]!;
    expect(worst(op, x).ulps).toBeLessThanOrEqual(BOUND[op]);
  });

  test.each(OPS)('%s on every float32 in a window around each limit', (op) => {
    for (const center of [0.625, 1, -87.33654, -103.97208, 88.72283, FLT_MIN, 9.01]) {
      const x = new Float32Array(4001);
      const base = ordinal(center);
      for (let i = 0; i < x.length; i++) {
        const o = base + i - 2000;
        x[i] = fromBits(o >= 0 ? o : (-o | 0x80000000) >>> 0);
      }
      const { ulps: found } = worst(op, x);
      expect({ op, center, within: found <= BOUND[op] }).toEqual({ op, center, within: true });
    }
  });

  test('special values come out exactly as in the reference', () => {
    const cases: Record<keyof typeof MATH_F32, [number, number][]> = {
      exp: [
        [0, 1],
        [-0, 1],
        [NaN, NaN],
        [Infinity, Infinity],
        [-Infinity, 0],
        [-200, 0],
        [200, Infinity],
        [2 ** -149, 1],
      ],
      log: [
        [0, -Infinity],
        [-0, -Infinity],
        [NaN, NaN],
        [Infinity, Infinity],
        [-Infinity, NaN],
        [-1, NaN],
        [1, 0],
      ],
      tanh: [
        [0, 0],
        [-0, -0],
        [NaN, NaN],
        [Infinity, 1],
        [-Infinity, -1],
        [-200, -1],
        [200, 1],
        [2 ** -149, 2 ** -149],
      ],
      sigmoid: [
        [0, 0.5],
        [-0, 0.5],
        [NaN, NaN],
        [Infinity, 1],
        [-Infinity, 0],
        [-200, 0],
        [200, 1],
      ],
    };
    for (const op of OPS) {
      const x = Float32Array.from(cases[op], ([v]) => v);
      const out = new Float32Array(x.length);
      fastUnary(op, x, out);
      expect({ op, out: [...out] }).toEqual({ op, out: cases[op].map(([, want]) => want) });
    }
  });

  test('sizes that are not multiples of four or that cross a block give every element', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom(...OPS), (n, op) => {
        const x = randomFloats(n, n);
        return worst(op, x).ulps <= BOUND[op];
      }),
      { numRuns: 25 },
    );
  });
});

describe('float64 and the other unary kernels keep exactly the reference results', () => {
  test.each(['exp', 'log', 'tanh', 'sigmoid', 'sqrt', 'relu', 'expm1'] as UnaryKernel[])('%s', (op) => {
    const x64 = Float64Array.from(randomFloats(10_001, 3), (v, i) => (i % 3 === 0 ? v : v * 1.000001));
    const x32 = randomFloats(10_001, 4);
    for (const x of [x64, x32]) {
      if (x instanceof Float32Array && op in MATH_F32) continue;
      const got = x instanceof Float32Array ? new Float32Array(x.length) : new Float64Array(x.length);
      const want = got.slice();
      fastUnary(op, x, got);
      referenceKernels.unary(op, x, want);
      expect(got).toEqual(want);
    }
  });
});

describe('the WebAssembly arithmetic maps give exactly the reference results', () => {
  const specials = [0, -0, NaN, Infinity, -Infinity, 1, -3.5, 2 ** -149, 1e-40, 3e38];
  const fill = <T extends TypedArray>(out: T, seed: number): T => {
    for (let i = 0; i < out.length; i++)
      out[i] = i % 7 === 0 ? specials[(i / 7 + seed) % specials.length]! : Math.sin(i * 1.3 + seed) * 100;
    return out;
  };
  const make = { float32: (n: number) => new Float32Array(n), float64: (n: number) => new Float64Array(n) };
  const differences = (x: TypedArray, y: TypedArray) => [...x.keys()].filter((i) => !Object.is(x[i], y[i]));

  test.each(Object.keys(make) as (keyof typeof make)[])(
    'add, sub, mul, div in %s: same sizes and a scalar on either side',
    (dtype) => {
      for (const op of ['add', 'sub', 'mul', 'div'] as BinaryKernel[]) {
        for (const n of [1, 3, 4, 5, 8191, 8193, 20_001]) {
          for (const [aSize, bSize] of [
            [n, n],
            [n, 1],
            [1, n],
          ] as const) {
            const a = fill(make[dtype](aSize), 1);
            const b = fill(make[dtype](bSize), 2);
            const got = make[dtype](n).fill(5);
            const want = make[dtype](n);
            fastBinary(op, a, [aSize], b, [bSize], got, [n]);
            referenceKernels.binary(op, a, [aSize], b, [bSize], want, [n]);
            expect({ op, n, aSize, bSize, differ: differences(got, want) }).toEqual({
              op,
              n,
              aSize,
              bSize,
              differ: [],
            });
          }
        }
      }
    },
  );

  test.each(Object.keys(make) as (keyof typeof make)[])('add, sub, mul, div in %s with a repeated row', (dtype) => {
    const shapes: [number[], number[]][] = [
      [[3000, 7], [7]],
      [
        [5, 3001],
        [1, 3001],
      ],
      [[2, 3, 4096], [4096]],
      [
        [700, 2, 5],
        [2, 5],
      ],
      [[1, 9000], [9000]],
    ];
    for (const op of ['add', 'sub', 'mul', 'div'] as BinaryKernel[]) {
      for (const [aShape, bShape] of shapes) {
        const n = aShape.reduce((x, y) => x * y, 1);
        const a = fill(make[dtype](n), 3);
        const b = fill(make[dtype](bShape.reduce((x, y) => x * y, 1)), 4);
        const got = make[dtype](n).fill(5);
        const want = make[dtype](n);
        fastBinary(op, a, aShape, b, bShape, got, aShape);
        referenceKernels.binary(op, a, aShape, b, bShape, want, aShape);
        expect({ op, aShape, bShape, differ: differences(got, want) }).toEqual({ op, aShape, bShape, differ: [] });
      }
    }
  });

  test('float32 relu and reluGrad (branch-free masks) give exactly the reference, signed zeros and NaN included', () => {
    // Every special in every lane, mixed signs, and sizes that end mid-vector and cross a block.
    for (const n of [1, 3, 4, 5, 8191, 8193, 20_001]) {
      const x = fill(new Float32Array(n), 5);
      const dy = fill(new Float32Array(n), 6);
      const got = new Float32Array(n).fill(5);
      const want = new Float32Array(n);
      fastUnary('relu', x, got);
      referenceKernels.unary('relu', x, want);
      expect({ op: 'relu', n, differ: differences(got, want) }).toEqual({ op: 'relu', n, differ: [] });
      got.fill(5);
      fastBinary('reluGrad', dy, [n], x, [n], got, [n]);
      referenceKernels.binary('reluGrad', dy, [n], x, [n], want, [n]);
      expect({ op: 'reluGrad', n, differ: differences(got, want) }).toEqual({ op: 'reluGrad', n, differ: [] });
    }
    // The cases a mask gets wrong if written carelessly: -0 and NaN inputs give +0; at x <= 0 (and NaN) the
    // gradient is dy * 0, which keeps dy's sign and turns an infinite or NaN dy into NaN.
    const x = new Float32Array([-0, 0, NaN, -1, 2, -Infinity, Infinity, -0, -2, NaN, 3, 0]);
    const dy = new Float32Array([-3, -3, Infinity, -Infinity, NaN, 5, -5, -0, NaN, -4, -0, Infinity]);
    const relu = new Float32Array(x.length);
    const grad = new Float32Array(x.length);
    fastUnary('relu', x, relu);
    fastBinary('reluGrad', dy, [x.length], x, [x.length], grad, [x.length]);
    expect([...relu].map((v) => (Object.is(v, -0) ? '-0' : v))).toEqual([0, 0, 0, 0, 2, 0, Infinity, 0, 0, 0, 3, 0]);
    expect([...grad].map((v) => (Object.is(v, -0) ? '-0' : v))).toEqual([
      '-0',
      '-0',
      NaN,
      NaN,
      NaN,
      0,
      -5,
      '-0',
      NaN,
      '-0',
      '-0',
      NaN,
    ]);
  });

  test('mixed dtypes, other ops and other broadcasts take the loops, with the reference results', () => {
    const cases: [BinaryKernel, TypedArray, number[], TypedArray, number[], TypedArray, number[]][] = [
      [
        'add',
        fill(new Int32Array(9000), 1),
        [9000],
        fill(new Int32Array(9000), 2),
        [9000],
        new Int32Array(9000),
        [9000],
      ],
      [
        'pow',
        fill(new Float32Array(9000), 1),
        [9000],
        fill(new Float32Array(1), 2),
        [],
        new Float32Array(9000),
        [9000],
      ],
      [
        'mul',
        fill(new Float64Array(9000), 1),
        [90, 100],
        fill(new Float64Array(90), 2),
        [90, 1],
        new Float64Array(9000),
        [90, 100],
      ],
      [
        'sub',
        fill(new Float32Array(100), 1),
        [100],
        fill(new Float32Array(9000), 2),
        [90, 100],
        new Float32Array(9000),
        [90, 100],
      ],
      [
        'div',
        fill(new Float32Array(9000), 1),
        [2, 4500],
        fill(new Float32Array(4500), 2),
        [4500],
        new Float32Array(9000),
        [2, 4500],
      ],
    ];
    for (const [op, a, aShape, b, bShape, got, outShape] of cases) {
      const want = got.slice();
      fastBinary(op, a, aShape, b, bShape, got, outShape);
      referenceKernels.binary(op, a, aShape, b, bShape, want, outShape);
      expect({ op, differ: differences(got, want) }).toEqual({ op, differ: [] });
    }
  });
});

describe('the installed kernels', () => {
  const wasm = process.env.TAPEGRAD_KERNELS !== 'typescript';

  test('tanh of a large float32 tensor is within 1 ulp of Math.tanh; a small one equals it exactly', () => {
    const large = lib.tensor(randomFloats(WASM_MATH_MIN_SIZE * 3 + 1, 11));
    const values = large.dataSync();
    const y = lib.tanh(large).dataSync();
    let worstUlps = 0;
    for (let i = 0; i < y.length; i++) worstUlps = Math.max(worstUlps, ulps(y[i]!, Math.fround(Math.tanh(values[i]!))));
    expect(worstUlps).toBeLessThanOrEqual(wasm ? 1 : 0);
    const small = lib.tensor([0.1, -2, 0.7]);
    expect([...lib.tanh(small).dataSync()]).toEqual([0.1, -2, 0.7].map((v) => Math.fround(Math.tanh(Math.fround(v)))));
  });

  test('a large float32 product by a scalar equals the reference', () => {
    const x = lib.tensor(randomFloats(50_001, 12));
    const got = lib.mul(x, 3).dataSync();
    const want = new Float32Array(got.length);
    referenceKernels.binary('mul', x.dataSync(), x.shape, new Float32Array([3]), [], want, x.shape);
    expect(got).toEqual(want);
  });
});
