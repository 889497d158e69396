// End to end on tiny synthetic data in the real layouts, served over HTTP on
// 127.0.0.1: download (with a resumed cut), a short training run, evaluation on
// Set5/Set14/BSD100, and resume after an abort without redoing finished epochs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import type { RunContext, RunSpec } from '../src/benchmarks/benchmark.js';
import { quickOptions, superResolution, type SuperResolutionOptions } from '../src/benchmarks/super-resolution.js';
import { ensureCoco, selectImages } from '../src/data/coco.js';
import { ensureTestSets } from '../src/data/sr-test-sets.js';
import { makeSyntheticSrData } from '../src/data/synthetic-sr.js';
import { serveFolder, type TestServer } from './helpers/http-server.js';
import { TEST_MODELS } from './helpers/models.js';

const root = mkdtempSync(join(tmpdir(), 'dpl-sr-run-'));
let server: TestServer;
let urls: { coco: string; selfExSR: string; bsds: string };

beforeAll(async () => {
  // Source trees, then the files a server would hold: COCO zips, SelfExSR PNGs, BSDS300 tgz.
  const src = await makeSyntheticSrData(join(root, 'src'), { seed: 3, train: 10, val: 3, test: 14, size: [48, 72] });
  const www = join(root, 'www');
  mkdirSync(join(www, 'zips'), { recursive: true });
  for (const split of ['train2014', 'val2014']) {
    const r = spawnSync('python3', [
      '-c',
      'import shutil,sys; shutil.make_archive(sys.argv[1], "zip", sys.argv[2], sys.argv[3])',
      join(www, 'zips', split),
      src.coco,
      split,
    ]);
    if (r.status !== 0) throw new Error(`zip failed: ${r.stderr}`);
  }
  for (const set of ['Set5', 'Set14']) cpSync(join(src.tests, set), join(www, 'SelfExSR', 'data', set), { recursive: true });
  mkdirSync(join(www, 'bsds'));
  await tar.c({ gzip: true, file: join(www, 'bsds', 'BSDS300-images.tgz'), cwd: src.tests }, ['BSDS300']);
  server = await serveFolder(www);
  urls = { coco: `${server.url}/zips`, selfExSR: `${server.url}/SelfExSR`, bsds: `${server.url}/bsds/BSDS300-images.tgz` };
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

function context(dir: string, signal: AbortSignal, onProgress?: (done: number) => void) {
  const logs: string[] = [];
  const progress: number[] = [];
  const ctx: RunContext = {
    dir,
    device: 'cpu',
    modelsDir: TEST_MODELS,
    signal,
    progress: (done) => {
      progress.push(done);
      onProgress?.(done);
    },
    log: (l) => logs.push(l),
  };
  return { ctx, logs, progress };
}

describe('super-resolution data', () => {
  it('downloads COCO (resuming a cut transfer) and the test sets, and selects seeded subsets', async () => {
    const dir = join(root, 'data', 'coco');
    server.cutAfter = 2000;
    await expect(ensureCoco(dir, 'train2014', { download: true, baseUrl: urls.coco })).rejects.toThrow();
    // How much of the cut transfer reached the disk depends on timing; make the
    // kept part exact (1000 bytes, as an earlier interrupted try) so the resume is checked.
    const zip = readFileSync(join(root, 'www', 'zips', 'train2014.zip'));
    writeFileSync(join(dir, 'downloads', 'train2014.zip.part'), zip.subarray(0, 1000));
    const lines: string[] = [];
    const train = await ensureCoco(dir, 'train2014', { download: true, baseUrl: urls.coco, onProgress: (l) => lines.push(l) });
    expect(server.requests).toContain('GET /zips/train2014.zip bytes=1000-');
    expect(lines.some((l) => l.includes('train2014.zip'))).toBe(true);
    expect(train).toHaveLength(10);
    expect([...train].sort()).toEqual(train);
    // The 19 GB of COCO zips are not kept once unpacked; the marker stops a second download.
    expect(existsSync(join(dir, 'downloads', 'train2014.zip'))).toBe(false);
    expect(existsSync(join(dir, 'downloads', 'train2014.zip.unpacked'))).toBe(true);
    const requests = server.requests.length;
    expect(await ensureCoco(dir, 'train2014', { download: true, baseUrl: urls.coco })).toEqual(train);
    expect(server.requests.length).toBe(requests);
    const a = selectImages(train, 4, 7);
    expect(selectImages(train, 4, 7)).toEqual(a);
    expect(selectImages(train, 4, 8)).not.toEqual(a);
    expect(() => selectImages(train, 11, 0)).toThrow(/only 10/);

    const tests = await ensureTestSets(join(root, 'data', 'tests'), {
      download: true,
      selfExSrBaseUrl: urls.selfExSR,
      bsdsUrl: urls.bsds,
      count: 5,
    });
    expect([tests.set5.length, tests.set14.length, tests.bsd100.length]).toEqual([5, 5, 5]);
    expect(tests.set14.every((p) => /image_SRF_2\/img_\d{3}_SRF_2_HR\.png$/.test(p))).toBe(true);
    expect(tests.bsd100.every((p) => p.includes(join('images', 'test')))).toBe(true);
    expect(existsSync(join(root, 'data', 'tests', 'downloads', 'BSDS300-images.tgz'))).toBe(false);
    await expect(ensureCoco(join(root, 'nothing'), 'val2014')).rejects.toThrow(/--download/);
  });
});

describe('super-resolution benchmark', () => {
  const options = (): SuperResolutionOptions => ({
    coco: join(root, 'dl', 'coco'),
    tests: join(root, 'dl', 'tests'),
    download: true,
    urls,
    trainImages: 8,
    valImages: 2,
    epochs: 2,
    stepsPerEpoch: 3,
    batchSize: 2,
    hrSize: 32,
    checkpointEvery: 1,
    samples: 1,
    testImages: 3,
  });
  const spec = (): RunSpec => ({
    benchmark: 'super-resolution',
    network: 'vgg16',
    layers: [3],
    variant: 'x4',
    repetition: 0,
    seed: 1,
    options: options(),
  });

  it('trains, is aborted mid-epoch, resumes from the checkpoint and evaluates', async () => {
    const dir = join(root, 'run-x4');
    const first = new AbortController();
    const a = context(dir, first.signal, (done) => done === 4 && first.abort());
    await expect(superResolution.run(spec(), a.ctx)).rejects.toThrow(/aborted at step 4\/6/);
    expect(a.progress).toEqual([1, 2, 3, 4]);
    expect(existsSync(join(dir, 'best.pt'))).toBe(true);
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    expect(state.globalStep).toBe(4);
    expect(state.history).toHaveLength(1);

    const b = context(dir, new AbortController().signal);
    const result = await superResolution.run(spec(), b.ctx);
    expect(b.logs.some((l) => l.includes('resumed at step 4'))).toBe(true);
    expect(b.progress).toEqual([5, 6]); // epoch 1 is not redone
    const done = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    expect(done.history.map((h: { epoch: number }) => h.epoch)).toEqual([1, 2]);

    for (const set of ['set5', 'set14', 'bsd100', 'mean']) {
      expect(result.metrics[`psnr.${set}`]).toBeGreaterThan(5);
      expect(result.metrics[`ssim.${set}`]).toBeGreaterThan(-1);
      expect(result.metrics[`ssim.${set}`]).toBeLessThanOrEqual(1);
      expect(result.metrics[`featureLoss.${set}`]).toBeGreaterThan(0);
    }
    expect(result.metrics['val.psnr']).toBeGreaterThan(5);
    expect(result.metrics['bicubic.psnr.mean']).toBeGreaterThan(5);
    expect(result.weightsId).toMatch(/^random:/);
    expect(result.artifacts).toContain('samples/set5-0-sr.png');
    for (const f of result.artifacts!) expect(existsSync(join(dir, f))).toBe(true);

    // A finished run re-evaluates without training, to the same numbers.
    const c = context(dir, new AbortController().signal);
    const again = await superResolution.run(spec(), c.ctx);
    expect(c.progress).toEqual([]);
    expect(again.metrics['psnr.mean']).toBeCloseTo(result.metrics['psnr.mean']!, 6);
  });

  it('x8 and the pixel baseline run, and bad options are refused with the field named', async () => {
    const s = { ...spec(), variant: 'x8', options: { ...options(), hrSize: 40, epochs: 1, stepsPerEpoch: 2 } };
    const r = await superResolution.run(s, context(join(root, 'run-x8'), new AbortController().signal).ctx);
    expect(r.metrics['psnr.set14']).toBeGreaterThan(5);
    // The pixel-loss baseline: no loss network, so no feature loss.
    const px = { ...spec(), network: 'pixel', layers: [], options: { ...options(), epochs: 1, stepsPerEpoch: 2 } };
    const p = await superResolution.run(px, context(join(root, 'run-pixel'), new AbortController().signal).ctx);
    expect(p.weightsId).toBe('pixel');
    expect(p.metrics['psnr.mean']).toBeGreaterThan(5);
    expect(p.metrics['featureLoss.mean']).toBeUndefined();
    const bad = (o: object, variant = 'x4') =>
      superResolution.run(
        { ...spec(), variant, options: { ...options(), ...o } },
        context(join(root, 'bad'), new AbortController().signal).ctx,
      );
    await expect(bad({ epochs: 0 })).rejects.toThrow(/epochs/);
    await expect(bad({ hrSize: 42 })).rejects.toThrow(/multiple of 4/);
    await expect(bad({}, 'x3')).rejects.toThrow(/'x4' or 'x8'/);
    await expect(bad({ normalization: 'lpips' })).rejects.toThrow(/normalization/);
  });

  it('the quick preset runs in seconds on synthetic data', async () => {
    const data = join(root, 'quick');
    await makeSyntheticSrData(data, { seed: 1 });
    const t = Date.now();
    const r = await superResolution.run(
      { ...spec(), network: 'alexnet', layers: [4], options: quickOptions(data) },
      context(join(root, 'run-quick'), new AbortController().signal).ctx,
    );
    expect(Number.isFinite(r.metrics['psnr.mean'])).toBe(true);
    expect(Date.now() - t).toBeLessThan(60_000);
  });
});
