// Delineation end to end on tiny synthetic MRD tiles in the real layout, served
// over HTTP on 127.0.0.1: download, a short training run whose loss falls,
// evaluation and the report sample; a damaged tile stops the run with an error
// naming the file and loses nothing trained; a layer past the network's end is
// refused before any data is read.
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunContext, RunSpec } from '../src/benchmarks/benchmark.js';
import { delineation, type DelineationOptions } from '../src/benchmarks/delineation.js';
import { imageInfo } from '../src/data/image.js';
import { listMrd } from '../src/data/mrd.js';
import { epochOrder } from '../src/data/seeded.js';
import { makeMrdServerTree, makeSyntheticMrd } from '../src/data/synthetic-mrd.js';
import { readTrainState } from '../src/training/loop.js';
import { serveFolder, type TestServer } from './helpers/http-server.js';
import { TEST_MODELS } from './helpers/models.js';

const root = mkdtempSync(join(tmpdir(), 'dpl-delineation-run-'));
let server: TestServer;

beforeAll(async () => {
  await makeSyntheticMrd(join(root, 'src'), { seed: 3, train: 6, val: 2, test: 2, size: [64, 80] });
  makeMrdServerTree(join(root, 'src'), join(root, 'www'));
  server = await serveFolder(join(root, 'www'));
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

function context(dir: string) {
  const logs: string[] = [];
  const ctx: RunContext = {
    dir,
    device: 'cpu',
    modelsDir: TEST_MODELS,
    signal: new AbortController().signal,
    progress: () => {},
    log: (l) => logs.push(l),
  };
  return { ctx, logs };
}

const spec = (options: DelineationOptions, over: Partial<RunSpec> = {}): RunSpec => ({
  benchmark: 'delineation',
  network: 'vgg16',
  layers: [3],
  variant: 'unet',
  repetition: 0,
  seed: 1,
  options,
  ...over,
});
const tiny = { epochs: 4, batchSize: 3, cropSize: 32, sampleSize: 48, checkpointEvery: 100 };

describe('delineation run', () => {
  it('downloads MRD, trains (the loss falls), and scores the test tiles', async () => {
    const { ctx, logs } = context(join(root, 'run'));
    const mrd = join(root, 'mrd');
    const r = await delineation.run(spec({ ...tiny, mrd, download: true, baseUrl: server.url }), ctx);
    expect(server.requests).toContain('GET /valid/map/index.html');
    expect(existsSync(join(mrd, 'test', 'input'))).toBe(true);
    const state = readTrainState(ctx.dir)!;
    expect(state.globalStep).toBe(8); // 6 tiles in batches of 3, 4 epochs
    const losses = state.history.map((h) => h.trainLoss);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    expect(r.weightsId).toBe('random:0');
    for (const m of ['quality', 'correctness', 'completeness']) {
      for (const form of ['relaxed', 'exact']) expect(r.metrics[`${m}.${form}`]).toBeGreaterThanOrEqual(0);
      expect(r.metrics[`${m}.relaxed`]).toBeLessThanOrEqual(1);
      // The tolerance only forgives: relaxed >= exact.
      expect(r.metrics[`${m}.relaxed`]! + 1e-12).toBeGreaterThanOrEqual(r.metrics[`${m}.exact`]!);
    }
    expect(r.metrics.bce).toBeGreaterThan(0);
    expect(r.metrics['val.bce']).toBe(Math.min(...state.history.map((h) => h.val!)));
    expect(r.metrics['val.bestEpoch']).toBe(state.best!.epoch);
    expect(delineation.primaryMetric).toBe('quality.relaxed');
    expect(logs.some((l) => /^test \(2 tiles\): quality/.test(l))).toBe(true);
    // The report's sample: the first test tile's centred 48x48 window, input | truth | prediction.
    expect(r.artifacts!.slice(1).map((a) => a.replace(/^samples\/\d+_15-/, ''))).toEqual(['input.png', 'truth.png', 'prediction.png']);
    for (const a of r.artifacts!.slice(1)) expect(await imageInfo(join(ctx.dir, a))).toMatchObject({ height: 48, width: 48 });
    expect(JSON.parse(readFileSync(join(ctx.dir, 'metrics.json'), 'utf8'))).toEqual(r.metrics);
  });

  it('a damaged training tile stops the run naming the file; the steps before it are kept and resume', async () => {
    const mrd = join(root, 'mrd-bad');
    cpSync(join(root, 'src'), mrd, { recursive: true });
    const dir = join(root, 'run-bad');
    const opts = { ...tiny, epochs: 3, batchSize: 2, mrd };
    await delineation.run(spec({ ...opts, epochs: 1 }), context(dir).ctx);
    expect(readTrainState(dir)!.globalStep).toBe(3);
    // The tile of epoch 2's last batch (step 3 of 3): the two steps before it must not be lost.
    const tile = listMrd(mrd).train[epochOrder(6, 1, 1)[5]!]!.image;
    copyFileSync(tile, `${tile}.good`);
    truncateSync(tile, 400);
    await expect(delineation.run(spec(opts), context(dir).ctx)).rejects.toThrow(tile);
    const kept = readTrainState(dir)!;
    expect(kept).toMatchObject({ globalStep: 5, epoch: 1, step: 2 });
    expect(existsSync(join(dir, kept.checkpoint!))).toBe(true);
    expect(existsSync(join(dir, 'best.pt'))).toBe(true);
    copyFileSync(`${tile}.good`, tile);
    const { ctx, logs } = context(dir);
    await delineation.run(spec(opts), ctx);
    expect(logs).toContain('delineation: resumed at step 5 (epoch 2, step 2)');
    expect(readTrainState(dir)!.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
  });

  it("refuses a layer past the network's end before reading any data", async () => {
    await expect(
      delineation.run(spec({ mrd: join(root, 'nowhere') }, { layers: [31] }), context(join(root, 'run-l31')).ctx),
    ).rejects.toThrow(/layer 31 is past the end of this network: it has 31 children/);
  });
});
