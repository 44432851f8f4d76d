/**
 * Reuse of dead CPU arrays (lib/kernels/recycling.ts). The backward pass
 * gives back the large arrays it made that the gradients it returns do not
 * hold, and later ops' outputs are taken from them: so every kernel must write
 * its whole output (a kept array holds old values), the gradients handed out
 * must never be reused under the caller, and nothing is given back where a
 * tape, a forward accumulator or user code (`customGradient`) could still
 * hold what the pass made.
 */
import {
  ForwardAccumulator,
  GradientTape,
  argMax,
  avgPool,
  cast,
  concat,
  conv2d,
  cumsum,
  customGradient,
  fused,
  gather,
  greater,
  logicalNot,
  matmul,
  maxPool,
  oneHot,
  pad,
  randomNormal,
  relu,
  reshape,
  slice,
  softmax,
  sum,
  tensor,
  tile,
  train,
  variable,
  type Tensor,
} from '../lib/index.js';
import type { TypedArray } from '../lib/dtype.js';
import { allocateHere } from '../lib/kernels/placement.js';
import {
  clearRecycled,
  logAllocations,
  outputArray,
  poisonOutputs,
  POOL_MAX_BYTES,
  recycle,
  recycleFrom,
  recycledBytes,
  RECYCLE_MIN_BYTES,
} from '../lib/kernels/recycling.js';
import fc from 'fast-check';
import { buildGraph, recipes, type FuzzGraph } from './support/fuzz-graphs.js';
import { FUZZ_OPS } from './support/fuzz-ops.js';
import { ROWS, type Fn } from './rows/index.js';
import { sampleInput } from './support/inputs.js';

const poison = (out: TypedArray): void => {
  out.fill(out instanceof Float32Array || out instanceof Float64Array ? NaN : 7);
};

afterEach(() => {
  poisonOutputs(undefined);
  recycleFrom(RECYCLE_MIN_BYTES);
  clearRecycled();
});

/** A float32 array of `n` elements as the pool sees it (n = 16384 is exactly RECYCLE_MIN_BYTES). */
const f32 = (n: number) => new Float32Array(n);

