/**
 * The functional API: grad, grads, valueAndGrad, valueAndGrads, vjp and
 * variableGrads give what a GradientTape gives for the same function; dy
 * seeds; hasAux passes aux through (and changes the types); transforms nest;
 * misuse throws errors that say what to do.
 */
import { recording } from '../lib/recording.js';
import fc from 'fast-check';
import {
  GradientTape,
  add,
  cast,
  exp,
  grad,
  grads,
  log,
  matmul,
  mul,
  scalar,
  sigmoid,
  square,
  stopGradient,
  sum,
  tanh,
  tensor,
  valueAndGrad,
  valueAndGrads,
  variable,
  variableGrads,
  vjp,
  type Tensor,
} from '../lib/index.js';
import { sampleInput } from './support/inputs.js';
import { expectError, loose } from './support/errors.js';

const values = (t: Tensor | undefined) => t?.arraySync();

/** A small network loss of two inputs: sum(sigmoid(x W)^2) with W [3, 2], x [2, 3]. */
const loss = (x: Tensor, w: Tensor) => sum(square(sigmoid(matmul(x, w))));
const X = sampleInput([2, 3], 'any', 0, 1);
const W = sampleInput([3, 2], 'any', 1, 1);

/** The gradients a GradientTape gives for f at xs. */
function tapeGradients(f: (...xs: Tensor[]) => Tensor, xs: Tensor[], dy?: Tensor) {
  const tape = new GradientTape();
  tape.watch(xs);
  const y = f(...xs);
  return { value: y, grads: tape.gradient(y, xs, dy) };
}

describe('results equal those of a GradientTape', () => {
  test('grad', () => {
    const f = (x: Tensor) => loss(x, W);
    expect(values(grad(f)(X))).toEqual(values(tapeGradients(f, [X]).grads[0]));
  });

  test('grads', () => {
    expect(grads(loss)([X, W]).map(values)).toEqual(tapeGradients(loss, [X, W]).grads.map(values));
  });

  test('valueAndGrad', () => {
    const f = (x: Tensor) => loss(x, W);
    const { value, grad: g } = valueAndGrad(f)(X);
    const expected = tapeGradients(f, [X]);
    expect([values(value), values(g)]).toEqual([values(expected.value), values(expected.grads[0])]);
  });

  test('valueAndGrads', () => {
    const { value, grads: gs } = valueAndGrads(loss)([X, W]);
    const expected = tapeGradients(loss, [X, W]);
    expect([values(value), gs.map(values)]).toEqual([values(expected.value), expected.grads.map(values)]);
  });

  test('vjp, with a cotangent', () => {
    const f = (x: Tensor, w: Tensor) => tanh(matmul(x, w));
    const u = sampleInput([2, 2], 'any', 2, 1);
    const [y, vjpFn] = vjp(f, X, W);
    const expected = tapeGradients(f, [X, W], u);
    expect(values(y)).toEqual(values(expected.value));
    expect(vjpFn(u).map(values)).toEqual(expected.grads.map(values));
  });

  test('the gradient has the input dtype: float32 and float64', () => {
    expect(grad((x) => sum(square(x)))(tensor([1, 2])).dtype).toBe('float32');
    expect(grad((x) => sum(square(x)))(tensor([1, 2], undefined, 'float64')).dtype).toBe('float64');
  });

  test('numbers and nested arrays are accepted as arguments (float32)', () => {
    expect(grad((x) => square(x))(3).item()).toBe(6);
    expect(grads((a, b) => sum(mul(a, b)))([[1, 2], 3]).map(values)).toEqual([[3, 3], 3]);
  });
});

describe('dy seeds the backward pass (the gradient of sum(f(x) * dy))', () => {
  test('grad, grads, valueAndGrad and valueAndGrads take dy of the value shape', () => {
    const x = tensor([1, 2]);
    const dy = tensor([10, 100]);
    expect(values(grad(square)(x, dy))).toEqual([20, 400]);
    expect(grads((a, b) => mul(a, b))([x, tensor([3, 4])], dy).map(values)).toEqual([
      [30, 400],
      [10, 200],
    ]);
    expect(values(valueAndGrad(square)(x, [1, -1]).grad)).toEqual([2, -4]);
    expect(values(valueAndGrads((a) => mul(a, 3))([x], dy).grads[0])).toEqual([30, 300]);
  });

  test('dy for a scalar value scales the gradient', () => {
    expect(values(grad((x) => sum(square(x)))(tensor([1, 2]), 0.5))).toEqual([1, 2]);
  });
});

