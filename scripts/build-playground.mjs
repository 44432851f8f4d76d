#!/usr/bin/env node
// Builds the playground (docs/playground/) into the docs site: docs/api/playground/index.html and
// playground.js, an ES-module bundle of the page's code, tapegrad's ES-module build (dist/esm) and
// sucrase, with Graphviz (WebAssembly) split into a chunk that loads when the first tape is drawn.
// Runs after typedoc, which empties docs/api. Usage: npm run build && npm run docs && npm run docs:playground
// (or node scripts/build-playground.mjs SITE to build into another copy of the site than docs/api).
import { copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'docs', 'playground');
const siteDir = process.argv[2] === undefined ? join(root, 'docs', 'api') : resolve(process.argv[2]);
const out = join(siteDir, 'playground');
const library = join(root, 'dist', 'esm', 'index.js');

if (!existsSync(library)) {
  console.error('build-playground: dist/esm is missing; run npm run build first');
  process.exit(1);
}
if (!existsSync(join(siteDir, 'index.html'))) {
  console.error(
    `build-playground: ${relative(root, siteDir)} has no site; run npm run docs first (typedoc empties docs/api)`,
  );
  process.exit(1);
}

const started = performance.now();
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const result = await build({
  entryPoints: { playground: join(source, 'main.ts') },
  bundle: true,
  format: 'esm',
  splitting: true,
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outdir: out,
  chunkNames: 'chunks/[name]-[hash]',
  // The page runs the package as users get it: the ES-module build, not lib/'s sources.
  alias: { tapegrad: library },
  metafile: true,
  logLevel: 'warning',
});
await copyFile(join(source, 'index.html'), join(out, 'index.html'));

// The page's links into the site must resolve, as TypeDoc's own must (validation.invalidLink): the build fails
// on one that does not, e.g. when a reference page it links moves. scripts/site-check.mjs requests them too.
const html = await readFile(join(out, 'index.html'), 'utf8');
const broken = [...html.matchAll(/\b(?:href|src)="([^"#]+)(?:#[^"]*)?"/g)]
  .map((m) => m[1])
  .filter((link) => !/^(?:[a-z]+:|\/\/)/i.test(link)) // other sites and data: URLs are not the site's
  .filter((link) => !existsSync(resolve(out, link)));
if (broken.length > 0) {
  console.error(`build-playground: docs/playground/index.html links what the site lacks: ${broken.join(', ')}`);
  process.exit(1);
}

const files = Object.keys(result.metafile.outputs).filter((f) => !f.endsWith('.map'));
const sizes = await Promise.all(
  files.map(async (f) => `${relative(out, join(root, f))} ${((await stat(join(root, f))).size / 1024).toFixed(0)} KiB`),
);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`build-playground: ${relative(root, out)}/ (index.html, ${sizes.join(', ')}) in ${seconds}s`);
