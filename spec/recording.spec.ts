/**
 * Recording whose cost follows the tensors, not the tapes (issue 9): a tape
 * that is never stopped holds nothing but itself, ops on tensors no tape
 * watches record nothing however many tapes exist, and pausing never brings
 * back a tape that was stopped or spent.
 */
import { execFileSync } from 'node:child_process';
import { GradientTape, Tensor, checkGradients, customGrad, scalar, tensor, variable, zeros } from '../lib/index.js';
import { recording, withoutRecording } from '../lib/recording.js';
import { bundledLibrary } from './support/bundle.js';

/** Runs an ES module body in `node --expose-gc` with the bundled library as `tg`; returns its stdout lines. */
function runWithGc(body: string): string[] {
  const code = `import * as tg from ${JSON.stringify(bundledLibrary())};\n${body}`;
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', code], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return out.trim().split('\n');
}

describe('a forgotten tape costs nothing once the tensors it saw are unreachable', () => {
  test("a forgotten tape's intermediate tensors are collected (WeakRef cleared after gc, in node --expose-gc)", () => {
    const lines = runWithGc(`
      const w = tg.tensor([1, 2, 3]);
      const refs = [];
      let kept;
      function step() {
        const tape = new tg.GradientTape(); // never stopped, never asked for a gradient
        tape.watch(w);
        const h = w.mul(2);
        const y = h.exp().sum();
        refs.push(new WeakRef(h), new WeakRef(y), new WeakRef(tape));
        kept = w.add(1); // an op after the tape, on a watched tensor, still alive at the end
      }
      for (let i = 0; i < 50; i++) step();
      // WeakRefs are only cleared between jobs: let the event loop turn before collecting.
      await new Promise((r) => setTimeout(r, 0));
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 0));
      globalThis.gc();
      console.log(refs.filter((r) => r.deref() !== undefined).length);
      console.log(refs.length);
      console.log(kept.arraySync().join(','));
    `);
    expect(lines).toEqual(['0', '150', '2,3,4']);
  });

  test('the control: tensors still referenced stay reachable through the recorded ops of a live result', () => {
    const lines = runWithGc(`
      const w = tg.tensor([1, 2, 3]);
      const tape = new tg.GradientTape({ persistent: true });
      tape.watch(w);
      let h = w.mul(2);
      const ref = new WeakRef(h);
      const y = h.exp().sum(); // y's recorded op holds h
      h = undefined;
      await new Promise((r) => setTimeout(r, 0));
      globalThis.gc();
      console.log(ref.deref() !== undefined);
      console.log(tape.gradient(y, w).arraySync().map((v) => v.toFixed(3)).join(','));
    `);
    expect(lines).toEqual(['true', `${[1, 2, 3].map((v) => (2 * Math.exp(2 * v)).toFixed(3)).join(',')}`]);
  });

  test('an op on tensors no tape watches records nothing, however many tapes are recording', () => {
    const w = tensor([1, 2]);
    const a = tensor([3, 4]);
    const before = recording.tapes;
    for (let i = 0; i < 1000; i++) new GradientTape().watch(w); // forgotten
    expect(recording.tapes).toBe(before + 1000);
    expect(a.add(1).node).toBeUndefined();
    expect(w.add(1).node?.op.name).toBe('add');
  });

  test('a forgotten tape does not change what another tape computes', () => {
    const x = scalar(3);
    const forgotten = new GradientTape();
    forgotten.watch(x);
    x.mul(5);
    const tape = new GradientTape();
    tape.watch(x);
    const y = x.square();
    expect(tape.gradient(y, x)?.item()).toBe(6);
    expect(forgotten.recording).toBe(true);
  });
});

