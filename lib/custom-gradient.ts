/**
 * customGradient: a function whose gradient is given by a rule instead of
 * being taken through its forward computation (TensorFlow.js `customGrad`,
 * TensorFlow `custom_gradient`). The forward computation runs with no tape
 * recording; its result is recorded as one entry of the `customGradient` op,
 * whose VJP calls the rule. A rule written in ops from the inputs is
 * recorded by outer tapes, so nested tapes differentiate it again.
 */
import { describeValue } from './format.js';
import { isFloat } from './dtype.js';
import { withoutAccumulators } from './forward.js';
import { defineOp } from './op.js';
import { broadcastsTo, formatShape, shapesEqual } from './shape.js';
import { withoutRecording } from './recording.js';
import { Tensor } from './tensor.js';

/**
 * The `save` function passed as the last argument to a custom function: the
 * tensors given to it reach `gradFunc` as `saved`, in order (a variable as
 * the value it has when saved). Each call replaces what an earlier call saved.
 *
 * @example
 * ```ts
 * import { customGradient, grad, tensor, type SaveFunc, type Tensor } from 'tapegrad';
 * const squared = customGradient((x: Tensor, save: SaveFunc) => {
 *   save([x]);
 *   return { value: x.square(), gradFunc: (dy, [saved]) => [dy.mul(saved!).mul(2)] };
 * });
 * grad((x) => squared(x).sum())(tensor([1, 3])); // [2, 6]
 * ```
 */
export type SaveFunc = (tensors: readonly Tensor[]) => void;

/**
 * A custom gradient rule: given `dy`, the gradient of the custom function's
 * value, returns the gradient of each input (an array, one per input, with
 * `undefined` or `null` for an input that gets none), or one tensor when the
 * function has one input. Write it with tapegrad ops from the inputs (or from
 * `saved`) so that nested tapes can differentiate it again.
 *
 * @example
 * ```ts
 * import { type CustomGradFunc } from 'tapegrad';
 * const halve: CustomGradFunc = (dy) => dy.mul(0.5);
 * halve(tensor([2, 4]), []); // [1, 2]
 * ```
 */
export type CustomGradFunc = (dy: Tensor, saved: Tensor[]) => Tensor | readonly (Tensor | undefined | null)[];

/**
 * What a custom function returns: its value and the rule for its gradient.
 *
 * @example
 * ```ts
 * import { tensor, type CustomGradientResult } from 'tapegrad';
 * const x = tensor([1, 2]);
 * const result: CustomGradientResult = { value: x.exp(), gradFunc: (dy) => [dy.mul(x.exp())] };
 * result.value.shape; // [2]
 * ```
 */
export interface CustomGradientResult {
  /** The function's value: one tensor. */
  value: Tensor;
  /** The gradient rule, called once per backward pass through this value. */
  gradFunc: CustomGradFunc;
}

/**
 * Options of {@link customGradient}.
 *
 * @example
 * ```ts
 * import { customGradient, type CustomGradientOptions } from 'tapegrad';
 * const options: CustomGradientOptions = { name: 'clipNorm' }; // named in error messages
 * ```
 */
export interface CustomGradientOptions {
  /** What error messages call the function (default `f.name`, else `'f'`). */
  name?: string;
}

/**
 * The inputs of the function {@link customGradient} returns: the parameters
 * of `f` without its trailing `save` parameter.
 *
 * @typeParam F - The type of the custom function `f`.
 * @example
 * ```ts
 * import { type CustomGradientInputs, type SaveFunc, type Tensor } from 'tapegrad';
 * type Inputs = CustomGradientInputs<(a: Tensor, b: Tensor, save: SaveFunc) => never>; // that is, [a: Tensor, b: Tensor]
 * ```
 */
export type CustomGradientInputs<F extends (...args: never[]) => unknown> =
  Parameters<F> extends [...infer I extends Tensor[], SaveFunc]
    ? I
    : Parameters<F> extends infer P extends Tensor[]
      ? P
      : Tensor[];

