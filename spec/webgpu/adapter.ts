/// <reference types="@webgpu/types" />
/**
 * A WebGPU adapter for the specs, from Node's `webgpu` package (Dawn), or none with the reason. Whether one exists
 * is found in a child process first, synchronously, so that a spec file can `describe.skip` with the reason (Jest
 * decides what runs before any async setup), and so that a driver that crashes takes down the child, not Jest.
 * On Linux, where VK_ICD_FILENAMES is unset and Debian's chromium has SwiftShader, jest.config.js names it.
 */
import { execFileSync } from 'node:child_process';

/** Dawn's Node addon, by path (the package's ES-module entry cannot be required from Jest's CommonJS). */
const DAWN = `webgpu/dist/${process.platform === 'darwin' ? 'darwin-universal' : `${process.platform}-${process.arch}`}/dawn.node`;

const PROBE = `
const { create } = require(${JSON.stringify(DAWN)});
const gpu = create([]);
gpu.requestAdapter().then(
  (adapter) => {
    if (adapter === null) console.log(JSON.stringify({ reason: 'requestAdapter gave null (no Vulkan driver? set VK_ICD_FILENAMES)' }));
    else console.log(JSON.stringify({ name: adapter.info.description || adapter.info.vendor }));
    process.exit(0);
  },
  (error) => { console.log(JSON.stringify({ reason: String(error) })); process.exit(0); },
);`;

/** The adapter's name, or why there is none: the child's answer. */
function probe(): { name?: string; reason?: string } {
  try {
    require.resolve(DAWN);
  } catch {
    return { reason: `Node's 'webgpu' package is not installed (${DAWN})` };
  }
  try {
    const out = execFileSync(process.execPath, ['-e', PROBE], {
      cwd: process.cwd(),
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30_000,
    });
    return JSON.parse(out.trim().split('\n').pop() ?? '{}') as { name?: string; reason?: string };
  } catch (error) {
    return { reason: `the adapter probe failed: ${String(error).split('\n')[0]}` };
  }
}

/** The probe's result, for `describe` or `describe.skip` and the title that says why. */
export const adapterProbe = probe();

/** A GPU object from Dawn, for a spec that the probe let run. Keep it reachable while its device is used. */
export function createGpu(): GPU {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon, by path
  const { create } = require(DAWN) as { create: (flags: string[]) => GPU };
  return create([]);
}
