/**
 * Numeric checking (issue 10): checkNumerics on one tensor, and
 * enableCheckNumerics / withCheckNumerics naming the op that made the first
 * NaN or ±Infinity, forward or backward, with where the op was called.
 */
import {
  GradientTape,
  Tensor,
  checkNumerics,
  disableCheckNumerics,
  enableCheckNumerics,
  grad,
  log,
  tensor,
  where,
  withCheckNumerics,
} from '../lib/index.js';
import { numerics } from '../lib/numerics.js';
import { defineOp } from '../lib/op.js';

afterEach(() => {
  disableCheckNumerics();
  expect(numerics.inVjp).toBeUndefined();
});

/** The message of the error `fn` throws. */
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('checkNumerics(x, message), as tf.debugging.check_numerics', () => {
  test('returns a finite tensor unchanged; int32 and bool always pass', () => {
    expect(checkNumerics(tensor([1, 2]), 'ok').arraySync()).toEqual([1, 2]);
    expect(checkNumerics(tensor([1, 2], undefined, 'int32'), 'ok').dtype).toBe('int32');
  });

  test('throws with the message, the shape, the value and how many elements', () => {
    expect(messageOf(() => checkNumerics(tensor([[1, NaN, Infinity]]), 'activations'))).toBe(
      'tapegrad.checkNumerics: activations: the float32 [1,3] tensor holds NaN (2 of 3 elements not finite, the first at flat index 1)',
    );
  });

  test('checks the gradient flowing back through it, and passes a finite one through', () => {
    const x = tensor([0, 1], undefined, 'float64');
    expect(grad((a) => checkNumerics(a, 'x').mul(3).sum())(x).arraySync()).toEqual([3, 3]);
    expect(messageOf(() => grad((a) => checkNumerics(a, 'x').sqrt().sum())(x))).toContain(
      'tapegrad.checkNumerics: x (its gradient): the float64 [2] tensor holds Infinity',
    );
  });
});

describe('enableCheckNumerics: the first NaN or Infinity names its op', () => {
  test('off by default: NaN flows silently', () => {
    expect(log(tensor([-1])).arraySync()).toEqual([NaN]);
  });

  test('forward: the op, the value, where in the output, the input shapes and the calling line', () => {
    enableCheckNumerics();
    const message = messageOf(() => log(tensor([[1, 2, 0]])));
    expect(message).toMatch(
      /^tapegrad\.checkNumerics: 'log' gave -Infinity in the forward pass \(at \[0, 2\] of a float32 \[1,3\] result, 1 of 3 elements not finite\); its inputs were float32 \[1,3\]\. The op was called at:\n {4}at .*numerics\.spec\.ts:\d+:\d+/,
    );
  });

  test('forward: an input that already held NaN is named as where it came from', () => {
    const x = tensor([NaN, 1]);
    enableCheckNumerics();
    expect(messageOf(() => x.mul(2))).toContain('Its input 0 already held NaN: it was made before checking was on');
  });

  test("backward: sqrt's gradient at 0 inside where() is blamed on sqrt's VJP, with the forward line", () => {
    const x = tensor([0, 4]);
    const message = messageOf(() =>
      withCheckNumerics(() => {
        const tape = new GradientTape();
        tape.watch(x);
        const y = where(x.greater(0), x.sqrt(), 0).sum(); // the forward values are all finite
        return tape.gradient(y, x);
      }),
    );
    expect(message).toMatch(
      /^tapegrad\.checkNumerics: the VJP of 'sqrt' gave NaN in the backward pass \(in '\w+' inside it/,
    );
    expect(message).toContain("'sqrt' had inputs float32 [2]; the forward 'sqrt' was called at:");
    expect(message).toMatch(/the forward 'sqrt' was called at:\n {4}at .*numerics\.spec\.ts:\d+:\d+/);
    expect(numerics.on).toBe(false); // withCheckNumerics put it back, though fn threw
  });

  test('backward: a VJP whose result (made without ops) is not finite is named with the input', () => {
    const bad = defineOp('spec.numerics.nanVjp', {
      forward: ([x]) => new Tensor(x!.values, x!.shape, x!.dtype),
      vjp: () => [new Tensor(new Float32Array([1, NaN]), [2], 'float32')],
    });
    const x = tensor([1, 2]);
    enableCheckNumerics();
    const tape = new GradientTape();
    tape.watch(x);
    const y = bad([x], undefined);
    expect(messageOf(() => tape.gradient(y, x))).toContain(
      "the VJP of 'spec.numerics.nanVjp' gave NaN in the backward pass (in the gradient for input 0, at [1] of a float32 [2] result, 1 of 2 elements not finite)",
    );
  });

  test('a backward NaN in an op recorded before checking was on says so', () => {
    const x = tensor([0]);
    const tape = new GradientTape();
    tape.watch(x);
    const y = x.sqrt();
    enableCheckNumerics();
    expect(messageOf(() => tape.gradient(y, x))).toContain(
      'it was recorded while checking was off: turn it on before the forward pass to see where',
    );
  });

  test('finite programs run unchanged with checking on, and give the same numbers', () => {
    const f = (x: Tensor) => x.mul(x).exp().sum();
    const x = tensor([0.1, 0.2], undefined, 'float64');
    const plain = grad(f)(x).arraySync();
    expect(withCheckNumerics(() => grad(f)(x).arraySync())).toEqual(plain);
  });

  test('withCheckNumerics returns what fn returns and restores the setting', () => {
    expect(withCheckNumerics(() => 7)).toBe(7);
    expect(numerics.on).toBe(false);
    enableCheckNumerics();
    withCheckNumerics(() => undefined);
    expect(numerics.on).toBe(true);
  });
});
