/**
 * One row per differentiable op: its domain, its shape cases (broadcasting,
 * size-1 and size-0 dimensions) and the order to check. Every row runs
 * through checkGradients in float64; order 2 for ops whose VJP is nonlinear.
 * The registry check at the end makes a new op without a row fail here.
 */
import {
  GradientTape,
  add,
  broadcastTo,
  cast,
  checkGradients,
  div,
  exp,
  identity,
  log,
  matmul,
  maximum,
  mean,
  minimum,
  mul,
  neg,
  pow,
  relu,
  reshape,
  sigmoid,
  sqrt,
  square,
  sub,
  sum,
  tanh,
  transpose,
  where,
  type CheckGradientsOptions,
  type Shape,
  type Tensor,
} from '../lib/index.js';
import { opRegistry } from '../lib/op.js';
import { sampleInput, type Domain } from './support/inputs.js';

type Fn = (...xs: Tensor[]) => Tensor;

interface Case {
  /** One shape per input of f. */
  readonly shapes: readonly Shape[];
  /** What else distinguishes the case (axes, transposes, ...). */
  readonly note?: string;
  /** f for this case, when the row's needs attributes. */
  readonly f?: Fn;
  /** Domains for this case's inputs, when not the row's. */
  readonly domain?: readonly Domain[];
}

interface Row {
  /** The op's name in the registry. */
  readonly op: string;
  readonly f: Fn;
  /** One domain per input. */
  readonly domain: readonly Domain[];
  readonly order: 1 | 2;
  readonly cases: readonly Case[];
  readonly options?: CheckGradientsOptions;
}

const shapes = (...list: Shape[][]): Case[] => list.map((s) => ({ shapes: s }));

const UNARY: Case[] = shapes([[]], [[3]], [[2, 3]], [[2, 1, 3]], [[0, 2]]);

const BINARY: Case[] = shapes(
  [
    [2, 3],
    [2, 3],
  ],
  [[2, 3], [3]],
  [
    [2, 1],
    [1, 3],
  ],
  [[], [2, 2]],
  [[2, 2], []],
  [
    [1, 3, 1],
    [2, 1, 4],
  ],
  [[4, 1, 3], [1]],
  [[0, 3], [3]],
);

/** matmul with the given transposes, as a case f. */
const mm =
  (transposeA: boolean, transposeB: boolean): Fn =>
  (a, b) =>
    matmul(a!, b!, transposeA, transposeB);

const mmCase = (a: Shape, b: Shape, ta = false, tb = false): Case => ({
  shapes: [a, b],
  note: `transposeA=${ta} transposeB=${tb}`,
  f: mm(ta, tb),
});

/** A reduction case: `op(x, axis, keepDims)` on one shape. */
const reduceCases = (op: typeof sum): Case[] =>
  (
    [
      [[2, 3, 4], undefined, false],
      [[2, 3, 4], undefined, true],
      [[2, 3, 4], 1, false],
      [[2, 3, 4], -1, true],
      [[2, 3, 4], [0, 2], false],
      [[2, 3, 4], [-1, -3], true],
      [[2, 1, 3], 1, false],
      [[], undefined, false],
      [[0, 3], 1, false],
    ] as [Shape, number | number[] | undefined, boolean][]
  ).map(([shape, axis, keepDims]) => ({
    shapes: [shape],
    note: `axis=${JSON.stringify(axis)} keepDims=${keepDims}`,
    f: (x) => op(x!, axis, keepDims),
  }));

