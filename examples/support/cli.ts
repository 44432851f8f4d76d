/**
 * The command-line options the examples share: `--epochs N`, `--seed S`,
 * `--out DIR` (where the plot goes; a path ending in `.svg` names the file
 * itself), plus the string options an example adds.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';

/** The parsed options: numbers checked, `plot` the SVG's path (`build/examples/<name>-training.svg` by default). */
export interface ExampleArgs {
  epochs: number | undefined;
  seed: number;
  plot: string;
  extra: Record<string, string | undefined>;
}

/** Parses `argv` for the example `name`; `extra` names its own string options (`['model']`). */
export function parseExampleArgs(name: string, argv: string[], extra: readonly string[] = []): ExampleArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      epochs: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      ...Object.fromEntries(extra.map((option) => [option, { type: 'string' as const }])),
    },
  });
  const strings = values as Record<string, string | undefined>;
  return {
    epochs: strings.epochs === undefined ? undefined : wholeNumber('--epochs', strings.epochs, 1),
    seed: strings.seed === undefined ? 1 : wholeNumber('--seed', strings.seed, 0),
    plot: plotPath(name, strings.out),
    extra: Object.fromEntries(extra.map((option) => [option, strings[option]])),
  };
}

/** `text` as an integer ≥ `min`, or an error naming `flag`. */
function wholeNumber(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > 4294967295) {
    throw new RangeError(`${flag} must be a whole number from ${min}, got '${text}'`);
  }
  return n;
}

/** The plot's file: `<out>/<name>-training.svg`, or `out` itself when it ends in `.svg`. */
function plotPath(name: string, out = path.join('build', 'examples')): string {
  return out.endsWith('.svg') ? out : path.join(out, `${name}-training.svg`);
}
