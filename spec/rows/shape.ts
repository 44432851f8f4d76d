/**
 * Rows for the shape family: slice, pad, stridedSlice, gather, concat, tile,
 * reverse, and the internal adjoints stridedSliceGrad and gatherGrad. These
 * ops are linear, so order 2 checks that each VJP's own VJP (the adjoint's
 * adjoint: the forward op again) is right. The internal adjoints have no
 * public function; their rows reach them through the gradient of the public
 * op, taken on an inner tape while checkGradients' tape records it.
 */
import {
  GradientTape,
  concat,
  gather,
  pad,
  reverse,
  slice,
  stridedSlice,
  tensor,
  tile,
  zeros,
  type Shape,
  type Tensor,
} from '../../lib/index.js';
import type { Case, Fn, Rows } from './row.js';

const fixed = (shape: Shape, note: string, f: Fn): Case => ({ shapes: [shape], note, f });

const i32 = (values: number | number[], shape?: number[]) => tensor(values, shape, 'int32');

/**
 * The gradient of `forward` at a zero x of `xShape`, with output gradient `u`:
 * the VJP's ops run on the replay, so an outer tape watching u records them.
 */
const vjpOf =
  (xShape: Shape, forward: (x: Tensor) => Tensor): Fn =>
  (u) => {
    const x = zeros(xShape, u!.dtype);
    const tape = new GradientTape();
    tape.watch(x);
    const y = forward(x);
    return tape.gradient(y, x, u!)!;
  };

type StridedSpec = [Shape, number[], number[], number[]?, number?, number?, number?, number?, number?];

const STRIDED: StridedSpec[] = [
  [[7], [1], [6], [2]],
  [[7], [-1], [0], [-3]],
  [[7], [0], [0], [-1], 1, 1],
  [[2, 3], [0, 1], [2, 3], [1, 1], 0, 0, 0, 0, 1],
  [[2, 3], [0, 2], [0, 3], [1, 1], 0, 0, 1],
  [[2, 3], [0, 0], [0, 0], [1, 1], 0, 0, 0, 1, 2],
  [[3, 4, 2], [2, -1], [0, 0], [-1, -2], 0, 2],
  [[2, 3, 4], [0, 1], [0, 3], [1, 2], 0, 0, 1, 0, 0],
  [[0, 3], [0, 1], [0, 3], [1, 1], 1, 1],
  [[4], [3], [3], [1]],
];

/** stridedSlice with a spec, as a case f, and its shape. */
const stridedCase = ([shape, ...args]: StridedSpec): Case =>
  fixed(shape, `stridedSlice args ${JSON.stringify(args)}`, (x) =>
    stridedSlice(x!, args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7]),
  );

type GatherSpec = [Shape, Tensor, number, number];

const GATHER: GatherSpec[] = [
  [[4], i32([3, 0, 3]), 0, 0],
  [[3, 2], i32([2, 2, 0, 1], [2, 2]), 0, 0],
  [[2, 3, 4], i32([1, 1, 3]), -1, 0],
  [[2, 3, 2], i32([2, 0, 1, 1], [2, 2]), 1, 1],
  [[3, 2], i32([], [0]), 0, 0],
  [[0, 3], i32([2]), 1, 0],
  [[3], i32(1, []), 0, 0],
];

const gatherLabel = ([, idx, axis, batchDims]: GatherSpec) =>
  `indices ${JSON.stringify(idx.arraySync())} axis ${axis} batchDims ${batchDims}`;

