// Road-delineation benchmark (spec: delineation.md): train the iterative U-Net
// on Massachusetts Roads with the BCE plus the deep perceptual loss of one
// loss-network layer (or the BCE alone, network 'pixel'), keep the epoch with
// the best validation BCE, and score the test tiles by correctness,
// completeness and quality, pixel-exact and within a tolerance. Resumes from
// its run folder.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writePng } from '../data/image.js';
import { ensureMrd, formatMrdProgress, readMrdPair, type MrdPair } from '../data/mrd.js';
import { loadTrainingBatch, loadWholeTile, TileCache } from '../data/mrd-batches.js';
import { LossNetwork } from '../loss-network.js';
import { writeJsonAtomic } from '../training/atomic.js';
import { SampleOrder } from '../training/batches.js';
import { trainLoop, type TrainOutcome } from '../training/loop.js';
import { forEachBatch } from '../training/prefetch.js';
import { parseOptions } from '../validate.js';
import type { Benchmark, RunContext, RunResult, RunSpec } from './benchmark.js';
import { delineationMetrics, meanMetrics, type DelineationMetrics } from './delineation-metrics.js';
import { DelineationTrainer } from './delineation-trainer.js';

const int = (min: number) => z.number().int().min(min);

export const DelineationOptions = z.object({
  /** The MRD folder: {train,val,test}/{input,output}/ paired by file stem. */
  mrd: z.string().min(1),
  /** Download what is missing from the Toronto index pages (or baseUrl). */
  download: z.boolean().default(false),
  baseUrl: z.string().url().optional(),
  epochs: int(1).default(100),
  batchSize: int(1).default(8),
  lr: z.number().positive().default(1e-3),
  /** Side of the random training crops (a multiple of 16). */
  cropSize: int(16).multipleOf(16).default(224),
  /** Refinement iterations K, for training and testing. */
  iterations: int(1).default(3),
  /** mu, the weight of the feature term (ignored by the 'pixel' baseline). */
  featureWeight: z.number().nonnegative().default(0.01),
  /** Probability above which a pixel counts as road in the metrics. */
  threshold: z.number().min(0).lt(1).default(0.3),
  /** rho, in pixels, of the relaxed metrics. */
  tolerance: z.number().nonnegative().default(3),
  /** Save a resumable checkpoint every this many steps (and at each epoch end). */
  checkpointEvery: int(1).default(50),
  /** Side of the sample saved for the report: a centred window of the first test tile, at native resolution. */
  sampleSize: int(16).default(512),
  weights: z.enum(['any', 'imagenet', 'random']).default('any'),
});
export type DelineationOptions = z.input<typeof DelineationOptions>;
type Options = z.output<typeof DelineationOptions>;

/** The spec's scale; the study config fills in `mrd`. */
export const paperOptions: Omit<DelineationOptions, 'mrd'> = {
  epochs: 100,
  batchSize: 8,
  lr: 1e-3,
  cropSize: 224,
  iterations: 3,
  featureWeight: 0.01,
  threshold: 0.3,
  tolerance: 3,
  // The study's loss networks carry ImageNet weights; refuse a random-init export.
  weights: 'imagenet',
};

/** Tile counts and side of the quick preset's synthetic MRD (makeSyntheticMrd). */
export const QUICK_MRD = { train: 8, val: 2, test: 2, size: 96 };

/**
 * A toy scale on makeSyntheticMrd(join(dataRoot, 'mrd'), QUICK_MRD): 64 px
 * crops keep every quick network's layers valid while a run stays in seconds.
 */
export function quickOptions(dataRoot: string): DelineationOptions {
  return { mrd: join(dataRoot, 'mrd'), epochs: 2, batchSize: 4, cropSize: 64, sampleSize: 96, checkpointEvery: 10 };
}

/** The variant name of the spec's model (K iterations of the U-Net). */
export const DELINEATION_VARIANT = 'unet';

