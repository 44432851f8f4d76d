/**
 * TensorFlow.js's memory habits (`tidy`, `keep`, `dispose`), so that code
 * written for it runs unchanged. On the CPU backends (JavaScript and
 * WebAssembly) a tensor's memory is the garbage collector's: it is freed once
 * nothing refers to the tensor, so there is nothing to track and these free
 * nothing. A backend that holds device memory (WebGPU) would free it early
 * through `Tensor.dispose`, which `dispose` calls for every tensor it is given.
 */
import { describeValue } from './format.js';
import { Tensor } from './tensor.js';

/** Tensors, or arrays and plain objects of them, nested: what {@link dispose} takes. */
export type TensorContainer =
  | Tensor
  | string
  | number
  | boolean
  | null
  | undefined
  | void
  | readonly TensorContainer[]
  | { readonly [key: string]: TensorContainer };

/**
 * Runs `fn` and returns its result, as TensorFlow.js's `tf.tidy` does (which
 * also takes a name first, for its profiler; so does this, and ignores it).
 * TensorFlow.js frees the tensors `fn` made but did not return; here the
 * garbage collector frees them once nothing refers to them, so `tidy` frees
 * nothing and costs nothing. As in TensorFlow.js, `fn` must not return a
 * promise: a scope cannot end while its work is still running.
 *
 * @param fn - The function to run, synchronous: it must not return a promise.
 *
 * @example
 * ```ts
 * import { tensor, tidy } from 'tapegrad';
 * const x = tensor([1, 2, 3]);
 * const y = tidy(() => x.square().sum()); // 14
 * tidy('scaled', () => x.mul(2)); // [2, 4, 6]
 * ```
 */
export function tidy<T>(fn: () => T): T;
/**
 * {@link tidy} with a name first, as TensorFlow.js's `tf.tidy(name, fn)`.
 *
 * @param name - A name, which TensorFlow.js's profiler shows; ignored here.
 * @param fn - The function to run, synchronous: it must not return a promise.
 */
export function tidy<T>(name: string, fn: () => T): T;
export function tidy<T>(nameOrFn: string | (() => T), maybeFn?: () => T): T {
  const fn = typeof nameOrFn === 'function' ? nameOrFn : maybeFn;
  if (typeof nameOrFn !== 'function' && typeof nameOrFn !== 'string') {
    throw new TypeError(`tapegrad.tidy: expected a function, or a name and a function, got ${describeValue(nameOrFn)}`);
  }
  if (typeof fn !== 'function') {
    throw new TypeError(`tapegrad.tidy: expected a function after the name '${nameOrFn}', got ${describeValue(fn)}`);
  }
  const result = fn();
  if (result instanceof Promise) {
    throw new TypeError(
      'tapegrad.tidy: the function returned a promise; tidy runs synchronous code only (as in TensorFlow.js), ' +
        'so await outside it',
    );
  }
  return result;
}

/**
 * Marks `x` to outlive the enclosing {@link tidy}, as TensorFlow.js's
 * `tf.keep`, and returns it. Here `tidy` frees nothing (the garbage collector
 * owns CPU memory), so every tensor outlives it and `keep` has nothing to do.
 *
 * @param x - The tensor to keep, returned as is.
 *
 * @example
 * ```ts
 * import { keep, tensor, tidy } from 'tapegrad';
 * const x = tensor([1, 2]);
 * keep(x) === x; // true
 * const doubled = tidy(() => keep(x.mul(2))); // [2, 4]
 * ```
 */
export function keep<T extends Tensor>(x: T): T {
  return x;
}

/**
 * Disposes every tensor in `container` (a tensor, or arrays and plain objects
 * of tensors, nested; anything else is skipped), as TensorFlow.js's
 * `tf.dispose`, by calling {@link Tensor.dispose} on each. On the CPU backends
 * that does nothing: a tensor's memory is the garbage collector's, freed once
 * nothing refers to the tensor. A backend that holds device memory (WebGPU)
 * would free it early here.
 *
 * @param container - A tensor, or arrays and plain objects holding tensors, nested; other values are skipped.
 *
 * @example
 * ```ts
 * import { dispose, tensor } from 'tapegrad';
 * const a = tensor([1, 2]);
 * const b = tensor([[3]]);
 * dispose([a, { weights: b, name: 'layer' }]); // nothing to free: the garbage collector owns CPU memory
 * a.add(1); // [2, 3]: still usable on the CPU backends
 * ```
 */
export function dispose(container: TensorContainer): void {
  const visit = (value: unknown, seen: Set<object>): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Tensor) value.dispose();
    else if (Array.isArray(value)) for (const item of value) visit(item, seen);
    else if (Object.getPrototypeOf(value) === Object.prototype) {
      for (const item of Object.values(value)) visit(item, seen);
    }
  };
  visit(container, new Set());
}
