/**
 * Rows for convolutions, pooling and dropout. The internal gradient ops
 * (conv2dBackpropFilter, maxPoolBackprop, ...) have no public function: their
 * rows reach them as the gradient an inner tape takes, which the checker's
 * own tape then differentiates.
 */
import {
  GradientTape,
  avgPool,
  conv2d,
  conv2dTranspose,
  depthwiseConv2d,
  dropout,
  fused,
  maxPool,
  mul,
  sum,
  zeros,
  type Shape,
  type Tensor,
} from '../../lib/index.js';
import { sampleInput } from '../support/inputs.js';
import type { Case, RowSpec, Rows } from './row.js';

type Pad = 'valid' | 'same' | number | [number, number][];
type Pair = number | [number, number];

/** `<d/dx <f(x), dy>>`: the VJP of f at x applied to dy, taken by an inner tape (recorded by any outer one). */
function vjpOf(f: (x: Tensor) => Tensor, x: Tensor, dy: Tensor): Tensor {
  const tape = new GradientTape();
  tape.watch(x);
  const [g] = tape.gradient(sum(mul(f(x), dy)), [x]);
  return g!;
}

/** A fixed float tensor of `shape` in the dtype of `like` (a point the rows' VJPs are taken at). */
const fixed = (shape: Shape, like: Tensor): Tensor => sampleInput(shape, 'any', 0, 5, like.dtype);
const zerosOf = (shape: Shape, like: Tensor): Tensor => zeros(shape, like.dtype as 'float32' | 'float64');

/** A convolution: input shape, filter shape, output shape, strides, pad, dilations. */
interface Conv {
  readonly x: Shape;
  readonly w: Shape;
  readonly y: Shape;
  readonly strides: Pair;
  readonly pad: Pad;
  readonly dilations?: Pair;
}

const note = (c: { strides: Pair; pad: Pad; dilations?: Pair }) =>
  `strides ${JSON.stringify(c.strides)} pad ${JSON.stringify(c.pad)}` +
  (c.dilations === undefined ? '' : ` dilations ${JSON.stringify(c.dilations)}`);

const CONVS: readonly Conv[] = [
  { x: [1, 4, 4, 2], w: [2, 2, 2, 3], y: [1, 3, 3, 3], strides: 1, pad: 'valid' },
  // TensorFlow's 'same' at stride 2: 5 -> 3 (pad 1 and 1), 4 -> 2 (pad 0 and 1).
  { x: [1, 5, 5, 1], w: [3, 3, 1, 2], y: [1, 3, 3, 2], strides: 2, pad: 'same' },
  { x: [2, 4, 4, 1], w: [3, 3, 1, 1], y: [2, 2, 2, 1], strides: 2, pad: 'same' },
  { x: [1, 5, 5, 1], w: [2, 2, 1, 1], y: [1, 5, 5, 1], strides: 1, pad: 'same', dilations: 2 },
  { x: [1, 4, 3, 2], w: [2, 2, 2, 1], y: [1, 5, 4, 1], strides: 1, pad: 1 },
  {
    x: [1, 4, 4, 1],
    w: [2, 3, 1, 2],
    y: [1, 2, 4, 2],
    strides: [2, 1],
    pad: [
      [0, 0],
      [1, 0],
      [0, 2],
      [0, 0],
    ],
  },
  { x: [4, 4, 1], w: [2, 2, 1, 1], y: [3, 3, 1], strides: 1, pad: 'valid' },
  { x: [0, 3, 3, 1], w: [2, 2, 1, 2], y: [0, 2, 2, 2], strides: 1, pad: 'valid' },
];

const conv = (c: Conv) => (x: Tensor, w: Tensor) => conv2d(x, w, c.strides, c.pad, 'NHWC', c.dilations ?? 1);

/** Depthwise cases: filter [fh, fw, inChannels, multiplier]. */
const DEPTHWISE: readonly Conv[] = [
  { x: [1, 4, 4, 2], w: [2, 2, 2, 2], y: [1, 3, 3, 4], strides: 1, pad: 'valid' },
  { x: [1, 5, 5, 2], w: [3, 3, 2, 1], y: [1, 3, 3, 2], strides: 2, pad: 'same' },
  { x: [1, 5, 5, 1], w: [2, 2, 1, 2], y: [1, 5, 5, 2], strides: 1, pad: 'same', dilations: 2 },
  { x: [2, 3, 3, 2], w: [2, 2, 2, 1], y: [2, 4, 4, 2], strides: 1, pad: 1 },
  { x: [3, 3, 1], w: [2, 2, 1, 3], y: [2, 2, 3], strides: 1, pad: 'valid' },
];

