// ESLint flat config: @eslint/js recommended + typescript-eslint recommended
// (syntax-only rules, no type information, so it stays fast). `npm run lint`.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Node's globals, read from the running Node, plus CommonJS's module-scope names. */
const nodeGlobals = Object.fromEntries(
  [
    ...Object.getOwnPropertyNames(globalThis).filter((name) => !name.startsWith('_')),
    'require',
    'module',
    'exports',
    '__dirname',
    '__filename',
  ].map((name) => [name, 'readonly']),
);

export default defineConfig(
  globalIgnores(['node_modules/', 'dist/', 'build/', 'docs/api/', 'coverage/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed parameters and variables are deliberately unused (e.g. VJP rules' `_attrs`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    // Plain JavaScript here is Node tooling (scripts, configs); TypeScript files get no-undef from tsc.
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: { globals: nodeGlobals },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
