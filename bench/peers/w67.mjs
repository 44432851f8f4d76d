// W6 and W7 (bench/data.mjs) on the JavaScript peers: TensorFlow.js (cpu, wasm) and jax-js (wasm, eager and jit),
// loaded from $PEERS_DIR as ../shared/peers/peers/_tfjs.mjs and _jaxjs.mjs load them (run
// ../shared/peers/install.sh first). The runners (runW6, runW7 in bench/workloads.mjs) are tapegrad's.
//
//   [QUICK=1] node bench/peers/w67.mjs <tfjs-cpu | tfjs-wasm | jaxjs-wasm | jaxjs-wasm-jit> [W6,W7] [--w6-budget-s=60]
//
// Logs to stderr, prints one JSON line on stdout: { peer, info, W6, W7 }.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { runW6, runW7 } from '../workloads.mjs';
import { hwioToOihw } from '../data.mjs';

const PEERS_DIR = path.resolve(process.env.PEERS_DIR || path.join(os.tmpdir(), 'tapegrad-peers'));
const req = createRequire(path.join(PEERS_DIR, '/'));
function peerRequire(name) {
  try {
    return req(name);
  } catch (e) {
    if (e.code === 'MODULE_NOT_FOUND' && String(e.message).includes(`'${name}'`))
      throw new Error(`${name} is not installed in ${PEERS_DIR}: run ../shared/peers/install.sh (or set PEERS_DIR)`, {
        cause: e,
      });
    throw e;
  }
}

/**
 * TensorFlow.js on `backend`: tf.train.adam, optimizer.minimize inside tf.tidy. `webgpu`: the caller has set
 * `globalThis.navigator.gpu` (bench/webgpu.mjs) before this, and steps read the loss with `await data()` (the
 * backend has no synchronous read worth timing), outside the tidy.
 */
export function makeTfjs(backend) {
  const tf = peerRequire('@tensorflow/tfjs'); // the union package: its CJS bundle registers the gradients
  peerRequire('@tensorflow/tfjs-backend-cpu');
  const tfwasm = peerRequire('@tensorflow/tfjs-backend-wasm');
  if (backend === 'webgpu') peerRequire('@tensorflow/tfjs-backend-webgpu');
  /** `f()` (a scalar or tensor, inside tf.tidy) read back: sync on cpu/wasm, a promise on webgpu. */
  const readTidy = (f, first = true) => {
    if (backend !== 'webgpu') return tf.tidy(() => (first ? f().dataSync()[0] : f().dataSync()));
    const t = tf.tidy(f);
    return t.data().then((v) => {
      t.dispose();
      return first ? v[0] : v;
    });
  };
  const adam = (p) => tf.train.adam(p.lr, p.beta1, p.beta2, p.epsilon);
  return {
    name: `tfjs-${backend}`,
    async init() {
      await tf.setBackend(backend);
      await tf.ready();
      let info = `tfjs-core ${tf.version_core}, backend=${tf.getBackend()}`;
      if (backend === 'wasm')
        info += `, simd=${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')}, threads=${tfwasm.getThreadsCount()}`;
      return info;
    },
    mlpAdam(p) {
      const W1 = tf.variable(tf.tensor2d(p.W1, [p.inp, p.hid]));
      const b1 = tf.variable(tf.tensor1d(p.b1));
      const W2 = tf.variable(tf.tensor2d(p.W2, [p.hid, p.out]));
      const b2 = tf.variable(tf.tensor1d(p.b2));
      const vars = [W1, b1, W2, b2];
      const opt = adam(p);
      const forward = (X) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(X, W1), b1)), W2), b2);
      return {
        step: (Xa, Ya, n) =>
          readTidy(() => {
            const X = tf.tensor2d(Xa, [n, p.inp]);
            const Y = tf.tensor2d(Ya, [n, p.out]);
            return opt.minimize(() => tf.losses.softmaxCrossEntropy(Y, forward(X)), true, vars);
          }),
        logits: (Xa, n) => readTidy(() => forward(tf.tensor2d(Xa, [n, p.inp])), false),
        dispose: () => {
          opt.dispose();
          tf.dispose(vars);
        },
      };
    },
    cnn(p) {
      const { batch, size, k, c1, c2, out, flat } = p;
      const X = tf.tensor4d(p.X, [batch, size, size, 1]);
      const Y = tf.tensor2d(p.Y, [batch, out]);
      const K1 = tf.variable(tf.tensor4d(p.K1, [k, k, 1, c1]));
      const K2 = tf.variable(tf.tensor4d(p.K2, [k, k, c1, c2]));
      const Wd = tf.variable(tf.tensor2d(p.Wd, [flat, out]));
      const bd = tf.variable(tf.tensor1d(p.bd));
      const vars = [K1, K2, Wd, bd];
      const opt = adam(p);
      const loss = () => {
        let h = tf.maxPool(tf.relu(tf.conv2d(X, K1, 1, 'same')), 2, 2, 'valid');
        h = tf.maxPool(tf.relu(tf.conv2d(h, K2, 1, 'same')), 2, 2, 'valid');
        return tf.losses.softmaxCrossEntropy(Y, tf.add(tf.matMul(tf.reshape(h, [batch, flat]), Wd), bd));
      };
      return {
        step: () => readTidy(() => opt.minimize(loss, true, vars)),
        dispose: () => {
          opt.dispose();
          tf.dispose([X, Y, ...vars]);
        },
      };
    },
  };
}