const depthwise = (c: Conv) => (x: Tensor, w: Tensor) =>
  depthwiseConv2d(x, w, c.strides, c.pad, 'NHWC', c.dilations ?? 1);

/** A pooling: input shape, output shape, window, strides, pad. */
interface Pool {
  readonly x: Shape;
  readonly y: Shape;
  readonly size: Pair;
  readonly strides: Pair;
  readonly pad: Pad;
}

const POOLS: readonly Pool[] = [
  { x: [1, 4, 4, 2], y: [1, 2, 2, 2], size: 2, strides: 2, pad: 'valid' },
  { x: [1, 5, 5, 1], y: [1, 3, 3, 1], size: 3, strides: 2, pad: 'same' },
  { x: [1, 4, 4, 1], y: [1, 2, 2, 1], size: 3, strides: 2, pad: 'same' },
  { x: [2, 3, 3, 1], y: [2, 4, 4, 1], size: 2, strides: 1, pad: 1 },
  { x: [1, 4, 5, 1], y: [1, 3, 2, 1], size: [2, 3], strides: [1, 2], pad: 'valid' },
  { x: [3, 3, 2], y: [2, 2, 2], size: 2, strides: 1, pad: 'valid' },
  { x: [0, 3, 3, 1], y: [0, 2, 2, 1], size: 2, strides: 1, pad: 'valid' },
];

const poolNote = (p: Pool) => `filterSize ${JSON.stringify(p.size)} ${note(p)}`;

/** The row of a pooling op. */
function poolRow(pool: typeof maxPool): RowSpec {
  const run = (p: Pool) => (x: Tensor) => pool(x, p.size, p.strides, p.pad);
  return {
    f: run(POOLS[0]!),
    // Continuous draws: two elements of a window tie with probability 0, so no step crosses a tie.
    domain: ['any'],
    order: 2,
    cases: POOLS.map((p) => ({ shapes: [p.x], note: poolNote(p), f: run(p) })),
  };
}

/** The VJP of a pooling op at a fixed x, as a function of dy: its backprop op. */
const poolBackprop = (pool: typeof maxPool, p: Pool) => (dy: Tensor) =>
  vjpOf((x) => pool(x, p.size, p.strides, p.pad), fixed(p.x, dy), dy);

/** The row of a pooling op's backprop op (its VJP). */
function poolBackpropRow(pool: typeof maxPool): RowSpec {
  return {
    f: poolBackprop(pool, POOLS[0]!),
    domain: ['any'],
    order: 2,
    cases: POOLS.map((p) => ({ shapes: [p.y], note: `${poolNote(p)}, at a fixed x`, f: poolBackprop(pool, p) })),
  };
}

/** maxPoolGather's row: the gather is the VJP of maxPoolBackprop with respect to dy (the VJP of that VJP). */
function maxPoolGatherRow(): RowSpec {
  const gather = (p: Pool) => (u: Tensor) => vjpOf(poolBackprop(maxPool, p), zerosOf(p.y, u), u);
  return {
    f: gather(POOLS[0]!),
    domain: ['any'],
    order: 2,
    cases: POOLS.map((p) => ({ shapes: [p.x], note: `${poolNote(p)}, at a fixed x`, f: gather(p) })),
  };
}

/** A row whose f is its first case's. */
const row = (domain: RowSpec['domain'], order: 1 | 2, cases: Case[]): RowSpec => ({
  f: cases[0]!.f!,
  domain,
  order,
  cases,
});

const convCases = (list: readonly Conv[], shapesOf: (c: Conv) => Shape[], f: (c: Conv) => Case['f']): Case[] =>
  list.map((c) => ({ shapes: shapesOf(c), note: note(c), f: f(c) }));

/** fused.conv2d on a CONVS case, with a bias of one value per output channel (or none) and an activation. */
const fusedConv = (c: Conv, activation: 'linear' | 'relu', withBias: boolean): Case => ({
  shapes: withBias ? [c.x, c.w, [c.w[3]!]] : [c.x, c.w],
  note: `${note(c)} ${activation}${withBias ? ' bias' : ''}`,
  f: (x, w, bias) =>
    fused.conv2d({
      x: x!,
      filter: w!,
      strides: c.strides,
      pad: c.pad,
      dilations: c.dilations ?? 1,
      bias,
      activation,
    }),
});

