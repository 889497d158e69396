// Super-resolution benchmark (spec/super-resolution.md): train a x4 or x8
// transformation network with the perceptual loss of one loss-network layer on
// COCO, pick the epoch with the best validation PSNR, and evaluate PSNR, SSIM
// and feature loss on Set5, Set14 and BSD100. Resumes from its run folder.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { ensureCoco, selectImages } from '../data/coco.js';
import { readImage, toFloatBatch, writePng } from '../data/image.js';
import { makeSrPair, PreparedSrSet } from '../data/sr-pairs.js';
import { ensureTestSets, SR_TEST_SETS, type SrTestSet } from '../data/sr-test-sets.js';
import { psnr, quantize, resizeImage, ssim } from '../image-ops.js';
import { LossNetwork } from '../loss-network.js';
import { writeJsonAtomic } from '../training/atomic.js';
import { SampleOrder } from '../training/batches.js';
import { trainLoop, type TrainOutcome } from '../training/loop.js';
import { parseOptions } from '../validate.js';
import type { Benchmark, RunContext, RunResult, RunSpec } from './benchmark.js';
import { SuperResolutionTrainer } from './super-resolution-trainer.js';

const int = (min: number) => z.number().int().min(min);

export const SuperResolutionOptions = z.object({
  /** Folder holding COCO's train2014/ and val2014/. */
  coco: z.string().min(1),
  /** Folder holding Set5/, Set14/ and BSDS300/. */
  tests: z.string().min(1),
  /** Download what is missing from the spec's sources (or the URLs below). */
  download: z.boolean().default(false),
  urls: z
    .object({ coco: z.string().url().optional(), selfExSR: z.string().url().optional(), bsds: z.string().url().optional() })
    .default({}),
  trainImages: int(1).default(10_000),
  valImages: int(1).default(100),
  /** Seeds the choice of training/validation images (shared by every run, recorded in data.json). */
  dataSeed: int(0).default(0),
  epochs: int(1).default(80),
  stepsPerEpoch: int(1).default(2500),
  batchSize: int(1).default(4),
  lr: z.number().positive().default(1e-3),
  /** HR crop side; LR is hrSize / factor. */
  hrSize: int(20).default(288),
  /** Loss network input: raw [0,1] RGB (the spec) or ImageNet-normalised. */
  normalization: z.enum(['none', 'imagenet']).default('none'),
  pixelWeight: z.number().nonnegative().default(0),
  tvWeight: z.number().nonnegative().default(0),
  /** Test images as 288-style crops (the spec) or at native resolution (cropped to a multiple of the factor). */
  testResolution: z.enum(['crop', 'native']).default('crop'),
  /** Evaluate on the first this many images of each test set (default: the whole sets, 5, 14 and 100, checked). */
  testImages: int(1).optional(),
  /** Save a resumable checkpoint every this many steps (and at each epoch end). */
  checkpointEvery: int(1).default(250),
  /** Test images per set whose LR, output and HR are saved as PNGs. */
  samples: int(0).default(2),
  /** Where prepared training pairs are cached (default: <coco>/.dpl-torch-prepared). */
  cacheDir: z.string().optional(),
  weights: z.enum(['any', 'imagenet', 'random']).default('any'),
});
export type SuperResolutionOptions = z.input<typeof SuperResolutionOptions>;

/** The spec's scale; the study config fills in `coco` and `tests`. */
export const paperOptions: Omit<SuperResolutionOptions, 'coco' | 'tests'> = {
  trainImages: 10_000,
  valImages: 100,
  epochs: 80,
  stepsPerEpoch: 2500,
  batchSize: 4,
  lr: 1e-3,
  hrSize: 288,
  // The study's loss networks carry ImageNet weights; refuse a random-init export.
  weights: 'imagenet',
};

/**
 * A toy scale on makeSyntheticSrData(dataRoot) output (24 train, 6 val, 3 per
 * test set). HR 80 keeps every study network's deepest layer valid
 * (inception_v3 needs 75 px) while a run stays in seconds on a CPU.
 */
export function quickOptions(dataRoot: string): SuperResolutionOptions {
  return {
    coco: join(dataRoot, 'coco'),
    tests: join(dataRoot, 'tests'),
    trainImages: 16,
    valImages: 4,
    epochs: 2,
    stepsPerEpoch: 3,
    batchSize: 2,
    hrSize: 80,
    samples: 1,
    testImages: 3,
  };
}

