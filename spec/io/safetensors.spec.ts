/**
 * The safetensors format (lib/io/safetensors.ts): round trips of every dtype,
 * a file laid out byte by byte from the specification, the layout the encoder
 * writes (what a Python reader relies on), and corrupt files as errors.
 */
import { scalar, tensor, type Tensor } from '../../lib/index.js';
import { decodeSafetensors, decodeSafetensorsMetadata, encodeSafetensors } from '../../lib/io/index.js';
import { expectError, loose } from '../support/errors.js';

const DECODE = 'tapegrad.io.decodeSafetensors';

/** A safetensors file from its header text and data bytes: the header length as 8 bytes little-endian, then both. */
function file(header: string, data: readonly number[] = [], headerLength?: number): Uint8Array {
  const text = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + text.length + data.length);
  const n = headerLength ?? text.length;
  for (let i = 0; i < 8; i++) out[i] = Math.floor(n / 2 ** (8 * i)) % 256;
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

/** The header length, header JSON and data of encoded bytes, read as a Python reader does. */
function layout(bytes: Uint8Array): {
  n: number;
  header: Record<string, unknown>;
  headerText: string;
  data: Uint8Array;
} {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  return { n, header: JSON.parse(headerText), headerText, data: bytes.subarray(8 + n) };
}

function expectSame(actual: Tensor | undefined, expected: Tensor): void {
  expect(actual).toBeDefined();
  expect(actual!.dtype).toBe(expected.dtype);
  expect(actual!.shape).toEqual(expected.shape);
  expect(Array.from(actual!.values)).toEqual(Array.from(expected.values));
}

describe('round trips', () => {
  test('every dtype, with scalars and empty tensors, comes back with its dtype, shape and values', () => {
    const tensors: Record<string, Tensor> = {
      f32: tensor([
        [1.5, -2, 3e-8],
        [Infinity, -0, 7],
      ]),
      f64: tensor([Math.PI, -1e300, 5e-324], undefined, 'float64'),
      i32: tensor([2147483647, -2147483648, 0], undefined, 'int32'),
      bool: tensor([true, false, true]),
      scalarF32: scalar(0.25),
      scalarF64: scalar(1 / 3, 'float64'),
      scalarI32: scalar(-7, 'int32'),
      scalarBool: scalar(true, 'bool'),
      emptyF32: tensor([], [0], 'float32'),
      emptyI32: tensor([], [2, 0, 3], 'int32'),
      emptyBool: tensor([], [0, 1], 'bool'),
      emptyF64: tensor([], [0], 'float64'),
    };
    const decoded = decodeSafetensors(encodeSafetensors(tensors));
    expect(Object.keys(decoded)).toEqual(Object.keys(tensors));
    for (const name of Object.keys(tensors)) expectSame(decoded[name], tensors[name]!);
    expect(Object.is(decoded.f32!.values[4], -0)).toBe(true);
  });

  test('NaN keeps its bits through float32 and float64', () => {
    const decoded = decodeSafetensors(encodeSafetensors({ a: tensor([NaN]), b: tensor([NaN], undefined, 'float64') }));
    expect(Number.isNaN(decoded.a!.values[0])).toBe(true);
    expect(Number.isNaN(decoded.b!.values[0])).toBe(true);
  });

  test('names like __proto__ and constructor are own keys, and metadata comes back', () => {
    const names: Record<string, Tensor> = {};
    Object.defineProperty(names, '__proto__', { value: tensor([1]), enumerable: true });
    Object.defineProperty(names, 'constructor', { value: tensor([2]), enumerable: true });
    names['odd "name"\n'] = tensor([3]);
    const metadata: Record<string, string> = {};
    Object.defineProperty(metadata, '__proto__', { value: 'p', enumerable: true });
    metadata.format = 'np';
    const bytes = encodeSafetensors(names, metadata);
    const decoded = decodeSafetensors(bytes);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded).sort()).toEqual(['__proto__', 'constructor', 'odd "name"\n'].sort());
    expect(Object.getOwnPropertyDescriptor(decoded, '__proto__')!.value.arraySync()).toEqual([1]);
    expect(Object.getOwnPropertyDescriptor(decoded, 'constructor')!.value.arraySync()).toEqual([2]);
    const meta = decodeSafetensorsMetadata(bytes);
    expect(Object.keys(meta).sort()).toEqual(['__proto__', 'format']);
    expect(Object.getOwnPropertyDescriptor(meta, '__proto__')!.value).toBe('p');
    expect(decodeSafetensorsMetadata(encodeSafetensors({}))).toEqual({});
  });

  test('decoded tensors own their data: changing the bytes afterwards changes nothing', () => {
    const bytes = encodeSafetensors({ w: tensor([1, 2]) });
    const { w } = decodeSafetensors(bytes);
    bytes.fill(0xff, bytes.length - 8);
    expect(w!.arraySync()).toEqual([1, 2]);
  });

  test('bytes at an odd offset inside a larger buffer decode (as a Node Buffer slice would be)', () => {
    const bytes = encodeSafetensors({ w: tensor([1, 2], undefined, 'float64') });
    const bigger = new Uint8Array(bytes.length + 3);
    bigger.set(bytes, 3);
    expectSame(decodeSafetensors(bigger.subarray(3)).w, tensor([1, 2], undefined, 'float64'));
  });
});

