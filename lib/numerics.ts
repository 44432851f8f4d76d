/**
 * Numeric checking, as TensorFlow's `tf.debugging.enable_check_numerics`:
 * while it is on, every float op output in the forward pass and every
 * gradient a VJP gives in the backward pass is checked, and the first NaN or
 * ±Infinity throws an error naming the op, the pass, the shapes and where in
 * the user's code the op was called. Off, it costs one flag read per op.
 *
 * Low in the layers (it imports dtype, shape and types only), so that op.ts,
 * recording.ts and backprop.ts can all call it.
 */
import { isFloat, type TypedArray } from './dtype.js';
import { placement } from './kernels/placement.js';
import type { GpuArray } from './kernels/storage.js';
import type { OpDef } from './op.js';
import type { TapeNode } from './recording.js';
import { formatShape } from './shape.js';
import type { Tensor } from './tensor.js';

/** The op whose VJP is running, while checking is on (so a NaN inside it is blamed on that op). */
interface InVjp {
  readonly op: OpDef<unknown>;
  readonly node: TapeNode;
}

/** @internal */
export const numerics: { on: boolean; inVjp: InVjp | undefined } = { on: false, inVjp: undefined };

/** Where each op recorded while checking was on was called: an Error whose stack is formatted only if needed. */
const callSites = new WeakMap<TapeNode, Error>();

/**
 * Turns numeric checking on for the whole program, as TensorFlow's
 * `tf.debugging.enable_check_numerics`: from now on every op output, and
 * every gradient in a backward pass, is checked for NaN and ±Infinity, and
 * the first one throws an error that names the op, the pass (forward, or the
 * VJP of which op), the shapes, and where the op was called. Ops recorded
 * while it is on remember their call site, so a NaN in the backward pass
 * points at the forward line that caused it. Checking reads every output:
 * turn it off again with {@link disableCheckNumerics} once the culprit is
 * found.
 *
 * @example
 * ```ts
 * import { disableCheckNumerics, enableCheckNumerics, tensor } from 'tapegrad';
 * enableCheckNumerics();
 * let message = '';
 * try {
 *   tensor([1, 0]).log(); // log(0) = -Infinity
 * } catch (e) {
 *   message = (e as Error).message;
 * }
 * message.startsWith("tapegrad.checkNumerics: 'log' gave -Infinity in the forward pass"); // true
 * disableCheckNumerics();
 * ```
 */
export function enableCheckNumerics(): void {
  numerics.on = true;
}

/**
 * Turns numeric checking off again (see {@link enableCheckNumerics}).
 *
 * @example
 * ```ts
 * import { disableCheckNumerics, enableCheckNumerics, tensor } from 'tapegrad';
 * enableCheckNumerics();
 * disableCheckNumerics();
 * tensor([0]).log().arraySync(); // [-Infinity]: no check
 * ```
 */
export function disableCheckNumerics(): void {
  numerics.on = false;
}

/**
 * Runs `fn` with numeric checking on (see {@link enableCheckNumerics}) and
 * returns its result; checking is back as it was afterwards, also when `fn`
 * throws. Put the forward pass and the `gradient()` call inside it.
 *
 * @param fn - The function to run with the checks on; its result is returned.
 *
 * @example
 * ```ts
 * import { GradientTape, tensor, where, withCheckNumerics } from 'tapegrad';
 * const x = tensor([0, 4]);
 * let message = '';
 * try {
 *   withCheckNumerics(() => {
 *     const tape = new GradientTape();
 *     tape.watch(x);
 *     const y = where(x.greater(0), x.sqrt(), 0).sum(); // sqrt's gradient at 0 is 1/0
 *     return tape.gradient(y, x);
 *   });
 * } catch (e) {
 *   message = (e as Error).message;
 * }
 * message.includes("the VJP of 'sqrt'"); // true
 * ```
 */
export function withCheckNumerics<T>(fn: () => T): T {
  const was = numerics.on;
  numerics.on = true;
  try {
    return fn();
  } finally {
    numerics.on = was;
  }
}

