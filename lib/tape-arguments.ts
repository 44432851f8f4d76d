/**
 * The arguments of GradientTape's methods: targets, sources and output
 * gradients read and checked (with errors that name the method, the
 * argument and what to do), and results given back in the sources' shape.
 */
import { describeValue } from './format.js';
import { formatShape, shapesEqual } from './shape.js';
import { Tensor } from './tensor.js';

const G = 'tapegrad.GradientTape.gradient';

/** What `gradient` gives for a source that no target depends on: `undefined`, or zeros of its shape. */
export type UnconnectedGradients = 'none' | 'zero';

/** The gradient of one source: possibly `undefined`, unless unconnected gradients are `'zero'`. */
export type Gradient<U extends UnconnectedGradients = 'none'> = U extends 'zero' ? Tensor : Tensor | undefined;

/** Sources of a gradient: one tensor, an array of tensors, or a record of named tensors. */
export type Sources = Tensor | readonly Tensor[] | { readonly [name: string]: Tensor };

/** The result of `gradient`: the sources' structure with a gradient in place of each tensor. */
export type GradientsOf<S extends Sources, U extends UnconnectedGradients = 'none'> = S extends Tensor
  ? Gradient<U>
  : { -readonly [K in keyof S]: Gradient<U> };

/** Options of the `GradientTape` constructor. */
export interface GradientTapeOptions {
  /** Allow more than one `gradient()` call (default false: the tape drops what it recorded after one). */
  persistent?: boolean;
  /** Watch every trainable variable that an op reads while this tape records (default true). */
  watchAccessedVariables?: boolean;
}

/** Options of `GradientTape.gradient`. */
export interface GradientOptions<U extends UnconnectedGradients = UnconnectedGradients> {
  /** `'none'` (default): `undefined` for an unconnected source; `'zero'`: zeros of its shape. */
  unconnectedGradients?: U;
}

/** Options of `GradientTape.jacobian` and `GradientTape.batchJacobian`. */
export interface JacobianOptions<U extends UnconnectedGradients = UnconnectedGradients> extends GradientOptions<U> {
  /**
   * Accepted for compatibility with TensorFlow's `experimental_use_pfor`, and ignored: tapegrad has no vectorising
   * `pfor`, so the Jacobian is always one reverse replay per target element (per row element for batchJacobian).
   */
  experimentalUseParallelFor?: boolean;
}

export function targetsOf(targets: Tensor | readonly Tensor[]): readonly Tensor[] {
  const list = targets instanceof Tensor ? [targets] : targets;
  if (!Array.isArray(list)) {
    throw new TypeError(`${G}: targets must be a tensor or an array of tensors, got ${describeValue(targets)}`);
  }
  if (list.length === 0) throw new Error(`${G}: targets is empty; give at least one tensor to differentiate`);
  list.forEach((t: unknown, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`${G}: targets[${i}] is not a tensor (got ${describeValue(t)})`);
  });
  return list;
}

/** The output gradients, checked against the targets: one per target, of its shape and dtype. */
export function seedsOf(
  targets: readonly Tensor[],
  outputGradients: Tensor | readonly (Tensor | undefined)[] | null | undefined,
): readonly (Tensor | undefined)[] {
  if (outputGradients === undefined || outputGradients === null) return targets.map(() => undefined);
  const list = outputGradients instanceof Tensor ? [outputGradients] : outputGradients;
  if (!Array.isArray(list)) {
    throw new TypeError(
      `${G}: outputGradients must be a tensor or an array of tensors, got ${describeValue(outputGradients)}`,
    );
  }
  if (list.length !== targets.length) {
    throw new Error(
      `${G}: got ${list.length} outputGradients for ${targets.length} targets; ` +
        'give exactly one per target (undefined for ones), or none at all',
    );
  }
  list.forEach((g: unknown, i) => {
    if (g === undefined) return;
    const t = targets[i]!;
    if (!(g instanceof Tensor))
      throw new TypeError(`${G}: outputGradients[${i}] is not a tensor (got ${describeValue(g)})`);
    if (!shapesEqual(g.shape, t.shape)) {
      throw new Error(
        `${G}: outputGradients[${i}] has shape ${formatShape(g.shape)} but targets[${i}] has shape ` +
          `${formatShape(t.shape)}; each output gradient must have its target's shape`,
      );
    }
    if (g.dtype !== t.dtype) {
      throw new TypeError(
        `${G}: outputGradients[${i}] is ${g.dtype} but targets[${i}] is ${t.dtype}; cast it with cast(g, '${t.dtype}')`,
      );
    }
  });
  return list;
}

/** The tensors of a `Sources` value in order, checked. */
export function sourceList(op: string, sources: Sources): readonly Tensor[] {
  if (sources instanceof Tensor) return [sources];
  const isArray = Array.isArray(sources);
  if (sources === null || typeof sources !== 'object') {
    throw new TypeError(
      `tapegrad.${op}: expected a tensor, an array or a record of tensors, got ${describeValue(sources)}`,
    );
  }
  const keys = isArray ? sources.map((_, i) => i) : Object.keys(sources);
  return keys.map((k) => {
    const x: unknown = (sources as Record<string | number, unknown>)[k];
    if (!(x instanceof Tensor)) {
      const where = isArray ? `[${k}]` : `['${String(k)}']`;
      throw new TypeError(`tapegrad.${op}: sources${where} is not a tensor (got ${describeValue(x)})`);
    }
    return x;
  });
}

/** `results` in the structure of `sources`: a record gets the same keys, `'__proto__'` included. */
export function rebuild(sources: Sources, results: (Tensor | undefined)[]): unknown {
  if (sources instanceof Tensor) return results[0];
  if (Array.isArray(sources)) return results;
  const out: Record<string, Tensor | undefined> = {};
  Object.keys(sources).forEach((k, i) => setOwn(out, k, results[i]));
  return out;
}

/**
 * Sets `record[key] = value` as an own, enumerable property. A plain
 * assignment to the key `'__proto__'` (a record from `JSON.parse` may have
 * it) would set the record's prototype instead and lose the entry.
 */
export function setOwn<V>(record: Record<string, V>, key: string, value: V): void {
  if (key === '__proto__') {
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  } else record[key] = value;
}

/** The public methods that spend a non-persistent tape. */
export type TapeMethod = 'gradient' | 'jacobian' | 'batchJacobian';

export function unconnectedOption(where: string, options: GradientOptions | undefined): UnconnectedGradients {
  const unconnected = options?.unconnectedGradients ?? 'none';
  if (unconnected !== 'none' && unconnected !== 'zero') {
    throw new TypeError(`${where}: unconnectedGradients must be 'none' or 'zero', got ${JSON.stringify(unconnected)}`);
  }
  return unconnected;
}

export function checkTarget(where: string, target: unknown): asserts target is Tensor {
  if (!(target instanceof Tensor))
    throw new TypeError(`${where}: target must be a tensor, got ${describeValue(target)}`);
}