interface CustomAttrs {
  readonly name: string;
  readonly value: Tensor;
  readonly gradFunc: CustomGradFunc;
  readonly saved: readonly Tensor[];
}

const C = 'tapegrad.customGradient';

declare module './op.js' {
  interface OpsWithGradient {
    customGradient: CustomAttrs;
  }
}

const customGradientOp = defineOp('customGradient', {
  // The value f computed, in a new tensor: the entry's output must not be one of its inputs.
  forward: (_inputs, { value }) => new Tensor(value.storage, value.shape, value.dtype),
  // The user's rule, checked: one gradient per input, in its shape (or one it broadcasts to) and dtype.
  vjp: (dy, inputs, _y, { name, gradFunc, saved }, needs) =>
    checkedGradients(name, gradFunc(dy, saved.slice()), inputs, needs),
});

/**
 * Gives a function a gradient rule of your own, as TensorFlow.js
 * `tf.customGrad`. `f(...inputs, save)` returns `{ value, gradFunc }`; the
 * returned function takes the same tensor inputs, runs `f` at once and
 * returns `value`. Tapes never see the operations inside `f`: a backward pass
 * through the value calls `gradFunc(dy, saved)` instead, which returns one
 * gradient per input (`undefined` or `null` for none), each of the input's
 * shape (or a shape the input broadcasts to; it is summed back, as for every
 * op) and dtype. Write `gradFunc` with tapegrad ops from the inputs to get
 * higher derivatives from nested tapes; tensors computed inside `f` are
 * constants to every tape. Forward mode ({@link ForwardAccumulator},
 * {@link jvp}) does not see inside `f` either: it takes the tangent from the
 * rule, by transposing it (which needs `gradFunc` linear in `dy`, as every
 * correct rule is).
 *
 * Annotate the parameters of `f` (`(x: Tensor, save: SaveFunc) => ...`):
 * TypeScript then types the returned function's inputs. Errors name the
 * function (`options.name`, else `f.name`).
 *
 * @param f - The function: takes tensor inputs, then a {@link SaveFunc}, and returns `{ value, gradFunc }` (see above).
 * @param options - `name`: the function's name in errors (default `f.name`).
 *
 * @typeParam F - The type of `f`, whose annotated parameters type the returned function.
 * @example
 * ```ts
 * import { customGradient, grad, tensor, type Tensor } from 'tapegrad';
 * // log(1 + e^x), with a gradient that stays finite for large x.
 * const stableSoftplus = customGradient(function stableSoftplus(x: Tensor) {
 *   const e = x.exp();
 *   return { value: e.add(1).log(), gradFunc: (dy: Tensor) => [dy.div(x.neg().exp().add(1))] };
 * });
 * stableSoftplus(tensor([0])); // ~[0.6931472]
 * grad((x) => stableSoftplus(x).sum())(tensor([0, 1000])); // [0.5, 1]
 * ```
 */
export function customGradient<F extends (...args: never[]) => CustomGradientResult>(
  f: F,
  options: CustomGradientOptions = {},
): (...inputs: CustomGradientInputs<F>) => Tensor {
  if (typeof f !== 'function') throw new TypeError(`${C}: f must be a function, got ${describeValue(f)}`);
  const name = options.name ?? (f.name || 'f');
  const where = `${C}: '${name}'`;
  return (...inputs: Tensor[]): Tensor => {
    inputs.forEach((x: unknown, i) => {
      if (!(x instanceof Tensor)) {
        throw new TypeError(
          `${where} was called with input ${i} that is not a tensor (got ${describeValue(x)}); pass tensors`,
        );
      }
    });
    let saved: readonly Tensor[] = [];
    const save: SaveFunc = (tensors) => {
      if (!Array.isArray(tensors) || !tensors.every((t: unknown) => t instanceof Tensor)) {
        throw new TypeError(`${where}: save() takes an array of tensors, got ${describeValue(tensors)}`);
      }
      saved = tensors.map((t) => t.snapshot());
    };
    const result = unobserved(() => (f as unknown as (...args: unknown[]) => unknown)(...inputs, save));
    const { value, gradFunc } = (result ?? {}) as Partial<CustomGradientResult>;
    if (!(value instanceof Tensor) || typeof gradFunc !== 'function') {
      throw new TypeError(
        `${where} must return { value, gradFunc } with value a tensor and gradFunc a function, got ` +
          `${value instanceof Tensor ? 'a tensor' : describeValue(value)} value and ${describeValue(gradFunc)} gradFunc`,
      );
    }
    return customGradientOp(inputs, { name, value: value.snapshot(), gradFunc, saved });
  };
}

