// Autoencoding benchmark (spec/autoencoder.md): train the four-layer
// convolutional autoencoder with the deep perceptual loss of one loss-network
// layer (or pixel MSE, the 'pixel' baseline) on unlabelled images, keep the
// epoch with the best validation loss, encode the labelled images and judge
// the codes with seven MLP probes. Variants are the datasets: 'svhn' (32x32
// reflect-padded to 64) and 'stl10' (96x96). Resumes from its run folder.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { fromFloatBatch, writePng } from '../data/image.js';
import type { ImageRecords, ImageSet } from '../data/image-records.js';
import { mixSeed, seededPermutation, seededSplit } from '../data/seeded.js';
import { ensureStl10, openStl10 } from '../data/stl10.js';
import { ensureSvhn, openSvhn, SVHN_SPLITS } from '../data/svhn.js';
import type { DownloadProgress } from '../data/download.js';
import { LossNetwork } from '../loss-network.js';
import type { ByteImage, FloatTensor } from '../tensor.js';
import { writeJsonAtomic } from '../training/atomic.js';
import { SampleOrder } from '../training/batches.js';
import { trainLoop, type TrainOutcome } from '../training/loop.js';
import { forEachBatch } from '../training/prefetch.js';
import { parseOptions } from '../validate.js';
import { CodeSet, PROBES, trainProbe, type ProbeResult } from './autoencoder-probes.js';
import { AutoencoderTrainer } from './autoencoder-trainer.js';
import type { Benchmark, RunContext, RunResult, RunSpec } from './benchmark.js';

const int = (min: number) => z.number().int().min(min);

export const AutoencoderOptions = z.object({
  /** Folder of SVHN's {train,test,extra}_32x32.mat (variant 'svhn'). */
  svhn: z.string().min(1).optional(),
  /** Folder of STL-10's binaries, or the folder holding stl10_binary/ (variant 'stl10'). */
  stl10: z.string().min(1).optional(),
  /** Download what is missing from the spec's sources (or the URLs below), checking the published MD5s. */
  download: z.boolean().default(false),
  urls: z.object({ svhn: z.string().url().optional(), stl10: z.string().url().optional() }).default({}),
  /** MD5 per file name, replacing the published ones (for mirrors and tests). */
  md5: z.record(z.string(), z.string().regex(/^[0-9a-f]{32}$/i)).default({}),
  /** Seeds the 80/20 splits (shared by every run; recorded in splits.json). */
  dataSeed: int(0).default(0),
  /** Use at most this many images of each set (a seeded subset; default all). */
  maxImages: int(1).optional(),
  epochs: int(1).default(50),
  /** Stop when this many epochs in a row bring no lower validation loss. */
  patience: int(1).default(10),
  batchSize: int(1).default(256),
  lr: z.number().positive().default(1e-3),
  codeSize: int(1).default(64),
  /** Loss network input: raw [0,1] RGB (the spec) or ImageNet-normalised. */
  normalization: z.enum(['none', 'imagenet']).default('none'),
  probeEpochs: int(1).default(500),
  probePatience: int(1).default(25),
  probeBatch: int(1).default(256),
  probeLr: z.number().positive().default(1e-3),
  /** Save a resumable checkpoint every this many steps too (and at each epoch end). */
  checkpointEvery: int(1).default(500),
  /** Test images in the strip of inputs and reconstructions (samples/reconstructions.png). */
  samples: int(0).default(8),
  /** Where SVHN's inflated pixels are cached (default: <svhn>/.dpl-torch-prepared). */
  cacheDir: z.string().optional(),
  weights: z.enum(['any', 'imagenet', 'random']).default('any'),
});
export type AutoencoderOptions = z.input<typeof AutoencoderOptions>;
type Options = z.output<typeof AutoencoderOptions>;

export const DATASETS = ['svhn', 'stl10'] as const;
export type Dataset = (typeof DATASETS)[number];