export const SHAPE_ROWS = {
  slice: {
    f: (x) => slice(x!, 0),
    domain: ['any'],
    order: 2,
    cases: [
      fixed([4], 'begin 1 size 2', (x) => slice(x!, 1, 2)),
      fixed([3, 4], 'begin [1, 0] size [2, -1]', (x) => slice(x!, [1, 0], [2, -1])),
      fixed([2, 3, 4], 'begin [0, 1, 2] size [1, 1, 2]', (x) => slice(x!, [0, 1, 2], [1, 1, 2])),
      fixed([2, 1, 3], 'begin [1] (sizes -1)', (x) => slice(x!, [1])),
      fixed([3, 2], 'size 0', (x) => slice(x!, [1, 0], [0, 2])),
      fixed([0, 2], 'a size-0 input', (x) => slice(x!, [0, 1])),
      fixed([], 'a scalar', (x) => slice(x!, [])),
    ],
  },
  pad: {
    f: (x) => pad(x!, [[1, 2]]),
    domain: ['any'],
    order: 2,
    cases: [
      fixed([3], '[[1, 2]]', (x) => pad(x!, [[1, 2]])),
      fixed([2, 3], '[[0, 1], [2, 0]], constant 5', (x) =>
        pad(
          x!,
          [
            [0, 1],
            [2, 0],
          ],
          5,
        ),
      ),
      fixed([2, 1, 2], '[[1, 1], [0, 0], [1, 0]]', (x) =>
        pad(x!, [
          [1, 1],
          [0, 0],
          [1, 0],
        ]),
      ),
      fixed([0, 2], '[[1, 0], [0, 1]]', (x) =>
        pad(x!, [
          [1, 0],
          [0, 1],
        ]),
      ),
      fixed([], 'a scalar', (x) => pad(x!, [])),
    ],
  },
  stridedSlice: {
    f: (x) => stridedSlice(x!, [0], [1]),
    domain: ['any'],
    order: 2,
    cases: STRIDED.map(stridedCase),
  },
  stridedSliceGrad: {
    f: (u) => u!,
    domain: ['any'],
    order: 2,
    cases: STRIDED.map((spec) => {
      const { shapes, note, f } = stridedCase(spec);
      const outShape = f!(zeros(shapes[0]!, 'float64')).shape;
      return fixed(
        outShape,
        `adjoint of ${note} on ${JSON.stringify(shapes[0])}`,
        vjpOf(shapes[0]!, (x) => f!(x)),
      );
    }),
  },
  gather: {
    f: (x) => gather(x!, [0]),
    domain: ['any'],
    order: 2,
    cases: GATHER.map((spec) => {
      const [shape, idx, axis, batchDims] = spec;
      return fixed(shape, gatherLabel(spec), (x) => gather(x!, idx, axis, batchDims));
    }),
  },
  gatherGrad: {
    f: (u) => u!,
    domain: ['any'],
    order: 2,
    cases: GATHER.map((spec) => {
      const [shape, idx, axis, batchDims] = spec;
      const forward = (x: Tensor) => gather(x, idx, axis, batchDims);
      const outShape = forward(zeros(shape, 'float64')).shape;
      return fixed(
        outShape,
        `adjoint of gather, ${gatherLabel(spec)} on ${JSON.stringify(shape)}`,
        vjpOf(shape, forward),
      );
    }),
  },
  concat: {
    f: (a, b) => concat([a!, b!]),
    domain: ['any', 'any'],
    order: 2,
    cases: [
      { shapes: [[2], [3]], note: 'axis 0' },
      {
        shapes: [
          [2, 3],
          [2, 1],
        ],
        note: 'axis 1',
        f: (a, b) => concat([a!, b!], 1),
      },
      {
        shapes: [
          [2, 3, 1],
          [2, 3, 2],
        ],
        note: 'axis -1',
        f: (a, b) => concat([a!, b!], -1),
      },
      {
        shapes: [
          [1, 2],
          [0, 2],
          [3, 2],
        ],
        note: 'three, one empty',
        domain: ['any', 'any', 'any'],
        f: (a, b, c) => concat([a!, b!, c!]),
      },
      { shapes: [[2, 2]], note: 'the same tensor twice', f: (a) => concat([a!, a!], 1) },
    ],
  },
  tile: {
    f: (x) => tile(x!, [2]),
    domain: ['any'],
    order: 2,
    cases: [
      fixed([3], 'reps [2]', (x) => tile(x!, [2])),
      fixed([2, 3], 'reps [2, 3]', (x) => tile(x!, [2, 3])),
      fixed([2, 1, 2], 'reps [1, 3, 1]', (x) => tile(x!, [1, 3, 1])),
      fixed([2, 2], 'reps [0, 2]', (x) => tile(x!, [0, 2])),
      fixed([0, 2], 'reps [2, 2]', (x) => tile(x!, [2, 2])),
      fixed([], 'a scalar', (x) => tile(x!, [])),
    ],
  },
  reverse: {
    f: (x) => reverse(x!),
    domain: ['any'],
    order: 2,
    cases: [
      fixed([4], 'all axes', (x) => reverse(x!)),
      fixed([2, 3], 'axis 1', (x) => reverse(x!, 1)),
      fixed([2, 3, 4], 'axes [0, -1]', (x) => reverse(x!, [0, -1])),
      fixed([2, 1, 3], 'axis 1 (size 1)', (x) => reverse(x!, 1)),
      fixed([0, 3], 'all axes of an empty tensor', (x) => reverse(x!)),
      fixed([], 'a scalar', (x) => reverse(x!)),
    ],
  },
} satisfies Rows;
