/** The examples' shared command-line options. */
import * as path from 'node:path';
import { parseExampleArgs } from '../../examples/support/cli.js';

describe('parseExampleArgs', () => {
  it('defaults: no epoch count (the example picks), seed 1, the plot in build/examples', () => {
    expect(parseExampleArgs('mnist', [], ['model'])).toEqual({
      epochs: undefined,
      seed: 1,
      plot: path.join('build', 'examples', 'mnist-training.svg'),
      extra: { model: undefined },
    });
  });

  it('reads --epochs, --seed, --out DIR (or a .svg file) and the example own options', () => {
    const args = parseExampleArgs(
      'mnist',
      ['--model', 'mlp', '--epochs', '3', '--seed', '42', '--out', '/tmp/p'],
      ['model'],
    );
    expect(args).toEqual({
      epochs: 3,
      seed: 42,
      plot: path.join('/tmp/p', 'mnist-training.svg'),
      extra: { model: 'mlp' },
    });
    expect(parseExampleArgs('x', ['--out', 'a/b.svg']).plot).toBe('a/b.svg');
  });

  it('rejects epochs and seeds that are not whole numbers, and unknown options', () => {
    expect(() => parseExampleArgs('x', ['--epochs', '0'])).toThrow("--epochs must be a whole number from 1, got '0'");
    expect(() => parseExampleArgs('x', ['--seed', '1.5'])).toThrow("--seed must be a whole number from 0, got '1.5'");
    expect(() => parseExampleArgs('x', ['--model', 'mlp'])).toThrow("Unknown option '--model'");
  });
});