/**
 * {@link customGradient} under TensorFlow.js's name: the same contract and behaviour.
 *
 * @param f - The function: takes tensor inputs, then a {@link SaveFunc}, and returns `{ value, gradFunc }`, as for
 *   {@link customGradient}.
 * @param options - `name`: the function's name in errors (default `f.name`).
 *
 * @typeParam F - The type of `f`, whose annotated parameters type the returned function.
 * @example
 * ```ts
 * import { customGrad, grad, tensor, type Tensor } from 'tapegrad';
 * // Identity forward, gradient scaled by 10.
 * const amplify = customGrad((x: Tensor) => ({ value: x.identity(), gradFunc: (dy) => [dy.mul(10)] }));
 * grad((x) => amplify(x).sum())(tensor([1, 2])); // [10, 10]
 * ```
 */
export function customGrad<F extends (...args: never[]) => CustomGradientResult>(
  f: F,
  options?: CustomGradientOptions,
): (...inputs: CustomGradientInputs<F>) => Tensor {
  return customGradient(f, options);
}

/**
 * Runs `fn` unseen by tapes and forward accumulators: only the custom rule
 * differentiates what it computes (forward mode transposes the rule, as for
 * any op without a JVP of its own).
 */
function unobserved<T>(fn: () => T): T {
  return withoutAccumulators(() => withoutRecording(fn));
}

/** The rule's gradients as a list, one per input, each checked against its input. */
function checkedGradients(
  name: string,
  result: unknown,
  inputs: readonly Tensor[],
  needs: readonly boolean[],
): (Tensor | undefined)[] {
  const where = `${C}: the gradFunc of '${name}'`;
  let list: readonly unknown[];
  if (result instanceof Tensor) {
    if (inputs.length !== 1) {
      throw new Error(
        `${where} returned one tensor for ${inputs.length} inputs; return an array with one gradient per input`,
      );
    }
    list = [result];
  } else if (Array.isArray(result)) {
    list = result;
  } else {
    throw new TypeError(`${where} must return a tensor or an array of tensors, got ${describeValue(result)}`);
  }
  if (list.length !== inputs.length) {
    throw new Error(
      `${where} returned ${list.length} gradients for ${inputs.length} inputs; ` +
        'return one per input (undefined for an input with no gradient)',
    );
  }
  return list.map((g, i) => {
    if (g === undefined || g === null || !needs[i]) return undefined;
    const x = inputs[i]!;
    if (!(g instanceof Tensor)) {
      throw new TypeError(`${where} returned a gradient for input ${i} that is not a tensor (got ${describeValue(g)})`);
    }
    if (!shapesEqual(g.shape, x.shape) && !broadcastsTo(x.shape, g.shape)) {
      throw new Error(
        `${where} returned a gradient of shape ${formatShape(g.shape)} for input ${i} of shape ` +
          `${formatShape(x.shape)}; each gradient must have its input's shape`,
      );
    }
    if (g.dtype !== x.dtype && isFloat(x.dtype)) {
      throw new TypeError(
        `${where} returned a ${g.dtype} gradient for input ${i}, which is ${x.dtype}; ` +
          `cast it with cast(g, '${x.dtype}')`,
      );
    }
    return g;
  });
}
