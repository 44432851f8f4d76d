/**
 * The global seed, as TensorFlow's `tf.random.set_seed`: after `setSeed(s)`
 * every draw made without a seed of its own takes one from a generator
 * seeded with `s`, so a program's unseeded draws repeat from run to run.
 * Before any `setSeed`, they take one from `Math.random`.
 */
import { describeValue } from './format.js';
import { Xoshiro128 } from './kernels/random.js';

/** The generator unseeded draws take their seeds from, once `setSeed` has run. */
let global: Xoshiro128 | undefined;

/** Whether `seed` is a seed: an integer in [0, 2^32). */
export function isSeed(seed: unknown): seed is number {
  return typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed <= 4294967295;
}

/** Throws unless `seed` is an integer in [0, 2^32), naming `op`. */
export function checkSeed(op: string, seed: unknown): asserts seed is number {
  if (!isSeed(seed)) {
    const got = typeof seed === 'number' ? String(seed) : describeValue(seed);
    throw new (typeof seed === 'number' ? RangeError : TypeError)(
      `tapegrad.${op}: seed must be an integer in [0, 2^32), got ${got}; pick a whole number from 0 to 4294967295`,
    );
  }
}

/**
 * Sets the global seed. Afterwards the draws made without a seed
 * (`randomNormal`, `randomUniform`, `dropout` and the like) follow one
 * sequence determined by `seed`: each takes its own seed from a generator
 * seeded with `seed`, as in TensorFlow. Calling `setSeed` again with the same
 * seed starts the same sequence over. A draw given its own seed is not
 * affected: the same seed gives the same draws, global seed or not.
 *
 * @param seed - An integer in [0, 2^32).
 *
 * @example
 * ```ts
 * import { randomNormal, setSeed } from 'tapegrad';
 * setSeed(42);
 * const a = randomNormal([3]);
 * const b = randomNormal([3]); // the next draw in the sequence: not a's values
 * setSeed(42);
 * randomNormal([3]).equal(a).all().item(); // 1: the sequence starts over
 * randomNormal([3]).equal(b).all().item(); // 1
 * ```
 */
export function setSeed(seed: number): void {
  checkSeed('setSeed', seed);
  global = new Xoshiro128(seed);
}

/**
 * A seed for a draw made without one: the next from the global generator
 * once `setSeed` has run, else a fresh one from `Math.random`. Whatever draws
 * at random (ops, initializers) takes its seed here, so that a global seed
 * makes it reproducible.
 * @internal
 */
export function drawSeed(): number {
  return global !== undefined ? global.nextUint32() : Math.floor(Math.random() * 4294967296);
}

/**
 * A generator on [0, 1) for code that draws numbers itself, seeded with
 * {@link drawSeed}.
 * @internal
 */
export function unseededGenerator(): Xoshiro128 {
  return new Xoshiro128(drawSeed());
}
