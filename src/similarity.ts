// PerceptualSimilarity: an LPIPS-style distance on any loss network and layers,
// with optional learned non-negative channel weights (spec: similarity.md).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { readImages } from './data/image.js';
import { dplError } from './errors.js';
import { toSizedBatch } from './data/resize.js';
import { LossNetwork } from './loss-network.js';
import { native, type NativeSimilarity } from './native.js';
import { checkFloatTensor, type FloatTensor } from './tensor.js';
import { writeFileAtomic } from './training/atomic.js';
import { parseOptions } from './validate.js';

export const Compare = z.enum(['spatial', 'mean', 'sort', 'spatial+mean', 'spatial+sort']);
export type Compare = z.infer<typeof Compare>;

/** eps in y / sqrt(sum_c y^2 + eps) (native/models/similarity.h, docs/protocol.md). */
export const CHANNEL_NORM_EPS = 1e-10;

const Options = z.object({
  network: z.custom<LossNetwork>((v) => v instanceof LossNetwork, { message: 'must be a LossNetwork (LossNetwork.load)' }),
  /** Indices or names ('relu2_2', 'features.8'): LossNetwork.layerNames(). */
  layers: z.array(z.union([z.number().int().nonnegative(), z.string().min(1)])).min(1),
  /** How features are compared: spatial (LPIPS), mean, sort, or spatial plus one of those. */
  compare: Compare.default('spatial'),
  /** Unit-normalise features along channels at every position. */
  channelNorm: z.boolean().default(true),
  /** Learned non-negative per-channel weights (else a plain channel sum). */
  learned: z.boolean().default(false),
  /** A weights file (saveWeights) to load; implies learned. */
  weights: z.string().optional(),
  /** Train the loss network too (variants tune, scratch); implies learned. */
  trainable: z.boolean().default(false),
  /** Seed of the initial channel weights, judge and dropout stream. */
  seed: z.number().int().nonnegative().default(0),
  /** Image side of the probe forward that counts channels. */
  probeSize: z.number().int().positive().default(64),
  /** Side that image files are resized to (bilinear) before comparing. */
  imageSize: z.number().int().positive().default(64),
});
export type PerceptualSimilarityOptions = z.input<typeof Options>;

const WeightsFile = z.object({
  format: z.literal('dpl-torch/perceptual-similarity-weights'),
  version: z.literal(1),
  network: z.string(),
  weightsId: z.string(),
  layers: z.array(z.number().int().nonnegative()),
  compare: Compare,
  channelNorm: z.boolean(),
  normalization: z.string(),
  eps: z.number(),
  /** One vector per (layer, branch), layers in order, branches in compare order. */
  weights: z.array(z.object({ layer: z.number().int(), branch: z.string(), values: z.array(z.number().nonnegative()) })),
});
export type SimilarityWeightsFile = z.infer<typeof WeightsFile>;

