// Super-resolution test-set discovery on trees laid out as the real sources
// are: a full SelfExSR checkout (image_SRF_2/3/4, each with HR and LR files),
// BSDS300 with and without iids_test.txt, and SelfExSR's BSD100/ tree. One
// scale is read (image_SRF_2, *_HR.png), the counts 5, 14 and 100 are checked,
// and a BSDS300 tarball without iids_test.txt downloads and stays usable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as tar from 'tar';
import { ensureTestSets, testSetImages } from '../src/data/sr-test-sets.js';
import { makeSyntheticSrData, syntheticImage, writeSelfExSrSet } from '../src/data/synthetic-sr.js';
import { serveFolder, type TestServer } from './helpers/http-server.js';

const root = mkdtempSync(join(tmpdir(), 'dpl-sr-sets-'));
let tests: string;
beforeAll(async () => {
  tests = (await makeSyntheticSrData(join(root, 'full'), { seed: 4, train: 0, val: 0, test: 100, size: [24, 32] })).tests;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
const SRF2_HR = /\/image_SRF_2\/img_\d{3}_SRF_2_HR\.png$/;

describe('test-set discovery', () => {
  it('reads image_SRF_2/*_HR.png of a full SelfExSR checkout (5 and 14, not 15 and 42) and the 100 BSDS300 test images', async () => {
    // The tree holds what a checkout holds: three scales, HR and LR each.
    expect(files(join(tests, 'Set5'))).toHaveLength(5 * 3 * 2);
    expect(readdirSync(join(tests, 'Set14', 'image_SRF_4')).filter((n) => n.endsWith('_LR.png'))).toHaveLength(14);
    const sets = await ensureTestSets(tests);
    expect([sets.set5.length, sets.set14.length, sets.bsd100.length]).toEqual([5, 14, 100]);
    for (const p of [...sets.set5, ...sets.set14]) expect(p).toMatch(SRF2_HR);
    expect(sets.set14.map((p) => basename(p))).toEqual(
      Array.from({ length: 14 }, (_, i) => `img_${String(i + 1).padStart(3, '0')}_SRF_2_HR.png`),
    );
    expect(sets.bsd100.every((p) => p.includes(join('BSDS300', 'images', 'test')))).toBe(true);
    expect(sets.bsd100.some((p) => p.endsWith('2092.jpg'))).toBe(false); // a train image
  });

  it('takes BSDS300/images/test/*.jpg when iids_test.txt is absent', () => {
    const dir = join(root, 'no-ids');
    cpSync(tests, dir, { recursive: true });
    const withIds = testSetImages(dir, 'bsd100').map((p) => basename(p));
    rmSync(join(dir, 'BSDS300', 'iids_test.txt'));
    expect(testSetImages(dir, 'bsd100').map((p) => basename(p))).toEqual(withIds);
  });

  it("reads SelfExSR's BSD100/ tree as 100 HR images, not its 600 files", async () => {
    const dir = join(root, 'selfexsr-bsd100');
    await writeSelfExSrSet(
      join(dir, 'BSD100'),
      Array.from({ length: 100 }, (_, i) => syntheticImage(12, 16, i)),
    );
    expect(files(join(dir, 'BSD100'))).toHaveLength(600);
    const bsd = testSetImages(dir, 'bsd100');
    expect(bsd).toHaveLength(100);
    for (const p of bsd) expect(p).toMatch(SRF2_HR);
  });

  it('checks the counts and says what it found; `count` takes the first images of larger sets', () => {
    const dir = join(root, 'short');
    cpSync(join(tests, 'Set14'), join(dir, 'Set14'), { recursive: true });
    rmSync(join(dir, 'Set14', 'image_SRF_2', 'img_014_SRF_2_HR.png'));
    expect(() => testSetImages(dir, 'set14')).toThrow(
      /Set14 needs 14 images but 13 were found in .*image_SRF_2\/\*_HR\.png.*--test-images/,
    );
    expect(testSetImages(dir, 'set14', 3).map((p) => basename(p))).toEqual([
      'img_001_SRF_2_HR.png',
      'img_002_SRF_2_HR.png',
      'img_003_SRF_2_HR.png',
    ]);
    expect(() => testSetImages(tests, 'set5', 6)).toThrow(/Set5 needs at least 6 images but 5 were found/);
    expect(() => testSetImages(dir, 'bsd100')).toThrow(/BSD100 needs 100 images but 0 were found .*BSDS300-images\.tgz/);
    // A user's own folder of HR images (no image_SRF_2/) is read as it is.
    mkdirSync(join(dir, 'Set5'));
    for (const f of readdirSync(join(tests, 'Set5', 'image_SRF_2')).filter((n) => n.endsWith('_HR.png'))) {
      cpSync(join(tests, 'Set5', 'image_SRF_2', f), join(dir, 'Set5', f.replace('_SRF_2_HR', '')));
    }
    expect(testSetImages(dir, 'set5').map((p) => basename(p))).toEqual([
      'img_001.png',
      'img_002.png',
      'img_003.png',
      'img_004.png',
      'img_005.png',
    ]);
  });
});

describe('BSDS300 download without iids_test.txt', () => {
  let server: TestServer;
  beforeAll(async () => {
    const www = join(root, 'www');
    for (const set of ['Set5', 'Set14']) cpSync(join(tests, set), join(www, 'SelfExSR', 'data', set), { recursive: true });
    const src = join(root, 'bsds-src');
    cpSync(join(tests, 'BSDS300'), join(src, 'BSDS300'), { recursive: true });
    rmSync(join(src, 'BSDS300', 'iids_test.txt'));
    mkdirSync(join(www, 'bsds'));
    await tar.c({ gzip: true, file: join(www, 'bsds', 'BSDS300-images.tgz'), cwd: src }, ['BSDS300']);
    server = await serveFolder(www);
  });
  afterAll(() => server?.close());

  it('unpacks, deletes the tarball, reads images/test/ on later runs, and fetches again when they were removed', async () => {
    const dir = join(root, 'downloaded');
    const o = { download: true, selfExSrBaseUrl: `${server.url}/SelfExSR`, bsdsUrl: `${server.url}/bsds/BSDS300-images.tgz` };
    const first = await ensureTestSets(dir, o);
    expect([first.set5.length, first.set14.length, first.bsd100.length]).toEqual([5, 14, 100]);
    expect(existsSync(join(dir, 'BSDS300', 'iids_test.txt'))).toBe(false);
    expect(existsSync(join(dir, 'downloads', 'BSDS300-images.tgz'))).toBe(false);
    expect(existsSync(join(dir, 'downloads', 'BSDS300-images.tgz.unpacked'))).toBe(true);
    const requests = server.requests.length;
    expect(await ensureTestSets(dir, o)).toEqual(first);
    expect(server.requests.length).toBe(requests); // nothing fetched again
    // The marker stays, the images went: the next run fetches them again instead of failing forever.
    rmSync(join(dir, 'BSDS300'), { recursive: true });
    expect((await ensureTestSets(dir, o)).bsd100).toEqual(first.bsd100);
    expect(server.requests.slice(requests)).toEqual(['GET /bsds/BSDS300-images.tgz']);
  });
});
