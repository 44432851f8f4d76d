/**
 * The functional API, in the style of JAX and TensorFlow.js: transformations
 * that take a function and return one computing its gradient. Each call of
 * the returned function runs `f` under a fresh GradientTape. The inputs are
 * passed to `f` as fresh copies (`identity`), so an input given twice is two
 * inputs, and a tape recording outside the call records the copy and the
 * backward pass: `grad(grad(f))` is the second derivative.
 */
import { describeValue } from './format.js';
import { convertToTensor } from './creation.js';
import { isFloat, type TypedArray } from './dtype.js';
import { gradientsHandedOver } from './kernels/recycling.js';
import { identity } from './ops/index.js';
import { formatShape, shapesEqual } from './shape.js';
import { GradientTape } from './tape.js';
import { setOwn } from './tape-arguments.js';
import { Tensor, type TensorLike } from './tensor.js';
import { Variable } from './variable.js';

/**
 * Options of {@link grad}, {@link grads}, {@link valueAndGrad} and {@link valueAndGrads}.
 *
 * @typeParam HasAux - Whether `f` returns `[value, aux]`.
 * @example
 * ```ts
 * import { grad, tensor, type FunctionalOptions, type Tensor } from 'tapegrad';
 * const options: FunctionalOptions<true> = { hasAux: true };
 * const [g, aux] = grad((x: Tensor) => [x.square().sum(), 'note'] as const, options)(tensor([1, 2]));
 * g; // [2, 4]
 * aux; // 'note'
 * ```
 */
export interface FunctionalOptions<HasAux extends boolean = boolean> {
  /**
   * `f` returns `[value, aux]` instead of `value`; the transformed function
   * also returns `aux`, untouched (JAX's `has_aux`). Default false.
   */
  hasAux?: HasAux;
}

/**
 * A function `f` for {@link grads} and {@link valueAndGrads}: tensors in, one tensor out.
 *
 * @example
 * ```ts
 * import { type Tensor, type TensorFunction } from 'tapegrad';
 * const f: TensorFunction = (a: Tensor, b: Tensor) => a.mul(b).sum();
 * f(tensor([1, 2]), tensor([3, 4])); // 11
 * ```
 */
export type TensorFunction = (...args: Tensor[]) => Tensor;

/**
 * A function for the `hasAux` forms: tensors in, `[value, aux]` out.
 *
 * @typeParam A - The type of `aux`.
 * @example
 * ```ts
 * import { type AuxFunction, type Tensor } from 'tapegrad';
 * const f: AuxFunction<number> = (x: Tensor) => [x.sum(), x.size];
 * f(tensor([1, 2]))[1]; // 2
 * ```
 */
export type AuxFunction<A> = (...args: Tensor[]) => readonly [Tensor, A];

/**
 * What {@link valueAndGrad} gives: `f`'s value and its gradient (and `aux` with `hasAux`).
 *
 * @example
 * ```ts
 * import { valueAndGrad, tensor, type ValueAndGrad } from 'tapegrad';
 * const result: ValueAndGrad = valueAndGrad((x) => x.square().sum())(tensor([3]));
 * result.value; // 9
 * result.grad; // [6]
 * ```
 */
export interface ValueAndGrad {
  /** `f(x)`. */
  value: Tensor;
  /** The gradient of `f` at `x`. */
  grad: Tensor;
}

/**
 * The `aux` that the `hasAux` forms of {@link valueAndGrad} and {@link valueAndGrads} add to their result.
 *
 * @typeParam A - What `f` returns beside its value.
 * @example
 * ```ts
 * import { valueAndGrad, tensor, type Tensor, type ValueAndGrad, type WithAux } from 'tapegrad';
 * const f = (x: Tensor) => [x.sum(), 'aux'] as const;
 * const result: ValueAndGrad & WithAux<'aux'> = valueAndGrad(f, { hasAux: true })(tensor([1]));
 * result.aux; // 'aux'
 * ```
 */
