/**
 * The safetensors format (Hugging Face; read by PyTorch, JAX, NumPy), written
 * from its specification (https://github.com/huggingface/safetensors):
 *
 *     [8 bytes]  N, the header's length: an unsigned 64-bit little-endian integer
 *     [N bytes]  the header: UTF-8 JSON, `{ "name": { "dtype": "F32", "shape": [2, 2],
 *                "data_offsets": [begin, end] }, ..., "__metadata__": { "key": "value" } }`,
 *                which may end in spaces (writers pad it to 8-byte alignment)
 *     [rest]     the data: each tensor's elements, row-major, little-endian, at its
 *                offsets (counted from the data's start), the tensors back to back
 *                with no gap or overlap, covering the rest exactly
 *
 * Environment-neutral: typed arrays, DataView, TextEncoder and TextDecoder only.
 */
import type { DataTypeMap, DType, TypedArray } from '../dtype.js';
import { formatShape, MAX_SIZE } from '../shape.js';
import { Tensor } from '../tensor.js';

/** Each tapegrad dtype's safetensors name and element size in bytes. */
const FORMAT: Record<DType, { readonly name: string; readonly bytes: number }> = {
  float32: { name: 'F32', bytes: 4 },
  float64: { name: 'F64', bytes: 8 },
  int32: { name: 'I32', bytes: 4 },
  bool: { name: 'BOOL', bytes: 1 },
};

/** A safetensors dtype name back to the tapegrad dtype. */
const DTYPE_OF: Readonly<Record<string, DType>> = { F32: 'float32', F64: 'float64', I32: 'int32', BOOL: 'bool' };

/** The header key that holds string metadata rather than a tensor. */
const METADATA = '__metadata__';

/** Whether this machine stores numbers little-endian (as the format does): then data is copied, not converted. */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A tensor's entry in the header, once checked. */
interface HeaderEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** A file's contents: its tensors (as own keys, so that `__proto__` is a name like any other) and metadata. */
export interface SafetensorsContents {
  readonly tensors: Record<string, Tensor>;
  readonly metadata: Record<string, string>;
}

/** `record[key] = value` as an own property, even for the key `__proto__`. */
function define<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A name as error messages quote it: `'w'`, or JSON-escaped when it holds odd characters. */
function quote(name: string): string {
  return /^[\w./:-]*$/.test(name) ? `'${name}'` : JSON.stringify(name);
}

/** The elements' bytes, little-endian, as a view when the host is little-endian and otherwise a converted copy. */
function littleEndianBytes(values: TypedArray, dtype: DType): Uint8Array {
  if (dtype === 'bool') {
    // Booleans are one byte, 0 or 1, as NumPy and PyTorch store them.
    const out = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = values[i] ? 1 : 0;
    return out;
  }
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (dtype === 'float32') view.setFloat32(4 * i, v, true);
    else if (dtype === 'float64') view.setFloat64(8 * i, v, true);
    else view.setInt32(4 * i, v, true);
  }
  return out;
}

/** The elements stored little-endian in `bytes`, in a new typed array of `dtype`. */
function readValues(bytes: Uint8Array, dtype: DType, size: number): TypedArray {
  if (dtype === 'bool') {
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i++) out[i] = bytes[i] ? 1 : 0;
    return out;
  }
  const out: DataTypeMap[Exclude<DType, 'bool'>] =
    dtype === 'float32' ? new Float32Array(size) : dtype === 'float64' ? new Float64Array(size) : new Int32Array(size);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < size; i++) {
    out[i] =
      dtype === 'float32'
        ? view.getFloat32(4 * i, true)
        : dtype === 'float64'
          ? view.getFloat64(8 * i, true)
          : view.getInt32(4 * i, true);
  }
  return out;
}

