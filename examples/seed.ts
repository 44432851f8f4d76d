/**
 * The seed lesson's three TensorFlow programs (tf.gradients with grad_ys,
 * several targets summed into shared sources, tf.stop_gradient), in tapegrad.
 * Run with `npm run demo`.
 */
import { GradientTape, add, matmul, stopGradient, tensor, variable, type Tensor } from '../lib/index.js';

/** Prints a gradient as the lesson does: its values, or `undefined` where TensorFlow gave None. */
function show(g: Tensor | undefined): string {
  return g === undefined ? 'undefined' : JSON.stringify(g.arraySync()).replace(/,/g, ', ');
}

// 1. The gradient of y = w1 @ [[9], [10]] with respect to w1 is [[9, 10]].
{
  const w1 = variable([[1, 2]]);
  const tape = new GradientTape();
  const y = matmul(w1, [[9], [10]]);
  const [g] = tape.gradient(y, [w1]);
  console.log(show(g));
}

// 2. Two targets, four sources, output gradients (grad_ys): y1 = w1 + w2 + w3, y2 = w3 + w4.
//    w3 feeds both targets, so its gradient is the sum [1, 2] + [3, 4] = [4, 6].
{
  const [w1, w2, w3, w4] = [0, 1, 2, 3].map((i) => variable(tensor([0.1 * i, 0.2 * i]), { name: `w${i + 1}` }));
  const tape = new GradientTape({ persistent: true });
  const y1 = add(add(w1!, w2!), w3!);
  const y2 = add(w3!, w4!);
  const grads = tape.gradient([y1, y2], [w1!, w2!, w3!, w4!], [tensor([1, 2]), tensor([3, 4])]);
  console.log(grads.map(show).join(' '));

  // 3. stopGradient: y3 = stopGradient(w1 + w2) + w3. No gradient reaches w1 or w2
  //    (TensorFlow's None, here undefined, and typed as `Tensor | undefined`).
  const a = add(w1!, w2!);
  const y3 = add(stopGradient(a), w3!);
  const grads2 = tape.gradient(y3, [w1!, w2!, w3!], tensor([1, 2]));
  console.log(grads2.map(show).join(' '));
  // Asking only for the gradient that exists, as the lesson's gradients3 does.
  const [g3] = tape.gradient(y3, [w3!], tensor([1, 2]));
  console.log(show(g3));
}