/**
 * Remembers where the op behind `node` was called, for a NaN that its VJP
 * gives later. Called while checking is on only.
 * @internal
 */
export function noteCallSite(node: TapeNode, runner: (...args: never[]) => unknown): void {
  callSites.set(node, callSite(runner));
}

/** An Error whose stack starts at the caller of `runner` (the op's own frames left out where the engine can). */
function callSite(runner: (...args: never[]) => unknown): Error {
  // V8's stack API (Node, Chromium); elsewhere a plain Error's stack.
  const v8 = Error as { stackTraceLimit?: number; captureStackTrace?: (target: object, above?: unknown) => void };
  const limit = v8.stackTraceLimit;
  v8.stackTraceLimit = 24;
  let site: Error;
  if (v8.captureStackTrace === undefined) site = new Error();
  else {
    site = Object.create(Error.prototype) as Error; // one capture, not two
    v8.captureStackTrace(site, runner);
  }
  v8.stackTraceLimit = limit;
  return site;
}

/**
 * Checks an op's output; while a VJP runs, the blame goes to that VJP's op.
 * @internal
 */
export function checkOutput(
  op: OpDef<unknown>,
  inputs: readonly Tensor[],
  output: Tensor,
  runner: (...args: never[]) => unknown,
): void {
  if (!isFloat(output.dtype)) return;
  if (output.onGpu) {
    checkOnGpu(output, op.name, inputs, runner);
    return;
  }
  const bad = firstNonFinite(output.values);
  if (bad < 0) return;
  const what = describeBad(output, bad);
  const inVjp = numerics.inVjp;
  if (inVjp !== undefined) {
    throw new Error(
      `${C}: the VJP of '${inVjp.op.name}' gave ${what.value} in the backward pass (in '${op.name}' inside it, ` +
        `${what.where}); ${backwardContext(inVjp)}`,
    );
  }
  const cameIn = inputs.findIndex((x) => isFloat(x.dtype) && firstNonFinite(x.valuesNow) >= 0);
  const source =
    cameIn < 0
      ? ''
      : ` Its input ${cameIn} already held ${describeBad(inputs[cameIn]!, firstNonFinite(inputs[cameIn]!.valuesNow)).value}: ` +
        'it was made before checking was on, or given as data (check it with checkNumerics(x, message)).';
  throw new Error(
    `${C}: '${op.name}' gave ${what.value} in the forward pass (${what.where}); its inputs were ${shapes(inputs)}.` +
      `${source} The op was called at:\n${userFrames(callSite(runner))}`,
  );
}

/**
 * Checks the gradients a VJP gave (and the incoming gradient), blaming its op.
 * @internal
 */
export function checkVjpOutputs(inVjp: InVjp, dy: Tensor, dxs: readonly (Tensor | undefined)[]): void {
  for (let j = 0; j < dxs.length; j++) {
    const dx = dxs[j];
    if (dx === undefined || !isFloat(dx.dtype)) continue;
    if (dx.onGpu) {
      const context = backwardContext(inVjp);
      placement.held!.checkFinite(
        dx.storage as GpuArray,
        () =>
          `${C}: the VJP of '${inVjp.op.name}' gave NaN or ±Infinity in the backward pass (in the gradient for ` +
          `input ${j}, a ${dx.dtype} ${formatShape(dx.shape)} result on webgpu, found at this read); ${context}`,
      );
      continue;
    }
    const bad = firstNonFinite(dx.values);
    if (bad < 0) continue;
    const what = describeBad(dx, bad);
    const incoming = firstNonFinite(dy.values);
    const via =
      incoming < 0
        ? ''
        : ` (the gradient it received already held ${describeBad(dy, incoming).value}: it came from outputGradients)`;
    throw new Error(
      `${C}: the VJP of '${inVjp.op.name}' gave ${what.value} in the backward pass (in the gradient for input ${j}, ` +
        `${what.where})${via}; ${backwardContext(inVjp)}`,
    );
  }
}

const C = 'tapegrad.checkNumerics';

