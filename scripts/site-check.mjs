#!/usr/bin/env node
// Checks the built docs site (docs/api) in headless Chromium, as a reader meets it: serves it over HTTP on
// 127.0.0.1 and, with the Playwright library driving Debian's Chromium, checks the landing page, one reference
// page per group of docs/groups.json, that the search finds `matmul`, that the landing page links the
// "Coming from TensorFlow (Python)" page, and that the playground runs the seed (`[[9, 10]]`) and draws its
// tapes as <svg>. Every page must load without a failed request (a 404), a console error or an uncaught
// exception, and every same-site link on the pages visited must answer 200. Screenshots go to
// build/site-screenshots/. Prints the playground's load time (navigation to first output).
// Usage: npm run build && npm run docs && npm run docs:playground && npm run site-check [-- SITE]
/* global document -- the functions passed to page.evaluate and waitForFunction run in the page */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The site: docs/api, or the folder given (a copy of it, say).
const site = process.argv[2] === undefined ? join(root, 'docs', 'api') : resolve(process.argv[2]);
const shots = join(root, 'build', 'site-screenshots');
const browserPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

for (const [path, fix] of [
  [browserPath, "install Debian's chromium or set CHROMIUM"],
  [join(site, 'index.html'), 'run npm run docs'],
  [join(site, 'playground', 'index.html'), 'run npm run docs:playground (after npm run docs)'],
]) {
  if (!existsSync(path)) {
    console.error(`site-check: ${relative(root, path) || path} is missing; ${fix}`);
    process.exit(1);
  }
}

// --- a static server for docs/api, with the MIME types a browser insists on (module scripts, WebAssembly) ---
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

/** The file a URL path names under docs/api (a folder: its index.html), or undefined. */
function fileFor(urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const file = join(site, normalize(path).replace(/^([/\\])+/, ''));
  if (file !== site && !file.startsWith(site + sep)) return undefined;
  if (!existsSync(file)) return undefined;
  if (statSync(file).isDirectory()) return existsSync(join(file, 'index.html')) ? join(file, 'index.html') : undefined;
  return file;
}