export interface WithAux<A> {
  /** What `f` returned beside its value, untouched. */
  aux: A;
}

/**
 * What {@link valueAndGrads} gives: `f`'s value and one gradient per argument.
 *
 * @example
 * ```ts
 * import { valueAndGrads, tensor, type ValueAndGrads } from 'tapegrad';
 * const result: ValueAndGrads = valueAndGrads((a, b) => a.mul(b).sum())([tensor([2]), tensor([5])]);
 * result.value; // 10
 * result.grads; // [[5], [2]]
 * ```
 */
export interface ValueAndGrads {
  /** `f(...args)`. */
  value: Tensor;
  /** The gradient of `f` with respect to each argument, in order. */
  grads: Tensor[];
}

/**
 * What {@link variableGrads} gives: `f`'s value and the gradient of each trainable variable, by name.
 *
 * @example
 * ```ts
 * import { variable, variableGrads, type VariableGrads } from 'tapegrad';
 * const w = variable([1, 2], { name: 'w' });
 * const result: VariableGrads = variableGrads(() => w.square().sum());
 * result.grads.w; // [2, 4]
 * ```
 */
export interface VariableGrads {
  /** `f()`, a scalar. */
  value: Tensor;
  /** The gradient of each variable `f`'s value depends on, keyed by the variable's name. */
  grads: { [name: string]: Tensor };
}

/**
 * Takes `f` (a tensor in, a scalar tensor out) and returns the function
 * `(x, dy?) => df/dx`, as TensorFlow.js `tf.grad` and JAX `jax.grad`. The
 * gradient has `x`'s shape and dtype. With `dy` (of `f(x)`'s shape), `f` may
 * return any shape and the result is the gradient of `sum(f(x) * dy)`.
 * With `{ hasAux: true }`, `f` returns `[value, aux]` and the result is
 * `[gradient, aux]`.
 *
 * Throws when `f` does not return a tensor, returns a non-scalar without
 * `dy`, or returns a value that does not depend on `x` (TensorFlow.js throws
 * there too; JAX would give zeros): every op from `x` to the value must run
 * inside `f`.
 *
 * @param f - The function to differentiate: one tensor in, one tensor out (a scalar, unless called with `dy`).
 * @param options - `hasAux`: `f` returns `[value, aux]`, and the result carries `aux` along; default false.
 *
 * @example
 * ```ts
 * import { grad, tensor } from 'tapegrad';
 * const f = (x: Tensor) => x.pow(3).sum(); // sum of x^3
 * const df = grad(f);
 * df(tensor([1, 2])); // [3, 12]: 3x^2
 * grad((x) => df(x).sum())(tensor([1, 2])); // [6, 12]: 6x
 * grad((x) => x.square())(tensor([1, 2]), tensor([10, 100])); // [20, 400]: seeded with dy
 * ```
 */
export function grad(
  f: (x: Tensor) => Tensor,
  options?: FunctionalOptions<false>,
): (x: TensorLike, dy?: TensorLike) => Tensor;
export function grad<A>(
  f: (x: Tensor) => readonly [Tensor, A],
  options: FunctionalOptions<true>,
): (x: TensorLike, dy?: TensorLike) => [Tensor, A];
export function grad(
  f: (x: Tensor) => unknown,
  options: FunctionalOptions = {},
): (x: TensorLike, dy?: TensorLike) => Tensor | [Tensor, unknown] {
  const hasAux = auxOption('grad', f, options);
  return (x, dy) => {
    const { grads, aux } = differentiate('grad', f, [x], dy, hasAux);
    return hasAux ? [grads[0]!, aux] : grads[0]!;
  };
}

