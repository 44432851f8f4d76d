/** The examples' seeded order: the generator, the permutation, the train/test split and the batches. */
import * as fc from 'fast-check';
import { batches, permutation, seededRandom, splitIndices } from '../../examples/support/batches.js';

const sorted = (a: ArrayLike<number>) => Array.from(a).sort((x, y) => x - y);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('seededRandom', () => {
  it('gives the same numbers in [0, 1) for the same seed, and others for another seed', () => {
    const draw = (seed: number) => Array.from({ length: 1000 }, seededRandom(seed));
    const a = draw(7);
    expect(draw(7)).toEqual(a);
    expect(draw(8)).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
  });
});

describe('permutation', () => {
  it('is a permutation of 0 .. n-1, the same for the same seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n, seed) => {
        const order = permutation(n, seededRandom(seed));
        expect(sorted(order)).toEqual(range(n));
        expect(Array.from(permutation(n, seededRandom(seed)))).toEqual(Array.from(order));
      }),
    );
  });

  it('shuffles: another seed, or the next epoch from the same generator, gives another order', () => {
    const random = seededRandom(1);
    const first = Array.from(permutation(100, random));
    const second = Array.from(permutation(100, random));
    expect(second).not.toEqual(first);
    expect(Array.from(permutation(100, seededRandom(2)))).not.toEqual(first);
    expect(first).not.toEqual(range(100));
  });
});

describe('splitIndices', () => {
  it('splits 10,000 into 8,000 and 2,000 disjoint indices covering all, the same for the same seed', () => {
    const { train, test } = splitIndices(10000, 2000, 2026);
    expect([train.length, test.length]).toEqual([8000, 2000]);
    expect(sorted([...train, ...test])).toEqual(range(10000));
    const again = splitIndices(10000, 2000, 2026);
    expect(Array.from(again.test)).toEqual(Array.from(test));
    expect(Array.from(splitIndices(10000, 2000, 2027).test)).not.toEqual(Array.from(test));
  });

  it('rejects a test set larger than the data', () => {
    expect(() => splitIndices(10, 11, 0)).toThrow('testCount must be in [0, 10], got 11');
  });
});

describe('batches', () => {
  it('cuts an order into batches in order, keeping the last partial batch', () => {
    const order = Int32Array.from(range(10));
    expect(batches(order, 4).map((b) => Array.from(b))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(batches(Int32Array.from(range(8000)), 64)).toHaveLength(125);
    const fashion = batches(Int32Array.from(range(60000)), 128);
    expect(fashion).toHaveLength(469);
    expect(fashion.at(-1)).toHaveLength(60000 - 468 * 128);
  });

  it('gives every index exactly once for any batch size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 70 }), (n, size) => {
        const parts = batches(Int32Array.from(range(n)), size);
        expect(parts.flatMap((b) => Array.from(b))).toEqual(range(n));
        expect(parts.length).toBe(Math.ceil(n / size));
        expect(parts.every((b, i) => b.length === (i < parts.length - 1 ? size : n - size * i))).toBe(true);
      }),
    );
  });

  it('rejects a batch size that is not a positive integer', () => {
    expect(() => batches(new Int32Array(3), 0)).toThrow('batchSize must be a positive integer');
  });
});
