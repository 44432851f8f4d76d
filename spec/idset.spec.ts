/**
 * IdSet, the set of tensor ids tapes use on the recording path: it must agree
 * with a plain Set for any sequence of adds, including ids below its base and
 * ids far above the rest (which it keeps aside until the bitmap reaches them).
 */
import fc from 'fast-check';
import { IdSet } from '../lib/id-set.js';

test('agrees with a Set for any ids added, below, near and far above its base', () => {
  const id = fc.oneof(
    fc.integer({ min: 0, max: 1000 }),
    fc.integer({ min: 1000, max: 1600 }),
    fc.integer({ min: 1600, max: 1_000_000 }),
  );
  fc.assert(
    fc.property(fc.array(id, { maxLength: 400 }), fc.array(id, { maxLength: 100 }), (added, probes) => {
      const ids = new IdSet(1000);
      const reference = new Set<number>();
      for (const x of added) {
        ids.add(x);
        reference.add(x);
        expect(ids.has(x)).toBe(true);
      }
      for (const x of [...added, ...probes]) expect(ids.has(x)).toBe(reference.has(x));
    }),
    { numRuns: 200 },
  );
});

test('a far id does not grow the bitmap until the ids below it fill in, and is still found afterwards', () => {
  const ids = new IdSet(0);
  ids.add(1_000_000);
  for (let i = 0; i < 20_000; i++) ids.add(i);
  expect(ids.has(1_000_000)).toBe(true);
  expect(ids.has(999_999)).toBe(false);
  for (let i = 20_000; i < 600_000; i++) ids.add(i); // now the bitmap grows past the far id, which moves in
  expect(ids.has(1_000_000)).toBe(true);
  expect(ids.has(599_999)).toBe(true);
  expect(ids.has(600_000)).toBe(false);
});
