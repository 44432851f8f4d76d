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

const root = path.join(__dirname, '..');
const guides = fs
  .readdirSync(path.join(root, 'docs', 'guide'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => path.join('docs', 'guide', f));

const blocks = ['README.md', path.join('docs', 'index.md'), ...guides].flatMap((file) =>
  codeBlocks(fs.readFileSync(path.join(root, file), 'utf8')).map((code, i) => [`${file} (${i + 1})`, code] as const),
);

afterEach(() => {
  lib.setKernels(lib.referenceKernels);
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

test.each(blocks)('%s', async (_title, code) => {
  await runExample(code, lib as unknown as Record<string, unknown>);
});