async function run(spec: RunSpec, ctx: RunContext): Promise<RunResult> {
  const o = parseOptions(DelineationOptions, spec.options, 'delineation options');
  if (spec.variant !== DELINEATION_VARIANT) throw new Error(`delineation variant must be '${DELINEATION_VARIANT}', got '${spec.variant}'`);
  // network 'pixel': the BCE-only baseline (no loss network, layers ignored).
  const pixel = spec.network === 'pixel';
  if (!pixel && spec.layers.length !== 1) throw new Error(`delineation trains on one layer, got [${spec.layers.join(', ')}]`);
  mkdirSync(ctx.dir, { recursive: true });
  // The loss network and the trainer first: a missing export or a layer past the
  // network's end fails before any data is read or downloaded.
  const network = pixel
    ? null
    : await LossNetwork.load(spec.network, { device: ctx.device, modelsDir: ctx.modelsDir, normalization: 'imagenet', weights: o.weights });
  let trainer: DelineationTrainer | undefined;
  try {
    trainer = await DelineationTrainer.create(network, {
      layer: spec.layers[0] ?? 0,
      iterations: o.iterations,
      featureWeight: pixel ? 0 : o.featureWeight,
      lr: o.lr,
      seed: spec.seed,
      device: ctx.device,
    });
    let last = 0;
    const splits = await ensureMrd(o.mrd, {
      download: o.download,
      baseUrl: o.baseUrl,
      signal: ctx.signal,
      log: ctx.log,
      onProgress: (p) => {
        if (Date.now() - last < 500) return;
        last = Date.now();
        ctx.progress(p.received, p.total, formatMrdProgress(p));
      },
    });
    const { state, bestPath } = await trainToEnd(spec, ctx, o, trainer, splits.train, splits.val);
    if (bestPath) await trainer.load(bestPath);
    const metrics = await evaluateTest(ctx, o, trainer, splits.test);
    if (state.best) {
      metrics['val.bce'] = state.best.value;
      metrics['val.bestEpoch'] = state.best.epoch;
    }
    const lastEpoch = state.history.at(-1);
    if (lastEpoch) metrics['train.loss'] = lastEpoch.trainLoss;
    writeJsonAtomic(join(ctx.dir, 'metrics.json'), metrics);
    const artifacts = await writeSample(ctx, o, trainer, splits.test[0]!);
    return { metrics, weightsId: network?.weightsId ?? 'pixel', artifacts };
  } finally {
    trainer?.dispose();
    network?.dispose();
  }
}

/** Trains from the latest checkpoint in ctx.dir to the last epoch, keeping the best-validation weights. */
async function trainToEnd(
  spec: RunSpec,
  ctx: RunContext,
  o: Options,
  trainer: DelineationTrainer,
  train: MrdPair[],
  val: MrdPair[],
): Promise<TrainOutcome> {
  // Every option that changes training: a checkpoint made with other values is refused, not resumed.
  // (Epochs are left out: a finished run can be extended.)
  const key = {
    network: spec.network,
    layer: spec.layers[0] ?? null,
    seed: spec.seed,
    crop: o.cropSize,
    b: o.batchSize,
    lr: o.lr,
    iterations: o.iterations,
    featureWeight: spec.network === 'pixel' ? 0 : o.featureWeight,
    train: train.map((p) => p.stem),
    val: val.map((p) => p.stem),
  };
  // An epoch is one pass over the training tiles, one seeded crop (and flip) of each.
  const order = new SampleOrder(train.length, spec.seed);
  const cache = new TileCache();
  return trainLoop({
    name: 'delineation',
    dir: ctx.dir,
    key,
    model: trainer,
    epochs: o.epochs,
    stepsPerEpoch: order.stepsPerEpoch(o.batchSize),
    load: (epoch, step) =>
      loadTrainingBatch(train, order.epochBatch(epoch, step, o.batchSize), { size: o.cropSize, seed: spec.seed, epoch }),
    step: (batch) => trainer.step(batch.images, batch.masks),
    weight: (batch) => batch.images.shape[0]!,
    validate: () => validate(trainer, val, cache),
    better: 'lower',
    checkpointEvery: o.checkpointEvery,
    signal: ctx.signal,
    progress: ctx.progress,
    log: ctx.log,
  });
}

/** Mean over the validation tiles of the last iteration's BCE (whole tiles, eval mode). */
async function validate(trainer: DelineationTrainer, val: MrdPair[], cache: TileCache): Promise<number> {
  let sum = 0;
  await forEachBatch(
    val,
    1,
    ([pair]) => loadWholeTile(pair!, cache),
    (t) => trainer.evaluate(t.image, t.mask),
    (_t, r) => {
      sum += r.bce![0]!;
    },
  );
  return sum / val.length;
}

