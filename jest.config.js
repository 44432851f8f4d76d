const fs = require('node:fs'); // eslint-disable-line @typescript-eslint/no-require-imports -- a CommonJS config

// The WebGPU specs (spec/webgpu/) use Vulkan through Dawn: where no driver is named and Debian's chromium has
// SwiftShader, name it here, in Jest's own process (a spec's process.env is a copy that native code never sees).
const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.env.VK_ICD_FILENAMES === undefined && fs.existsSync(swiftshader)) {
  process.env.VK_ICD_FILENAMES = swiftshader;
}
// Vulkan's loader complains on every device when this is unset (as it is in containers and CI).
process.env.XDG_RUNTIME_DIR ??= require('node:os').tmpdir(); // eslint-disable-line @typescript-eslint/no-require-imports

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.spec.json' }],
  },
  // Sources import siblings as './x.js' (as ES modules need); Jest resolves them to the .ts files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};
