/**
 * The gradient-check table (spec/rows/) on the webgpu backend, in float32. Central differences in float32 on the GPU
 * would measure rounding, not gradients; instead each case runs twice, on the CPU backend and on webgpu, from the
 * same float32 inputs, and every value, first-order gradient (a VJP with a seeded cotangent) and, for rows of order
 * 2, second-order gradient (the gradient of <VJP, seeded vector> through a nested tape) is compared within float32
 * tolerances; and forward mode (a JVP along seeded tangents) the same way. Skipped, with the reason in its title, where there is no adapter.
 */
import {
  GradientTape,
  cast,
  jvp,
  mul,
  randomUniform,
  setBackend,
  sum,
  toBackend,
  type Tensor,
} from '../../lib/index.js';
import { ROWS, type Case, type Row } from '../rows/index.js';
import { sampleInput } from '../support/inputs.js';
import { createGpu } from './adapter.js';
import { describeGpu, gpuTitle } from './harness.js';

const label = (c: Case): string =>
  c.shapes.map((s) => JSON.stringify(s)).join(' with ') + (c.note ? `, ${c.note}` : '');

/**
 * Rows whose f leaves float32: cast's row casts to float64 and back, and float64 has no GPU kernels (WGSL has no
 * f64; the backend spec checks the error). Here its VJP runs between the GPU dtypes: float32 to int32 is not
 * differentiable, so float32 to float32, which still records cast and runs its VJP.
 */
const ON_GPU: Partial<Record<Row['op'], (...xs: Tensor[]) => Tensor>> = {
  cast: (x) => cast(x!, 'float32'),
};

/** What one run of a case gives: its value, its VJP per float input, and (order 2) the second-order gradients. */
function run(row: Row, c: Case, inputs: readonly Tensor[], seed: number): Tensor[] {
  const f = ON_GPU[row.op] ?? c.f ?? row.f;
  const floats = inputs.filter((x) => x.dtype !== 'bool');
  const outer = new GradientTape({ persistent: false });
  outer.watch(floats);
  const tape = new GradientTape();
  tape.watch(floats);
  const y = f(...inputs);
  const dy = randomUniform(y.shape, -1, 1, 'float32', seed);
  const grads = tape.gradient(y, floats, dy).map((g, i) => g ?? mul(floats[i]!, 0));
  if (row.order === 1) return [y, ...grads];
  const probe = grads.reduce<Tensor | undefined>((acc, g, i) => {
    const v = randomUniform(g.shape, -1, 1, 'float32', seed + 1 + i);
    const term = sum(mul(g, v));
    return acc === undefined ? term : acc.add(term);
  }, undefined);
  const second = probe === undefined ? [] : outer.gradient(probe, floats).map((g, i) => g ?? mul(floats[i]!, 0));
  return [y, ...grads, ...second];
}

/** Forward mode: the value and the JVP along seeded tangents of the float inputs (bool inputs held fixed). */
function runForward(row: Row, c: Case, inputs: readonly Tensor[], seed: number): Tensor[] {
  const f = ON_GPU[row.op] ?? c.f ?? row.f;
  const floatAt = inputs.flatMap((x, i) => (x.dtype === 'bool' ? [] : [i]));
  const tangents = floatAt.map((i, k) => randomUniform(inputs[i]!.shape, -1, 1, 'float32', seed + k));
  const g = (...floats: Tensor[]) =>
    f(...inputs.map((x, i) => (floatAt.includes(i) ? floats[floatAt.indexOf(i)]! : x)));
  const [y, dy] = jvp(
    g,
    floatAt.map((i) => inputs[i]!),
    tangents,
  );
  return [y, dy];
}

/** The largest |gpu - cpu| relative to the case's scale, per output, with where it happened. */
function worst(gpu: ArrayLike<number>, cpu: ArrayLike<number>): { err: number; at: number } {
  let scale = 1;
  for (let i = 0; i < cpu.length; i++) if (Number.isFinite(cpu[i]!)) scale = Math.max(scale, Math.abs(cpu[i]!));
  let err = 0;
  let at = -1;
  for (let i = 0; i < cpu.length; i++) {
    const a = gpu[i]!;
    const b = cpu[i]!;
    const e = Number.isNaN(a) && Number.isNaN(b) ? 0 : a === b ? 0 : Math.abs(a - b) / scale;
    if (!(e <= err)) {
      err = Number.isNaN(e) ? Infinity : e;
      at = i;
    }
  }
  return { err, at };
}

/** Relative error allowed: float32 rounding through a chain of ops, more for second order. */
const TOLERANCE = { 1: 2e-4, 2: 1e-3 } as const;

describeGpu(gpuTitle('the gradient table on webgpu, against the CPU backend, in float32'), () => {
  const gpu = createGpu(); // kept reachable for as long as the device is used
  afterAll(async () => {
    await setBackend('wasm-simd');
  });

  /** Runs `compute` on the CPU backend and on webgpu from the same float32 inputs; the outputs that differ. */
  async function compare(
    row: Row,
    c: Case,
    k: number,
    compute: (row: Row, c: Case, inputs: readonly Tensor[], seed: number) => Tensor[],
    tolerance: number,
  ) {
    const domain = c.domain ?? row.domain;
    await setBackend('wasm-simd');
    const inputs = c.shapes.map((shape, i) => sampleInput(shape, domain[i]!, i, 100 + k, 'float32'));
    const cpu = compute(row, c, inputs, 500 + k).map((t) => t.dataSync());
    expect(await setBackend('webgpu', { gpu })).toBe(true);
    const onGpu = await Promise.all(inputs.map((x) => toBackend(x, 'webgpu')));
    const outputs = compute(row, c, onGpu, 500 + k);
    expect(outputs.every((t) => t.onGpu)).toBe(true);
    const got = await Promise.all(outputs.map((t) => t.data()));
    const report = got.map((g, i) => {
      const { err, at } = worst(g, cpu[i]!);
      return { output: i, shape: outputs[i]!.shape, err, at, gpu: g[at], cpu: cpu[i]![at] };
    });
    const key = `${row.op} (${compute === run ? `reverse, order ${row.order}` : 'forward'})`;
    largest.set(key, Math.max(largest.get(key) ?? 0, ...report.map((r) => r.err)));
    return report.filter((r) => !(r.err <= tolerance));
  }

  /** The largest difference from the CPU per row and mode, printed at the end (the closing notes quote it). */
  const largest = new Map<string, number>();
  afterAll(() => {
    const sorted = [...largest].sort((a, b) => b[1] - a[1]);
    const zero = sorted.filter(([, e]) => e === 0).length;
    console.log(
      `webgpu against the CPU: ${largest.size} row-modes, ${zero} identical; largest relative differences:\n` +
        sorted
          .slice(0, 8)
          .map(([k, e]) => `  ${k}: ${e.toExponential(2)}`)
          .join('\n'),
    );
  });

  describe.each(ROWS.map((row) => [row.op, row] as const))('%s', (_op, row) => {
    test.each(row.cases.map((c, k) => [label(c), c, k] as const))(
      `reverse, order ${row.order}: %s`,
      async (_l, c, k) => {
        expect(await compare(row, c, k, run, TOLERANCE[row.order])).toEqual([]);
      },
    );
    test.each(row.cases.map((c, k) => [label(c), c, k] as const))('forward (jvp): %s', async (_l, c, k) => {
      expect(await compare(row, c, k, runForward, TOLERANCE[1])).toEqual([]);
    });
  });
});