describe('pausing and resuming never revives a stopped or spent tape', () => {
  test('stop() inside a customGrad function: the tape stays stopped and records nothing after', () => {
    const x = scalar(2);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const f = customGrad((a: Tensor) => {
      tape.stop();
      return { value: a.square(), gradFunc: (dy: Tensor) => [dy.mul(a).mul(2)] };
    });
    const y = f(x);
    expect(tape.recording).toBe(false);
    const z = x.mul(3);
    expect(tape.gradient(z, x)).toBeUndefined();
    expect(tape.explain(z, x).reason).toBe('recordedWhileStopped');
    expect(tape.gradient(y, x)).toBeUndefined(); // y's op ran after the stop, when f returned
  });

  test('a non-persistent gradient() inside a customGrad function spends the tape for good', () => {
    const x = scalar(2);
    const tape = new GradientTape();
    tape.watch(x);
    const early = x.square();
    const f = customGrad((a: Tensor) => {
      expect(tape.gradient(early, x)?.item()).toBe(4);
      return { value: a.mul(3), gradFunc: (dy: Tensor) => [dy.mul(3)] };
    });
    f(x);
    expect(tape.recording).toBe(false);
    x.mul(2);
    expect(() => tape.gradient(early, x)).toThrow('already called');
  });

  test('stop() inside withoutRecording (as assignAdd and checkGradients use it) stays stopped', () => {
    const x = scalar(2);
    const tape = new GradientTape();
    tape.watch(x);
    withoutRecording(() => tape.stop());
    expect(tape.recording).toBe(false);
    const y = x.square();
    expect(tape.gradient(y, x)).toBeUndefined();
  });

  test('stop() inside a nested stopRecording() stays stopped', () => {
    const x = scalar(2);
    const tape = new GradientTape();
    tape.watch(x);
    tape.stopRecording(() => tape.stop());
    expect(tape.recording).toBe(false);
  });

  test('a tape stopped inside a checked function stays stopped after checkGradients', () => {
    const tape = new GradientTape();
    checkGradients(
      (a) => {
        tape.stop();
        return a.square().sum();
      },
      [tensor([1, 2], undefined, 'float64')],
    );
    expect(tape.recording).toBe(false);
  });

  test('assignAdd while a tape records: the tape keeps recording, and the update is not on it', () => {
    const v = variable([1, 2]);
    const tape = new GradientTape({ persistent: true });
    const y = v.square().sum();
    v.assignAdd([1, 1]);
    expect(tape.recording).toBe(true);
    expect(tape.gradient(y, v)?.arraySync()).toEqual([2, 4]); // the values when y was computed
    expect(tape.watchedVariables()).toEqual([v]);
    tape.stop();
  });

  test('inside withoutRecording, older tapes pause and tapes made inside record', () => {
    const x = scalar(3);
    const outer = new GradientTape({ persistent: true });
    outer.watch(x);
    const inner = withoutRecording(() => {
      const tape = new GradientTape();
      tape.watch(x);
      const y = x.square();
      expect(outer.gradient(y, x)).toBeUndefined();
      return tape.gradient(y, x);
    });
    expect(inner?.item()).toBe(6);
    const z = x.square();
    expect(outer.gradient(z, x)?.item()).toBe(6);
    outer.stop();
  });
});

describe('a tape records from construction until stop(), disposal or a non-persistent gradient()', () => {
  test('a tensor watched after an op does not make that op part of the tape', () => {
    const x = scalar(3);
    const tape = new GradientTape({ persistent: true });
    const before = x.square();
    tape.watch(x);
    const after = x.square();
    expect(tape.gradient(before, x)).toBeUndefined();
    expect(tape.gradient(after, x)?.item()).toBe(6);
    tape.stop();
  });

  test('an early return between new GradientTape() and gradient() leaves nothing behind when the tape is disposed', () => {
    const x = scalar(3);
    const before = recording.tapes;
    function maybe(skip: boolean): Tensor | undefined {
      using tape = new GradientTape();
      tape.watch(x);
      const y = x.square();
      if (skip) return undefined;
      return tape.gradient(y, x);
    }
    expect(maybe(true)).toBeUndefined();
    expect(maybe(false)?.item()).toBe(6);
    expect(recording.tapes).toBe(before);
  });
});