describe('hasAux: f returns [value, aux] and the transformed function returns aux too', () => {
  const f = (x: Tensor) => [sum(square(x)), { norm: sum(square(x)).item(), label: 'sq' }] as const;

  test('grad gives [gradient, aux]', () => {
    const [g, aux] = grad(f, { hasAux: true })(tensor([1, 2]));
    expect([values(g), aux]).toEqual([[2, 4], { norm: 5, label: 'sq' }]);
  });

  test('grads gives [gradients, aux]', () => {
    const [gs, aux] = grads((a: Tensor, b: Tensor) => [sum(mul(a, b)), a.shape] as const, { hasAux: true })([
      tensor([1, 2]),
      tensor([3, 4]),
    ]);
    expect([gs.map(values), aux]).toEqual([
      [
        [3, 4],
        [1, 2],
      ],
      [2],
    ]);
  });

  test('valueAndGrad and valueAndGrads give { value, grad(s), aux }', () => {
    const r = valueAndGrad(f, { hasAux: true })(tensor([1, 2]));
    expect([values(r.value), values(r.grad), r.aux.label]).toEqual([5, [2, 4], 'sq']);
    const rs = valueAndGrads((a: Tensor) => [sum(a), a] as const, { hasAux: true })([tensor([1, 2])]);
    expect([values(rs.value), rs.grads.map(values), values(rs.aux)]).toEqual([3, [[1, 1]], [1, 2]]);
  });

  test('aux may be a tensor computed from x; it is returned as is and does not change the gradient', () => {
    const [g, aux] = grad((x: Tensor) => [sum(square(x)), exp(x)] as const, { hasAux: true })(tensor([0]));
    expect([values(g), values(aux)]).toEqual([[0], [1]]);
  });

  test('the types follow hasAux', () => {
    const plain: Tensor = grad((x) => sum(x))(tensor([1]));
    const withAux: [Tensor, number] = grad((x: Tensor) => [sum(x), 1] as const, { hasAux: true })(tensor([1]));
    // @ts-expect-error: with hasAux the result is [gradient, aux], not a tensor
    const wrong: Tensor = grad((x: Tensor) => [sum(x), 1] as const, { hasAux: true })(tensor([1]));
    // @ts-expect-error: without hasAux f must return a tensor
    grad((x: Tensor) => [sum(x), 1] as const);
    expect([plain.item(), withAux[1], Array.isArray(wrong)]).toEqual([1, 1, true]);
  });

  test('f not returning [value, aux] with hasAux is an error', () => {
    expectError(
      () =>
        grad(
          loose((x: Tensor) => sum(x)),
          { hasAux: true },
        )(tensor([1])),
      TypeError,
      'tapegrad.grad: with { hasAux: true }, f must return [value, aux], got Tensor',
    );
    expectError(
      () =>
        valueAndGrads(
          loose((x: Tensor) => [sum(x)]),
          { hasAux: true },
        )([tensor([1])]),
      TypeError,
      'tapegrad.valueAndGrads: with { hasAux: true }, f must return [value, aux], got an array of length 1',
    );
  });
});

