/**
 * customGradient / customGrad: the value comes from f, gradients only from
 * the rule, recorded as one `customGradient` entry; rules written in ops give
 * higher derivatives through nested tapes; forward mode transposes the rule;
 * every misuse throws an error naming the function.
 */
import {
  ForwardAccumulator,
  GradientTape,
  checkGradients,
  customGrad,
  customGradient,
  div,
  exp,
  grad,
  hessian,
  log,
  maximum,
  mul,
  pow,
  scalar,
  sqrt,
  square,
  sum,
  tanh,
  tensor,
  variable,
  variableGrads,
  type SaveFunc,
  type Tensor,
} from '../lib/index.js';
import { opRegistry } from '../lib/op.js';
import { expectError, loose } from './support/errors.js';

const f64 = (values: number[] | number[][]) => tensor(values, undefined, 'float64');

/** x^3 with the rule 3 x^2 dy, computed from the saved input. */
const cube = customGradient(function cube(x: Tensor, save: SaveFunc) {
  save([x]);
  return { value: pow(x, 3), gradFunc: (dy: Tensor, [s]: Tensor[]) => [mul(dy, mul(square(s!), 3))] };
});

describe('the value comes from f; gradients come only from gradFunc', () => {
  test("the returned function gives f's value, in float32 and float64", () => {
    expect(cube(tensor([1, 2, -3])).arraySync()).toEqual([1, 8, -27]);
    const y = cube(f64([0.5]));
    expect([y.dtype, y.arraySync()]).toEqual(['float64', [0.125]]);
  });

  test('a rule that differs from the true derivative is the one used: the ops inside f are not on the tape', () => {
    const amplify = customGradient((x: Tensor) => ({ value: square(x), gradFunc: (dy) => [mul(dy, 10)] }));
    const x = tensor([1, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = amplify(x);
    expect(y.arraySync()).toEqual([1, 4]);
    expect(tape.gradient(y, x)?.arraySync()).toEqual([10, 10]);
  });

  test('one entry per call: gradFunc runs once per backward pass, with the incoming dy', () => {
    const seen: number[][] = [];
    const spy = customGradient((x: Tensor) => ({
      value: mul(x, 2),
      gradFunc: (dy) => {
        seen.push(dy.arraySync() as number[]);
        return [mul(dy, 2)];
      },
    }));
    const x = tensor([1, 2]);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    const y = mul(spy(x), tensor([3, 4]));
    expect(tape.gradient(y, x)?.arraySync()).toEqual([6, 8]);
    expect(seen).toEqual([[3, 4]]);
    tape.gradient(y, x);
    expect(seen.length).toBe(2);
  });

  test('the op is registered once as customGradient, with a VJP (so the gradient table has its row)', () => {
    const op = opRegistry.get('customGradient');
    expect(op?.name).toBe('customGradient');
    expect(typeof op?.vjp).toBe('function');
  });

  test('saved holds what save() got, in order; a later save() call replaces it', () => {
    let received: number[] = [];
    const f = customGradient((a: Tensor, b: Tensor, save: SaveFunc) => {
      save([a]);
      save([b, a]);
      return {
        value: mul(a, b),
        gradFunc: (dy, saved) => {
          received = saved.map((t) => t.item());
          return [mul(dy, b), mul(dy, a)];
        },
      };
    });
    const a = scalar(2);
    const b = scalar(5);
    const tape = new GradientTape();
    tape.watch([a, b]);
    const [ga, gb] = tape.gradient(f(a, b), [a, b]);
    expect([ga?.item(), gb?.item(), received]).toEqual([5, 2, [5, 2]]);
  });

  test('a saved variable is its value when saved, even if it is assigned afterwards', () => {
    const w = variable([3]);
    let savedValue: number[] | undefined;
    const f = customGradient((x: Tensor, save: SaveFunc) => {
      save([x]);
      return {
        value: square(x),
        gradFunc: (dy, [s]) => {
          savedValue = s!.arraySync() as number[];
          return [mul(dy, mul(s!, 2))];
        },
      };
    });
    const tape = new GradientTape();
    const y = f(w);
    w.assign([100]);
    expect(tape.gradient(y, w)?.arraySync()).toEqual([6]);
    expect(savedValue).toEqual([3]);
  });

  test('one tensor (not an array) is accepted from gradFunc for a one-input function', () => {
    const double = customGradient((x: Tensor) => ({ value: mul(x, 2), gradFunc: (dy) => mul(dy, 2) }));
    expect(grad((x) => sum(double(x)))(tensor([1, 2])).arraySync()).toEqual([2, 2]);
  });

  test('undefined or null for an input means no gradient through this function for it', () => {
    const firstOnly = customGradient((a: Tensor, b: Tensor) => ({
      value: mul(a, b),
      gradFunc: (dy) => [mul(dy, b), null],
    }));
    const a = tensor([1, 2]);
    const b = tensor([3, 4]);
    const tape = new GradientTape();
    tape.watch([a, b]);
    const [ga, gb] = tape.gradient(firstOnly(a, b), [a, b]);
    expect([ga?.arraySync(), gb]).toEqual([[3, 4], undefined]);
  });

  test("a gradient in a shape the input broadcasts to is summed back to the input's shape", () => {
    const product = customGradient((a: Tensor, b: Tensor) => ({
      value: mul(a, b),
      gradFunc: (dy) => [mul(dy, b), mul(dy, a)],
    }));
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = tensor([10, 20]);
    const tape = new GradientTape();
    tape.watch([a, b]);
    const [ga, gb] = tape.gradient(product(a, b), [a, b]);
    expect(ga?.arraySync()).toEqual([
      [10, 20],
      [10, 20],
    ]);
    expect(gb?.arraySync()).toEqual([4, 6]);
  });

  test('f returning one of its inputs as the value still gets its own entry (the output is a new tensor)', () => {
    const scaleGrad = customGradient((x: Tensor) => ({ value: x, gradFunc: (dy) => [mul(dy, 3)] }));
    const x = tensor([1, 2]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = scaleGrad(x);
    expect(y.id).not.toBe(x.id);
    expect(tape.gradient(sum(y), x)?.arraySync()).toEqual([3, 3]);
  });

  test('the same tensor passed twice gets the sum of both gradients', () => {
    const product = customGradient((a: Tensor, b: Tensor) => ({
      value: mul(a, b),
      gradFunc: (dy) => [mul(dy, b), mul(dy, a)],
    }));
    expect(grad((x) => sum(product(x, x)))(tensor([3])).arraySync()).toEqual([6]);
  });

  test("a trainable variable read by the custom function is watched and gets the rule's gradient", () => {
    const w = variable([1, 2], { name: 'w' });
    const { value, grads } = variableGrads(() => sum(cube(w)));
    expect(value.item()).toBe(9);
    expect(grads.w?.arraySync()).toEqual([3, 12]);
  });

  test('a tape recording when the custom function runs records nothing from inside f', () => {
    const inner: Tensor[] = [];
    const f = customGradient((x: Tensor) => {
      const t = square(x);
      inner.push(t);
      return { value: t, gradFunc: (dy) => [mul(dy, mul(x, 2))] };
    });
    const x = scalar(3);
    const tape = new GradientTape({ persistent: true });
    tape.watch(x);
    f(x);
    expect(tape.gradient(inner[0]!, x)).toBeUndefined();
  });

  test('customGrad (the TensorFlow.js name) behaves as customGradient', () => {
    const viaAlias = customGrad(function cube(x: Tensor, save: SaveFunc) {
      save([x]);
      return { value: pow(x, 3), gradFunc: (dy: Tensor, [s]: Tensor[]) => [mul(dy, mul(square(s!), 3))] };
    });
    const x = tensor([1, -2]);
    expect([viaAlias(x).arraySync(), grad((z) => sum(viaAlias(z)))(x).arraySync()]).toEqual([
      [1, -8],
      [3, 12],
    ]);
    expect(() => viaAlias(loose(1))).toThrow(
      "tapegrad.customGradient: 'cube' was called with input 0 that is not a tensor (got number); pass tensors",
    );
  });
});

describe('higher order: a rule written in ops from the inputs is differentiated by outer tapes', () => {
  test('custom x^3 with rule 3 x^2 dy: second derivative 6x by nested tapes, third derivative 6', () => {
    const x = f64([1, -2, 0.5]);
    const t3 = new GradientTape();
    t3.watch(x);
    const t2 = new GradientTape();
    t2.watch(x);
    const t1 = new GradientTape();
    t1.watch(x);
    const y = sum(cube(x));
    const d1 = t1.gradient(y, x)!;
    const d2 = t2.gradient(sum(d1), x)!;
    const d3 = t3.gradient(sum(d2), x)!;
    expect(d1.arraySync()).toEqual([3, 12, 0.75]);
    expect(d2.arraySync()).toEqual([6, -12, 3]);
    expect(d3.arraySync()).toEqual([6, 6, 6]);
  });

  test('grad(grad(cube)) and hessian(cube) agree with 6x', () => {
    const x = f64([1, -2]);
    expect(grad((z) => sum(grad((u) => sum(cube(u)))(z)))(x).arraySync()).toEqual([6, -12]);
    // (+ 0 turns the -0 of an off-diagonal product into 0)
    expect(Array.from(hessian((z) => sum(cube(z)))(x).dataSync(), (v) => v + 0)).toEqual([6, 0, 0, -12]);
    expect(hessian((z) => sum(cube(z)))(x).shape).toEqual([2, 2]);
  });

  test('inside a composition, order 1 and 2 match central differences (checkGradients)', () => {
    const f = (x: Tensor, w: Tensor) => sum(mul(cube(tanh(mul(x, w))), w));
    const result = checkGradients(f, [f64([0.3, -0.7, 1.1]), f64([0.9, 1.4, -0.5])], { order: 2 });
    expect(result.worstRatio).toBeLessThan(1);
  });

  describe('log-sum-exp with a softmax rule', () => {
    /** log(sum(exp(x))), computed stably by shifting with a constant; its rule is the softmax. */
    const logSumExp = customGradient(function logSumExp(x: Tensor) {
      const shift = Math.max(...(x.dataSync() as Float64Array));
      return {
        value: log(sum(exp(x.sub(shift)))).add(shift),
        gradFunc: (dy: Tensor) => {
          const e = exp(x.sub(shift));
          return [mul(dy, div(e, sum(e)))];
        },
      };
    });
    const naive = (x: Tensor) => log(sum(exp(x)));

    test('its value, gradient and Hessian equal those of the plain formula', () => {
      const x = f64([0.2, -1, 1.5, 0.3]);
      expect(logSumExp(x).item()).toBeCloseTo(naive(x).item(), 12);
      const g = grad(logSumExp)(x).dataSync();
      const gNaive = grad(naive)(x).dataSync();
      g.forEach((v, i) => expect(v).toBeCloseTo(gNaive[i]!, 12));
      const h = hessian(logSumExp)(x).dataSync();
      const hNaive = hessian(naive)(x).dataSync();
      h.forEach((v, i) => expect(v).toBeCloseTo(hNaive[i]!, 12));
    });

    test('it stays finite where the plain formula overflows', () => {
      const x = f64([1000, 1000]);
      expect(logSumExp(x).item()).toBeCloseTo(1000 + Math.LN2, 9);
      expect(naive(x).item()).toBe(Infinity);
      expect(grad(logSumExp)(x).arraySync()).toEqual([0.5, 0.5]);
    });

    test('order 2 matches central differences', () => {
      expect(checkGradients(logSumExp, [f64([0.2, -1, 1.5])], { order: 2 }).worstRatio).toBeLessThan(1);
    });
  });

  describe('clip gradient norm: identity forward, dy rescaled to norm at most c', () => {
    const clipGradNorm = (c: number) =>
      customGradient(
        (x: Tensor) => ({
          value: x.identity(),
          gradFunc: (dy) => [mul(dy, div(c, maximum(sqrt(sum(square(dy))), c)))],
        }),
        { name: 'clipGradNorm' },
      );

    test('a gradient of norm above c is scaled to norm c; one below is left alone', () => {
      const clip = clipGradNorm(1);
      const x = tensor([1, 1]);
      expect(clip(x).arraySync()).toEqual([1, 1]);
      expect(grad((z) => sum(mul(clip(z), tensor([3, 4]))))(x).arraySync()).toEqual([
        Math.fround(0.6),
        Math.fround(0.8),
      ]);
      expect(grad((z) => sum(mul(clip(z), tensor([0.3, 0.4]))))(x).arraySync()).toEqual([
        Math.fround(0.3),
        Math.fround(0.4),
      ]);
    });

    test('the rule clips the dy reaching it from the rest of f; other paths to x are not clipped', () => {
      // f(x) = sum(clip(x) * x^2 / 2): the dy reaching the rule is x^2 / 2, at a point where the clip is active.
      const clip = clipGradNorm(1);
      const x = f64([2, 0]);
      const f = (z: Tensor) => sum(mul(clip(z), mul(square(z), 0.5)));
      // g(x) = clip(x^2/2) + x * x = [1, 0] + [4, 0] (norm of [2, 0] is 2 > 1, so clip gives [1, 0]).
      expect(grad(f)(x).arraySync()).toEqual([5, 0]);
    });
  });
});

describe('forward mode (ForwardAccumulator) transposes the rule', () => {
  test('the tangent of a custom function is J t from its rule', () => {
    const x = f64([1, 2]);
    const acc = new ForwardAccumulator(x, f64([1, 0.5]));
    const y = cube(x);
    acc.stop();
    expect(acc.jvp(y)?.arraySync()).toEqual([3, 6]);
  });

  test('only the rule counts: a deliberately different rule gives its own tangent, not that of f', () => {
    const amplify = customGradient((x: Tensor) => ({ value: square(x), gradFunc: (dy) => [mul(dy, 10)] }));
    const x = tensor([1, 2]);
    const acc = new ForwardAccumulator(x, tensor([1, 1]));
    const y = amplify(x);
    acc.stop();
    expect(acc.jvp(y)?.arraySync()).toEqual([10, 10]);
  });

  test('the ops inside f get no tangent', () => {
    const inner: Tensor[] = [];
    const f = customGradient((x: Tensor) => {
      inner.push(square(x));
      return { value: inner[0]!, gradFunc: (dy) => [mul(dy, mul(x, 2))] };
    });
    const x = scalar(3);
    const acc = new ForwardAccumulator(x, 1);
    const y = f(x);
    acc.stop();
    expect([acc.jvp(inner[0]!), acc.jvp(y)?.item()]).toEqual([undefined, 6]);
  });
});

describe('errors name the custom function and what is wrong', () => {
  const C = 'tapegrad.customGradient';
  const x = tensor([1, 2, 3]);

  const backward = (h: (...xs: Tensor[]) => Tensor, ...inputs: Tensor[]) => {
    const tape = new GradientTape();
    tape.watch(inputs);
    return tape.gradient(h(...inputs), inputs);
  };

  test('f is not a function', () => {
    expectError(() => customGradient(loose(3)), TypeError, `${C}: f must be a function, got number`);
  });

  test('an input is not a tensor', () => {
    expectError(
      () => cube(loose([1, 2])),
      TypeError,
      `${C}: 'cube' was called with input 0 that is not a tensor (got an array); pass tensors`,
    );
  });

  test('f does not return { value, gradFunc }', () => {
    const bad = customGradient(
      loose((t: Tensor) => ({ value: t.dataSync(), gradFunc: 1 })),
      { name: 'bad' },
    );
    expectError(
      () => bad(x),
      TypeError,
      `${C}: 'bad' must return { value, gradFunc } with value a tensor and gradFunc a function, got ` +
        'Float32Array value and number gradFunc',
    );
    const none = customGradient(loose(function none() {}));
    expectError(
      () => none(x),
      TypeError,
      `${C}: 'none' must return { value, gradFunc } with value a tensor and gradFunc a function, got ` +
        'undefined value and undefined gradFunc',
    );
  });

  test('save() with something other than an array of tensors', () => {
    const bad = customGradient((t: Tensor, save: SaveFunc) => {
      save(loose(t));
      return { value: t, gradFunc: (dy) => dy };
    });
    expectError(() => bad(x), TypeError, `${C}: 'f': save() takes an array of tensors, got Tensor`);
  });

  test('gradFunc returns a gradient of the wrong shape: the function, the input and both shapes', () => {
    const bad = customGradient((t: Tensor) => ({ value: sum(t), gradFunc: (dy) => [dy.reshape([1])] }), {
      name: 'badShape',
    });
    expectError(
      () => backward(bad, x),
      Error,
      `${C}: the gradFunc of 'badShape' returned a gradient of shape [1] for input 0 of shape [3]; ` +
        "each gradient must have its input's shape",
    );
  });

  test('gradFunc returns the wrong number of gradients', () => {
    const bad = customGradient(function twoInputs(a: Tensor, b: Tensor) {
      return { value: mul(a, b), gradFunc: (dy: Tensor) => [dy] };
    });
    expectError(
      () => backward(bad, x, x.add(1)),
      Error,
      `${C}: the gradFunc of 'twoInputs' returned 1 gradients for 2 inputs; ` +
        'return one per input (undefined for an input with no gradient)',
    );
    const single = customGradient(function twoInputs(a: Tensor, b: Tensor) {
      return { value: mul(a, b), gradFunc: (dy: Tensor) => dy };
    });
    expectError(
      () => backward(single, x, x.add(1)),
      Error,
      `${C}: the gradFunc of 'twoInputs' returned one tensor for 2 inputs; return an array with one gradient per input`,
    );
  });

  test('gradFunc returns something that is not a tensor', () => {
    const bad = customGradient(function notTensor(t: Tensor) {
      return { value: square(t), gradFunc: () => loose([[1, 2, 3]]) };
    });
    expectError(
      () => backward(bad, x),
      TypeError,
      `${C}: the gradFunc of 'notTensor' returned a gradient for input 0 that is not a tensor (got an array)`,
    );
    const worse = customGradient(function notTensor(t: Tensor) {
      return { value: square(t), gradFunc: () => loose(5) };
    });
    expectError(
      () => backward(worse, x),
      TypeError,
      `${C}: the gradFunc of 'notTensor' must return a tensor or an array of tensors, got number`,
    );
  });

  test('gradFunc returns a gradient of the wrong dtype', () => {
    const bad = customGradient(function wrongDType(t: Tensor) {
      return { value: square(t), gradFunc: (dy: Tensor) => [dy.cast('float32')] };
    });
    expectError(
      () => backward(bad, f64([1, 2])),
      TypeError,
      `${C}: the gradFunc of 'wrongDType' returned a float32 gradient for input 0, which is float64; ` +
        "cast it with cast(g, 'float64')",
    );
  });
});
