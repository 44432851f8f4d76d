#!/usr/bin/env bash
# Packaging check: packs tapegrad with `npm pack`, installs the tarball into a
# scratch project, and uses it from CommonJS (require), from an ES module
# (import), from TypeScript (moduleResolution NodeNext, through the "exports"
# map's types) and bundled by esbuild (tree shaken, so "sideEffects" must be
# right). Needs a build first: npm run build && npm run pack-check
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/tapegrad-pack-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
started=$SECONDS

fail() {
  echo "pack-check: FAIL: $*" >&2
  exit 1
}

for f in dist/esm/index.js dist/esm/index.d.ts dist/esm/package.json dist/cjs/index.js dist/cjs/index.d.ts dist/cjs/package.json \
  dist/esm/node.js dist/esm/node.d.ts dist/cjs/node.js dist/cjs/node.d.ts; do
  [[ -f "$root/$f" ]] || fail "$f is missing; run 'npm run build' first"
done

# 1. Pack, and check the tarball holds only dist/, package.json, README.md and LICENSE.
mkdir "$work/pack"
(cd "$root" && npm pack --json --pack-destination "$work/pack" >"$work/pack.json") ||
  fail "npm pack failed"
node - "$work/pack.json" <<'JS' || fail "the tarball's contents are wrong (see above)"
const [{ filename, files }] = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
const paths = files.map((f) => f.path);
const allowed = (p) => p.startsWith('dist/') || ['package.json', 'README.md', 'LICENSE'].includes(p);
const extra = paths.filter((p) => !allowed(p));
const required = ['package.json', 'README.md', 'LICENSE', 'dist/esm/index.js', 'dist/esm/index.d.ts',
  'dist/esm/package.json', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json',
  'dist/esm/node.js', 'dist/esm/node.d.ts', 'dist/cjs/node.js', 'dist/cjs/node.d.ts'];
const missing = required.filter((p) => !paths.includes(p));
if (extra.length) console.error(`unexpected files in ${filename}: ${extra.join(', ')}`);
if (missing.length) console.error(`missing from ${filename}: ${missing.join(', ')}`);
process.exit(extra.length || missing.length ? 1 : 0);
JS
tarball="$(ls "$work"/pack/*.tgz)"

# 2. A scratch project that installs the tarball (no dependencies, so offline is enough).
app="$work/app"
mkdir "$app"
cat >"$app/package.json" <<'JSON'
{ "name": "tapegrad-pack-check-app", "version": "0.0.0", "private": true }
JSON
(cd "$app" && npm install --offline --no-audit --no-fund --loglevel=error "$tarball" >/dev/null) ||
  fail "npm install of $(basename "$tarball") failed"

# 3. CommonJS consumer: d(x^3)/dx at x = 2 is 12; d2(x^3)/dx2 at x = 2 is 12 too (nested tapes).
cat >"$app/check.cjs" <<'JS'
const tg = require('tapegrad');
const where = require.resolve('tapegrad');
if (!where.endsWith('/node_modules/tapegrad/dist/cjs/index.js')) throw new Error(`require resolved ${where}`);
const x = tg.scalar(2);
const outer = new tg.GradientTape();
outer.watch(x);
const tape = new tg.GradientTape();
tape.watch(x);
const y = x.mul(x).mul(x);
const dy = tape.gradient(y, x);
const d2y = outer.gradient(dy, x);
if (dy.item() !== 12 || d2y.item() !== 12) {
  console.error(`CommonJS: expected 12 and 12, got ${dy.item()} and ${d2y.item()}`);
  process.exit(1);
}
JS
(cd "$app" && node check.cjs) || fail "the CommonJS consumer (require('tapegrad')) failed"

# 4. ES-module consumer.
cat >"$app/check.mjs" <<'JS'
import { GradientTape, scalar } from 'tapegrad';
const where = import.meta.resolve('tapegrad');
if (!where.endsWith('/node_modules/tapegrad/dist/esm/index.js')) throw new Error(`import resolved ${where}`);
const x = scalar(2);
const tape = new GradientTape();
tape.watch(x);
const y = x.mul(x).mul(x);
const g = tape.gradient(y, x).item();
if (g !== 12) {
  console.error(`ES module: expected 12, got ${g}`);
  process.exit(1);
}
JS
(cd "$app" && node check.mjs) || fail "the ES-module consumer (import from 'tapegrad') failed"