/** Reads and checks a weights file written by PerceptualSimilarity.saveWeights. */
export function readSimilarityWeights(file: string): SimilarityWeightsFile {
  if (/\.(pth|pt)$/i.test(file)) {
    throw new Error(
      `'${file}' is a PyTorch file, not a dpl-torch weights file; LPIPS's .pth weights convert with \`npx dpl-torch convert-lpips-weights ${file} OUT.json\` (or convertLpipsWeights)`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw dplError('ERR_DPL_FILE', `cannot read similarity weights '${file}': ${(e as Error).message}`);
  }
  const r = WeightsFile.safeParse(json);
  if (!r.success) {
    throw dplError(
      'ERR_DPL_FILE',
      `'${file}' is not a dpl-torch similarity weights file (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}); write one with PerceptualSimilarity.saveWeights or the similarity benchmark`,
    );
  }
  return r.data;
}

export const branchesOf = (compare: Compare): string[] => compare.split('+');

type Images = FloatTensor | string | string[];

export class PerceptualSimilarity {
  readonly network: LossNetwork;
  readonly layers: number[];
  readonly compare: Compare;
  readonly channelNorm: boolean;
  readonly learned: boolean;
  readonly trainable: boolean;
  readonly imageSize: number;
  private readonly ready: Promise<NativeSimilarity>;
  private nativeModel?: NativeSimilarity;

  constructor(options: PerceptualSimilarityOptions) {
    const o = parseOptions(Options, options, 'PerceptualSimilarity options');
    this.network = o.network;
    this.layers = o.network.resolveLayers(o.layers);
    this.compare = o.compare;
    this.channelNorm = o.channelNorm;
    this.learned = o.learned || o.trainable || o.weights !== undefined;
    this.trainable = o.trainable;
    this.imageSize = o.imageSize;
    if (this.layers.some((l) => l >= o.network.size)) {
      throw dplError(
        'ERR_DPL_LAYER',
        `layers [${this.layers.join(', ')}] run past the end of ${o.network.architecture}: it has ${o.network.size} children (0..${o.network.size - 1})`,
      );
    }
    // Check a weights file before any native work, so a mismatch fails at once.
    const file = o.weights === undefined ? undefined : this.checkWeightsFile(readSimilarityWeights(o.weights), o.weights);
    this.ready = native()
      .createSimilarity(o.network.handle, {
        layers: this.layers,
        compare: o.compare,
        channelNorm: o.channelNorm,
        learned: this.learned,
        trainable: o.trainable,
        seed: o.seed,
        probeSize: o.probeSize,
      })
      .then(async (s) => {
        this.nativeModel = s;
        if (file) await s.setWeights(file.weights.map((w) => ({ data: Float32Array.from(w.values), shape: [w.values.length] })));
        return s;
      });
    this.ready.catch(() => {}); // reported by the first call that awaits it
  }

  /** The native model, once created (for the benchmark's training loop). */
  model(): Promise<NativeSimilarity> {
    return this.ready;
  }

  /** Channels at each layer. */
  async channels(): Promise<number[]> {
    return (await this.ready).channels;
  }

  /**
   * D(a_i, b_i) for each pair: [0,1] batches [N, 3, H, W] of the same shape, or
   * image files (one path or a list), decoded and resized to imageSize (bilinear).
   */
  async distance(a: Images, b: Images): Promise<Float32Array> {
    const ta = await this.toBatch(a, 'a');
    const tb = await this.toBatch(b, 'b');
    if (ta.shape.join() !== tb.shape.join()) {
      throw dplError('ERR_DPL_SHAPE', `a and b must have the same shape, got [${ta.shape.join(', ')}] and [${tb.shape.join(', ')}]`);
    }
    return (await (await this.ready).distance(ta, tb)).data;
  }

  /** Writes the learned channel weights with what they were learned for. */
  async saveWeights(file: string): Promise<void> {
    if (!this.learned) throw new Error('this PerceptualSimilarity has no learned weights to save (create it with learned: true)');
    const ws = await (await this.ready).getWeights();
    const branches = branchesOf(this.compare);
    const body: SimilarityWeightsFile = {
      format: 'dpl-torch/perceptual-similarity-weights',
      version: 1,
      network: this.network.architecture,
      weightsId: this.network.weightsId,
      layers: this.layers,
      compare: this.compare,
      channelNorm: this.channelNorm,
      normalization: this.network.normalization,
      eps: CHANNEL_NORM_EPS,
      weights: ws.map((w, i) => ({
        layer: this.layers[Math.floor(i / branches.length)]!,
        branch: branches[i % branches.length]!,
        values: Array.from(w.data),
      })),
    };
    writeFileAtomic(file, JSON.stringify(body));
  }

  /** Loads channel weights saved for the same network, weights, layers and options. */
  async loadWeights(file: string): Promise<void> {
    if (!this.learned) throw new Error('this PerceptualSimilarity has no learned weights (create it with learned: true or weights: file)');
    const w = this.checkWeightsFile(readSimilarityWeights(file), file);
    await (await this.ready).setWeights(w.weights.map((x) => ({ data: Float32Array.from(x.values), shape: [x.values.length] })));
  }

  dispose(): void {
    this.nativeModel?.dispose();
    this.ready.then(
      (s) => s.dispose(),
      () => {},
    );
  }

  private checkWeightsFile(w: SimilarityWeightsFile, file: string): SimilarityWeightsFile {
    const want = {
      network: this.network.architecture,
      weightsId: this.network.weightsId,
      layers: this.layers.join(','),
      compare: this.compare,
      channelNorm: this.channelNorm,
      normalization: this.network.normalization,
    };
    const got = { ...w, layers: w.layers.join(',') };
    const bad = (Object.keys(want) as (keyof typeof want)[]).filter((k) => String(want[k]) !== String(got[k]));
    if (bad.length) {
      const list = bad.map((k) => `${k} ${JSON.stringify(got[k])} (here ${JSON.stringify(want[k])})`).join(', ');
      throw dplError(
        'ERR_DPL_FILE',
        `similarity weights '${file}' were learned for another setup: ${list}. Use a PerceptualSimilarity with the file's network, weights, layers and options, or train weights for this one`,
      );
    }
    const branches = branchesOf(this.compare);
    if (w.weights.length !== this.layers.length * branches.length) {
      throw dplError(
        'ERR_DPL_FILE',
        `similarity weights '${file}' hold ${w.weights.length} weight vectors, expected ${this.layers.length * branches.length} (layers x branches)`,
      );
    }
    return w;
  }

  private async toBatch(x: Images, what: string): Promise<FloatTensor> {
    if (typeof x === 'string' || Array.isArray(x)) {
      const paths = typeof x === 'string' ? [x] : x;
      if (!paths.length || !paths.every((p) => typeof p === 'string'))
        throw dplError('ERR_DPL_ARG', `${what} must be a FloatTensor, an image path or a list of paths`);
      return toSizedBatch(await readImages(paths), this.imageSize);
    }
    checkFloatTensor(x, what, 4);
    if (x.shape[1] !== 3) throw dplError('ERR_DPL_SHAPE', `${what} must be RGB images shaped [N, 3, H, W], got [${x.shape.join(', ')}]`);
    return x;
  }
}
