#!/usr/bin/env node
// Loads the ES-module build (dist/esm, unbundled) in headless Chromium and checks that the seed's
// programs and a second derivative print the right numbers: lib/ must run in a browser, not only Node.
// Serves the repo on 127.0.0.1 only. Usage: npm run build && node scripts/browser-check.mjs
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const page = join(root, 'scripts', 'browser-check.html');
const browser = process.env.CHROMIUM ?? '/usr/bin/chromium';
const expected = [
  '[[9,10]]',
  '[1,2] [1,2] [4,6] [3,4]',
  'undefined undefined [1,2]',
  '6',
  'typescript then wasm-simd wasm-simd true',
];

if (!existsSync(browser)) {
  console.error(`browser-check: no browser at ${browser}; install Debian's chromium or set CHROMIUM`);
  process.exit(1);
}
if (!existsSync(join(root, 'dist', 'esm', 'index.js'))) {
  console.error('browser-check: dist/esm is missing; run npm run build first');
  process.exit(1);
}

const types = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };
const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const file = path === '/' ? page : join(root, normalize(path).replace(/^([/\\])+/, ''));
  if (!file.startsWith(root) || !existsSync(file)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;

// Chromium runs asynchronously: a synchronous spawn would block this server's event loop.
const flags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  `--user-data-dir=${mkdtempSync(join(tmpdir(), 'tapegrad-chromium-'))}`,
  '--virtual-time-budget=10000',
  '--dump-dom',
  url,
];
const dom = await new Promise((resolve, reject) => {
  const child = spawn(browser, flags, { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  child.stdout.on('data', (d) => (out += d));
  child.on('error', reject);
  child.on('close', () => {
    clearTimeout(timer);
    resolve(out);
  });
});
server.close();

const match = /<pre id="out">([\s\S]*?)<\/pre>/.exec(dom);
const lines = match ? match[1].split('\n') : [];
const version = spawnSync(browser, ['--version'], { encoding: 'utf8' }).stdout.trim();
if (lines.join('\n') !== expected.join('\n')) {
  console.error(
    `browser-check: FAILED in ${version}\n  expected: ${JSON.stringify(expected)}\n  got:      ${JSON.stringify(lines)}`,
  );
  process.exit(1);
}
console.log(`browser-check: OK in ${version}: ${lines.join(' | ')}`);