# 4b. The Node entry, tapegrad/node, from CommonJS and from an ES module: a safetensors file saved
#     by one is read by the other, and loadInto assigns it to a variable of the main entry.
cat >"$app/check-node.cjs" <<'JS'
const tg = require('tapegrad');
const { saveSafetensors } = require('tapegrad/node');
const where = require.resolve('tapegrad/node');
if (!where.endsWith('/node_modules/tapegrad/dist/cjs/node.js')) throw new Error(`require resolved ${where}`);
saveSafetensors(process.argv[2], { w: tg.tensor([[1, 2], [3, 4]]) }, { from: 'cjs' }).catch((error) => {
  console.error(error);
  process.exit(1);
});
JS
cat >"$app/check-node.mjs" <<'JS'
import { tensor, variable } from 'tapegrad';
import { loadInto, loadSafetensors } from 'tapegrad/node';
const where = import.meta.resolve('tapegrad/node');
if (!where.endsWith('/node_modules/tapegrad/dist/esm/node.js')) throw new Error(`import resolved ${where}`);
const { w } = await loadSafetensors(process.argv[2]);
const v = variable(tensor([[0, 0], [0, 0]]), { name: 'w' });
await loadInto(process.argv[2], [v]);
const got = JSON.stringify([w.arraySync(), v.arraySync()]);
if (got !== '[[[1,2],[3,4]],[[1,2],[3,4]]]') {
  console.error(`tapegrad/node: expected the saved weights back, got ${got}`);
  process.exit(1);
}
JS
(cd "$app" && node check-node.cjs "$work/w.safetensors") || fail "require('tapegrad/node') (saveSafetensors) failed"
(cd "$app" && node check-node.mjs "$work/w.safetensors") || fail "import('tapegrad/node') (loadSafetensors, loadInto) failed"

# 5. TypeScript consumers, NodeNext: the .mts one resolves the "import" types
#    (dist/esm/index.d.ts), the .cts one the "require" types (dist/cjs/index.d.ts).
#    No skipLibCheck, so the shipped declarations are checked too. The consumer's lib
#    is plain ES2022: the declarations bring in esnext.disposable themselves (GradientTape
#    is Disposable), so users need no extra lib setting.
cat >"$app/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noEmit": true,
    "types": []
  },
  "files": ["consumer.mts", "consumer.cts"]
}
JSON
for ext in mts cts; do
  cat >"$app/consumer.$ext" <<'TS'
import { GradientTape, scalar, type Tensor } from 'tapegrad';

const x: Tensor<'float32'> = scalar(2);
const tape = new GradientTape();
tape.watch(x);
const y = x.mul(x).mul(x);
const g: Tensor | undefined = tape.gradient(y, x);
const value: number | undefined = g?.item();
// @ts-expect-error: a gradient may be undefined (this line fails if the types resolved to `any`)
tape.gradient(y, x).item();
export { value };
TS
done
"$root/node_modules/.bin/tsc" -p "$app/tsconfig.json" || fail "the TypeScript consumers do not type-check against the packed declarations"

# 6. Bundled consumers: esbuild (bundle, tree shaking, platform node) bundles ES-module entries that
#    import a few names, and each bundle must still do what tapegrad does at import. This is what
#    package.json "sideEffects" (copied into dist/*/package.json, the one bundlers read) must allow:
#    a module left off it is dropped when none of its exports is used.
#    - bundle-backend: backend() and matmul; the WebAssembly SIMD kernels install in Node at import.
#    - bundle-matmul: no import from kernels/wasm/, and still the kernels in use at load are not the
#      reference (TypeScript) ones; with "sideEffects": false the install is dropped.
#    - bundle-methods: Tensor methods work when only a creation function is imported.
cat >"$app/bundle-backend.mjs" <<'JS'
import { backend, matmul } from 'tapegrad';
console.log(backend(), JSON.stringify(matmul([[1, 2], [3, 4]], [[5], [6]]).arraySync()));
JS
cat >"$app/bundle-matmul.mjs" <<'JS'
import { matmul, referenceKernels, setKernels } from 'tapegrad';
const inUse = setKernels(referenceKernels);
setKernels(inUse);
const kernels = inUse.matmul === referenceKernels.matmul ? 'typescript' : 'wasm-simd';
console.log(kernels, JSON.stringify(matmul([[1, 2], [3, 4]], [[5], [6]]).arraySync()));
JS
cat >"$app/bundle-methods.mjs" <<'JS'
import { scalar } from 'tapegrad';
console.log(scalar(2).mul(3).add(1).item());
JS
(cd "$app" && "$root/node_modules/.bin/esbuild" bundle-backend.mjs bundle-matmul.mjs bundle-methods.mjs --bundle \
  --platform=node --format=esm --tree-shaking=true --outdir=bundled --out-extension:.js=.mjs --log-level=warning) ||
  fail "esbuild could not bundle the consumers of tapegrad"
for check in "bundle-backend:wasm-simd [[17],[39]]" "bundle-matmul:wasm-simd [[17],[39]]" "bundle-methods:7"; do
  name=${check%%:*}
  want=${check#*:}
  got="$(cd "$app" && env -u TAPEGRAD_KERNELS node "bundled/$name.mjs")" || fail "the esbuild bundle of $name.mjs failed"
  [[ "$got" == "$want" ]] ||
    fail "the esbuild bundle of $name.mjs printed '$got', not '$want' (is package.json \"sideEffects\" missing a module?)"
done

echo "pack-check: OK: $(basename "$tarball") installs; require, import, tapegrad/node, TypeScript (NodeNext, ESM + CJS) and esbuild-bundled consumers pass ($((SECONDS - started))s)"
