/** The IDX reader of the examples: headers, gzip, and errors that name the file. */
import { gzipSync } from 'node:zlib';
import { readIdx } from '../../examples/support/idx.js';
import { idxBytes, tempFiles } from './idx-files.js';

const { write } = tempFiles('tapegrad-idx-');

describe('readIdx', () => {
  it('reads a gzipped file: big-endian dims and the bytes in order', () => {
    const data = Array.from({ length: 2 * 3 * 2 }, (_, i) => i * 20);
    const { dims, data: read } = readIdx(write('good-idx3-ubyte.gz', gzipSync(idxBytes([2, 3, 2], data))));
    expect(dims).toEqual([2, 3, 2]);
    expect(Array.from(read)).toEqual(data);
  });

  it('reads a plain (not gzipped) file and dims above 255', () => {
    const data = Array.from({ length: 300 }, (_, i) => i % 256);
    const { dims, data: read } = readIdx(write('labels-idx1-ubyte', idxBytes([300], data)));
    expect(dims).toEqual([300]);
    expect(Array.from(read)).toEqual(data);
  });

  it('rejects a bad magic, naming the file', () => {
    const file = write('bad-magic.gz', gzipSync(Buffer.from([1, 2, 8, 1, 0, 0, 0, 1, 7])));
    expect(() => readIdx(file)).toThrow(`${file}: not an IDX file (magic 01 02 08 01`);
  });

  it('rejects an element type other than unsigned bytes, naming the file', () => {
    const file = write('floats.gz', gzipSync(idxBytes([1], [0, 0, 0, 0], 0x0d)));
    expect(() => readIdx(file)).toThrow(`${file}: IDX element type 0xd is not supported`);
  });

  it('rejects a truncated file: fewer bytes than its dims need', () => {
    const file = write('truncated.gz', gzipSync(idxBytes([2, 2, 2], [1, 2, 3, 4, 5])));
    expect(() => readIdx(file)).toThrow(`${file}: IDX dimensions [2, 2, 2] need 8 data bytes, the file has 5`);
  });

  it('rejects a truncated header', () => {
    const file = write('short-header.gz', gzipSync(Buffer.from([0, 0, 8, 3, 0, 0, 0, 2])));
    expect(() => readIdx(file)).toThrow(`${file}: truncated IDX header: 3 dimensions need 16 bytes, the file has 8`);
  });

  it('rejects a corrupt gzip stream, naming the file', () => {
    const gz = gzipSync(idxBytes([4], [1, 2, 3, 4]));
    const file = write('corrupt.gz', gz.subarray(0, gz.length - 6));
    expect(() => readIdx(file)).toThrow(`${file}: cannot gunzip`);
  });
});