/** Every path the server answered 404, as the browser asked for it (page events miss some, e.g. favicons). */
const notFound = [];
const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  const file = fileFor(path);
  if (file === undefined && path === '/favicon.ico') {
    // The browser asks for it unprompted; the site has none, which is not a broken link.
    res.writeHead(204).end();
    return;
  }
  if (file === undefined) {
    notFound.push(path);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
  res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

// --- the checks ---
const failures = [];
const notes = [];
const fail = (what) => failures.push(what);
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: browserPath,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const linksSeen = new Map(); // same-site URL (without its #fragment) -> the first page that links it

/**
 * A page that records, from before it navigates, every request that fails or answers 400 or more, every console
 * error and every uncaught exception; `problems()` lists them.
 */
async function openPage() {
  const page = await context.newPage();
  const seen = [];
  page.on('response', (r) => {
    if (r.status() >= 400) seen.push(`${r.status()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => seen.push(`request failed (${r.failure()?.errorText}) ${r.url()}`));
  page.on('console', (m) => {
    if (m.type() === 'error') seen.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => seen.push(`uncaught: ${e.message}`));
  return { page, problems: () => seen.slice() };
}

/** Notes the page's same-site links, to request each once at the end. */
async function collectLinks(page, name) {
  const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.href));
  for (const href of hrefs) {
    const url = new URL(href);
    if (url.origin !== origin) continue;
    url.hash = '';
    if (!linksSeen.has(url.href)) linksSeen.set(url.href, name);
  }
}

/** Opens `path`, checks it loaded cleanly, runs `check(page)`, and takes a screenshot `name`.png. */
async function visit(name, path, check = async () => {}, { fullPage = false } = {}) {
  const { page, problems } = await openPage();
  try {
    const response = await page.goto(origin + path, { waitUntil: 'load' });
    if (response === null || response.status() !== 200) fail(`${name}: ${path} answered ${response?.status()}`);
    await check(page);
    // TypeDoc shows a page's body once its script has run: wait for that before the screenshot.
    await page.waitForFunction(() => document.body.style.display !== 'none', null, { timeout: 5000 }).catch(() => {});
    await collectLinks(page, name);
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage });
  } catch (error) {
    fail(`${name}: ${error.message.split('\n')[0]}`);
    await page.screenshot({ path: join(shots, `${name}.png`) }).catch(() => {});
  }
  for (const p of problems()) fail(`${name} (${path}): ${p}`);
  await page.close();
}

const text = (page, selector) => page.locator(selector).first().innerText({ timeout: 5000 });

// 1. The landing page, and the migration page it links.
let migrationPath;
await visit('landing', '/index.html', async (page) => {
  const title = await page.title();
  if (!/tapegrad/i.test(title)) fail(`landing: the title is "${title}"`);
  const links = await page.$$eval('.tsd-panel a[href], .col-content a[href]', (as) =>
    as.map((a) => ({ text: a.textContent.trim(), href: a.href })),
  );
  // Its text or its address names TensorFlow (Python), not TensorFlow.js: "TensorFlow (Python)", Coming_from_TensorFlow_(Python).html.
  const migration = links.find((l) => /tensorflow\W*\(?python/i.test(`${l.text} ${decodeURIComponent(l.href)}`));
  if (migration === undefined) fail('landing: no link to "Coming from TensorFlow (Python)" in the page');
  else migrationPath = new URL(migration.href).pathname;
  if (!links.some((l) => /\/playground\/(index\.html)?$/.test(new URL(l.href).pathname)))
    fail('landing: no link to the playground (playground/index.html) in the page');
});
if (migrationPath !== undefined) {
  await visit('migration', migrationPath, async (page) => {
    const h1 = await text(page, 'h1');
    if (!/tensorflow/i.test(h1)) fail(`migration: its heading is "${h1}"`);
    const body = await page.locator('.col-content').innerText();
    for (const name of ['stopGradient', 'outputGradients', 'undefined']) {
      if (!body.includes(name)) fail(`migration: the page never mentions ${name}`);
    }
  });
}

// 2. One reference page per group (docs/groups.json), else per group of the issue, by a symbol in it.
const FALLBACK = {
  Tensors: ['Tensor'],
  Creation: ['tensor'],
  Random: ['randomNormal'],
  Variables: ['variable'],
  'Element-wise': ['sin', 'add'],
  Logic: ['equal'],
  Reductions: ['sum'],
  Shapes: ['reshape'],
  Networks: ['matmul'],
  Losses: ['losses'],
  Tapes: ['GradientTape'],
  Transforms: ['grad'],
  'Forward mode': ['ForwardAccumulator'],
  Training: ['train'],
  'Weights I/O': ['io'],
  Debugging: ['withCheckNumerics'],
  Testing: ['checkGradients'],
  Backends: ['ready'],
  'TensorFlow.js compatibility': ['tidy'],
};
const groupsFile = join(root, 'docs', 'groups.json');
const groups = existsSync(groupsFile) ? JSON.parse(readFileSync(groupsFile, 'utf8')).groups : FALLBACK;
if (!existsSync(groupsFile)) notes.push('docs/groups.json is missing: checked the fallback list of groups');
const KIND_FOLDERS = ['functions', 'classes', 'variables', 'modules', 'namespaces', 'interfaces', 'types', 'enums'];
/** The site path of a symbol's own page, trying each kind's folder, or undefined. */
const pageOf = (name) => KIND_FOLDERS.map((folder) => `/${folder}/${name}.html`).find((p) => fileFor(p) !== undefined);
const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');

const modulesHtml = fileFor('/modules.html') ? readFileSync(fileFor('/modules.html'), 'utf8') : '';
const groupReport = [];
for (const [group, names] of Object.entries(groups)) {
  // The first symbol of the group with a page of its own, a value (function, class, namespace) where there is one.
  const pages = names.map((name) => ({ name, path: pageOf(name) })).filter((s) => s.path !== undefined);
  const picked = pages.find((s) => !/^\/(interfaces|types|enums)\//.test(s.path)) ?? pages[0];
  if (picked === undefined) {
    fail(`reference: no page for any symbol of group ${group} (${names.slice(0, 5).join(', ')}…)`);
    continue;
  }
  if (existsSync(groupsFile) && !modulesHtml.includes(`>${group.replace(/&/g, '&amp;')}<`))
    fail(`reference: the index (modules.html) has no heading for group ${group}`);
  groupReport.push(`${group}: ${picked.name} (${names.length} exports)`);
  await visit(`reference-${slug(group)}`, picked.path, async (page) => {
    const h1 = await text(page, 'h1');
    if (!h1.includes(picked.name)) fail(`reference ${group}: the heading of ${picked.path} is "${h1}"`);
    if (existsSync(groupsFile)) {
      // The sidebar is filled in by TypeDoc's navigation script after the page loads.
      const nav = page.locator('nav.tsd-navigation').first();
      await page
        .waitForFunction((g) => document.querySelector('nav.tsd-navigation')?.textContent?.includes(g), group, {
          timeout: 5000,
        })
        .catch(async () => fail(`reference ${group}: the sidebar has no group ${group}: ${await nav.innerText()}`));
    }
  });
}

// 3. The site search finds matmul, and its result opens matmul's page.
await visit('search-matmul', '/index.html', async (page) => {
  await page.waitForFunction(() => document.body.style.display !== 'none', null, { timeout: 5000 }).catch(() => {});
  await page.click('#tsd-search-trigger');
  await page.fill('#tsd-search-input', 'matmul');
  await page.locator('#tsd-search-results li a').first().waitFor({ timeout: 10000 });
  const results = (await page.locator('#tsd-search-results li').allInnerTexts()).map((r) => r.trim());
  notes.push(`search "matmul": ${results.length} results: ${results.join(', ')}`);
  await page.screenshot({ path: join(shots, 'search-matmul-results.png') });
  // The function itself is among the results (not only Tensor.matmul), and its result opens its page.
  const fn = page.locator('#tsd-search-results li a').filter({ hasText: /^\s*matmul\s*$/ });
  if ((await fn.count()) === 0) fail(`search: "matmul" gave ${JSON.stringify(results)}, not the function matmul`);
  else {
    await fn.first().click();
    await page
      .waitForURL(/\/functions\/matmul\.html/, { timeout: 5000 })
      .catch(() => fail(`search: the result matmul opened ${page.url()}`));
  }
});

// 4. The playground runs the seed and draws its tapes; its load time is navigation to first output.
let timing = '';
{
  const { page, problems } = await openPage();
  await page.setViewportSize({ width: 1440, height: 1000 });
  const path = '/playground/index.html';
  try {
    const started = performance.now();
    await page.goto(origin + path, { waitUntil: 'commit' });
    await page.waitForFunction(() => document.querySelector('#output')?.textContent?.includes('[[9, 10]]'), null, {
      timeout: 30000,
    });
    const firstOutput = performance.now() - started;
    await page.waitForFunction(() => document.querySelectorAll('#graphs figure svg').length >= 3, null, {
      timeout: 30000,
    });
    const drawn = performance.now() - started;
    const inPage = await page.evaluate(() => ({ ...document.body.dataset }));
    const output = await page.locator('#output').innerText();
    const expected = ['[[9, 10]]', '[1, 2] [1, 2] [4, 6] [3, 4]', 'undefined undefined [1, 2]', '[1, 2]'];
    const lines = output.trim().split('\n');
    if (lines.join('\n') !== expected.join('\n')) fail(`playground: printed ${JSON.stringify(lines)}`);
    const svgs = await page.locator('#graphs figure svg').count();
    const third = await page.locator('#graphs figure').nth(2).innerHTML();
    // The stopGradient program's drawing: the op is in it, drawn red and dashed (Graphviz writes the dashes out).
    if (!/stopGradient/.test(third) || !/#d62728/i.test(third) || !/stroke-dasharray/.test(third))
      fail('playground: the third drawing does not show a red, dashed stopGradient');
    const status = await text(page, '#status');
    timing =
      `playground: first output ${firstOutput.toFixed(0)} ms after navigation (in-page ${inPage.firstOutputMs} ms), ` +
      `${svgs} tapes drawn at ${drawn.toFixed(0)} ms (in-page ${inPage.firstDrawnMs} ms); ${status}`;
    await collectLinks(page, 'playground');
    await page.screenshot({ path: join(shots, 'playground.png') });
    for (let i = 0; i < svgs; i++) {
      await page
        .locator('#graphs figure')
        .nth(i)
        .screenshot({ path: join(shots, `playground-tape-${i + 1}.png`) });
    }
    // An error in the program is shown, not thrown: the page stays usable.
    await page.fill(
      '#code',
      "import { tensor } from 'tapegrad';\nconst t: number = tensor([1]).sum().item();\nprint(t);\nnope();",
    );
    await page.click('#run');
    await page.waitForFunction(() => document.body.dataset.runs === '2', null, { timeout: 10000 });
    const after = await page.locator('#output').innerText();
    if (!after.startsWith('1\n') || !/nope is not defined/.test(after))
      fail(`playground: a program that throws printed ${JSON.stringify(after)}`);
    await page.screenshot({ path: join(shots, 'playground-error.png') });
    // The second example: a tensor nobody watched gets undefined, and is drawn grey.
    await page.selectOption('#example', '1');
    await page.waitForFunction(() => document.body.dataset.drawn === '3', null, { timeout: 10000 });
    const unwatched = await page.locator('#output').innerText();
    if (!unwatched.includes('dy/dx [18, 64]\ndy/dw undefined'))
      fail(`playground: the unwatched example printed ${JSON.stringify(unwatched)}`);
    if (!/#eeeeee/i.test(await page.locator('#graphs figure').first().innerHTML()))
      fail('playground: the unwatched example draws no grey (unwatched) input');
    await page.screenshot({ path: join(shots, 'playground-unwatched.png') });
  } catch (error) {
    fail(`playground: ${error.message.split('\n')[0]}`);
    await page.screenshot({ path: join(shots, 'playground.png') }).catch(() => {});
  }
  // The deliberate error above is printed in the page, not to the console: any console error is a failure.
  for (const p of problems()) fail(`playground (${path}): ${p}`);
  await page.close();
}

// 5. Every same-site link of the pages visited answers 200 (TypeDoc checks its own; the playground's and the
//    landing page's links to it are checked here).
const browserNotFound = notFound.splice(0);
let linkCount = 0;
for (const [url, from] of linksSeen) {
  linkCount++;
  const response = await fetch(url, { method: 'HEAD' });
  if (response.status !== 200) fail(`link ${url} (from ${from}) answered ${response.status}`);
}

for (const path of browserNotFound) fail(`the server answered 404 for ${path}, which a page asked for`);
const version = browser.version();
await browser.close();
server.close();

console.log(`site-check: Chromium ${version}, ${origin}`);
console.log(`  groups (${groupReport.length}): ${groupReport.join('; ')}`);
for (const n of notes) console.log(`  ${n}`);
console.log(`  links: ${linkCount} same-site links answered 200`);
if (timing !== '') console.log(`  ${timing}`);
console.log(`  screenshots: ${relative(root, shots)}/`);
if (failures.length > 0) {
  console.error(`site-check: FAILED (${failures.length}):\n${failures.map((f) => `  - ${f}`).join('\n')}`);
  process.exit(1);
}
console.log('site-check: OK');
