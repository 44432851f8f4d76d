/**
 * The library bundled into one ES module in a temporary folder, for specs that
 * run it in a child `node` process (with flags Jest's own process lacks, such
 * as `--expose-gc`). Built once per Jest worker, with esbuild (fast, and it
 * needs nothing built before).
 */
import { buildSync } from 'esbuild';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let bundled: string | undefined;

/** The path of `lib/index.ts` bundled as an ES module (`import * as tg from path`). */
export function bundledLibrary(): string {
  if (bundled !== undefined) return bundled;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-bundle-'));
  const out = path.join(dir, 'tapegrad.mjs');
  buildSync({
    entryPoints: [path.join(__dirname, '../../lib/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile: out,
    logLevel: 'silent',
  });
  bundled = out;
  return out;
}