/** fused.matMul with the given shapes (a, b, then the bias if any), transposes and activation. */
const fusedMm = (shapes: Shape[], activation: 'linear' | 'relu', transposeA = false, transposeB = false): Case => ({
  shapes,
  note: `${activation}${shapes.length > 2 ? ` bias ${JSON.stringify(shapes[2])}` : ''} transposeA=${transposeA} transposeB=${transposeB}`,
  f: (a, b, bias) => fused.matMul({ a: a!, b: b!, bias, activation, transposeA, transposeB }),
});

export const NN_ROWS = {
  // Random inputs put no pre-activation on relu's kink (a null set), so central differences hold.
  fusedConv2d: row(['any', 'any', 'any'], 2, [
    fusedConv(CONVS[0]!, 'relu', true),
    fusedConv(CONVS[1]!, 'linear', true),
    fusedConv(CONVS[3]!, 'relu', false),
    fusedConv(CONVS[6]!, 'relu', true),
    fusedConv(CONVS[7]!, 'relu', true),
  ]),
  fusedMatMul: row(['any', 'any', 'any'], 2, [
    fusedMm([[2, 3], [3, 4], [4]], 'relu'),
    fusedMm(
      [
        [3, 2],
        [4, 3],
        [1, 4],
      ],
      'relu',
      true,
      true,
    ),
    fusedMm([[2, 2, 3], [3, 2], [2]], 'linear'),
    fusedMm(
      [
        [2, 3],
        [2, 4],
      ],
      'relu',
      true,
      false,
    ),
    fusedMm(
      [
        [2, 3],
        [3, 4],
        [2, 4],
      ],
      'relu',
    ),
    fusedMm([[0, 3], [3, 2], [2]], 'relu'),
  ]),
  conv2d: row(
    ['any', 'any'],
    2,
    convCases(CONVS, (c) => [c.x, c.w], conv),
  ),
  // conv2dTranspose is conv2dBackpropInput (dy of the conv's output shape, the same filter); it has no
  // dilations, so a dilated case takes the conv's VJP instead.
  conv2dBackpropInput: row(
    ['any', 'any'],
    2,
    convCases(
      CONVS,
      (c) => [c.y, c.w],
      (c) => (dy, w) =>
        c.dilations === undefined
          ? conv2dTranspose(dy!, w!, c.x, c.strides, c.pad)
          : vjpOf((x) => conv(c)(x, w!), zerosOf(c.x, dy!), dy!),
    ),
  ),
  conv2dBackpropFilter: row(
    ['any', 'any'],
    2,
    convCases(
      CONVS,
      (c) => [c.x, c.y],
      (c) => (x, dy) => vjpOf((w) => conv(c)(x!, w), zerosOf(c.w, x!), dy!),
    ),
  ),
  depthwiseConv2d: row(
    ['any', 'any'],
    2,
    convCases(DEPTHWISE, (c) => [c.x, c.w], depthwise),
  ),
  depthwiseConv2dBackpropInput: row(
    ['any', 'any'],
    2,
    convCases(
      DEPTHWISE,
      (c) => [c.y, c.w],
      (c) => (dy, w) => vjpOf((x) => depthwise(c)(x, w!), zerosOf(c.x, dy!), dy!),
    ),
  ),
  depthwiseConv2dBackpropFilter: row(
    ['any', 'any'],
    2,
    convCases(
      DEPTHWISE,
      (c) => [c.x, c.y],
      (c) => (x, dy) => vjpOf((w) => depthwise(c)(x!, w), zerosOf(c.w, x!), dy!),
    ),
  ),
  maxPool: poolRow(maxPool),
  maxPoolBackprop: poolBackpropRow(maxPool),
  maxPoolGather: maxPoolGatherRow(),
  avgPool: poolRow(avgPool),
  avgPoolBackprop: poolBackpropRow(avgPool),
  // Linear in x for a fixed seed: the mask is the same at every evaluation.
  dropout: {
    f: (x) => dropout(x!, 0.5, undefined, 1),
    domain: ['any'],
    order: 1,
    cases: [
      { shapes: [[2, 3]], note: 'rate 0.5' },
      { shapes: [[2, 3, 4]], note: 'rate 0.3, noiseShape [1, 3, 1]', f: (x) => dropout(x!, 0.3, [1, 3, 1], 2) },
      { shapes: [[3]], note: 'rate 0', f: (x) => dropout(x!, 0, undefined, 3) },
      { shapes: [[]], note: 'rate 0.5, a scalar', f: (x) => dropout(x!, 0.5, undefined, 4) },
      { shapes: [[0, 3]], note: 'rate 0.5' },
    ],
  },
} satisfies Rows;
