// `npm run bench [-- --vs-peers] [--peers=a,b] [--workloads=W1,W4,L1] [--quick] [--baseline=<rev>] [--repeat=3]`:
// tapegrad on the workloads of ../shared/peers (W1-W4 in one fresh process, W5 in another) and on the leak
// workloads L1-L3 (each in its own process), optionally the peers and/or a baseline build of another git
// revision in the same run, then a markdown table (with each peer's ratio to tapegrad) and the JSON in
// bench/results/. Needs `npm run build` first (the npm script does it): the bench measures the built package,
// as a user gets it. See bench/README.md.
// `--backend=webgpu [--vs-peers] [--w4-steps=1000] [--w4-model=w4|small] [--w4-gc-every=N] [--w4-timed=N]`: tapegrad
// (and tfjs-webgpu, jaxjs-webgpu[-jit]) on WebGPU, W2/W3/W4/W6/W7 and the buffer pool over W4's loop: run-webgpu.mjs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
if (flag('quick')) process.env.QUICK = '1';

const { runWorkloads, runW5, runW6, runW7, runLeak, common, sharedCommon } = await import('./workloads.mjs');
const { createAdapter } = await import('./peer-adapter.mjs');
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
const log = (...a) => console.error('[tapegrad]', ...a.map((x) => (typeof x === 'object' ? JSON.stringify(x) : x)));
const leakBudgetS = Number(option('leak-budget-s', '60'));
const leakMaxRssMB = Number(option('leak-max-rss-mb', '4096'));
const w6BudgetS = Number(option('w6-budget-s', '60'));

// Child mode: `--child=W1,W2` (W1-W4), `--child=W5` or `--child=L1` in a fresh process, on the build at
// `--dist=<path>` (default: TAPEGRAD_DIST, else this repo). Prints its JSON on stdout; the last line is the
// result (the leak workloads print partial records before it, in case the parent has to kill them).
const childOf = option('child');
const gpuBackend = option('backend');
if (gpuBackend !== undefined && gpuBackend !== 'webgpu') {
  console.error(`bench: unknown --backend=${gpuBackend} (webgpu; without it: the CPU)`);
  process.exit(2);
}
if (childOf) {
  // --backend=webgpu: tapegrad on webgpu, or with --lib=<name> one of the WebGPU peers (bench/peers/webgpu-peers.mjs)
  let A;
  if (option('lib')) A = (await import('./peers/webgpu-peers.mjs')).WEBGPU_PEERS[option('lib')]();
  else
    A = createAdapter(option('dist') ? path.resolve(option('dist')) : undefined, {
      ...(gpuBackend ? { backend: gpuBackend } : {}),
    });
  const info = await A.init();
  log(info);
  const list = childOf.split(',');
  let out;
  const w4 = option('w4-timed')
    ? { warmup: Number(option('w4-warmup', '10')), timed: Number(option('w4-timed')) }
    : undefined;
  if (list[0] === 'W5') out = { info, W5: await runW5(A, log) };
  else if (list[0] === 'W4pool') {
    const { runW4Pool } = await import('./workloads.mjs');
    const steps = Number(option('w4-steps', '1000'));
    out = {
      info,
      adapter: A.adapterName,
      W4pool: await runW4Pool(A, log, {
        steps,
        model: option('w4-model', 'w4'),
        gcEvery: Number(option('w4-gc-every', '0')),
      }),
    };
  } else if (list[0] === 'W6' || list[0] === 'W7') {
    out = { info };
    const guard = async (w, fn) => {
      try {
        out[w] = await fn();
      } catch (e) {
        log(w, 'failed:', e);
        out[w] = {
          error: String(e?.message ?? e)
            .split('\n')[0]
            .slice(0, 200),
        };
      }
    };
    if (list.includes('W6')) await guard('W6', () => runW6(A, log, { budgetS: w6BudgetS }));
    if (list.includes('W7')) await guard('W7', () => runW7(A, log));
  } else if (list[0].startsWith('L')) {
    const emit = (partial) => console.log(JSON.stringify({ info, [list[0]]: partial }));
    const rec = await runLeak(A, list[0], log, { budgetMs: leakBudgetS * 1000, maxRssMB: leakMaxRssMB, emit });
    out = { info, [list[0]]: rec };
  } else out = { info, ...(await runWorkloads(A, list, log, w4 ? { w4 } : {})) };
  if (A.adapterName) out.adapter = A.adapterName;
  console.log(JSON.stringify(out));
  process.exit(0);
}

