/**
 * Gradient checking, in the spirit of HIPS autograd's `check_grads`: for a
 * random output direction u and input direction v, the reverse-mode product
 * `<VJP(u), v>` must equal the central-difference directional derivative
 * `<u, (f(x + h v) - f(x - h v)) / 2h>`. Both sides are scalars, so one
 * comparison checks a whole Jacobian along a random direction, at the cost of
 * one backward pass and two forward passes per input.
 *
 * Order 2 checks the VJP itself: it applies the same test to
 * `g(x, u) = sum_i <VJP_f(x)(u)_i, w_i>` (random w), whose gradient is taken
 * by an outer tape recording the ops the inner tape's backward pass runs.
 */
import { randomNormal, zeros } from '../creation.js';
import { isFloat } from '../dtype.js';
import { add, mul, stopGradient, sub, sum } from '../ops/index.js';
import { formatShape, shapesEqual } from '../shape.js';
import { describeValue } from '../format.js';
import { checkSeed } from '../random.js';
import { withoutRecording } from '../recording.js';
import { GradientTape } from '../tape.js';
import { Tensor } from '../tensor.js';

const C = 'tapegrad.checkGradients';

/**
 * Options of {@link checkGradients}.
 *
 * @example
 * ```ts
 * import { checkGradients, log, tensor } from 'tapegrad';
 * const x = tensor([0.5, 2], undefined, 'float64');
 * const result = checkGradients(log, [x], { order: 2, rtol: 1e-6, seed: 7, name: 'log' });
 * result.comparisons.length; // 3: order 1 for x; order 2 for x and for the output gradient
 * ```
 */
export interface CheckGradientsOptions {
  /** 1 checks the gradient; 2 also checks the gradient of the gradient (default 1). */
  order?: 1 | 2;
  /** The central-difference step h (default 1e-6). */
  eps?: number;
  /** Relative tolerance, against the larger magnitude of the two sides (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-7). */
  atol?: number;
  /** Seed of the random directions u and v, an integer in [0, 2^32); the same seed gives the same check (default 0). */
  seed?: number;
  /** What to call `f` in error messages (default `f.name`, else `'f'`). */
  name?: string;
}

/**
 * One comparison made by {@link checkGradients}: one input, one order.
 *
 * @example
 * ```ts
 * import { checkGradients, mul, tensor } from 'tapegrad';
 * const a = tensor([1, 2], undefined, 'float64');
 * const { comparisons } = checkGradients(mul, [a, a]);
 * comparisons[1]; // { order: 1, input: 1, analytic, numeric, error, tolerance }
 * comparisons.map((c) => c.input); // [0, 1]
 * comparisons[1].error <= comparisons[1].tolerance; // true
 * ```
 */
export interface GradientComparison {
  /** 1 for the gradient, 2 for the gradient of the gradient. */
  readonly order: 1 | 2;
  /**
   * The input index checked. At order 2, `inputs.length` stands for the
   * output gradient u, which the VJP is also differentiated with respect to.
   */
  readonly input: number;
  /** `<VJP(u), v>` from the tape. */
  readonly analytic: number;
  /** `<u, (f(x + h v) - f(x - h v)) / 2h>`. */
  readonly numeric: number;
  /** `|analytic - numeric|`. */
  readonly error: number;
  /** The largest error allowed: `atol + rtol * max(|analytic|, |numeric|)`. */
  readonly tolerance: number;
}

/**
 * What {@link checkGradients} returns when every comparison passes.
 *
 * @example
 * ```ts
 * import { checkGradients, exp, tensor } from 'tapegrad';
 * const result = checkGradients(exp, [tensor([0, 1], undefined, 'float64')]);
 * result.worstRatio < 1; // true: the largest error is below its tolerance
 * ```
 */
export interface CheckGradientsResult {
  /** The name used for `f`. */
  readonly name: string;
  /** Every comparison made, order 1 first. */
  readonly comparisons: readonly GradientComparison[];
  /** The largest `error / tolerance` over the comparisons (below 1, or 0 if there were none). */
  readonly worstRatio: number;
}

interface Settings {
  readonly eps: number;
  readonly rtol: number;
  readonly atol: number;
  readonly name: string;
}

