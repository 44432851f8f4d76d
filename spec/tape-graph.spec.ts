import {
  GradientTape,
  add,
  matmul,
  scalar,
  stopGradient,
  tensor,
  toDot,
  variable,
  type TapeGraph,
  type Tensor,
} from '../lib/index.js';

/** The graph's ops as `name(input ids) -> output id`, for compact expectations. */
const opsOf = (graph: TapeGraph) => graph.ops.map((o) => `${o.op}(${o.inputs.join(',')})->${o.output}`);
const tensorOf = (graph: TapeGraph, x: Tensor) => graph.tensors.find((t) => t.id === x.id);
/** The seed's variable `w<i>`, of value [i, i]. */
const weight = (i: number) => variable(tensor([i, i]), { name: `w${i}` });

describe("toGraph on the seed's programs", () => {
  test('1. y = w1 @ [[9], [10]]: the matmul is on the path, the constant is an unwatched input', () => {
    const w1 = variable([[1, 2]], { name: 'w1' });
    const tape = new GradientTape();
    const y = matmul(w1, [[9], [10]]);
    const graph = tape.toGraph(y, [w1]);
    expect(graph.ops).toHaveLength(1);
    const [op] = graph.ops;
    expect(op).toMatchObject({ op: 'matmul', output: y.id, onPath: true, differentiable: true, cut: false });
    const constantId = op!.inputs[1]!;
    expect(op!.inputs[0]).toBe(w1.id);
    expect(graph.tensors).toEqual([
      {
        key: `t${w1.id}`,
        id: w1.id,
        shape: [1, 2],
        dtype: 'float32',
        role: 'source',
        onPath: true,
        unwatched: false,
        name: 'w1',
      },
      {
        key: `t${constantId}`,
        id: constantId,
        shape: [2, 1],
        dtype: 'float32',
        role: 'constant',
        onPath: false,
        unwatched: true,
      },
      { key: `t${y.id}`, id: y.id, shape: [1, 1], dtype: 'float32', role: 'target', onPath: true, unwatched: false },
    ]);
    expect(graph.edges).toEqual([
      { from: `t${w1.id}`, to: `op${y.id}`, onPath: true, cut: false },
      { from: `t${constantId}`, to: `op${y.id}`, onPath: false, cut: false },
      { from: `op${y.id}`, to: `t${y.id}`, onPath: true, cut: false },
    ]);
    // toGraph spent nothing: the non-persistent tape still gives its one gradient.
    expect(tape.gradient(y, [w1])[0]?.arraySync()).toEqual([[9, 10]]);
  });

  test('2. two targets summed into shared sources: every op is on the path', () => {
    const [w1, w2, w3, w4] = [weight(1), weight(2), weight(3), weight(4)];
    const tape = new GradientTape();
    const a = add(w1, w2);
    const y1 = add(a, w3);
    const y2 = add(w3, w4);
    const graph = tape.toGraph([y1, y2], [w1, w2, w3, w4]);
    expect(opsOf(graph)).toEqual([
      `add(${w1.id},${w2.id})->${a.id}`,
      `add(${a.id},${w3.id})->${y1.id}`,
      `add(${w3.id},${w4.id})->${y2.id}`,
    ]);
    expect(graph.ops.every((o) => o.onPath)).toBe(true);
    expect(graph.edges.every((e) => e.onPath && !e.cut)).toBe(true);
    expect(graph.tensors.map((t) => [t.name ?? t.id, t.role])).toEqual([
      ['w1', 'source'],
      ['w2', 'source'],
      ['w3', 'source'],
      ['w4', 'source'],
      [a.id, 'intermediate'],
      [y1.id, 'target'],
      [y2.id, 'target'],
    ]);
  });

  test('3. y3 = stopGradient(w1 + w2) + w3: the stopGradient is a cut, w1 and w2 are off the path', () => {
    const [w1, w2, w3] = [weight(1), weight(2), weight(3)];
    const tape = new GradientTape({ persistent: true });
    const a = add(w1, w2);
    const stopped = stopGradient(a);
    const y3 = add(stopped, w3);
    const graph = tape.toGraph(y3, [w1, w2, w3]);
    expect(graph.ops.map((o) => [o.op, o.onPath, o.cut, o.differentiable])).toEqual([
      ['add', false, false, true],
      ['stopGradient', false, true, false],
      ['add', true, false, true],
    ]);
    expect(graph.edges.filter((e) => e.cut)).toEqual([
      { from: `t${a.id}`, to: `op${stopped.id}`, onPath: false, cut: true },
    ]);
    expect(graph.tensors.map((t) => [t.name ?? t.id, t.role, t.onPath])).toEqual([
      ['w1', 'source', false],
      ['w2', 'source', false],
      ['w3', 'source', true],
      [a.id, 'intermediate', false],
      [stopped.id, 'constant', false],
      [y3.id, 'target', true],
    ]);
    // The drawing agrees with gradient(): undefined for w1 and w2, [1, 2] for w3.
    const grads = tape.gradient(y3, [w1, w2, w3], tensor([1, 2]));
    expect(grads.map((g) => g?.arraySync())).toEqual([undefined, undefined, [1, 2]]);
    tape.stop();
  });
});

