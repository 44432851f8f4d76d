/**
 * Runs TypeScript in a fresh Node process: `source` (an ES module whose
 * relative imports resolve from this folder, as `'../../lib/...js'`) is
 * bundled with esbuild into a temporary file and run with `nodeFlags`, which
 * NODE_OPTIONS cannot carry (`--experimental-wasm-relaxed-simd`), in `env`.
 * The child must exit by itself: a thread or handle that kept it alive would
 * show as a timeout.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

/** How a child ended, and what it printed. */
export interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Bundles `source` and runs it in `node ...nodeFlags`; resolves once it exits (or is killed after `timeoutMs`). */
export async function runBundled(
  source: string,
  nodeFlags: readonly string[] = [],
  env: Record<string, string | undefined> = {},
  timeoutMs = 60_000,
): Promise<ChildRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-child-'));
  try {
    const file = path.join(dir, 'child.mjs');
    buildSync({
      stdin: { contents: source, resolveDir: __dirname, loader: 'ts', sourcefile: 'child.ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: file,
      logLevel: 'error',
    });
    const childEnv = { ...process.env, ...env };
    delete childEnv.NODE_OPTIONS;
    return await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [...nodeFlags, file], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The last line the child printed, parsed as JSON; throws with everything it printed when it failed. */
export function lastJson(run: ChildRun): unknown {
  const lines = run.stdout.trim().split('\n');
  if (run.code !== 0 || run.stderr !== '' || lines.length === 0)
    throw new Error(`child exited ${run.code ?? run.signal}:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(lines[lines.length - 1]!);
}
