/**
 * Seeded order for training: a small generator, a permutation drawn from it,
 * a train/test split and the batches of an epoch. The same seed gives the
 * same split and the same order, run after run.
 */

/** A generator of uniform numbers in [0, 1) from a 32-bit seed (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 0 .. n-1 in a random order drawn from `random` (Fisher–Yates). */
export function permutation(n: number, random: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** Splits 0 .. n-1 at random (seeded) into `n - testCount` training and `testCount` test indices. */
export function splitIndices(n: number, testCount: number, seed: number): { train: Int32Array; test: Int32Array } {
  if (!(testCount >= 0 && testCount <= n)) throw new RangeError(`testCount must be in [0, ${n}], got ${testCount}`);
  const order = permutation(n, seededRandom(seed));
  return { train: order.slice(0, n - testCount), test: order.slice(n - testCount) };
}

/** The batches of `order`, `batchSize` indices each; the last one keeps what is left, however few. */
export function batches(order: Int32Array, batchSize: number): Int32Array[] {
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RangeError(`batchSize must be a positive integer`);
  const result: Int32Array[] = [];
  for (let start = 0; start < order.length; start += batchSize) result.push(order.subarray(start, start + batchSize));
  return result;
}