/**
 * Checks the reverse-mode gradient of `f` at `inputs` against central
 * differences, along seeded random directions, and throws if they disagree.
 *
 * `f` takes the inputs (in order) and returns one tensor. Float inputs must
 * be float64 and so must the output: central differences need its precision.
 * Int32 and bool inputs (a `where` condition, say) are passed through
 * unchanged and not checked. For each float input i it compares
 * `<VJP(u)_i, v_i>` with `<u, (f(.., x_i + h v_i, ..) - f(.., x_i - h v_i, ..)) / 2h>`,
 * u and v standard normal. With `order: 2` it then checks the VJP of f the
 * same way, with respect to each input and to u, through nested tapes.
 *
 * Pick inputs away from kinks and ties (relu at 0, `maximum` of equal values)
 * and inside the domain (log of positives): within h of a kink the central
 * difference straddles it. Throws an Error naming f, the input, the order and
 * both values on a mismatch; returns every comparison on success.
 *
 * @param f - The function to check: the inputs in order, one tensor out (float64).
 * @param inputs - The point to check at: a tensor or an array of tensors; float inputs float64, int32 and bool ones
 *   passed through.
 * @param options - `order` (1 or 2; default 1), `eps` (the step h; default 1e-6), `rtol` (default 1e-5),
 *   `atol` (default 1e-7), `seed` (of the random directions; default 0), `name` (for errors; default
 *   `f.name`): see {@link CheckGradientsOptions}.
 *
 * @example
 * ```ts
 * import { checkGradients, mul, tanh, tensor } from 'tapegrad';
 * const x = tensor([[0.5, -1], [2, 0.1]], undefined, 'float64');
 * const y = tensor([3, -2], undefined, 'float64');
 * const result = checkGradients((a, b) => tanh(mul(a, b)), [x, y], { order: 2 });
 * result.comparisons.length; // 5: order 1 for x and y; order 2 for x, y and the output gradient
 * // A wrong gradient throws instead:
 * // "tapegrad.checkGradients: the gradient of f with respect to input 0 ..."
 * ```
 */
export function checkGradients(
  f: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor | readonly Tensor[],
  options: CheckGradientsOptions = {},
): CheckGradientsResult {
  if (typeof f !== 'function') throw new TypeError(`${C}: f must be a function, got ${describeValue(f)}`);
  // Fresh, untracked copies: a tensor given twice is checked as two inputs (each
  // perturbed alone), and a variable as the value it has now.
  const xs = inputList(inputs).map((x) => stopGradient(x));
  const order = options.order ?? 1;
  if (order !== 1 && order !== 2) throw new RangeError(`${C}: order must be 1 or 2, got ${String(order)}`);
  const settings: Settings = {
    eps: positive('eps', options.eps ?? 1e-6),
    rtol: nonNegative('rtol', options.rtol ?? 1e-5),
    atol: nonNegative('atol', options.atol ?? 1e-7),
    name: options.name ?? (f.name || 'f'),
  };
  const seed = options.seed ?? 0;
  checkSeed('checkGradients', seed);
  xs.forEach((x, i) => {
    if (isFloat(x.dtype) && x.dtype !== 'float64') {
      throw new TypeError(
        `${C}: input ${i} of ${settings.name} is ${x.dtype}; central differences need float64, ` +
          `so pass cast(x, 'float64') (f may cast back inside)`,
      );
    }
  });

  const first = compareVjp(f, xs, settings, seed, 1, (i) => `input ${i}`);
  const comparisons = [...first];
  if (order === 2) {
    const { g, u } = vjpAsFunction(f, xs, settings.name, seed + 1000);
    const second = compareVjp(g, [...xs, u], settings, seed + 2000, 2, (i) =>
      i === xs.length ? 'the output gradient u' : `input ${i}`,
    );
    comparisons.push(...second);
  }
  const worstRatio = comparisons.reduce((m, c) => Math.max(m, c.tolerance > 0 ? c.error / c.tolerance : 0), 0);
  return { name: settings.name, comparisons, worstRatio };
}

