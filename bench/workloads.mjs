// Runs W1-W5 on one adapter exactly as ../shared/peers/run.mjs does (same sizes, warm-ups, repetitions and
// budgets), so tapegrad's numbers and the peers' are measured by the same rules.
import fs from 'node:fs';
import { mlpInitSized } from './common.mjs';

const shared = new URL('../../shared/peers/common.mjs', import.meta.url);
/** The peers' definitions when ../shared/peers is there, else bench/common.mjs (a copy of them). */
export const common = await import(fs.existsSync(shared) ? shared.href : new URL('./common.mjs', import.meta.url).href);
export const sharedCommon = fs.existsSync(shared);

/**
 * W1-W4 (those in `which`) on adapter `A`; returns the result object in the peers' JSON format. `w4` (webgpu on
 * SwiftShader, where a W4 step takes seconds): `{ warmup, timed }` W4 steps instead of 10 and 50; the record then
 * says how many ran, and `loss60` is the loss of its last step (`lastStep`).
 */
export async function runWorkloads(A, which, log, { w4 } = {}) {
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
    for (let i = 0; i < (w4?.warmup ?? 10); i++) losses.push(await m.step());
    const ts = [];
    for (let i = 0; i < (w4?.timed ?? CFG.w4Steps); i++) {
      const t = performance.now();
      losses.push(await m.step());
      ts.push(performance.now() - t);
    }
    await m.dispose();
    res.W4 = { msPerStep: median(ts), loss0: losses[0], loss60: losses.at(-1) };
    if (w4) Object.assign(res.W4, { warmup: w4.warmup, timedSteps: ts.length, lastStep: losses.length });
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

/**
 * The leak workloads of issue 9 (tapegrad only): tapes that are never stopped nor asked for a gradient must
 * not slow down or grow the process. Each runs in a fresh process (`node --expose-gc`; gc() only outside the
 * timed loops), stops after `budgetMs` of wall time or past `maxRssMB`, and then reports how far it got.
 */
export const LEAK = {
  steps: 20_000, // L1, L2: steps of one forgotten tape and a few ops each
  window: 1_000, // L1, L2: ms/step is reported per window of this many steps
  tapes: 5_000, // L3: forgotten tapes made between the two timings
  adds: 20_000, // L3: adds per timed repetition
  reps: 5, // L3: timed repetitions (the median), after one warm-up
  maxRatio: 1.5, // targets: last/first window (L1, L2), after/before (L3)
  maxGrowthMB: 50, // target: RSS growth over the L1/L2 loop
};
if (common.QUICK) Object.assign(LEAK, { steps: 3_000, tapes: 500, reps: 3 });

const gc = () => globalThis.gc?.();
const heapMB = () => process.memoryUsage().heapUsed / 2 ** 20;

/**
 * L1/L2 (forgotten tapes over 20,000 steps) or L3 (an unrelated op's time before and after 5,000 forgotten
 * tapes) on adapter `A`. `emit(partial)` gets the record so far at each checkpoint, so that a parent that has to
 * kill this process still has numbers.
 */
export async function runLeak(A, name, log, { budgetMs = 60_000, maxRssMB = 4096, emit = () => {} } = {}) {
  const { rssMB, median } = common;
  const over = (t0) => (performance.now() - t0 > budgetMs ? `stopped by the ${budgetMs / 1000} s budget` : '');
  if (name === 'L1' || name === 'L2') {
    const step = await A.leakStep(name);
    gc();
    const rec = { steps: LEAK.steps, stepsDone: 0, windowSteps: LEAK.window, msPerStepWindows: [] };
    rec.rssStartMB = rssMB();
    rec.heapStartMB = heapMB();
    const t0 = performance.now();
    let w0 = t0;
    while (rec.stepsDone < LEAK.steps) {
      step();
      rec.stepsDone++;
      const now = performance.now();
      if (rec.stepsDone % LEAK.window === 0) {
        rec.msPerStepWindows.push((now - w0) / LEAK.window);
        w0 = now;
        rec.wallS = (now - t0) / 1000;
        rec.rssMB = rssMB();
        emit({ ...rec, partial: true });
        if (rec.rssMB > maxRssMB) rec.stopped = `stopped at ${rec.rssMB.toFixed(0)} MiB RSS (limit ${maxRssMB})`;
      }
      if (!rec.stopped && over(t0)) rec.stopped = over(t0);
      if (rec.stopped) break;
    }
    const t1 = performance.now();
    rec.wallS = (t1 - t0) / 1000;
    const tail = rec.stepsDone % LEAK.window;
    if (tail) rec.partialWindow = { steps: tail, msPerStep: (t1 - w0) / tail };
    rec.rssEndMB = rssMB();
    gc();
    rec.rssEndGcMB = rssMB();
    rec.heapEndGcMB = heapMB();
    rec.peakRssMB = common.maxRssMB();
    rec.completed = rec.stepsDone === LEAK.steps;
    const ws = rec.msPerStepWindows;
    rec.firstMsPerStep = ws[0] ?? rec.partialWindow?.msPerStep;
    rec.lastMsPerStep = ws.at(-1) ?? rec.partialWindow?.msPerStep;
    rec.ratio = rec.lastMsPerStep / rec.firstMsPerStep;
    rec.rssGrowthMB = rec.rssEndGcMB - rec.rssStartMB; // after gc(): what the loop left behind
    rec.heapGrowthMB = rec.heapEndGcMB - rec.heapStartMB;
    rec.pass = {
      completed: rec.completed,
      ratio: rec.completed && rec.ratio <= LEAK.maxRatio,
      rss: rec.completed && rec.rssGrowthMB < LEAK.maxGrowthMB,
    };
    rec.pass.all = rec.pass.completed && rec.pass.ratio && rec.pass.rss;
    log(name, rec);
    return rec;
  }
  if (name !== 'L3') throw new Error(`unknown leak workload ${name}`);
  const { add, forget, warm } = await A.leakUnrelated();
  const t0 = performance.now();
  let cut = false; // a timing stopped short by the budget
  /** µs per add over up to LEAK.adds adds (fewer when the budget runs out). */
  const timeAdds = () => {
    gc();
    const t = performance.now();
    let i = 0;
    while (i < LEAK.adds) {
      add();
      if (++i % 1024 === 0 && over(t0)) {
        cut = true;
        break;
      }
    }
    return (1000 * (performance.now() - t)) / i;
  };
  const rec = { tapes: LEAK.tapes, adds: LEAK.adds, tapesDone: 0 };
  for (let i = 0; i < 500; i++) warm(); // recorded ops, on tapes stopped at once
  for (let i = 0; i < 3; i++) timeAdds(); // warm-up
  const before = [];
  for (let r = 0; r < LEAK.reps; r++) before.push(timeAdds());
  rec.usPerAddBefore = median(before);
  rec.usPerAddBeforeRuns = before;
  emit({ ...rec, partial: true });
  const tf = performance.now();
  while (rec.tapesDone < LEAK.tapes && !(rec.tapesDone % 256 === 0 && over(t0))) {
    forget();
    rec.tapesDone++;
  }
  rec.msForgetting = performance.now() - tf;
  emit({ ...rec, partial: true });
  const after = [];
  for (let r = 0; r < LEAK.reps && !cut && (r === 0 || !over(t0)); r++) after.push(timeAdds());
  rec.usPerAddAfter = median(after);
  rec.usPerAddAfterRuns = after;
  rec.ratio = rec.usPerAddAfter / rec.usPerAddBefore;
  rec.completed = rec.tapesDone === LEAK.tapes && after.length === LEAK.reps && !cut;
  if (!rec.completed) rec.stopped = `stopped by the ${budgetMs / 1000} s budget`;
  rec.wallS = (performance.now() - t0) / 1000;
  rec.pass = { completed: rec.completed, ratio: rec.completed && rec.ratio <= LEAK.maxRatio };
  rec.pass.all = rec.pass.completed && rec.pass.ratio;
  log(name, rec);
  return rec;
}

// ---------------------------------------------------------------------------------------------------------
// W6 and W7 (issue 12): definitions in bench/data.mjs. The same two runners measure tapegrad (here, through
// bench/peer-adapter.mjs) and the JavaScript peers (bench/peers/w67.mjs); bench/peers/torch_bench.py does the
// same in Python. Adapter contract:
//   mlpAdam(init) -> { step(X, Y, n) -> loss number, logits(X, n) -> n·10 numbers, dispose() }   (W6)
//   cnn(init)     -> { step() -> loss number, dispose() }                                        (W7)
// X, Y: fresh Float32Arrays (n·784 row-major images, n·10 one-hot labels); step returns the pre-update loss.

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * W6: one epoch of the Fashion-MNIST MLP with Adam, timed as a whole (batch gathering included; the batches
 * are the same code for every library). After step 2, a library whose mean of steps 1-2 projects the epoch
 * over `budgetS` stops there: its epoch time is that mean × the steps (`projected: true`), with no accuracy.
 * A completed epoch is followed (untimed) by the accuracy on the test images.
 */
export async function runW6(A, log, { budgetS } = {}) {
  const D = await import('./data.mjs');
  const missing = D.fashionMissing();
  if (missing) {
    log('W6 skipped:', missing);
    return { skipped: missing };
  }
  if (!A.mlpAdam) return { skipped: `${A.name} has no mlpAdam` };
  const data = D.loadFashion();
  const { batch, out } = D.W6;
  const budget = (budgetS ?? D.W6.budgetS) * 1000;
  const n = data.train.n;
  const steps = D.W6.steps ?? Math.ceil(n / batch);
  const perm = D.permutation(n, D.W6.shuffleSeed);
  const m = await A.mlpAdam(D.w6Init());
  const losses = [];
  const ts = [];
  let capped;
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    const t = performance.now();
    const rows = Math.min(batch, n - s * batch);
    const { X, Y } = D.gatherBatch(data.train.images, data.train.labels, perm, s * batch, rows, out);
    losses.push(await m.step(X, Y, rows));
    ts.push(performance.now() - t);
    if (s === 2 && steps > 3 && mean(ts.slice(1, 3)) * steps > budget) {
      capped = `projected epoch ${((mean(ts.slice(1, 3)) * steps) / 1000).toFixed(0)} s > ${budget / 1000} s budget: stopped after 3 steps`;
      break;
    }
  }
  const wallMs = performance.now() - t0;
  const r = {
    steps,
    stepsDone: losses.length,
    batch,
    projected: !!capped,
    epochMs: capped ? mean(ts.slice(1, 3)) * steps : wallMs,
    msPerStep: capped ? mean(ts.slice(1, 3)) : wallMs / steps,
    medianMsPerStep: common.median(ts.slice(1)),
    loss0: losses[0],
    loss1: losses[1],
    loss2: losses[2],
    losses: Object.fromEntries(
      [0, 1, 2, 10, 100, 200, 300, 400, steps - 1].filter((i) => i < losses.length).map((i) => [i, losses[i]]),
    ),
    ...(capped ? { capped } : {}),
  };
  if (!capped) {
    const last = losses.slice(-D.W6.lastLosses);
    r.finalLoss = mean(last);
    r.finalLossSteps = last.length;
    const nTest = D.W6.testImages ?? data.test.n;
    let correct = 0;
    const chunk = 2000;
    for (let from = 0; from < nTest; from += chunk) {
      const rows = Math.min(chunk, nTest - from);
      const { X } = D.gatherBatch(data.test.images, data.test.labels, null, from, rows, out);
      const z = await m.logits(X, rows);
      for (let i = 0; i < rows; i++) {
        let best = 0;
        for (let c = 1; c < out; c++) if (z[i * out + c] > z[i * out + best]) best = c;
        if (best === data.test.labels[from + i]) correct++;
      }
    }
    r.testImages = nTest;
    r.testAccuracy = correct / nTest;
  }
  await m.dispose?.();
  log('W6', r);
  return r;
}

