// The benchmarks the study can run, by name. A benchmark joins the study by
// adding one entry here: its sequencer (the Benchmark contract) plus what the
// study needs to lay out its grid and make its quick-preset data.
import { join, resolve } from 'node:path';
import type { Benchmark, BenchmarkName } from '../benchmarks/benchmark.js';

/** Where full-scale data lives unless a study names a folder: DPL_TORCH_DATA, else ./data. */
export function defaultDataDir(benchmark: string): string {
  return join(resolve(process.env.DPL_TORCH_DATA ?? 'data'), benchmark);
}

export interface StudyBenchmark {
  benchmark: Benchmark;
  /** 'together': one run per network with all its layers; 'single': one run per layer. */
  layerMode: 'together' | 'single';
  /** Variants in the paper preset and in the quick preset. */
  variants: { paper: string[]; quick: string[] };
  /** Variants that train nothing and so run once, whatever the repetitions (similarity 'baseline'). */
  deterministicVariants?: string[];
  /** Networks run besides the study's, once per variant and repetition with no layer (the 'pixel'-loss baseline). */
  baselines?: string[];
  /** Variants whose loss network is random-init by design (similarity 'scratch'): exempt from the ImageNet-only check. */
  randomInitVariants?: string[];
  /** The benchmark takes a `weights` option ('imagenet' | 'any'): the study sets it from its own policy. */
  weightsOption?: boolean;
  /** Full-scale options reading (or downloading into) the data folder `data`. */
  paperOptions(data: string): Record<string, unknown>;
  /** Toy-scale options reading the synthetic data made by makeQuickData in `data`. */
  quickOptions(data: string): Record<string, unknown>;
  /** Extra option overrides for the tiny quick scale (tests). */
  tinyOptions?: Record<string, unknown>;
  /** Writes small synthetic data in the benchmark's real on-disk format into `data` (offline); absent when the
   *  benchmark makes its own from its options. */
  makeQuickData?(data: string, seed: number): Promise<void>;
}

export type Registry = Partial<Record<BenchmarkName, StudyBenchmark>>;

/** The implemented benchmarks. */
export async function defaultRegistry(): Promise<Registry> {
  // Loaded on demand, so the CLI's other commands and `report` do not load every benchmark.
  const sim = await import('../benchmarks/similarity.js');
  const sr = await import('../benchmarks/super-resolution.js');
  const { makeSyntheticSrData } = await import('../data/synthetic-sr.js');
  const del = await import('../benchmarks/delineation.js');
  const { makeSyntheticMrd } = await import('../data/synthetic-mrd.js');
  const ae = await import('../benchmarks/autoencoder.js');
  const { makeSyntheticAutoencoderData } = await import('../data/synthetic-autoencoder.js');
  return {
    similarity: {
      benchmark: sim.similarity,
      layerMode: 'together',
      variants: { paper: ['baseline', 'lin'], quick: ['baseline', 'lin'] },
      deterministicVariants: ['baseline'],
      randomInitVariants: ['scratch'],
      weightsOption: true,
      paperOptions: (data) => ({ ...sim.paperOptions, bappsDir: data }),
      // The benchmark writes its synthetic BAPPS itself (options.synthetic), so no makeQuickData.
      quickOptions: (data) => ({ ...sim.quickOptions(data) }),
      tinyOptions: { epochs: 1, decayEpochs: 1, synthetic: { seed: 0, perSubset: 8, size: 64 }, batch: 8, evalBatch: 16 },
    },
    'super-resolution': {
      benchmark: sr.superResolution,
      layerMode: 'single',
      variants: { paper: ['x4'], quick: ['x4'] },
      weightsOption: true,
      paperOptions: (data) => ({ ...sr.paperOptions, coco: join(data, 'coco'), tests: join(data, 'tests'), download: true }),
      quickOptions: (data) => ({ ...sr.quickOptions(data) }),
      tinyOptions: { trainImages: 8, valImages: 2, epochs: 1, stepsPerEpoch: 2, hrSize: 48 },
      makeQuickData: async (data, seed) => void (await makeSyntheticSrData(data, { seed })),
    },
    delineation: {
      benchmark: del.delineation,
      layerMode: 'single',
      variants: { paper: [del.DELINEATION_VARIANT], quick: [del.DELINEATION_VARIANT] },
      weightsOption: true,
      paperOptions: (data) => ({ ...del.paperOptions, mrd: join(data, 'mrd'), download: true }),
      quickOptions: (data) => ({ ...del.quickOptions(data) }),
      // 32 px crops: every tiny network's first two layers stay valid (alexnet relu2 needs 31 px).
      tinyOptions: { epochs: 1, batchSize: 4, cropSize: 32, sampleSize: 48 },
      makeQuickData: async (data, seed) => void (await makeSyntheticMrd(join(data, 'mrd'), { ...del.QUICK_MRD, seed })),
    },
    autoencoder: {
      benchmark: ae.autoencoder,
      layerMode: 'single',
      // The variant is the dataset.
      variants: { paper: ['svhn', 'stl10'], quick: ['svhn', 'stl10'] },
      baselines: ['pixel'],
      weightsOption: true,
      paperOptions: (data) => ({ ...ae.paperOptions, svhn: join(data, 'svhn'), stl10: join(data, 'stl10'), download: true }),
      quickOptions: (data) => ({ ...ae.quickOptions(data) }),
      tinyOptions: { maxImages: 32, epochs: 1, batchSize: 16, probeEpochs: 3, probePatience: 2, probeBatch: 16, samples: 3 },
      makeQuickData: async (data, seed) => void makeSyntheticAutoencoderData(data, { seed }),
    },
  };
}

/** The entry for `name`, or an error listing what is implemented. */
export function requireBenchmark(registry: Registry, name: string): StudyBenchmark {
  const entry = registry[name as BenchmarkName];
  if (!entry) {
    const have = Object.keys(registry);
    throw new Error(
      `benchmark '${name}' is not implemented in this dpl-torch` +
        (have.length ? `; available: ${have.join(', ')}` : '; none is available yet'),
    );
  }
  return entry;
}