/**
 * Encodes named tensors (and optional string metadata) as the bytes of a
 * safetensors file, which Python reads with `safetensors.numpy.load_file`
 * (or `safetensors.torch.load_file`). dtypes are stored as F32, F64, I32 and
 * BOOL; the tensors are laid out in the order of the record's keys, and the
 * header is padded with spaces to a multiple of 8 bytes, as the reference
 * implementation does. A variable is saved with its current value.
 *
 * @param tensors - The tensors to save, keyed by name (a variable saves its current value).
 * @param metadata - String key-value pairs to store in the header's `__metadata__`; none when omitted.
 *
 * @example
 * ```ts
 * import { io, tensor } from 'tapegrad';
 * const bytes = io.encodeSafetensors({ w: tensor([[1, 2], [3, 4]]) }, { step: '10' });
 * bytes.length; // 112: 8 (header length) + 88 (header, padded to 8s) + 16 (data)
 * io.decodeSafetensors(bytes).w.arraySync(); // [[1, 2], [3, 4]]
 * ```
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const op = 'tapegrad.io.encodeSafetensors';
  if (typeof tensors !== 'object' || tensors === null || Array.isArray(tensors) || tensors instanceof Tensor) {
    throw new TypeError(`${op}: tensors must be a record of named tensors, like { w: tensor([1, 2]) }`);
  }
  const names = Object.keys(tensors);
  const entries: string[] = [];
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      throw new TypeError(`${op}: metadata must be a record of strings, like { epoch: '3' }`);
    }
    for (const key of Object.keys(metadata)) {
      if (typeof metadata[key] !== 'string') {
        throw new TypeError(
          `${op}: metadata ${quote(key)} is a ${typeof metadata[key]}; safetensors metadata values are strings, so ` +
            `convert it (String(value), JSON.stringify(value))`,
        );
      }
    }
    // Spread would run a `__proto__` key as a setter; go through defineProperty.
    const copy: Record<string, string> = {};
    for (const key of Object.keys(metadata)) define(copy, key, metadata[key]!);
    entries.push(`${JSON.stringify(METADATA)}:${JSON.stringify(copy)}`);
  }

  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    if (!(t instanceof Tensor)) {
      throw new TypeError(`${op}: ${quote(name)} is not a tensor; every value of the record must be a Tensor`);
    }
    if (name === METADATA) {
      throw new Error(`${op}: the name '${METADATA}' is reserved for the file's metadata; rename the tensor`);
    }
    if (t.onGpu) {
      throw new Error(
        `${op}: ${quote(name)} lives on webgpu, which has no synchronous read; move it first with ` +
          "await toBackend(t, 'wasm-simd'), or save with saveSafetensors from 'tapegrad/node', which does",
      );
    }
    const data = littleEndianBytes(t.values, t.dtype);
    const info = { dtype: FORMAT[t.dtype].name, shape: t.shape, data_offsets: [offset, offset + data.length] };
    entries.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    chunks.push(data);
    offset += data.length;
  }

  let header = new TextEncoder().encode(`{${entries.join(',')}}`);
  const padded = Math.ceil(header.length / 8) * 8;
  if (padded !== header.length) {
    const withSpaces = new Uint8Array(padded).fill(0x20);
    withSpaces.set(header);
    header = withSpaces;
  }
  const out = new Uint8Array(8 + header.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  let at = 8 + header.length;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Reads a safetensors file's bytes: checks the whole layout (header length,
 * JSON, each entry's fields, offsets that tile the data exactly, sizes that
 * match shapes and dtypes) before making any tensor. Errors start with
 * `tapegrad.${op}:` and say what is wrong.
 * @internal
 */
export function parseSafetensors(bytes: Uint8Array, op: string): SafetensorsContents {
  const fail = (what: string): Error => new Error(`tapegrad.${op}: ${what}`);
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`tapegrad.${op}: expected the file's bytes as a Uint8Array (or Buffer)`);
  }
  if (bytes.length < 8) {
    throw fail(
      `the file is ${bytes.length} bytes, too short for the 8-byte header length; the file is truncated or is not safetensors`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    throw fail(
      `the header length is ${headerLength} bytes but only ${bytes.length - 8} bytes follow it; ` +
        `the file is truncated or is not safetensors`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    throw fail('the header is not valid UTF-8; the file is corrupt or is not safetensors');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw fail(`the header is not valid JSON (${(error as Error).message}); the file is corrupt or is not safetensors`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw fail('the header is not a JSON object; the file is corrupt or is not safetensors');
  }
  const fields = header as Record<string, unknown>;

  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  const dataLength = bytes.length - dataStart;
  for (const name of Object.keys(fields)) {
    const value = fields[name];
    if (name === METADATA) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw fail(`'${METADATA}' is not an object of strings`);
      }
      for (const key of Object.keys(value)) {
        const v = (value as Record<string, unknown>)[key];
        if (typeof v !== 'string') throw fail(`'${METADATA}' ${quote(key)} is not a string`);
        define(metadata, key, v);
      }
      continue;
    }
    entries.push(checkEntry(name, value, dataLength, fail));
  }

  // The data must be tiled exactly: sorted by offsets, each tensor starts where the last ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of sorted) {
    if (e.begin !== expected) {
      throw fail(
        e.begin < expected
          ? `tensor ${quote(e.name)} has data_offsets [${e.begin}, ${e.end}], overlapping the tensor before it (which ends at ${expected})`
          : `tensor ${quote(e.name)} has data_offsets [${e.begin}, ${e.end}], leaving bytes ${expected} to ${e.begin} unused`,
      );
    }
    expected = e.end;
  }
  if (expected !== dataLength) {
    throw fail(
      `the tensors cover ${expected} bytes of data but the file has ${dataLength} bytes after the header; ` +
        `the file is corrupt or has bytes no tensor uses`,
    );
  }

  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    const size = (e.end - e.begin) / FORMAT[e.dtype].bytes;
    const values = readValues(bytes.subarray(dataStart + e.begin, dataStart + e.end), e.dtype, size);
    define(tensors, e.name, new Tensor(values, e.shape, e.dtype));
  }
  return { tensors, metadata };
}

