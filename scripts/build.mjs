#!/usr/bin/env node
// Builds lib/ into dist/: an ES-module build (dist/esm, tsconfig.build.json) and a
// CommonJS build (dist/cjs, tsconfig.cjs.json), each with type declarations.
// Uses only tsc and Node built-ins. Usage: node scripts/build.mjs
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

const builds = [
  { name: 'esm', project: 'tsconfig.build.json', type: 'module' },
  { name: 'cjs', project: 'tsconfig.cjs.json', type: 'commonjs' },
];

/** Runs tsc on a project; resolves with its output, rejects with it on failure. */
function compile(project) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-p', project], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`tsc -p ${project} failed (exit code ${code}):\n${output}`));
    });
  });
}

const started = performance.now();
const dist = join(root, 'dist');
await rm(dist, { recursive: true, force: true });

try {
  await Promise.all(builds.map((b) => compile(b.project)));
} catch (error) {
  console.error(error.message);
  process.exit(1);
}

// Each build's package.json also carries the package's "sideEffects", relative to it: bundlers
// (esbuild, webpack) read the field from the package.json nearest to a file, which for dist/*/x.js
// is dist/*/package.json, not the root's. The root lists './dist/*/x.js' globs; here they become './x.js'.
const { sideEffects } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const prefix = './dist/*/';
// './lib/...' entries serve bundles of the TypeScript source (npm run demo, the examples); builds drop them.
const source = './lib/';
const bad = Array.isArray(sideEffects)
  ? sideEffects.filter((glob) => !glob.startsWith(prefix) && !glob.startsWith(source))
  : [];
if (bad.length > 0) {
  console.error(
    `build: package.json "sideEffects" entries must start with '${prefix}' or '${source}': ${bad.join(', ')}`,
  );
  process.exit(1);
}
const buildSideEffects = Array.isArray(sideEffects)
  ? sideEffects.filter((glob) => glob.startsWith(prefix)).map((glob) => `./${glob.slice(prefix.length)}`)
  : sideEffects;

for (const b of builds) {
  const out = join(dist, b.name);
  await mkdir(out, { recursive: true });
  const pkg = { type: b.type, sideEffects: buildSideEffects };
  await writeFile(join(out, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
}

// Smoke test: both builds load in their module system and export the same names.
const esm = await import(pathToFileURL(join(dist, 'esm', 'index.js')).href);
const cjs = require(join(dist, 'cjs', 'index.js'));
const esmNames = Object.keys(esm).sort();
const cjsNames = Object.keys(cjs)
  .filter((k) => k !== '__esModule')
  .sort();
if (esmNames.length === 0 || esmNames.join() !== cjsNames.join()) {
  console.error(`build: the ESM and CommonJS builds export different names:\n  esm: ${esmNames}\n  cjs: ${cjsNames}`);
  process.exit(1);
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`build: dist/esm (ES modules) and dist/cjs (CommonJS), ${esmNames.length} exports each, in ${seconds}s`);
