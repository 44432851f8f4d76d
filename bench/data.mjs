// Definitions of workloads W6 (one epoch of the Fashion-MNIST MLP with Adam) and W7 (one training step of a small
// CNN), shared by tapegrad's bench (bench/workloads.mjs), the JavaScript peers (bench/peers/w67.mjs) and written
// out again, value for value, in Python for PyTorch (bench/peers/torch_bench.py). See bench/README.md.
// Everything here is plain JS (no library): the data, the seeded shuffle, the initial weights, the caps.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { QUICK, lcg, mlpInit, randArray } from './common.mjs';

export { QUICK };

/** Adam as TensorFlow.js's defaults, except epsilon given explicitly (TF.js: 1e-7; PyTorch's default 1e-8). */
export const ADAM = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

export const W6 = {
  batch: 128,
  inp: 784,
  hid: 256,
  out: 10,
  shuffleSeed: 6, // the permutation of the 60,000 training images
  steps: undefined, // undefined: the whole epoch, ceil(60000 / 128) = 469 (last batch 96 images)
  testImages: undefined, // undefined: all 10,000
  lastLosses: 50, // "final training loss": the mean of the last 50 steps' losses
  budgetS: 60, // a library whose projected epoch (2 timed steps) exceeds this is capped (see runW6)
};
export const W7 = {
  batch: 64,
  size: 28,
  c1: 16,
  c2: 32,
  k: 5,
  out: 10,
  // Untimed steps (0-39). A training run's steps are mostly steady ones, and tapegrad's first steps are not: until
  // the engine's first collection no freed array can be reused, and until the C library's thresholds have grown it
  // returns large freed arrays to the system, so each step's new arrays fault their pages in again. In fresh processes here steps 3-12 took 41-48 ms (770-1,005 page faults a step), steps
  // 23-32 24-30 ms (57-103) and steps 53-79 24-30 ms (0-3); steps 3-12 were what W7 timed until then.
  warmup: 40,
  timed: 20, // timed steps (40-59): "last loss" is step 59's
  capMs: 2000, // a library whose steps 1-2 average over this stops there (1 warm-up + 2 timed steps)
};
if (QUICK) {
  Object.assign(W6, { steps: 8, testImages: 1000, lastLosses: 4 });
  Object.assign(W7, { batch: 4, warmup: 1, timed: 2 });
}

// ---------------------------------------------------------------------------------------------------------
// Fashion-MNIST from Debian's dataset-fashion-mnist (4 gzipped IDX files), or $FASHION_MNIST_DIR.

export const FASHION_DIR = process.env.FASHION_MNIST_DIR || '/usr/share/datasets/fashion-mnist';
const FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
};