/**
 * Means over the test tiles of correctness, completeness and quality, exact and
 * relaxed (tolerance rho), and the BCE, all of the last iteration.
 */
async function evaluateTest(ctx: RunContext, o: Options, trainer: DelineationTrainer, test: MrdPair[]): Promise<Record<string, number>> {
  const list: DelineationMetrics[] = [];
  await forEachBatch(
    test,
    1,
    ([pair]) => loadWholeTile(pair!),
    (t) => trainer.evaluate(t.image),
    (t, r) => {
      const [, , h, w] = t.mask.shape as [number, number, number, number];
      list.push(delineationMetrics(r.probabilities.data, t.mask.data, h, w, { threshold: o.threshold, tolerance: o.tolerance }));
      ctx.progress(list.length, test.length, 'testing');
      if (ctx.signal.aborted) throw new Error('delineation evaluation aborted; run again to redo it (training is saved)');
    },
  );
  const m = meanMetrics(list);
  const metrics: Record<string, number> = {
    'quality.relaxed': m.relaxedQuality,
    'correctness.relaxed': m.relaxedCorrectness,
    'completeness.relaxed': m.relaxedCompleteness,
    'quality.exact': m.quality,
    'correctness.exact': m.correctness,
    'completeness.exact': m.completeness,
    bce: m.bce,
  };
  ctx.log(
    `test (${test.length} tiles): quality ${m.relaxedQuality.toFixed(4)} relaxed / ${m.quality.toFixed(4)} exact, ` +
      `correctness ${m.relaxedCorrectness.toFixed(4)} / ${m.correctness.toFixed(4)}, ` +
      `completeness ${m.relaxedCompleteness.toFixed(4)} / ${m.completeness.toFixed(4)}, BCE ${m.bce.toFixed(4)}`,
  );
  return metrics;
}

/**
 * One test tile for the report, in reading order: the image, its ground truth
 * and the predicted road probability (grey), each a centred window of at most
 * sampleSize pixels a side at native resolution (a whole 1500x1500 tile is too
 * large to embed, and a downscaled one hides the roads).
 */
async function writeSample(ctx: RunContext, o: Options, trainer: DelineationTrainer, pair: MrdPair): Promise<string[]> {
  const tile = await readMrdPair(pair);
  const { height: h, width: w } = tile;
  const sh = Math.min(h, o.sampleSize);
  const sw = Math.min(w, o.sampleSize);
  const top = Math.floor((h - sh) / 2);
  const left = Math.floor((w - sw) / 2);
  const { probabilities } = await trainer.evaluate((await loadWholeTile(pair)).image);
  const rgb = new Uint8Array(sh * sw * 3);
  const truth = new Uint8Array(sh * sw);
  const pred = new Uint8Array(sh * sw);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const src = (top + y) * w + left + x;
      const dst = y * sw + x;
      rgb.set(tile.image.data.subarray(src * 3, src * 3 + 3), dst * 3);
      truth[dst] = tile.mask[src] ? 255 : 0;
      pred[dst] = Math.round(probabilities.data[src]! * 255);
    }
  }
  const dir = join(ctx.dir, 'samples');
  mkdirSync(dir, { recursive: true });
  const names = ['input', 'truth', 'prediction'].map((part) => `samples/${pair.stem}-${part}.png`);
  await writePng(join(ctx.dir, names[0]!), { data: rgb, shape: [sh, sw, 3] });
  await writePng(join(ctx.dir, names[1]!), { data: truth, height: sh, width: sw, channels: 1 });
  await writePng(join(ctx.dir, names[2]!), { data: pred, height: sh, width: sw, channels: 1 });
  return ['metrics.json', ...names];
}

/**
 * Metrics (means over the test tiles, the last iteration, threshold 0.3):
 * quality|correctness|completeness .relaxed (within rho = 3 px) | .exact, bce;
 * val.bce and val.bestEpoch (the kept epoch), train.loss (last epoch).
 * The study ranks by quality.relaxed. spec.network 'pixel' trains on the BCE alone.
 */
export const delineation: Benchmark = {
  name: 'delineation',
  primaryMetric: 'quality.relaxed',
  higherIsBetter: true,
  run,
};
