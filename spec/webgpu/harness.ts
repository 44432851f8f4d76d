/**
 * Shared set-up of the WebGPU kernel specs: one GPU context for a spec file (on the adapter the child-process probe
 * found), seeded values, and `describeGpu`, which skips a suite with the reason where there is no adapter.
 */
import { acquireDevice } from '../../lib/kernels/webgpu/device.js';
import { GpuContext } from '../../lib/kernels/webgpu/context.js';
import { adapterProbe, createGpu } from './adapter.js';

/**
 * Each WebGPU spec runs hundreds of dispatches on SwiftShader, a software Vulkan: 2-3 s for the largest alone, over
 * Jest's 5 s default when CI runs two spec files at once on two cores. Every spec file that uses this harness gets 60 s.
 */
jest.setTimeout(60_000);

/**
 * `describe` where a WebGPU adapter exists, else `describe.skip` (with the reason printed once). With
 * `TAPEGRAD_REQUIRE_WEBGPU=1` (CI sets it) a missing adapter fails the suite instead, with the reason.
 */
export const describeGpu: jest.Describe =
  adapterProbe.name !== undefined
    ? describe
    : process.env.TAPEGRAD_REQUIRE_WEBGPU === '1'
      ? (((title: string) =>
          describe(title, () => {
            it('has a WebGPU adapter (TAPEGRAD_REQUIRE_WEBGPU=1)', () => {
              throw new Error(`no WebGPU adapter: ${adapterProbe.reason}`);
            });
          })) as unknown as jest.Describe)
      : describe.skip;

/** A suite title that names the adapter, or why the suite is skipped. */
export function gpuTitle(what: string): string {
  if (adapterProbe.name !== undefined) return `${what} on ${adapterProbe.name}`;
  const skipped = process.env.TAPEGRAD_REQUIRE_WEBGPU === '1' ? '' : 'skipped: ';
  const title = `${what} (${skipped}no WebGPU adapter: ${adapterProbe.reason})`;
  console.warn(title); // a suite whose tests are all skipped prints no titles
  return title;
}

/** A GPU context for this spec file: call in `describeGpu`; created before its tests and destroyed after them. */
export function useGpuContext(): { readonly ctx: GpuContext } {
  const holder = {} as { ctx: GpuContext };
  beforeAll(async () => {
    holder.ctx = new GpuContext(await acquireDevice({ gpu: createGpu() }));
  });
  afterAll(() => holder.ctx?.destroy());
  return holder;
}

/** Seeded values in [-1, 1) (a linear congruential generator: the same on every run). */
export function seeded(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}
