// tapegrad on the peer workloads, in the adapter format of ../shared/peers (see its README.md):
//   npm run build && ../shared/peers/run.sh bench/peer-adapter.mjs js-mini
// The default export imports (in init()) the built package: the folder or entry file named by TAPEGRAD_DIST,
// else the repo's package.json "main" (dist/cjs). `createAdapter(path)` is the same adapter on any other
// build (`npm run bench -- --baseline=<rev>` points one at a git worktree). `npm run bench` uses this adapter
// for tapegrad's own numbers, and for the tapegrad-only leak workloads L1-L3 (leakStep, leakUnrelated).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/** The version in the nearest package.json above `file` that has a name (dist/*\/package.json have none). */
function versionOf(file) {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const p = path.join(dir, 'package.json');
    if (!fs.existsSync(p)) continue;
    const json = JSON.parse(fs.readFileSync(p, 'utf8'));
    if (json.name) return json.version;
  }
  return '?';
}

/**
 * The adapter on the build at `target`: a package folder (its package.json "main") or an entry file. Nothing
 * is imported before init().
 */
export function createAdapter(
  target = process.env.TAPEGRAD_DIST ? path.resolve(process.env.TAPEGRAD_DIST) : root,
  { backend, load } = {},
) {
  let tg;
  let entry;
  if (backend === 'webgpu') return createWebGpuAdapter(target, load);

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

  /** `act(x @ w + b)`: one `fused.matMul` where the build has it (a baseline may not), else the three ops. */
  function dense(x, w, b, activation = 'linear') {
    if (tg.fused?.matMul) return tg.fused.matMul({ a: x, b: w, bias: b, activation });
    const z = tg.add(tg.matmul(x, w), b);
    return activation === 'relu' ? tg.relu(z) : z;
  }

  /** `relu(conv2d(x, k, 1, 'same'))`: one `fused.conv2d` where the build has it, else two ops. */
  function convRelu(x, k) {
    if (tg.fused?.conv2d) return tg.fused.conv2d({ x, filter: k, strides: 1, pad: 'same', activation: 'relu' });
    return tg.relu(tg.conv2d(x, k, 1, 'same'));
  }

  return {
    name: 'tapegrad',
    async init() {
      entry = createRequire(import.meta.url).resolve(path.resolve(target));
      tg = await import(pathToFileURL(entry).href);
      if (typeof tg.ready === 'function' && process.env.TAPEGRAD_KERNELS !== 'typescript') await tg.ready();
      const kernels = typeof tg.backend === 'function' ? tg.backend() : 'typescript';
      const loss =
        typeof tg.losses?.softmaxCrossEntropy === 'function' ? 'losses.softmaxCrossEntropy' : 'CE from basic ops';
      return `tapegrad ${versionOf(entry)} (${path.relative(root, entry)}; kernels: ${kernels}; ${loss})`;
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
    w2: (n, A, B) => w2Of(tg, read, () => {}, n, A, B),
    w3: (N, X, W, B) => w3Of(tg, read, N, X, W, B),
    /**
     * W4 and W5: the parameters as variables, updated by `train.sgd(lr).minimize` (p <- p - lr * grad, one fused
     * update each, in the variable's own array when nothing else holds it; the gradients go back for reuse once
     * applied). A build without `train` (a --baseline) runs the update as ops on plain tensors.
     */
    mlp(p) {
      const X = tg.tensor(p.X, [p.batch, p.inp]);
      const Y = tg.tensor(p.Y, [p.batch, p.out]);
      const initial = [
        tg.tensor(p.W1, [p.inp, p.hid]),
        tg.tensor(p.b1, [p.hid]),
        tg.tensor(p.W2, [p.hid, p.out]),
        tg.tensor(p.b2, [p.out]),
      ];
      const lossOf = ([W1, b1, W2, b2]) => softmaxCrossEntropy(Y, dense(dense(X, W1, b1, 'relu'), W2, b2));
      if (typeof tg.train?.sgd === 'function') {
        const vars = initial.map((t) => tg.variable(t));
        const optimizer = tg.train.sgd(p.lr);
        return {
          step: () => read(optimizer.minimize(() => lossOf(vars), true, vars)),
          dispose() {}, // W5 runs 1,000 steps of this with no disposal calls at all
        };
      }
      const lr = tg.scalar(p.lr);
      let P = initial;
      return {
        step() {
          const tape = new tg.GradientTape();
          tape.watch(P);
          const loss = lossOf(P);
          const grads = tape.gradient(loss, P);
          P = P.map((t, i) => tg.sub(t, tg.mul(grads[i], lr)));
          return read(loss);
        },
        dispose() {},
      };
    },
    ...realShapes(() => tg, { read, readLogits: (t) => t.dataSync(), softmaxCrossEntropy, dense, convRelu }),
    /**
     * One step of leak workload L1 or L2: a tape that is never stopped nor asked for a gradient, and a few
     * ops on a float32 [64] made once. L1: a plain tape that watch()es a tensor; L2: a persistent tape and a
     * trainable variable it watches by being read (no watch() call).
     */
    leakStep(kind) {
      const data = Float32Array.from({ length: 64 }, (_, i) => i / 64);
      if (kind === 'L1') {
        const w = tg.tensor(data, [64]);
        return () => {
          const tape = new tg.GradientTape();
          tape.watch(w);
          tg.sum(tg.add(tg.mul(w, 2), 1));
        };
      }
      const v = tg.variable(tg.tensor(data, [64]));
      return () => {
        new tg.GradientTape({ persistent: true });
        tg.sum(tg.add(tg.mul(v, 2), 1));
      };
    },
    /**
     * L3: `add` is an op on a float32 [16] no tape watches; `forget` makes one forgotten tape (one op on a
     * watched float32 [64]); `warm` does the same and stops its tape (so the JIT has seen recording before
     * the first timing).
     */
    leakUnrelated() {
      const a = tg.tensor(new Float32Array(16).fill(1), [16]);
      const s = tg.tensor(new Float32Array(64).fill(1), [64]);
      const record = () => {
        const tape = new tg.GradientTape();
        tape.watch(s);
        tg.mul(s, 2);
        return tape;
      };
      return { add: () => tg.add(a, 1), forget: record, warm: () => record().stop() };
    },
  };
}

export default createAdapter();

/**
 * tapegrad on its webgpu backend (`npm run bench -- --backend=webgpu`): the ES-module build (`dist/esm/index.js`
 * under `target`, or `target` itself when it is an entry file; `load()` instead returns `{ tg, backends }` for a
 * bundle), with `setBackend('webgpu', { gpu })` on the GPU object of `bench/webgpu.mjs`. Every step ends by awaiting
 * a read (`await t.data()`), or for W2's forward, which reads nothing, `ctx.finish()` (the queue's
 * onSubmittedWorkDone): the timings include the GPU work. The pool's byte counts come from `webgpuBackend()` of
 * `dist/esm/backends.js`, the same module instance the entry imports (nothing is added to the public API).
 */
function createWebGpuAdapter(target, load) {
  let tg;
  let gpuBackend;
  let entry;
  const read = async (t) => (await t.data())[0];

  function softmaxCrossEntropy(labels, logits) {
    return tg.losses.softmaxCrossEntropy(labels, logits);
  }
  const dense = (x, w, b, activation = 'linear') => tg.fused.matMul({ a: x, b: w, bias: b, activation });
  const convRelu = (x, k) => tg.fused.conv2d({ x, filter: k, strides: 1, pad: 'same', activation: 'relu' });

  /** The ES-module entry for `target` (a package folder, or an index.js of dist/esm or dist/cjs). */
  function esmEntry() {
    const t = path.resolve(target);
    if (fs.existsSync(t) && fs.statSync(t).isDirectory()) {
      for (const p of ['dist/esm/index.js', 'esm/index.js', 'index.js'])
        if (fs.existsSync(path.join(t, p))) return path.join(t, p);
      throw new Error(`tapegrad webgpu bench: no dist/esm/index.js under ${t} (npm run build)`);
    }
    return t.replace(/([\\/])cjs([\\/]index\.js)$/, '$1esm$2');
  }

  const adapter = {
    name: 'tapegrad',
    backend: 'webgpu',
    async init() {
      if (load) ({ tg, backends: { webgpuBackend: gpuBackend } = {} } = await load());
      else {
        entry = esmEntry();
        tg = await import(pathToFileURL(entry).href);
        ({ webgpuBackend: gpuBackend } = await import(
          pathToFileURL(path.join(path.dirname(entry), 'backends.js')).href
        ));
      }
      const { gpuObject } = await import('./webgpu.mjs');
      const gpu = await gpuObject();
      if (typeof tg.ready === 'function') await tg.ready();
      const ok = await tg.setBackend('webgpu', { gpu });
      if (!ok || tg.backend() !== 'webgpu') throw new Error(`setBackend('webgpu') failed: backend is ${tg.backend()}`);
      const B = gpuBackend?.();
      this.adapterName = B?.adapterName ?? '?';
      const where = entry ? path.relative(root, entry) : 'bundle';
      return `tapegrad ${entry ? `${versionOf(entry)} ` : ''}(${where}; backend: ${tg.backend()}; adapter: ${this.adapterName})`;
    },
    /** The pool's byte counts and the dispatches so far (undefined fields where the build has no webgpuBackend). */
    gpuStats() {
      const ctx = gpuBackend?.()?.ctx;
      return { bytesInUse: ctx?.pool?.bytesInUse, bytesFree: ctx?.pool?.bytesFree, dispatches: ctx?.dispatches };
    },
    finish: () => gpuBackend?.()?.ctx?.finish(),
    // The forward product alone ends by waiting for the queue to empty; forward and backward by reading the loss.
    w2: (n, A, B) => w2Of(tg, read, () => adapter.finish(), n, A, B),
    w3: (N, X, W, B) => w3Of(tg, read, N, X, W, B),
    mlp(p) {
      const X = tg.tensor(p.X, [p.batch, p.inp]);
      const Y = tg.tensor(p.Y, [p.batch, p.out]);
      const lr = tg.scalar(p.lr);
      const P = [
        tg.variable(tg.tensor(p.W1, [p.inp, p.hid])),
        tg.variable(tg.tensor(p.b1, [p.hid])),
        tg.variable(tg.tensor(p.W2, [p.hid, p.out])),
        tg.variable(tg.tensor(p.b2, [p.out])),
      ];
      return {
        async step() {
          // As the TensorFlow.js peers' W4 step: variables assigned inside tidy, which frees the step's GPU tensors
          // (no dispose() calls).
          const loss = tg.tidy(() => {
            const tape = new tg.GradientTape();
            const [W1, b1, W2, b2] = P;
            const l = softmaxCrossEntropy(Y, dense(dense(X, W1, b1, 'relu'), W2, b2));
            const grads = tape.gradient(l, P);
            P.forEach((v, i) => v.assign(tg.sub(v, tg.mul(grads[i], lr))));
            return l;
          });
          return read(loss); // after the update's dispatches: the step's GPU work is done when it resolves
        },
        dispose() {},
      };
    },
    ...realShapes(() => tg, { read, readLogits: (t) => t.data(), softmaxCrossEntropy, dense, convRelu }),
  };
  return adapter;
}

/**
 * W6 and W7 (bench/data.mjs) on tapegrad `tg()` (read when a workload is made: the adapters import it in init()),
 * the same program on every backend: `read` gives a step's loss, `readLogits` the logits' values (at once on the
 * CPU, a promise on webgpu).
 */
function realShapes(tg, { read, readLogits, softmaxCrossEntropy, dense, convRelu }) {
  return {
    /** W6: the W4 MLP as variables, trained by `train.adam` on batches of any size. */
    mlpAdam(p) {
      const t = tg();
      const W1 = t.variable(t.tensor(p.W1, [p.inp, p.hid]));
      const b1 = t.variable(t.tensor(p.b1, [p.hid]));
      const W2 = t.variable(t.tensor(p.W2, [p.hid, p.out]));
      const b2 = t.variable(t.tensor(p.b2, [p.out]));
      const vars = [W1, b1, W2, b2];
      const optimizer = t.train.adam(p.lr, p.beta1, p.beta2, p.epsilon);
      const forward = (X) => dense(dense(X, W1, b1, 'relu'), W2, b2);
      return {
        step(Xa, Ya, n) {
          const X = t.tensor(Xa, [n, p.inp]);
          const Y = t.tensor(Ya, [n, p.out]);
          return read(optimizer.minimize(() => softmaxCrossEntropy(Y, forward(X)), true, vars));
        },
        logits: (Xa, n) => readLogits(forward(t.tensor(Xa, [n, p.inp]))),
        dispose() {},
      };
    },
    /**
     * W7: conv 5×5 1→16 'same', relu, maxPool 2×2/2, conv 5×5 16→32 'same', relu, maxPool, flatten (NHWC),
     * dense 1568→10 with bias, softmax cross-entropy; `train.adam`.
     */
    cnn(p) {
      const t = tg();
      const { batch, size, k, c1, c2, out, flat } = p;
      const X = t.tensor(p.X, [batch, size, size, 1]);
      const Y = t.tensor(p.Y, [batch, out]);
      const K1 = t.variable(t.tensor(p.K1, [k, k, 1, c1]));
      const K2 = t.variable(t.tensor(p.K2, [k, k, c1, c2]));
      const Wd = t.variable(t.tensor(p.Wd, [flat, out]));
      const bd = t.variable(t.tensor(p.bd, [out]));
      const vars = [K1, K2, Wd, bd];
      const optimizer = t.train.adam(p.lr, p.beta1, p.beta2, p.epsilon);
      const loss = () => {
        let h = t.maxPool(convRelu(X, K1), 2, 2, 'valid');
        h = t.maxPool(convRelu(h, K2), 2, 2, 'valid');
        return softmaxCrossEntropy(Y, t.add(t.matmul(t.reshape(h, [batch, flat]), Wd), bd));
      };
      return { step: () => read(optimizer.minimize(loss, true, vars)), dispose() {} };
    },
  };
}

/**
 * W3 on tapegrad `tg`: `sum(tanh(x * w + b))` forward, and forward and backward; each ends by reading the loss
 * with `read` (at once on the CPU; on webgpu a promise, resolved once the GPU is done, which the timer awaits).
 */
function w3Of(tg, read, N, X, W, B) {
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
      return read(loss);
    },
    dispose() {},
  };
}

/**
 * W2 on tapegrad `tg`: the n x n product, then the product with both gradients; `settle` waits for the forward
 * product's work (nothing on the CPU; the queue on webgpu), and `read` of the loss ends forward and backward.
 */
function w2Of(tg, read, settle, n, A, B) {
  const a = tg.tensor(A, [n, n]);
  const b = tg.tensor(B, [n, n]);
  return {
    fwd: () => {
      tg.matmul(a, b);
      return settle();
    },
    fwdBwd: () => {
      const tape = new tg.GradientTape();
      tape.watch([a, b]);
      const loss = tg.sum(tg.matmul(a, b));
      tape.gradient(loss, [a, b]);
      return read(loss);
    },
    dispose() {},
  };
}