// --backend=webgpu: its own parent (bench/run-webgpu.mjs); without --backend, the CPU bench below, unchanged.
if (gpuBackend) {
  const { runWebGpuBench } = await import('./run-webgpu.mjs');
  await runWebGpuBench({ option, flag, log, here, runChild, w6BudgetS });
  process.exit(0);
}

const which = option('workloads', 'W1,W2,W3,W4,W5,W6,W7,L1,L2,L3').split(',');
const main = which.filter((w) => /^W[1-4]$/.test(w));
const w67 = which.filter((w) => /^W[67]$/.test(w)); // issue 12: one child for tapegrad, bench/peers/ for the peers
const leaks = which.filter((w) => /^L[1-3]$/.test(w));
const unknown = which.filter((w) => !/^W[1-7]$|^L[1-3]$/.test(w));
if (unknown.length) {
  console.error(`bench: unknown workloads ${unknown.join(', ')} (W1-W7, L1-L3)`);
  process.exit(2);
}
const peersFolder = path.resolve(here, '../../shared/peers');
const vsPeers = flag('vs-peers');
const peerNames = option('peers', 'tfjs-cpu,tfjs-wasm,jaxjs-wasm,jaxjs-wasm-jit,js-mini,torch').split(',');
const baselineRev = option('baseline');
const baselineOnly = flag('baseline-only');
const repeat = Math.max(1, Number(option('repeat', '1')) | 0);
if (baselineOnly && !baselineRev) {
  console.error('bench: --baseline-only needs --baseline=<rev>');
  process.exit(2);
}

/**
 * The JSON on the last line of a node child's stdout that parses (or an error record). A child that fails or
 * is killed (`timeoutS`) keeps the last record it printed, with the error added.
 */
function runChild(argv, env = {}, { nodeArgs = [], timeoutS, exe = process.execPath } = {}) {
  const r = spawnSync(exe, [...nodeArgs, ...argv], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
    ...(timeoutS ? { timeout: timeoutS * 1000, killSignal: 'SIGKILL' } : {}),
  });
  let last;
  for (const line of (r.stdout ?? '').trim().split('\n').reverse()) {
    try {
      last = JSON.parse(line);
      break;
    } catch {
      // an earlier line, then
    }
  }
  if (r.status === 0 && last) return last;
  const why = r.signal
    ? `killed (${r.signal}${r.error?.code === 'ETIMEDOUT' ? `, after ${timeoutS} s` : ''})`
    : `exited with ${r.status}`;
  return { ...last, error: `${argv.join(' ')} ${why}` };
}

/** tapegrad's workloads on one build (`dist` undefined: this repo's), each group in a fresh process. */
function runBuild(label, dist) {
  const d = dist ? [`--dist=${dist}`] : [];
  const record = { peer: label };
  const quick = common.QUICK ? { QUICK: '1' } : {};
  log(`${label}: ${which.join(',')}`);
  if (main.length)
    Object.assign(record, runChild([path.join(here, 'run.mjs'), `--child=${main.join(',')}`, ...d], quick));
  if (w67.length) {
    const argv = [path.join(here, 'run.mjs'), `--child=${w67.join(',')}`, ...d, `--w6-budget-s=${w6BudgetS}`];
    const r = runChild(argv, quick);
    for (const w of w67) record[w] = r[w] ?? { error: r.error };
    record.info ??= r.info;
  }
  if (which.includes('W5')) {
    const r = runChild([path.join(here, 'run.mjs'), '--child=W5', ...d], quick);
    record.W5 = r.W5 ?? { error: r.error };
    record.info ??= r.info;
  }
  for (const L of leaks) {
    const argv = [
      path.join(here, 'run.mjs'),
      `--child=${L}`,
      ...d,
      `--leak-budget-s=${leakBudgetS}`,
      `--leak-max-rss-mb=${leakMaxRssMB}`,
    ];
    const r = runChild(argv, quick, { nodeArgs: ['--expose-gc'], timeoutS: leakBudgetS + 120 });
    record[L] = r[L]
      ? { ...r[L], ...(r.error ? { error: r.error, pass: { all: false } } : {}) }
      : { error: r.error, pass: { all: false } };
    record.info ??= r.info;
  }
  return record;
}

