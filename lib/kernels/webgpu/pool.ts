/// <reference types="@webgpu/types" />
/**
 * WGSL pooling kernels on NHWC arrays (maxPool, its gradient and its gather, avgPool and its gradient), with the CPU
 * kernels' arguments (lib/kernels/pool.ts). Windows are FH x FW, undilated, clipped to the input, as the CPU sweeps
 * them. Every kernel is direct: one invocation per element it writes, so gradients are gathers over the windows that
 * cover an input element, never atomic scatters. maxPool compares float bits through an order-preserving key, so
 * NaNs, -0 and ties pick the CPU's element whatever the device does with NaNs.
 */
import type { GpuContext } from './context.js';
import {
  checkFloat32,
  checkNoAlias,
  elementShader,
  geometryDims,
  perElement,
  unravelNhwc,
  type Binding,
  type Gpu,
} from './window.js';

/** The pooling kernels on GPU arrays, as `gpuPool` returns them. */
export interface GpuPoolKernels {
  maxPool: Gpu<'maxPool'>;
  maxPoolBackprop: Gpu<'maxPoolBackprop'>;
  maxPoolGather: Gpu<'maxPoolGather'>;
  avgPool: Gpu<'avgPool'>;
  avgPoolBackprop: Gpu<'avgPoolBackprop'>;
}

/**
 * The flat offset in x of the first maximum of window (n, oi, oj) in channel c, or -1 for an empty window; x is
 * read as bits and compared through an order-preserving integer key, so that the result does not depend on how
 * the device treats NaNs or subnormals: a NaN is the maximum (the first one wins) and -0 ties with +0 (the first
 * wins), as the CPU's `v > best || (isNaN(v) && !isNaN(best))` decides.
 */
const ARGMAX = /* wgsl */ `
fn isNan(bits: u32) -> bool { return (bits & 0x7fffffffu) > 0x7f800000u; }

// Orders non-NaN floats as the integers do; -0 and +0 share a key.
fn orderKey(bits: u32) -> i32 {
  let magnitude = i32(bits & 0x7fffffffu);
  if ((bits & 0x80000000u) != 0u) { return -magnitude; }
  return magnitude;
}

fn argmax(g: Geometry, n: u32, oi: u32, oj: u32, c: u32) -> i32 {
  let top = i32(oi * g.SH) - g.padTop;
  let h0 = max(top, 0);
  let h1 = min(top + i32(g.FH), i32(g.H));
  let left = i32(oj * g.SW) - g.padLeft;
  let w0 = max(left, 0);
  let w1 = min(left + i32(g.FW), i32(g.W));
  var at = -1;
  var best = 0;
  var bestNan = false;
  for (var h = h0; h < h1; h++) {
    for (var w = w0; w < w1; w++) {
      let s = ((i32(n * g.H) + h) * i32(g.W) + w) * i32(g.C) + i32(c);
      let bits = x[s];
      if (isNan(bits)) {
        if (!bestNan) { bestNan = true; at = s; }
      } else {
        let key = orderKey(bits);
        if (at < 0 || (!bestNan && key > best)) { best = key; at = s; }
      }
    }
  }
  return at;
}`;

/** Output element i's (n, oi, oj, c) for the pooling shaders. */
const POOL_OUTPUT_INDEX = `${unravelNhwc(['n', 'oi', 'oj', 'c'], 'OH', 'OW', 'C')}`;

/** The bits the CPU writes for an empty window (`x[-1]`, undefined, stored as float32: NaN). */
const NAN_BITS = '0x7fc00000u';

/** maxPool and maxPoolGather: y copies the bits of x (or of ddx) at each window's first maximum. */
function maxPoolShader(gather: boolean): string {
  const source = gather ? 'ddx' : 'x';
  const bindings: Binding[] = [
    ['x', 'read', 'u32'],
    ...(gather ? [['ddx', 'read', 'u32'] as const] : []),
    ['y', 'read_write', 'u32'],
  ];
  return elementShader(
    bindings,
    ARGMAX,
    `${POOL_OUTPUT_INDEX}
  let at = argmax(g, n, oi, oj, c);
  if (at < 0) { y[i] = ${NAN_BITS}; } else { y[i] = ${source}[at]; }`,
  );
}

/** The argmax of every output element as a flat offset in x: the first pass of maxPoolBackprop. */
const MAX_POOL_ARGMAX_SHADER = elementShader(
  [
    ['x', 'read', 'u32'],
    ['argmaxOut', 'read_write', 'i32'],
  ],
  ARGMAX,
  `${POOL_OUTPUT_INDEX}
  argmaxOut[i] = argmax(g, n, oi, oj, c);`,
);

/**
 * The output rows (or columns) whose pooling windows contain input row `at` (padding before added), as [first, end):
 * window oi covers rows oi * stride .. oi * stride + size - 1.
 */
const POOL_COVER = /* wgsl */ `
fn coverEnd(at: i32, stride: u32, outSize: u32) -> u32 {
  if (at < 0) { return 0u; }
  return min(u32(at) / stride + 1u, outSize);
}`;

/** Input element i's (n, h, w, c) and the ranges of output rows and columns whose windows contain it. */
const POOL_INPUT_INDEX = `${unravelNhwc(['n', 'h', 'w', 'c'], 'H', 'W', 'C')}
  let ai = i32(h) + g.padTop;
  let aj = i32(w) + g.padLeft;
  let i0 = firstWindow(ai, g.FH, 1u, g.SH);
  let i1 = coverEnd(ai, g.SH, g.OH);
  let j0 = firstWindow(aj, g.FW, 1u, g.SW);
  let j1 = coverEnd(aj, g.SW, g.OW);`;