/** An IDX file of unsigned bytes (type 0x08): its dims and its data (a view on the file's bytes). */
export function parseIdx(buf) {
  if (buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08) throw new Error('not an IDX file of unsigned bytes');
  const nd = buf[3];
  const dims = [];
  for (let i = 0; i < nd; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  const data = new Uint8Array(buf.buffer, buf.byteOffset + 4 + 4 * nd, size);
  if (data.length !== size) throw new Error('truncated IDX file');
  return { dims, data };
}

/** Why the data is missing (a string), or undefined when all four files are there. */
export function fashionMissing() {
  const missing = Object.values(FILES).filter((f) => !fs.existsSync(path.join(FASHION_DIR, f)));
  if (!missing.length) return undefined;
  return `Fashion-MNIST not found in ${FASHION_DIR} (missing ${missing.join(', ')}): apt-get install dataset-fashion-mnist, or set FASHION_MNIST_DIR`;
}

/**
 * The four files: images as bytes [n·784] and labels [n]. `toFloat(bytes)` scales to [0, 1] as float32:
 * each byte / 255 in double precision, then rounded to float32 (the Python runner does the same).
 */
export function loadFashion() {
  const read = (f) => parseIdx(zlib.gunzipSync(fs.readFileSync(path.join(FASHION_DIR, f))));
  const ti = read(FILES.trainImages);
  const tl = read(FILES.trainLabels);
  const vi = read(FILES.testImages);
  const vl = read(FILES.testLabels);
  if (ti.dims[0] !== tl.dims[0] || vi.dims[0] !== vl.dims[0] || ti.dims[1] * ti.dims[2] !== 784)
    throw new Error(`unexpected Fashion-MNIST shapes ${ti.dims} ${tl.dims} ${vi.dims} ${vl.dims}`);
  return {
    train: { n: ti.dims[0], images: ti.data, labels: tl.data },
    test: { n: vi.dims[0], images: vi.data, labels: vl.data },
  };
}

/** A seeded permutation of 0..n-1: Fisher–Yates driven by the peers' LCG (j = floor(r·(i+1)), i from n-1 down). */
export function permutation(n, seed) {
  const r = lcg(seed);
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Rows `idx[from..from+n)` of `images` (bytes, 784 per row) as float32 in [0, 1], and one-hot labels. */
export function gatherBatch(images, labels, idx, from, n, out = 10) {
  const X = new Float32Array(n * 784);
  const Y = new Float32Array(n * out);
  for (let r = 0; r < n; r++) {
    const i = idx ? idx[from + r] : from + r;
    const src = i * 784;
    const dst = r * 784;
    for (let k = 0; k < 784; k++) X[dst + k] = images[src + k] / 255;
    Y[r * out + labels[i]] = 1;
  }
  return { X, Y };
}

/** W6's initial parameters: W4's (`mlpInit`: LCG seeds 2 and 3, Glorot-uniform ranges, zero biases), and Adam's settings. */
export function w6Init() {
  const { inp, hid, out, batch } = W6;
  const { W1, b1, W2, b2 } = mlpInit();
  return { batch, inp, hid, out, ...ADAM, W1, b1, W2, b2 };
}

/**
 * W7's data and initial parameters. Images X [batch, 28, 28, 1] (NHWC; with one channel the same values as
 * NCHW) from randArray(·, 11, 0, 1); label of image i (7·i) mod 10, one-hot Y; filters in HWIO order
 * (TensorFlow's [height, width, in, out]): K1 [5, 5, 1, 16] seed 12, K2 [5, 5, 16, 32] seed 13, dense
 * Wd [1568, 10] seed 14 whose rows follow the NHWC flattening (h, w, c) of the [7, 7, 32] feature map, bd = 0;
 * each uniform in ±√(6 / (fanIn + fanOut)) (Glorot; a conv's fans are k·k·in and k·k·out). The convolutions
 * have no bias.
 */
export function w7Init() {
  const { batch, size, c1, c2, k, out } = W7;
  const flat = (size / 4) * (size / 4) * c2;
  const labels = Int32Array.from({ length: batch }, (_, i) => (7 * i) % out);
  const Y = new Float32Array(batch * out);
  labels.forEach((c, i) => {
    Y[i * out + c] = 1;
  });
  const glorot = (fanIn, fanOut) => Math.sqrt(6 / (fanIn + fanOut));
  const s1 = glorot(k * k * 1, k * k * c1);
  const s2 = glorot(k * k * c1, k * k * c2);
  const s3 = glorot(flat, out);
  return {
    batch,
    size,
    c1,
    c2,
    k,
    out,
    flat,
    ...ADAM,
    X: randArray(batch * size * size, 11, 0, 1),
    labels,
    Y,
    K1: randArray(k * k * 1 * c1, 12, -s1, s1),
    K2: randArray(k * k * c1 * c2, 13, -s2, s2),
    Wd: randArray(flat * out, 14, -s3, s3),
    bd: new Float32Array(out),
  };
}

/** An HWIO filter [k, k, ci, co] as OIHW [co, ci, k, k] (PyTorch's and jax-js's layout). */
export function hwioToOihw(K, k, ci, co) {
  const o = new Float32Array(K.length);
  for (let h = 0; h < k; h++)
    for (let w = 0; w < k; w++)
      for (let i = 0; i < ci; i++)
        for (let c = 0; c < co; c++) o[((c * ci + i) * k + h) * k + w] = K[((h * k + w) * ci + i) * co + c];
  return o;
}