/** The spec's scale; the study config fills in the data folders. */
export const paperOptions: Omit<AutoencoderOptions, 'svhn' | 'stl10'> = {
  epochs: 50,
  patience: 10,
  batchSize: 256,
  lr: 1e-3,
  codeSize: 64,
  probeEpochs: 500,
  probePatience: 25,
  probeBatch: 256,
  // The study's loss networks carry ImageNet weights; refuse a random-init export.
  weights: 'imagenet',
};

/** A toy scale on makeSyntheticAutoencoderData(dataRoot) output (160 unlabelled, 120 labelled, 60 test images per dataset). */
export function quickOptions(dataRoot: string): AutoencoderOptions {
  return {
    svhn: join(dataRoot, 'svhn'),
    stl10: join(dataRoot, 'stl10'),
    epochs: 2,
    batchSize: 32,
    probeEpochs: 40,
    probePatience: 5,
    probeBatch: 32,
    samples: 6,
  };
}

interface Data {
  side: number;
  pad: number;
  /** Unlabelled images for the autoencoder, labelled images for the probes, and the test set. */
  pool: ImageSet;
  probe: ImageSet;
  test: ImageSet;
  /** File names, for splits.json. */
  sources: { pool: string; probe: string; test: string };
}

async function openData(dataset: Dataset, o: Options, ctx: RunContext): Promise<Data> {
  let last = 0;
  const fetch = {
    signal: ctx.signal,
    onProgress: (line: string) => ctx.log(line),
    onBytes: (name: string, p: DownloadProgress) => {
      if (Date.now() - last < 500 && p.received !== p.total) return;
      last = Date.now();
      ctx.progress(p.received, p.total ?? p.received, `downloading ${name}`);
    },
  };
  if (dataset === 'svhn') {
    if (!o.svhn) throw new Error("the 'svhn' variant needs the svhn option (--svhn DIR): a folder for {train,test,extra}_32x32.mat");
    await ensureSvhn(o.svhn, ['extra', 'train', 'test'], { ...fetch, download: o.download, baseUrl: o.urls.svhn, md5: o.md5 });
    const open = (split: 'extra' | 'train' | 'test') =>
      openSvhn(o.svhn!, split, { cacheDir: o.cacheDir, log: ctx.log, signal: ctx.signal });
    return {
      side: 64,
      pad: 16,
      pool: await open('extra'),
      probe: await open('train'),
      test: await open('test'),
      sources: { pool: SVHN_SPLITS.extra.file, probe: SVHN_SPLITS.train.file, test: SVHN_SPLITS.test.file },
    };
  }
  if (!o.stl10) throw new Error("the 'stl10' variant needs the stl10 option (--stl10 DIR): a folder for stl10_binary/");
  const folder = await ensureStl10(o.stl10, { ...fetch, download: o.download, url: o.urls.stl10, md5: o.md5['stl10_binary.tar.gz'] });
  return {
    side: 96,
    pad: 0,
    pool: await openStl10(folder, 'unlabeled'),
    probe: await openStl10(folder, 'train'),
    test: await openStl10(folder, 'test'),
    sources: { pool: 'unlabeled_X.bin', probe: 'train_X.bin', test: 'test_X.bin' },
  };
}

/** The images a run uses of a set: all, or a seeded subset of maxImages (sorted). */
function subset(count: number, max: number | undefined, seed: number): number[] {
  if (max === undefined || max >= count) return Array.from({ length: count }, (_, i) => i);
  return seededPermutation(count, seed)
    .slice(0, max)
    .sort((a, b) => a - b);
}

const digest = (indices: number[]) => createHash('sha256').update(Uint32Array.from(indices)).digest('hex');

interface Splits {
  pool: { train: number[]; val: number[] };
  probe: { train: number[]; val: number[] };
  test: number[];
}

