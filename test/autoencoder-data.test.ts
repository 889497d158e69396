// The autoencoder's data readers on files Python writes in the real formats:
// SVHN .mat (scipy.io.savemat, compressed and not, labels as double and as
// uint8) and STL-10 .bin (numpy, column-major images), checked against the
// images as torchvision lays them out (NCHW) and the label mapping; truncated
// files give clear errors; our own .mat writer (the quick preset's) reads back
// in scipy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMatFile, readMatNumbers, writeMat } from '../src/data/mat.js';
import { seededSplit } from '../src/data/seeded.js';
import { openStl10, stl10Folder } from '../src/data/stl10.js';
import { openSvhn } from '../src/data/svhn.js';
import { writeSyntheticStl10, writeSyntheticSvhn } from '../src/data/synthetic-autoencoder.js';

const PY = process.env.DPL_TORCH_PYTHON ?? '/usr/bin/python3';
const root = mkdtempSync(join(tmpdir(), 'dpl-ae-data-'));

function py(code: string): string {
  const r = spawnSync(PY, ['-c', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}

// Python writes the files and, beside each, the images as torchvision lays them out
// (NCHW uint8, .nchw) and the labels it would use (0..9, .labels).
beforeAll(() => {
  py(`
import numpy as np, scipy.io as sio, os
root = ${JSON.stringify(root)}
rng = np.random.default_rng(0)
def svhn(folder, n, compress, ytype):
    os.makedirs(folder, exist_ok=True)
    X = rng.integers(0, 256, size=(32, 32, 3, n), dtype=np.uint8)
    y = (np.arange(n) % 10 + 1).reshape(n, 1).astype(ytype)  # 1..10, 10 is the digit 0
    for split in ('train', 'test', 'extra'):
        sio.savemat(os.path.join(folder, split + '_32x32.mat'), {'X': X, 'y': y}, do_compression=compress)
    np.transpose(X, (3, 2, 0, 1)).tofile(os.path.join(folder, 'expected.nchw'))  # as torchvision's SVHN
    y2 = y.astype(np.int64).squeeze(); y2[y2 == 10] = 0
    y2.astype(np.uint8).tofile(os.path.join(folder, 'expected.labels'))
svhn(os.path.join(root, 'svhn-plain'), 7, False, np.float64)
svhn(os.path.join(root, 'svhn-zip'), 9, True, np.float64)
svhn(os.path.join(root, 'svhn-u8'), 5, True, np.uint8)
stl = os.path.join(root, 'stl', 'stl10_binary'); os.makedirs(stl)
for split, n in (('train', 4), ('test', 3), ('unlabeled', 5)):
    images = rng.integers(0, 256, size=(n, 3, 96, 96), dtype=np.uint8)  # NCHW, as torchvision returns them
    np.transpose(images, (0, 1, 3, 2)).tofile(os.path.join(stl, split + '_X.bin'))  # the file is column-major
    images.tofile(os.path.join(stl, split + '.nchw'))
    if split != 'unlabeled':
        labels = (np.arange(n) * 3 % 10).astype(np.uint8)
        (labels + 1).tofile(os.path.join(stl, split + '_y.bin'))
        labels.tofile(os.path.join(stl, split + '.labels'))
`);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('SVHN .mat (MATLAB level 5) from scipy.io.savemat', () => {
  it.each(['svhn-plain', 'svhn-zip', 'svhn-u8'])('%s: images as torchvision lays them out, labels with 10 -> 0', async (name) => {
    const dir = join(root, name);
    const expected = readFileSync(join(dir, 'expected.nchw'));
    const labels = readFileSync(join(dir, 'expected.labels'));
    const mat = await readMatFile(join(dir, 'train_32x32.mat'));
    const x = mat.variables.find((v) => v.name === 'X')!;
    expect(x).toMatchObject({ className: 'uint8', storage: 'uint8', dims: [32, 32, 3, labels.length], compressed: name !== 'svhn-plain' });
    const y = mat.variables.find((v) => v.name === 'y')!;
    expect(y.className).toBe(name === 'svhn-u8' ? 'uint8' : 'double');
    expect([...(await readMatNumbers(mat, 'y'))]).toEqual(Array.from({ length: labels.length }, (_, i) => (i % 10) + 1));
    for (const split of ['train', 'extra'] as const) {
      const set = await openSvhn(dir, split, { cacheDir: join(dir, 'cache') });
      expect(set.images.count).toBe(labels.length);
      expect([...set.labels!]).toEqual([...labels]);
      const all = await set.images.batch(Array.from({ length: labels.length }, (_, i) => i));
      expect(all.shape).toEqual([labels.length, 3, 32, 32]);
      expect(Buffer.from(all.data).equals(expected)).toBe(true);
      // Any order: image 2 then image 0.
      const two = await set.images.batch([2, 0]);
      expect(Buffer.from(two.data).equals(Buffer.concat([expected.subarray(2 * 3072, 3 * 3072), expected.subarray(0, 3072)]))).toBe(true);
      await expect(set.images.batch([labels.length])).rejects.toThrow(/outside/);
      await set.images.close();
    }
  });

  it('a compressed file is inflated into the cache once and read from there', async () => {
    const dir = join(root, 'svhn-zip');
    const lines: string[] = [];
    const a = await openSvhn(dir, 'test', { cacheDir: join(dir, 'cache2'), log: (l) => lines.push(l) });
    expect(a.images.path).toBe(join(dir, 'cache2', 'test_32x32.X.u8'));
    const b = await openSvhn(dir, 'test', { cacheDir: join(dir, 'cache2'), log: (l) => lines.push(l) });
    expect(lines.filter((l) => l.includes('inflating'))).toHaveLength(1);
    await Promise.all([a.images.close(), b.images.close()]);
    // An uncompressed file is read in place.
    const plain = await openSvhn(join(root, 'svhn-plain'), 'test');
    expect(plain.images.path).toBe(join(root, 'svhn-plain', 'test_32x32.mat'));
    await plain.images.close();
  });

  it('truncated or foreign files give errors that say what to do', async () => {
    for (const name of ['svhn-plain', 'svhn-zip']) {
      const dir = join(root, `${name}-cut`);
      mkdirSync(dir);
      const whole = readFileSync(join(root, name, 'train_32x32.mat'));
      writeFileSync(join(dir, 'train_32x32.mat'), whole.subarray(0, whole.length - 100));
      await expect(openSvhn(dir, 'train', { cacheDir: join(dir, 'cache') })).rejects.toThrow(/truncated or corrupt.*download it again/);
      writeFileSync(join(dir, 'train_32x32.mat'), whole.subarray(0, 60));
      await expect(openSvhn(dir, 'train')).rejects.toThrow(/truncated or corrupt \(no 128-byte header\)/);
    }
    const dir = join(root, 'svhn-other');
    mkdirSync(dir);
    writeFileSync(join(dir, 'train_32x32.mat'), Buffer.alloc(300, 7));
    await expect(openSvhn(dir, 'train')).rejects.toThrow(/not a MATLAB level 5 MAT-file/);
    await expect(openSvhn(join(root, 'nowhere'), 'train')).rejects.toThrow(/ENOENT|no such file/);
  });

  it("our writer (the quick preset's files) reads back in scipy and in ours, compressed or not", async () => {
    for (const compress of [true, false]) {
      const dir = join(root, `ours-${compress}`);
      writeSyntheticSvhn(dir, { train: 12, test: 3, extra: 4 }, 1, { compress });
      const out = py(`
import scipy.io as sio, numpy as np, json
m = sio.loadmat(${JSON.stringify(join(dir, 'train_32x32.mat'))})
print(json.dumps({'X': list(m['X'].shape), 'Xtype': str(m['X'].dtype), 'y': m['y'].squeeze().tolist(), 'sum': int(m['X'].astype(np.int64).sum()), 'first': np.transpose(m['X'], (3, 2, 0, 1))[1].ravel()[:20].tolist()}))`);
      const ref = JSON.parse(out) as { X: number[]; Xtype: string; y: number[]; sum: number; first: number[] };
      expect(ref).toMatchObject({ X: [32, 32, 3, 12], Xtype: 'uint8', y: [10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1] });
      const set = await openSvhn(dir, 'train', { cacheDir: join(dir, 'cache') });
      expect([...set.labels!]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
      const all = await set.images.batch(Array.from({ length: 12 }, (_, i) => i));
      expect(all.data.reduce((a, b) => a + b, 0)).toBe(ref.sum);
      expect([...all.data.subarray(3072, 3072 + 20)]).toEqual(ref.first);
      await set.images.close();
    }
    expect(() => writeMat(join(root, 'bad.mat'), [{ name: 'X', className: 'uint8', dims: [2, 2], data: new Uint8Array(3) }])).toThrow(
      /3 values/,
    );
  });
});

describe('STL-10 binaries from numpy', () => {
  it('reads column-major images as NCHW and labels 1..10 as 0..9, from the folder or its stl10_binary/', async () => {
    expect(stl10Folder(join(root, 'stl'))).toBe(join(root, 'stl', 'stl10_binary'));
    expect(stl10Folder(join(root, 'stl', 'stl10_binary'))).toBe(join(root, 'stl', 'stl10_binary'));
    expect(stl10Folder(join(root, 'nowhere'))).toBeNull();
    const folder = join(root, 'stl', 'stl10_binary');
    for (const [split, n] of [
      ['train', 4],
      ['test', 3],
      ['unlabeled', 5],
    ] as const) {
      const set = await openStl10(folder, split);
      expect(set.images.count).toBe(n);
      const all = await set.images.batch(Array.from({ length: n }, (_, i) => i));
      expect(all.shape).toEqual([n, 3, 96, 96]);
      expect(Buffer.from(all.data).equals(readFileSync(join(folder, `${split}.nchw`)))).toBe(true);
      if (split === 'unlabeled') expect(set.labels).toBeUndefined();
      else expect([...set.labels!]).toEqual([...readFileSync(join(folder, `${split}.labels`))]);
      await set.images.close();
    }
  });

  it('truncated or mismatched files give errors that say what to do', async () => {
    const folder = join(root, 'stl-bad', 'stl10_binary');
    writeSyntheticStl10(join(root, 'stl-bad'), { train: 3, test: 2, unlabeled: 2 }, 0);
    truncateSync(join(folder, 'unlabeled_X.bin'), statSync(join(folder, 'unlabeled_X.bin')).size - 1);
    await expect(openStl10(folder, 'unlabeled')).rejects.toThrow(/truncated.*not a whole number of 3x96x96 images/);
    truncateSync(join(folder, 'train_y.bin'), 2);
    await expect(openStl10(folder, 'train')).rejects.toThrow(/holds 2 labels for 3 images/);
    writeFileSync(join(folder, 'test_y.bin'), Uint8Array.from([1, 11]));
    await expect(openStl10(folder, 'test')).rejects.toThrow(/label 11 at 1 is not 1..10/);
  });
});

it('splits 80/20, seeded, disjoint and complete', () => {
  const a = seededSplit(101, 0.2, 5);
  expect(a.val).toHaveLength(20);
  expect(a.train).toHaveLength(81);
  expect([...a.train, ...a.val].sort((x, y) => x - y)).toEqual(Array.from({ length: 101 }, (_, i) => i));
  expect(seededSplit(101, 0.2, 5)).toEqual(a);
  expect(seededSplit(101, 0.2, 6).val).not.toEqual(a.val);
});