/**
 * checkOutput on webgpu: the output is checked on the device, and a NaN or ±Infinity is reported at the next read
 * (`await data()`), naming the op, the pass and where the op was called; the call site is taken now.
 */
function checkOnGpu(
  output: Tensor,
  name: string,
  inputs: readonly Tensor[],
  runner: (...args: never[]) => unknown,
): void {
  const inVjp = numerics.inVjp;
  const where = `a ${output.dtype} ${formatShape(output.shape)} result on webgpu, found at this read`;
  let describe: () => string;
  if (inVjp !== undefined) {
    const context = backwardContext(inVjp);
    describe = () =>
      `${C}: the VJP of '${inVjp.op.name}' gave NaN or ±Infinity in the backward pass (in '${name}' inside it, ` +
      `${where}); ${context}`;
  } else {
    const site = callSite(runner);
    const given = shapes(inputs);
    describe = () =>
      `${C}: '${name}' gave NaN or ±Infinity in the forward pass (${where}); its inputs were ${given}. ` +
      `The op was called at:\n${userFrames(site)}`;
  }
  placement.held!.checkFinite(output.storage as GpuArray, describe);
}

/** The index of the first NaN or ±Infinity, or -1. */
export function firstNonFinite(values: TypedArray): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v !== 0) return i; // NaN - NaN and Infinity - Infinity are NaN; finite - itself is 0
  }
  return -1;
}

/** How many elements are NaN or ±Infinity. */
export function countNonFinite(values: TypedArray): number {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) count++;
  return count;
}

/** `NaN` / `Infinity` / `-Infinity`, and where: `at [1, 0] of its float32 [2,3] output (1 of 6 elements)`. */
function describeBad(t: Tensor, index: number): { value: string; where: string } {
  const values = t.valuesNow;
  const count = countNonFinite(values);
  return {
    value: String(values[index]),
    where: `at ${formatIndex(t.shape, index)} of a ${t.dtype} ${formatShape(t.shape)} result, ${count} of ${values.length} elements not finite`,
  };
}

function formatIndex(shape: readonly number[], flat: number): string {
  const index: number[] = [];
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const n = shape[axis]!;
    index.unshift(flat % n);
    flat = Math.floor(flat / n);
  }
  return `[${index.join(', ')}]`;
}

function shapes(inputs: readonly Tensor[]): string {
  return inputs.length === 0 ? 'none' : inputs.map((x) => `${x.dtype} ${formatShape(x.shape)}`).join(', ');
}

function backwardContext({ op, node }: InVjp): string {
  const site = callSites.get(node);
  const where =
    site === undefined
      ? 'it was recorded while checking was off: turn it on before the forward pass to see where'
      : `the forward '${op.name}' was called at:\n${userFrames(site)}`;
  return `'${op.name}' had inputs ${shapes(node.inputs)}; ${where}`;
}

/** The folder this module was loaded from: frames inside it (or below it) are the library's own. */
let libraryFolder: string | undefined | null = null; // null: not worked out yet (only an error needs it)

function ownFolder(): string | undefined {
  if (libraryFolder !== null) return libraryFolder;
  const frame = new Error().stack?.split('\n')[1]; // a frame in this module
  const file = frame?.match(/\(?((?:file:\/\/)?[^\s()]+):\d+:\d+\)?$/)?.[1];
  const cut = file === undefined ? -1 : Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  libraryFolder = cut < 0 ? undefined : file!.slice(0, cut + 1);
  return libraryFolder;
}

/** The frames of `error`'s stack outside tapegrad and Node's internals: the user's code. */
function userFrames(error: Error): string {
  const frames = (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at '));
  const folder = ownFolder();
  const own = (line: string) => (folder !== undefined && line.includes(folder)) || line.includes('node:internal');
  const user = frames.filter((line) => !own(line));
  // Bundled with the user's code, the library has no folder of its own: then drop Node's frames only.
  return (user.length > 0 ? user : frames.filter((line) => !line.includes('node:internal')))
    .slice(0, 8)
    .map((line) => `    ${line.trim()}`)
    .join('\n');
}
