/**
 * The seed lesson's three TensorFlow programs, asserted number for number
 * (their outputs are in ../shared/seed/).
 */
import { GradientTape, add, matmul, stopGradient, tensor, variable, type Tensor } from '../lib/index.js';

const values = (g: Tensor | undefined) => g?.arraySync();

describe('the seed lesson', () => {
  test('tf.gradients(y, [w1]) for y = w1 @ [[9], [10]] is [[9, 10]]', () => {
    const w1 = variable([[1, 2]]);
    const tape = new GradientTape();
    const y = matmul(w1, [[9], [10]]);
    const [g] = tape.gradient(y, [w1]);
    expect(values(g)).toEqual([[9, 10]]);
    expect(g!.dtype).toBe('float32');
  });

  describe('two targets, four sources, grad_ys', () => {
    const make = () => {
      const [w1, w2, w3, w4] = [1, 2, 3, 4].map((i) => variable(tensor([i, -i])));
      const tape = new GradientTape({ persistent: true });
      const y1 = add(add(w1!, w2!), w3!);
      const y2 = add(w3!, w4!);
      return { w1: w1!, w2: w2!, w3: w3!, w4: w4!, y1, y2, tape };
    };

    test('gives [1, 2] [1, 2] [4, 6] [3, 4]: w3 sums both targets', () => {
      const { w1, w2, w3, w4, y1, y2, tape } = make();
      const grads = tape.gradient([y1, y2], [w1, w2, w3, w4], [tensor([1, 2]), tensor([3, 4])]);
      expect(grads.map(values)).toEqual([
        [1, 2],
        [1, 2],
        [4, 6],
        [3, 4],
      ]);
    });

    test('stopGradient gives undefined undefined [1, 2], and [1, 2] for w3 alone', () => {
      const { w1, w2, w3, tape } = make();
      const a = add(w1, w2);
      const y3 = add(stopGradient(a), w3);
      const grads2 = tape.gradient(y3, [w1, w2, w3], tensor([1, 2]));
      expect(grads2.map(values)).toEqual([undefined, undefined, [1, 2]]);
      const [g3] = tape.gradient(y3, [w3], tensor([1, 2]));
      expect(values(g3)).toEqual([1, 2]);
    });
  });
});