async function run(spec: RunSpec, ctx: RunContext): Promise<RunResult> {
  const o = parseOptions(SuperResolutionOptions, spec.options, 'super-resolution options');
  const factor = spec.variant === 'x4' ? 4 : spec.variant === 'x8' ? 8 : NaN;
  if (Number.isNaN(factor)) throw new Error(`super-resolution variant must be 'x4' or 'x8', got '${spec.variant}'`);
  // network 'pixel': the pixel-loss baseline (MSE on pixels, no loss network, layers ignored).
  const pixel = spec.network === 'pixel';
  if (!pixel && spec.layers.length !== 1) throw new Error(`super-resolution trains on one layer, got [${spec.layers.join(', ')}]`);
  if (o.hrSize % factor || o.hrSize / factor < 5) {
    throw new Error(`hrSize ${o.hrSize} must be a multiple of ${factor} with hrSize / ${factor} >= 5`);
  }
  const layer = spec.layers[0] ?? 0;
  mkdirSync(ctx.dir, { recursive: true });
  const fetchOpts = { signal: ctx.signal, onProgress: (line: string) => ctx.log(line) };

  // Data: seeded subsets of the sorted names, prepared once into a cache file.
  const train = selectImages(
    await ensureCoco(o.coco, 'train2014', { ...fetchOpts, download: o.download, baseUrl: o.urls.coco }),
    o.trainImages,
    o.dataSeed,
  );
  const val = selectImages(
    await ensureCoco(o.coco, 'val2014', { ...fetchOpts, download: o.download, baseUrl: o.urls.coco }),
    o.valImages,
    o.dataSeed,
  );
  const tests = await ensureTestSets(o.tests, {
    ...fetchOpts,
    download: o.download,
    selfExSrBaseUrl: o.urls.selfExSR,
    bsdsUrl: o.urls.bsds,
    count: o.testImages,
  });
  writeJsonAtomic(join(ctx.dir, 'data.json'), {
    dataSeed: o.dataSeed,
    train: train.map((p) => basename(p)),
    val: val.map((p) => basename(p)),
  });
  const cacheDir = o.cacheDir ?? join(o.coco, '.dpl-torch-prepared');
  const prep = (paths: string[], what: string) =>
    PreparedSrSet.prepare(paths, {
      hrSize: o.hrSize,
      factor,
      cacheDir,
      signal: ctx.signal,
      onProgress: (d, t) => (d === t || d % Math.max(1, Math.floor(t / 10)) === 0) && ctx.log(`prepared ${d}/${t} ${what} pairs`),
    });
  // The loss network first: a missing export fails before the (long) data preparation.
  const network = pixel
    ? null
    : await LossNetwork.load(spec.network, {
        device: ctx.device,
        modelsDir: ctx.modelsDir,
        normalization: o.normalization,
        weights: o.weights,
      });
  let trainer: SuperResolutionTrainer | undefined;
  let trainSet: PreparedSrSet | undefined;
  let valSet: PreparedSrSet | undefined;
  try {
    trainer = await SuperResolutionTrainer.create(network, {
      factor: factor as 4 | 8,
      layer,
      seed: spec.seed,
      lr: o.lr,
      pixelWeight: o.pixelWeight,
      tvWeight: o.tvWeight,
      device: ctx.device,
    });
    trainSet = await prep(train, 'training');
    valSet = await prep(val, 'validation');
    const { state, bestPath } = await trainToEnd(spec, ctx, o, factor, trainer, trainSet, valSet);
    if (bestPath) await trainer.load(bestPath);
    const metrics = await evaluateTests(ctx, o, factor, trainer, tests);
    if (state.best) {
      metrics['val.psnr'] = state.best.value;
      metrics['val.bestEpoch'] = state.best.epoch;
    }
    const last = state.history.at(-1);
    if (last) metrics['train.loss'] = last.trainLoss;
    writeJsonAtomic(join(ctx.dir, 'metrics.json'), metrics);
    const artifacts = existsSync(join(ctx.dir, 'samples'))
      ? readdirSync(join(ctx.dir, 'samples'))
          .sort()
          .map((f) => `samples/${f}`)
      : [];
    return { metrics, weightsId: network?.weightsId ?? 'pixel', artifacts };
  } finally {
    trainer?.dispose();
    network?.dispose();
    await trainSet?.close();
    await valSet?.close();
  }
}

type Options = z.output<typeof SuperResolutionOptions>;

/** Trains from the latest checkpoint in ctx.dir to the last epoch, keeping the best-validation weights. */
async function trainToEnd(
  spec: RunSpec,
  ctx: RunContext,
  o: Options,
  factor: number,
  trainer: SuperResolutionTrainer,
  trainSet: PreparedSrSet,
  valSet: PreparedSrSet,
): Promise<TrainOutcome> {
  // Every option that changes training: a checkpoint made with other values is refused, not resumed.
  const key = {
    network: spec.network,
    layer: spec.layers[0],
    factor,
    seed: spec.seed,
    hr: o.hrSize,
    n: o.trainImages,
    val: o.valImages,
    dataSeed: o.dataSeed,
    b: o.batchSize,
    steps: o.stepsPerEpoch,
    lr: o.lr,
    normalization: o.normalization,
    pixelWeight: o.pixelWeight,
    tvWeight: o.tvWeight,
  };
  // The sample order is a function of the global step alone (a stream over seeded epochs of the training set).
  const order = new SampleOrder(trainSet.count, spec.seed);
  return trainLoop({
    name: 'super-resolution',
    dir: ctx.dir,
    key,
    model: trainer,
    epochs: o.epochs,
    stepsPerEpoch: o.stepsPerEpoch,
    load: (epoch, step) => trainSet.batch(order.streamBatch(epoch * o.stepsPerEpoch + step, o.batchSize)),
    step: (batch) => trainer.step(batch.lr, batch.hr),
    validate: () => validate(trainer, valSet, factor),
    better: 'higher',
    checkpointEvery: o.checkpointEvery,
    signal: ctx.signal,
    progress: ctx.progress,
    log: ctx.log,
  });
}

