/** Where the Fashion-MNIST example looks for its data, what it says when the data is missing, and how it reads it. */
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  FASHION_MNIST_DIR,
  FASHION_MNIST_FILES,
  fashionMnistDir,
  imagesAndLabels,
  loadFashionMnist,
} from '../../examples/support/fashion-mnist-data.js';
import { idxBytes, tempFiles } from './idx-files.js';

describe('fashionMnistDir', () => {
  it('takes --data first, then TAPEGRAD_DATA, then the directory apt installs into', () => {
    expect(fashionMnistDir('/flag', { TAPEGRAD_DATA: '/env' })).toBe('/flag');
    expect(fashionMnistDir(undefined, { TAPEGRAD_DATA: '/env' })).toBe('/env');
    expect(fashionMnistDir(undefined, {})).toBe('/usr/share/datasets/fashion-mnist');
    expect(FASHION_MNIST_DIR).toBe('/usr/share/datasets/fashion-mnist');
  });
});

describe('loadFashionMnist', () => {
  /** The message loadFashionMnist throws for `dir`. */
  function missingMessage(dir: string): string {
    try {
      loadFashionMnist(dir);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error(`loadFashionMnist(${dir}) did not throw`);
  }

  it('names the apt package, the directory, the four files and how to point elsewhere when files are missing', () => {
    const dir = tempFiles('tapegrad-fashion-').dir;
    expect(missingMessage(dir)).toBe(
      `Fashion-MNIST not found: ${dir} has none of its four files, train-images-idx3-ubyte.gz, ` +
        'train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz. ' +
        'Install them with `apt-get install dataset-fashion-mnist` (into /usr/share/datasets/fashion-mnist), ' +
        'or point --data DIR or the TAPEGRAD_DATA environment variable at a directory that holds them.',
    );
  });

  it('names the files that are missing when only some are', () => {
    const { dir, write } = tempFiles('tapegrad-fashion-');
    write(FASHION_MNIST_FILES.trainLabels, gzipSync(idxBytes([1], [0])));
    const message = missingMessage(dir);
    expect(message).toContain(
      `${dir} lacks train-images-idx3-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz (it needs all four: `,
    );
    expect(message).toContain('apt-get install dataset-fashion-mnist');
  });

  it('reads the four files into a training and a test set, pixels scaled to [0, 1]', () => {
    const { dir, write } = tempFiles('tapegrad-fashion-');
    write(FASHION_MNIST_FILES.trainImages, gzipSync(idxBytes([2, 2, 2], [0, 255, 51, 102, 0, 0, 0, 255])));
    write(FASHION_MNIST_FILES.trainLabels, gzipSync(idxBytes([2], [3, 9])));
    write(FASHION_MNIST_FILES.testImages, gzipSync(idxBytes([1, 2, 2], [255, 255, 0, 0])));
    write(FASHION_MNIST_FILES.testLabels, gzipSync(idxBytes([1], [7])));
    const { train, test } = loadFashionMnist(dir);
    expect([train.count, train.pixels, test.count, test.pixels]).toEqual([2, 4, 1, 4]);
    expect(Array.from(train.images)).toEqual([0, 1, 0.2, 0.4, 0, 0, 0, 1].map(Math.fround));
    expect(Array.from(train.labels)).toEqual([3, 9]);
    expect(Array.from(test.labels)).toEqual([7]);
  });
});

describe('imagesAndLabels', () => {
  it('rejects images and labels of different counts, naming both files', () => {
    const { dir, write } = tempFiles('tapegrad-fashion-');
    const images = write('images.gz', gzipSync(idxBytes([2, 1, 1], [1, 2])));
    const labels = write('labels.gz', gzipSync(idxBytes([3], [1, 2, 3])));
    expect(() => imagesAndLabels(images, labels)).toThrow(
      `${path.join(dir, 'images.gz')} [2, 1, 1] and ${path.join(dir, 'labels.gz')} [3] do not match`,
    );
  });
});