/**
 * W7: CNN training steps on one batch. `W7.warmup` untimed steps, then `W7.timed` timed steps: the median ms/step,
 * and the loss of the last step. A library whose steps 1-2 average over `W7.capMs` stops after them (1 warm-up, 2
 * timed steps, `capped`).
 */
export async function runW7(A, log) {
  const D = await import('./data.mjs');
  if (!A.cnn) return { skipped: `${A.name} has no cnn` };
  const { warmup, timed, capMs } = D.W7;
  let m;
  const losses = [];
  const ts = [];
  let capped;
  try {
    m = await A.cnn(D.w7Init());
    for (let s = 0; s < warmup + timed; s++) {
      const t = performance.now();
      losses.push(await m.step());
      ts.push(performance.now() - t);
      if (s === 2 && warmup >= 3 && mean(ts.slice(1, 3)) > capMs) {
        capped = `steps 1-2 took ${mean(ts.slice(1, 3)).toFixed(0)} ms > ${capMs} ms: stopped after 3 steps`;
        break;
      }
    }
  } catch (e) {
    const error = String(e?.message ?? e)
      .split('\n')[0]
      .slice(0, 200);
    log('W7 unsupported:', error);
    return { unsupported: error };
  }
  const timedTs = capped ? ts.slice(1, 3) : ts.slice(warmup);
  const r = {
    batch: D.W7.batch,
    msPerStep: common.median(timedTs),
    timedSteps: timedTs.length,
    firstStepMs: ts[0],
    loss0: losses[0],
    loss1: losses[1],
    loss2: losses[2],
    lastStep: losses.length - 1,
    lossLast: losses.at(-1),
    ...(capped ? { capped } : {}),
  };
  await m.dispose?.();
  log('W7', r);
  return r;
}