describe('toGraph marks what gradient() cannot see', () => {
  test('a source that was never watched is an unwatched input off the path, and a lone one is still listed', () => {
    const x = tensor([1, 2]);
    const w = tensor([3, 4]);
    const lone = scalar(5);
    const tape = new GradientTape();
    tape.watch(x);
    const y = x.mul(w).sum();
    const graph = tape.toGraph(y, { x, w, lone });
    expect(tensorOf(graph, x)).toMatchObject({ role: 'source', onPath: true, unwatched: false });
    expect(tensorOf(graph, w)).toMatchObject({ role: 'source', onPath: false, unwatched: true });
    expect(tensorOf(graph, lone)).toMatchObject({ role: 'source', onPath: false, unwatched: true });
    expect(graph.edges.some((e) => e.from === `t${lone.id}` || e.to === `t${lone.id}`)).toBe(false);
    expect(graph.edges.find((e) => e.from === `t${w.id}`)).toMatchObject({ onPath: false });
    tape.stop();
  });

  test('ops off the path to the sources are listed but not marked: a branch from a tensor that is not a source', () => {
    const x = scalar(2);
    const z = scalar(3);
    const tape = new GradientTape();
    tape.watch([x, z]);
    const y = x.mul(z.exp());
    const graph = tape.toGraph(y, x);
    expect(graph.ops.map((o) => [o.op, o.onPath])).toEqual([
      ['exp', false],
      ['mul', true],
    ]);
    expect(tensorOf(graph, z)).toMatchObject({ role: 'constant', unwatched: false, onPath: false });
    tape.stop();
  });

  test('a comparison is a cut too: the path stops at an op without a gradient', () => {
    const x = tensor([1, 3]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = x.greater(2).cast('float32').mul(x);
    const graph = tape.toGraph(y, x);
    expect(graph.ops.filter((o) => o.cut).map((o) => o.op)).toEqual(['greater']);
    expect(graph.ops.find((o) => o.op === 'mul')?.onPath).toBe(true);
    tape.stop();
  });

  test('toGraph before gradient() spends nothing; on a spent tape it is empty', () => {
    const x = scalar(3);
    const tape = new GradientTape();
    tape.watch(x);
    const y = x.square();
    const first = tape.toGraph(y, x);
    expect(tape.toGraph(y, x)).toEqual(first);
    expect(tape.recording).toBe(true);
    expect(tape.gradient(y, x)?.item()).toBe(6);
    expect(tape.toGraph(y, x)).toEqual({ tensors: [], ops: [], edges: [] });
  });

  test('the graph is plain data: it survives JSON unchanged', () => {
    const w = variable([1, 2], { name: 'w' });
    const tape = new GradientTape();
    const graph = tape.toGraph(w.square().sum(), w);
    expect(JSON.parse(JSON.stringify(graph))).toEqual(graph);
    tape.stop();
  });
});

describe('toDot', () => {
  test('draws the stopGradient program: nodes, edges, the path, the cut and the unwatched input', () => {
    const w1 = variable([1, 2], { name: 'w1' });
    const w3 = variable([3, 4], { name: 'w3' });
    const tape = new GradientTape();
    const a = w1.mul(2);
    const stopped = stopGradient(a);
    const y = add(stopped, w3);
    const dot = toDot(tape.toGraph(y, [w1, w3]));
    const two = (a.node?.inputs[1] as Tensor).id;
    expect(dot.startsWith('digraph tape {\n  rankdir=TB;')).toBe(true);
    expect(dot.trimEnd().endsWith('}')).toBe(true);
    const line = (start: string) => dot.split('\n').find((l) => l.startsWith(`  ${start} `)) ?? `(no ${start})`;
    expect(line(`t${w1.id}`)).toBe(
      `  t${w1.id} [shape=ellipse, label="w1 source\\n[2] float32", color="#444444", style="filled", fillcolor="#ddeeff"];`,
    );
    expect(line(`t${w3.id}`)).toContain('label="w3 source\\n[2] float32", color="#1f6feb", penwidth=2');
    expect(line(`t${two}`)).toContain(`label="#${two} constant\\n[] float32", color="#8c8c8c"`);
    expect(line(`op${a.id}`)).toBe(`  op${a.id} [shape=box, label="mul", color="#444444"];`);
    expect(line(`op${stopped.id}`)).toBe(
      `  op${stopped.id} [shape=box, label="stopGradient", color="#d62728", fontcolor="#d62728", style="dashed"];`,
    );
    expect(line(`op${y.id}`)).toContain('label="add", color="#1f6feb", penwidth=2');
    expect(dot).toContain(`  t${a.id} -> op${stopped.id} [color="#d62728", style="dashed", penwidth=2];`);
    expect(dot).toContain(`  t${w3.id} -> op${y.id} [color="#1f6feb", penwidth=2];`);
    expect(dot).toContain(`  op${y.id} -> t${y.id} [color="#1f6feb", penwidth=2];`);
    expect(dot).toContain(`  t${w1.id} -> op${a.id};`);
    expect(dot.match(/->/g)).toHaveLength(8); // mul: 3, stopGradient: 2, add: 3
    tape.stop();
  });

  test('takes the direction and escapes quotes in labels', () => {
    const graph: TapeGraph = {
      tensors: [
        {
          key: 't1',
          id: 1,
          shape: [],
          dtype: 'float32',
          role: 'source',
          onPath: false,
          unwatched: false,
          name: 'say "hi"',
        },
      ],
      ops: [],
      edges: [],
    };
    const dot = toDot(graph, { rankdir: 'LR' });
    expect(dot).toContain('rankdir=LR;');
    expect(dot).toContain('label="say \\"hi\\" source\\n[] float32"');
  });
});
