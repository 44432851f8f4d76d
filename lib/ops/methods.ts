/**
 * Tensor methods, declared and installed by the op families. A family
 * declares the method form of its ops in an interface typed from the ops
 * themselves, merges that interface into `Tensor`, and installs it:
 *
 * ```ts
 * interface ArithmeticMethods {
 *   add: Method<typeof add>; // with the TSDoc comment {@inheritDoc add}
 * }
 * declare module '../tensor.js' {
 *   interface Tensor<D extends DType = DType> extends ArithmeticMethods {}
 * }
 * installMethods<ArithmeticMethods>({ add });
 * ```
 *
 * A signature, its defaults and its docs are the op's, written once; the
 * table must install exactly the methods the interface declares.
 */
import { Tensor } from '../tensor.js';
import type * as ops from './index.js';

/**
 * The method form of op `F`: its parameters after the tensor, and its result.
 * (A generic op, like `cast<D>`, states its method's signature by hand.)
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any tensor-like first parameter
export type Method<F> = F extends (x: any, ...rest: infer R) => infer Y
  ? R extends []
    ? () => Y // (not `(...rest: []) => Y`, for the docs)
    : (...rest: R) => Y
  : never;

/** What installs method type `M`: a function taking the tensor first, then the method's arguments. */
type Implementation<M> = M extends (...rest: infer R) => infer Y ? (x: Tensor, ...rest: R) => Y : never;

/**
 * Installs a family's methods on `Tensor.prototype`: `x.name(...args)` calls
 * `table.name(x, ...args)`. `M` is the family's method interface, so the
 * table must give every method it declares, and no other.
 */
export function installMethods<M>(table: { readonly [K in keyof M]: Implementation<M[K]> }): void {
  for (const [name, op] of Object.entries(table) as [string, (x: Tensor, ...rest: unknown[]) => unknown][]) {
    const method = function (this: Tensor, ...rest: unknown[]) {
      return op(this, ...rest);
    };
    Object.defineProperty(method, 'name', { value: name });
    Object.defineProperty(Tensor.prototype, name, { value: method, writable: true, configurable: true });
  }
}

/**
 * Exported ops that are deliberately not Tensor methods: TensorFlow.js has
 * none for them (or, for `where`, one whose `a.where(condition, b)` reads
 * backward; TensorFlow has `check_numerics` as a function only); `losses` is
 * a namespace, and so is `fused`.
 */
type NotMethods = 'addN' | 'moments' | 'stopGradient' | 'dropout' | 'where' | 'checkNumerics' | 'losses' | 'fused';

/** Compiles only when `T` is `never`; otherwise the error names `T`. */
type AssertNever<T extends never> = T;

/**
 * Every exported op not in {@link NotMethods} is a Tensor method: a family
 * that forgets one fails to compile here, with the op's name in the error.
 */
export type EveryOpIsAMethod = AssertNever<Exclude<keyof typeof ops, NotMethods | keyof Tensor>>;
