/**
 * Variables by name, held weakly, so that an optimizer can resolve the names
 * in `{ name: gradient }` to the variables they update (TensorFlow.js keeps
 * `ENGINE.registeredVariables` for this). A variable enters the registry when
 * an optimizer computes gradients for it, or when {@link rememberVariable}
 * is called on it; it leaves when it is garbage-collected. This module
 * imports nothing at run time, so lower layers (lib/variable.ts) may call
 * {@link rememberVariable} too.
 */
import type { Variable } from '../variable.js';

const byName = new Map<string, Set<WeakRef<Variable>>>();
const remembered = new WeakSet<Variable>();
const forget = new FinalizationRegistry<{ name: string; ref: WeakRef<Variable> }>(({ name, ref }) => {
  const refs = byName.get(name);
  refs?.delete(ref);
  if (refs?.size === 0) byName.delete(name);
});

/**
 * Lets optimizers resolve `v.name` to `v` in `applyGradients`, for as long as `v` lives.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const { rememberVariable } = train;
 * const w = variable([1], { name: 'w' });
 * rememberVariable(w); // train.sgd(1).applyGradients({ w: tensor([1]) }) now updates w
 * ```
 */
export function rememberVariable(v: Variable): void {
  if (remembered.has(v)) return;
  remembered.add(v);
  const ref = new WeakRef(v);
  let refs = byName.get(v.name);
  if (refs === undefined) byName.set(v.name, (refs = new Set()));
  refs.add(ref);
  forget.register(v, { name: v.name, ref });
}

/**
 * The remembered variables named `name` that are still alive.
 *
 * @example
 * ```ts
 * import { liveVariablesNamed } from './variable-registry.js';
 * liveVariablesNamed('never made'); // []
 * ```
 */
export function liveVariablesNamed(name: string): Variable[] {
  const out: Variable[] = [];
  for (const ref of byName.get(name) ?? []) {
    const v = ref.deref();
    if (v !== undefined) out.push(v);
  }
  return out;
}
