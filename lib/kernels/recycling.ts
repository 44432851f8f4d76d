/**
 * Reuse of large CPU output arrays that tapegrad itself knows to be dead, so
 * that their memory is not handed back to the system and faulted in again.
 *
 * A CPU tensor's memory is the garbage collector's: the engine frees an array
 * only once it collects its tensor, and the C library then often returns the
 * pages to the system, so the next large output faults every page in afresh
 * (a W7 training step took 290–530 such faults, 3–5 ms of system time on the
 * bench machine). The one place tapegrad knows arrays to be dead before the
 * collector does is the backward pass: the gradients it computes on the way
 * to the sources, and the temporaries of each VJP, are reachable from nothing
 * once it returns, provided nothing else recorded them (no other tape
 * recording, a tape left recording included; no forward accumulator active)
 * and no user code saw them (no `customGradient` on the path).
 * `lib/backprop.ts` logs the arrays allocated during such a replay
 * ({@link logAllocations}) and gives back the ones that the gradients it
 * returns do not hold ({@link recycle}); `allocateHere` takes arrays of a
 * matching size from here ({@link outputArray}) before asking the engine for
 * new ones.
 *
 * Only arrays of at least {@link RECYCLE_MIN_BYTES} are kept (smaller ones
 * cost the C library nothing to reuse), at most {@link POOL_MAX_BYTES} in all
 * (the rest are left to the collector).
 */
import { allocate, ARRAY_TYPES, type DType, type TypedArray } from '../dtype.js';

/** Arrays smaller than this are neither logged nor kept. */
export const RECYCLE_MIN_BYTES = 65536;
/** The most bytes kept for reuse at once. */
export const POOL_MAX_BYTES = 64 * 1024 * 1024;

/** The smallest array logged and kept: {@link RECYCLE_MIN_BYTES} unless a spec sets it ({@link recycleFrom}). */
let minBytes = RECYCLE_MIN_BYTES;

/**
 * For specs: logs and keeps arrays of at least `bytes` from now on (1: every
 * array, so that small random graphs reuse memory too), and returns the
 * previous threshold.
 */
export function recycleFrom(bytes: number): number {
  const previous = minBytes;
  minBytes = bytes;
  return previous;
}

/** Dead array buffers kept for reuse, by byte length. */
const pool = new Map<number, ArrayBuffer[]>();
let pooledBytes = 0;

/** The open allocation logs, innermost last (see {@link logAllocations}). */
const logs: TypedArray[][] = [];

/**
 * A CPU output array of `size` elements of `dtype` for a kernel that writes it
 * whole: a kept one of the same byte length if there is one (its contents
 * left as they were, unless `zeroed`), else a new zero-filled one (an error
 * naming `op` beyond the size limit). Large ones are noted in the open logs.
 */
export function outputArray(dtype: DType, size: number, op: string | undefined, zeroed: boolean): TypedArray {
  let out = takeKept(dtype, size);
  if (out === undefined) out = allocate(dtype, size, op);
  else if (zeroed) out.fill(0);
  if (poison !== undefined && !zeroed) poison(out);
  if (logs.length > 0 && out.byteLength >= minBytes) for (const log of logs) log.push(out);
  return out;
}

/** A kept array of `size` elements of `dtype`, or undefined when none of that byte length is kept. */
function takeKept(dtype: DType, size: number): TypedArray | undefined {
  const type = ARRAY_TYPES[dtype];
  const bytes = size * type.BYTES_PER_ELEMENT;
  if (bytes < minBytes) return undefined;
  const buffer = pool.get(bytes)?.pop();
  if (buffer === undefined) return undefined;
  pooledBytes -= bytes;
  return new type(buffer);
}

/** What {@link outputArray} does to every array it returns, when set by {@link poisonOutputs} (specs). */
let poison: ((out: TypedArray) => void) | undefined;

