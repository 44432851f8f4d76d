/**
 * TensorFlow.js's memory habits (`tidy`, `keep`, `dispose`), so that code
 * written for it runs unchanged. On the CPU backends (JavaScript and
 * WebAssembly) a tensor's memory is the garbage collector's: it is freed once
 * nothing refers to the tensor, so there is nothing to track and these free
 * nothing. On webgpu they free GPU memory early, as in TensorFlow.js: `tidy`
 * disposes the GPU tensors its function made and did not return or `keep`,
 * and `dispose` frees a tensor's GPU memory once no other tensor shares it.
 * (Without them, GPU memory still goes back to the pool when the collector
 * takes the tensors, only later.)
 */
import { describeValue } from './format.js';
import { placement } from './kernels/placement.js';
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
 * On webgpu, as in TensorFlow.js, the GPU tensors `fn` made and did not
 * return (anywhere inside an array or plain object it returns) or {@link keep}
 * are disposed when it ends, even when it throws; variables are never
 * disposed. A disposed tensor is an error to use, so do not let `fn` store
 * tensors it makes elsewhere. On the CPU backends the garbage collector frees
 * tensors once nothing refers to them, so `tidy` frees nothing and costs
 * nothing. As in TensorFlow.js, `fn` must not return a promise: a scope
 * cannot end while its work is still running.
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
  // A scope only where GPU memory exists: on the CPU there is nothing to free, so nothing is tracked.
  const scoped = placement.held !== undefined;
  if (scoped) placement.scopes.push([]);
  let result: T;
  try {
    result = fn();
  } finally {
    if (scoped) endScope(placement.scopes.pop()!, result!);
  }
  if (result instanceof Promise) {
    throw new TypeError(
      'tapegrad.tidy: the function returned a promise; tidy runs synchronous code only (as in TensorFlow.js), ' +
        'so await outside it',
    );
  }
  return result;
}

/** Tensors marked by {@link keep}: no scope disposes them. */
const kept = new WeakSet<Tensor>();

/**
 * The end of a tidy scope: its GPU tensors that `result` holds move to the enclosing scope (which may free them in
 * turn); the others are disposed, except kept tensors and variables.
 */
function endScope(made: readonly Tensor[], result: unknown): void {
  const returned = new Set<Tensor>();
  forEachTensor(result, (t) => returned.add(t));
  const outer = placement.scopes[placement.scopes.length - 1];
  for (const t of made) {
    if (returned.has(t)) outer?.push(t);
    else if (!kept.has(t) && !t.isVariable) t.dispose();
  }
}

/** Calls `visit` on every tensor in `container`: a tensor, or arrays and plain objects of them, nested. */
function forEachTensor(container: unknown, visit: (t: Tensor) => void): void {
  const walk = (value: unknown, seen: Set<object>): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Tensor) visit(value);
    else if (Array.isArray(value)) for (const item of value) walk(item, seen);
    else if (Object.getPrototypeOf(value) === Object.prototype) {
      for (const item of Object.values(value)) walk(item, seen);
    }
  };
  walk(container, new Set());
}

/**
 * Marks `x` to outlive every enclosing {@link tidy}, as TensorFlow.js's
 * `tf.keep`, and returns it. On webgpu a kept tensor stays until it is
 * disposed or collected; on the CPU backends `tidy` frees nothing, so every
 * tensor outlives it anyway.
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
  if (x instanceof Tensor) kept.add(x);
  return x;
}

/**
 * Disposes every tensor in `container` (a tensor, or arrays and plain objects
 * of tensors, nested; anything else is skipped), as TensorFlow.js's
 * `tf.dispose`, by calling {@link Tensor.dispose} on each. On webgpu that
 * frees their GPU memory now (where no other tensor shares it). On the CPU
 * backends it does nothing: a tensor's memory is the garbage collector's,
 * freed once nothing refers to the tensor.
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
  forEachTensor(container, (t) => t.dispose());
}
