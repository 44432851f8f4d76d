/**
 * The guides, the site's landing page and the README teach with code: every
 * ```ts block in docs/guide/*.md, docs/index.md and README.md type checks and runs (each on its own, with
 * every export of tapegrad in scope, as TSDoc examples do), and its value
 * comments hold.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lib from '../lib/index.js';
import { codeBlocks, publicApi, runExample, typeCheckExamples } from './support/examples.js';
import { adapterProbe, createGpu } from './webgpu/adapter.js';

const root = path.join(__dirname, '..');
const guides = fs
  .readdirSync(path.join(root, 'docs', 'guide'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => path.join('docs', 'guide', f));

const blocks = ['README.md', path.join('docs', 'index.md'), ...guides].flatMap((file) =>
  codeBlocks(fs.readFileSync(path.join(root, file), 'utf8')).map((code, i) => [`${file} (${i + 1})`, code] as const),
);

// The GPU guide's blocks run on WebGPU: the GPU object comes from Node's webgpu package, as navigator.gpu would in a
// browser (kept referenced for the whole file). Where there is no adapter they are skipped, with the reason (or fail,
// with TAPEGRAD_REQUIRE_WEBGPU=1, as in CI).
const gpuGuide = path.join('docs', 'guide', 'gpu.md');
const gpu = adapterProbe.name !== undefined ? createGpu() : undefined;
if (gpu !== undefined) (globalThis as { navigator?: unknown }).navigator = { gpu, userAgent: 'node' };

afterEach(async () => {
  await lib.setBackend('typescript'); // the reference kernels, on the CPU
});

test('there are guide code blocks to run', () => {
  expect(blocks.length).toBeGreaterThan(10);
});

test('the blocks type check (strict) against the library', () => {
  const entry = path.join(root, 'lib', 'index.ts');
  const exportNames = new Set(
    publicApi(entry)
      .filter((item) => item.kind === 'value' || item.kind === 'type')
      .map((item) => item.name),
  );
  const examples = blocks.map(([title, code]) => ({ title, code }));
  expect(typeCheckExamples(entry, examples, exportNames)).toEqual([]);
});

test.each(blocks)('%s', async (title, code) => {
  if (title.startsWith(gpuGuide) && gpu === undefined) {
    if (process.env.TAPEGRAD_REQUIRE_WEBGPU === '1') throw new Error(`no WebGPU adapter: ${adapterProbe.reason}`);
    console.warn(`${title}: skipped, no WebGPU adapter: ${adapterProbe.reason}`);
    return;
  }
  await runExample(code, lib as unknown as Record<string, unknown>);
});
