/**
 * Seeded pseudo-random fills. The generator is xoshiro128** seeded through
 * splitmix32, so the same seed gives the same draws on every platform.
 */
import type { TypedArray } from '../dtype.js';

/** A uniform generator on [0, 1) with 32 bits of state per word. */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    // splitmix32 spreads any seed (even 0) over the four state words.
    let z = seed >>> 0;
    const next = (): number => {
      z = (z + 0x9e3779b9) | 0;
      let t = z ^ (z >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform draw in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Fills `out` with uniform draws in [lo, hi); int32 outputs take the floor.
 *
 * @param out - The array to fill.
 * @param lo - The lower bound, included.
 * @param hi - The upper bound, excluded.
 * @param seed - The generator's seed, an integer in [0, 2^32).
 */
export function fillUniform(out: TypedArray, lo: number, hi: number, seed: number): void {
  const rng = new Xoshiro128(seed);
  const integer = out instanceof Int32Array;
  for (let i = 0; i < out.length; i++) {
    // Storing can round a draw just below hi up to hi (float32 keeps 24 bits): draw again.
    do {
      const v = lo + (hi - lo) * rng.next();
      out[i] = integer ? Math.floor(v) : v;
    } while (out[i]! >= hi);
  }
}

/**
 * Fills `out` with normal draws (Box-Muller) of the given mean and standard deviation.
 *
 * @param out - The array to fill.
 * @param mean - The mean of the draws.
 * @param stddev - Their standard deviation.
 * @param seed - The generator's seed, an integer in [0, 2^32).
 */
export function fillNormal(out: TypedArray, mean: number, stddev: number, seed: number): void {
  const rng = new Xoshiro128(seed);
  for (let i = 0; i < out.length; i += 2) {
    // 1 - u lies in (0, 1], so the log is finite.
    const r = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const theta = 2 * Math.PI * rng.next();
    out[i] = mean + stddev * r * Math.cos(theta);
    if (i + 1 < out.length) out[i + 1] = mean + stddev * r * Math.sin(theta);
  }
}
