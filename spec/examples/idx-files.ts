/** Tiny IDX files for the specs, written to a fresh temporary directory. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** An IDX file's bytes: magic 00 00 <type> <rank>, big-endian dims, then `data` (unsigned bytes by default). */
export function idxBytes(dims: number[], data: number[], type = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(type, 2);
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

/** A new temporary directory, and a function writing a named file into it (returning its path). */
export function tempFiles(prefix: string): { dir: string; write(name: string, bytes: Buffer): string } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return {
    dir,
    write(name, bytes) {
      const file = path.join(dir, name);
      writeFileSync(file, bytes);
      return file;
    },
  };
}
