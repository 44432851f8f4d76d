/**
 * Updates in place (lib/variable.ts, lib/train/optimizer.ts): an optimizer's
 * fused update writes a variable's new value into the variable's own array
 * when nothing else can hold that array, and `minimize` gives the arrays of
 * the gradients it applied back for reuse (lib/kernels/recycling.ts). Neither
 * may change anything a caller can see: every value taken from a variable
 * before an update (a view, a snapshot a tape or a custom gradient saved, a
 * backend copy) keeps its values, gradients handed out are never reused, and
 * the trajectory is bit for bit the one of updates that always make a new
 * array.
 */
import fc from 'fast-check';
import {
  GradientTape,
  customGradient,
  fused,
  identity,
  randomNormal,
  reshape,
  tensor,
  toBackend,
  train,
  variable,
  type Tensor,
  type Variable,
} from '../../lib/index.js';
import type { TypedArray } from '../../lib/dtype.js';
import { clearRecycled, poisonOutputs, recycledBytes, RECYCLE_MIN_BYTES } from '../../lib/kernels/recycling.js';

afterEach(() => {
  poisonOutputs(undefined);
  clearRecycled();
});

/** A variable's array as it is now (the object itself, to see whether an update replaced it). */
const arrayOf = (v: Variable): unknown => v.storage;

/** A loss whose gradient needs arrays of the variable's size: sum(sin(w) * w²). */
const lossOf = (w: Tensor) => w.sin().mul(w.square()).sum();

/** The optimizers with a fused update (sgd, adam, adamax's unfused one for contrast below). */
const FUSED: { [name: string]: () => train.Optimizer } = {
  sgd: () => train.sgd(0.05),
  adam: () => train.adam(0.01),
};

/** A float32 variable of `n` elements (n = 20000 makes arrays above RECYCLE_MIN_BYTES). */
const weights = (n: number, seed: number, name?: string) =>
  variable(randomNormal([n], 0, 1, 'float32', seed), name === undefined ? {} : { name });

describe('an update in place', () => {
  test.each(Object.keys(FUSED))(
    '%s: minimize writes the new value into the array of a variable nothing else holds',
    (name) => {
      const w = weights(20000, 1);
      const optimizer = FUSED[name]!();
      const before = arrayOf(w);
      for (let step = 0; step < 3; step++) optimizer.minimize(() => lossOf(w));
      expect(arrayOf(w)).toBe(before);
    },
  );

  test('reads that keep nothing do not stop it: a bias in fused.matMul, dataSync, printing, a copy by tensor()', () => {
    const W = variable(randomNormal([784, 64], 0, 0.05, 'float32', 10));
    const b = weights(64, 11);
    const x = randomNormal([16, 784], 0, 1, 'float32', 12);
    const arrays = [arrayOf(W), arrayOf(b)];
    const optimizer = train.adam(0.01);
    for (let step = 0; step < 2; step++) {
      optimizer.minimize(() => fused.matMul({ a: x, b: W, bias: b, activation: 'relu' }).square().mean());
      void [b.dataSync(), String(b), b.arraySync(), tensor(W), variable(b)];
    }
    expect([arrayOf(W) === arrays[0], arrayOf(b) === arrays[1]]).toEqual([true, true]);
  });

  test.each(Object.keys(FUSED))('%s: the trajectory is bit for bit that of updates into new arrays', (name) => {
    // `held` has its value read through `values` before every step, which counts its array as shared: each of its
    // updates makes a new array. `own` is updated in place. Both must take the very same values.
    const own = weights(20000, 2);
    const held = weights(20000, 2);
    const a = FUSED[name]!();
    const b = FUSED[name]!();
    poisonOutputs((out: TypedArray) => out.fill(NaN)); // a kernel reading a reused array before writing it shows
    for (let step = 0; step < 4; step++) {
      const inPlace = arrayOf(own);
      a.minimize(() => lossOf(own));
      void held.values;
      const replaced = arrayOf(held);
      b.minimize(() => lossOf(held));
      expect([arrayOf(own) === inPlace, arrayOf(held) === replaced]).toEqual([true, false]);
      expect(own.dataSync()).toEqual(held.dataSync());
    }
  });

  test('a variable read by two optimizers in turn, or by applyGradients, takes the same updates', () => {
    const w = weights(20000, 3);
    const reference = weights(20000, 3);
    const optimizer = train.sgd(0.1);
    const { grads } = optimizer.computeGradients(() => lossOf(w));
    const expected = reference
      .dataSync()
      .map((x, i) => Math.fround(x - Math.fround(Math.fround(0.1) * grads[w.name]!.dataSync()[i]!)));
    optimizer.applyGradients({ [w.name]: grads[w.name]! });
    expect(w.dataSync()).toEqual(expected);
  });
});

/**
 * Ways of taking a variable's value that share its array: each takes it now and returns how to read, later, what
 * was taken.
 */