const ROWS: readonly Row[] = [
  { op: 'add', f: (a, b) => add(a!, b!), domain: ['any', 'any'], order: 1, cases: BINARY },
  { op: 'sub', f: (a, b) => sub(a!, b!), domain: ['any', 'any'], order: 1, cases: BINARY },
  { op: 'mul', f: (a, b) => mul(a!, b!), domain: ['any', 'any'], order: 2, cases: BINARY },
  { op: 'div', f: (a, b) => div(a!, b!), domain: ['any', 'nonzero'], order: 2, cases: BINARY },
  {
    op: 'pow',
    f: (a, b) => pow(a!, b!),
    domain: ['positive', 'any'],
    order: 2,
    cases: [
      ...BINARY,
      // A negative base with a constant integer exponent: only d/da is defined there.
      { shapes: [[2, 3]], note: 'x^3, x of any sign', domain: ['any'], f: (a) => pow(a!, 3) },
    ],
  },
  { op: 'maximum', f: (a, b) => maximum(a!, b!), domain: ['separated', 'separated'], order: 1, cases: BINARY },
  { op: 'minimum', f: (a, b) => minimum(a!, b!), domain: ['separated', 'separated'], order: 1, cases: BINARY },
  { op: 'neg', f: (x) => neg(x!), domain: ['any'], order: 1, cases: UNARY },
  { op: 'square', f: (x) => square(x!), domain: ['any'], order: 2, cases: UNARY },
  { op: 'sqrt', f: (x) => sqrt(x!), domain: ['positive'], order: 2, cases: UNARY },
  { op: 'exp', f: (x) => exp(x!), domain: ['any'], order: 2, cases: UNARY },
  { op: 'log', f: (x) => log(x!), domain: ['positive'], order: 2, cases: UNARY },
  { op: 'relu', f: (x) => relu(x!), domain: ['nonzero'], order: 1, cases: UNARY },
  { op: 'sigmoid', f: (x) => sigmoid(x!), domain: ['any'], order: 2, cases: UNARY },
  { op: 'tanh', f: (x) => tanh(x!), domain: ['any'], order: 2, cases: UNARY },
  {
    op: 'matmul',
    f: mm(false, false),
    domain: ['any', 'any'],
    order: 2,
    cases: [
      mmCase([3, 4], [4, 2]),
      mmCase([4, 3], [4, 2], true, false),
      mmCase([3, 4], [2, 4], false, true),
      mmCase([4, 3], [2, 4], true, true),
      mmCase([1, 1], [1, 1]),
      mmCase([2, 3, 4], [4, 5]),
      mmCase([3, 4], [2, 4, 5]),
      mmCase([2, 1, 3, 4], [3, 4, 2]),
      mmCase([1, 3, 4], [2, 4, 2]),
      mmCase([2, 4, 3], [1, 2, 4], true, true),
      mmCase([3, 2, 4], [1, 5, 4], false, true),
      mmCase([2, 0], [0, 3]),
      mmCase([0, 3], [3, 2]),
    ],
  },
  { op: 'sum', f: (x) => sum(x!), domain: ['any'], order: 1, cases: reduceCases(sum) },
  { op: 'mean', f: (x) => mean(x!), domain: ['any'], order: 1, cases: reduceCases(mean) },
  {
    op: 'reshape',
    f: (x) => reshape(x!, [-1]),
    domain: ['any'],
    order: 1,
    cases: (
      [
        [
          [2, 3],
          [3, 2],
        ],
        [[2, 3], [-1]],
        [[6], [2, -1, 1]],
        [[], [1, 1]],
        [
          [2, 0],
          [0, 4],
        ],
      ] as [Shape, number[]][]
    ).map(([shape, to]) => ({ shapes: [shape], note: `to ${JSON.stringify(to)}`, f: (x) => reshape(x!, to) })),
  },
  {
    op: 'transpose',
    f: (x) => transpose(x!),
    domain: ['any'],
    order: 1,
    cases: (
      [
        [[2, 3], undefined],
        [
          [2, 3, 4],
          [1, 0, 2],
        ],
        [
          [2, 3, 4],
          [2, 0, 1],
        ],
        [[1, 2, 1, 3], undefined],
        [[], undefined],
        [
          [0, 2],
          [1, 0],
        ],
      ] as [Shape, number[] | undefined][]
    ).map(([shape, perm]) => ({
      shapes: [shape],
      note: `perm ${JSON.stringify(perm)}`,
      f: (x) => transpose(x!, perm),
    })),
  },
  {
    op: 'broadcastTo',
    f: (x) => broadcastTo(x!, [2, 3]),
    domain: ['any'],
    order: 1,
    cases: (
      [
        [[3], [2, 3]],
        [
          [2, 1],
          [2, 3],
        ],
        [[], [2, 2]],
        [
          [1, 3],
          [2, 4, 3],
        ],
        [
          [2, 3],
          [2, 3],
        ],
        [[3], [0, 3]],
      ] as [Shape, number[]][]
    ).map(([shape, to]) => ({ shapes: [shape], note: `to ${JSON.stringify(to)}`, f: (x) => broadcastTo(x!, to) })),
  },
  {
    op: 'cast',
    // float64 -> float32 -> float64: both directions. The round trip rounds to
    // float32 (relative 6e-8), which a step of 1e-6 would turn into noise; the
    // round trip is linear, so a large step costs no truncation error, and what
    // remains is about 2^-24 |x| / h = 1e-6 per element, hence atol 1e-5.
    f: (x) => cast(cast(x!, 'float32'), 'float64'),
    domain: ['any'],
    order: 1,
    cases: UNARY,
    options: { eps: 0.1, atol: 1e-5 },
  },
  { op: 'identity', f: (x) => identity(x!), domain: ['any'], order: 1, cases: UNARY },
  {
    op: 'where',
    f: (c, a, b) => where(c!, a!, b!),
    domain: ['bool', 'any', 'any'],
    order: 1,
    cases: shapes(
      [
        [2, 3],
        [2, 3],
        [2, 3],
      ],
      [[2, 1], [1, 3], [3]],
      [[], [2, 2], []],
      [[3], [2, 3], [2, 1]],
      [[0, 3], [3], [1, 3]],
    ),
  },
];

