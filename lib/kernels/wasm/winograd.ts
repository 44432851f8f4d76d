/**
 * The driver of the Winograd F(4×4, 5×5) convolution (`../winograd.ts`):
 * lays out the padded input, the transformed filter and the padded output in
 * the runtime's memory, runs `winogradF32` (`winograd-kernel.ts`) over all
 * tiles, on both threads when asked (tasks of whole chunks, a program of
 * calls kept per shape), and cuts the output to size. conv2d runs it as it
 * is; conv2dBackpropInput as the convolution of dy with the mirrored filter.
 */
import type { TypedArray } from '../../dtype.js';
import type { WindowGeometry } from '../conv.js';
import {
  ALPHA,
  PANEL,
  WINOGRAD_CHUNK,
  filterGradientTasks,
  filterSumsStride,
  untransformFilterGradient,
  TILE_OUT,
  TAPS,
  forwardShape,
  inputGradientShape,
  tilesOf,
  transformFilter,
  transformedFilterSize,
  type WinogradShape,
} from '../winograd.js';
import type { Runtime } from './runtime.js';
import { CallProgram, keptJobs, placeProgram, type MatmulThreads } from './threads.js';
import { scratchBytes } from './winograd-kernel.js';

/** Tasks a shared Winograd convolution is cut into (whole chunks each). */
const TASKS = 8;

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/** Rows and columns of the zero-padded input: every tile's 8×8 block lies inside it. */
function paddedInput(tiles: ReturnType<typeof tilesOf>): { padH: number; padW: number } {
  return { padH: tiles.rows * TILE_OUT + TAPS - 1, padW: tiles.cols * TILE_OUT + TAPS - 1 };
}

/**
 * Zeroes the padded input at element `padded` (`padH` × `padW` per image) and copies the input at element `raw`
 * into it, the padding before at the top and left; rows and columns past every tile's reach are dropped.
 */
function padInput(runtime: Runtime, s: WinogradShape, padH: number, padW: number, raw: number, padded: number): void {
  const cinBytes = s.inChannels * 4;
  runtime.f32().fill(0, padded, padded + s.batch * padH * padW * s.inChannels);
  const rows = Math.min(s.inHeight, padH - s.padTop);
  const cols = Math.min(s.inWidth, padW - s.padLeft);
  if (rows <= 0 || cols <= 0) return;
  runtime.exports.padRowsF32!(
    raw * 4,
    (padded + (s.padTop * padW + s.padLeft) * s.inChannels) * 4,
    s.batch,
    rows,
    cols * cinBytes,
    s.inWidth * cinBytes,
    padW * cinBytes,
    s.inHeight * s.inWidth * cinBytes,
    padH * padW * cinBytes,
  );
}

/** The runtime-memory layout of one Winograd convolution (elements of float32). */
function layoutOf(s: WinogradShape) {
  const tiles = tilesOf(s);
  const { padH, padW } = paddedInput(tiles);
  const raw = 0;
  const padded = roundUp(raw + s.batch * s.inHeight * s.inWidth * s.inChannels, 16);
  const u = roundUp(padded + s.batch * padH * padW * s.inChannels, 16);
  const yPadded = roundUp(u + transformedFilterSize(s), 16);
  const yRows = tiles.rows * TILE_OUT;
  const yCols = tiles.cols * TILE_OUT;
  const out = roundUp(yPadded + s.batch * yRows * yCols * s.outChannels, 16);
  const end = roundUp(out + s.batch * s.outHeight * s.outWidth * s.outChannels, 16);
  return { tiles, padH, padW, raw, padded, u, yPadded, yRows, yCols, out, end };
}

type Layout = ReturnType<typeof layoutOf>;

/** The kernel's arguments after `count` (channel counts and strides in bytes). */
function strideArgs(s: WinogradShape, l: Layout): number[] {
  const cin = s.inChannels * 4;
  const cout = s.outChannels * 4;
  return [
    cin,
    roundUp(s.outChannels, PANEL) * 4,
    cout,
    l.tiles.cols,
    l.tiles.perImage,
    l.padW * cin,
    l.padH * l.padW * cin,
    l.yCols * cout,
    l.yRows * l.yCols * cout,
  ];
}

/**
 * Runs the Winograd convolution of shape `s` in `runtime`: `input` into a
 * zeroed, padded copy, the filter transformed in float64, the tiles on both
 * threads when `threads` is given (tasks of whole chunks), and the padded
 * output's rows cut to `out`.
 */
function run(
  runtime: Runtime,
  threads: MatmulThreads | undefined,
  s: WinogradShape,
  input: Float32Array,
  filter: Float32Array,
  mirrored: boolean,
  out: Float32Array,
): void {
  const l = layoutOf(s);
  const scratch = scratchBytes(s.inChannels * 4, roundUp(s.outChannels, PANEL) * 4);
  const x = runtime.exports;
  if (threads === undefined) runtime.reserve(l.end * 4 + scratch);
  else runtime.reserve(l.end * 4);
  let mem = runtime.f32();
  mem.set(input, l.raw);
  padInput(runtime, s, l.padH, l.padW, l.raw, l.padded);
  transformFilter(filter, s, mirrored, mem, l.u);
  const head = [l.padded * 4, l.u * 4, l.yPadded * 4];
  const strides = strideArgs(s, l);
  const total = l.tiles.total;
  if (threads === undefined) {
    x.winogradF32!(...head, l.end * 4, 0, total, ...strides);
  } else {
    const perTask = roundUp(Math.ceil(total / TASKS), WINOGRAD_CHUNK);
    const program = keptJobs(threads, `winograd ${mirrored ? 'input' : 'forward'} ${JSON.stringify(s)}`, () => {
      const calls = new CallProgram(threads);
      for (let t0 = 0; t0 < total; t0 += perTask) {
        calls.task().call('winogradF32', [...head, 0, t0, Math.min(perTask, total - t0), ...strides], [3]);
      }
      return calls;
    });
    threads.runCalls(placeProgram(runtime, l.end, program, scratch / 4));
  }
  mem = runtime.f32();
  const coutBytes = s.outChannels * 4;
  x.padRowsF32!(
    l.yPadded * 4,
    l.out * 4,
    s.batch,
    s.outHeight,
    s.outWidth * coutBytes,
    l.yCols * coutBytes,
    s.outWidth * coutBytes,
    l.yRows * l.yCols * coutBytes,
    s.outHeight * s.outWidth * coutBytes,
  );
  out.set(mem.subarray(l.out, l.out + out.length));
}

