/** fused.matMul and fused.conv2d: the same values as the unfused ops, and errors that say what to do. */
import { add, conv2d, fused, GradientTape, matmul, randomNormal, relu, tensor } from '../../lib/index.js';

const bits = (x: { dataSync(): ArrayLike<number> }) => Array.from(x.dataSync());

describe('fused ops equal the unfused ones', () => {
  test.each(['float32', 'float64'] as const)('fused.matMul in %s, bit for bit, with its gradients', (dtype) => {
    const a = randomNormal([16, 40], 0, 1, dtype, 1);
    const b = randomNormal([40, 24], 0, 1, dtype, 2);
    const bias = randomNormal([24], 0, 1, dtype, 3);
    const unfused = () => relu(add(matmul(a, b), bias));
    const y = fused.matMul({ a, b, bias, activation: 'relu' });
    expect(bits(y)).toEqual(bits(unfused()));
    const grads = (f: () => ReturnType<typeof unfused>) => {
      const tape = new GradientTape();
      tape.watch([a, b, bias]);
      return tape.gradient(f().square().sum(), [a, b, bias]).map((g) => bits(g!));
    };
    const got = grads(() => fused.matMul({ a, b, bias, activation: 'relu' }));
    const want = grads(unfused);
    got.forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(want[i]![j]!, dtype === 'float32' ? 3 : 10)));
  });

  test('fused.conv2d, bit for bit, batched and not', () => {
    const x = randomNormal([3, 9, 9, 4], 0, 1, 'float32', 4);
    const filter = randomNormal([3, 3, 4, 8], 0, 1, 'float32', 5);
    const bias = randomNormal([8], 0, 1, 'float32', 6);
    const y = fused.conv2d({ x, filter, strides: 1, pad: 'same', bias, activation: 'relu' });
    expect(bits(y)).toEqual(bits(relu(add(conv2d(x, filter, 1, 'same'), bias))));
    const one = x.slice([0, 0, 0, 0], [1, 9, 9, 4]).reshape([9, 9, 4]);
    const y3 = fused.conv2d({ x: one, filter, strides: 2, pad: 'valid' });
    expect(y3.shape).toEqual([4, 4, 8]);
    expect(bits(y3)).toEqual(bits(conv2d(one, filter, 2, 'valid')));
  });
});

describe('fused ops: errors', () => {
  const a = tensor([[1, 2]]);
  const b = tensor([[1], [2]]);
  test('an activation not fused here says what to do instead', () => {
    expect(() => fused.matMul({ a, b, activation: 'elu' as 'relu' })).toThrow(
      "tapegrad.fused.matMul: activation 'elu' is not fused here (only 'linear' and 'relu'); use activation 'linear' and apply elu(...) to the result",
    );
    expect(() => fused.matMul({ a, b, activation: 'swish' as 'relu' })).toThrow(
      "tapegrad.fused.matMul: activation must be 'linear' or 'relu', got 'swish'",
    );
    expect(() => fused.matMul({ a, b, leakyreluAlpha: 0.2 })).toThrow(
      "tapegrad.fused.matMul: leakyreluAlpha applies only to the 'prelu' and 'leakyrelu' activations",
    );
  });
  test('a bias that would grow the result is refused, naming both shapes', () => {
    expect(() => fused.matMul({ a, b, bias: tensor([1, 2]) })).toThrow(
      "tapegrad.fused.matMul: the bias, shaped [2], does not broadcast to the result's shape [1,1]",
    );
    expect(() =>
      fused.conv2d({
        x: tensor([1, 2, 3, 4], [1, 2, 2, 1]),
        filter: tensor([1], [1, 1, 1, 1]),
        strides: 1,
        pad: 'valid',
        bias: tensor([1, 2, 3]),
      }),
    ).toThrow("tapegrad.fused.conv2d: the bias, shaped [3], does not broadcast to the result's shape [1,2,2,1]");
  });
  test('inner dimensions that differ are reported by fused.matMul', () => {
    expect(() => fused.matMul({ a, b: a })).toThrow('tapegrad.fused.matMul: inner dimensions differ: [1,2] x [1,2]');
  });
});
