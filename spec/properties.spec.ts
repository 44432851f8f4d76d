/**
 * Property tests over random broadcast-compatible shapes (fast-check): for
 * each broadcasting op, the output has the NumPy broadcast shape, every
 * gradient has its input's shape, the gradients pass checkGradients, and
 * they are linear in the output gradient.
 */
import fc from 'fast-check';
import {
  GradientTape,
  add,
  checkGradients,
  div,
  atan2,
  maximum,
  minimum,
  mul,
  pow,
  squaredDifference,
  randomNormal,
  sub,
  where,
  type Tensor,
} from '../lib/index.js';
import { sampleInput, type Domain } from './support/inputs.js';

interface BroadcastOp {
  readonly name: string;
  readonly f: (...xs: Tensor[]) => Tensor;
  /** One domain per operand (a where condition is bool). */
  readonly domain: readonly Domain[];
  readonly order: 1 | 2;
}

const OPS: readonly BroadcastOp[] = [
  { name: 'add', f: (a, b) => add(a!, b!), domain: ['any', 'any'], order: 1 },
  { name: 'sub', f: (a, b) => sub(a!, b!), domain: ['any', 'any'], order: 1 },
  { name: 'mul', f: (a, b) => mul(a!, b!), domain: ['any', 'any'], order: 2 },
  { name: 'div', f: (a, b) => div(a!, b!), domain: ['any', 'nonzero'], order: 2 },
  { name: 'pow', f: (a, b) => pow(a!, b!), domain: ['positive', 'any'], order: 2 },
  { name: 'maximum', f: (a, b) => maximum(a!, b!), domain: ['separated', 'separated'], order: 1 },
  { name: 'minimum', f: (a, b) => minimum(a!, b!), domain: ['separated', 'separated'], order: 1 },
  { name: 'squaredDifference', f: (a, b) => squaredDifference(a!, b!), domain: ['any', 'any'], order: 2 },
  { name: 'atan2', f: (a, b) => atan2(a!, b!), domain: ['any', 'nonzero'], order: 2 },
  { name: 'where', f: (c, a, b) => where(c!, a!, b!), domain: ['bool', 'any', 'any'], order: 1 },
];

const RUNS = { numRuns: 30 };

/**
 * `n` shapes that broadcast together: a full shape of rank 0..4 with
 * dimensions 1..4, from which each operand drops some leading dimensions and
 * sets some of the others to 1.
 */
const broadcastShapes = (n: number): fc.Arbitrary<number[][]> =>
  fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 4 }).chain((full) => {
    const operand = fc
      .tuple(
        fc.integer({ min: 0, max: full.length }),
        fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      )
      .map(([drop, toOne]) => full.map((d, i) => (toOne[i] ? 1 : d)).slice(drop));
    return fc.array(operand, { minLength: n, maxLength: n });
  });

/** The NumPy broadcast of `shapes`, written out independently of lib/shape.ts. */
function numpyBroadcast(shapes: readonly number[][]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => {
    const dims = shapes.map((s) => s[s.length - rank + i] ?? 1);
    return Math.max(...dims);
  });
}

const inputsOf = (op: BroadcastOp, shapes: number[][], seed: number): Tensor[] =>
  shapes.map((shape, i) => sampleInput(shape, op.domain[i]!, i, seed));

/** The float inputs' gradients of `y = f(inputs)` for each output gradient in `us`. */
function gradientsFor(op: BroadcastOp, inputs: Tensor[], us: (y: Tensor) => Tensor[]): Tensor[][] {
  const floats = inputs.filter((x) => x.dtype !== 'bool');
  const tape = new GradientTape({ persistent: true });
  tape.watch(floats);
  const y = op.f(...inputs);
  tape.stop();
  return us(y).map((u) =>
    tape.gradient(y, floats, u).map((g, i) => {
      if (g === undefined) throw new Error(`${op.name}: no gradient for float input ${i}`);
      return g;
    }),
  );
}

describe.each(OPS.map((op) => [op.name, op] as const))('%s over random broadcast shapes', (_name, op) => {
  const arity = op.domain.length;

  test('the output has the NumPy broadcast shape of the operands', () => {
    fc.assert(
      fc.property(broadcastShapes(arity), fc.nat(), (shapes, seed) => {
        expect(op.f(...inputsOf(op, shapes, seed)).shape).toEqual(numpyBroadcast(shapes));
      }),
      RUNS,
    );
  });

  test("each gradient has its input's shape and dtype", () => {
    fc.assert(
      fc.property(broadcastShapes(arity), fc.nat(), (shapes, seed) => {
        const inputs = inputsOf(op, shapes, seed);
        const [grads] = gradientsFor(op, inputs, (y) => [randomNormal(y.shape, 0, 1, 'float64', seed)]);
        const floats = inputs.filter((x) => x.dtype !== 'bool');
        expect(grads!.map((g) => [g.shape, g.dtype])).toEqual(floats.map((x) => [x.shape, x.dtype]));
      }),
      RUNS,
    );
  });

  test(`the gradients pass checkGradients (order ${op.order})`, () => {
    fc.assert(
      fc.property(broadcastShapes(arity), fc.nat(), (shapes, seed) => {
        checkGradients(op.f, inputsOf(op, shapes, seed), { order: op.order, seed, name: op.name });
      }),
      RUNS,
    );
  });

  test('the gradients are linear in the output gradient: g(a u + b w) = a g(u) + b g(w)', () => {
    const coefficient = fc.double({ min: -3, max: 3, noNaN: true });
    fc.assert(
      fc.property(broadcastShapes(arity), fc.nat(), coefficient, coefficient, (shapes, seed, a, b) => {
        const inputs = inputsOf(op, shapes, seed);
        const [combined, gu, gw] = gradientsFor(op, inputs, (y) => {
          const u = randomNormal(y.shape, 0, 1, 'float64', seed);
          const w = randomNormal(y.shape, 0, 1, 'float64', seed + 1);
          return [add(mul(u, a), mul(w, b)), u, w];
        });
        combined!.forEach((g, i) => {
          const lhs = g.dataSync();
          const x = gu![i]!.dataSync();
          const z = gw![i]!.dataSync();
          lhs.forEach((value, k) => {
            const expected = a * x[k]! + b * z[k]!;
            const scale = 1 + Math.abs(a * x[k]!) + Math.abs(b * z[k]!);
            expect(Math.abs(value - expected)).toBeLessThanOrEqual(1e-12 * scale);
          });
        });
      }),
      RUNS,
    );
  });
});