/**
 * Takes `f` (tensors in, a scalar tensor out) and returns the function
 * `(args, dy?) => [df/dargs[0], df/dargs[1], ...]`, as TensorFlow.js
 * `tf.grads`. As {@link grad}, for a list of arguments.
 *
 * @param f - The function to differentiate: tensors in, one tensor out (a scalar, unless called with `dy`).
 * @param options - `hasAux`: `f` returns `[value, aux]`, and the result carries `aux` along; default false.
 *
 * @example
 * ```ts
 * import { grads, tensor } from 'tapegrad';
 * const f = (a: Tensor, b: Tensor) => a.mul(b).sum();
 * const [da, db] = grads(f)([tensor([1, 2]), tensor([3, 4])]);
 * da; // [3, 4]
 * db; // [1, 2]
 * ```
 */
export function grads(
  f: TensorFunction,
  options?: FunctionalOptions<false>,
): (args: readonly TensorLike[], dy?: TensorLike) => Tensor[];
export function grads<A>(
  f: AuxFunction<A>,
  options: FunctionalOptions<true>,
): (args: readonly TensorLike[], dy?: TensorLike) => [Tensor[], A];
export function grads(
  f: (...args: Tensor[]) => unknown,
  options: FunctionalOptions = {},
): (args: readonly TensorLike[], dy?: TensorLike) => Tensor[] | [Tensor[], unknown] {
  const hasAux = auxOption('grads', f, options);
  return (args, dy) => {
    const result = differentiate('grads', f, argList('grads', args), dy, hasAux);
    return hasAux ? [result.grads, result.aux] : result.grads;
  };
}

/**
 * Like {@link grad}, but the function returns `{ value, grad }`: `f(x)` as
 * well as its gradient, from one run of `f` (TensorFlow.js
 * `tf.valueAndGrad`, JAX `jax.value_and_grad`). With `{ hasAux: true }` it
 * returns `{ value, grad, aux }`.
 *
 * @param f - The function to differentiate: one tensor in, one tensor out (a scalar, unless called with `dy`).
 * @param options - `hasAux`: `f` returns `[value, aux]`, and the result carries `aux` along; default false.
 *
 * @example
 * ```ts
 * import { valueAndGrad, tensor } from 'tapegrad';
 * const { value, grad: g } = valueAndGrad((x: Tensor) => x.square().sum())(tensor([1, 2]));
 * value; // 5
 * g; // [2, 4]
 * ```
 */
export function valueAndGrad(
  f: (x: Tensor) => Tensor,
  options?: FunctionalOptions<false>,
): (x: TensorLike, dy?: TensorLike) => ValueAndGrad;
export function valueAndGrad<A>(
  f: (x: Tensor) => readonly [Tensor, A],
  options: FunctionalOptions<true>,
): (x: TensorLike, dy?: TensorLike) => ValueAndGrad & WithAux<A>;
export function valueAndGrad(
  f: (x: Tensor) => unknown,
  options: FunctionalOptions = {},
): (x: TensorLike, dy?: TensorLike) => ValueAndGrad & Partial<WithAux<unknown>> {
  const hasAux = auxOption('valueAndGrad', f, options);
  return (x, dy) => {
    const { value, grads, aux } = differentiate('valueAndGrad', f, [x], dy, hasAux);
    return hasAux ? { value, grad: grads[0]!, aux } : { value, grad: grads[0]! };
  };
}

/**
 * Like {@link grads}, but the function returns `{ value, grads }`
 * (TensorFlow.js `tf.valueAndGrads`). With `{ hasAux: true }` it returns
 * `{ value, grads, aux }`.
 *
 * @param f - The function to differentiate: tensors in, one tensor out (a scalar, unless called with `dy`).
 * @param options - `hasAux`: `f` returns `[value, aux]`, and the result carries `aux` along; default false.
 *
 * @example
 * ```ts
 * import { valueAndGrads, tensor } from 'tapegrad';
 * const f = (a: Tensor, b: Tensor) => a.mul(b).sum();
 * const { value, grads: gs } = valueAndGrads(f)([tensor([1, 2]), tensor([3, 4])]);
 * value; // 11
 * gs; // [[3, 4], [1, 2]]
 * ```
 */
