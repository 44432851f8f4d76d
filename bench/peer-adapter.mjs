// tapegrad on the peer workloads, in the adapter format of ../shared/peers (see its README.md):
//   npm run build && ../shared/peers/run.sh bench/peer-adapter.mjs js-mini
// It imports the built package: the folder or entry file named by TAPEGRAD_DIST, else the repo's
// package.json "main" (dist/cjs). `npm run bench` uses this same adapter for tapegrad's own numbers.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const target = process.env.TAPEGRAD_DIST ? path.resolve(process.env.TAPEGRAD_DIST) : root;
const entry = createRequire(import.meta.url).resolve(target);
const tg = await import(pathToFileURL(entry).href);
const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;

/** A scalar tensor back to a JS number. */
const read = (t) => t.dataSync()[0];

/**
 * Mean softmax cross-entropy of one-hot `labels` and `logits` [batch, classes]: the library's
 * `losses.softmaxCrossEntropy` when it exists, else logsumexp(z) - sum(y * z) per row from basic ops
 * (no max shift: these logits stay far from exp's overflow).
 */
function softmaxCrossEntropy(labels, logits) {
  const fused = tg.losses?.softmaxCrossEntropy;
  if (typeof fused === 'function') return fused(labels, logits);
  const lse = tg.log(tg.sum(tg.exp(logits), -1));
  return tg.mean(tg.sub(lse, tg.sum(tg.mul(labels, logits), -1)));
}

export default {
  name: 'tapegrad',
  async init() {
    if (typeof tg.ready === 'function' && process.env.TAPEGRAD_KERNELS !== 'typescript') await tg.ready();
    const kernels = typeof tg.backend === 'function' ? tg.backend() : 'typescript';
    const loss =
      typeof tg.losses?.softmaxCrossEntropy === 'function' ? 'losses.softmaxCrossEntropy' : 'CE from basic ops';
    return `tapegrad ${version} (${path.relative(root, entry)}; kernels: ${kernels}; ${loss})`;
  },
  w1(n) {
    const a = tg.scalar(1.0001);
    const b = tg.scalar(0.5);
    const x = tg.scalar(1);
    const tape = new tg.GradientTape();
    tape.watch(x);
    const f0 = performance.now();
    let y = x;
    for (let i = 0; i < n / 2; i++) y = tg.add(tg.mul(y, a), b);
    const f1 = performance.now();
    const [g] = tape.gradient(y, [x]);
    const grad = read(g);
    return { fwdMs: f1 - f0, bwdMs: performance.now() - f1, grad };
  },
  w2(n, A, B) {
    const a = tg.tensor(A, [n, n]);
    const b = tg.tensor(B, [n, n]);
    return {
      fwd: () => {
        tg.matmul(a, b);
      },
      fwdBwd: () => {
        const tape = new tg.GradientTape();
        tape.watch([a, b]);
        const loss = tg.sum(tg.matmul(a, b));
        tape.gradient(loss, [a, b]);
        read(loss);
      },
      dispose() {},
    };
  },
  w3(N, X, W, B) {
    const x = tg.tensor(X, [N]);
    const w = tg.tensor(W, [N]);
    const b = tg.tensor(B, [N]);
    const f = () => tg.sum(tg.tanh(tg.add(tg.mul(x, w), b)));
    return {
      fwd: () => read(f()),
      fwdBwd: () => {
        const tape = new tg.GradientTape();
        tape.watch(x);
        const loss = f();
        tape.gradient(loss, [x]);
        read(loss);
      },
      dispose() {},
    };
  },
  mlp(p) {
    const X = tg.tensor(p.X, [p.batch, p.inp]);
    const Y = tg.tensor(p.Y, [p.batch, p.out]);
    const lr = tg.scalar(p.lr);
    let P = [
      tg.tensor(p.W1, [p.inp, p.hid]),
      tg.tensor(p.b1, [p.hid]),
      tg.tensor(p.W2, [p.hid, p.out]),
      tg.tensor(p.b2, [p.out]),
    ];
    return {
      step() {
        const tape = new tg.GradientTape();
        tape.watch(P);
        const [W1, b1, W2, b2] = P;
        const logits = tg.add(tg.matmul(tg.relu(tg.add(tg.matmul(X, W1), b1)), W2), b2);
        const loss = softmaxCrossEntropy(Y, logits);
        const grads = tape.gradient(loss, P);
        P = P.map((t, i) => tg.sub(t, tg.mul(grads[i], lr)));
        return read(loss);
      },
      dispose() {}, // W5 runs 1,000 steps of this with no disposal calls at all
    };
  },
};