/** The per-field median of several runs' records (numbers: the median; booleans: all true; else the first). */
function medianOf(records) {
  const xs = records.filter((r) => r !== undefined);
  if (xs.length <= 1) return xs[0];
  if (xs.every((x) => typeof x === 'number')) return common.median(xs);
  if (xs.every((x) => typeof x === 'boolean')) return xs.every(Boolean);
  if (xs.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
    const keys = [...new Set(xs.flatMap((x) => Object.keys(x)))];
    return Object.fromEntries(keys.map((k) => [k, medianOf(xs.map((x) => x[k]))]));
  }
  return xs[0];
}

/** `--baseline=<rev>`: that revision in a temporary git worktree, built with its own scripts/build.mjs. */
function prepareBaseline(rev) {
  const git = (...a) => {
    const r = spawnSync('git', a, { cwd: repoRoot, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${a.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout.trim();
  };
  const sha = git('rev-parse', '--verify', `${rev}^{commit}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-baseline-'));
  const dir = path.join(tmp, 'tree');
  const base = {
    rev,
    sha,
    dir,
    label: `baseline ${rev === sha.slice(0, rev.length) ? sha.slice(0, 7) : `${rev} (${sha.slice(0, 7)})`}`,
  };
  base.cleanup = () => {
    if (base.cleaned) return;
    base.cleaned = true;
    fs.rmSync(path.join(dir, 'node_modules'), { force: true }); // the symlink only, never what it points to
    spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: repoRoot, stdio: 'inherit' });
    fs.rmSync(tmp, { recursive: true, force: true });
    log(`removed the baseline worktree ${dir}`);
  };
  git('worktree', 'add', '--detach', dir, sha);
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  log(`building ${base.label} in ${dir}`);
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], {
    cwd: dir,
    stdio: ['ignore', process.stderr, 'inherit'],
  }); // stdout: the report only
  if (b.status !== 0) {
    base.cleanup();
    throw new Error(`the build of ${rev} failed`);
  }
  return base;
}

/** The peers bench/peers/w67.mjs runs W6 and W7 on. */
const W67_PEERS = ['tfjs-cpu', 'tfjs-wasm', 'jaxjs-wasm', 'jaxjs-wasm-jit'];

/**
 * PyTorch on the CPU (bench/peers/torch_bench.py) on W4, W6 and W7, with the first Python that imports torch:
 * `python3` on PATH, else /usr/bin/python3 (Debian's python3-torch); `--python=<exe>` picks one. Skipped with a
 * note when none does.
 */
function runTorch() {
  const list = which.filter((w) => /^W[467]$/.test(w));
  if (!list.length) return { peer: 'torch', skipped: 'none of W4, W6, W7 selected' };
  const candidates = option('python') ? [option('python')] : ['python3', '/usr/bin/python3'];
  const python = candidates.find(
    (exe) => spawnSync(exe, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 }).status === 0,
  );
  if (!python) {
    const note = `skipped: no Python with torch among ${candidates.join(', ')} (Debian: apt-get install python3-torch)`;
    console.error(`bench: torch ${note}`);
    return { peer: 'torch', skipped: note, info: note };
  }
  console.error(`bench: torch: ${python} bench/peers/torch_bench.py ${list.join(',')}`);
  const r = runChild(
    [path.join(here, 'peers', 'torch_bench.py'), list.join(','), `--w6-budget-s=${w6BudgetS}`],
    {},
    {
      exe: python,
      timeoutS: 1800,
    },
  );
  return { peer: 'torch', ...r };
}

/** Whether the JavaScript peers can run: ../shared/peers is there (installed once, before the first round). */
let jsPeers = false;
if (vsPeers) {
  jsPeers = fs.existsSync(path.join(peersFolder, 'run.mjs'));
  if (!jsPeers)
    console.error(`bench: the JavaScript peers need ${peersFolder}/run.mjs; running tapegrad (and PyTorch) only`);
  else if (peerNames.some((p) => p.startsWith('tfjs') || p.startsWith('jaxjs'))) {
    const r = spawnSync('bash', [path.join(peersFolder, 'install.sh')], { stdio: 'inherit' });
    if (r.status !== 0) console.error('bench: the peers could not be installed; their runs will fail');
  }
}

/** One run of every selected peer (and PyTorch) on the selected workloads: their records by name. */
function runPeers() {
  const peers = {};
  for (const p of peerNames) {
    if (p === 'torch') {
      peers.torch = runTorch();
      continue;
    }
    if (!jsPeers) continue;
    const resultsDir = path.join(here, 'results', 'peers');
    const peerMain = p === 'jaxjs-wasm-jit' ? main.filter((w) => w === 'W4') : main;
    const record = { peer: p };
    if (peerMain.length)
      Object.assign(
        record,
        runChild([path.join(peersFolder, 'run.mjs'), p, peerMain.join(',')], { RESULTS_DIR: resultsDir }),
      );
    if (which.includes('W5'))
      record.W5 = runChild([path.join(peersFolder, 'run.mjs'), p, 'W5'], { RESULTS_DIR: resultsDir }).W5;
    if (w67.length && W67_PEERS.includes(p)) {
      // a slow peer caps itself (bench/data.mjs); the timeout is for a hung one
      const r = runChild(
        [path.join(here, 'peers', 'w67.mjs'), p, w67.join(','), `--w6-budget-s=${w6BudgetS}`],
        {},
        { timeoutS: 1800 },
      );
      for (const w of w67) record[w] = r[w] ?? { error: r.error };
      record.info ??= r.info;
    }
    peers[p] = record;
  }
  return peers;
}

const results = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, quick: common.QUICK };
results.loadBefore = os.loadavg();
results.definitions = sharedCommon ? '../shared/peers/common.mjs' : 'bench/common.mjs';
results.peers = {};

let baseline;
const onSignal = () => {
  baseline?.cleanup();
  process.exit(130);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
try {
  if (baselineRev) baseline = prepareBaseline(baselineRev);
  const rounds = [];
  for (let i = 0; i < repeat; i++) {
    // Alternating order (ours first, then baseline first, ...), so a drift in load hits both alike.
    // With --vs-peers, the peers run in every round too, before ours in every other round.
    const round = {};
    const order = i % 2 ? ['peers', 'baseline', 'ours'] : ['ours', 'baseline', 'peers'];
    for (const who of order) {
      if (who === 'ours' && !baselineOnly) round.tapegrad = runBuild('tapegrad', undefined);
      if (who === 'baseline' && baseline) round.baseline = runBuild(baseline.label, baseline.dir);
      if (who === 'peers' && vsPeers) round.peers = runPeers();
    }
    if (repeat > 1) log(`round ${i + 1} of ${repeat} done`);
    rounds.push(round);
  }
  if (repeat > 1) results.rounds = rounds;
  results.repeat = repeat;
  results.tapegrad = medianOf(rounds.map((r) => r.tapegrad)) ?? { peer: 'tapegrad', info: 'not run (--baseline-only)' };
  if (baseline) {
    results.baseline = { rev: baseline.rev, sha: baseline.sha, label: baseline.label };
    results.peers[baseline.label] = medianOf(rounds.map((r) => r.baseline));
  }
  for (const p of vsPeers ? peerNames : []) {
    const record = medianOf(rounds.map((r) => r.peers?.[p]));
    if (record !== undefined) results.peers[p] = record;
  }
} finally {
  baseline?.cleanup();
}

results.loadAfter = os.loadavg();

const { report, baselineCheck } = await import('./report.mjs');
if (baseline) results.baselineCheck = baselineCheck(results);
const text = report(results);
console.log(text);
const dir = path.join(here, 'results');
fs.mkdirSync(dir, { recursive: true });
const stamp = results.date.replace(/[:.]/g, '-');
fs.writeFileSync(path.join(dir, `bench-${stamp}.json`), JSON.stringify(results, null, 1));
fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(results, null, 1));
fs.writeFileSync(path.join(dir, 'latest.md'), text + '\n');
console.error(`bench: wrote ${path.relative(process.cwd(), path.join(dir, `bench-${stamp}.json`))} and latest.md`);
process.exit(0);
