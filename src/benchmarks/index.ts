// dpl-torch/benchmarks: the study's four benchmarks (each a Benchmark the study runs,
// with its paper and quick options), their models as trainers, and their metrics.
export type { Benchmark, RunSpec, RunContext, RunResult } from './benchmark.js';
export {
  similarity,
  SimilarityOptions,
  paperOptions as similarityPaperOptions,
  quickOptions as similarityQuickOptions,
} from './similarity.js';
export { twoAfc, jndMap } from './similarity-metrics.js';
export {
  superResolution,
  SuperResolutionOptions,
  paperOptions as superResolutionPaperOptions,
  quickOptions as superResolutionQuickOptions,
} from './super-resolution.js';
export { SuperResolutionTrainer, type SuperResolutionTrainerOptions } from './super-resolution-trainer.js';
export {
  delineation,
  DelineationOptions,
  paperOptions as delineationPaperOptions,
  quickOptions as delineationQuickOptions,
} from './delineation.js';
export { DelineationTrainer, type DelineationTrainerOptions, type DelineationEvaluation } from './delineation-trainer.js';
export {
  delineationMetrics,
  meanMetrics as meanDelineationMetrics,
  type DelineationMetrics,
  type DelineationMetricOptions,
} from './delineation-metrics.js';
export {
  autoencoder,
  AutoencoderOptions,
  paperOptions as autoencoderPaperOptions,
  quickOptions as autoencoderQuickOptions,
} from './autoencoder.js';
export { AutoencoderTrainer, type AutoencoderTrainerOptions } from './autoencoder-trainer.js';
export {
  CodeSet,
  Probe,
  PROBES,
  fitProbe,
  trainProbe,
  type ProbeOptions,
  type ProbeResult,
  type ProbeMetrics,
} from './autoencoder-probes.js';