describe('the pool', () => {
  test('keeps a dead array of at least RECYCLE_MIN_BYTES and hands its buffer out again for the same byte length', () => {
    const dead = f32(RECYCLE_MIN_BYTES / 4);
    recycle([dead], new Set());
    expect(recycledBytes()).toBe(RECYCLE_MIN_BYTES);
    // Another dtype of the same byte length takes it, its contents as they were.
    dead[0] = 5;
    const again = outputArray('int32', RECYCLE_MIN_BYTES / 4, 'test', false);
    expect([again.buffer === dead.buffer, again[0]]).toEqual([true, new Int32Array(new Float32Array([5]).buffer)[0]]);
    expect(recycledBytes()).toBe(0);
    // Nothing kept: a new zero-filled array.
    const fresh = outputArray('float32', RECYCLE_MIN_BYTES / 4, 'test', false);
    expect([fresh.buffer === dead.buffer, fresh[0]]).toEqual([false, 0]);
  });

  test('zeroes a kept array when asked for zeros', () => {
    const dead = f32(RECYCLE_MIN_BYTES / 4).fill(3);
    recycle([dead], new Set());
    const out = outputArray('float32', RECYCLE_MIN_BYTES / 4, 'pad', true);
    expect([out.buffer === dead.buffer, Math.max(...out)]).toEqual([true, 0]);
  });

  test('keeps nothing small, live, shared twice, offset, of part of a buffer, or beyond POOL_MAX_BYTES', () => {
    const small = f32(RECYCLE_MIN_BYTES / 4 - 1);
    const live = f32(RECYCLE_MIN_BYTES / 4);
    const twice = f32(RECYCLE_MIN_BYTES / 4);
    const whole = new ArrayBuffer(2 * RECYCLE_MIN_BYTES);
    const part = new Float32Array(whole, 0, RECYCLE_MIN_BYTES / 4);
    const offset = new Float32Array(whole, RECYCLE_MIN_BYTES, RECYCLE_MIN_BYTES / 4);
    recycle([small, live, twice, twice, part, offset], new Set([live.buffer]));
    expect(recycledBytes()).toBe(RECYCLE_MIN_BYTES); // `twice`, once
    recycle([twice], new Set());
    expect(recycledBytes()).toBe(RECYCLE_MIN_BYTES);
    clearRecycled();
    const big = Array.from({ length: 5 }, () => f32(POOL_MAX_BYTES / 4 / 4));
    recycle(big, new Set());
    expect(recycledBytes()).toBe(POOL_MAX_BYTES);
  });

  test("logs nest: an inner log's large outputs are in the outer one too, small ones in neither", () => {
    const { result, allocated: outer } = logAllocations(() => {
      allocateHere('float32', RECYCLE_MIN_BYTES / 4);
      const { allocated: inner } = logAllocations(() => allocateHere('float64', RECYCLE_MIN_BYTES / 8));
      allocateHere('float32', 10);
      return inner;
    });
    expect(outer.map((x) => x.constructor.name)).toEqual(['Float32Array', 'Float64Array']);
    expect(result.map((x) => x.constructor.name)).toEqual(['Float64Array']);
    expect(() =>
      logAllocations(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    const { allocated } = logAllocations(() => 1);
    expect(allocated).toEqual([]);
  });
});

/** A graph whose backward pass makes several large arrays: the gradient of sum(relu(x @ w) * c) for x and w. */
function largeGradients(seed: number): { tape: GradientTape; y: Tensor; x: Tensor; w: Tensor } {
  const x = randomNormal([200, 100], 0, 1, 'float32', seed);
  const w = randomNormal([100, 300], 0, 1, 'float32', seed + 1);
  const tape = new GradientTape();
  tape.watch([x, w]);
  const y = sum(relu(matmul(x, w)).mul(randomNormal([300], 0, 1, 'float32', seed + 2)));
  return { tape, y, x, w };
}

/** Runs the backward pass of a `largeGradients` graph (and so spends its tape). */
const gradientsOf = ({ tape, y, x, w }: ReturnType<typeof largeGradients>) => tape.gradient(y, [x, w]);

describe('the backward pass', () => {
  test('gives back the large arrays it made, and never the gradients it returns, even after they are reused', () => {
    const { tape, y, x, w } = largeGradients(1);
    const [gx, gw] = tape.gradient(y, [x, w]);
    expect(recycledBytes()).toBeGreaterThanOrEqual(200 * 300 * 4); // at least the relu gradient's [200, 300]
    const kept = [Array.from(gx!.dataSync()), Array.from(gw!.dataSync())];
    // The same again, taking every kept array: the first gradients are untouched, and both runs agree.
    const again = largeGradients(1);
    const [hx, hw] = again.tape.gradient(again.y, [again.x, again.w]);
    expect([Array.from(gx!.dataSync()), Array.from(gw!.dataSync())]).toEqual(kept);
    expect([Array.from(hx!.dataSync()), Array.from(hw!.dataSync())]).toEqual(kept);
    expect(new Set([gx, gw, hx, hw].map((g) => g!.dataSync().buffer)).size).toBe(4);
  });

  test('keeps a returned gradient that shares its array with one the pass made (a reshape of it)', () => {
    const x = randomNormal([300, 100], 0, 1, 'float32', 4);
    const c = randomNormal([30000], 0, 1, 'float32', 5);
    const tape = new GradientTape();
    tape.watch(x);
    const [g] = tape.gradient(sum(reshape(x, [30000]).mul(c)), [x]);
    const before = Array.from(g!.dataSync());
    for (let i = 0; i < 3; i++) gradientsOf(largeGradients(10 + i));
    randomNormal([300, 100], 0, 1, 'float32', 6).mul(2);
    expect(Array.from(g!.dataSync())).toEqual(before);
    expect(before).toEqual(Array.from(c.dataSync()));
  });

  test('gives nothing back while another tape records it (higher order), and the second derivative is right', () => {
    const x = randomNormal([300, 100], 0, 1, 'float32', 7);
    const outer = new GradientTape();
    outer.watch(x);
    const inner = new GradientTape();
    inner.watch(x);
    const y = sum(x.mul(x).mul(x));
    const [g] = inner.gradient(y, [x]);
    expect(recycledBytes()).toBe(0);
    const [h] = outer.gradient(sum(g!), [x]);
    const expected = Array.from(x.dataSync(), (v) => Math.fround(6 * v));
    Array.from(h!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
  });

  test('gives nothing back while a forward accumulator is active', () => {
    const x = randomNormal([300, 100], 0, 1, 'float32', 8);
    const acc = new ForwardAccumulator(x, x.mul(0).add(1));
    try {
      const tape = new GradientTape();
      tape.watch(x);
      const [g] = tape.gradient(sum(x.mul(x).mul(3)), [x]);
      expect(g).toBeDefined();
      expect(recycledBytes()).toBe(0);
    } finally {
      acc.stop();
    }
  });

  test('gives nothing back when a customGradient rule (user code) is on the path', () => {
    let seen: Tensor | undefined;
    const scaled = customGradient((x: Tensor) => ({
      value: x.mul(2),
      gradFunc: (dy: Tensor) => {
        seen = dy; // user code may keep what it is given
        return dy.mul(2);
      },
    }));
    const x = randomNormal([300, 100], 0, 1, 'float32', 9);
    const tape = new GradientTape();
    tape.watch(x);
    tape.gradient(sum(scaled(x).mul(x)), [x]);
    expect(recycledBytes()).toBe(0);
    const kept = Array.from(seen!.dataSync());
    gradientsOf(largeGradients(20));
    expect(Array.from(seen!.dataSync())).toEqual(kept);
  });
});

/** The values of `f`'s result and of its gradients with respect to the float inputs, as plain arrays. */
function valuesOf(f: Fn, inputs: readonly Tensor[]): number[][] {
  const floats = inputs.filter((x) => x.dtype === 'float32' || x.dtype === 'float64');
  const tape = new GradientTape();
  tape.watch(floats);
  const y = f(...inputs);
  // A tape left recording would keep every later backward pass from giving anything back: spend it, or stop it.
  const grads = y.dtype === 'float32' || y.dtype === 'float64' ? tape.gradient(y, floats) : (tape.stop(), []);
  return [y, ...grads].map((t) => (t === undefined ? [] : Array.from(t.dataSync())));
}

/** `valuesOf` on zero-filled outputs, then on poisoned ones (as old contents of kept arrays would be). */
function bothWays(f: Fn, inputs: readonly Tensor[]): { zeroed: number[][]; poisoned: number[][] } {
  clearRecycled();
  const zeroed = valuesOf(f, inputs);
  clearRecycled();
  poisonOutputs(poison);
  try {
    return { zeroed, poisoned: valuesOf(f, inputs) };
  } finally {
    poisonOutputs(undefined);
  }
}

describe('every kernel writes its whole output', () => {
  test('poisonOutputs reaches allocateHere, except where zeros are asked for', () => {
    poisonOutputs(poison);
    expect(Array.from(allocateHere('float32', 3) as Float32Array)).toEqual([NaN, NaN, NaN]);
    expect(Array.from(allocateHere('int32', 2) as Int32Array)).toEqual([7, 7]);
    expect(Array.from(allocateHere('float64', 2, 'pad', true) as Float64Array)).toEqual([0, 0]);
  });

  describe.each(ROWS.map((row) => [row.op, row] as const))('%s', (_op, row) => {
    test.each(['float32', 'float64'] as const)('forward and backward, in %s', (dtype) => {
      row.cases.forEach((c, k) => {
        const inputs = c.shapes.map((shape, i) => {
          const x = sampleInput(shape, (c.domain ?? row.domain)[i]!, i, 300 + k);
          return x.dtype === 'bool' ? x : cast(x, dtype);
        });
        const { zeroed, poisoned } = bothWays(c.f ?? row.f, inputs);
        expect({ case: k, values: poisoned }).toEqual({ case: k, values: zeroed });
      });
    });
  });

  /** Large float32 cases (over the WebAssembly kernels' thresholds), and ops with no gradient. */
  const LARGE: readonly (readonly [string, Fn, readonly Tensor[]])[] = [
    [
      'matmul',
      (a, b) => matmul(a!, b!),
      [randomNormal([96, 300], 0, 1, 'float32', 1), randomNormal([300, 80], 0, 1, 'float32', 2)],
    ],
    [
      'fused.matMul with bias and relu',
      (a, b, c) => fused.matMul({ a: a!, b: b!, bias: c!, activation: 'relu' }),
      [
        randomNormal([128, 200], 0, 1, 'float32', 3),
        randomNormal([200, 64], 0, 1, 'float32', 4),
        randomNormal([64], 0, 1, 'float32', 5),
      ],
    ],
    [
      'conv2d 5x5, 16 to 32 channels, then max pooling',
      (x, f) => maxPool(relu(conv2d(x!, f!, 1, 'same')), 2, 2, 'valid'),
      [randomNormal([4, 14, 14, 16], 0, 1, 'float32', 6), randomNormal([5, 5, 16, 32], 0, 0.1, 'float32', 7)],
    ],
    [
      'conv2d on one channel, then average pooling',
      (x, f) => avgPool(conv2d(x!, f!, 1, 'same'), 2, 2, 'valid'),
      [randomNormal([4, 28, 28, 1], 0, 1, 'float32', 8), randomNormal([5, 5, 1, 16], 0, 0.1, 'float32', 9)],
    ],
    ['softmax and sum', (x) => sum(softmax(x!), 0), [randomNormal([256, 100], 0, 1, 'float32', 10)]],
    ['argMax', (x) => argMax(x!, 1), [randomNormal([200, 50], 0, 1, 'float32', 11)]],
    ['greater, logicalNot', (a, b) => logicalNot(greater(a!, b!)), [randomNormal([300, 70]), randomNormal([70])]],
    ['oneHot', (x) => oneHot(cast(x!, 'int32'), 40), [tensor(Array.from({ length: 5000 }, (_, i) => (i * 7) % 40))]],
    [
      'concat, tile, pad, slice, gather, cumsum',
      (a, b) =>
        cumsum(
          gather(
            slice(
              pad(tile(concat([a!, b!], 1), [2, 1]), [
                [1, 2],
                [0, 3],
              ]),
              [1, 1],
              [300, 50],
            ),
            tensor([3, 1, 4, 1], [4], 'int32'),
            1,
          ),
          0,
        ),
      [randomNormal([200, 30], 0, 1, 'float32', 12), randomNormal([200, 25], 0, 1, 'float32', 13)],
    ],
  ];

  test.each(LARGE.map(([name, f, inputs]) => [name, f, inputs] as const))(
    '%s (large): the same values on poisoned outputs',
    (_name, f, inputs) => {
      const { zeroed, poisoned } = bothWays(f, inputs);
      expect(poisoned).toEqual(zeroed);
    },
  );

  test.each(['adam', 'sgd'] as const)('the fused %s update writes its whole outputs', (name) => {
    const run = (poisoned: boolean): number[] => {
      const w = variable(randomNormal([300, 100], 0, 1, 'float32', 14));
      const optimizer = name === 'adam' ? train.adam(0.01) : train.sgd(0.1);
      if (poisoned) poisonOutputs(poison);
      try {
        for (let step = 0; step < 2; step++) optimizer.minimize(() => sum(w.square()), false, [w]);
      } finally {
        poisonOutputs(undefined);
      }
      return Array.from(w.dataSync());
    };
    expect(run(true)).toEqual(run(false));
  });
});

/** The gradients of `g`'s loss with respect to its inputs, as tensors. */
function fuzzGradients(g: FuzzGraph): (Tensor | undefined)[] {
  const inputs = g.inputs();
  const tape = new GradientTape();
  tape.watch(inputs);
  return tape.gradient(g.f(...inputs), inputs);
}

const valuesOfAll = (ts: readonly (Tensor | undefined)[]) =>
  ts.map((t) => (t === undefined ? [] : Array.from(t.dataSync())));

describe('random op graphs, every array recycled', () => {
  // The fuzz graphs of spec/fuzz.spec.ts (84 ops, fan-out, tensors of rank 0-3): with every array kept however small,
  // and every output poisoned first, two backward passes give the bits of one that keeps nothing, and the second,
  // made in the first one's arrays, leaves the gradients the first returned as they were.
  const graphs: fc.Arbitrary<FuzzGraph> = recipes(FUZZ_OPS.length).map((recipe) => buildGraph(recipe, FUZZ_OPS));

  test('2,000 graphs: the same gradients, and the first ones untouched by the second pass', () => {
    fc.assert(
      fc.property(graphs, (g) => {
        recycleFrom(Infinity);
        clearRecycled();
        const expected = valuesOfAll(fuzzGradients(g));
        recycleFrom(1);
        poisonOutputs(poison);
        try {
          const first = fuzzGradients(g);
          expect(valuesOfAll(first)).toEqual(expected);
          expect(recycledBytes()).toBeGreaterThan(0);
          const second = fuzzGradients(g);
          expect(valuesOfAll(second)).toEqual(expected);
          expect(valuesOfAll(first)).toEqual(expected);
        } finally {
          poisonOutputs(undefined);
          recycleFrom(RECYCLE_MIN_BYTES);
          clearRecycled();
        }
      }),
      { seed: 20_261_202, numRuns: 2000 },
    );
  }, 120_000);
});
