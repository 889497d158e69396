// The perceptual-similarity benchmark (spec: similarity.md): one run trains
// (lin, tune, scratch) and scores a similarity metric on BAPPS.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ensureBapps, listJnd, listTwoAfc, loadJndPairs, loadTriplets, missingBappsParts, type Triplet } from '../data/bapps.js';
import { makeSyntheticBapps } from '../data/synthetic-bapps.js';
import { exportNetworks } from '../export-networks.js';
import { LossNetwork } from '../loss-network.js';
import { readManifest } from '../manifest.js';
import type { NativeSimilarity } from '../native.js';
import { Compare, PerceptualSimilarity } from '../similarity.js';
import { makeDirAtomic, writeJsonAtomic } from '../training/atomic.js';
import { SampleOrder } from '../training/batches.js';
import { trainLoop } from '../training/loop.js';
import { forEachBatch } from '../training/prefetch.js';
import { parseOptions } from '../validate.js';
import type { Benchmark, RunContext, RunResult, RunSpec } from './benchmark.js';
import { jndMap, meanBce, twoAfc } from './similarity-metrics.js';

export const SIMILARITY_VARIANTS = ['baseline', 'lin', 'tune', 'scratch'] as const;
export type SimilarityVariant = (typeof SIMILARITY_VARIANTS)[number];

export const SimilarityOptions = z.object({
  /** BAPPS folder (holding 2afc/ and jnd/), used as it is or downloaded into. */
  bappsDir: z.string().min(1),
  /** Download missing BAPPS parts (6.6 GB in all; resumable). */
  download: z.boolean().default(false),
  /** Where the tarballs are fetched from (default the LPIPS authors' site). */
  baseUrl: z.string().url().optional(),
  /** Make a synthetic BAPPS tree in bappsDir when it has no data (quick preset, tests). */
  synthetic: z
    .object({ seed: z.number().int().nonnegative().default(0), perSubset: z.number().int().positive(), size: z.number().int().positive() })
    .optional(),
  compare: Compare.default('spatial'),
  channelNorm: z.boolean().default(true),
  normalization: z.enum(['imagenet', 'lpips']).default('imagenet'),
  /** 'imagenet' refuses random-init exports for baseline/lin/tune; 'any' accepts them (tests, quick). */
  weights: z.enum(['imagenet', 'any']).default('imagenet'),
  epochs: z.number().int().nonnegative().default(10),
  /** The rate falls linearly over the last epochs: lr·min(1, (epochs − e)/min(decayEpochs, epochs)). */
  decayEpochs: z.number().int().positive().default(5),
  lr: z.number().positive().default(1e-3),
  batch: z.number().int().positive().default(256),
  evalBatch: z.number().int().positive().default(250),
  /** Patches are resized to this side (bilinear) before the loss network. */
  imageSize: z.number().int().positive().default(64),
  /** Save a checkpoint every this many steps (and at every epoch end and on abort). */
  checkpointSteps: z.number().int().positive().default(200),
});
export type SimilarityOptions = z.input<typeof SimilarityOptions>;

/** The spec's scale; the study config fills in bappsDir. */
export const paperOptions: Omit<SimilarityOptions, 'bappsDir'> = {
  download: true,
  compare: 'spatial',
  channelNorm: true,
  normalization: 'imagenet',
  weights: 'imagenet',
  epochs: 10,
  decayEpochs: 5,
  lr: 1e-3,
  batch: 256,
  imageSize: 64,
};

/** Toy scale on a synthetic BAPPS under dataRoot: seconds per run on 2 CPU cores (alexnet, squeezenet). */
export function quickOptions(dataRoot: string): SimilarityOptions {
  return {
    bappsDir: join(dataRoot, 'bapps-synthetic'),
    synthetic: { seed: 0, perSubset: 24, size: 64 },
    compare: 'spatial',
    channelNorm: true,
    normalization: 'imagenet',
    weights: 'any',
    epochs: 2,
    decayEpochs: 1,
    batch: 24,
    evalBatch: 48,
    imageSize: 64,
    checkpointSteps: 50,
  };
}

/**
 * Learning rate of epoch e (0-based): constant, then falling linearly per epoch
 * over the last decayEpochs (at most all epochs): 10 and 5 give 1e-3 for
 * epochs 0-5, then 8e-4, 6e-4, 4e-4, 2e-4.
 */
