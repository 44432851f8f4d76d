// Stands in for the npm package `webgpu` in bench/gpu-bundle.mjs's bundle: Dawn's Node bindings from the
// dawn.node that lies next to bundle.mjs (the package looks in its own dist/<platform>-<arch>/).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { create, globals } = require('./dawn.node');
export { create, globals };