/**
 * jax-js on the wasm device, eager or with the whole training step under `jit`. Adam is written out (TF.js's
 * formula, as tapegrad's and PyTorch's); the bias corrections 1 − βᵗ are passed in as 0-d arrays so that the
 * jitted step is traced once per batch shape. jax-js arrays are reference-counted: every op consumes its
 * inputs, `.ref` keeps one.
 */
export function makeJaxjs(device, useJit) {
  const jax = peerRequire('@jax-js/jax');
  const { numpy: np, nn, lax, valueAndGrad, jit } = jax;
  const meanCE = (logits, Y, n) => np.sum(nn.logSoftmax(logits, -1).mul(Y)).mul(-1 / n);

  /** A training step (P, M, V, bc1, bc2, ...data) -> [loss, P, M, V] for `lossFn(P, ...data)`. */
  function adamStep(lossFn, p) {
    const vg = valueAndGrad(lossFn);
    const { lr, beta1, beta2, epsilon } = p;
    const step = (P, M, V, bc1, bc2, ...data) => {
      const [loss, G] = vg(jax.tree.ref(P), ...data);
      const P2 = {};
      const M2 = {};
      const V2 = {};
      for (const key of Object.keys(P)) {
        const g = G[key];
        const m = M[key].mul(beta1).add(g.ref.mul(1 - beta1));
        const v = V[key].mul(beta2).add(g.ref.mul(g).mul(1 - beta2));
        const mHat = m.ref.div(bc1.ref);
        const vHat = v.ref.div(bc2.ref);
        P2[key] = P[key].sub(mHat.div(np.sqrt(vHat).add(epsilon)).mul(lr));
        M2[key] = m;
        V2[key] = v;
      }
      bc1.dispose();
      bc2.dispose();
      return [loss, P2, M2, V2];
    };
    return useJit ? jit(step) : step;
  }

  /** State for Adam over params `P`, and `run(...data)` doing one step and returning the loss as a number. */
  function trainer(P, lossFn, p) {
    const step = adamStep(lossFn, p);
    const zeros = () => Object.fromEntries(Object.entries(P).map(([k, a]) => [k, np.zerosLike(a.ref)]));
    const S = { P, M: zeros(), V: zeros(), t: 0 };
    return {
      S,
      run(...data) {
        S.t++;
        const bc1 = np.array(1 - p.beta1 ** S.t);
        const bc2 = np.array(1 - p.beta2 ** S.t);
        const [loss, P2, M2, V2] = step(S.P, S.M, S.V, bc1, bc2, ...data);
        Object.assign(S, { P: P2, M: M2, V: V2 });
        if (device === 'webgpu') {
          // no synchronous read on webgpu; jax-js is lazy: also wait for the update, which the loss does not need
          return loss.data().then(async (v) => {
            await jax.blockUntilReady([S.P, S.M, S.V]);
            return v[0];
          });
        }
        const value = loss.dataSync()[0];
        return value;
      },
      dispose() {
        jax.tree.dispose([S.P, S.M, S.V]);
      },
    };
  }

  return {
    name: `jaxjs-${device}${useJit ? '-jit' : ''}`,
    async init() {
      const got = await jax.init(device); // init() with no argument probes WebGPU and throws in Node
      jax.defaultDevice(device);
      const version = JSON.parse(
        fs.readFileSync(path.join(PEERS_DIR, 'node_modules/@jax-js/jax/package.json'), 'utf8'),
      ).version;
      return `@jax-js/jax ${version}, device=${device} (init -> ${got}), ${useJit ? 'jit' : 'eager'}`;
    },
    mlpAdam(p) {
      const P = {
        W1: np.array(p.W1, { shape: [p.inp, p.hid] }),
        b1: np.array(p.b1, { shape: [p.hid] }),
        W2: np.array(p.W2, { shape: [p.hid, p.out] }),
        b2: np.array(p.b2, { shape: [p.out] }),
      };
      const forward = (P, X) => np.matmul(nn.relu(np.matmul(X, P.W1).add(P.b1)), P.W2).add(P.b2);
      const lossFn = (P, X, Y) => meanCE(forward(P, X), Y, X.shape[0]);
      const tr = trainer(P, lossFn, p);
      return {
        step: (Xa, Ya, n) => tr.run(np.array(Xa, { shape: [n, p.inp] }), np.array(Ya, { shape: [n, p.out] })),
        logits(Xa, n) {
          const z = forward(jax.tree.ref(tr.S.P), np.array(Xa, { shape: [n, p.inp] }));
          if (device === 'webgpu') return z.data();
          const out = z.dataSync();
          return out;
        },
        dispose: () => tr.dispose(),
      };
    },
    cnn(p) {
      const { batch, size, k, c1, c2, out, flat } = p;
      // jax-js convolves NCHW images with OIHW kernels; one channel: X's NHWC values are its NCHW values
      const X = np.array(p.X, { shape: [batch, 1, size, size] });
      const Y = np.array(p.Y, { shape: [batch, out] });
      const P = {
        K1: np.array(hwioToOihw(p.K1, k, 1, c1), { shape: [c1, 1, k, k] }),
        K2: np.array(hwioToOihw(p.K2, k, c1, c2), { shape: [c2, c1, k, k] }),
        Wd: np.array(p.Wd, { shape: [flat, out] }),
        bd: np.array(p.bd, { shape: [out] }),
      };
      const pool = (h) => lax.reduceWindow(h, (w) => np.max(w), [2, 2], [2, 2]);
      const lossFn = (P, X, Y) => {
        let h = pool(nn.relu(lax.conv(X, P.K1, [1, 1], 'SAME')));
        h = pool(nn.relu(lax.conv(h, P.K2, [1, 1], 'SAME')));
        h = np.reshape(np.transpose(h, [0, 2, 3, 1]), [batch, flat]); // NHWC flattening, as Wd's rows
        return meanCE(np.matmul(h, P.Wd).add(P.bd), Y, batch);
      };
      const tr = trainer(P, lossFn, p);
      return {
        step: () => tr.run(X.ref, Y.ref),
        dispose() {
          tr.dispose();
          X.dispose();
          Y.dispose();
        },
      };
    },
  };
}

