// `npm run bench -- --backend=webgpu [--vs-peers] [--workloads=W2,W4] [--w4-steps=1000] [--w4-model=w4|small]`:
// tapegrad on its webgpu backend (W2, W3, W4, W6, W7 and the pool over W4's loop, "W4pool"), optionally
// TensorFlow.js's and jax-js's WebGPU backends on the same adapter in the same run, each group in a fresh Node
// process (bench/run.mjs --child=... --backend=webgpu [--lib=<peer>]). Called by bench/run.mjs; see bench/README.md.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SWIFTSHADER_ICD, dawnEnv, isSwiftShader, webgpuResults } from './webgpu.mjs';

const ALL = ['W2', 'W3', 'W4', 'W6', 'W7'];
const DEFAULT_PEERS = 'tfjs-webgpu,jaxjs-webgpu,jaxjs-webgpu-jit';

/** The adapter Dawn gives a child with `env` (its name, or null), by `node bench/webgpu.mjs --probe`. */
function probe(here, env) {
  const r = spawnSync(process.execPath, [path.join(here, 'webgpu.mjs'), '--probe'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  try {
    return JSON.parse(r.stdout.trim().split('\n').at(-1)).adapter;
  } catch {
    return null;
  }
}

export async function runWebGpuBench({ option, flag, log, here, runChild, w6BudgetS }) {
  const { common, sharedCommon } = await import('./workloads.mjs');
  const quick = common.QUICK ? { QUICK: '1' } : {};
  const which = option('workloads', [...ALL, 'W4pool'].join(',')).split(',');
  const bad = which.filter((w) => ![...ALL, 'W4pool'].includes(w));
  if (bad.length) {
    console.error(`bench --backend=webgpu: ${bad.join(', ')} not run on webgpu (W2, W3, W4, W6, W7; W4pool)`);
    process.exit(2);
  }
  // W4 selected: the pool measurement comes with it
  if (which.includes('W4') && !which.includes('W4pool')) which.push('W4pool');

  // The adapter: Dawn's default (VK_ICD_FILENAMES as set, or the system's Vulkan drivers); with none, SwiftShader's
  // ICD when Debian's chromium-common has it (--swiftshader: that at once).
  let icd;
  let adapter = flag('swiftshader') ? null : probe(here, dawnEnv());
  if (!adapter && !process.env.VK_ICD_FILENAMES && fs.existsSync(SWIFTSHADER_ICD)) {
    icd = SWIFTSHADER_ICD;
    adapter = probe(here, dawnEnv(icd));
  }
  if (!adapter) {
    console.error(
      'bench --backend=webgpu: Dawn found no adapter (no Vulkan driver; set VK_ICD_FILENAMES, e.g. to ' +
        `${SWIFTSHADER_ICD} for SwiftShader, a CPU emulation)`,
    );
    process.exit(1);
  }
  const swift = isSwiftShader(adapter);
  log(`webgpu adapter: ${adapter}${icd ? ` (VK_ICD_FILENAMES=${icd})` : ''}`);
  const env = { ...dawnEnv(icd), ...quick };

  // W4 timing and the pool run: on SwiftShader a W4 step (128×784×256) takes about 1.6 s, so fewer timed steps
  // and, for the pool over 1,000 steps, a smaller model (W4_POOL_MODELS.small in workloads.mjs) unless asked.
  const w4Timed = option('w4-timed', swift ? '10' : undefined);
  const w4Warmup = option('w4-warmup', swift ? '3' : '10');
  const w4Args = w4Timed ? [`--w4-timed=${w4Timed}`, `--w4-warmup=${w4Warmup}`] : [];
  const w4Steps = Number(option('w4-steps', '1000'));
  const w4Model = option('w4-model', swift ? 'small' : 'w4');

  const main = which.filter((w) => /^W[2-4]$/.test(w));
  const w67 = which.filter((w) => /^W[67]$/.test(w));
  const run = (lib, list, extra = [], nodeArgs = []) =>
    runChild(
      [
        path.join(here, 'run.mjs'),
        `--child=${list.join(',')}`,
        '--backend=webgpu',
        ...(lib ? [`--lib=${lib}`] : []),
        ...extra,
      ],
      env,
      { nodeArgs, timeoutS: 1800 },
    );

  /** One library's record: W2-W4 in one process, W6-W7 in another (and tapegrad's pool run in a third). */
  function runLib(lib, label) {
    const record = { peer: label };
    const mainHere = lib === 'jaxjs-webgpu-jit' ? main.filter((w) => w === 'W4') : main;
    log(`${label} (webgpu): ${[...mainHere, ...w67].join(',')}`);
    if (mainHere.length) Object.assign(record, run(lib, mainHere, w4Args));
    if (w67.length) {
      const r = run(lib, w67, [`--w6-budget-s=${w6BudgetS}`]);
      for (const w of w67) record[w] = r[w] ?? { error: r.error };
      record.info ??= r.info;
      record.adapter ??= r.adapter;
    }
    return record;
  }

  const results = {
    ...webgpuResults({ common, adapter, swift, timed: w4Timed, warmup: w4Warmup, extra: icd ? { icd } : {} }),
    definitions: sharedCommon ? '../shared/peers/common.mjs' : 'bench/common.mjs',
    peers: {},
  };
  results.tapegrad = runLib(undefined, 'tapegrad');
  if (which.includes('W4pool')) {
    log(`tapegrad (webgpu): W4pool, ${w4Steps} steps, model ${w4Model}`);
    const gcEvery = option('w4-gc-every');
    const extra = [`--w4-steps=${w4Steps}`, `--w4-model=${w4Model}`, ...(gcEvery ? [`--w4-gc-every=${gcEvery}`] : [])];
    const r = run(undefined, ['W4pool'], extra, ['--expose-gc']);
    results.tapegrad.W4pool = r.W4pool ?? { error: r.error };
    results.tapegrad.info ??= r.info;
  }

  if (flag('vs-peers')) {
    const names = option('peers', DEFAULT_PEERS).split(',');
    const unknown = names.filter((p) => !DEFAULT_PEERS.split(',').includes(p));
    if (unknown.length) {
      console.error(`bench --backend=webgpu: unknown peers ${unknown.join(', ')} (${DEFAULT_PEERS})`);
      process.exit(2);
    }
    const install = path.resolve(here, '../../shared/peers/install.sh');
    if (fs.existsSync(install)) {
      const r = spawnSync('bash', [install], { stdio: ['ignore', process.stderr, 'inherit'] });
      if (r.status !== 0) console.error('bench: the peers could not be installed; their runs will fail');
    } else console.error(`bench: no ${install}; the WebGPU peers need it (or PEERS_DIR with them installed)`);
    for (const p of names) results.peers[p] = runLib(p, p);
  }
  results.loadAfter = os.loadavg();

  const { report } = await import('./report.mjs');
  const text = report(results);
  console.log(text);
  const dir = path.join(here, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const stamp = results.date.replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(dir, `bench-webgpu-${stamp}.json`), JSON.stringify(results, null, 1));
  fs.writeFileSync(path.join(dir, 'latest-webgpu.json'), JSON.stringify(results, null, 1));
  fs.writeFileSync(path.join(dir, 'latest-webgpu.md'), text + '\n');
  console.error(`bench: wrote bench/results/bench-webgpu-${stamp}.json and latest-webgpu.md`);
}