export function valueAndGrads(
  f: TensorFunction,
  options?: FunctionalOptions<false>,
): (args: readonly TensorLike[], dy?: TensorLike) => ValueAndGrads;
export function valueAndGrads<A>(
  f: AuxFunction<A>,
  options: FunctionalOptions<true>,
): (args: readonly TensorLike[], dy?: TensorLike) => ValueAndGrads & WithAux<A>;
export function valueAndGrads(
  f: (...args: Tensor[]) => unknown,
  options: FunctionalOptions = {},
): (args: readonly TensorLike[], dy?: TensorLike) => ValueAndGrads & Partial<WithAux<unknown>> {
  const hasAux = auxOption('valueAndGrads', f, options);
  return (args, dy) => {
    const { value, grads, aux } = differentiate('valueAndGrads', f, argList('valueAndGrads', args), dy, hasAux);
    return hasAux ? { value, grads, aux } : { value, grads };
  };
}

/**
 * The cotangent argument of the function {@link vjp} returns: one tensor
 * (or array, or number) of each output's shape.
 *
 * @typeParam R - What `f` returns: a tensor or an array of tensors.
 * @example
 * ```ts
 * import { type Cotangent, type Tensor } from 'tapegrad';
 * const one: Cotangent<Tensor> = [1, 1]; // for a single output of shape [2]
 * const two: Cotangent<Tensor[]> = [1, [1, 1]]; // for a scalar and a [2] output
 * ```
 */
export type Cotangent<R extends Tensor | readonly Tensor[]> = R extends Tensor
  ? TensorLike
  : { readonly [K in keyof R]: TensorLike };

/**
 * Runs `f(...primals)` and returns `[outputs, vjpFn]`, as JAX `jax.vjp`:
 * `vjpFn(cotangent)` gives the vector-Jacobian product, one gradient per
 * primal, for a cotangent of the outputs' structure and shapes (a tensor for
 * a tensor output, an array for an array of outputs). `vjpFn` may be called
 * any number of times. A primal the outputs do not depend on gets zeros (as
 * JAX).
 *
 * @param f - The function: tensors in, a tensor or a non-empty array of tensors out.
 * @param primals - The arguments to call `f` with: tensors, numbers or (nested) arrays.
 *
 * @typeParam R - What `f` returns: a tensor or an array of tensors.
 * @example
 * ```ts
 * import { vjp, tensor } from 'tapegrad';
 * const [y, vjpFn] = vjp((a, b) => a.mul(b), tensor([1, 2]), tensor([3, 4]));
 * y; // [3, 8]
 * vjpFn(tensor([1, 10])); // [[3, 40], [1, 20]]
 * vjpFn([1, 1]); // [[3, 4], [1, 2]]
 * ```
 */
export function vjp<R extends Tensor | readonly Tensor[]>(
  f: (...primals: Tensor[]) => R,
  ...primals: TensorLike[]
): [R, (cotangent: Cotangent<R>) => Tensor[]] {
  const V = 'tapegrad.vjp';
  checkFunction('vjp', f);
  const xs = primals.map((p, i) => source('vjp', p, i, 'primals'));
  const tape = new GradientTape({ persistent: true, watchAccessedVariables: false });
  let outputs: R;
  try {
    tape.watch(xs);
    outputs = f(...xs);
  } finally {
    tape.stop();
  }
  const single = outputs instanceof Tensor;
  const list: readonly unknown[] = single ? [outputs] : Array.isArray(outputs) ? outputs : [];
  if (!single && (!Array.isArray(outputs) || list.length === 0 || !list.every((y) => y instanceof Tensor))) {
    throw new TypeError(`${V}: f must return a tensor or a non-empty array of tensors, got ${describeValue(outputs)}`);
  }
  const ys = list as readonly Tensor[];
  const vjpFn = (cotangent: Cotangent<R>): Tensor[] => {
    const cts: readonly unknown[] = single ? [cotangent] : Array.isArray(cotangent) ? cotangent : [];
    if (cts.length !== ys.length) {
      throw new Error(
        `${V}: the cotangent must match f's outputs: ${ys.length} outputs ` +
          `(${ys.map((y) => formatShape(y.shape)).join(', ')}), got ${single ? 1 : cts.length}; ` +
          'give one tensor per output, of its shape',
      );
    }
    const seeds = ys.map((y, i) => seedOf('vjp', `cotangent ${i}`, cts[i] as TensorLike, y, `output ${i}`));
    return tape.gradient(ys, xs, seeds, { unconnectedGradients: 'zero' });
  };
  return [outputs, vjpFn];
}