describe('toGraph(targets, sources): the recorded ops between them, before gradient()', () => {
  test('lists the ops on the path in the order they ran, with tensor ids and roles', () => {
    const x = tensor([1, 2]);
    const c = tensor([3, 4]);
    const tape = new GradientTape();
    tape.watch(x);
    const h = x.mul(c);
    x.exp(); // off the path to the target
    const y = h.sum();
    const graph = tape.toGraph(y, x);
    expect(graph.ops.map(({ op, inputs, output }) => ({ op, inputs, output }))).toEqual([
      { op: 'mul', inputs: [x.id, c.id], output: h.id },
      { op: 'sum', inputs: [h.id], output: y.id },
    ]);
    expect(graph.tensors.map((t) => [t.id, t.role])).toEqual([
      [x.id, 'source'],
      [c.id, 'constant'],
      [h.id, 'intermediate'],
      [y.id, 'target'],
    ]);
    expect(tape.gradient(y, x)?.arraySync()).toEqual([3, 4]); // toGraph spent nothing
  });

  test('is empty where the target does not depend on the source', () => {
    const x = scalar(1);
    const tape = new GradientTape();
    tape.watch(x);
    const graph = tape.toGraph(zeros([2]).sum(), x);
    expect(graph.ops).toEqual([]);
    expect(graph.tensors.map((t) => [t.role, t.onPath])).toEqual([
      ['source', false], // sources and targets are listed even where nothing connects them
      ['target', false],
    ]);
    tape.stop();
  });
});

describe("a spent tape lets go of the graph, as TensorFlow's does after gradient()", () => {
  test('a loss kept after a training step does not hold the ops that computed it (in a fresh process)', () => {
    const lines = runWithGc(`
      const w = tg.variable([1, 2]);
      const kept = [];
      for (let step = 0; step < 3; step++) {
        const tape = new tg.GradientTape();
        const h = w.square();
        const loss = h.sum();
        const g = tape.gradient(loss, w);
        w.assignSub(g.mul(0.1));
        kept.push(loss, h);
      }
      console.log(kept.filter((t) => t.node !== undefined).length);
      // The same with a forgotten tape alive: the ops stay, since that tape could still ask for them.
      const forgotten = new tg.GradientTape({ persistent: true });
      const tape = new tg.GradientTape();
      const loss = w.square().sum();
      tape.gradient(loss, w);
      console.log(loss.node !== undefined);
    `);
    expect(lines).toEqual(['0', 'true']);
  });

  test('a spent tape that is reset may read its ops again: another spent tape leaves them (in a fresh process)', () => {
    const lines = runWithGc(`
      const x = tg.scalar(3);
      const a = new tg.GradientTape();
      a.watch(x);
      a.gradient(x.square(), x); // spent
      a.reset(); // recording again
      a.watch(x);
      const b = new tg.GradientTape();
      b.watch(x);
      const y = x.mul(x);
      b.gradient(y.mul(2), x); // b is spent, but a may still read y's op
      console.log(a.gradient(y, x).item());
    `);
    expect(lines).toEqual(['6']);
  });

  test('while another tape may still read them, the recorded ops stay (nested tapes, a persistent tape)', () => {
    const x = scalar(3);
    const outer = new GradientTape({ persistent: true });
    outer.watch(x);
    const inner = new GradientTape();
    inner.watch(x);
    const y = x.square().mul(x); // x^3
    const dy = inner.gradient(y, x)!; // 3 x^2 = 27
    expect(y.node).toBeDefined();
    expect(outer.gradient(y, x)?.item()).toBe(27);
    expect(outer.gradient(dy, x)?.item()).toBe(18); // 6 x
    outer.stop();
  });
});