const TAKERS: { [name: string]: (v: Variable) => Promise<() => Float32Array> } = {
  reshape: (v) => Promise.resolve(readOf(reshape(v, [v.size]))),
  identity: (v) => Promise.resolve(readOf(identity(v))),
  'toBackend(wasm-simd)': async (v) => readOf(await toBackend(v, 'wasm-simd')),
  'a persistent tape that saw it': (v) => {
    // The tape saves v's value for the gradient of sum(v * c) with respect to c, which is that value.
    const c = tensor(new Float32Array(v.size).fill(1));
    const tape = new GradientTape({ persistent: true });
    tape.watch(c);
    const y = v.mul(c).sum();
    tape.stop();
    return Promise.resolve(() => tape.gradient(y, c)!.dataSync() as Float32Array);
  },
};

const readOf = (t: Tensor) => () => t.dataSync() as Float32Array;

describe('what was taken before an update keeps its values', () => {
  test.each(Object.keys(TAKERS))('%s', async (how) => {
    const w = weights(20000, 4);
    const read = await TAKERS[how]!(w);
    const values = read();
    expect(values).toEqual(w.dataSync());
    const optimizer = train.sgd(0.5);
    for (let step = 0; step < 2; step++) optimizer.minimize(() => lossOf(w));
    expect(read()).toEqual(values);
    expect(w.dataSync()).not.toEqual(values);
  });

  test('the value a tape recording around minimize saved: its gradient uses the value before the update', () => {
    const w = weights(20000, 5);
    const w0 = w.dataSync();
    const outer = new GradientTape({ persistent: true });
    const cost = train.sgd(0.5).minimize(() => w.square().sum(), true);
    outer.stop();
    // d(sum(w²))/dw = 2 w, with w as the outer tape saw it: before the update.
    expect(outer.gradient(cost, w)!.dataSync()).toEqual(w0.map((x) => 2 * x));
  });

  test('the values a customGradient rule saved, was given and returned stay as they were', () => {
    const w = weights(20000, 6);
    const seen: Tensor[] = [];
    const square = customGradient((x: Tensor, save: (tensors: Tensor[]) => void) => {
      save([x]);
      return {
        value: x.square(),
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const g = dy.mul(saved[0]!).mul(2); // kept by the rule, and the gradient minimize applies
          seen.push(saved[0]!, dy, g);
          return [g];
        },
      };
    });
    const optimizer = train.sgd(0.1);
    optimizer.minimize(() => square(w).sum());
    const copies = seen.map((t) => t.dataSync());
    for (let step = 0; step < 3; step++) optimizer.minimize(() => square(w).sum());
    expect(seen.slice(0, 3).map((t) => t.dataSync())).toEqual(copies);
  });
});

describe('minimize gives back the arrays of the gradients it applied', () => {
  test('they are kept for reuse once applied: the pool holds the gradient beyond what the backward pass gave back', () => {
    const w = weights(20000, 7);
    clearRecycled();
    train.sgd(0.1).computeGradients(() => lossOf(w)); // the backward pass's own temporaries only
    const temporaries = recycledBytes();
    clearRecycled();
    train.sgd(0.1).minimize(() => lossOf(w)); // and, once applied (in place: no new array), the gradient's
    expect(recycledBytes() - temporaries).toBe(20000 * 4);
  });

  test('computeGradients hands its gradients to the caller: never given back, never reused', () => {
    const w = weights(20000, 8, 'w8');
    const optimizer = train.sgd(0.1);
    const { grads } = optimizer.computeGradients(() => lossOf(w));
    const g = grads.w8!;
    const values = g.dataSync();
    for (let step = 0; step < 3; step++) optimizer.minimize(() => lossOf(w));
    expect(g.dataSync()).toEqual(values);
  });

  test('arrays below RECYCLE_MIN_BYTES are not kept', () => {
    const w = weights(RECYCLE_MIN_BYTES / 4 - 1, 9);
    clearRecycled();
    train.sgd(0.1).minimize(() => lossOf(w));
    expect(recycledBytes()).toBe(0);
  });
});

describe('property: values taken between updates never change', () => {
  // A random program of updates (sgd or adam, on two variables that share a loss) and takes (a view or a copy of
  // either variable); each taken value is compared, at the end, with a copy made when it was taken.
  const action = fc.oneof(
    fc.record({ kind: fc.constant('step' as const), adam: fc.boolean() }),
    fc.record({
      kind: fc.constant('take' as const),
      which: fc.integer({ min: 0, max: 1 }),
      how: fc.integer({ min: 0, max: 2 }),
    }),
  );
  test('over random interleavings', () => {
    fc.assert(
      fc.property(
        fc.array(action, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 1000 }),
        (actions, seed) => {
          const vars = [weights(20000, seed), weights(20000, seed + 1)];
          const [sgd, adam] = [train.sgd(0.05), train.adam(0.01)];
          const loss = () => lossOf(vars[0]!).add(lossOf(vars[1]!.mul(vars[0]!)));
          const taken: [Tensor, Float32Array][] = [];
          for (const a of actions) {
            if (a.kind === 'step') (a.adam ? adam : sgd).minimize(loss, false, vars);
            else {
              const v = vars[a.which]!;
              const t = a.how === 0 ? reshape(v, [v.size]) : a.how === 1 ? identity(v) : tensor(v);
              taken.push([t, t.dataSync() as Float32Array]);
            }
          }
          for (const [t, copy] of taken) expect(t.dataSync()).toEqual(copy);
        },
      ),
      { numRuns: 25 },
    );
  });
});
