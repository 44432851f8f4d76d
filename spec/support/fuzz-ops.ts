/**
 * The op catalogue of spec/fuzz.spec.ts: for each public differentiable op,
 * how to add it to a graph under construction (fuzz-graphs.ts): which earlier
 * nodes it takes, which attributes, and which guards keep central differences
 * honest: a domain guard (log of a positive), a magnitude guard (exp of a
 * bounded argument), or a shift away from a kink or tie (relu, maximum, a
 * where condition), all decided on the nodes' actual values (the guards and
 * operand choices are in fuzz-operands.ts).
 */
import {
  abs,
  acos,
  acosh,
  add,
  addN,
  asin,
  asinh,
  atan,
  atan2,
  atanh,
  avgPool,
  broadcastTo,
  ceil,
  clipByValue,
  concat,
  conv2d,
  conv2dTranspose,
  cos,
  cosh,
  cumsum,
  depthwiseConv2d,
  div,
  elu,
  erf,
  exp,
  expandDims,
  expm1,
  floor,
  gather,
  greater,
  identity,
  leakyRelu,
  log,
  log1p,
  logSigmoid,
  logSoftmax,
  logSumExp,
  losses,
  matmul,
  max,
  maximum,
  maxPool,
  mean,
  min,
  minimum,
  mod,
  moments,
  mul,
  neg,
  norm,
  pad,
  pow,
  prod,
  reciprocal,
  relu,
  relu6,
  reshape,
  reverse,
  round,
  rsqrt,
  selu,
  sigmoid,
  sign,
  sin,
  sinh,
  slice,
  softmax,
  softplus,
  split,
  sqrt,
  square,
  squaredDifference,
  squeeze,
  stack,
  stridedSlice,
  sub,
  sum,
  tan,
  tanh,
  tile,
  transpose,
  unstack,
  where,
  type Tensor,
} from '../../lib/index.js';
import {
  KINK_MARGIN,
  NotApplicable,
  broadcastShape,
  int32,
  literal,
  sizeOf,
  type GraphBuilder,
  type OpBuilder,
} from './fuzz-graphs.js';
import {
  awayFrom,
  axesOf,
  axisOf,
  bounded,
  broadcastPair,
  clearExtremes,
  distinctFrom,
  divisors,
  filter,
  firstShift,
  groups,
  halfKink,
  image,
  integerKink,
  nonzero,
  ofRank,
  pairedWith,
  permutation,
  poolWindows,
  positive,
  reshapeTarget,
  sameShape,
  window,
  zeroKink,
} from './fuzz-operands.js';

// ---------------------------------------------------------------- op families

type Impl = (...a: never[]) => Tensor;

/** A unary op on a node, through `prepare` (a guard) when given. */
const unary =
  (fn: string, impl: Impl, prepare?: (b: GraphBuilder, i: number) => number): OpBuilder =>
  (b) => {
    const i = b.node();
    b.call(fn, impl, [prepare ? prepare(b, i) : i]);
  };

/** A unary op with kinks where `distance` is 0, on a node shifted away from them. */
const kinked =
  (fn: string, impl: Impl, distance: (v: number) => number, ...literals: unknown[]): OpBuilder =>
  (b) =>
    b.call(fn, impl, [awayFrom(b, b.node(), distance)], ...literals);

/**
 * A step function (zero gradient, jumps where `distance` is 0), added to its
 * argument so that the path through it still carries a gradient.
 */
const step =
  (fn: string, impl: Impl, distance: (v: number) => number): OpBuilder =>
  (b) => {
    const i = awayFrom(b, b.node(), distance);
    b.call('add', add, [i, b.call(fn, impl, [i])]);
  };

/** A broadcasting binary op, the operands through `prepare` when given; `distinct` as for broadcastPair. */
const binary =
  (
    fn: string,
    impl: Impl,
    prepare?: (b: GraphBuilder, a: number, c: number) => [number, number],
    distinct = prepare !== undefined,
  ): OpBuilder =>
  (b) => {
    const [a, c] = broadcastPair(b, distinct);
    b.call(fn, impl, prepare ? prepare(b, a, c) : [a, c]);
  };

/** A reduction over random axes, with or without kept dimensions; `check` may reject ties. */
const reduction =
  (fn: string, impl: Impl, prepare?: (b: GraphBuilder, i: number) => number, check?: (gs: number[][]) => boolean) =>
  (b: GraphBuilder): void => {
    const x = b.node();
    const i = prepare ? prepare(b, x) : x;
    const axes = axesOf(b, b.shape(i).length);
    if (check && !check(groups(b, i, axes))) throw new NotApplicable();
    b.call(fn, impl, [i], axes, b.picks.bool());
  };

