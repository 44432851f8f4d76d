/**
 * Fashion-MNIST from its four gzipped IDX files, as Debian's
 * `dataset-fashion-mnist` package installs them.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Dataset } from './dataset.js';
import { readIdx } from './idx.js';

/** Where `apt-get install dataset-fashion-mnist` puts the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The four files, as the data set's authors name them. */
export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

/** The data directory: `--data`, else `$TAPEGRAD_DATA`, else {@link FASHION_MNIST_DIR}. */
export function fashionMnistDir(dataFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return dataFlag || env.TAPEGRAD_DATA || FASHION_MNIST_DIR;
}

/** Loads the 60,000 training and 10,000 test images; a clear Error when files are missing. */
export function loadFashionMnist(dir: string): { train: Dataset; test: Dataset } {
  const files = Object.values(FASHION_MNIST_FILES);
  const missing = files.filter((file) => !existsSync(path.join(dir, file)));
  if (missing.length > 0) {
    const found =
      missing.length === files.length
        ? `${dir} has none of its four files, ${files.join(', ')}`
        : `${dir} lacks ${missing.join(', ')} (it needs all four: ${files.join(', ')})`;
    throw new Error(
      `Fashion-MNIST not found: ${found}. ` +
        `Install them with \`apt-get install dataset-fashion-mnist\` (into ${FASHION_MNIST_DIR}), ` +
        'or point --data DIR or the TAPEGRAD_DATA environment variable at a directory that holds them.',
    );
  }
  const read = (images: string, labels: string) => imagesAndLabels(path.join(dir, images), path.join(dir, labels));
  return {
    train: read(FASHION_MNIST_FILES.trainImages, FASHION_MNIST_FILES.trainLabels),
    test: read(FASHION_MNIST_FILES.testImages, FASHION_MNIST_FILES.testLabels),
  };
}

/** A {@link Dataset} from an images file `[n, rows, cols]` and a labels file `[n]`. */
export function imagesAndLabels(imagesFile: string, labelsFile: string): Dataset {
  const images = readIdx(imagesFile);
  const labels = readIdx(labelsFile);
  const [count, rows, cols] = images.dims;
  if (images.dims.length !== 3 || labels.dims.length !== 1 || labels.dims[0] !== count) {
    throw new Error(
      `${imagesFile} [${images.dims.join(', ')}] and ${labelsFile} [${labels.dims.join(', ')}] ` +
        'do not match: expected images [n, rows, cols] and labels [n]',
    );
  }
  return {
    images: scaled(images.data),
    labels: Int32Array.from(labels.data),
    count: count!,
    pixels: rows! * cols!,
    classes: 10,
  };
}

/** Pixels 0..255 as floats in [0, 1]: a plain loop (`Float32Array.from` with a map function first collects
 * all 47 million values in an ordinary array, over a gigabyte). */
function scaled(pixels: ArrayLike<number>): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i]! / 255;
  return out;
}
