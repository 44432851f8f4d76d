/**
 * The programs the playground starts with: the seed lesson's three TensorFlow programs (as
 * examples/seed.ts runs them), and a tape that forgot to watch a tensor.
 */
export interface PlaygroundExample {
  readonly title: string;
  readonly code: string;
}

const seed = `// The seed lesson's three TensorFlow programs, in tapegrad (examples/seed.ts).
// print(...) shows values, tensors as arrays; draw(tape, targets, sources, title) draws what
// the tape recorded: ops as boxes, tensors as ellipses, the path from the sources to the
// targets in blue, stopGradient cuts dashed red, unwatched inputs grey.
// Edit, then Run (Ctrl+Enter). TypeScript is fine: its types are stripped before it runs.
import { GradientTape, add, matmul, stopGradient, tensor, variable, type Tensor } from 'tapegrad';

/** A gradient as the lesson prints it: its values, or undefined where TensorFlow gave None. */
function show(g: Tensor | undefined): string {
  return g === undefined ? 'undefined' : JSON.stringify(g.arraySync()).replace(/,/g, ', ');
}

// 1. The gradient of y = w1 @ [[9], [10]] with respect to w1 is [[9, 10]].
{
  const w1 = variable([[1, 2]], { name: 'w1' });
  const tape = new GradientTape(); // watches the trainable variables that ops read
  const y = matmul(w1, [[9], [10]]);
  draw(tape, y, [w1], '1. y = w1 @ [[9], [10]]'); // before gradient(), which spends this tape
  const [g] = tape.gradient(y, [w1]);
  print(show(g));
}

// 2. Two targets, four sources, output gradients (grad_ys): y1 = w1 + w2 + w3, y2 = w3 + w4.
//    w3 feeds both targets, so its gradient is the sum [1, 2] + [3, 4] = [4, 6].
{
  const [w1, w2, w3, w4] = [0, 1, 2, 3].map((i) => variable(tensor([0.1 * i, 0.2 * i]), { name: \`w\${i + 1}\` }));
  const tape = new GradientTape({ persistent: true });
  const y1 = add(add(w1!, w2!), w3!);
  const y2 = add(w3!, w4!);
  draw(tape, [y1, y2], [w1!, w2!, w3!, w4!], '2. y1 = w1 + w2 + w3, y2 = w3 + w4');
  const grads = tape.gradient([y1, y2], [w1!, w2!, w3!, w4!], [tensor([1, 2]), tensor([3, 4])]);
  print(grads.map(show).join(' '));

  // 3. stopGradient: y3 = stopGradient(w1 + w2) + w3. No gradient reaches w1 or w2
  //    (TensorFlow's None, here undefined, and typed as Tensor | undefined).
  const a = add(w1!, w2!);
  const y3 = add(stopGradient(a), w3!);
  draw(tape, y3, [w1!, w2!, w3!], '3. y3 = stopGradient(w1 + w2) + w3');
  const grads2 = tape.gradient(y3, [w1!, w2!, w3!], tensor([1, 2]));
  print(grads2.map(show).join(' '));
  // Asking only for the gradient that exists, as the lesson's gradients3 does.
  const [g3] = tape.gradient(y3, [w3!], tensor([1, 2]));
  print(show(g3));
  tape.stop();
}
`;

const unwatched = `// A tape records only what it watches: w below is a plain tensor that nobody watched,
// so its gradient is undefined, and the drawing shows it grey, off the path.
import { GradientTape, tensor } from 'tapegrad';

const x = tensor([1, 2]);
const w = tensor([3, 4]);
const tape = new GradientTape({ persistent: true });
tape.watch(x); // forgot tape.watch(w)
const y = x.mul(w).square().sum();
draw(tape, y, [x, w], 'y = sum((x * w)^2), w not watched');
const [gx, gw] = tape.gradient(y, [x, w]);
print('dy/dx', gx); // [18, 64]
print('dy/dw', gw); // undefined
print(tape.explain(y, w).message);
tape.stop();
`;

export const EXAMPLES: readonly PlaygroundExample[] = [
  { title: "The seed lesson's three programs", code: seed },
  { title: 'An unwatched tensor', code: unwatched },
];