describe('the layout the specification gives', () => {
  test('a file written byte by byte from the README example decodes', () => {
    // https://github.com/huggingface/safetensors#format: 8 bytes N, N bytes of JSON, then the data.
    const header = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"foo":"bar"}}';
    expect(header.length).toBe(89);
    const bytes = new Uint8Array([
      ...[89, 0, 0, 0, 0, 0, 0, 0], // N = 89, unsigned 64-bit little-endian
      ...Array.from(header, (c) => c.charCodeAt(0)),
      ...[1, 0, 0, 0], // 1
      ...[2, 0, 0, 0], // 2
      ...[0xff, 0xff, 0xff, 0xff], // -1
      ...[0x00, 0x00, 0x00, 0x80], // -2147483648
    ]);
    const { test: t } = decodeSafetensors(bytes);
    expect(t!.dtype).toBe('int32');
    expect(t!.arraySync()).toEqual([
      [1, 2],
      [-1, -2147483648],
    ]);
    expect(decodeSafetensorsMetadata(bytes)).toEqual({ foo: 'bar' });
  });

  test('a header padded with spaces, tensors listed out of data order, and F32/F64/BOOL bytes decode', () => {
    const header =
      '{"b":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"c":{"dtype":"BOOL","shape":[2],"data_offsets":[16,18]}}   ';
    const data = [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 1, 0];
    const decoded = decodeSafetensors(file(header, data));
    expect(decoded.a!.arraySync()).toEqual([1, -2]);
    expect(decoded.b!.arraySync()).toEqual([1.5]);
    expect(decoded.c!.dtype).toBe('bool');
    expect(decoded.c!.arraySync()).toEqual([1, 0]);
  });

  test('encoding gives the layout a Python reader expects: N, padded JSON header, contiguous little-endian data', () => {
    const bytes = encodeSafetensors(
      { a: tensor([1, 2, 3]), b: scalar(7, 'int32'), c: tensor([true, false]) },
      { framework: 'tapegrad' },
    );
    const { n, header, headerText, data } = layout(bytes);
    expect((8 + n) % 8).toBe(0);
    expect(headerText.trimEnd().endsWith('}')).toBe(true);
    expect(headerText.slice(headerText.trimEnd().length)).toMatch(/^ {0,7}$/);
    expect(header).toEqual({
      __metadata__: { framework: 'tapegrad' },
      a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
      b: { dtype: 'I32', shape: [], data_offsets: [12, 16] },
      c: { dtype: 'BOOL', shape: [2], data_offsets: [16, 18] },
    });
    expect(bytes.length).toBe(8 + n + 18);
    expect(Array.from(data)).toEqual([
      ...[0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40], // 1, 2, 3 as float32 little-endian
      ...[7, 0, 0, 0],
      ...[1, 0],
    ]);
  });

  test('an empty record is a valid file of one header and no data', () => {
    const { n, header, data } = layout(encodeSafetensors({}));
    expect(header).toEqual({});
    expect(n).toBe(8);
    expect(data.length).toBe(0);
    expect(decodeSafetensors(encodeSafetensors({}))).toEqual({});
  });
});

