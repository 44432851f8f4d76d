/**
 * `tapegrad/node`: reading and writing safetensors files with Node's file
 * system. The main entry (`tapegrad`) imports nothing from Node; this one
 * does, so browsers and bundles for them leave it out. The files are the
 * ones Python reads with `safetensors.numpy.load_file` and writes with
 * `safetensors.numpy.save_file` (F32, F64, I32 and BOOL tensors).
 *
 * @example
 * ```ts
 * import { tensor, variable } from 'tapegrad';
 * import { loadInto, saveSafetensors } from 'tapegrad/node';
 * const w = variable(tensor([[1, 2]]), { name: 'w' });
 * await saveSafetensors('model.safetensors', { w });
 * w.assign(tensor([[0, 0]]));
 * await loadInto('model.safetensors', [w]); // w is [[1, 2]] again
 * ```
 * @packageDocumentation
 */
/// <reference types="node" />
import { readFile, writeFile } from 'node:fs/promises';
import { encodeSafetensors, parseSafetensors } from './io/safetensors.js';
import { formatShape, shapesEqual } from './shape.js';
import { Tensor, toBackend, Variable } from './index.js';

/** The error for a file Node could not read or write, with Node's reason. */
function fileError(op: string, doing: string, path: string, error: unknown): Error {
  // Not `instanceof Error`: an error from another realm (a vm context, a worker) is not one.
  const message = (error as { message?: unknown } | null)?.message;
  const reason = typeof message === 'string' ? message : String(error);
  return new Error(`tapegrad.${op}: cannot ${doing} ${JSON.stringify(path)}: ${reason}; check the path`, {
    cause: error,
  });
}

/**
 * Writes named tensors (and optional string metadata) to a safetensors file
 * at `path`, replacing any file there. Python reads it with
 * `safetensors.numpy.load_file(path)`. Variables are saved with their
 * current values.
 *
 * @example
 * ```ts
 * import { tensor } from 'tapegrad';
 * import { saveSafetensors } from 'tapegrad/node';
 * await saveSafetensors('weights.safetensors', { w: tensor([[1, 2], [3, 4]]) }, { epoch: '3' });
 * ```
 */
export async function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  // GPU tensors are read back first (asynchronously, as WebGPU reads are); CPU ones are used as they are.
  const onCpu: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(tensors))
    onCpu[name] = t instanceof Tensor && t.onGpu ? await toBackend(t, 'wasm-simd') : t;
  const bytes = encodeSafetensors(onCpu, metadata);
  try {
    await writeFile(path, bytes);
  } catch (error) {
    throw fileError('saveSafetensors', 'write', path, error);
  }
}

/** The tensors of the file at `path`; errors name `op` and the path. */
async function readTensors(op: string, path: string): Promise<Record<string, Tensor>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw fileError(op, 'read', path, error);
  }
  return parseSafetensors(bytes, `${op}: ${JSON.stringify(path)}`).tensors;
}

/**
 * Reads the tensors of the safetensors file at `path`, by name (own keys
 * only, so `__proto__` is a name like any other). A truncated or corrupt
 * file, or a dtype tapegrad does not hold (F16, BF16, I64, ...), is an error
 * saying what is wrong, as `io.decodeSafetensors` gives them.
 *
 * @example
 * ```ts
 * import { tensor } from 'tapegrad';
 * import { loadSafetensors, saveSafetensors } from 'tapegrad/node';
 * await saveSafetensors('weights.safetensors', { w: tensor([1, 2]) });
 * const { w } = await loadSafetensors('weights.safetensors');
 * w.arraySync(); // [1, 2]
 * ```
 */
export async function loadSafetensors(path: string): Promise<Record<string, Tensor>> {
  return readTensors('loadSafetensors', path);
}

/**
 * Reads the safetensors file at `path` into `variables`, by name: the keys
 * of a record, or each variable's `name` for an array. First every name is
 * checked (no variable missing from the file, no tensor in the file without
 * a variable, dtypes and shapes equal); when anything is wrong, nothing is
 * assigned and the error lists every problem.
 *
 * @example
 * ```ts
 * import { tensor, variable } from 'tapegrad';
 * import { loadInto, saveSafetensors } from 'tapegrad/node';
 * const w = variable(tensor([1, 2]), { name: 'w' });
 * const b = variable(tensor([0]), { name: 'b' });
 * await saveSafetensors('weights.safetensors', { w, b });
 * w.assign(tensor([0, 0]));
 * await loadInto('weights.safetensors', [w, b]);
 * w.arraySync(); // [1, 2]
 * await loadInto('weights.safetensors', { w, b }); // the same, named by the keys
 * ```
 */
export async function loadInto(path: string, variables: Record<string, Variable> | readonly Variable[]): Promise<void> {
  const op = 'loadInto';
  const byName = new Map<string, Variable>();
  if (Array.isArray(variables)) {
    for (const [i, v] of variables.entries()) {
      if (!(v instanceof Variable)) throw new TypeError(`tapegrad.${op}: variables[${i}] is not a Variable`);
      if (byName.has(v.name)) {
        throw new Error(
          `tapegrad.${op}: two variables are named '${v.name}'; give them distinct names, or pass a record`,
        );
      }
      byName.set(v.name, v);
    }
  } else if (typeof variables === 'object' && variables !== null) {
    for (const key of Object.keys(variables)) {
      const v = (variables as Record<string, unknown>)[key];
      if (!(v instanceof Variable))
        throw new TypeError(`tapegrad.${op}: variables[${JSON.stringify(key)}] is not a Variable`);
      byName.set(key, v);
    }
  } else {
    throw new TypeError(`tapegrad.${op}: variables must be an array of variables or a record of them by name`);
  }

  const tensors = await readTensors(op, path);
  const problems: string[] = [];
  for (const [name, v] of byName) {
    const t = Object.prototype.hasOwnProperty.call(tensors, name) ? tensors[name]! : undefined;
    if (t === undefined) problems.push(`variable '${name}' is not in the file`);
    else if (t.dtype !== v.dtype || !shapesEqual(t.shape, v.shape)) {
      problems.push(
        `'${name}' is ${t.dtype} ${formatShape(t.shape)} in the file but the variable is ${v.dtype} ${formatShape(v.shape)}`,
      );
    }
  }
  for (const name of Object.keys(tensors)) {
    if (!byName.has(name)) problems.push(`the file has '${name}', which no variable is named`);
  }
  if (problems.length > 0) {
    throw new Error(
      `tapegrad.${op}: ${JSON.stringify(path)} does not match the variables: ${problems.join('; ')}; ` +
        `nothing was assigned`,
    );
  }
  for (const [name, v] of byName) v.assign(tensors[name]!);
}
