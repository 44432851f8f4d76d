/**
 * A reader for the IDX files MNIST and Fashion-MNIST ship in: a 4-byte magic
 * (two zero bytes, the element type, the number of dimensions), each
 * dimension as a big-endian uint32, then the elements in row-major order.
 * Only unsigned bytes (type 0x08) are read, which is all these data sets use.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** The contents of an IDX file: its dimensions and its bytes, row-major. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** IDX's element type code for unsigned bytes. */
const UBYTE = 0x08;

/** Parses an IDX file's bytes (already gunzipped); `file` names it in errors. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(`${file}: not an IDX file (magic ${magic || 'missing'}, expected 00 00 08 <rank>)`);
  }
  const type = bytes[2]!;
  const rank = bytes[3]!;
  if (type !== UBYTE) {
    throw new Error(`${file}: IDX element type 0x${type.toString(16)} is not supported; only 0x08 (unsigned byte) is`);
  }
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) {
    throw new Error(
      `${file}: truncated IDX header: ${rank} dimensions need ${headerLength} bytes, the file has ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== headerLength + size) {
    throw new Error(
      `${file}: IDX dimensions [${dims.join(', ')}] need ${size} data bytes, the file has ` +
        `${bytes.length - headerLength}; the file is truncated or corrupt`,
    );
  }
  return { dims, data: bytes.subarray(headerLength) };
}

/** Reads an IDX file, gunzipping it first when it is gzipped (`.gz`). */
export function readIdx(file: string): IdxArray {
  let bytes: Uint8Array = readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new Error(`${file}: cannot gunzip: ${(error as Error).message}`, { cause: error });
    }
  }
  return parseIdx(bytes, file);
}