/** Seeded 80/20 splits of the unlabelled and labelled sets (indices into the files), written to splits.json. */
function makeSplits(dataset: Dataset, data: Data, o: Options, dir: string): Splits {
  const split = (set: ImageSet, purpose: number) => {
    const use = subset(set.images.count, o.maxImages, mixSeed(o.dataSeed, purpose, 1));
    const s = seededSplit(use.length, 0.2, mixSeed(o.dataSeed, purpose));
    return { train: s.train.map((i) => use[i]!), val: s.val.map((i) => use[i]!) };
  };
  const splits: Splits = {
    pool: split(data.pool, 1),
    probe: split(data.probe, 2),
    test: subset(data.test.images.count, o.maxImages, mixSeed(o.dataSeed, 3, 1)),
  };
  const record = (source: string, total: number, parts: Record<string, number[]>) => ({
    source,
    images: total,
    ...Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, { count: v.length, sha256: digest(v) }])),
  });
  writeJsonAtomic(join(dir, 'splits.json'), {
    dataset,
    dataSeed: o.dataSeed,
    maxImages: o.maxImages ?? null,
    rule:
      'validation = the first round(0.2 n) of seededPermutation(n, mixSeed(dataSeed, k)), k = 1 autoencoder, 2 probes ' +
      '(src/data/seeded.ts seededSplit); with maxImages, a sorted seededPermutation(n, mixSeed(dataSeed, k, 1)) subset first (k = 3 test); ' +
      'sha256 of each index list as little-endian uint32',
    autoencoder: record(data.sources.pool, data.pool.images.count, splits.pool),
    probe: record(data.sources.probe, data.probe.images.count, splits.probe),
    test: record(data.sources.test, data.test.images.count, { test: splits.test }),
  });
  return splits;
}

/** Mean per-image loss of `indices` in eval mode. */
async function meanLoss(trainer: AutoencoderTrainer, images: ImageRecords, indices: number[], batch: number): Promise<number> {
  let sum = 0;
  await forEachBatch(
    indices,
    batch,
    (slice) => images.batch(slice),
    (b) => trainer.evaluate(b),
    (_b, r) => {
      for (const v of r.losses) sum += v;
    },
  );
  return sum / indices.length;
}

/** Codes [n, codeSize] of `indices`, in order. */
async function encodeAll(
  trainer: AutoencoderTrainer,
  images: ImageRecords,
  indices: number[],
  batch: number,
  codeSize: number,
): Promise<FloatTensor> {
  const data = new Float32Array(indices.length * codeSize);
  let at = 0;
  await forEachBatch(
    indices,
    batch,
    (slice) => images.batch(slice),
    (b) => trainer.encode(b),
    (_b, codes) => {
      data.set(codes.data, at);
      at += codes.data.length;
    },
  );
  return { data, shape: [indices.length, codeSize] };
}

/** A strip: inputs on the top row, their reconstructions below. */
function strip(input: FloatTensor, output: FloatTensor): ByteImage {
  const [n, , h, w] = input.shape as [number, number, number, number];
  const data = new Uint8Array(2 * h * n * w * 3);
  for (const [row, batch] of [input, output].entries()) {
    for (let i = 0; i < n; i++) {
      const img = fromFloatBatch(batch, i);
      for (let y = 0; y < h; y++) data.set(img.data.subarray(y * w * 3, (y + 1) * w * 3), ((row * h + y) * n * w + i * w) * 3);
    }
  }
  return { data, shape: [2 * h, n * w, 3] };
}

