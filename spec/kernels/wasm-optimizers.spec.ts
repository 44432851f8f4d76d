/**
 * The WebAssembly Adam and gradient-descent updates (`lib/kernels/wasm/optimizers.ts`) against the
 * reference kernel of `lib/kernels/optimizers.ts`: bit for bit (the same
 * float32 operations in the same order), over sizes around its blocks, odd
 * and even, several steps in a row, in place and into new arrays. A kernel
 * with no size threshold is built here, so small arrays take the
 * WebAssembly path too.
 */
import fc from 'fast-check';
import { kernels, referenceKernels, type AdamHyperparameters } from '../../lib/kernels/index.js';
import { wasmAdamUpdate, wasmSgdUpdate } from '../../lib/kernels/wasm/optimizers.js';
import { kernelModuleBytes, Runtime, wasmApi } from '../../lib/kernels/wasm/runtime.js';
import { backend, mul, sub, tensor } from '../../lib/index.js';

const runtime = new Runtime(wasmApi!, new wasmApi!.Module(kernelModuleBytes()));
const fast = wasmAdamUpdate(runtime, referenceKernels.adamUpdate, 0);

/** Floats spread over many magnitudes, with zeros (a zero gradient leaves v at its decay). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    out[i] = i % 13 === 0 ? 0 : (u - 0.5) * 10 ** Math.floor(u * 8 - 4);
  }
  return out;
}

const sameBits = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('the WebAssembly Adam update', () => {
  test('equals the reference bit for bit over sizes, steps and hyperparameters', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 3, 7, 4095, 4096, 4097, 9001),
        fc.nat(1000),
        fc.record({
          lr: fc.constantFrom(1e-3, 0.1, 2),
          beta1: fc.constantFrom(0, 0.9, 0.5),
          beta2: fc.constantFrom(0.999, 0.9),
          epsilon: fc.constantFrom(1e-7, 0, 1e-3),
        }),
        (n, seed, hyper) => {
          const ref = { w: values(n, seed), m: new Float32Array(n), v: new Float32Array(n) };
          const got = { w: ref.w.slice(), m: new Float32Array(n), v: new Float32Array(n) };
          for (let step = 1; step <= 3; step++) {
            const g = values(n, seed + step);
            const h: AdamHyperparameters = { ...hyper, step };
            const [w, m, v] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
            referenceKernels.adamUpdate(ref.w, g, ref.m, ref.v, h, w, m, v);
            Object.assign(ref, { w, m, v });
            fast(got.w, g, got.m, got.v, h, got.w, got.m, got.v); // in place
            expect([sameBits(got.w, ref.w), sameBits(got.m, ref.m), sameBits(got.v, ref.v)]).toEqual([
              true,
              true,
              true,
            ]);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  test('float32 arrays are updated in float32 arithmetic, one rounding per operation; float64 arrays in float64', () => {
    const n = 4099;
    const [w, g, m, v] = [values(n, 1), values(n, 2), values(n, 3), values(n, 4).map(Math.abs)];
    const h: AdamHyperparameters = { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 3 };
    // The formulas written out here, independently of the kernels: every operation rounded to float32.
    const f = Math.fround;
    const [b1, b2] = [f(1 - 0.9 ** 3), f(1 - 0.999 ** 3)];
    const want = { w: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
    for (let i = 0; i < n; i++) {
      const mi = f(f(f(0.9) * m[i]!) + f(f(1 - 0.9) * g[i]!));
      const vi = f(f(f(0.999) * v[i]!) + f(f(f(1 - 0.999) * g[i]!) * g[i]!));
      want.m[i] = mi;
      want.v[i] = vi;
      want.w[i] = f(w[i]! - f(f(f(0.01) * f(mi / b1)) / f(f(Math.sqrt(f(vi / b2))) + f(1e-7))));
    }
    for (const kernel of [referenceKernels.adamUpdate, fast]) {
      const got = { w: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
      kernel(w, g, m, v, h, got.w, got.m, got.v);
      expect([sameBits(got.w, want.w), sameBits(got.m, want.m), sameBits(got.v, want.v)]).toEqual([true, true, true]);
    }
    // Float64 arrays keep float64 arithmetic: their results differ from the float32 ones in the low bits.
    const d = (x: Float32Array) => Float64Array.from(x);
    const w64 = new Float64Array(n);
    referenceKernels.adamUpdate(d(w), d(g), d(m), d(v), h, w64, new Float64Array(n), new Float64Array(n));
    expect(w64.some((x, i) => x !== want.w[i])).toBe(true);
  });

  test('float64 and small float32 variables stay with the reference', () => {
    const calls: number[] = [];
    const spy: typeof referenceKernels.adamUpdate = (...args) => {
      calls.push(args[0].length);
      referenceKernels.adamUpdate(...args);
    };
    const thresholded = wasmAdamUpdate(runtime, spy, 1024);
    const h: AdamHyperparameters = { lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1 };
    const f64 = () => new Float64Array(2000);
    thresholded(f64(), f64(), f64(), f64(), h, f64(), f64(), f64());
    const small = () => new Float32Array(10);
    thresholded(small(), small(), small(), small(), h, small(), small(), small());
    const big = () => new Float32Array(2000);
    thresholded(big(), big(), big(), big(), h, big(), big(), big());
    expect(calls).toEqual([2000, 10]);
  });

  test('is installed with the WebAssembly kernels', () => {
    if (backend() === 'wasm-simd') expect(kernels.adamUpdate).not.toBe(referenceKernels.adamUpdate);
  });
});

describe('the WebAssembly gradient-descent update', () => {
  const fastSgd = wasmSgdUpdate(runtime, referenceKernels.sgdUpdate, 0);

  test('equals the reference bit for bit over sizes and learning rates, in place and into a new array', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 3, 5, 4095, 4096, 4097, 9001),
        fc.nat(1000),
        fc.constantFrom(1e-3, 0.1, 0.3, 2, -0.5),
        fc.boolean(),
        (n, seed, lr, inPlace) => {
          const [w, g] = [values(n, seed), values(n, seed + 1)];
          const want = new Float32Array(n);
          referenceKernels.sgdUpdate(w, g, lr, want);
          const got = inPlace ? w.slice() : new Float32Array(n);
          fastSgd(inPlace ? got : w, g, lr, got);
          expect(sameBits(got, want)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  test('float32 arrays: lr rounded to float32, then a float32 product and difference, as sub(w, mul(g, lr))', () => {
    const n = 5000;
    const [w, g] = [values(n, 7), values(n, 8)];
    const lr = 0.1; // not a float32 value: rounding it first changes results
    const f = Math.fround;
    const want = w.map((wi, i) => f(wi - f(f(lr) * g[i]!)));
    const ops = sub(tensor(w), mul(tensor(g), lr)).dataSync() as Float32Array;
    expect(sameBits(ops, want)).toBe(true);
    for (const kernel of [referenceKernels.sgdUpdate, fastSgd]) {
      const got = new Float32Array(n);
      kernel(w, g, lr, got);
      expect(sameBits(got, want)).toBe(true);
    }
    // Float64 arrays keep float64 arithmetic.
    const w64 = new Float64Array(n);
    referenceKernels.sgdUpdate(Float64Array.from(w), Float64Array.from(g), lr, w64);
    expect(w64.some((x, i) => x !== want[i])).toBe(true);
  });

  test('float64, mixed and small float32 variables stay with the reference', () => {
    const calls: number[] = [];
    const spy: typeof referenceKernels.sgdUpdate = (...args) => {
      calls.push(args[0].length);
      referenceKernels.sgdUpdate(...args);
    };
    const thresholded = wasmSgdUpdate(runtime, spy, 1024);
    thresholded(new Float64Array(2000), new Float64Array(2000), 0.1, new Float64Array(2000));
    thresholded(new Float32Array(2001), new Float64Array(2001), 0.1, new Float32Array(2001));
    thresholded(new Float32Array(10), new Float32Array(10), 0.1, new Float32Array(10));
    thresholded(new Float32Array(2002), new Float32Array(2002), 0.1, new Float32Array(2002));
    expect(calls).toEqual([2000, 2001, 10]);
  });

  test('is installed with the WebAssembly kernels', () => {
    if (backend() === 'wasm-simd') expect(kernels.sgdUpdate).not.toBe(referenceKernels.sgdUpdate);
  });
});
