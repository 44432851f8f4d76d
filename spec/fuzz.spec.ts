/**
 * Fuzzing the chain rule: random op graphs, generated with fast-check, whose
 * gradients must agree with central differences (checkGradients, float64).
 *
 * What a graph is (spec/support/fuzz-graphs.ts, fuzz-ops.ts and
 * fuzz-operands.ts): one to four float64 inputs of rank 0-3 (dimensions
 * 1-4), mostly broadcast-compatible; then 2 to 16 steps, each drawing one of
 * 84 public differentiable ops (element-wise math and activations,
 * broadcasting binary ops, where, reductions, softmax, shape and indexing
 * ops, matmul, convolutions, pooling, losses) and applying it to earlier
 * nodes, so that nodes are reused (fan-out) and the graph is a DAG; the loss
 * sums every sink (a node nothing reads), each weighted by a fixed random
 * tensor. The builder runs the ops as it draws them, so it can guard each
 * one on the values it will see: a log gets a positive argument, an exp a
 * bounded one, a relu or a maximum an argument shifted KINK_MARGIN away from
 * its kink or tie, and a node past MAGNITUDE is scaled down. About a third
 * of the graphs are also checked at order 2 (the VJP's own gradient, through
 * nested tapes).
 *
 * A self-test plants a gradient 0.05% wrong (a probe op whose VJP is 1.0005
 * times the true one) and asserts that the same tolerances (FUZZ_TOLERANCES)
 * catch it: at order 1 in generated graphs, at order 2 in a fixed one.
 *
 * Run more graphs, or other ones, by hand (about 1.5 ms a graph):
 *
 *     FUZZ_RUNS=200000 npx jest spec/fuzz.spec.ts
 *     FUZZ_SEED=7 FUZZ_RUNS=5000 npx jest spec/fuzz.spec.ts
 *
 * A failure prints fast-check's report: the seed and path of the failing
 * graph; the graph, shrunk, printed as TypeScript (the inputs, one line per
 * node with its shape, guards marked, the loss and the checkGradients call);
 * and checkGradients' error. Replay exactly that graph with the seed and
 * path it printed:
 *
 *     FUZZ_SEED=<seed> FUZZ_PATH=<path> npx jest spec/fuzz.spec.ts
 *
 * or paste the printed TypeScript into a test, with sampleInput from
 * spec/support/inputs.ts. An error a few times the tolerance at order 2,
 * with a comparison far smaller than the others, may be round-off: rerun
 * that graph's checkGradients with eps 1e-5 and 1e-7; a wrong rule stays
 * wrong at every step.
 */
import fc from 'fast-check';
import { checkGradients, mul, randomNormal, sum, tensor, Tensor } from '../lib/index.js';
import { defineOp } from '../lib/op.js';
import { FUZZ_TOLERANCES, buildGraph, recipes, type FuzzGraph } from './support/fuzz-graphs.js';
import { FUZZ_OPS } from './support/fuzz-ops.js';

/** Graphs per CI run: about a minute on a 2-core machine. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 35_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_240_611);
const PATH = process.env.FUZZ_PATH;
/** Jest's limit for the property: generous, and growing with FUZZ_RUNS. */
const TIMEOUT_MS = 120_000 + 20 * RUNS;

const graphs: fc.Arbitrary<FuzzGraph> = recipes(FUZZ_OPS.length).map((recipe) => buildGraph(recipe, FUZZ_OPS));

const check = (g: FuzzGraph, f = g.f, order = g.order) =>
  checkGradients(f, g.inputs(), { order, seed: g.seed, name: 'the fuzz graph', ...FUZZ_TOLERANCES });

describe('random op graphs', () => {
  test('the generator reaches every op of the catalogue', () => {
    const seen = new Set(fc.sample(graphs, { seed: SEED, numRuns: 1000 }).flatMap((g) => g.ops));
    expect(FUZZ_OPS.map(([name]) => name).filter((name) => !seen.has(name))).toEqual([]);
  });

  test(
    `${RUNS} graphs pass checkGradients at order 1, about a third also at order 2 (seed ${SEED})`,
    () => {
      fc.assert(
        fc.property(graphs, (g) => {
          check(g);
        }),
        { seed: SEED, numRuns: RUNS, ...(PATH === undefined ? {} : { path: PATH }) },
      );
    },
    TIMEOUT_MS,
  );
});

/** The same tensor, with a VJP 1.0005 times the true one (0.05% wrong). */
const PLANTED_ERROR = 5e-4;
const plantedOp = defineOp('spec.fuzz.planted', {
  forward: ([x]) => tensor(x!),
  vjp: (dy) => [mul(dy, 1 + PLANTED_ERROR)],
});
const planted = (x: Tensor) => plantedOp([x], undefined);

/** x^2 with a right VJP (2 x dy) whose own gradient in x is 0.05% wrong: 2 x goes through the planted op. */
const plantedSquareOp = defineOp('spec.fuzz.plantedSquare', {
  forward: ([x]) =>
    new Tensor(
      Float64Array.from(x!.values, (v) => v * v),
      x!.shape,
      'float64',
    ),
  vjp: (dy, [x]) => [mul(dy, mul(planted(x!), 2))],
});
const plantedSquare = (x: Tensor) => plantedSquareOp([x], undefined);

describe('the fuzz tolerances catch a gradient 0.05% wrong', () => {
  test('at order 1: generated graphs with their inputs through the planted op are all rejected', () => {
    let negligible = 0;
    fc.assert(
      fc.property(graphs, (g) => {
        const honest = check(g, g.f, 1);
        // Only a graph whose gradient is too small to measure may pass: a degenerate one, whose
        // inputs all reach the loss through relus at negative values, or a variance of one value.
        if (honest.comparisons.every((c) => Math.abs(c.analytic) < 1e-3)) {
          negligible++;
          return;
        }
        expect(() => check(g, (...xs) => g.f(...xs.map(planted)), 1)).toThrow(
          /tapegrad\.checkGradients: the gradient of the fuzz graph with respect to input \d .* is wrong/,
        );
      }),
      { seed: 1, numRuns: 300 },
    );
    expect(negligible).toBeLessThan(15);
  });

  test('at order 2: the planted second derivative is rejected while the gradient itself passes', () => {
    const x = randomNormal([2, 3], 0, 1, 'float64', 3);
    const w = randomNormal([2, 3], 0, 1, 'float64', 4);
    const f = (x: Tensor) => sum(mul(plantedSquare(x), w));
    const options = { seed: 5, name: 'plantedSquare', ...FUZZ_TOLERANCES };
    expect(checkGradients(f, [x], options).worstRatio).toBeLessThan(0.01);
    expect(() => checkGradients(f, [x], { ...options, order: 2 })).toThrow(
      /the gradient of the gradient \(order 2\) of plantedSquare with respect to input 0/,
    );
  });
});