async function run(spec: RunSpec, ctx: RunContext): Promise<RunResult> {
  const o = parseOptions(AutoencoderOptions, spec.options, 'autoencoder options');
  const dataset = spec.variant as Dataset;
  if (!DATASETS.includes(dataset)) throw new Error(`autoencoder variant must be 'svhn' or 'stl10' (the dataset), got '${spec.variant}'`);
  // network 'pixel': the pixel-loss baseline (MSE on pixels, no loss network, layers ignored).
  const pixel = spec.network === 'pixel';
  if (!pixel && spec.layers.length !== 1) throw new Error(`the autoencoder trains on one layer, got [${spec.layers.join(', ')}]`);
  const layer = spec.layers[0] ?? 0;
  mkdirSync(ctx.dir, { recursive: true });

  // The loss network and the model first: a missing export or a layer past the end fails before any data is read.
  const network = pixel
    ? null
    : await LossNetwork.load(spec.network, {
        device: ctx.device,
        modelsDir: ctx.modelsDir,
        normalization: o.normalization,
        weights: o.weights,
      });
  let trainer: AutoencoderTrainer | undefined;
  let data: Data | undefined;
  try {
    if (network && layer >= network.size) {
      throw new Error(`layer ${layer} is past the end of ${spec.network} (${network.size} children: layers 0..${network.size - 1})`);
    }
    const [side, pad] = dataset === 'svhn' ? [64, 16] : [96, 0];
    trainer = await AutoencoderTrainer.create(network, {
      side,
      pad,
      codeSize: o.codeSize,
      layer,
      seed: spec.seed,
      lr: o.lr,
      device: ctx.device,
    });
    data = await openData(dataset, o, ctx);
    const splits = makeSplits(dataset, data, o, ctx.dir);
    const { state, bestPath } = await trainToEnd(spec, ctx, o, dataset, trainer, data, splits);
    if (bestPath) await trainer.load(bestPath);

    const artifacts: string[] = [];
    if (o.samples > 0) {
      const shown = splits.test.slice(0, o.samples);
      const r = await trainer.evaluate(await data.test.images.batch(shown), { images: true });
      mkdirSync(join(ctx.dir, 'samples'), { recursive: true });
      await writePng(join(ctx.dir, 'samples', 'reconstructions.png'), strip(r.input!, r.output!));
      artifacts.push('samples/reconstructions.png');
    }

    const probes = await runProbes(spec, ctx, o, trainer, data, splits, state);
    const metrics: Record<string, number> = {};
    for (const r of probes) {
      for (const part of ['val', 'test'] as const) {
        for (const [k, v] of Object.entries(r[part])) metrics[`probe.${r.name}.${part}.${k}`] = v;
      }
      metrics[`probe.${r.name}.epochs`] = r.epochs;
      metrics[`probe.${r.name}.bestEpoch`] = r.bestEpoch;
    }
    const best = probes.reduce((a, b, i) => (b.test.accuracy > probes[a]!.test.accuracy ? i : a), 0);
    metrics['probe.best.accuracy'] = probes[best]!.test.accuracy;
    metrics['probe.best.index'] = PROBES.findIndex((p) => p.name === probes[best]!.name);
    if (state.best) {
      metrics['val.loss'] = state.best.value;
      metrics['val.bestEpoch'] = state.best.epoch;
    }
    metrics['train.epochs'] = state.history.length;
    const last = state.history.at(-1);
    if (last) metrics['train.loss'] = last.trainLoss;
    writeJsonAtomic(join(ctx.dir, 'metrics.json'), metrics);
    return { metrics, weightsId: network?.weightsId ?? 'pixel', artifacts };
  } finally {
    trainer?.dispose();
    network?.dispose();
    for (const set of [data?.pool, data?.probe, data?.test]) await set?.images.close();
  }
}

/** Trains from the latest checkpoint in ctx.dir to the last epoch or an early stop, keeping the best-validation weights. */
async function trainToEnd(
  spec: RunSpec,
  ctx: RunContext,
  o: Options,
  dataset: Dataset,
  trainer: AutoencoderTrainer,
  data: Data,
  splits: Splits,
): Promise<TrainOutcome> {
  const { train, val } = splits.pool;
  // Every option that changes training: a checkpoint made with other values is refused, not resumed.
  const key = {
    network: spec.network,
    layer: spec.layers[0] ?? null,
    dataset,
    seed: spec.seed,
    dataSeed: o.dataSeed,
    maxImages: o.maxImages ?? null,
    n: train.length,
    val: val.length,
    b: o.batchSize,
    lr: o.lr,
    codeSize: o.codeSize,
    normalization: o.normalization,
  };
  // Each epoch is one pass over the training split in a seeded order (a function of seed and epoch alone).
  const order = new SampleOrder(train.length, spec.seed);
  return trainLoop({
    name: 'autoencoder',
    dir: ctx.dir,
    key,
    model: trainer,
    epochs: o.epochs,
    stepsPerEpoch: order.stepsPerEpoch(o.batchSize),
    load: (epoch, step) => data.pool.images.batch(order.epochBatch(epoch, step, o.batchSize).map((i) => train[i]!)),
    step: (batch) => trainer.step(batch),
    weight: (batch) => batch.shape[0],
    validate: () => meanLoss(trainer, data.pool.images, val, o.batchSize),
    better: 'lower',
    patience: o.patience,
    checkpointEvery: o.checkpointEvery,
    signal: ctx.signal,
    progress: ctx.progress,
    log: ctx.log,
  });
}