/**
 * The central-difference directional derivative of `f` at `inputs` along
 * `directions`: `(f(x + h v) - f(x - h v)) / 2h`, where `v` moves every input
 * that has a direction (an `undefined` direction leaves that input fixed).
 * Nothing is recorded on any tape. Inputs and output should be float64.
 *
 * @param f - The function: the inputs in order, one tensor out (float64 for precision).
 * @param inputs - The point: a tensor or an array of tensors.
 * @param directions - The direction for each input, of its shape, or `undefined` to keep that input fixed; one tensor
 *   for a single input.
 * @param eps - The step h of the central difference; default 1e-6.
 *
 * @example
 * ```ts
 * import { numericJvp, square, tensor } from 'tapegrad';
 * const x = tensor([1, 2], undefined, 'float64');
 * const v = tensor([1, 0], undefined, 'float64');
 * numericJvp((a) => square(a), [x], [v]); // ~[2, 0]: d(x^2) along v = 2 x v
 * ```
 */
export function numericJvp(
  f: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor | readonly Tensor[],
  directions: Tensor | readonly (Tensor | undefined)[],
  eps = 1e-6,
): Tensor {
  const xs = inputList(inputs);
  const vs = directions instanceof Tensor ? [directions] : directions;
  if (!Array.isArray(vs) || vs.length !== xs.length) {
    throw new Error(
      `tapegrad.numericJvp: got ${Array.isArray(vs) ? vs.length : 'no array of'} directions for ${xs.length} inputs; ` +
        'give one per input (undefined to hold an input fixed)',
    );
  }
  vs.forEach((v: Tensor | undefined, i) => {
    if (v !== undefined && !shapesEqual(v.shape, xs[i]!.shape)) {
      throw new Error(
        `tapegrad.numericJvp: direction ${i} has shape ${formatShape(v.shape)} but input ${i} has shape ` +
          `${formatShape(xs[i]!.shape)}; each direction must have its input's shape`,
      );
    }
  });
  positive('eps', eps, 'tapegrad.numericJvp');
  return withoutRecording(() => {
    const step = (sign: number) => xs.map((x, i) => (vs[i] === undefined ? x : add(x, mul(vs[i]!, sign * eps))));
    const plus = callF(f, step(1), 'tapegrad.numericJvp', f.name || 'f');
    const minus = callF(f, step(-1), 'tapegrad.numericJvp', f.name || 'f');
    if (!shapesEqual(plus.shape, minus.shape)) {
      throw new Error(
        `tapegrad.numericJvp: ${f.name || 'f'} returned shapes ${formatShape(plus.shape)} and ` +
          `${formatShape(minus.shape)} at nearby points; it must return one shape`,
      );
    }
    return mul(sub(plus, minus), 1 / (2 * eps));
  });
}

/** A random direction of `shape`, seeded with `seed` (wrapped into [0, 2^32): offsets from the user's seed may pass it). */
function direction(shape: readonly number[], seed: number): Tensor {
  return randomNormal(shape, 0, 1, 'float64', seed % 4294967296);
}

/** The comparisons of `<VJP(u), v_i>` with the numeric `<u, JVP(v_i)>` for every float input i. */
function compareVjp(
  f: (...inputs: Tensor[]) => Tensor,
  xs: readonly Tensor[],
  settings: Settings,
  seed: number,
  order: 1 | 2,
  inputName: (i: number) => string,
): GradientComparison[] {
  const { name, eps, rtol, atol } = settings;
  const floats = xs.filter((x) => isFloat(x.dtype));
  const tape = new GradientTape();
  let y: Tensor;
  try {
    tape.watch(floats);
    y = callF(f, xs, C, name);
  } finally {
    tape.stop();
  }
  if (y.dtype !== 'float64') {
    throw new TypeError(
      `${C}: ${name} returned a tensor of dtype ${y.dtype}; central differences need float64, ` +
        `so return cast(y, 'float64')`,
    );
  }
  const u = direction(y.shape, seed);
  const grads = tape.gradient(y, xs, u);

  const comparisons: GradientComparison[] = [];
  xs.forEach((x, i) => {
    if (!isFloat(x.dtype)) return;
    const v = direction(x.shape, seed + 1 + i);
    const g = grads[i];
    const analytic = g === undefined ? 0 : dot(g, v);
    const directions = xs.map((_, j) => (j === i ? v : undefined));
    const jvp = numericJvp(f, xs, directions, eps);
    if (!shapesEqual(jvp.shape, y.shape)) {
      throw new Error(
        `${C}: ${name} returned shape ${formatShape(y.shape)} at the inputs but ${formatShape(jvp.shape)} ` +
          'at nearby points; it must return one shape',
      );
    }
    const numeric = dot(u, jvp);
    const error = Math.abs(analytic - numeric);
    const tolerance = atol + rtol * Math.max(Math.abs(analytic), Math.abs(numeric));
    comparisons.push({ order, input: i, analytic, numeric, error, tolerance });
    if (!(error <= tolerance)) {
      const what = order === 1 ? 'the gradient' : 'the gradient of the gradient (order 2)';
      const missing =
        g === undefined
          ? order === 1
            ? '; the tape gave no gradient for this input at all'
            : '; the tape recorded nothing in the VJP that depends on it'
          : '';
      const hint = order === 1 ? 'the VJP rule' : 'that the VJP rule is written in differentiable ops only';
      throw new Error(
        `${C}: ${what} of ${name} with respect to ${inputName(i)} (${x.dtype} ${formatShape(x.shape)}) ` +
          `is wrong: reverse mode gives <VJP(u), v> = ${analytic} but central differences ` +
          `(h = ${short(eps)}) give <u, JVP(v)> = ${numeric}; they differ by ${short(error)}, ` +
          `more than the tolerance ${short(tolerance)} (atol ${short(atol)} + rtol ${short(rtol)} x magnitude)` +
          `${missing}. Check ${hint}, or move the inputs away from kinks and ties`,
      );
    }
  });
  return comparisons;
}

