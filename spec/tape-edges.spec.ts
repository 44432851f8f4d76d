/**
 * Edges of the tape's arguments and results: a target that is also a source
 * in the Jacobians, and records keyed '__proto__' in every place that gives
 * back a record (gradient, jacobian, ForwardAccumulator.jvp, variableGrads).
 */
import {
  ForwardAccumulator,
  GradientTape,
  Tensor,
  mul,
  scalar,
  sum,
  tensor,
  variable,
  variableGrads,
} from '../lib/index.js';

const values = (g: Tensor | undefined) => g?.arraySync();

describe('a target that is also a source: its Jacobian is the identity, watched or not', () => {
  test('jacobian(x, x) of an unwatched tensor is the identity, of shape [...x.shape, ...x.shape]', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    using tape = new GradientTape();
    const J = tape.jacobian(x, x);
    expect(J?.shape).toEqual([2, 2, 2, 2]);
    const flat = J?.reshape([4, 4]).arraySync();
    expect(flat).toEqual([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
  });

  test('jacobian(y, [y, x]): the identity for y itself, the real Jacobian for x, undefined for an unconnected w', () => {
    const x = tensor([1, 2]);
    const w = tensor([5]);
    using tape = new GradientTape();
    tape.watch([x, w]);
    const y = mul(x, x);
    const [Jy, Jx, Jw] = tape.jacobian(y, [y, x, w]);
    expect(values(Jy)).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(values(Jx)).toEqual([
      [2, 0],
      [0, 4],
    ]);
    expect(Jw).toBeUndefined();
  });

  test('batchJacobian(x, x) of an unwatched tensor is one identity per row', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    using tape = new GradientTape();
    expect(values(tape.batchJacobian(x, x))).toEqual([
      [
        [1, 0],
        [0, 1],
      ],
      [
        [1, 0],
        [0, 1],
      ],
    ]);
  });

  test("explain(x, x) says 'connected' whenever gradient(x, x) gives ones", () => {
    const x = tensor([1, 2]);
    const tape = new GradientTape({ persistent: true });
    expect(tape.explain(x, x).connected).toBe(true);
    expect(values(tape.gradient(x, x))).toEqual([1, 1]);
    tape.stop();
  });
});

describe("a record keyed '__proto__' (as JSON.parse makes) gives back a record with that own key", () => {
  const keyed = (value: Tensor, other: Tensor) =>
    Object.assign(JSON.parse('{"__proto__": 0, "b": 0}') as Record<string, Tensor>, { ['__proto__']: value, b: other });

  test('the sources record is read by its own key', () => {
    const sources = keyed(scalar(1), scalar(2));
    expect(Object.keys(sources)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(sources)).toBe(Object.prototype);
  });

  test('gradient(): the result has "__proto__" as an own property holding its gradient, and a plain prototype', () => {
    const a = scalar(3);
    const b = scalar(4);
    const sources = keyed(a, b);
    using tape = new GradientTape();
    tape.watch(sources);
    const y = mul(a, b);
    const g = tape.gradient(y, sources);
    expect(Object.keys(g)).toEqual(['__proto__', 'b']);
    expect(Object.getOwnPropertyDescriptor(g, '__proto__')?.value).toBeInstanceOf(Tensor);
    expect((Object.getOwnPropertyDescriptor(g, '__proto__')?.value as Tensor).item()).toBe(4);
    expect(g.b?.item()).toBe(3);
    expect(Object.getPrototypeOf(g)).toBe(Object.prototype);
  });

  test('jacobian(): the same', () => {
    const a = tensor([1, 2]);
    const sources = keyed(a, scalar(0));
    using tape = new GradientTape();
    tape.watch(a);
    const y = mul(a, 3);
    const J = tape.jacobian(y, sources);
    expect(Object.keys(J)).toEqual(['__proto__', 'b']);
    expect(values(Object.getOwnPropertyDescriptor(J, '__proto__')?.value as Tensor)).toEqual([
      [3, 0],
      [0, 3],
    ]);
    expect(Object.getPrototypeOf(J)).toBe(Object.prototype);
  });

  test('ForwardAccumulator.jvp(): the same', () => {
    const x = scalar(2);
    const acc = new ForwardAccumulator(x, 1);
    const y = mul(x, x);
    acc.stop();
    const t = acc.jvp(keyed(y, x));
    expect(Object.keys(t)).toEqual(['__proto__', 'b']);
    expect((Object.getOwnPropertyDescriptor(t, '__proto__')?.value as Tensor).item()).toBe(4);
    expect(Object.getPrototypeOf(t)).toBe(Object.prototype);
  });

  test("variableGrads(): a variable named '__proto__' keys its gradient as an own property", () => {
    const v = variable([1, 2], { name: '__proto__' });
    const { grads } = variableGrads(() => sum(mul(v, v)), [v]);
    expect(Object.keys(grads)).toEqual(['__proto__']);
    expect(values(Object.getOwnPropertyDescriptor(grads, '__proto__')?.value as Tensor)).toEqual([2, 4]);
    expect(Object.getPrototypeOf(grads)).toBe(Object.prototype);
  });
});