/**
 * Encodes the labelled images with the kept autoencoder and trains the seven
 * probes. Each finished probe is recorded in probes.json, so a resumed run
 * trains only the rest (a probe is a function of the codes and its seed, so
 * the results are those of an uninterrupted run).
 */
async function runProbes(
  spec: RunSpec,
  ctx: RunContext,
  o: Options,
  trainer: AutoencoderTrainer,
  data: Data,
  splits: Splits,
  state: TrainOutcome['state'],
): Promise<ProbeResult[]> {
  const path = join(ctx.dir, 'probes.json');
  const key = {
    training: state.key,
    best: state.best,
    probeEpochs: o.probeEpochs,
    probePatience: o.probePatience,
    probeBatch: o.probeBatch,
    probeLr: o.probeLr,
  };
  const saved = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { key: unknown; results: ProbeResult[] }) : null;
  const results = saved && JSON.stringify(saved.key) === JSON.stringify(key) ? saved.results : [];
  if (results.length === PROBES.length) return results;

  const encode = async (set: ImageSet, indices: number[]) => {
    const codes = await encodeAll(trainer, set.images, indices, o.batchSize, o.codeSize);
    return CodeSet.create(
      codes,
      Uint8Array.from(indices, (i) => set.labels![i]!),
      { device: ctx.device },
    );
  };
  ctx.log(
    `autoencoder: encoding ${splits.probe.train.length + splits.probe.val.length + splits.test.length} labelled images for the probes`,
  );
  const sets = {
    train: await encode(data.probe, splits.probe.train),
    val: await encode(data.probe, splits.probe.val),
    test: await encode(data.test, splits.test),
  };
  try {
    for (const [i, p] of PROBES.entries()) {
      if (results.some((r) => r.name === p.name)) continue;
      if (ctx.signal.aborted)
        throw new Error('autoencoder probes aborted; run again to resume (training and the finished probes are saved)');
      ctx.progress(i, PROBES.length, `probe ${p.name}`);
      const r = await trainProbe(p, sets, {
        inputs: o.codeSize,
        seed: mixSeed(spec.seed, 1000 + i),
        lr: o.probeLr,
        batch: o.probeBatch,
        maxEpochs: o.probeEpochs,
        patience: o.probePatience,
        device: ctx.device,
        signal: ctx.signal,
      });
      results.push(r);
      writeJsonAtomic(path, { key, results });
      ctx.log(
        `probe ${p.name}: ${r.epochs} epochs (best ${r.bestEpoch}${r.stoppedEarly ? ', stopped early' : ''}), ` +
          `val accuracy ${r.val.accuracy.toFixed(4)}, test accuracy ${r.test.accuracy.toFixed(4)}, ${(1000 * r.secondsPerEpoch).toFixed(1)} ms/epoch`,
      );
    }
    ctx.progress(PROBES.length, PROBES.length, 'probes');
  } finally {
    Object.values(sets).forEach((s) => s.dispose());
  }
  return PROBES.map((p) => results.find((r) => r.name === p.name)!);
}

/**
 * Metrics: probe.<name>.val|test.loss|l1|l2|accuracy for the seven probes
 * (names 'linear', '32', '64', '32-32', '64-32', '64-64', '128-128'),
 * probe.<name>.epochs|bestEpoch, probe.best.accuracy (the best probe's test
 * accuracy, the score) and probe.best.index (which probe, in PROBES order),
 * val.loss and val.bestEpoch (the kept autoencoder epoch), train.loss (last
 * epoch), train.epochs. spec.network 'pixel' trains on the pixel MSE alone.
 */
export const autoencoder: Benchmark = {
  name: 'autoencoder',
  primaryMetric: 'probe.best.accuracy',
  higherIsBetter: true,
  run,
};