/**
 * For specs: calls `fill` on every CPU output array not asked for zeroed from
 * now on, new or kept, of any size (to write NaN, say, or 7 in integer
 * arrays), so that a kernel which reads its output before writing it all, as
 * a kept array's old contents would make it, gives a wrong answer instead of a
 * lucky zero; `undefined` stops it.
 */
export function poisonOutputs(fill: ((out: TypedArray) => void) | undefined): void {
  poison = fill;
}

/**
 * Runs `fn` and returns its result with the large CPU output arrays that
 * {@link outputArray} gave while it ran (logs nest: an inner one's arrays are in
 * the outer one's too).
 */
export function logAllocations<T>(fn: () => T): { readonly result: T; readonly allocated: readonly TypedArray[] } {
  const log: TypedArray[] = [];
  logs.push(log);
  try {
    return { result: fn(), allocated: log };
  } finally {
    logs.splice(logs.lastIndexOf(log), 1);
  }
}

/**
 * Keeps the buffers of `arrays` for reuse, except those in `live` and those
 * already kept. Every array given must be dead: no tensor, view or caller
 * may read or write it again. Only whole buffers of the arrays' own (offset 0,
 * of their byte length) are kept.
 */
export function recycle(arrays: readonly TypedArray[], live: ReadonlySet<ArrayBufferLike>): void {
  for (const a of arrays) {
    const buffer = a.buffer as ArrayBuffer;
    // Not `instanceof ArrayBuffer`, which is false for a buffer of another realm (a Jest or vm context).
    if (live.has(buffer) || a.byteOffset !== 0 || Object.prototype.toString.call(buffer) !== '[object ArrayBuffer]') {
      continue;
    }
    const bytes = buffer.byteLength;
    if (bytes < minBytes || bytes !== a.byteLength || pooledBytes + bytes > POOL_MAX_BYTES) continue;
    const kept = pool.get(bytes);
    if (kept === undefined) pool.set(bytes, [buffer]);
    else if (kept.includes(buffer)) continue;
    else kept.push(buffer);
    pooledBytes += bytes;
  }
}

/** The open hand-over windows (see {@link gradientsHandedOver}), innermost last. */
const handOvers: { arrays: readonly TypedArray[] | undefined; replays: number }[] = [];

/**
 * Runs `fn`, a gradient call whose caller alone receives the gradients, and
 * returns its result with the large arrays of those gradients that only the
 * caller can hold: those that the one backward replay `fn` ran made, when that
 * replay could give back its other arrays ({@link handOver}). None when `fn`
 * ran several replays (a `customGradient` rule that differentiates inside),
 * or one that could not. The caller may {@link recycle} them once it is done
 * with the gradients, as `minimize` does after its update.
 */
export function gradientsHandedOver<T>(fn: () => T): { readonly result: T; readonly owned: readonly TypedArray[] } {
  const window: { arrays: readonly TypedArray[] | undefined; replays: number } = { arrays: undefined, replays: 0 };
  handOvers.push(window);
  try {
    const result = fn();
    return { result, owned: window.replays === 1 ? (window.arrays ?? []) : [] };
  } finally {
    handOvers.splice(handOvers.lastIndexOf(window), 1);
  }
}

/**
 * Called by every backward replay as it returns: `allocated`, the large arrays
 * it made, when nothing but its caller can hold them (as for the arrays it
 * gives back), else `undefined`; `live`, the buffers of the gradients it
 * returns (absent: none of them is large). The gradients' own arrays are
 * picked out only while a window is open.
 */
export function handOver(allocated: readonly TypedArray[] | undefined, live?: ReadonlySet<ArrayBufferLike>): void {
  if (handOvers.length === 0) return;
  const arrays = allocated === undefined ? undefined : allocated.filter((a) => live?.has(a.buffer) === true);
  for (const window of handOvers) {
    window.replays++;
    window.arrays = arrays;
  }
}

/** The bytes kept for reuse now. */
export function recycledBytes(): number {
  return pooledBytes;
}

/** Drops every kept buffer (the collector takes them). */
export function clearRecycled(): void {
  pool.clear();
  pooledBytes = 0;
}
