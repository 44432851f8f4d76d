#!/usr/bin/env node
// Loads the ES-module build (dist/esm, unbundled) in headless Chromium and checks that the seed's
// programs and a second derivative print the right numbers: lib/ must run in a browser, not only Node.
// Then runs the seed's three programs again on the webgpu backend (scripts/browser-check-webgpu.html, Chromium's
// WebGPU on SwiftShader's Vulkan) and checks the same numbers. No adapter there fails the check, unless
// TAPEGRAD_BROWSER_WEBGPU=0 says to skip it.
// Serves the repo on 127.0.0.1 only. Usage: npm run build && node scripts/browser-check.mjs
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
// The webgpu page POSTs its lines to /report: it runs in real time, not under a virtual-time budget.
let onReport = () => {};
const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method === 'POST' && path === '/report') {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      res.writeHead(204).end();
      onReport(body);
    });
    return;
  }
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

const match = /<pre id="out">([\s\S]*?)<\/pre>/.exec(dom);
const lines = match ? match[1].split('\n') : [];
const version = spawnSync(browser, ['--version'], { encoding: 'utf8' }).stdout.trim();
if (lines.join('\n') !== expected.join('\n')) {
  server.close();
  console.error(
    `browser-check: FAILED in ${version}\n  expected: ${JSON.stringify(expected)}\n  got:      ${JSON.stringify(lines)}`,
  );
  process.exit(1);
}
console.log(`browser-check: OK in ${version}: ${lines.join(' | ')}`);

// The same seed programs on webgpu: the page's first lines name the adapter and the backend, then come the CPU
// page's three gradient lines, then a line saying the tensors lived in GPU memory.
if (process.env.TAPEGRAD_BROWSER_WEBGPU === '0') {
  server.close();
  const bar = '!'.repeat(100);
  console.log(
    `${bar}\nbrowser-check: WEBGPU CHECK SKIPPED (TAPEGRAD_BROWSER_WEBGPU=0): the webgpu backend was NOT checked in a browser\n${bar}`,
  );
  process.exit(0);
}
const webgpuFlags = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--ignore-gpu-blocklist',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const webgpuTimeout = Number(process.env.TAPEGRAD_BROWSER_WEBGPU_TIMEOUT ?? 120) * 1000;
const webgpuProfile = mkdtempSync(join(tmpdir(), 'tapegrad-chromium-webgpu-'));
const webgpuResult = await new Promise((resolve) => {
  // Its own process group, so that the browser and its GPU and renderer processes end together.
  const child = spawn(
    browser,
    [...webgpuFlags, `--user-data-dir=${webgpuProfile}`, `${url}scripts/browser-check-webgpu.html`],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let stderr = '';
  let settled;
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
  // The group is gone already when the browser exited by itself.
  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch {
      return;
    }
  };
  const stop = (result) => {
    if (settled !== undefined) return;
    settled = result;
    clearTimeout(timer);
    signal('SIGTERM');
    setTimeout(() => signal('SIGKILL'), 5_000).unref();
  };
  const timer = setTimeout(
    () => stop({ error: `the page reported nothing within ${webgpuTimeout / 1000} s`, stderr }),
    webgpuTimeout,
  );
  onReport = (body) => stop({ lines: JSON.parse(body), stderr });
  child.on('error', (error) => {
    stop({ error: error.message, stderr });
    resolve(settled);
  });
  child.on('close', (code) => {
    stop({ error: `chromium exited (${code}) before the page reported`, stderr });
    resolve(settled);
  });
});
server.close();
rmSync(webgpuProfile, { recursive: true, force: true });

const seedLines = expected.slice(0, 3);
const got = webgpuResult.lines ?? [];
for (const line of got) console.log(`  webgpu page: ${line}`);
const [adapterLine = '', backendLine = '', ...rest] = got;
const failures = [];
if (webgpuResult.error) failures.push(webgpuResult.error);
const thrown = got.find((l) => l.startsWith('ERROR'));
if (thrown) failures.push(`the page threw: ${thrown.slice('ERROR '.length).split('\n')[0]}`);
else if (got.length > 0) {
  if (!/^adapter: \S/.test(adapterLine)) failures.push('no adapter line');
  if (!backendLine.startsWith("setBackend('webgpu'): true; backend(): webgpu")) {
    failures.push(`backend is not webgpu: ${backendLine}`);
  }
  if (rest.slice(0, 3).join('\n') !== seedLines.join('\n')) {
    failures.push(`expected ${JSON.stringify(seedLines)}, got ${JSON.stringify(rest.slice(0, 3))}`);
  }
  if (rest[3] !== 'on GPU: true; backend(): webgpu') failures.push(`tensors not on the GPU: ${rest[3]}`);
}
if (failures.length > 0) {
  // Chromium's own log lines about the GPU process, Vulkan and Dawn say why there is no adapter.
  const tail = webgpuResult.stderr
    ?.split('\n')
    .filter((l) => /webgpu|vulkan|gpu|dawn|adapter|error/i.test(l) && !/dbus/i.test(l))
    .slice(-15)
    .join('\n    ');
  console.error(
    `browser-check: WEBGPU FAILED in ${version}: ${failures.join('; ')}` +
      (tail ? `\n  chromium stderr (gpu lines):\n    ${tail}` : '') +
      '\n  (TAPEGRAD_BROWSER_WEBGPU=0 skips this check where Chromium has no WebGPU adapter)',
  );
  process.exit(1);
}
console.log(`browser-check: webgpu OK in ${version}: ${got.join(' | ')}`);
