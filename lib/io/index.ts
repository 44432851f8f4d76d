/**
 * Saving and loading tensors as bytes, in every environment (Node, browsers,
 * workers): the safetensors format of Hugging Face, which PyTorch, JAX and
 * NumPy read and write (`safetensors.numpy.load_file`). To read and write
 * files in Node, use `loadSafetensors`, `saveSafetensors` and `loadInto`
 * from `tapegrad/node`.
 *
 * @example
 * ```ts
 * import { io, tensor } from 'tapegrad';
 * const bytes = io.encodeSafetensors({ w: tensor([[1, 2], [3, 4]]), b: tensor([0.5]) });
 * const loaded = io.decodeSafetensors(bytes);
 * loaded.w.arraySync(); // [[1, 2], [3, 4]]
 * loaded.b.arraySync(); // [0.5]
 * ```
 * @packageDocumentation
 */
export { encodeSafetensors, decodeSafetensors, decodeSafetensorsMetadata } from './safetensors.js';