describe('transforms compose', () => {
  test('grad(grad(f)) is the second derivative; three levels give the third', () => {
    const f = (x: Tensor) => sum(mul(mul(x, x), x));
    const d1 = grad(f);
    const d2 = grad((x) => sum(d1(x)));
    const d3 = grad((x) => sum(d2(x)));
    const x = tensor([1, 2]);
    expect([values(d1(x)), values(d2(x)), values(d3(x))]).toEqual([
      [3, 12],
      [6, 12],
      [6, 6],
    ]);
  });

  test('an outer GradientTape differentiates through grad', () => {
    const x = scalar(2);
    const tape = new GradientTape();
    tape.watch(x);
    const g = grad((z) => mul(mul(z, z), z))(x); // 3x^2 = 12
    expect([g.item(), tape.gradient(g, x)?.item()]).toEqual([12, 12]);
  });

  test('a GradientTape inside f works as usual', () => {
    const f = (x: Tensor) => {
      const tape = new GradientTape();
      tape.watch(x);
      const y = sum(square(x));
      return sum(tape.gradient(y, x)!); // sum(2x)
    };
    expect(values(grad(f)(tensor([1, 2])))).toEqual([2, 2]);
  });

  test('vjp inside grad: the VJP is differentiated again', () => {
    // d/dx <J^T u, 1> for f(x) = x^3 with u = 1: d/dx 3x^2 = 6x
    const g = grad((x) => sum(vjp((z) => mul(mul(z, z), z), x)[1](1)[0]!));
    expect(g(scalar(2)).item()).toBe(12);
  });

  test('the same tensor passed twice to grads is two arguments with their own gradients', () => {
    const x = tensor([2]);
    expect(grads((a, b) => sum(mul(square(a), b)))([x, x]).map(values)).toEqual([[8], [4]]);
  });

  test('a variable argument is differentiated as its value now', () => {
    const w = variable([3]);
    expect(values(grad((x) => sum(square(x)))(w))).toEqual([6]);
  });
});

describe('vjp', () => {
  test('vjpFn can be called again with other cotangents', () => {
    const [y, vjpFn] = vjp((x) => square(x), tensor([1, 2]));
    expect(values(y)).toEqual([1, 4]);
    expect(vjpFn([1, 0]).map(values)).toEqual([[2, 0]]);
    expect(vjpFn([0, 1]).map(values)).toEqual([[0, 4]]);
  });

  test('several outputs take one cotangent each; their products are summed', () => {
    const [ys, vjpFn] = vjp((a, b) => [mul(a, b), add(a, b)], tensor([1, 2]), tensor([3, 4]));
    expect(ys.map(values)).toEqual([
      [3, 8],
      [4, 6],
    ]);
    expect(vjpFn([tensor([1, 1]), tensor([10, 10])]).map(values)).toEqual([
      [13, 14],
      [11, 12],
    ]);
  });

  test('a primal the output does not depend on gets zeros (as JAX)', () => {
    const [, vjpFn] = vjp((a) => square(a), tensor([1]), tensor([5, 6]));
    expect(vjpFn([1]).map(values)).toEqual([[2], [0, 0]]);
  });

  test('the cotangent must match the outputs', () => {
    const [, vjpFn] = vjp((a) => square(a), tensor([1, 2]));
    expectError(
      () => vjpFn([1, 2, 3]),
      Error,
      'tapegrad.vjp: cotangent 0 has shape [3] but output 0 has shape [2]; give cotangent 0 the shape of output 0',
    );
    const [, two] = vjp((a) => [square(a), a], tensor([1, 2]));
    expectError(
      () => two(loose([tensor([1, 1])])),
      Error,
      "tapegrad.vjp: the cotangent must match f's outputs: 2 outputs ([2], [2]), got 1; " +
        'give one tensor per output, of its shape',
    );
  });

  test('f must return a tensor or an array of tensors', () => {
    expectError(
      () =>
        vjp(
          loose(() => 3),
          tensor([1]),
        ),
      TypeError,
      'tapegrad.vjp: f must return a tensor or a non-empty array of tensors, got number',
    );
  });
});