/**
 * Takes `f` (a tensor in, a scalar out) and returns the function giving its
 * Hessian at `x`: the matrix of second derivatives, of shape
 * `[...x.shape, ...x.shape]` (`H[i..., j...] = d2f / dx[i...] dx[j...]`, as
 * JAX `jax.hessian`). It is the Jacobian of the gradient
 * ({@link GradientTape.jacobian}), taken by an outer tape around the
 * gradient's backward pass: one backward pass per element of `x`. Where `f`'s gradient does not depend on `x` (f linear) the Hessian is
 * zeros.
 *
 * @param f - The function: one tensor in, a scalar tensor out, twice differentiable.
 *
 * @example
 * ```ts
 * import { hessian, tensor } from 'tapegrad';
 * const f = (x: Tensor) => x.pow(3).sum().add(x.sum().square()); // sum x^3 + (sum x)^2
 * hessian(f)(tensor([1, 2])); // [[8, 2], [2, 14]]: diag(6x) + 2
 * ```
 */
export function hessian(f: (x: Tensor) => Tensor): (x: TensorLike) => Tensor {
  checkFunction('hessian', f);
  return (x) => {
    const x0 = source('hessian', x, -1);
    const tape = new GradientTape({ persistent: true, watchAccessedVariables: false });
    let g: Tensor;
    try {
      tape.watch(x0);
      g = differentiate('hessian', f, [x0], undefined, false).grads[0]!;
    } finally {
      tape.stop();
    }
    return tape.jacobian(g, x0, { unconnectedGradients: 'zero' });
  };
}

/**
 * Takes `f` (no arguments, a scalar out) and returns `{ value, grads }`:
 * `f()` and the gradient of each trainable variable it depends on, keyed by
 * the variable's name (TensorFlow.js `tf.variableGrads`). Without `varList`
 * the variables are the trainable ones `f` reads; with it, those of its
 * variables that are trainable. A variable the value does not depend on (or
 * a non-trainable one in `varList`) is left out of `grads`. Throws when
 * `f`'s value depends on none of them, or when two share a name.
 *
 * @param f - The loss: no arguments, a scalar tensor out, computed from trainable variables.
 * @param varList - The variables to differentiate with respect to; default the trainable ones `f` reads.
 *
 * @example
 * ```ts
 * import { variable, variableGrads, tensor } from 'tapegrad';
 * const w = variable([1, 2], { name: 'w' });
 * const b = variable([3], { name: 'b' });
 * const loss = () => w.mul(tensor([3, 4])).sum().add(b.sum()); // loss = 3 w0 + 4 w1 + b0
 * const { value, grads: gs } = variableGrads(loss);
 * value; // 14
 * gs.w; // [3, 4]
 * gs.b; // [1]
 * Object.keys(variableGrads(loss, [b]).grads); // ['b']
 * ```
 */
export function variableGrads(f: () => Tensor, varList?: readonly Variable[]): VariableGrads {
  const { value, grads } = differentiateVariables(f, varList, false);
  return { value, grads };
}

/**
 * {@link variableGrads}, with the variables it differentiated; with `handOver`, also the large arrays of the
 * gradients that only the caller can hold (lib/kernels/recycling.ts `gradientsHandedOver`), for an optimizer to
 * give back once it has applied them. `f` runs under a tape of its own that nothing else reads
 * (lib/recording.ts `privateTape`), so that reading a variable in `f` does not stop an update in place.
 * @internal
 */
