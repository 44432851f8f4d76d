/**
 * The ops the gradient table does not cover (no gradient: comparisons, logic, predicates, integer arithmetic,
 * arg-reductions, one-hot, casts) and dropout, through the public API on webgpu against the CPU backend: the same
 * dtypes, shapes and values. Skipped, with the reason in its title, where there is no adapter.
 */
import * as tg from '../../lib/index.js';
import { createGpu } from './adapter.js';
import { describeGpu, gpuTitle } from './harness.js';

const { setBackend, tensor } = tg;
type T = tg.Tensor;

/** Programs over fixed inputs: float a, b (with a NaN, ties, ±0), int32 i, j, bool p, q. */
const PROGRAMS: Record<string, (v: Record<string, T>) => T> = {
  equal: ({ a, b }) => tg.equal(a!, b!),
  notEqual: ({ a, b }) => tg.notEqual(a!, b!),
  less: ({ a, b }) => tg.less(a!, b!),
  lessEqual: ({ a, b }) => tg.lessEqual(a!, b!),
  greater: ({ a, b }) => tg.greater(a!, b!),
  greaterEqual: ({ a, b }) => tg.greaterEqual(a!, b!),
  'equal, int32 broadcast': ({ i, k }) => tg.equal(i!, k!),
  logicalAnd: ({ p, q }) => tg.logicalAnd(p!, q!),
  logicalOr: ({ p, q }) => tg.logicalOr(p!, q!),
  logicalNot: ({ p }) => tg.logicalNot(p!),
  isNaN: ({ a }) => tg.isNaN(a!),
  isFinite: ({ a }) => tg.isFinite(a!),
  isInf: ({ a }) => tg.isInf(a!),
  floorDiv: ({ i, j }) => tg.floorDiv(i!, j!),
  'int32 add, mul, sub, div, mod': ({ i, j }) => tg.mod(tg.div(tg.sub(tg.mul(tg.add(i!, j!), 3), j!), j!), j!),
  'int32 abs, neg, square, sign': ({ i }) => tg.sign(tg.square(tg.neg(tg.abs(i!)))),
  'int32 sum, max, min, prod, mean': ({ i }) =>
    tg.stack([tg.sum(i!, 1), tg.max(i!, 1), tg.min(i!, 1), tg.prod(i!, 1), tg.mean(i!, 1)]),
  'all, any': ({ p }) => tg.stack([tg.all(p!, 1), tg.any(p!, 1)]).cast('int32'),
  argMax: ({ a }) => tg.argMax(a!, 1),
  argMin: ({ b }) => tg.argMin(b!, 0),
  oneHot: ({ i }) => tg.oneHot(tg.abs(i!).reshape([6]).mod(4), 4),
  'casts float -> int32 -> bool -> float32': ({ b }) => tg.cast(tg.cast(tg.cast(b!, 'int32'), 'bool'), 'float32'),
  'where with a bool condition': ({ p, a, b }) => tg.where(p!, a!, b!),
  'cumsum int32, exclusive and reversed': ({ i }) => tg.cumsum(i!, 1, true, true),
  stopGradient: ({ a }) => tg.stopGradient(a!),
  'concat and slice of bool': ({ p, q }) => tg.slice(tg.concat([p!, q!], 1), [0, 1], [2, 3]).cast('int32'),
  dropout: ({ c }) => tg.dropout(c!, 0.5, undefined, 42),
  'sum and mean of bool': ({ p }) => tg.stack([tg.sum(p!, 1).cast('float32'), tg.mean(p!.cast('float32'), 1)]),
  'max, min and prod along axis 0 of int32': ({ i }) => tg.stack([tg.max(i!, 0), tg.min(i!, 0), tg.prod(i!, 0)]),
  'cumsum of bool': ({ p }) => tg.cumsum(p!, 1).cast('int32'),
  'argMax and argMin of int32': ({ i }) => tg.concat([tg.argMax(i!, 1), tg.argMin(i!, 0)]),
  'where over int32 and bool': ({ p, i, j }) => tg.where(p!, i!, j!),
  'mean of int32': ({ i }) => tg.mean(i!),
  'gather of int32 and bool rows': ({ i, q }) =>
    tg.concat([tg.gather(i!, [1, 0, 1]), tg.gather(q!, [1, 1, 0]).cast('int32')], 1),
};

function inputs(): Record<string, T> {
  return {
    a: tensor([
      [1, NaN, -2],
      [0, 3, 3],
    ]),
    b: tensor([
      [1, 2, -0],
      [-0, 2.5, 7],
    ]),
    c: tensor([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]),
    i: tensor(
      [
        [7, -7, 2],
        [-3, 0, 5],
      ],
      undefined,
      'int32',
    ),
    j: tensor(
      [
        [2, 2, -3],
        [2, 5, -2],
      ],
      undefined,
      'int32',
    ),
    k: tensor([2, -7, 5], undefined, 'int32'),
    p: tensor([
      [true, false, true],
      [false, false, true],
    ]),
    q: tensor([
      [true, true, false],
      [false, true, true],
    ]),
  };
}

describeGpu(gpuTitle('ops without a gradient, on webgpu against the CPU'), () => {
  const gpu = createGpu(); // kept reachable for as long as the device is used
  afterAll(async () => {
    await setBackend('wasm-simd');
  });

  it.each(Object.entries(PROGRAMS))('%s', async (_name, program) => {
    await setBackend('wasm-simd');
    const cpu = program(inputs());
    expect(await setBackend('webgpu', { gpu })).toBe(true);
    const onGpu = program(inputs());
    expect(onGpu.onGpu).toBe(true);
    expect({ dtype: onGpu.dtype, shape: onGpu.shape }).toEqual({ dtype: cpu.dtype, shape: cpu.shape });
    expect(Array.from(await onGpu.data())).toEqual(Array.from(cpu.dataSync()));
  });
});