/**
 * `g(...xs, u) = sum_i <VJP_f(xs)(u)_i, w_i>` for fixed random w, with the VJP
 * taken by a tape inside g, so that a tape outside g differentiates the VJP.
 * u (the output gradient) is an input too: the VJP must be right in it as well.
 */
function vjpAsFunction(
  f: (...inputs: Tensor[]) => Tensor,
  xs: readonly Tensor[],
  name: string,
  seed: number,
): { g: (...args: Tensor[]) => Tensor; u: Tensor } {
  const y = withoutRecording(() => callF(f, xs, C, name));
  const u = direction(y.shape, seed);
  const ws = xs.map((x, i) => (isFloat(x.dtype) ? direction(x.shape, seed + 1 + i) : undefined));
  const n = xs.length;
  const g = (...args: Tensor[]): Tensor => {
    const inner = args.slice(0, n);
    const tape = new GradientTape();
    let out: Tensor;
    try {
      tape.watch(inner.filter((x) => isFloat(x.dtype)));
      out = callF(f, inner, C, name);
    } finally {
      tape.stop();
    }
    const grads = tape.gradient(out, inner, args[n]!);
    let total: Tensor = zeros([], 'float64');
    grads.forEach((gi, i) => {
      if (gi !== undefined && ws[i] !== undefined) total = add(total, sum(mul(gi, ws[i]!)));
    });
    return total;
  };
  return { g, u };
}

/** A tolerance-sized number in short form: 1e-6, 2.3e-4. */
function short(x: number): string {
  return Number(x.toPrecision(4)).toExponential();
}

/** `<a, b>` over all elements, accumulated in float64. */
function dot(a: Tensor, b: Tensor): number {
  const x = a.values;
  const y = b.values;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

function callF(f: (...inputs: Tensor[]) => Tensor, xs: readonly Tensor[], op: string, name: string): Tensor {
  const y: unknown = f(...xs);
  if (!(y instanceof Tensor)) {
    throw new TypeError(`${op}: ${name} must return a tensor, got ${y === null ? 'null' : typeof y}`);
  }
  return y;
}

function inputList(inputs: Tensor | readonly Tensor[]): readonly Tensor[] {
  const xs = inputs instanceof Tensor ? [inputs] : inputs;
  if (!Array.isArray(xs)) throw new TypeError(`${C}: inputs must be a tensor or an array of tensors`);
  xs.forEach((x: unknown, i) => {
    if (!(x instanceof Tensor)) throw new TypeError(`${C}: inputs[${i}] is not a tensor`);
  });
  return xs;
}

function positive(option: string, value: number, op = C): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${op}: ${option} must be a finite positive number, got ${value}`);
  }
  return value;
}

function nonNegative(option: string, value: number): number {
  if (!(value >= 0)) throw new RangeError(`${C}: ${option} must be a non-negative number, got ${value}`);
  return value;
}
