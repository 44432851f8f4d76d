// dependency-cruiser rules for lib/ (`npm run check:cycles`; CI runs it after lint).
// Type-only dependencies (`import type`, `import { type X }`, `export type`, `typeof import()`)
// vanish when TypeScript compiles, so they cannot make a cycle at run time: the rules skip them.
const typeOnly = ['type-only', 'type-import'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'This import is part of a cycle of run-time imports in lib/: which module a cycle loads first changes ' +
        'what the others see at import. Break it (move the shared piece down, or make the import type-only).',
      from: { path: '^lib/' },
      // Every link of the cycle (not only the first) must be a run-time import.
      to: { circular: true, dependencyTypesNot: typeOnly, viaOnly: { dependencyTypesNot: typeOnly } },
    },
    {
      name: 'kernels-stay-low',
      severity: 'error',
      comment:
        'Kernels work on typed arrays and shapes only: lib/kernels/ may import from lib/ outside kernels/ ' +
        'only dtype, shape and format (type-only imports are fine).',
      from: { path: '^lib/kernels/' },
      to: {
        path: '^lib/',
        pathNot: ['^lib/kernels/', '^lib/(dtype|shape|format)\\.ts$'],
        dependencyTypesNot: typeOnly,
      },
    },
  ],
  options: {
    includeOnly: '^lib/',
    tsConfig: { fileName: 'tsconfig.json' },
    // Read imports from the TypeScript source (not the compiled JavaScript), so that `import type`
    // ones are seen and marked type-only rather than dropped.
    tsPreCompilationDeps: true,
    // lib/ imports './x.js' for './x.ts' (as ES modules need).
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