/** Mean PSNR (luma, shave = factor) of the validation pairs. */
async function validate(trainer: SuperResolutionTrainer, set: PreparedSrSet, factor: number): Promise<number> {
  let sum = 0;
  for (let start = 0; start < set.count; start += 8) {
    const idx = Array.from({ length: Math.min(8, set.count - start) }, (_, j) => start + j);
    const pairs = await Promise.all(idx.map((i) => set.pair(i)));
    const { output } = await trainer.evaluate(toFloatBatch(pairs.map((p) => p.lr)));
    const outs = quantize(output);
    for (let j = 0; j < outs.length; j++) sum += await psnr(outs[j]!, pairs[j]!.hr, { shave: factor });
  }
  return sum / set.count;
}

async function evaluateTests(
  ctx: RunContext,
  o: Options,
  factor: number,
  trainer: SuperResolutionTrainer,
  tests: Record<SrTestSet, string[]>,
): Promise<Record<string, number>> {
  const metrics: Record<string, number> = {};
  const samples = join(ctx.dir, 'samples');
  for (const set of SR_TEST_SETS) {
    let [p, s, f, bp, bs] = [0, 0, 0, 0, 0];
    for (const [i, path] of tests[set].entries()) {
      const pair = await makeSrPair(await readImage(path), { hrSize: o.hrSize, factor, resolution: o.testResolution });
      const r = await trainer.evaluate(toFloatBatch([pair.lr]), toFloatBatch([pair.hr]));
      const out = quantize(r.output)[0]!;
      p += await psnr(out, pair.hr, { shave: factor });
      s += await ssim(out, pair.hr, { shave: factor });
      f += r.featureLoss?.[0] ?? NaN;
      // Reference: plain bicubic upsampling of the same LR input.
      const bicubic = await resizeImage(pair.lr, [pair.hr.shape[0], pair.hr.shape[1]], { mode: 'bicubic' });
      bp += await psnr(bicubic, pair.hr, { shave: factor });
      bs += await ssim(bicubic, pair.hr, { shave: factor });
      if (i < o.samples) {
        mkdirSync(samples, { recursive: true });
        const stem = `${set}-${i}`;
        await writePng(join(samples, `${stem}-lr.png`), pair.lr);
        await writePng(join(samples, `${stem}-sr.png`), out);
        await writePng(join(samples, `${stem}-hr.png`), pair.hr);
      }
      if (ctx.signal.aborted) throw new Error('super-resolution evaluation aborted; run again to redo it (training is saved)');
    }
    const count = tests[set].length;
    metrics[`psnr.${set}`] = p / count;
    metrics[`ssim.${set}`] = s / count;
    if (!Number.isNaN(f)) metrics[`featureLoss.${set}`] = f / count;
    metrics[`bicubic.psnr.${set}`] = bp / count;
    metrics[`bicubic.ssim.${set}`] = bs / count;
    ctx.log(
      `${set}: PSNR ${(p / count).toFixed(2)} dB, SSIM ${(s / count).toFixed(4)}, feature loss ${(f / count).toPrecision(4)} (bicubic: ${(bp / count).toFixed(2)} dB, ${(bs / count).toFixed(4)})`,
    );
  }
  for (const m of ['psnr', 'ssim', 'featureLoss', 'bicubic.psnr', 'bicubic.ssim']) {
    if (metrics[`${m}.set5`] === undefined) continue;
    metrics[`${m}.mean`] = SR_TEST_SETS.reduce((a, set) => a + metrics[`${m}.${set}`]!, 0) / SR_TEST_SETS.length;
  }
  return metrics;
}

/**
 * Metrics: psnr|ssim|featureLoss .set5|.set14|.bsd100|.mean (mean of the set means),
 * bicubic.psnr|bicubic.ssim .<set>|.mean (plain bicubic upsampling of the same LR,
 * for reference), val.psnr and val.bestEpoch (the kept epoch), train.loss (last epoch).
 * spec.network 'pixel' trains on the pixel MSE alone (no feature loss metrics).
 */
export const superResolution: Benchmark = {
  name: 'super-resolution',
  primaryMetric: 'psnr.mean',
  higherIsBetter: true,
  run,
};