/** conv2d of `g` (see `winogradFits`) by Winograd, on both threads with `threads`. */
export function winogradForward(
  runtime: Runtime,
  threads: MatmulThreads | undefined,
  g: WindowGeometry,
  x: TypedArray,
  filter: TypedArray,
  y: TypedArray,
): void {
  run(runtime, threads, forwardShape(g), x as Float32Array, filter as Float32Array, false, y as Float32Array);
}

/** conv2dBackpropInput of `g` (see `winogradFits`) by Winograd: dy convolved with the mirrored filter. */
export function winogradInputGradient(
  runtime: Runtime,
  threads: MatmulThreads | undefined,
  g: WindowGeometry,
  dy: TypedArray,
  filter: TypedArray,
  dx: TypedArray,
): void {
  run(runtime, threads, inputGradientShape(g), dy as Float32Array, filter as Float32Array, true, dx as Float32Array);
}

/**
 * conv2dBackpropFilter of `g` (see `winogradFilterFits`) by Winograd: each of
 * the {@link filterGradientTasks} sums its tiles' products into sums of its
 * own (on both threads with `threads`, else one after the other); they are
 * added up in float32 (as `sumFilterTasks`) and transformed back by
 * `untransformFilterGradient`.
 */
export function winogradFilterGradient(
  runtime: Runtime,
  threads: MatmulThreads | undefined,
  g: WindowGeometry,
  x: TypedArray,
  dy: TypedArray,
  dFilter: TypedArray,
): void {
  const s = forwardShape(g);
  const tiles = tilesOf(s);
  const tasks = filterGradientTasks(s);
  const cin = s.inChannels;
  const cout = s.outChannels;
  // Elements: x, padded x (as the forward's), dy, dy padded to whole tiles, the tasks' sums.
  const { padH, padW } = paddedInput(tiles);
  const dyRows = tiles.rows * TILE_OUT;
  const dyCols = tiles.cols * TILE_OUT;
  const padded = roundUp(x.length, 16);
  const dyRaw = roundUp(padded + s.batch * padH * padW * cin, 16);
  const dyPadded = roundUp(dyRaw + dy.length, 16);
  const sums = roundUp(dyPadded + s.batch * dyRows * dyCols * cout, 16);
  const block = ALPHA * ALPHA * filterSumsStride(s);
  const end = roundUp(sums + tasks.length * block, 16);
  const cinBytes = cin * 4;
  const coutBytes = cout * 4;
  const scratch = scratchBytes(cinBytes, coutBytes);
  runtime.reserve(end * 4 + (threads === undefined ? scratch : 0));
  const mem = runtime.f32();
  mem.set(x, 0);
  mem.set(dy, dyRaw);
  mem.fill(0, dyPadded, end);
  padInput(runtime, s, padH, padW, 0, padded);
  const exports = runtime.exports;
  exports.padRowsF32!(
    dyRaw * 4,
    dyPadded * 4,
    s.batch,
    s.outHeight,
    s.outWidth * coutBytes,
    s.outWidth * coutBytes,
    dyCols * coutBytes,
    s.outHeight * s.outWidth * coutBytes,
    dyRows * dyCols * coutBytes,
  );
  const args = (task: number): number[] => [
    padded * 4,
    dyPadded * 4,
    (sums + task * block) * 4,
    threads === undefined ? end * 4 : 0,
    ...tasks[task]!,
    cinBytes,
    coutBytes,
    tiles.cols,
    tiles.perImage,
    padW * cinBytes,
    padH * padW * cinBytes,
    dyCols * coutBytes,
    dyRows * dyCols * coutBytes,
    filterSumsStride(s) * 4,
  ];
  if (threads === undefined) {
    for (let task = 0; task < tasks.length; task++) exports.winogradFilterF32!(...args(task));
  } else {
    const program = keptJobs(threads, `winograd filter ${JSON.stringify(s)}`, () => {
      const calls = new CallProgram(threads);
      for (let task = 0; task < tasks.length; task++) calls.task().call('winogradFilterF32', args(task), [3]);
      return calls;
    });
    threads.runCalls(placeProgram(runtime, end, program, scratch / 4));
  }
  // The tasks' sums onto the first task's, in float32 (`sumFilterTasks`' order), then back to 5×5 taps.
  const add = exports.addF32vv!;
  for (let task = 1; task < tasks.length; task++) add(sums * 4, (sums + task * block) * 4, sums * 4, block);
  untransformFilterGradient(runtime.f32(), sums, s, dFilter as Float32Array);
}