const ADAPTERS = {
  'tfjs-cpu': () => makeTfjs('cpu'),
  'tfjs-wasm': () => makeTfjs('wasm'),
  'jaxjs-wasm': () => makeJaxjs('wasm', false),
  'jaxjs-wasm-jit': () => makeJaxjs('wasm', true),
};

// Imported (bench/peers/webgpu-peers.mjs uses the makers above): stop here; run as a script: the CLI below.
const isMain =
  /w67\.mjs$/.test(process.argv[1] ?? '') && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;

if (isMain) await main();

async function main() {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const opt = (name, fallback) =>
    process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  const [peer, list = 'W6,W7'] = args;
  if (!ADAPTERS[peer]) {
    console.error(`usage: node bench/peers/w67.mjs <${Object.keys(ADAPTERS).join(' | ')}> [W6,W7]`);
    process.exit(2);
  }
  const log = (...a) => console.error(`[${peer}]`, ...a.map((x) => (typeof x === 'object' ? JSON.stringify(x) : x)));
  const A = ADAPTERS[peer]();
  const res = { peer, info: await A.init() };
  log(res.info);
  const which = list.split(',');
  if (which.includes('W6')) res.W6 = await runW6(A, log, { budgetS: Number(opt('w6-budget-s', '60')) });
  if (which.includes('W7')) res.W7 = await runW7(A, log);
  console.log(JSON.stringify(res));
  process.exit(0);
}
