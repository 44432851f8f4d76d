// The entry of bench/gpu-bundle.mjs's single-file bundle: W2 and W4 on WebGPU for tapegrad, TensorFlow.js's webgpu
// backend and jax-js's webgpu device (eager, and W4 under jit), each library in its own child process (this same
// file, `--lib=<name>`), then the report of `npm run bench -- --backend=webgpu --vs-peers --workloads=W2,W4`.
//
//   node bundle.mjs [--libs=tapegrad,tfjs-webgpu,jaxjs-webgpu,jaxjs-webgpu-jit] [--workloads=W2,W4] [--w4-steps=1000]
//                   [--w4-model=w4|small] [--w4-timed=N] [--quick]
//
// dawn.node must lie next to bundle.mjs. Writes nothing; the report (markdown) goes to stdout, the JSON of the run to
// stderr's last line as `RESULTS <json>`, progress to stderr.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
if (args.includes('--quick')) process.env.QUICK = '1';
if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
const self = fileURLToPath(import.meta.url);
const log = (...a) => console.error('[bundle]', ...a.map((x) => (typeof x === 'object' ? JSON.stringify(x) : x)));

const { runWorkloads, runW4Pool, common } = await import('../workloads.mjs');
const { isSwiftShader, probeAdapter, webgpuResults } = await import('../webgpu.mjs');

const LIBS = {
  async tapegrad() {
    const { createAdapter } = await import('../peer-adapter.mjs');
    return createAdapter(undefined, {
      backend: 'webgpu',
      load: async () => ({
        tg: await import('../../dist/esm/index.js'),
        backends: await import('../../dist/esm/backends.js'),
      }),
    });
  },
  async 'tfjs-webgpu'() {
    const { makeTfjsWebgpu } = await import('../peers/webgpu-peers.mjs');
    return makeTfjsWebgpu({
      loadTf: async () => {
        const tf = await import('@tensorflow/tfjs-core');
        await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
        await import('@tensorflow/tfjs-backend-webgpu');
        return tf;
      },
    });
  },
  async 'jaxjs-webgpu'() {
    const { makeJaxjsWebgpu } = await import('../peers/webgpu-peers.mjs');
    return makeJaxjsWebgpu({ loadJax: () => import('@jax-js/jax') });
  },
  async 'jaxjs-webgpu-jit'() {
    const { makeJaxjsWebgpu } = await import('../peers/webgpu-peers.mjs');
    return makeJaxjsWebgpu({ useJit: true, loadJax: () => import('@jax-js/jax') });
  },
};

const lib = option('lib');
if (lib) {
  // child: one library, one group of workloads; its JSON on stdout's last line
  const A = await LIBS[lib]();
  const info = await A.init();
  log(info);
  const list = option('child').split(',');
  const out = { info, adapter: A.adapterName };
  if (list[0] === 'W4pool')
    out.W4pool = await runW4Pool(A, log, {
      steps: Number(option('w4-steps', '1000')),
      model: option('w4-model', 'w4'),
    });
  else {
    const timed = option('w4-timed');
    const w4 = timed ? { warmup: Number(option('w4-warmup', '10')), timed: Number(timed) } : undefined;
    Object.assign(out, await runWorkloads(A, list, log, w4 ? { w4 } : {}));
  }
  console.log(JSON.stringify(out));
  process.exit(0);
}

function child(name, list, extra = [], nodeArgs = []) {
  const r = spawnSync(process.execPath, [...nodeArgs, self, `--lib=${name}`, `--child=${list}`, ...extra], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
    timeout: 1800_000,
  });
  const last = (r.stdout ?? '').trim().split('\n').at(-1);
  try {
    return JSON.parse(last);
  } catch {
    return { error: `${name} ${list}: exited with ${r.status}${r.signal ? ` (${r.signal})` : ''}` };
  }
}

const adapter = await probeAdapter();
if (!adapter) {
  console.error('bundle: Dawn found no adapter (set VK_ICD_FILENAMES to a Vulkan ICD)');
  process.exit(1);
}
const swift = isSwiftShader(adapter);
log(`adapter: ${adapter}`);
const which = option('workloads', 'W2,W4').split(',');
const main = which.filter((w) => /^W[2-4]$/.test(w));
const timed = option('w4-timed', swift ? '10' : undefined);
const warmup = option('w4-warmup', swift ? '3' : '10');
const w4Args = timed ? [`--w4-timed=${timed}`, `--w4-warmup=${warmup}`] : [];
const results = {
  ...webgpuResults({ common, adapter, swift, timed, warmup, extra: { bundle: true } }),
  definitions: 'bench/common.mjs (bundled)',
  peers: {},
};
// bench/gpu-bundle.mjs defines __GPU_BENCH_PEERS__ (false with --no-peers): then tapegrad alone by default
// eslint-disable-next-line no-undef
const bundledPeers = typeof __GPU_BENCH_PEERS__ === 'undefined' || __GPU_BENCH_PEERS__;
const libs = bundledPeers ? Object.keys(LIBS) : ['tapegrad'];
for (const name of option('libs', libs.join(',')).split(',')) {
  const list = name === 'jaxjs-webgpu-jit' ? main.filter((w) => w === 'W4') : main;
  log(`${name}: ${list.join(',')}`);
  const rec = { peer: name, ...(list.length ? child(name, list.join(','), w4Args) : {}) };
  if (name === 'tapegrad' && which.includes('W4')) {
    const steps = option('w4-steps', '1000');
    const model = option('w4-model', swift ? 'small' : 'w4');
    log(`tapegrad: W4pool, ${steps} steps, model ${model}`);
    const r = child(name, 'W4pool', [`--w4-steps=${steps}`, `--w4-model=${model}`], ['--expose-gc']);
    rec.W4pool = r.W4pool ?? { error: r.error };
  }
  if (name === 'tapegrad') results.tapegrad = rec;
  else results.peers[name] = rec;
}
results.tapegrad ??= { peer: 'tapegrad', info: 'not run (--libs)' };
results.loadAfter = os.loadavg();
const { report } = await import('../report.mjs');
console.log(report(results));
console.error(`RESULTS ${JSON.stringify(results)}`);
process.exit(0);
