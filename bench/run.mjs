// `npm run bench [-- --vs-peers] [--peers=a,b] [--workloads=W1,W4] [--quick]`: tapegrad on the workloads of
// ../shared/peers (W1-W4 in this process, W5 in a fresh one), optionally the peers in the same run, then a
// markdown table (with each peer's ratio to tapegrad) and the JSON in bench/results/. Needs `npm run build`
// first (the npm script does it): the bench measures the built package, as a user gets it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
if (flag('quick')) process.env.QUICK = '1';

const { runWorkloads, runW5, common, sharedCommon } = await import('./workloads.mjs');
const { default: tapegrad } = await import('./peer-adapter.mjs');
const here = path.dirname(fileURLToPath(import.meta.url));
const log = (...a) => console.error('[tapegrad]', ...a.map((x) => (typeof x === 'object' ? JSON.stringify(x) : x)));

// Child mode: W5 alone in a fresh process (peak RSS is per process); prints its JSON on the last line.
if (flag('w5-child')) {
  await tapegrad.init();
  console.log(JSON.stringify(await runW5(tapegrad, log)));
  process.exit(0);
}

const which = option('workloads', 'W1,W2,W3,W4,W5').split(',');
const main = which.filter((w) => w !== 'W5');
const peersFolder = path.resolve(here, '../../shared/peers');
const vsPeers = flag('vs-peers');
const peerNames = option('peers', 'tfjs-cpu,tfjs-wasm,jaxjs-wasm,jaxjs-wasm-jit,js-mini').split(',');

/** The last stdout line of a node child as JSON (or an error record). */
function runChild(argv, env = {}) {
  const r = spawnSync(process.execPath, argv, {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  const last = r.stdout.trim().split('\n').at(-1);
  try {
    if (r.status === 0 && last) return JSON.parse(last);
  } catch {
    // fall through
  }
  return { error: `${argv.join(' ')} exited with ${r.status}` };
}

const results = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, quick: common.QUICK };
results.loadBefore = os.loadavg();
results.definitions = sharedCommon ? '../shared/peers/common.mjs' : 'bench/common.mjs';
const info = await tapegrad.init();
log(info);
const ours = { peer: 'tapegrad', info, load: os.loadavg()[0], ...(await runWorkloads(tapegrad, main, log)) };
if (which.includes('W5'))
  ours.W5 = runChild([path.join(here, 'run.mjs'), '--w5-child'], common.QUICK ? { QUICK: '1' } : {});
results.tapegrad = ours;
results.peers = {};

if (vsPeers) {
  if (!fs.existsSync(path.join(peersFolder, 'run.mjs'))) {
    console.error(`bench: --vs-peers needs ${peersFolder}/run.mjs; running tapegrad alone`);
  } else {
    if (peerNames.some((p) => p.startsWith('tfjs') || p.startsWith('jaxjs'))) {
      const r = spawnSync('bash', [path.join(peersFolder, 'install.sh')], { stdio: 'inherit' });
      if (r.status !== 0) console.error('bench: the peers could not be installed; their runs will fail');
    }
    const resultsDir = path.join(here, 'results', 'peers');
    for (const p of peerNames) {
      const peerMain = p === 'jaxjs-wasm-jit' ? main.filter((w) => w === 'W4') : main;
      const record = { peer: p };
      if (peerMain.length)
        Object.assign(
          record,
          runChild([path.join(peersFolder, 'run.mjs'), p, peerMain.join(',')], { RESULTS_DIR: resultsDir }),
        );
      if (which.includes('W5'))
        record.W5 = runChild([path.join(peersFolder, 'run.mjs'), p, 'W5'], { RESULTS_DIR: resultsDir }).W5;
      results.peers[p] = record;
    }
  }
}
results.loadAfter = os.loadavg();

const { report } = await import('./report.mjs');
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