/**
 * maxPoolBackprop's second pass: input element i sums, in output order as the CPU adds them, the dy of the windows
 * whose first maximum it is.
 */
const MAX_POOL_BACKPROP_SHADER = elementShader(
  [
    ['dy', 'read', 'f32'],
    ['argmaxIn', 'read', 'i32'],
    ['dx', 'read_write', 'f32'],
  ],
  POOL_COVER,
  `${POOL_INPUT_INDEX}
  var sum = 0.0;
  for (var oi = i0; oi < i1; oi++) {
    for (var oj = j0; oj < j1; oj++) {
      let o = ((n * g.OH + oi) * g.OW + oj) * g.C + c;
      if (argmaxIn[o] == i32(i)) { sum += dy[o]; }
    }
  }
  dx[i] = sum;`,
);

/** The number of in-bounds elements of window (oi, oj), as pool.ts's sweep clips it. */
const WINDOW_COUNT = /* wgsl */ `
fn windowCount(g: Geometry, oi: u32, oj: u32) -> u32 {
  let top = i32(oi * g.SH) - g.padTop;
  let left = i32(oj * g.SW) - g.padLeft;
  let rows = min(top + i32(g.FH), i32(g.H)) - max(top, 0);
  let cols = min(left + i32(g.FW), i32(g.W)) - max(left, 0);
  return u32(max(rows, 0) * max(cols, 0));
}`;

/** avgPool: the in-bounds sum over the in-bounds count (0 / 0, NaN, for an empty window, as on the CPU). */
const AVG_POOL_SHADER = elementShader(
  [
    ['x', 'read', 'f32'],
    ['y', 'read_write', 'u32'], // bits, so that an empty window can get the CPU's NaN (WGSL has no NaN constant)
  ],
  WINDOW_COUNT,
  `${POOL_OUTPUT_INDEX}
  let top = i32(oi * g.SH) - g.padTop;
  let left = i32(oj * g.SW) - g.padLeft;
  let count = windowCount(g, oi, oj);
  if (count == 0u) { y[i] = ${NAN_BITS}; return; }
  var sum = 0.0;
  for (var h = max(top, 0); h < min(top + i32(g.FH), i32(g.H)); h++) {
    for (var w = max(left, 0); w < min(left + i32(g.FW), i32(g.W)); w++) {
      sum += x[((i32(n * g.H) + h) * i32(g.W) + w) * i32(g.C) + i32(c)];
    }
  }
  y[i] = bitcast<u32>(sum / f32(count));`,
);

/** avgPoolBackprop: input element i gathers each covering window's dy over that window's count. */
const AVG_POOL_BACKPROP_SHADER = elementShader(
  [
    ['dy', 'read', 'f32'],
    ['dx', 'read_write', 'f32'],
  ],
  POOL_COVER + WINDOW_COUNT,
  `${POOL_INPUT_INDEX}
  var sum = 0.0;
  for (var oi = i0; oi < i1; oi++) {
    for (var oj = j0; oj < j1; oj++) {
      sum += dy[((n * g.OH + oi) * g.OW + oj) * g.C + c] / f32(windowCount(g, oi, oj));
    }
  }
  dx[i] = sum;`,
);

/** The pooling kernels on GPU arrays (float32), with the CPU kernels' arguments. */
export function gpuPool(ctx: GpuContext): GpuPoolKernels {
  return {
    maxPool(x, g, y) {
      perElement(ctx, 'maxPool', maxPoolShader(false), [x], y, g);
    },
    maxPoolGather(ddx, x, g, y) {
      // x first: the shared argmax code reads it at binding 0.
      checkFloat32('maxPoolGather', [ddx, x, y]);
      checkNoAlias('maxPoolGather', y, [ddx, x]);
      ctx.dispatch(
        'conv.maxPoolGather',
        () => maxPoolShader(true),
        [x, ddx, y],
        geometryDims(g, y.length),
        ctx.grid(y.length),
      );
    },
    maxPoolBackprop(dy, x, g, dx) {
      checkFloat32('maxPoolBackprop', [dy, x, dx]);
      checkNoAlias('maxPoolBackprop', dx, [dy, x]);
      const outputs = g.batch * g.outHeight * g.outWidth * g.inChannels;
      const argmax = ctx.allocate(outputs, 'int32');
      ctx.dispatch(
        'conv.maxPoolArgmax',
        () => MAX_POOL_ARGMAX_SHADER,
        [x, argmax],
        geometryDims(g, outputs),
        ctx.grid(outputs),
      );
      ctx.dispatch(
        'conv.maxPoolBackprop',
        () => MAX_POOL_BACKPROP_SHADER,
        [dy, argmax, dx],
        geometryDims(g, dx.length),
        ctx.grid(dx.length),
      );
      // Both dispatches are submitted: whatever reuses the buffer is queued after them.
      ctx.pool.freeNow(argmax);
    },
    avgPool(x, g, y) {
      perElement(ctx, 'avgPool', AVG_POOL_SHADER, [x], y, g);
    },
    avgPoolBackprop(dy, g, dx) {
      perElement(ctx, 'avgPoolBackprop', AVG_POOL_BACKPROP_SHADER, [dy], dx, g);
    },
  };
}