describe('variableGrads', () => {
  test('without varList: the trainable variables f reads, by name', () => {
    const w = variable([1, 2], { name: 'vg.w' });
    const b = variable([0.5], { name: 'vg.b' });
    const frozen = variable([3, 4], { name: 'vg.frozen', trainable: false });
    const unused = variable([7], { name: 'vg.unused' });
    void unused;
    const { value, grads: gs } = variableGrads(() => add(sum(mul(mul(w, frozen), w)), sum(b)));
    expect(value.item()).toBe(1 * 3 * 1 + 2 * 4 * 2 + 0.5);
    expect(Object.keys(gs)).toEqual(['vg.w', 'vg.b']);
    expect([values(gs['vg.w']), values(gs['vg.b'])]).toEqual([[6, 16], [1]]);
  });

  test('with varList: only the listed trainable variables; non-trainable ones are left out', () => {
    const w = variable([1, 2], { name: 'vl.w' });
    const b = variable([0.5], { name: 'vl.b' });
    const frozen = variable([3], { name: 'vl.frozen', trainable: false });
    const f = () => add(sum(square(w)), sum(mul(b, frozen)));
    const { grads: gs } = variableGrads(f, [b, frozen]);
    expect(Object.keys(gs)).toEqual(['vl.b']);
    expect(values(gs['vl.b'])).toEqual([3]);
  });

  test('a variable f reads but its value does not depend on is left out', () => {
    const w = variable([1], { name: 'dep.w' });
    const c = variable([2], { name: 'dep.c' });
    const { grads: gs } = variableGrads(() => add(sum(w), mul(sum(stopGradient(c)), 0)));
    expect(Object.keys(gs)).toEqual(['dep.w']);
  });

  test('equals the gradient of a tape', () => {
    const w = variable(W, { name: 'eq.w' });
    const { grads: gs } = variableGrads(() => loss(X, w));
    expect(values(gs['eq.w'])).toEqual(values(tapeGradients((v) => loss(X, v), [W]).grads[0]));
  });

  test('errors: non-scalar value, no trainable variable, none connected, duplicate names, bad varList', () => {
    const V = 'tapegrad.variableGrads';
    const w = variable([1, 2], { name: 'err.w' });
    expectError(
      () => variableGrads(() => square(w)),
      Error,
      `${V}: f must return a scalar, but it returned a tensor of shape [2]; reduce it with sum() or mean()`,
    );
    expectError(
      () => variableGrads(() => sum(tensor([1]))),
      Error,
      `${V}: f read no trainable variable; compute the value from trainable variables inside f`,
    );
    expectError(
      () =>
        variableGrads(() => {
          square(w); // read, so watched, but the value does not use it
          return sum(tensor([1]));
        }),
      Error,
      `${V}: the value of f depends on none of the variables 'err.w'; compute it from them inside f ` +
        '(a value computed before f runs, or cut by stopGradient, has no gradient)',
    );
    const twin = variable([3], { name: 'err.w' });
    expectError(
      () => variableGrads(() => add(sum(w), sum(twin))),
      Error,
      `${V}: two variables are named 'err.w'; give each variable a unique name`,
    );
    const frozen = variable([1], { trainable: false });
    expectError(
      () => variableGrads(() => sum(frozen), [frozen]),
      Error,
      `${V}: none of the 1 variables in varList is a trainable float variable; ` +
        'pass at least one (variable(x) is trainable by default)',
    );
    expectError(
      () => variableGrads(() => sum(w), [loose(tensor([1]))]),
      TypeError,
      `${V}: varList[0] is not a variable (got Tensor); make it with variable()`,
    );
    expectError(
      () => variableGrads(() => sum(w), loose(w)),
      TypeError,
      `${V}: varList must be an array of variables, got Variable`,
    );
  });
});

