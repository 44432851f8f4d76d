// The WebGPU peers of `npm run bench -- --backend=webgpu --vs-peers`: TensorFlow.js's webgpu backend
// (@tensorflow/tfjs-backend-webgpu) and jax-js's webgpu device, on the GPU object of bench/webgpu.mjs (the adapter
// tapegrad uses in the same run), loaded from $PEERS_DIR (../shared/peers/install.sh installs both).
//
//   tfjs-webgpu       TensorFlow.js 4.22.0, backend 'webgpu'
//   jaxjs-webgpu      @jax-js/jax 0.1.25, device 'webgpu', eager
//   jaxjs-webgpu-jit  the same with W4's (and W6/W7's) training step under jit
//
// The adapter contract is ../shared/peers/common.mjs's (w2, w3, mlp) plus bench/workloads.mjs's (mlpAdam, cnn: the
// makers of bench/peers/w67.mjs, in their webgpu mode). Every timed call ends by awaiting a read back (`await
// data()`) or the device's queue (tfjs: submitQueue() then onSubmittedWorkDone(); jax-js: blockUntilReady()).
// `loadTf` / `loadJax` replace the $PEERS_DIR loaders (bench/gpu-bundle.mjs passes static imports).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { gpuObject, describeAdapter } from '../webgpu.mjs';

const PEERS_DIR = path.resolve(process.env.PEERS_DIR || path.join(os.tmpdir(), 'tapegrad-peers'));
const peerRequire = (name) => createRequire(path.join(PEERS_DIR, '/'))(name);
const version = (pkg) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(PEERS_DIR, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return '(bundled)';
  }
};

/** The adapter's name, from a fresh requestAdapter() on the shared GPU object (the one the library got). */
async function adapterName(gpu) {
  const a = await gpu.requestAdapter();
  return a ? describeAdapter(a.info) : 'no adapter';
}

/** TensorFlow.js on its webgpu backend. */
export function makeTfjsWebgpu({ loadTf } = {}) {
  let tf;
  let w67;
  return {
    name: 'tfjs-webgpu',
    async init() {
      const gpu = await gpuObject({ navigator: true }); // before the backend package loads: it checks navigator.gpu
      if (loadTf) tf = await loadTf();
      else {
        tf = peerRequire('@tensorflow/tfjs');
        peerRequire('@tensorflow/tfjs-backend-webgpu');
        w67 = (await import('./w67.mjs')).makeTfjs('webgpu');
      }
      if (!(await tf.setBackend('webgpu'))) throw new Error("tf.setBackend('webgpu') failed");
      await tf.ready();
      this.adapterName = await adapterName(gpu);
      return `tfjs-core ${tf.version_core}, tfjs-backend-webgpu ${version('@tensorflow/tfjs-backend-webgpu')}, backend=${tf.getBackend()}, adapter: ${this.adapterName}`;
    },
    /** Submits what the backend has batched, and waits for the device to finish it. */
    async finish() {
      const b = tf.backend();
      // as its own reads do (getBufferData): end the open compute pass, then submit (submitting with the pass open
      // gives an invalid command buffer, and the work is dropped)
      b.ensureCommandEncoderReady();
      b.endComputePassEncoder();
      b.submitQueue();
      await b.device.queue.onSubmittedWorkDone();
    },
    w2(n, A, B) {
      const a = tf.tensor2d(A, [n, n]);
      const b = tf.tensor2d(B, [n, n]);
      const g = tf.valueAndGrads((a, b) => tf.sum(tf.matMul(a, b)));
      return {
        fwd: async () => {
          const c = tf.matMul(a, b);
          await this.finish();
          c.dispose();
        },
        fwdBwd: async () => {
          const { value, grads } = g([a, b]);
          await value.data(); // queued after the gradients
          tf.dispose([value, ...grads]);
        },
        dispose: () => tf.dispose([a, b]),
      };
    },
    w3(N, X, W, B) {
      const x = tf.tensor1d(X);
      const w = tf.tensor1d(W);
      const b = tf.tensor1d(B);
      const f = (x) => tf.sum(tf.tanh(tf.add(tf.mul(x, w), b)));
      const g = tf.valueAndGrad(f);
      return {
        fwd: async () => {
          const v = tf.tidy(() => f(x));
          await v.data();
          v.dispose();
        },
        fwdBwd: async () => {
          const { value, grad } = g(x);
          await value.data();
          tf.dispose([value, grad]);
        },
        dispose: () => tf.dispose([x, w, b]),
      };
    },
    mlp(p) {
      const X = tf.tensor2d(p.X, [p.batch, p.inp]);
      const Y = tf.tensor2d(p.Y, [p.batch, p.out]);
      const W1 = tf.variable(tf.tensor2d(p.W1, [p.inp, p.hid]));
      const b1 = tf.variable(tf.tensor1d(p.b1));
      const W2 = tf.variable(tf.tensor2d(p.W2, [p.hid, p.out]));
      const b2 = tf.variable(tf.tensor1d(p.b2));
      const vars = [W1, b1, W2, b2];
      const lossFn = () =>
        tf.losses.softmaxCrossEntropy(Y, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(X, W1), b1)), W2), b2));
      return {
        async step() {
          const value = tf.tidy(() => {
            const { value, grads } = tf.variableGrads(lossFn, vars);
            for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], p.lr)));
            return value;
          });
          const loss = (await value.data())[0]; // after the updates: the step's GPU work is done
          value.dispose();
          return loss;
        },
        dispose: () => tf.dispose([X, Y, ...vars]),
      };
    },
    mlpAdam: (p) => w67.mlpAdam(p),
    cnn: (p) => w67.cnn(p),
    memInfo: () => {
      const m = tf.memory();
      return `tf.memory(): numTensors=${m.numTensors}, numBytes=${(m.numBytes / 2 ** 20).toFixed(1)}MiB`;
    },
  };
}

