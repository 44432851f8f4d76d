/**
 * The options of `setBackend('webgpu')`, in types of their own: the public declarations must not need a WebGPU type
 * package, so nothing here names WebGPU's types (device.ts, which does, is internal).
 */

/**
 * The part of WebGPU's `GPU` object that tapegrad calls: `navigator.gpu` in a browser, or in Node `create([])` from
 * the `webgpu` package. Written out here so that tapegrad's types need no WebGPU type package.
 */
export interface GpuLike {
  /**
   * Resolves to an adapter, or null where there is none.
   *
   * @param options - The adapter wanted: `powerPreference`.
   */
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<unknown>;
}

/** Where the GPU comes from, for `setBackend('webgpu', options)`. */
export interface WebGpuOptions {
  /** The GPU object (`navigator.gpu`, or `create([])` from Node's `webgpu` package); default `globalThis.navigator.gpu`. */
  readonly gpu?: GpuLike;
  /** Asks the GPU object for a low-power or a high-performance adapter. */
  readonly powerPreference?: 'low-power' | 'high-performance';
}