export function learningRate(o: { lr: number; epochs: number; decayEpochs: number }, epoch: number): number {
  return o.lr * Math.min(1, (o.epochs - epoch) / Math.min(o.decayEpochs, o.epochs));
}

type Opts = z.output<typeof SimilarityOptions>;

export const similarity: Benchmark = {
  name: 'similarity',
  primaryMetric: '2afc.mean',
  higherIsBetter: true,
  run: runSimilarity,
};

async function runSimilarity(spec: RunSpec, ctx: RunContext): Promise<RunResult> {
  const o = parseOptions(SimilarityOptions, spec.options, 'similarity options');
  const variant = spec.variant as SimilarityVariant;
  if (!SIMILARITY_VARIANTS.includes(variant)) {
    throw new Error(`unknown similarity variant '${spec.variant}': use ${SIMILARITY_VARIANTS.join(', ')}`);
  }
  if (!spec.layers.length) throw new Error('similarity needs at least one layer');
  mkdirSync(ctx.dir, { recursive: true });
  const root = await prepareData(o, variant, ctx);
  const net = await openNetwork(spec, variant, o, ctx);
  const identity = {
    network: spec.network,
    layers: spec.layers,
    variant,
    seed: spec.seed,
    weightsId: net.weightsId,
    compare: o.compare,
    channelNorm: o.channelNorm,
    normalization: o.normalization,
    epochs: o.epochs,
    decayEpochs: o.decayEpochs,
    lr: o.lr,
    batch: o.batch,
    imageSize: o.imageSize,
  };
  const sim = new PerceptualSimilarity({
    network: net,
    layers: spec.layers,
    compare: o.compare,
    channelNorm: o.channelNorm,
    learned: variant !== 'baseline',
    trainable: variant === 'tune' || variant === 'scratch',
    seed: spec.seed,
    probeSize: o.imageSize,
    imageSize: o.imageSize,
  });
  try {
    const model = await sim.model();
    let history: number[] = [];
    if (variant !== 'baseline') history = await train(model, root, o, spec.seed, identity, ctx);
    ctx.log(`similarity ${spec.network} ${variant}: evaluating`);
    const metrics = await evaluate(model, root, o, variant !== 'baseline', ctx);
    const artifacts = ['results.json'];
    if (variant !== 'baseline') {
      await sim.saveWeights(join(ctx.dir, 'weights.json'));
      artifacts.push('weights.json');
    }
    writeJsonAtomic(join(ctx.dir, 'results.json'), { ...identity, repetition: spec.repetition, metrics, trainLoss: history });
    return { metrics, weightsId: net.weightsId, artifacts };
  } finally {
    sim.dispose();
    net.dispose();
  }
}

async function prepareData(o: Opts, variant: SimilarityVariant, ctx: RunContext): Promise<string> {
  const parts = variant === 'baseline' ? (['val', 'jnd'] as const) : (['train', 'val', 'jnd'] as const);
  if (o.synthetic && missingBappsParts(o.bappsDir, [...parts]).length) {
    // Made aside and renamed in, so that parallel runs never see half a tree.
    ctx.log(`similarity: writing a synthetic BAPPS tree into ${o.bappsDir}`);
    await makeDirAtomic(o.bappsDir, async (tmp) => void (await makeSyntheticBapps(tmp, o.synthetic!)));
  }
  let last = 0;
  return ensureBapps(o.bappsDir, {
    parts: [...parts],
    download: o.download,
    baseUrl: o.baseUrl,
    log: ctx.log,
    signal: ctx.signal,
    onProgress: (name, p) => {
      if (Date.now() - last < 500) return;
      last = Date.now();
      ctx.progress(p.received, p.total ?? p.received, `downloading ${name}`);
    },
  });
}

