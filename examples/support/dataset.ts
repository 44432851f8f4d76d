/**
 * An image classification data set in memory, and the tensors of a batch.
 */
import { oneHot, tensor, type Tensor } from '../../lib/index.js';

/** `count` images of `pixels` values in [0, 1], row after row, and their labels. */
export interface Dataset {
  images: Float32Array;
  labels: Int32Array;
  count: number;
  pixels: number;
  classes: number;
}

/** The examples of `data` at `indices`, in that order. */
export function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const { pixels } = data;
  const images = new Float32Array(indices.length * pixels);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i]!;
    images.set(data.images.subarray(k * pixels, (k + 1) * pixels), i * pixels);
    labels[i] = data.labels[k]!;
  }
  return { ...data, images, labels, count: indices.length };
}

/** A batch as tensors: x `[batch, pixels]` and one-hot float32 labels y `[batch, classes]`. */
export function batchTensors(data: Dataset, indices: ArrayLike<number>): { x: Tensor; y: Tensor; labels: Int32Array } {
  const part = subset(data, indices);
  const x = tensor(part.images, [part.count, part.pixels]);
  const y = oneHot(tensor(part.labels), data.classes, 1, 0, 'float32');
  return { x, y, labels: part.labels };
}
