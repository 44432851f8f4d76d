/**
 * Every module of lib/ loads on its own: built as the package ships it (ES
 * modules with tsconfig.build.json, CommonJS with tsconfig.cjs.json, into a
 * temporary folder), each built module is loaded first in a fresh Node
 * process, then index.js, and the process must exit 0 with nothing on stderr.
 * An import cycle that only works when the cycle is entered at one module
 * (say index.js) fails here when it is entered at another.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(__dirname, '..');
const tsc = require.resolve('typescript/bin/tsc');
/** Child processes at a time. */
const POOL = 4;

const formats = [
  { name: 'esm', project: 'tsconfig.build.json', type: 'module' },
  { name: 'cjs', project: 'tsconfig.cjs.json', type: 'commonjs' },
] as const;
type Format = (typeof formats)[number]['name'];

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs node with `args` in `cwd`; resolves once it exits, with what it printed. */
function node(args: readonly string[], cwd: string): Promise<Run> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Maps `items` through `f`, at most `limit` at a time, keeping their order. */
async function pool<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The .js files under `dir`, relative to it, sorted ('/'-separated). */
function jsFiles(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? jsFiles(dir, `${prefix}${e.name}/`) : e.name.endsWith('.js') ? [`${prefix}${e.name}`] : [],
    )
    .sort();
}

/** The line of a failed run's stderr that says what went wrong: the first `...Error: ...` line, else the first line. */
function firstErrorLine(run: Run): string {
  const lines = run.stderr.split('\n').map((l) => l.trim());
  const line = lines.find((l) => /^\w*(Error|Exception)\b/.test(l)) ?? lines.find((l) => l !== '');
  return line ?? `exit code ${run.code}${run.signal ? `, signal ${run.signal}` : ''}, nothing on stderr`;
}

let work: string;
const built = new Map<Format, string>();

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-modules-'));
  const builds = await Promise.allSettled(
    formats.map(async ({ name, project, type }) => {
      const out = path.join(work, name);
      const args = [tsc, '-p', project, '--outDir', out, '--declaration', 'false', '--sourceMap', 'false'];
      // tsconfig.build.json inlines sources into its source maps; with no maps, that must be off too.
      const run = await node([...args, '--inlineSources', 'false'], root);
      if (run.code !== 0) throw new Error(`tsc -p ${project} failed:\n${run.stdout}${run.stderr}`);
      fs.writeFileSync(path.join(out, 'package.json'), JSON.stringify({ type }, null, 2) + '\n');
      built.set(name, out);
    }),
  );
  for (const b of builds) if (b.status === 'rejected') throw b.reason;
}, 120_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('each module of lib/ loads first, in a fresh process, then index.js', () => {
  test.each(formats.map((f) => f.name))(
    '%s',
    async (format) => {
      const out = built.get(format)!;
      const modules = jsFiles(out);
      expect(modules).toContain('index.js');
      expect(modules.length).toBeGreaterThan(10);
      const load = (module: string): Promise<Run> => {
        const files = [...new Set([module, 'index.js'])].map((m) => path.join(out, m));
        return format === 'esm'
          ? node(
              [
                '--input-type=module',
                '-e',
                'for (const url of process.argv.slice(1)) await import(url);',
                ...files.map((f) => pathToFileURL(f).href),
              ],
              out,
            )
          : node(['-e', 'for (const file of process.argv.slice(1)) require(file);', ...files], out);
      };
      const runs = await pool(modules, POOL, load);
      const failures = modules.flatMap((module, i) => {
        const run = runs[i]!;
        return run.code === 0 && run.stderr.trim() === '' ? [] : [`${module}: ${firstErrorLine(run)}`];
      });
      const summary = `${failures.length} of ${modules.length} ${format} modules fail when loaded first:`;
      expect(failures.length === 0 ? 'all load' : [summary, ...failures].join('\n  ')).toBe('all load');
    },
    240_000,
  );
});
