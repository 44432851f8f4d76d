// Runs W1-W5 on one adapter exactly as ../shared/peers/run.mjs does (same sizes, warm-ups, repetitions and
// budgets), so tapegrad's numbers and the peers' are measured by the same rules.
import fs from 'node:fs';

const shared = new URL('../../shared/peers/common.mjs', import.meta.url);
/** The peers' definitions when ../shared/peers is there, else bench/common.mjs (a copy of them). */
export const common = await import(fs.existsSync(shared) ? shared.href : new URL('./common.mjs', import.meta.url).href);
export const sharedCommon = fs.existsSync(shared);

/** W1-W4 (those in `which`) on adapter `A`; returns the result object in the peers' JSON format. */
export async function runWorkloads(A, which, log) {
  const { CFG, randArray, mlpInit, timeIt, median } = common;
  const res = {};
  if (which.includes('W1')) {
    let n = CFG.w1Ops;
    let r = [];
    let error;
    await A.w1(2000);
    try {
      for (let i = 0; i < 4; i++) r.push(await A.w1(n));
    } catch (e) {
      error = `failed at ${n} ops: ${String(e).slice(0, 120)}`;
      n = 2000;
      r = [];
      for (let i = 0; i < 4; i++) r.push(await A.w1(n));
    }
    res.W1 = {
      usPerOpFwd: (1000 * median(r.map((x) => x.fwdMs))) / n,
      usPerOpBwd: (1000 * median(r.map((x) => x.bwdMs))) / n,
      grad: r[0].grad,
      runs: r.length,
      ops: n,
      ...(error ? { error } : {}),
    };
    log('W1', res.W1);
  }
  if (which.includes('W2')) {
    res.W2 = {};
    let prevMs = 0;
    for (const n of CFG.w2Sizes) {
      if (prevMs * 8 > 10000) {
        res.W2[n] = { skipped: 'projected > 10 s per run' };
        continue;
      }
      const w = await A.w2(n, randArray(n * n, 10 + n), randArray(n * n, 20 + n));
      const budgetMs = n >= 1024 ? 15000 : 5000;
      const gf = (2 * n ** 3) / 1e9;
      const opts = { warmup: n >= 512 ? 1 : 3, reps: n <= 256 ? 30 : 10, budgetMs };
      const f = await timeIt(w.fwd, opts);
      const fb = await timeIt(w.fwdBwd, opts);
      await w.dispose();
      prevMs = fb.ms;
      res.W2[n] = {
        fwdGflops: gf / (f.ms / 1e3),
        fwdBwdGflops: (3 * gf) / (fb.ms / 1e3),
        fwdMs: f.ms,
        fwdBwdMs: fb.ms,
        reps: [f.n, fb.n],
      };
      log('W2', n, res.W2[n]);
    }
  }
  if (which.includes('W3')) {
    const N = CFG.w3N;
    const w = await A.w3(N, randArray(N, 31), randArray(N, 32), randArray(N, 33));
    const f = await timeIt(w.fwd, { warmup: 3, reps: 20 });
    const fb = await timeIt(w.fwdBwd, { warmup: 3, reps: 20 });
    await w.dispose();
    res.W3 = { fwdMs: f.ms, fwdBwdMs: fb.ms, reps: [f.n, fb.n] };
    log('W3', res.W3);
  }
  if (which.includes('W4')) {
    const m = await A.mlp(mlpInit());
    const losses = [];
    for (let i = 0; i < 10; i++) losses.push(await m.step());
    const ts = [];
    for (let i = 0; i < CFG.w4Steps; i++) {
      const t = performance.now();
      losses.push(await m.step());
      ts.push(performance.now() - t);
    }
    await m.dispose();
    res.W4 = { msPerStep: median(ts), loss0: losses[0], loss60: losses.at(-1) };
    log('W4', res.W4);
  }
  return res;
}

/** W5 in this (fresh) process: 1,000 W4 steps with no disposal calls; peak RSS and its growth. */
export async function runW5(A, log) {
  const { CFG, mlpInit, rssMB, maxRssMB } = common;
  if (globalThis.gc) globalThis.gc();
  const rss0 = rssMB();
  const m = await A.mlp(mlpInit());
  const t = performance.now();
  let loss;
  for (let i = 0; i < CFG.w5Steps; i++) loss = await m.step();
  const W5 = {
    steps: CFG.w5Steps,
    rssStartMB: rss0,
    rssEndMB: rssMB(),
    peakRssMB: maxRssMB(),
    loss1000: loss,
    msPerStep: (performance.now() - t) / CFG.w5Steps,
    lib: A.memInfo ? A.memInfo() : '',
  };
  log('W5', W5);
  return W5;
}
