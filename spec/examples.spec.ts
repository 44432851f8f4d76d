/**
 * The documentation contract: every export of lib/index.ts has TSDoc; every
 * value export (function, class, const) and every public member of an
 * exported class (not private, protected or `@internal`) has an `@example`;
 * and every example type checks, runs, and has its value comments true. The
 * docs site is built from these comments.
 *
 * How examples are written (and checked here):
 *
 * - The code is in a ```ts fenced block of an `@example` tag; each block runs
 *   on its own (transpiled to CommonJS, in this realm), in a fresh scope with
 *   no tape recording and the reference kernels.
 * - Every export of tapegrad is in scope, so the `import { ... } from
 *   'tapegrad'` line may be left out (multi-line examples keep it). Anything
 *   else an example uses, it defines.
 * - Each block also type checks (strict) as a module that imports what it
 *   uses from 'tapegrad'.
 * - A value comment is a trailing `// value` after a top-level statement
 *   `expr;` or `const name = expr;`: it claims the value of `expr` (of
 *   `name`) when that statement has run. Values are written as the library
 *   gives them back: a tensor as its `arraySync()` (nested arrays of numbers;
 *   a bool tensor as 0s and 1s), numbers, 'strings', true, false, undefined,
 *   and arrays of these (an array of tensors as an array of their values).
 *   - `value (bool)`, and likewise int32, float32 and float64, also claims the
 *     tensor's dtype: comparisons are written `// [0, 1] (bool)`.
 *   - `Float32Array [1, 2]` (or Float64Array, Int32Array, Uint8Array) claims a
 *     typed array of that kind.
 *   - `~value` claims approximate equality (within a relative 1e-4); without
 *     it, numbers must be equal, or equal once rounded to float32.
 *   - `: text` after the value is commentary: `// 6: dy/dx = 2x`.
 *   A comment that does not start like a value (a digit, `-`, `[`, a quote,
 *   `~`, true, false, undefined, NaN, Infinity, a typed array name) is prose
 *   and is not checked; one that does must parse and must be on such a
 *   statement, so that no claim goes unchecked by accident.
 */
import * as path from 'node:path';
import * as lib from '../lib/index.js';
import { codeBlocks, instrument, publicApi, runExample, typeCheckExamples, type DocItem } from './support/examples.js';

const entry = path.join(__dirname, '..', 'lib', 'index.ts');
const api = publicApi(entry);
const exportNames = new Set(api.filter((item) => item.kind === 'value' || item.kind === 'type').map((i) => i.name));

/** Every code block of every example, named for test titles: `Tensor.add`, `tensor (2)` for a second block. */
const examples = api.flatMap((item) => {
  const blocks = item.examples.flatMap(codeBlocks);
  return blocks.map((code, i) => ({ item, title: blocks.length > 1 ? `${item.name} (${i + 1})` : item.name, code }));
});

const list = (items: readonly DocItem[]) => items.map((item) => `${item.name} (${item.location})`);

afterEach(() => {
  // A tape an example left recording must not record the next example's ops,
  // and kernels an example replaced must not run the next one's.
  lib.setKernels(lib.referenceKernels);
});

describe('the public API is documented', () => {
  test('the API is what lib/index.ts exports, with the members of Tensor, Variable and GradientTape', () => {
    const names = api.map((item) => item.name);
    expect(names).toEqual(expect.arrayContaining(['tensor', 'Tensor.add', 'Variable.assign', 'GradientTape.gradient']));
    const values = api.filter((item) => item.kind === 'value').map((item) => item.name);
    expect(values.sort()).toEqual(Object.keys(lib).sort());
  });

  test('every export and every public class member has TSDoc', () => {
    expect(list(api.filter((item) => !item.documented))).toEqual([]);
  });

  test('every value export and every public class member has an @example', () => {
    const needExample = api.filter((item) => item.kind === 'value' || item.kind === 'member');
    expect(list(needExample.filter((item) => item.examples.length === 0))).toEqual([]);
  });

  test('every @example is a ```ts code block (inline `code` does not run)', () => {
    const inline = api.filter((item) => item.examples.some((text) => codeBlocks(text).length === 0));
    expect(list(inline)).toEqual([]);
  });

  test('examples import only exports of tapegrad', () => {
    const wrong = examples.flatMap(({ title, code }) => {
      const { imports, foreignImports } = instrument(code);
      return [
        ...imports.filter((name) => !exportNames.has(name)).map((name) => `${title}: ${name} is not an export`),
        ...foreignImports.map((from) => `${title}: imports from '${from}'`),
      ];
    });
    expect(wrong).toEqual([]);
  });
});

describe('every example type checks, runs, and its value comments hold', () => {
  test('the examples type check (strict) against the library', () => {
    expect(typeCheckExamples(entry, examples, exportNames)).toEqual([]);
  });

  test.each(examples.map((e) => [e.title, e] as const))('%s', async (_title, { code }) => {
    await runExample(code, lib as unknown as Record<string, unknown>);
  });
});