export function differentiateVariables(
  f: () => Tensor,
  varList: readonly Variable[] | undefined,
  handOver: boolean,
): VariableGrads & { readonly variables: readonly Variable[]; readonly owned: readonly TypedArray[] } {
  const V = 'tapegrad.variableGrads';
  checkFunction('variableGrads', f);
  let listed: Variable[] | undefined;
  if (varList !== undefined) {
    if (!Array.isArray(varList)) {
      throw new TypeError(`${V}: varList must be an array of variables, got ${describeValue(varList)}`);
    }
    varList.forEach((v: unknown, i) => {
      if (!(v instanceof Variable)) {
        throw new TypeError(`${V}: varList[${i}] is not a variable (got ${describeValue(v)}); make it with variable()`);
      }
    });
    listed = varList.filter((v) => v.trainable && isFloat(v.dtype));
    if (listed.length === 0) {
      throw new Error(
        `${V}: none of the ${varList.length} variables in varList is a trainable float variable; ` +
          'pass at least one (variable(x) is trainable by default)',
      );
    }
  }
  const tape = new GradientTape({ watchAccessedVariables: listed === undefined });
  let value: unknown;
  let vars: Variable[];
  try {
    if (listed !== undefined) tape.watch(listed);
    value = tape.recordPrivately(f);
    vars = listed ?? tape.watchedVariables();
  } finally {
    tape.stop();
  }
  const y = checkedValue('variableGrads', value, false);
  if (vars.length === 0) {
    throw new Error(`${V}: f read no trainable variable; compute the value from trainable variables inside f`);
  }
  const byName = new Map<string, Variable>();
  for (const v of vars) {
    if (byName.has(v.name)) {
      throw new Error(`${V}: two variables are named '${v.name}'; give each variable a unique name`);
    }
    byName.set(v.name, v);
  }
  const { result: gs, owned } = handOver
    ? gradientsHandedOver(() => tape.gradient(y, vars))
    : { result: tape.gradient(y, vars), owned: [] };
  const out: { [name: string]: Tensor } = {};
  vars.forEach((v, i) => {
    if (gs[i] !== undefined) setOwn(out, v.name, gs[i]); // a variable may be named '__proto__'
  });
  if (Object.keys(out).length === 0) {
    throw new Error(
      `${V}: the value of f depends on none of the variables ${vars.map((v) => `'${v.name}'`).join(', ')}; ` +
        'compute it from them inside f (a value computed before f runs, or cut by stopGradient, has no gradient)',
    );
  }
  return { value: y, grads: out, variables: vars, owned };
}

/** One run of f under a fresh tape: its value, the gradient of each argument, and its aux. */
function differentiate(
  fn: string,
  f: (...args: Tensor[]) => unknown,
  args: readonly TensorLike[],
  dy: TensorLike | undefined,
  hasAux: boolean,
): { value: Tensor; grads: Tensor[]; aux: unknown } {
  const single = fn !== 'grads' && fn !== 'valueAndGrads';
  const xs = args.map((a, i) => source(fn, a, single ? -1 : i));
  const tape = new GradientTape({ watchAccessedVariables: false });
  try {
    tape.watch(xs);
    const out = f(...xs);
    const [value, aux] = hasAux ? splitAux(fn, out) : [out, undefined];
    const y = checkedValue(fn, value, dy !== undefined);
    const seed = dy === undefined ? undefined : seedOf(fn, 'dy', dy, y);
    const gs = tape.gradient(y, xs, seed);
    gs.forEach((g, i) => {
      if (g !== undefined) return;
      const which = single ? 'x' : `args[${i}]`;
      throw new Error(
        `tapegrad.${fn}: cannot compute the gradient of y = f(${single ? 'x' : '...args'}) with respect to ` +
          `${which}: y does not depend on it; make sure every operation from ${which} to y runs inside f ` +
          '(a value computed outside f, or cut by stopGradient, has no gradient)',
      );
    });
    return { value: y, grads: gs as Tensor[], aux };
  } finally {
    tape.stop(); // also when f or a check throws: no tape is left recording
  }
}