describe('corrupt files are errors that say what is wrong', () => {
  const good = '{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}';
  const sixteen = new Array<number>(16).fill(0);

  test('truncated before the header length ends', () => {
    expectError(
      () => decodeSafetensors(new Uint8Array([1, 2, 3])),
      Error,
      `${DECODE}: the file is 3 bytes, too short for the 8-byte header length; the file is truncated or is not safetensors`,
    );
  });

  test('a header length beyond the file', () => {
    expectError(
      () => decodeSafetensors(file(good, sixteen, 1000)),
      Error,
      `${DECODE}: the header length is 1000 bytes but only ${good.length + 16} bytes follow it; the file is truncated or is not safetensors`,
    );
    const huge = file(good, sixteen);
    huge.fill(0xff, 0, 8);
    expect(() => decodeSafetensors(huge)).toThrow('the header length is 18446744073709551615 bytes');
  });

  test('truncated data', () => {
    expectError(
      () => decodeSafetensors(file(good, sixteen).subarray(0, 8 + good.length + 10)),
      Error,
      `${DECODE}: tensor 'w' has data_offsets [0, 16] but the data is 10 bytes; the file is truncated or corrupt`,
    );
  });

  test('a header that is not JSON, not UTF-8, or not an object', () => {
    expect(() => decodeSafetensors(file('{"w":', sixteen))).toThrow(
      new RegExp(`^${DECODE}: the header is not valid JSON \\(.*\\); the file is corrupt or is not safetensors$`),
    );
    const bad = file('{"\u00e9":1}');
    bad[10] = 0xff;
    expect(() => decodeSafetensors(bad)).toThrow(`${DECODE}: the header is not valid UTF-8`);
    expectError(
      () => decodeSafetensors(file('[1, 2]')),
      Error,
      `${DECODE}: the header is not a JSON object; the file is corrupt or is not safetensors`,
    );
  });

  test('missing or malformed fields', () => {
    const cases: [string, string][] = [
      ['{"w":{"shape":[2,2],"data_offsets":[0,16]}}', "tensor 'w' has no 'dtype'"],
      ['{"w":{"dtype":"F32","data_offsets":[0,16]}}', "tensor 'w' has no 'shape'"],
      ['{"w":{"dtype":"F32","shape":[2,2]}}', "tensor 'w' has no 'data_offsets'"],
      ['{"w":[1]}', "tensor 'w' is not an object with dtype, shape and data_offsets"],
      ['{"w":{"dtype":4,"shape":[2,2],"data_offsets":[0,16]}}', "tensor 'w' has dtype 4, which is not a string"],
      [
        '{"w":{"dtype":"F32","shape":[2,-2],"data_offsets":[0,16]}}',
        "tensor 'w' has shape [2,-2]; a shape is an array of non-negative integers",
      ],
      [
        '{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0]}}',
        "tensor 'w' has data_offsets [0]; data_offsets is [begin, end], two byte offsets",
      ],
      [
        '{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[16,0]}}',
        "tensor 'w' has data_offsets [16, 0], which end before they begin",
      ],
      ['{"__metadata__":{"a":1}}', "'__metadata__' 'a' is not a string"],
      ['{"__metadata__":[]}', "'__metadata__' is not an object of strings"],
    ];
    for (const [header, what] of cases) {
      expectError(() => decodeSafetensors(file(header, sixteen)), Error, `${DECODE}: ${what}`);
    }
  });

  test('a dtype tapegrad does not hold is named', () => {
    for (const dtype of ['F16', 'BF16', 'I64', 'U8', 'F8_E4M3', 'f32']) {
      expectError(
        () => decodeSafetensors(file(`{"w":{"dtype":"${dtype}","shape":[2],"data_offsets":[0,16]}}`, sixteen)),
        Error,
        `${DECODE}: tensor 'w' has dtype ${dtype}, which tapegrad does not hold; tapegrad reads F32, F64, I32 and ` +
          'BOOL, so convert the tensor to one of them before saving it',
      );
    }
  });

  test('offsets that do not fit the shape', () => {
    expectError(
      () => decodeSafetensors(file('{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}', sixteen.slice(4))),
      Error,
      `${DECODE}: tensor 'w' has data_offsets [0, 12] but shape [2,2] float32 needs 16 bytes`,
    );
  });

  test('offsets that overlap, leave a gap, or do not cover the data', () => {
    const two = (a: string, b: string) =>
      `{"a":{"dtype":"I32","shape":[2],"data_offsets":${a}},"b":{"dtype":"I32","shape":[2],"data_offsets":${b}}}`;
    expectError(
      () => decodeSafetensors(file(two('[0,8]', '[4,12]'), sixteen.slice(4))),
      Error,
      `${DECODE}: tensor 'b' has data_offsets [4, 12], overlapping the tensor before it (which ends at 8)`,
    );
    expectError(
      () =>
        decodeSafetensors(
          file(two('[0,8]', '[8,16]').replace('[0,8]', '[4,12]').replace('[8,16]', '[12,20]'), [
            ...sixteen,
            0,
            0,
            0,
            0,
          ]),
        ),
      Error,
      `${DECODE}: tensor 'a' has data_offsets [4, 12], leaving bytes 0 to 4 unused`,
    );
    expectError(
      () => decodeSafetensors(file(two('[0,8]', '[8,16]'), [...sixteen, 1, 2])),
      Error,
      `${DECODE}: the tensors cover 16 bytes of data but the file has 18 bytes after the header; the file is corrupt or has bytes no tensor uses`,
    );
    // A duplicated key: JSON keeps the last, so the first tensor's bytes are uncovered.
    expect(() =>
      decodeSafetensors(
        file(
          '{"a":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"I32","shape":[2],"data_offsets":[8,16]}}',
          sixteen,
        ),
      ),
    ).toThrow("tensor 'a' has data_offsets [8, 16], leaving bytes 0 to 8 unused");
  });

  test('a non-Uint8Array argument', () => {
    expectError(
      () => decodeSafetensors(loose('bytes')),
      TypeError,
      `${DECODE}: expected the file's bytes as a Uint8Array (or Buffer)`,
    );
  });
});

describe('encoding errors', () => {
  const ENCODE = 'tapegrad.io.encodeSafetensors';
  test('values that are not tensors, metadata that is not strings, the reserved name', () => {
    expectError(
      () => encodeSafetensors(loose({ w: [1, 2] })),
      TypeError,
      `${ENCODE}: 'w' is not a tensor; every value of the record must be a Tensor`,
    );
    expectError(
      () => encodeSafetensors(loose(tensor([1]))),
      TypeError,
      `${ENCODE}: tensors must be a record of named tensors, like { w: tensor([1, 2]) }`,
    );
    expectError(
      () => encodeSafetensors({ w: tensor([1]) }, loose({ epoch: 3 })),
      TypeError,
      `${ENCODE}: metadata 'epoch' is a number; safetensors metadata values are strings, so convert it (String(value), JSON.stringify(value))`,
    );
    expectError(
      () => encodeSafetensors({ __metadata__: tensor([1]) }),
      Error,
      `${ENCODE}: the name '__metadata__' is reserved for the file's metadata; rename the tensor`,
    );
  });
});
