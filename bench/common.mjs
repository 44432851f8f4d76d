// The workload definitions and timing rules of ../shared/peers/common.mjs (its README is the spec), copied
// so that `npm run bench` works without that folder. When the folder exists, bench/run.mjs uses it instead.
export const QUICK = !!process.env.QUICK && process.env.QUICK !== '0';

export const CFG = {
  w1Ops: 100_000,
  w2Sizes: [128, 256, 512, 1024],
  w3N: 1_000_000,
  mlp: { batch: 128, inp: 784, hid: 256, out: 10, lr: 0.1 },
  w4Steps: 50,
  w5Steps: 1000,
};
if (QUICK) Object.assign(CFG, { w1Ops: 2000, w2Sizes: [128], w3N: 10_000, w4Steps: 5, w5Steps: 20 });

/** The peers' LCG in [0, 1): s = (s * 1664525 + 1013904223) mod 2^32. */
export function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export function randArray(n, seed, lo = -1, hi = 1) {
  const r = lcg(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

/** W4's data and initial parameters (row-major), identical in every peer. */
export function mlpInit() {
  return mlpInitSized(CFG.mlp);
}

/** W4's data and initial weights (the LCG, seeds and Glorot-uniform ranges of mlpInit) for any sizes. */
export function mlpInitSized({ batch, inp, hid, out, lr }) {
  const X = randArray(batch * inp, 1, 0, 1);
  const labels = Int32Array.from({ length: batch }, (_, i) => (i * 7) % out);
  const Y = new Float32Array(batch * out);
  labels.forEach((c, i) => {
    Y[i * out + c] = 1;
  });
  const s1 = Math.sqrt(6 / (inp + hid));
  const s2 = Math.sqrt(6 / (hid + out));
  return {
    batch,
    inp,
    hid,
    out,
    lr,
    X,
    Y,
    labels,
    W1: randArray(inp * hid, 2, -s1, s1),
    b1: new Float32Array(hid),
    W2: randArray(hid * out, 3, -s2, s2),
    b2: new Float32Array(out),
  };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Warm-up calls, then up to `reps` timed calls (stopping after `budgetMs` once `minReps` are done); the median. */
export async function timeIt(fn, { warmup = 2, reps = 10, minReps = 3, budgetMs = 8000 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const ts = [];
  const start = performance.now();
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
    if (ts.length >= minReps && performance.now() - start > budgetMs) break;
  }
  return { ms: median(ts), n: ts.length };
}

export const rssMB = () => process.memoryUsage().rss / 2 ** 20;
export const maxRssMB = () => process.resourceUsage().maxRSS / 1024;
