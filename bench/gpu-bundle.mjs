// Builds one esbuild bundle of the webgpu bench (W2 and W4: tapegrad, TensorFlow.js's webgpu backend and jax-js's
// webgpu device) for a machine with a real GPU, where `node bundle.mjs` runs with nothing installed but Node ≥ 20:
//
//   node bench/gpu-bundle.mjs [--out=build/gpu-bench] [--no-peers]
//   cd build/gpu-bench && node bundle.mjs [--workloads=W2,W4] [--w4-steps=1000] > report.md
//
// The folder holds bundle.mjs and dawn.node (Linux x64, from node_modules/webgpu, ~21.5 MB); the total must stay
// under 64 MiB. tapegrad comes from dist/esm (built first when missing), the peers from $PEERS_DIR
// (../shared/peers/install.sh); --no-peers (or peers not installed) bundles tapegrad alone.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const args = process.argv.slice(2);
const option = (name, fallback) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const out = path.resolve(root, option('out', 'build/gpu-bench'));
const PEERS_DIR = path.resolve(process.env.PEERS_DIR || path.join(os.tmpdir(), 'tapegrad-peers'));
const LIMIT = 64 * 2 ** 20;

if (!fs.existsSync(path.join(root, 'dist/esm/index.js'))) {
  const b = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}
const peersThere = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', '@jax-js/jax'].every((p) =>
  fs.existsSync(path.join(PEERS_DIR, 'node_modules', p, 'package.json')),
);
const peers = !args.includes('--no-peers') && peersThere;
if (!peers && !args.includes('--no-peers')) console.error(`gpu-bundle: no peers in ${PEERS_DIR}: tapegrad only`);

/** The pieces the bundle replaces: `webgpu` (dawn.node next to the bundle), workloads.mjs's dynamic import. */
const plugin = {
  name: 'gpu-bench',
  setup(build) {
    build.onResolve({ filter: /^webgpu$/ }, () => ({ path: path.join(here, 'gpu-bundle/webgpu-shim.mjs') }));
    // workloads.mjs picks ../shared/peers/common.mjs or bench/common.mjs at run time: in the bundle, the copy
    build.onLoad({ filter: /bench[\\/]workloads\.mjs$/ }, async (a) => {
      const src = await fs.promises.readFile(a.path, 'utf8');
      const line = /^export const common = await import\(.*\);$/m;
      if (!line.test(src)) throw new Error('gpu-bundle: workloads.mjs no longer has the `export const common` line');
      const text = src
        .replace(line, "import * as commonModule from './common.mjs';\nexport const common = commonModule;")
        .replace(/^export const sharedCommon = .*$/m, 'export const sharedCommon = false;');
      return { contents: text, loader: 'js', resolveDir: path.dirname(a.path) };
    });
    if (!peers)
      build.onResolve({ filter: /^@tensorflow\/|^@jax-js\// }, (a) => ({ path: a.path, namespace: 'no-peer' }));
    build.onLoad({ filter: /.*/, namespace: 'no-peer' }, (a) => ({
      contents: `throw new Error(${JSON.stringify(`${a.path} was not bundled (gpu-bundle --no-peers or no PEERS_DIR)`)});`,
      loader: 'js',
    }));
  },
};

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const result = await esbuild.build({
  entryPoints: [path.join(here, 'gpu-bundle/entry.mjs')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outfile: path.join(out, 'bundle.mjs'),
  mainFields: ['module', 'main'],
  define: { __GPU_BENCH_PEERS__: String(peers) },
  nodePaths: [path.join(PEERS_DIR, 'node_modules')],
  // CommonJS inside an ES-module bundle: a require for Node's built-ins
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  plugins: [plugin],
  logLevel: 'warning',
  metafile: true,
  legalComments: 'none',
});
const dawn = path.join(root, 'node_modules/webgpu/dist/linux-x64/dawn.node');
fs.copyFileSync(dawn, path.join(out, 'dawn.node'));
const sizes = fs.readdirSync(out).map((f) => [f, fs.statSync(path.join(out, f)).size]);
const total = sizes.reduce((a, [, s]) => a + s, 0);
for (const [f, s] of sizes)
  console.error(`gpu-bundle: ${path.relative(root, path.join(out, f))} ${(s / 2 ** 20).toFixed(1)} MiB`);
console.error(
  `gpu-bundle: ${(total / 2 ** 20).toFixed(1)} MiB in all (limit 64 MiB)${peers ? ', with tfjs-webgpu and jax-js' : ', tapegrad only'}; ` +
    `warnings: ${result.warnings.length}. Run: cd ${path.relative(process.cwd(), out) || '.'} && node bundle.mjs`,
);
if (total >= LIMIT) {
  console.error('gpu-bundle: over 64 MiB');
  process.exit(1);
}