const label = (c: Case): string =>
  c.shapes.map((s) => JSON.stringify(s)).join(' with ') + (c.note ? `, ${c.note}` : '');

/** The case's inputs, seeded by the row and case position so each run is the same. */
function inputsOf(row: Row, c: Case, seed: number): Tensor[] {
  const domain = c.domain ?? row.domain;
  return c.shapes.map((shape, i) => sampleInput(shape, domain[i]!, i, seed));
}

describe.each(ROWS.map((row) => [row.op, row] as const))('%s', (_op, row) => {
  test.each(row.cases.map((c, k) => [label(c), c, k] as const))(
    `matches central differences in float64 (order ${row.order}): %s`,
    (_label, c, k) => {
      const f = c.f ?? row.f;
      const result = checkGradients(f, inputsOf(row, c, 100 + k), { order: row.order, name: row.op, ...row.options });
      expect(result.worstRatio).toBeLessThan(1);
    },
  );

  test.each(['float32', 'float64'] as const)('gives each %s input a gradient of its shape and dtype', (dtype) => {
    row.cases.forEach((c, k) => {
      const inputs = inputsOf(row, c, k).map((x) => (x.dtype === 'bool' ? x : cast(x, dtype)));
      const floats = inputs.filter((x) => x.dtype !== 'bool');
      const tape = new GradientTape();
      tape.watch(floats);
      const y = (c.f ?? row.f)(...inputs);
      const grads = tape.gradient(y, floats);
      grads.forEach((g, i) => {
        expect({ case: label(c), input: i, shape: g?.shape, dtype: g?.dtype }).toEqual({
          case: label(c),
          input: i,
          shape: floats[i]!.shape,
          dtype,
        });
      });
    });
  });
});

test.each(['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const)(
  '%s of a float32 and a float64 operand gives each operand a gradient in its own dtype',
  (op) => {
    const row = ROWS.find((r) => r.op === op)!;
    const a = cast(sampleInput([2, 3], row.domain[0]!, 0, 7), 'float32');
    const b = sampleInput([3], row.domain[1]!, 1, 7);
    const tape = new GradientTape();
    tape.watch([a, b]);
    const [ga, gb] = tape.gradient(row.f(a, b), [a, b]);
    expect([ga?.dtype, ga?.shape, gb?.dtype, gb?.shape]).toEqual(['float32', [2, 3], 'float64', [3]]);
  },
);

test('every op with a VJP in opRegistry has a row in this table, and every row names one', () => {
  const differentiable = [...opRegistry.values()].filter((op) => op.vjp !== 'none').map((op) => op.name);
  const rows = ROWS.map((r) => r.op);
  expect({ missingRows: differentiable.filter((name) => !rows.includes(name)) }).toEqual({ missingRows: [] });
  expect({ unknownRows: rows.filter((name) => !differentiable.includes(name)) }).toEqual({ unknownRows: [] });
});
