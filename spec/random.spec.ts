/**
 * Seeds (issue 10): a seed is an integer in [0, 2^32), checked by every
 * function that takes one; `setSeed` makes the unseeded draws one
 * reproducible sequence, as TensorFlow's global seed does.
 */
import {
  GradientTape,
  checkGradients,
  dropout,
  ones,
  randomNormal,
  randomUniform,
  setSeed,
  tensor,
  type Tensor,
} from '../lib/index.js';
import { Xoshiro128 } from '../lib/kernels/random.js';
import { drawSeed, unseededGenerator } from '../lib/random.js';
import { expectError, loose } from './support/errors.js';

const flat = (t: Tensor) => Array.from(t.dataSync());

/** One unseeded draw of each kind, in a fixed order. */
const draws = () => [
  flat(randomNormal([5])),
  flat(randomUniform([5], -1, 1, 'float64')),
  flat(randomUniform([5], 0, 10, 'int32')),
  flat(dropout(ones([20]), 0.5)),
];

describe('a seed that is not an integer in [0, 2^32) is an error naming the op', () => {
  const hint = 'pick a whole number from 0 to 4294967295';
  const takers: [string, (seed: number) => unknown][] = [
    ['randomNormal', (seed) => randomNormal([2], 0, 1, 'float32', seed)],
    ['randomUniform', (seed) => randomUniform([2], 0, 1, 'float32', seed)],
    ['setSeed', (seed) => setSeed(seed)],
    ['checkGradients', (seed) => checkGradients((x) => x.square(), [tensor([1], undefined, 'float64')], { seed })],
  ];
  const bad: [number, string][] = [
    [NaN, 'NaN'],
    [1.5, '1.5'],
    [-1, '-1'],
    [2 ** 32, '4294967296'],
    [Infinity, 'Infinity'],
  ];

  test.each(takers.flatMap(([op, fn]) => bad.map(([seed, text]) => [op, text, fn, seed] as const)))(
    '%s with seed %s',
    (op, text, fn, seed) => {
      expectError(
        () => fn(seed),
        RangeError,
        `tapegrad.${op}: seed must be an integer in [0, 2^32), got ${text}; ${hint}`,
      );
    },
  );

  test.each(bad)('dropout with seed %p (it also takes a string, hashed)', (seed, text) => {
    expectError(
      () => dropout(ones([2]), 0.5, undefined, seed),
      RangeError,
      `tapegrad.dropout: seed must be an integer in [0, 2^32) or a string, got ${text}; ${hint}`,
    );
  });

  test('a seed that is not a number at all is a TypeError', () => {
    expectError(
      () => randomNormal([2], 0, 1, 'float32', loose('7')),
      TypeError,
      `tapegrad.randomNormal: seed must be an integer in [0, 2^32), got string; ${hint}`,
    );
    expectError(
      () => setSeed(loose(undefined)),
      TypeError,
      `tapegrad.setSeed: seed must be an integer in [0, 2^32), got undefined; ${hint}`,
    );
    expectError(
      () => dropout(ones([2]), 0.5, undefined, loose(null)),
      TypeError,
      'tapegrad.dropout: seed must be a number or a string, got null',
    );
  });

  test('0 and 2^32 - 1 are seeds, and differ from each other (no wrapping)', () => {
    const lo = flat(randomNormal([4], 0, 1, 'float32', 0));
    const hi = flat(randomNormal([4], 0, 1, 'float32', 2 ** 32 - 1));
    expect(lo).not.toEqual(hi);
    expect(flat(dropout(ones([8]), 0.5, undefined, 2 ** 32 - 1))).toHaveLength(8);
    expect(flat(dropout(ones([8]), 0.5, undefined, 'any string'))).toHaveLength(8);
  });

  test("checkGradients' own offsets from a seed near 2^32 stay seeds", () => {
    const x = tensor([1, 2], undefined, 'float64');
    expect(() => checkGradients((v) => v.square(), [x], { seed: 2 ** 32 - 1, order: 2 })).not.toThrow();
  });
});

describe('before any setSeed, unseeded draws are fresh', () => {
  test('they take their seeds from Math.random', () => {
    jest.isolateModules(() => {
      // A fresh copy of the library, in which setSeed has never run.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fresh = require('../lib/index.js') as typeof import('../lib/index.js');
      const random = jest.spyOn(Math, 'random');
      try {
        const a = flat(fresh.randomNormal([8]));
        expect(random).toHaveBeenCalledTimes(1);
        expect(flat(fresh.randomNormal([8]))).not.toEqual(a);
      } finally {
        random.mockRestore();
      }
    });
  });
});

describe('setSeed makes the unseeded draws one reproducible sequence, as TensorFlow does', () => {
  test('the same seed gives the same sequence of draws, each draw different from the last', () => {
    setSeed(42);
    const first = draws();
    setSeed(42);
    expect(draws()).toEqual(first);
    // Later draws continue the sequence: not a repeat of the first ones.
    expect(draws()).not.toEqual(first);
  });

  test('another seed gives another sequence', () => {
    setSeed(1);
    const one = draws();
    setSeed(2);
    expect(draws()).not.toEqual(one);
  });

  test('no Math.random is drawn once a seed is set', () => {
    setSeed(3);
    const random = jest.spyOn(Math, 'random');
    try {
      draws();
      expect(random).not.toHaveBeenCalled();
    } finally {
      random.mockRestore();
    }
  });

  test('each unseeded draw takes its seed from a generator seeded with the global seed', () => {
    const generator = new Xoshiro128(7);
    const seeds = [generator.nextUint32(), generator.nextUint32()];
    setSeed(7);
    expect(flat(randomNormal([6]))).toEqual(flat(randomNormal([6], 0, 1, 'float32', seeds[0])));
    expect(flat(randomUniform([6]))).toEqual(flat(randomUniform([6], 0, 1, 'float32', seeds[1])));
  });

  test('a draw with its own seed is the same, global seed or not, and does not advance the sequence', () => {
    const own = flat(randomNormal([5], 0, 1, 'float32', 9));
    setSeed(11);
    const next = flat(randomNormal([5]));
    setSeed(11);
    expect(flat(randomNormal([5], 0, 1, 'float32', 9))).toEqual(own);
    expect(flat(randomNormal([5]))).toEqual(next);
  });

  test('drawSeed and unseededGenerator (for initializers and internal checks) follow the same sequence', () => {
    setSeed(5);
    const seeds = [drawSeed(), drawSeed()];
    const u = unseededGenerator().next();
    setSeed(5);
    expect([drawSeed(), drawSeed()]).toEqual(seeds);
    expect(unseededGenerator().next()).toBe(u);
    expect(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 32)).toBe(true);
  });

  test("batchJacobian's cross-row check draws from the same generator (a program under setSeed is reproducible)", () => {
    const x = tensor([[1], [2]]);
    const jacobianThenDraw = () => {
      setSeed(8);
      const tape = new GradientTape({ persistent: true });
      tape.watch(x);
      const y = x.square();
      tape.batchJacobian(y, x);
      return flat(randomNormal([4]));
    };
    setSeed(8);
    const withoutJacobian = flat(randomNormal([4]));
    // The check took one seed from the sequence, so the draw after it is the sequence's second.
    expect(jacobianThenDraw()).toEqual(jacobianThenDraw());
    expect(jacobianThenDraw()).not.toEqual(withoutJacobian);
  });
});
