/**
 * The `tapegrad/node` entry (lib/node.ts): safetensors files through a
 * temporary folder, and loadInto's checks (nothing assigned on any problem).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scalar, tensor, variable } from '../lib/index.js';
import { loadInto, loadSafetensors, saveSafetensors } from '../lib/node.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-node-spec-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('saveSafetensors writes a file that loadSafetensors reads back, every dtype', async () => {
  const file = path.join(dir, 'all.safetensors');
  await saveSafetensors(
    file,
    {
      f: tensor([[1, 2]]),
      d: tensor([0.1], undefined, 'float64'),
      i: scalar(3, 'int32'),
      b: tensor([true, false]),
      e: tensor([], [0, 2]),
    },
    { epoch: '3' },
  );
  const bytes = fs.readFileSync(file);
  expect(Number(bytes.readBigUInt64LE(0)) % 8).toBe(0);
  expect(JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString()).__metadata__).toEqual({
    epoch: '3',
  });
  const loaded = await loadSafetensors(file);
  expect(Object.keys(loaded)).toEqual(['f', 'd', 'i', 'b', 'e']);
  expect(loaded.f!.arraySync()).toEqual([[1, 2]]);
  expect(loaded.d!.dtype).toBe('float64');
  expect(loaded.d!.arraySync()).toEqual([0.1]);
  expect(loaded.i!.dtype).toBe('int32');
  expect(loaded.i!.shape).toEqual([]);
  expect(loaded.b!.dtype).toBe('bool');
  expect(loaded.e!.shape).toEqual([0, 2]);
  expect(loaded.f!.add(1).arraySync()).toEqual([[2, 3]]);
});

test('loadInto assigns by the variables’ names (array) or the record’s keys', async () => {
  const file = path.join(dir, 'vars.safetensors');
  const w = variable(tensor([[1, 2]]), { name: 'w' });
  const b = variable(tensor([5], undefined, 'int32'), { name: 'b' });
  await saveSafetensors(file, { w, b });
  w.assign(tensor([[0, 0]]));
  b.assign(tensor([0], undefined, 'int32'));
  await loadInto(file, [w, b]);
  expect(w.arraySync()).toEqual([[1, 2]]);
  expect(b.arraySync()).toEqual([5]);

  const other = variable(tensor([[9, 9]]), { name: 'not-w' });
  const bias = variable(tensor([0], undefined, 'int32'));
  await loadInto(file, { w: other, b: bias });
  expect(other.arraySync()).toEqual([[1, 2]]);
  expect(bias.arraySync()).toEqual([5]);
});

test('loadInto lists every problem and assigns nothing', async () => {
  const file = path.join(dir, 'mismatch.safetensors');
  await saveSafetensors(file, { w: tensor([[1, 2]]), b: tensor([1]), extra: tensor([1]) });
  const w = variable(tensor([[7, 7]]), { name: 'w' });
  const b = variable(tensor([[1]], undefined, 'float64'), { name: 'b' });
  const missing = variable(tensor([1]), { name: 'missing' });
  await expect(loadInto(file, [w, b, missing])).rejects.toThrow(
    `tapegrad.loadInto: ${JSON.stringify(file)} does not match the variables: 'b' is float32 [1] in the file but ` +
      `the variable is float64 [1,1]; variable 'missing' is not in the file; the file has 'extra', which no ` +
      `variable is named; nothing was assigned`,
  );
  expect(w.arraySync()).toEqual([[7, 7]]);
});

test('loadInto refuses duplicate names and non-variables', async () => {
  const file = path.join(dir, 'dup.safetensors');
  await saveSafetensors(file, { w: tensor([1]) });
  const a = variable(tensor([0]), { name: 'w' });
  const c = variable(tensor([0]), { name: 'w' });
  await expect(loadInto(file, [a, c])).rejects.toThrow(
    "tapegrad.loadInto: two variables are named 'w'; give them distinct names, or pass a record",
  );
  await expect(loadInto(file, { w: tensor([0]) as never })).rejects.toThrow(
    'tapegrad.loadInto: variables["w"] is not a Variable',
  );
  expect(a.arraySync()).toEqual([0]);
});

test('missing and corrupt files are errors naming the path', async () => {
  const nowhere = path.join(dir, 'nowhere.safetensors');
  await expect(loadSafetensors(nowhere)).rejects.toThrow(
    new RegExp(`^tapegrad\\.loadSafetensors: cannot read ${JSON.stringify(nowhere)}: ENOENT.*; check the path$`),
  );
  const corrupt = path.join(dir, 'corrupt.safetensors');
  fs.writeFileSync(corrupt, new Uint8Array([1, 2, 3]));
  await expect(loadSafetensors(corrupt)).rejects.toThrow(
    `tapegrad.loadSafetensors: ${JSON.stringify(corrupt)}: the file is 3 bytes, too short for the 8-byte header ` +
      'length; the file is truncated or is not safetensors',
  );
  await expect(saveSafetensors(path.join(dir, 'no', 'such', 'dir.safetensors'), {})).rejects.toThrow(
    /^tapegrad\.saveSafetensors: cannot write .*ENOENT/,
  );
});