describe('errors', () => {
  test('f is not a function', () => {
    expectError(() => grad(loose(null)), TypeError, 'tapegrad.grad: f must be a function, got null');
    expectError(
      () => valueAndGrads(loose({})),
      TypeError,
      'tapegrad.valueAndGrads: f must be a function, got an object',
    );
  });

  test('f does not return a tensor, or returns an integer tensor', () => {
    expectError(
      () => grad(loose(() => 3))(tensor([1])),
      TypeError,
      'tapegrad.grad: f must return a tensor, got number',
    );
    expectError(
      () => grad((x) => cast(sum(x), 'int32'))(tensor([1])),
      TypeError,
      'tapegrad.grad: f returned a int32 tensor, which has no gradient; return a float tensor',
    );
  });

  test('f returns a non-scalar and no dy is given', () => {
    expectError(
      () => grad(square)(tensor([1, 2])),
      Error,
      'tapegrad.grad: f must return a scalar, but it returned a tensor of shape [2]; ' +
        'reduce it with sum() or mean(), or pass dy (of its shape) to seed the gradient',
    );
  });

  test("dy of another shape or dtype than f's value", () => {
    expectError(
      () => grad(square)(tensor([1, 2]), [1, 2, 3]),
      Error,
      "tapegrad.grad: dy has shape [3] but f's value has shape [2]; give dy the shape of f's value",
    );
    expectError(
      () => grad(square)(tensor([1, 2]), tensor([1, 2], undefined, 'float64')),
      TypeError,
      "tapegrad.grad: dy is float64 but f's value is float32; cast it with cast(dy, 'float32')",
    );
  });

  test('an argument the value does not depend on (as TensorFlow.js, an error rather than zeros)', () => {
    expectError(
      () => grad(() => sum(tensor([1])))(tensor([1])),
      Error,
      'tapegrad.grad: cannot compute the gradient of y = f(x) with respect to x: y does not depend on it; ' +
        'make sure every operation from x to y runs inside f (a value computed outside f, or cut by ' +
        'stopGradient, has no gradient)',
    );
    expectError(
      () => grads((a: Tensor, b: Tensor) => sum(add(a, stopGradient(b))))([tensor([1]), tensor([2])]),
      Error,
      'tapegrad.grads: cannot compute the gradient of y = f(...args) with respect to args[1]: y does not depend ' +
        'on it; make sure every operation from args[1] to y runs inside f (a value computed outside f, or cut ' +
        'by stopGradient, has no gradient)',
    );
  });

  test('integer arguments and a non-array args list', () => {
    expectError(
      () => grad((x) => sum(log(x)))(tensor([1, 2], undefined, 'int32')),
      TypeError,
      "tapegrad.grad: x is int32, but gradients are taken with respect to float tensors; cast it with cast(x, 'float32')",
    );
    expectError(
      () => grads(loose((x: Tensor) => sum(x)))(loose(tensor([1]))),
      TypeError,
      'tapegrad.grads: args must be an array of tensors, got Tensor',
    );
  });

  test('hasAux that is not a boolean', () => {
    expectError(
      () =>
        grad(
          loose((x: Tensor) => x),
          loose({ hasAux: 'yes' }),
        ),
      TypeError,
      'tapegrad.grad: options.hasAux must be true or false, got string',
    );
  });

  test('an error inside f, or from a check after it, leaves no tape recording', () => {
    const before = recording.tapes;
    expect(() =>
      grad(() => {
        throw new Error('inside f');
      })(tensor([1])),
    ).toThrow('inside f');
    expect(() => grad(square)(tensor([1, 2]), [1])).toThrow('dy has shape [1]');
    expect(() => grad(square)(tensor([1, 2]))).toThrow('f must return a scalar');
    expect(() => grad(loose(square), { hasAux: true })(tensor([1, 2]))).toThrow('must return [value, aux]');
    expect(recording.tapes).toBe(before);
  });
});

describe('properties over random shapes (fast-check)', () => {
  const shape = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 });
  const RUNS = { numRuns: 25 };

  test("grad gives x's shape and dtype and equals the tape's gradient", () => {
    fc.assert(
      fc.property(shape, fc.nat(), (s, seed) => {
        const x = sampleInput(s, 'any', 0, seed);
        const f = (v: Tensor) => sum(square(tanh(v)));
        const g = grad(f)(x);
        expect([g.shape, g.dtype]).toEqual([x.shape, 'float64']);
        expect(values(g)).toEqual(values(tapeGradients(f, [x]).grads[0]));
      }),
      RUNS,
    );
  });

  test('vjpFn is linear in the cotangent: vjpFn(a u + b w) = a vjpFn(u) + b vjpFn(w)', () => {
    fc.assert(
      fc.property(shape, fc.nat(), fc.double({ min: -3, max: 3, noNaN: true }), (s, seed, a) => {
        const x = sampleInput(s, 'any', 0, seed);
        const [y, vjpFn] = vjp((v) => mul(tanh(v), v), x);
        const u = sampleInput(y.shape, 'any', 1, seed);
        const w = sampleInput(y.shape, 'any', 2, seed);
        const lhs = vjpFn(add(mul(u, a), w))[0]!.dataSync();
        const gu = vjpFn(u)[0]!.dataSync();
        const gw = vjpFn(w)[0]!.dataSync();
        lhs.forEach((v, k) =>
          expect(Math.abs(v - (a * gu[k]! + gw[k]!))).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(v))),
        );
      }),
      RUNS,
    );
  });
});
