/**
 * Fused optimizer updates: one pass over a variable, its gradient and its
 * slots, where the same formula written in ops makes a dozen passes and as
 * many fresh arrays (Adam on a 784 x 256 weight: 12 ops of 200,704 elements).
 * As TensorFlow's `ApplyAdam` and PyTorch's fused Adam, they have no
 * gradient: optimizers run them unrecorded. Float32 arrays are computed in
 * float32 arithmetic, each operation rounded as IEEE float32 does it (as
 * TensorFlow's, PyTorch's and the WebGPU kernels do); other arrays in float64,
 * each element stored once in the output's dtype.
 */
import type { TypedArray } from '../dtype.js';

/**
 * Adam's hyperparameters for one step of the `adamUpdate` kernel.
 *
 * @example
 * ```ts
 * import { referenceKernels, type AdamHyperparameters } from 'tapegrad';
 * const h: AdamHyperparameters = { lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1 };
 * const [w, m, v] = [new Float32Array([1]), new Float32Array(1), new Float32Array(1)];
 * referenceKernels.adamUpdate(w, new Float32Array([2]), m, v, h, w, m, v); // in place
 * Array.from(w); // ~[0.9]: the first step moves by lr
 * ```
 */
export interface AdamHyperparameters {
  /** The learning rate of this step. */
  readonly lr: number;
  /** The decay rate of the first-moment estimate. */
  readonly beta1: number;
  /** The decay rate of the second-moment estimate. */
  readonly beta2: number;
  /** Added to the root of the second moment, for stability. */
  readonly epsilon: number;
  /** The step number t, from 1: the bias corrections are `1 − β₁ᵗ` and `1 − β₂ᵗ`. */
  readonly step: number;
}

/**
 * Adam, as TensorFlow.js's `AdamOptimizer`: `m' = β₁m + (1−β₁)g`,
 * `v' = β₂v + (1−β₂)g²`, `w' = w − lr·m̂ / (√v̂ + ε)` with `m̂ = m'/(1−β₁ᵗ)`,
 * `v̂ = v'/(1−β₂ᵗ)`; all arrays have one length. Each element is read before
 * it is written, so `outM` and `outV` may be `m` and `v` themselves (in place).
 * When every array is a `Float32Array`, each operation is a float32 one (the
 * hyperparameters rounded to float32 first), in the order of the formulas; so
 * the WebAssembly SIMD kernel, which does the same operations four lanes at a
 * time, gives the same bits. Otherwise each element is computed in float64.
 *
 * @param w - The variable's values.
 * @param g - Its gradient.
 * @param m - The first-moment slot.
 * @param v - The second-moment slot.
 * @param h - The hyperparameters: `lr`, `beta1`, `beta2`, `epsilon` and `step` (t, from 1).
 * @param outW - The new values; written.
 * @param outM - The new first moment; written.
 * @param outV - The new second moment; written.
 */
export function adamUpdate(
  w: TypedArray,
  g: TypedArray,
  m: TypedArray,
  v: TypedArray,
  h: AdamHyperparameters,
  outW: TypedArray,
  outM: TypedArray,
  outV: TypedArray,
): void {
  if ([w, g, m, v, outW, outM, outV].every((a) => a instanceof Float32Array)) {
    adamFloat32(w, g, m, v, adamConstants(h), outW, outM, outV);
    return;
  }
  const { lr, beta1, beta2, epsilon } = h;
  const { c1, c2, b1, b2 } = adamFactors(h);
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]!;
    const mi = beta1 * m[i]! + c1 * gi;
    const vi = beta2 * v[i]! + c2 * gi * gi;
    outM[i] = mi;
    outV[i] = vi;
    outW[i] = w[i]! - (lr * (mi / b1)) / (Math.sqrt(vi / b2) + epsilon);
  }
}

/**
 * One float32 step's constants, rounded to float32, in the order the WebAssembly kernel reads them:
 * `[β₁, 1 − β₁, β₂, 1 − β₂, lr, 1 − β₁ᵗ, 1 − β₂ᵗ, ε]`.
 *
 * @param h - The step's hyperparameters.
 */
export function adamConstants(h: AdamHyperparameters): AdamConstants {
  const { c1, c2, b1, b2 } = adamFactors(h);
  const f = Math.fround;
  return [f(h.beta1), f(c1), f(h.beta2), f(c2), f(h.lr), f(b1), f(b2), f(h.epsilon)];
}

/** {@link adamConstants}: `[β₁, 1 − β₁, β₂, 1 − β₂, lr, 1 − β₁ᵗ, 1 − β₂ᵗ, ε]`, each a float32 value. */
export type AdamConstants = readonly [number, number, number, number, number, number, number, number];

/**
 * {@link adamUpdate} in float32 arithmetic: each operation of two float32 values is done in float64 and rounded
 * once with `Math.fround`, which is exactly the float32 operation (float64 holds every product of two float32
 * exactly, and rounding a float64 sum, quotient or square root of float32 values to float32 is correctly rounded).
 */
function adamFloat32(
  w: TypedArray,
  g: TypedArray,
  m: TypedArray,
  v: TypedArray,
  k: AdamConstants,
  outW: TypedArray,
  outM: TypedArray,
  outV: TypedArray,
): void {
  const f = Math.fround;
  const [beta1, c1, beta2, c2, lr, b1, b2, epsilon] = k;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]!;
    const mi = f(f(beta1 * m[i]!) + f(c1 * gi));
    const vi = f(f(beta2 * v[i]!) + f(f(c2 * gi) * gi));
    outM[i] = mi;
    outV[i] = vi;
    outW[i] = f(w[i]! - f(f(lr * f(mi / b1)) / f(f(Math.sqrt(f(vi / b2))) + epsilon)));
  }
}

/**
 * Adam's factors for one step, shared by every Adam kernel so that they compute with the same numbers:
 * `c1 = 1 − β₁`, `c2 = 1 − β₂` and the bias corrections `b1 = 1 − β₁ᵗ`, `b2 = 1 − β₂ᵗ`.
 *
 * @param h - The step's hyperparameters.
 */
export function adamFactors(h: AdamHyperparameters): { c1: number; c2: number; b1: number; b2: number } {
  return { c1: 1 - h.beta1, c2: 1 - h.beta2, b1: 1 - h.beta1 ** h.step, b2: 1 - h.beta2 ** h.step };
}

/**
 * Gradient descent, `w' = w − lr·g`; both arrays have one length, and `outW`
 * may be `w` itself. When all three are `Float32Array`s, `lr` is rounded to
 * float32 and both operations are float32 ones (as `sub(w, mul(g, lr))` on
 * float32 tensors, TensorFlow's `ApplyGradientDescent` and the WebAssembly
 * SIMD kernel compute it, bit for bit); otherwise each element is computed in
 * float64 and stored once.
 *
 * @param w - The variable's values.
 * @param g - Its gradient.
 * @param lr - The learning rate.
 * @param outW - The new values; written.
 */
export function sgdUpdate(w: TypedArray, g: TypedArray, lr: number, outW: TypedArray): void {
  if (w instanceof Float32Array && g instanceof Float32Array && outW instanceof Float32Array) {
    const f = Math.fround;
    const lr32 = f(lr);
    // Each product and difference of float32 values, rounded once to float32, is the float32 operation.
    for (let i = 0; i < w.length; i++) outW[i] = f(w[i]! - f(lr32 * g[i]!));
    return;
  }
  for (let i = 0; i < w.length; i++) outW[i] = w[i]! - lr * g[i]!;
}