/** `[value, aux]` from what f returned with `{ hasAux: true }`. */
function splitAux(fn: string, out: unknown): readonly [unknown, unknown] {
  if (!Array.isArray(out) || out.length !== 2) {
    throw new TypeError(
      `tapegrad.${fn}: with { hasAux: true }, f must return [value, aux], got ${describeValue(out)}` +
        (Array.isArray(out) ? ` of length ${out.length}` : ''),
    );
  }
  return [out[0], out[1]];
}

/** An argument as a fresh float tensor, so that f's inputs are distinct and untracked by the new tape. */
function source(fn: string, x: TensorLike, i: number, list = 'args'): Tensor {
  const name = i < 0 ? 'x' : `${list}[${i}]`;
  const t = convertToTensor(fn, name, x);
  if (!isFloat(t.dtype)) {
    throw new TypeError(
      `tapegrad.${fn}: ${name} is ${t.dtype}, but gradients are taken with respect to float tensors; ` +
        `cast it with cast(x, 'float32')`,
    );
  }
  return identity(t);
}

function seedOf(fn: string, name: string, dy: TensorLike, y: Tensor, of = "f's value"): Tensor {
  const seed = convertToTensor(fn, name, dy, y.dtype);
  if (!shapesEqual(seed.shape, y.shape)) {
    throw new Error(
      `tapegrad.${fn}: ${name} has shape ${formatShape(seed.shape)} but ${of} has shape ` +
        `${formatShape(y.shape)}; give ${name} the shape of ${of}`,
    );
  }
  if (seed.dtype !== y.dtype) {
    throw new TypeError(
      `tapegrad.${fn}: ${name} is ${seed.dtype} but ${of} is ${y.dtype}; cast it with cast(${name}, '${y.dtype}')`,
    );
  }
  return seed;
}

/** f's value, checked: a float tensor, and a scalar unless a dy seeds it. */
function checkedValue(fn: string, value: unknown, seeded: boolean): Tensor {
  if (!(value instanceof Tensor)) {
    throw new TypeError(`tapegrad.${fn}: f must return a tensor, got ${describeValue(value)}`);
  }
  if (!isFloat(value.dtype)) {
    throw new TypeError(
      `tapegrad.${fn}: f returned a ${value.dtype} tensor, which has no gradient; return a float tensor`,
    );
  }
  if (!seeded && value.rank !== 0) {
    throw new Error(
      `tapegrad.${fn}: f must return a scalar, but it returned a tensor of shape ${formatShape(value.shape)}; ` +
        (fn === 'variableGrads' || fn === 'hessian'
          ? 'reduce it with sum() or mean()'
          : 'reduce it with sum() or mean(), or pass dy (of its shape) to seed the gradient'),
    );
  }
  return value;
}

function auxOption(fn: string, f: unknown, options: FunctionalOptions): boolean {
  checkFunction(fn, f);
  const hasAux = options?.hasAux ?? false;
  if (typeof hasAux !== 'boolean') {
    throw new TypeError(`tapegrad.${fn}: options.hasAux must be true or false, got ${describeValue(hasAux)}`);
  }
  return hasAux;
}

function argList(fn: string, args: readonly TensorLike[]): readonly TensorLike[] {
  if (!Array.isArray(args)) {
    throw new TypeError(`tapegrad.${fn}: args must be an array of tensors, got ${describeValue(args)}`);
  }
  return args;
}

function checkFunction(fn: string, f: unknown): void {
  if (typeof f !== 'function') throw new TypeError(`tapegrad.${fn}: f must be a function, got ${describeValue(f)}`);
}