/** An op along one axis (softmax, logSoftmax). */
const alongAxis =
  (fn: string, impl: Impl): OpBuilder =>
  (b) => {
    const i = ofRank(b, 1);
    b.call(fn, impl, [i], axisOf(b, b.shape(i).length));
  };

/** A new shape for node i: flattened, another node's shape of the same size, a dimension split or merged, a 1 added. */
// ---------------------------------------------------------------- the catalogue

/** Every op the fuzz draws from, by name. Each applies to any graph or throws NotApplicable. */
export const FUZZ_OPS: readonly (readonly [string, OpBuilder])[] = [
  // Smooth everywhere.
  ['neg', unary('neg', neg)],
  ['identity', unary('identity', identity)],
  ['sin', unary('sin', sin)],
  ['cos', unary('cos', cos)],
  ['tanh', unary('tanh', tanh)],
  ['sigmoid', unary('sigmoid', sigmoid)],
  ['softplus', unary('softplus', softplus)],
  ['logSigmoid', unary('logSigmoid', logSigmoid)],
  ['atan', unary('atan', atan)],
  ['asinh', unary('asinh', asinh)],
  ['erf', unary('erf', erf)],
  // Growing: on a bounded argument.
  ['exp', unary('exp', exp, (b, i) => bounded(b, i, 2))],
  ['expm1', unary('expm1', expm1, (b, i) => bounded(b, i, 2))],
  ['sinh', unary('sinh', sinh, (b, i) => bounded(b, i, 2))],
  ['cosh', unary('cosh', cosh, (b, i) => bounded(b, i, 2))],
  ['square', unary('square', square, (b, i) => bounded(b, i, 3))],
  ['tan', unary('tan', tan, (b, i) => bounded(b, i, 1.2))],
  // A restricted domain: on a guarded argument.
  ['log', unary('log', log, (b, i) => positive(b, i))],
  ['log1p', unary('log1p', log1p, (b, i) => positive(b, i, -0.8))],
  ['sqrt', unary('sqrt', sqrt, (b, i) => positive(b, i))],
  ['rsqrt', unary('rsqrt', rsqrt, (b, i) => positive(b, i))],
  ['reciprocal', unary('reciprocal', reciprocal, nonzero)],
  ['asin', unary('asin', asin, (b, i) => bounded(b, i, 0.9))],
  ['acos', unary('acos', acos, (b, i) => bounded(b, i, 0.9))],
  ['atanh', unary('atanh', atanh, (b, i) => bounded(b, i, 0.9))],
  ['acosh', unary('acosh', acosh, (b, i) => positive(b, i, 1.2))],
  // Kinks: on an argument shifted away from them.
  ['abs', kinked('abs', abs, zeroKink)],
  ['relu', kinked('relu', relu, zeroKink)],
  ['relu6', kinked('relu6', relu6, (v) => Math.min(Math.abs(v), Math.abs(v - 6)))],
  ['elu', kinked('elu', elu, zeroKink)],
  ['selu', kinked('selu', selu, zeroKink)],
  ['leakyRelu', kinked('leakyRelu', leakyRelu, zeroKink, 0.2)],
  ['clipByValue', kinked('clipByValue', clipByValue, (v) => Math.min(Math.abs(v + 0.7), Math.abs(v - 1.1)), -0.7, 1.1)],
  ['sign', step('sign', sign, zeroKink)],
  ['floor', step('floor', floor, integerKink)],
  ['ceil', step('ceil', ceil, integerKink)],
  ['round', step('round', round, halfKink)],
  // Broadcasting binary ops.
  ['add', binary('add', add)],
  ['sub', binary('sub', sub, undefined, true)],
  ['mul', binary('mul', mul)],
  ['squaredDifference', binary('squaredDifference', squaredDifference, undefined, true)],
  ['div', binary('div', div, (b, a, c) => [a, nonzero(b, c)])],
  ['pow', binary('pow', pow, (b, a, c) => [positive(b, bounded(b, a, 4)), bounded(b, c, 2)])],
  [
    'atan2',
    // Off the branch cut (a = 0 with b < 0) and away from the origin.
    binary('atan2', atan2, (b, a, c) => [
      a,
      pairedWith(b, a, c, (y, x) => x >= KINK_MARGIN || Math.abs(y) >= KINK_MARGIN),
    ]),
  ],
  [
    'mod',
    // d/db mod(a, b) = -floor(a / b) jumps where a / b is an integer.
    binary('mod', mod, (b, a, c) => {
      const d = positive(b, c, 0.5);
      return [pairedWith(b, d, a, (y, x) => integerKink(x / y) * y >= KINK_MARGIN), d];
    }),
  ],
  [
    'maximum',
    binary('maximum', maximum, (b, a, c) => [a, pairedWith(b, a, c, (x, y) => Math.abs(x - y) >= KINK_MARGIN)]),
  ],
  [
    'minimum',
    binary('minimum', minimum, (b, a, c) => [a, pairedWith(b, a, c, (x, y) => Math.abs(x - y) >= KINK_MARGIN)]),
  ],
  [
    'where',
    (b) => {
      const [a, c] = broadcastPair(b);
      const out = broadcastShape(b.shape(a), b.shape(c))!;
      const k = b.node((j) => broadcastShape(out, b.shape(j)) !== undefined);
      const values = b.value(k);
      const d = firstShift((d) => values.every((v) => Math.abs(v - d) >= KINK_MARGIN));
      b.emit(
        [k, a, c],
        ([nk, na, nc]) => `where(greater(${nk}, ${d}), ${na}, ${nc})`,
        ([xk, xa, xc]) => where(greater(xk!, d), xa!, xc!),
      );
    },
  ],
  [
    'addN',
    (b) => {
      const a = b.node();
      b.callList('addN', addN, [a, sameShape(b, a), ...(b.picks.bool() ? [sameShape(b, a)] : [])]);
    },
  ],
  // Reductions.
  ['sum', reduction('sum', sum)],
  ['mean', reduction('mean', mean)],
  ['prod', reduction('prod', prod, (b, i) => bounded(b, i, 1.2))],
  ['max', reduction('max', max, undefined, (gs) => clearExtremes(gs, 1))],
  ['min', reduction('min', min, undefined, (gs) => clearExtremes(gs, -1))],
  ['logSumExp', reduction('logSumExp', logSumExp)],
  [
    'norm',
    (b) => {
      const i = b.node();
      const euclidean = b.picks.bool();
      const x = euclidean ? i : awayFrom(b, i, zeroKink);
      // Vector norms along one axis (or all), Frobenius norms over two.
      const all = axesOf(b, b.shape(x).length);
      const axes = Array.isArray(all) ? all.slice(0, euclidean ? 2 : 1) : all;
      if (euclidean && groups(b, x, axes).some((g) => Math.hypot(...g) < 0.1)) throw new NotApplicable();
      b.call('norm', norm, [x], euclidean ? 'euclidean' : 1, axes, b.picks.bool());
    },
  ],
  [
    'moments',
    (b) => {
      const i = b.node();
      const axes = axesOf(b, b.shape(i).length);
      const keepDims = b.picks.bool();
      b.emit(
        [i],
        ([n]) => `moments(${n}, ${literal(axes)}, ${keepDims}).variance`,
        ([x]) => moments(x!, axes, keepDims).variance,
      );
    },
  ],
  [
    'cumsum',
    (b) => {
      const i = ofRank(b, 1);
      b.call('cumsum', cumsum, [i], axisOf(b, b.shape(i).length), b.picks.bool(), b.picks.bool());
    },
  ],
  ['softmax', alongAxis('softmax', softmax)],
  ['logSoftmax', alongAxis('logSoftmax', logSoftmax)],
  // Shapes.
  [
    'reshape',
    (b) => {
      const i = b.node();
      b.call('reshape', reshape, [i], reshapeTarget(b, b.shape(i)));
    },
  ],
  [
    'transpose',
    (b) => {
      const i = b.node();
      const rank = b.shape(i).length;
      if (b.picks.int(4) === 0) b.call('transpose', transpose, [i]);
      else b.call('transpose', transpose, [i], permutation(b, rank));
    },
  ],
  [
    'expandDims',
    (b) => {
      const i = b.node();
      const rank = b.shape(i).length;
      b.call('expandDims', expandDims, [i], b.picks.int(2 * rank + 2) - rank - 1);
    },
  ],
  [
    'squeeze',
    (b) => {
      const i = b.node((j) => b.shape(j).includes(1));
      const ones = b.shape(i).flatMap((d, k) => (d === 1 ? [k] : []));
      if (b.picks.bool()) b.call('squeeze', squeeze, [i]);
      else b.call('squeeze', squeeze, [i], [b.picks.of(ones)]);
    },
  ],
  [
    'slice',
    (b) => {
      const i = ofRank(b, 1);
      const begin = b.shape(i).map((d) => b.picks.int(d));
      const size = b.shape(i).map((d, k) => (b.picks.int(4) === 0 ? -1 : 1 + b.picks.int(d - begin[k]!)));
      b.call('slice', slice, [i], begin, size);
    },
  ],
  [
    'stridedSlice',
    (b) => {
      const i = ofRank(b, 1);
      const begin = b.shape(i).map((d) => b.picks.int(d));
      const end = b.shape(i).map((d, k) => begin[k]! + 1 + b.picks.int(d - begin[k]!));
      const strides = b.shape(i).map(() => 1 + b.picks.int(2));
      b.call('stridedSlice', stridedSlice, [i], begin, end, strides);
    },
  ],
  [
    'reverse',
    (b) => {
      const i = ofRank(b, 1);
      b.call('reverse', reverse, [i], axesOf(b, b.shape(i).length));
    },
  ],
  [
    'pad',
    (b) => {
      const i = b.node();
      const paddings = b.shape(i).map(() => [b.picks.int(2), b.picks.int(2)]);
      b.call('pad', pad, [i], paddings, b.picks.of([0, 0.5, -1]));
    },
  ],
  [
    'concat',
    (b) => {
      const a = ofRank(b, 1);
      const shape = b.shape(a);
      const axis = b.picks.int(shape.length);
      const fits = (j: number) =>
        b.shape(j).length === shape.length && b.shape(j).every((d, k) => k === axis || d === shape[k]);
      const parts = [a, b.node(fits), ...(b.picks.bool() ? [b.node(fits)] : [])];
      b.callList(
        'concat',
        concat,
        b.picks.bool() ? parts : parts.reverse(),
        b.picks.bool() ? axis : axis - shape.length,
      );
    },
  ],
  [
    'stack',
    (b) => {
      const a = b.node();
      b.callList('stack', stack, [a, sameShape(b, a)], b.picks.int(b.shape(a).length + 1));
    },
  ],
  [
    'tile',
    (b) => {
      const i = b.node();
      b.call(
        'tile',
        tile,
        [i],
        b.shape(i).map(() => 1 + b.picks.int(3)),
      );
    },
  ],
  [
    'broadcastTo',
    (b) => {
      const i = b.node();
      const shape = b.shape(i).map((d) => (d === 1 ? 1 + b.picks.int(3) : d));
      b.call('broadcastTo', broadcastTo, [i], b.picks.bool() ? [1 + b.picks.int(3), ...shape] : shape);
    },
  ],
  [
    'gather',
    (b) => {
      // Repeated indices make the VJP add several gradients into one row.
      const i = ofRank(b, 1);
      const shape = b.shape(i);
      const axis = b.picks.int(shape.length);
      const indexShape = b.picks.int(3) === 0 ? [2, 1 + b.picks.int(2)] : [1 + b.picks.int(4)];
      const indices = Array.from({ length: sizeOf(indexShape) }, () => b.picks.int(shape[axis]!));
      b.call('gather', gather, [i], int32(indices, indexShape), b.picks.bool() ? axis : axis - shape.length);
    },
  ],
  [
    'split',
    (b) => {
      const i = b.node((j) => b.shape(j).some((d) => d > 1));
      const shape = b.shape(i);
      const axis = b.picks.of(shape.flatMap((d, k) => (d > 1 ? [k] : [])));
      // Equal parts when a divisor of 2-4 fits, else sizes [first, -1].
      const d = shape[axis]!;
      const counts = divisors(d, 4).filter((p) => p > 1);
      const parts = counts.length > 0 && b.picks.bool() ? b.picks.of(counts) : [1 + b.picks.int(d - 1), -1];
      const k = b.picks.int(typeof parts === 'number' ? parts : 2);
      b.emit(
        [i],
        ([n]) => `split(${n}, ${literal(parts)}, ${axis})[${k}]`,
        ([x]) => split(x!, parts, axis)[k]!,
      );
    },
  ],
  [
    'unstack',
    (b) => {
      const i = ofRank(b, 1);
      const axis = b.picks.int(b.shape(i).length);
      const k = b.picks.int(b.shape(i)[axis]!);
      b.emit(
        [i],
        ([n]) => `unstack(${n}, ${axis})[${k}]`,
        ([x]) => unstack(x!, axis)[k]!,
      );
    },
  ],
  // Linear algebra and convolutions.
  [
    'matmul',
    (b) => {
      const a = ofRank(b, 2);
      const sa = b.shape(a);
      const ta = b.picks.bool();
      const tb = b.picks.bool();
      const inner = ta ? sa.at(-2)! : sa.at(-1)!;
      const fits = (j: number) => {
        const s = b.shape(j);
        return (
          s.length >= 2 &&
          (tb ? s.at(-1) : s.at(-2)) === inner &&
          broadcastShape(sa.slice(0, -2), s.slice(0, -2)) !== undefined
        );
      };
      // a with itself (a a^T or a^T a) always fits.
      if (b.nodes.some((_, j) => fits(j))) b.call('matmul', matmul, [a, b.node(fits)], ta, tb);
      else b.call('matmul', matmul, [a, a], ta, !ta);
    },
  ],
  [
    'conv2d',
    (b) => {
      const x = image(b);
      const f = filter(b, b.shape(x).at(-1)!);
      const [fh, fw] = b.shape(f) as [number, number];
      const { pad: p, stride } = window(b, b.shape(x), fh, fw);
      const dilation = stride === 1 && p === 'same' ? 1 + b.picks.int(2) : 1;
      b.call('conv2d', conv2d, [x, f], stride, p, 'NHWC', dilation);
    },
  ],
  [
    'depthwiseConv2d',
    (b) => {
      const x = image(b);
      const f = filter(b, b.shape(x).at(-1)!);
      const [fh, fw] = b.shape(f) as [number, number];
      const { pad: p, stride } = window(b, b.shape(x), fh, fw);
      b.call('depthwiseConv2d', depthwiseConv2d, [x, f], stride, p);
    },
  ],
  [
    'conv2dTranspose',
    (b) => {
      // The gradient of a 'same' conv2d of an [H s, W s, out] image, with x [H, W, in] as its output.
      const x = image(b);
      const sx = b.shape(x);
      const ff = filter(b, sx.at(-1)!);
      const cout = b.shape(ff)[3]!;
      const f = b.call('transpose', transpose, [ff], [0, 1, 3, 2]);
      const stride = 1 + b.picks.int(2);
      const outputShape = [...sx.slice(0, -3), sx.at(-3)! * stride, sx.at(-2)! * stride, cout];
      b.call('conv2dTranspose', conv2dTranspose, [x, f], outputShape, stride, 'same');
    },
  ],
  [
    'avgPool',
    (b) => {
      const x = image(b);
      const fh = 1 + b.picks.int(3);
      const fw = 1 + b.picks.int(3);
      const { pad: p, stride } = window(b, b.shape(x), fh, fw);
      b.call('avgPool', avgPool, [x], [fh, fw], stride, typeof p === 'number' ? 'same' : p);
    },
  ],
  [
    'maxPool',
    (b) => {
      const x = image(b);
      const fh = 1 + b.picks.int(3);
      const fw = 1 + b.picks.int(3);
      const { pad: p, stride } = window(b, b.shape(x), fh, fw);
      const padding = typeof p === 'number' ? 'same' : p;
      // A window whose largest value ties with another has a kink: not applicable.
      if (!clearExtremes(poolWindows(b, x, fh, fw, stride, padding), 1)) throw new NotApplicable();
      b.call('maxPool', maxPool, [x], [fh, fw], stride, padding);
    },
  ],
  // Losses (composites of the ops above, with their own reductions).
  [
    'losses.meanSquaredError',
    (b) => {
      const a = b.node();
      b.call('losses.meanSquaredError', losses.meanSquaredError, [a, distinctFrom(b, a, sameShape(b, a))]);
    },
  ],
  [
    'losses.softmaxCrossEntropy',
    (b) => {
      const a = ofRank(b, 1);
      b.call('losses.softmaxCrossEntropy', losses.softmaxCrossEntropy, [sameShape(b, a), a]);
    },
  ],
  [
    'losses.sigmoidCrossEntropy',
    (b) => {
      const a = b.node();
      b.call('losses.sigmoidCrossEntropy', losses.sigmoidCrossEntropy, [sameShape(b, a), a]);
    },
  ],
];