// ---------------------------------------------------------------------------------------------------------
// `--backend=webgpu`: the GPU buffer pool over W4's training loop (issue 14). The adapter must have gpuStats().

/** The W4 shapes, and the smaller model run on SwiftShader by default (a CPU emulation; see bench/README.md). */
export const W4_POOL_MODELS = {
  w4: { batch: 128, inp: 784, hid: 256, out: 10, lr: 0.1 },
  small: { batch: 32, inp: 784, hid: 32, out: 10, lr: 0.1 },
};

/**
 * W4 on the webgpu backend for `steps` steps with no dispose(), the loss awaited (read back) every step: the pool's
 * bytesInUse / bytesFree at steps 10, 100, 200, 500, 1,000 (those ≤ steps) and at the last step, and the ratio of
 * the last step's to step 100's (target ≤ 1.5). GPU buffers go back to the pool when V8 collects the tensors that
 * hold them (a FinalizationRegistry, whose callbacks run between tasks): nothing here calls gc() inside the loop.
 * After the loop, `gc()` (when the process has --expose-gc) and two macrotask turns, then the counts again
 * (`afterGc`): what a collection returns, reported separately, never in place of the loop's numbers.
 */
export async function runW4Pool(A, log, { steps = 1000, model = 'w4', gcEvery = 0 } = {}) {
  const shape = W4_POOL_MODELS[model];
  if (!shape) throw new Error(`unknown --w4-model=${model} (${Object.keys(W4_POOL_MODELS).join(', ')})`);
  const m = await A.mlp(mlpInitSized(shape));
  const at = new Set([10, 100, 200, 500, 1000, steps].filter((s) => s <= steps));
  const checkpoints = {};
  const stats0 = A.gpuStats();
  const t0 = performance.now();
  let loss;
  let loss0;
  // bytesInUse after every step in the window of `win` steps ending at step 100 and at the last step: the point
  // values swing with the collector's timing, the windows' maxima do not as much
  const win = Math.min(50, Math.max(1, Math.floor(steps / 4)));
  const refStep = Math.min(100, steps);
  const windows = { ref: [], last: [] };
  for (let s = 1; s <= steps; s++) {
    loss = await m.step();
    if (s === 1) loss0 = loss;
    // --w4-gc-every=N (a variant, reported as such): gc() every N steps, then a macrotask turn for the registry
    if (gcEvery && s % gcEvery === 0 && globalThis.gc) {
      globalThis.gc();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (s > refStep - win && s <= refStep) windows.ref.push(A.gpuStats().bytesInUse);
    if (s > steps - win) windows.last.push(A.gpuStats().bytesInUse);
    if (at.has(s)) {
      const st = A.gpuStats();
      checkpoints[s] = {
        bytesInUse: st.bytesInUse,
        bytesFree: st.bytesFree,
        dispatches: st.dispatches - stats0.dispatches,
        ms: performance.now() - t0,
        heapMB: process.memoryUsage().heapUsed / 2 ** 20,
      };
      log('W4pool', s, checkpoints[s]);
    }
  }
  const wallMs = performance.now() - t0;
  const turn = () => new Promise((resolve) => setTimeout(resolve, 0));
  let afterGc;
  if (globalThis.gc) {
    globalThis.gc();
    await turn();
    await turn();
    const st = A.gpuStats();
    afterGc = { bytesInUse: st.bytesInUse, bytesFree: st.bytesFree };
  }
  const ref = checkpoints[refStep];
  const summary = (xs) => ({
    from: xs.length,
    min: Math.min(...xs),
    max: Math.max(...xs),
    mean: xs.reduce((a, b) => a + b, 0) / xs.length,
  });
  const last = checkpoints[steps];
  const r = {
    model,
    shape,
    ...(gcEvery ? { gcEvery } : {}),
    steps,
    refStep,
    window: win,
    windows: { ref: summary(windows.ref), last: summary(windows.last) },
    msPerStep: wallMs / steps,
    dispatchesPerStep: (last.dispatches - (checkpoints[10]?.dispatches ?? 0)) / (steps - (checkpoints[10] ? 10 : 0)),
    loss0,
    lossLast: loss,
    checkpoints,
    ratioInUse: last.bytesInUse / ref.bytesInUse,
    ratioFree: ref.bytesFree ? last.bytesFree / ref.bytesFree : undefined,
    ratioTotal: (last.bytesInUse + last.bytesFree) / (ref.bytesInUse + ref.bytesFree),
    ratioWindowMax: summary(windows.last).max / summary(windows.ref).max,
    ...(afterGc ? { afterGc } : {}),
  };
  r.pass = r.ratioInUse <= 1.5;
  log('W4pool', r);
  return r;
}