/** One tensor's header entry, checked: known dtype, a shape of sizes, offsets in the data that fit the shape. */
function checkEntry(name: string, value: unknown, dataLength: number, fail: (what: string) => Error): HeaderEntry {
  const which = `tensor ${quote(name)}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(`${which} is not an object with dtype, shape and data_offsets`);
  }
  const { dtype: dtypeName, shape, data_offsets: offsets } = value as Record<string, unknown>;
  for (const [field, v] of [
    ['dtype', dtypeName],
    ['shape', shape],
    ['data_offsets', offsets],
  ] as const) {
    if (v === undefined) throw fail(`${which} has no '${field}'`);
  }
  if (typeof dtypeName !== 'string')
    throw fail(`${which} has dtype ${JSON.stringify(dtypeName)}, which is not a string`);
  const dtype = Object.prototype.hasOwnProperty.call(DTYPE_OF, dtypeName) ? DTYPE_OF[dtypeName] : undefined;
  if (dtype === undefined) {
    throw fail(
      `${which} has dtype ${dtypeName}, which tapegrad does not hold; tapegrad reads F32, F64, I32 and BOOL, so ` +
        `convert the tensor to one of them before saving it`,
    );
  }
  const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!Array.isArray(shape) || !shape.every(count)) {
    throw fail(`${which} has shape ${JSON.stringify(shape)}; a shape is an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(count)) {
    throw fail(`${which} has data_offsets ${JSON.stringify(offsets)}; data_offsets is [begin, end], two byte offsets`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw fail(`${which} has data_offsets [${begin}, ${end}], which end before they begin`);
  if (end > dataLength) {
    throw fail(
      `${which} has data_offsets [${begin}, ${end}] but the data is ${dataLength} bytes; the file is truncated or corrupt`,
    );
  }
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  if (size > MAX_SIZE) {
    throw fail(
      `${which} has shape ${formatShape(shape as number[])}, more than the ${MAX_SIZE} elements a tensor holds`,
    );
  }
  const needed = size * FORMAT[dtype].bytes;
  if (needed !== end - begin) {
    throw fail(
      `${which} has data_offsets [${begin}, ${end}] but shape ${formatShape(shape as number[])} ${dtype} needs ` +
        `${needed} bytes`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/**
 * Decodes the bytes of a safetensors file (as `safetensors.numpy.save_file`
 * or `safetensors.torch.save_file` write them) into named tensors. F32, F64,
 * I32 and BOOL tensors become float32, float64, int32 and bool ones; another
 * dtype (F16, BF16, I64, ...) is an error naming it. The layout is checked in
 * full first, so a truncated or corrupt file is an error saying what is
 * wrong, never wrong tensors. Every name is an own key of the result, even
 * `__proto__`.
 *
 * @param bytes - The whole contents of a safetensors file.
 *
 * @example
 * ```ts
 * import { io, tensor } from 'tapegrad';
 * const bytes = io.encodeSafetensors({ b: tensor([1, 2], undefined, 'int32') });
 * const { b } = io.decodeSafetensors(bytes);
 * b.arraySync(); // [1, 2]
 * b.dtype; // 'int32'
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array): Record<string, Tensor> {
  return parseSafetensors(bytes, 'io.decodeSafetensors').tensors;
}

/**
 * The string metadata of a safetensors file (its header's `__metadata__`;
 * `{}` when it has none). The whole file is checked as by
 * {@link decodeSafetensors}.
 *
 * @param bytes - The whole contents of a safetensors file.
 *
 * @example
 * ```ts
 * import { io, scalar } from 'tapegrad';
 * const bytes = io.encodeSafetensors({ x: scalar(1) }, { format: 'np' });
 * io.decodeSafetensorsMetadata(bytes).format; // 'np'
 * ```
 */
export function decodeSafetensorsMetadata(bytes: Uint8Array): Record<string, string> {
  return parseSafetensors(bytes, 'io.decodeSafetensorsMetadata').metadata;
}
