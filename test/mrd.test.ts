// Massachusetts Roads data: the on-disk layout, the download of the Toronto
// tree (served from 127.0.0.1: index pages, resume after a cut, sizes), bad
// tiles, seeded training crops and whole tiles.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTiff } from '../src/data/image.js';
import {
  ensureMrd,
  formatMrdProgress,
  listMrd,
  readMrdPair,
  type MrdDownloadProgress,
  type MrdPair,
  type MrdSplits,
} from '../src/data/mrd.js';
import { cropTile, loadTrainingBatch, loadWholeTile, readCrop, TileCache, trainingCrop } from '../src/data/mrd-batches.js';
import { makeMrdServerTree, makeSyntheticMrd } from '../src/data/synthetic-mrd.js';
import { serveFolder, type TestServer } from './helpers/http-server.js';
import { pilDecode, pilWrite } from './helpers/pil-reference.js';

const root = mkdtempSync(join(tmpdir(), 'dpl-mrd-'));
const src = join(root, 'MRD');
const www = join(root, 'www');
let splits: MrdSplits;
let server: TestServer;
beforeAll(async () => {
  splits = await makeSyntheticMrd(src, { seed: 4, train: 3, val: 1, test: 2, size: [72, 88] });
  makeMrdServerTree(src, www);
  server = await serveFolder(www);
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

/** All files under a folder, relative, sorted (hidden files left out). */
const tree = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile() && !f.split('/').some((p) => p.startsWith('.')))
    .sort();

describe('the on-disk layout', () => {
  it('pairs images and masks by stem in every split, as real TIFF files PIL reads the same', async () => {
    expect([splits.train.length, splits.val.length, splits.test.length]).toEqual([3, 1, 2]);
    const pair = splits.train[0]!;
    expect(pair.image).toMatch(/train\/input\/\d{8}_15\.tiff$/);
    expect(pair.mask).toBe(join(src, 'train', 'output', `${pair.stem}.tif`));
    const tile = await readMrdPair(pair);
    expect([tile.height, tile.width, ...tile.image.shape]).toEqual([72, 88, 72, 88, 3]);
    expect(tile.mask.every((v) => v === 0 || v === 1)).toBe(true);
    const roads = tile.mask.reduce((a, b) => a + b, 0) / tile.mask.length;
    expect(roads).toBeGreaterThan(0.02);
    expect(roads).toBeLessThan(0.5);
    const [pilImage, pilMask] = pilDecode([pair.image, pair.mask]);
    expect(Buffer.from(tile.image.data).equals(Buffer.from(pilImage!.data))).toBe(true);
    expect([...tile.mask]).toEqual([...pilMask!.data.filter((_, i) => i % 3 === 0)].map((v) => (v > 127 ? 1 : 0)));
    // The road colour differs from the ground's (mean RGB apart).
    const mean = (road: number) => {
      const s = [0, 0, 0];
      let n = 0;
      tile.mask.forEach((m, p) => {
        if (m !== road) return;
        for (let k = 0; k < 3; k++) s[k]! += tile.image.data[p * 3 + k]!;
        n++;
      });
      return s.map((v) => v / n);
    };
    const [road, ground] = [mean(1), mean(0)];
    expect(Math.hypot(...road.map((v, k) => v - ground[k]!))).toBeGreaterThan(10);
  });

  it('takes .tif and .tiff on both sides, and reads masks written by PIL (8-bit and 1-bit)', async () => {
    const dir = join(root, 'mixed');
    cpSync(src, dir, { recursive: true });
    const p = listMrd(dir).test[0]!;
    const mask = await readMrdPair(p).then((t) => t.mask);
    renameSync(p.image, p.image.replace(/\.tiff$/, '.tif'));
    rmSync(p.mask);
    pilWrite([
      {
        path: p.mask.replace(/\.tif$/, '.tiff'),
        data: Uint8Array.from(mask, (v) => v * 255),
        shape: [72, 88, 1],
        mode: '1',
        format: 'TIFF',
      },
    ]);
    const again = listMrd(dir).test[0]!;
    expect([again.image.endsWith(`${p.stem}.tif`), again.mask.endsWith(`${p.stem}.tiff`)]).toEqual([true, true]);
    expect([...(await readMrdPair(again)).mask]).toEqual([...mask]);
  });

  it('names what is missing and the remedy: no folder, an empty split, an image without mask, a mask without image', async () => {
    await expect(ensureMrd(join(root, 'nothing'))).rejects.toThrow(/no folder .*nothing\/train\/input.*--download/);
    const dir = join(root, 'broken');
    cpSync(src, dir, { recursive: true });
    const stem = splits.train[1]!.stem;
    rmSync(join(dir, 'train', 'output', `${stem}.tif`));
    expect(() => listMrd(dir)).toThrow(new RegExp(`image .*train/input/${stem}\\.tiff has no mask: expected .*train/output/${stem}\\.tif`));
    rmSync(join(dir, 'train', 'input', `${stem}.tiff`));
    writeFileSync(join(dir, 'val', 'output', 'stray.tif'), 'x');
    expect(() => listMrd(dir)).toThrow(/mask .*val\/output\/stray\.tif has no image/);
    rmSync(join(dir, 'val', 'output', 'stray.tif'));
    for (const f of readdirSync(join(dir, 'test', 'input'))) rmSync(join(dir, 'test', 'input', f));
    for (const f of readdirSync(join(dir, 'test', 'output'))) rmSync(join(dir, 'test', 'output', f));
    expect(() => listMrd(dir)).toThrow(/test split is empty: .*test\/input/);
  });
});

describe('bad tiles', () => {
  const dir = join(root, 'bad');
  let pairs: MrdPair[];
  beforeAll(() => {
    cpSync(src, dir, { recursive: true });
    pairs = listMrd(dir).train;
  });

  it('a truncated TIFF is an error naming the file, also in a training batch', async () => {
    // Written by libvips (directory at the end) and by PIL (directory first, so only the pixel data is cut).
    const tile = await readMrdPair(pairs[0]!);
    const cut = (path: string) => writeFileSync(path, readFileSync(path).subarray(0, readFileSync(path).length >> 1));
    cut(pairs[0]!.image);
    await expect(readMrdPair(pairs[0]!)).rejects.toThrow(new RegExp(`cannot decode .*${pairs[0]!.stem}\\.tiff.*truncated`));
    await expect(loadTrainingBatch(pairs, [1, 0], { size: 64, seed: 1, epoch: 0 })).rejects.toThrow(new RegExp(`${pairs[0]!.stem}\\.tiff`));
    pilWrite([{ path: pairs[0]!.image, data: tile.image.data, shape: [72, 88, 3], mode: 'RGB', format: 'TIFF' }]);
    await expect(loadTrainingBatch(pairs, [0], { size: 64, seed: 1, epoch: 0 })).resolves.toBeDefined();
    cut(pairs[0]!.image);
    await expect(loadTrainingBatch(pairs, [0], { size: 64, seed: 1, epoch: 0 })).rejects.toThrow(
      new RegExp(`cannot decode .*${pairs[0]!.stem}\\.tiff`),
    );
  });

  it('a mask of another size than its image names both files', async () => {
    await writeFile(pairs[1]!.mask, await encodeTiff({ data: new Uint8Array(72 * 80), height: 72, width: 80, channels: 1 }));
    const both = new RegExp(`mask .*${pairs[1]!.stem}\\.tif is 80x72 but its image .*${pairs[1]!.stem}\\.tiff is 88x72`);
    await expect(readMrdPair(pairs[1]!)).rejects.toThrow(both);
    await expect(loadWholeTile(pairs[1]!)).rejects.toThrow(both);
  });

  it('a mask deleted after listing, a mask stored as 0/1, a tile smaller than the crop', async () => {
    rmSync(pairs[2]!.mask);
    await expect(readMrdPair(pairs[2]!)).rejects.toThrow(
      new RegExp(`mask .*${pairs[2]!.stem}\\.tif is missing \\(the mask of .*${pairs[2]!.stem}\\.tiff\\)`),
    );
    const test = listMrd(src).test[0]!;
    const ones = { ...test, mask: join(dir, 'ones.tif') };
    const mask = (await readMrdPair(test)).mask;
    await writeFile(ones.mask, await encodeTiff({ data: mask, height: 72, width: 88, channels: 1 }));
    await expect(readMrdPair(ones)).rejects.toThrow(/ones\.tif holds only 0 and 1.*scale it by 255/);
    await expect(loadTrainingBatch([test], [0], { size: 80, seed: 0, epoch: 0 })).rejects.toThrow(
      new RegExp(`${test.stem}\\.tiff is 88x72, smaller than the 80x80 training crop`),
    );
  });
});

describe('download of the Toronto tree', () => {
  it('fetches every linked tile into the layout (valid -> val, sat -> input, map -> output) with progress, then makes no requests', async () => {
    const dest = join(root, 'fetched');
    const seen: MrdDownloadProgress[] = [];
    const log: string[] = [];
    const got = await ensureMrd(dest, {
      download: true,
      baseUrl: `${server.url}/`,
      onProgress: (p) => seen.push(p),
      log: (l) => log.push(l),
    });
    expect(tree(dest)).toEqual(tree(src));
    for (const f of tree(src)) expect(readFileSync(join(dest, f)).equals(readFileSync(join(src, f)))).toBe(true);
    expect(got.val.map((p) => p.stem)).toEqual(splits.val.map((p) => p.stem));
    expect(server.requests).toContain('GET /valid/map/index.html');
    const last = seen.at(-1)!;
    const bytes = tree(src).reduce((s, f) => s + statSync(join(src, f)).size, 0);
    expect([last.filesDone, last.files, last.received, last.total]).toEqual([12, 12, bytes, bytes]);
    expect(seen.every((p, i) => i === 0 || p.received >= seen[i - 1]!.received)).toBe(true);
    expect(formatMrdProgress({ ...last, eta: 75 })).toMatch(/MRD\s+\[=+\]\s+100% .* MB {2}ETA 1m15s {2}\(12\/12 files\)/);
    expect(log.join('\n')).toMatch(/train 3, val 1, test 2 tile pairs/);
    const before = server.requests.length;
    await ensureMrd(dest, { download: true, baseUrl: server.url });
    expect(server.requests.length).toBe(before);
  });

  it('resumes after a cut with a Range request, naming the file that broke off', async () => {
    const dest = join(root, 'resumed');
    const file = `${splits.train[0]!.stem}.tiff`;
    server.cutAfter = 3000;
    server.cutPath = `/train/sat/${file}`;
    const first = ensureMrd(dest, { download: true, baseUrl: server.url, concurrency: 1 });
    await expect(first).rejects.toThrow(
      new RegExp(`MRD: cannot fetch train/input/${file}: .*broke off after \\d+ of \\d+ bytes.*run again to resume`),
    );
    expect(statSync(join(dest, 'train', 'input', `${file}.part`)).size).toBeGreaterThan(0);
    await ensureMrd(dest, { download: true, baseUrl: server.url, concurrency: 1 });
    expect(server.requests.some((r) => r.includes(`/train/sat/${file} bytes=`))).toBe(true);
    expect(tree(dest)).toEqual(tree(src));
    expect(readFileSync(join(dest, 'train', 'input', file)).equals(readFileSync(splits.train[0]!.image))).toBe(true);
  });

  it('follows absolute links, and names a linked file the server lacks', async () => {
    const abs = join(root, 'www-abs');
    makeMrdServerTree(src, abs, { baseUrl: `${server.url}/abs` });
    cpSync(abs, join(www, 'abs'), { recursive: true });
    const dest = join(root, 'absolute');
    await ensureMrd(dest, { download: true, baseUrl: `${server.url}/abs` });
    expect(tree(dest)).toEqual(tree(src));

    const index = join(www, 'abs', 'test', 'map', 'index.html');
    writeFileSync(index, readFileSync(index, 'utf8').replace('</body>', '<a href="gone_15.tif">gone</a></body>'));
    await expect(ensureMrd(join(root, 'gone'), { download: true, baseUrl: `${server.url}/abs` })).rejects.toThrow(
      /MRD: cannot fetch test\/output\/gone_15\.tif: .*gone_15\.tif: HTTP 404/,
    );
    await expect(ensureMrd(join(root, 'nowhere'), { download: true, baseUrl: `${server.url}/none` })).rejects.toThrow(
      /cannot read the MRD index .*\/none\/train\/sat\/index\.html: HTTP 404/,
    );
    mkdirSync(join(www, 'empty', 'train', 'sat'), { recursive: true });
    writeFileSync(join(www, 'empty', 'train', 'sat', 'index.html'), '<html>nothing</html>');
    await expect(ensureMrd(join(root, 'e'), { download: true, baseUrl: `${server.url}/empty` })).rejects.toThrow(
      /index .*empty\/train\/sat\/index\.html links no \.tif\/\.tiff files/,
    );
    expect(existsSync(join(root, 'gone', '.dpl-torch-download.json'))).toBe(false);
  });
});

describe('training crops', () => {
  it('are a pure function of (seed, epoch, index), cover the tile edges, and flip about half the time', () => {
    expect(trainingCrop(72, 88, 64, 7, 3, 5)).toEqual(trainingCrop(72, 88, 64, 7, 3, 5));
    const crops = Array.from({ length: 400 }, (_, k) => trainingCrop(72, 88, 64, 7, k >> 4, k & 15));
    expect(new Set(crops.map((c) => JSON.stringify(c))).size).toBeGreaterThan(150);
    const tops = crops.map((c) => c.top);
    const lefts = crops.map((c) => c.left);
    expect([Math.min(...tops), Math.max(...tops), Math.min(...lefts), Math.max(...lefts)]).toEqual([0, 72 - 64, 0, 88 - 64]);
    const flips = crops.filter((c) => c.flip).length / crops.length;
    expect(flips).toBeGreaterThan(0.4);
    expect(flips).toBeLessThan(0.6);
    expect(trainingCrop(72, 88, 64, 8, 3, 5)).not.toEqual(trainingCrop(72, 88, 64, 7, 3, 5));
    expect(() => trainingCrop(60, 88, 64, 0, 0, 0)).toThrow(/88x60 tile is smaller than the 64x64/);
  });

  it('cut the same window of image and mask, flipped together, whether read by region or from the whole tile', async () => {
    const pair = splits.train[2]!;
    const tile = await readMrdPair(pair);
    for (const crop of [
      { top: 0, left: 0, size: 64, flip: false },
      { top: 8, left: 24, size: 64, flip: true },
    ]) {
      const whole = cropTile(tile, crop);
      const read = await readCrop(pair, crop);
      expect(Buffer.from(read.image.data).equals(Buffer.from(whole.image.data))).toBe(true);
      expect(Buffer.from(read.mask).equals(Buffer.from(whole.mask))).toBe(true);
      // Pixel (y, x) of the crop is tile pixel (top + y, left + x), or (top + y, left + size - 1 - x) flipped.
      for (const [y, x] of [
        [0, 0],
        [5, 60],
        [63, 1],
      ] as const) {
        const tx = crop.flip ? crop.left + crop.size - 1 - x : crop.left + x;
        const tp = (crop.top + y) * tile.width + tx;
        expect(whole.mask[y * 64 + x]).toBe(tile.mask[tp]);
        expect([...whole.image.data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)]).toEqual([
          ...tile.image.data.subarray(tp * 3, tp * 3 + 3),
        ]);
      }
    }
    expect(() => cropTile(tile, { top: 9, left: 0, size: 64, flip: false })).toThrow(/does not fit/);
  });

  it('batch as [N,3,S,S] in [0,1] and [N,1,S,S] 0/1, equal to the crops of the whole tiles', async () => {
    const o = { size: 64, seed: 11, epoch: 2 };
    const batch = await loadTrainingBatch(splits.train, [2, 0], o);
    expect(batch.images.shape).toEqual([2, 3, 64, 64]);
    expect(batch.masks.shape).toEqual([2, 1, 64, 64]);
    for (const [n, i] of [2, 0].entries()) {
      const tile = await readMrdPair(splits.train[i]!);
      const want = cropTile(tile, trainingCrop(72, 88, 64, o.seed, o.epoch, i));
      const plane = 64 * 64;
      for (let p = 0; p < plane; p += 97) {
        expect(batch.masks.data[n * plane + p]).toBe(want.mask[p]);
        for (let k = 0; k < 3; k++) expect(batch.images.data[(n * 3 + k) * plane + p]).toBe(Math.fround(want.image.data[p * 3 + k]! / 255));
      }
    }
    const again = await loadTrainingBatch(splits.train, [2, 0], o);
    expect(Buffer.from(again.images.data.buffer).equals(Buffer.from(batch.images.data.buffer))).toBe(true);
    await expect(loadTrainingBatch(splits.train, [3], o)).rejects.toThrow(/sample 3 is outside the 3 training tiles/);
  });
});

describe('whole tiles', () => {
  it('come at native resolution, unpadded, and a cache keeps them within its budget', async () => {
    const pair = splits.test[1]!;
    const { image, mask } = await loadWholeTile(pair);
    expect(image.shape).toEqual([1, 3, 72, 88]);
    expect(mask.shape).toEqual([1, 1, 72, 88]);
    const tile = await readMrdPair(pair);
    expect(image.data[2 * 72 * 88 + 100]).toBe(Math.fround(tile.image.data[100 * 3 + 2]! / 255));
    expect([...mask.data]).toEqual([...tile.mask]);
    const tileBytes = 72 * 88 * 4;
    const cache = new TileCache(tileBytes * 2);
    const a = await cache.get(splits.test[0]!);
    expect(await cache.get(splits.test[0]!)).toBe(a); // a hit is the same decoded tile
    await loadWholeTile(splits.test[1]!, cache);
    await loadWholeTile(splits.val[0]!, cache);
    await new Promise((r) => setImmediate(r));
    expect(cache.size).toBe(2); // the least recently used tile went
    expect(await cache.get(splits.test[0]!)).not.toBe(a);
  });
});
