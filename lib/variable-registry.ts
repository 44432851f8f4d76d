/**
 * Variables by name, held weakly, so that an optimizer can resolve the names
 * in `{ name: gradient }` to the variables they update (TensorFlow.js keeps
 * `ENGINE.registeredVariables` for this). Every variable enters the registry
 * when it is made (lib/variable.ts calls {@link rememberVariable}) and leaves
 * when it is garbage-collected; two live variables with one name make that
 * name ambiguous. This module imports nothing at run time, so that
 * lib/variable.ts, low in the layers, can import it.
 */
import type { Variable } from './variable.js';

const byName = new Map<string, Set<WeakRef<Variable>>>();
const remembered = new WeakSet<Variable>();
const forget = new FinalizationRegistry<{ name: string; ref: WeakRef<Variable> }>(({ name, ref }) => {
  const refs = byName.get(name);
  refs?.delete(ref);
  if (refs?.size === 0) byName.delete(name);
});

/**
 * Lets optimizers resolve `v.name` to `v` in `applyGradients`, for as long as
 * `v` lives. Every variable is remembered when it is made; calling it again
 * changes nothing.
 *
 * @param v - The variable to make findable by its name.
 *
 * @example
 * ```ts
 * import { train, variable } from 'tapegrad';
 * const { rememberVariable } = train;
 * const w = variable([1], { name: 'w' });
 * rememberVariable(w); // already done by variable(): train.sgd(1).applyGradients({ w: tensor([1]) }) updates w
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
 * import { liveVariablesNamed } from '../variable-registry.js';
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
