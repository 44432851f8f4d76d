/**
 * The training plot: Vega and Vega-Lite are ES modules that Jest's CommonJS
 * runtime cannot load, so the plot writer runs in a child Node process,
 * bundled with esbuild as `npm run example:*` bundles the examples.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

const root = path.join(__dirname, '..', '..');

/** Writes the plot of `history` with the examples' plot writer; returns the path it printed and the SVG. */
function plot(history: { losses: number[]; accuracies: number[] }, out: string): { printed: string; svg: string } {
  // In build/ so that the bundle's bare imports (vega, vega-lite) resolve to node_modules.
  const bundle = path.join(root, 'build', 'examples', `plot-spec-${process.pid}.mjs`);
  buildSync({
    stdin: {
      contents: [
        "import { writeTrainingPlot } from './examples/support/plot.ts';",
        `console.log(await writeTrainingPlot(${JSON.stringify(history)}, process.argv[2], 'spec run'));`,
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: bundle,
    logLevel: 'warning',
  });
  try {
    const printed = execFileSync(process.execPath, [bundle, out], { encoding: 'utf8' }).trim();
    return { printed, svg: readFileSync(out, 'utf8') };
  } finally {
    rmSync(bundle, { force: true });
  }
}

describe('writeTrainingPlot', () => {
  it('renders an SVG of two panels with their axis titles, making the directory', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'tapegrad-plot-')), 'nested', 'run.svg');
    const losses = Array.from({ length: 120 }, (_, i) => 2.3 * Math.exp(-i / 30) + 0.05);
    const { printed, svg } = plot({ losses, accuracies: [0.8, 0.9, 0.95] }, out);
    expect(printed).toBe(out);
    expect(existsSync(out)).toBe(true);
    expect(svg.startsWith('<svg')).toBe(true);
    for (const title of ['spec run', 'training step', 'training loss (cross-entropy)', 'epoch', 'test accuracy']) {
      expect(svg).toContain(`>${title}</text>`);
    }
    // One point per epoch on the accuracy line, labelled with its values.
    const points = [...svg.matchAll(/aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="point"/g)];
    expect(points.map((m) => m[1])).toEqual([
      'epoch: 1; test accuracy: 0.8',
      'epoch: 2; test accuracy: 0.9',
      'epoch: 3; test accuracy: 0.95',
    ]);
  }, 60_000);
});