/** jax-js on its webgpu device, eager (`useJit`: W4's step under jit). */
export function makeJaxjsWebgpu({ useJit = false, loadJax } = {}) {
  let jax;
  let np;
  let nn;
  let w67;
  return {
    name: `jaxjs-webgpu${useJit ? '-jit' : ''}`,
    async init() {
      const gpu = await gpuObject({ navigator: true }); // jax-js finds WebGPU through navigator.gpu
      jax = loadJax ? await loadJax() : peerRequire('@jax-js/jax');
      ({ numpy: np, nn } = jax);
      const got = await jax.init('webgpu');
      if (!String(got).includes('webgpu')) throw new Error(`jax.init('webgpu') gave ${JSON.stringify(got)}`);
      jax.defaultDevice('webgpu');
      if (!loadJax) w67 = (await import('./w67.mjs')).makeJaxjs('webgpu', useJit);
      this.adapterName = await adapterName(gpu);
      return `@jax-js/jax ${version('@jax-js/jax')}, device=webgpu (init -> ${got}), ${useJit ? 'jit' : 'eager'}, adapter: ${this.adapterName}`;
    },
    w2(n, A, B) {
      const a = np.array(A, { shape: [n, n] });
      const b = np.array(B, { shape: [n, n] });
      const g = jax.valueAndGrad((a, b) => np.sum(np.matmul(a, b)), { argnums: [0, 1] });
      return {
        fwd: async () => {
          const c = np.matmul(a.ref, b.ref);
          await c.blockUntilReady();
          c.dispose();
        },
        fwdBwd: async () => {
          const [v, gs] = g(a.ref, b.ref);
          await v.data();
          await jax.blockUntilReady(gs);
          jax.tree.dispose(gs);
        },
        dispose: () => {
          a.dispose();
          b.dispose();
        },
      };
    },
    w3(N, X, W, B) {
      const x = np.array(X);
      const w = np.array(W);
      const b = np.array(B);
      const loss = (x) => np.sum(np.tanh(x.mul(w.ref).add(b.ref)));
      const g = jax.valueAndGrad(loss);
      return {
        fwd: () => loss(x.ref).data(),
        fwdBwd: async () => {
          const [v, gx] = g(x.ref);
          await v.data();
          await gx.blockUntilReady();
          gx.dispose();
        },
        dispose: () => {
          x.dispose();
          w.dispose();
          b.dispose();
        },
      };
    },
    mlp(p) {
      const X = np.array(p.X, { shape: [p.batch, p.inp] });
      const Y = np.array(p.Y, { shape: [p.batch, p.out] });
      let P = {
        W1: np.array(p.W1, { shape: [p.inp, p.hid] }),
        b1: np.array(p.b1, { shape: [p.hid] }),
        W2: np.array(p.W2, { shape: [p.hid, p.out] }),
        b2: np.array(p.b2, { shape: [p.out] }),
      };
      const lossFn = (P, X, Y) => {
        const h = nn.relu(np.matmul(X, P.W1).add(P.b1));
        const logits = np.matmul(h, P.W2).add(P.b2);
        return np.sum(nn.logSoftmax(logits, -1).mul(Y)).mul(-1 / p.batch);
      };
      const update = (P, G) => Object.fromEntries(Object.keys(P).map((k) => [k, P[k].sub(G[k].mul(p.lr))]));
      const vg = jax.valueAndGrad(lossFn);
      let stepFn = (P, X, Y) => {
        const [loss, G] = vg(jax.tree.ref(P), X, Y);
        return [loss, update(P, G)];
      };
      if (useJit) stepFn = jax.jit(stepFn);
      return {
        async step() {
          const [loss, P2] = stepFn(P, X.ref, Y.ref);
          P = P2;
          const value = (await loss.data())[0];
          await jax.blockUntilReady(P); // the update, which the loss does not depend on
          return value;
        },
        dispose() {
          jax.tree.dispose(P);
          X.dispose();
          Y.dispose();
        },
      };
    },
    mlpAdam: (p) => w67.mlpAdam(p),
    cnn: (p) => w67.cnn(p),
  };
}

export const WEBGPU_PEERS = {
  'tfjs-webgpu': (o) => makeTfjsWebgpu(o),
  'jaxjs-webgpu': (o) => makeJaxjsWebgpu(o),
  'jaxjs-webgpu-jit': (o) => makeJaxjsWebgpu({ ...o, useJit: true }),
};