/** The loss network of a run; scratch gets a fresh export seeded by the run's seed. */
async function openNetwork(spec: RunSpec, variant: SimilarityVariant, o: Opts, ctx: RunContext): Promise<LossNetwork> {
  if (variant !== 'scratch') {
    return LossNetwork.load(spec.network, {
      device: ctx.device,
      modelsDir: ctx.modelsDir,
      normalization: o.normalization,
      weights: o.weights === 'imagenet' ? 'imagenet' : 'any',
    });
  }
  const dir = join(ctx.dir, 'scratch-network');
  const entry = existsSync(dir) ? readManifest(dir).networks[spec.network] : undefined;
  if (entry?.weights !== 'random' || entry.seed !== spec.seed) {
    ctx.log(`similarity scratch: exporting ${spec.network} with random weights, seed ${spec.seed}`);
    await exportNetworks({ architectures: [spec.network], weights: 'random', seed: spec.seed, out: dir });
  }
  return LossNetwork.load(join(dir, `${spec.network}.pt`), { device: ctx.device, normalization: o.normalization, weights: 'random' });
}

async function train(
  model: NativeSimilarity,
  root: string,
  o: Opts,
  seed: number,
  identity: Record<string, unknown>,
  ctx: RunContext,
): Promise<number[]> {
  const triplets: Triplet[] = [...listTwoAfc(root, 'train').values()].flat();
  const order = new SampleOrder(triplets.length, seed);
  const { state } = await trainLoop({
    name: 'similarity',
    dir: ctx.dir,
    key: identity,
    epochs: o.epochs,
    stepsPerEpoch: order.stepsPerEpoch(o.batch),
    // The native checkpoint holds the weights, Adam's state and the dropout stream; state.json the rest.
    model: { save: (path) => model.saveCheckpoint(path, ''), load: (path) => model.loadCheckpoint(path) },
    load: (epoch, step) =>
      loadTriplets(
        order.epochBatch(epoch, step, o.batch).map((i) => triplets[i]!),
        o.imageSize,
      ),
    step: async (b, epoch) =>
      (await model.trainStep(b.ref, b.p0, b.p1, { data: b.judge, shape: [b.judge.length] }, learningRate(o, epoch))).loss,
    weight: (b) => b.judge.length,
    checkpointEvery: o.checkpointSteps,
    signal: ctx.signal,
    progress: ctx.progress,
    log: ctx.log,
  });
  return state.history.map((h) => h.trainLoss);
}

async function evaluate(
  model: NativeSimilarity,
  root: string,
  o: Opts,
  learned: boolean,
  ctx: RunContext,
): Promise<Record<string, number>> {
  const metrics: Record<string, number> = {};
  const probs: number[] = [];
  const judges: number[] = [];
  const val = listTwoAfc(root, 'val');
  const jnd = [...listJnd(root).values()].flat();
  const total = [...val.values()].reduce((a, v) => a + v.length, 0) + jnd.length;
  let done = 0;
  for (const [subset, items] of val) {
    const d0: number[] = [];
    const d1: number[] = [];
    const h: number[] = [];
    await forEachBatch(
      items,
      o.evalBatch,
      (slice) => loadTriplets(slice, o.imageSize),
      (b) => model.evalTriplets(b.ref, b.p0, b.p1),
      (b, r) => {
        d0.push(...r.d0.data);
        d1.push(...r.d1.data);
        h.push(...b.judge);
        if (r.prob) probs.push(...r.prob.data);
        done += b.judge.length;
        ctx.progress(done, total, `evaluating 2afc/${subset}`);
      },
    );
    const s = twoAfc(d0, d1, h);
    metrics[`2afc.${subset}`] = s.score;
    metrics[`accuracy.${subset}`] = s.accuracy;
    judges.push(...h);
  }
  const subsets = [...val.keys()];
  metrics['2afc.mean'] = subsets.reduce((a, s) => a + metrics[`2afc.${s}`]!, 0) / subsets.length;
  metrics['accuracy.mean'] = subsets.reduce((a, s) => a + metrics[`accuracy.${s}`]!, 0) / subsets.length;
  const d: number[] = [];
  const same: number[] = [];
  await forEachBatch(
    jnd,
    o.evalBatch,
    (slice) => loadJndPairs(slice, o.imageSize),
    (b) => model.distance(b.p0, b.p1),
    (b, r) => {
      d.push(...r.data);
      same.push(...b.same);
      done += b.same.length;
      ctx.progress(done, total, 'evaluating jnd');
    },
  );
  metrics['jnd.map'] = jndMap(d, same);
  if (learned) metrics['judge.bce'] = meanBce(probs, judges);
  return metrics;
}
