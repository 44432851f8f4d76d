/**
 * One row per differentiable op: its domain, its shape cases (broadcasting,
 * size-1 and size-0 dimensions) and the order to check. Every row runs
 * through checkGradients in float64; order 2 for ops whose VJP is nonlinear.
 * The rows live in spec/rows/, one file per family of ops, keyed by op name:
 * the table's type makes a differentiable op without a row a compile error,
 * and the registry check at the end makes it fail here too.
 */
import { GradientTape, cast, checkGradients, type Tensor } from '../lib/index.js';
import { opRegistry } from '../lib/op.js';
import { ROW_FILES, ROWS, type Case, type Row } from './rows/index.js';
import { sampleInput } from './support/inputs.js';

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
  const differentiable: string[] = [...opRegistry.values()].filter((op) => op.vjp !== 'none').map((op) => op.name);
  const rows: string[] = ROWS.map((r) => r.op);
  expect({ missingRows: differentiable.filter((name) => !rows.includes(name)) }).toEqual({ missingRows: [] });
  expect({ unknownRows: rows.filter((name) => !differentiable.includes(name)) }).toEqual({ unknownRows: [] });
});

test('no op has rows in two row files', () => {
  const names = ROW_FILES.flatMap((rows) => Object.keys(rows));
  expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
});
