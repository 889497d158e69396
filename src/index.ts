// dpl-torch public API.
export { LossNetwork, Normalization, type LoadOptions } from './loss-network.js';
export { perceptualLoss, type PerceptualLossOptions, type PerceptualLossResult } from './perceptual-loss.js';
export {
  STUDY_NETWORKS,
  STUDY_NETWORK_NAMES,
  describeArchitecture,
  requireArchitecture,
  studyLayers,
  type StudyNetwork,
  type ChildrenRule,
} from './networks.js';
export { exportNetworks, type ExportOptions } from './export-networks.js';
export { doctor, type DoctorReport } from './doctor.js';
export { cpuCacheStats, emptyCpuCache, pendingJobs, setMaxPendingJobs, setThreads, type CpuCacheStats } from './runtime.js';
export { ERROR_CODES, isDplError, type DplError, type DplErrorCode } from './errors.js';
export type { Layer } from './layer-names.js';
export { readManifest, weightsId, type ManifestEntry } from './manifest.js';
export type { FloatTensor, ByteImage, ByteBatch } from './tensor.js';
export {
  PerceptualSimilarity,
  Compare,
  CHANNEL_NORM_EPS,
  readSimilarityWeights,
  type PerceptualSimilarityOptions,
  type SimilarityWeightsFile,
} from './similarity.js';
export { convertLpipsWeights, LPIPS_TRUNKS, type ConvertLpipsOptions } from './lpips-weights.js';
export {
  similarity,
  SimilarityOptions,
  paperOptions as similarityPaperOptions,
  quickOptions as similarityQuickOptions,
} from './benchmarks/similarity.js';
export { twoAfc, jndMap } from './benchmarks/similarity-metrics.js';
export { ensureBapps, listTwoAfc, listJnd, loadTriplets, loadJndPairs, BAPPS_BASE_URL } from './data/bapps.js';
export { makeSyntheticBapps } from './data/synthetic-bapps.js';
export { readNpy } from './data/npy.js';
export {
  resize,
  resizeImage,
  gaussianBlur,
  centerCrop,
  quantize,
  luma,
  psnr,
  ssim,
  type ResizeOptions,
  type MetricOptions,
} from './image-ops.js';
export {
  superResolution,
  SuperResolutionOptions,
  paperOptions as superResolutionPaperOptions,
  quickOptions as superResolutionQuickOptions,
} from './benchmarks/super-resolution.js';
export { SuperResolutionTrainer, type SuperResolutionTrainerOptions } from './benchmarks/super-resolution-trainer.js';
export {
  delineation,
  DelineationOptions,
  paperOptions as delineationPaperOptions,
  quickOptions as delineationQuickOptions,
} from './benchmarks/delineation.js';
export { DelineationTrainer, type DelineationTrainerOptions, type DelineationEvaluation } from './benchmarks/delineation-trainer.js';
export { makeSyntheticSrData, type SyntheticSrOptions } from './data/synthetic-sr.js';
export { ensureCoco, cocoImages, selectImages, COCO_BASE_URL, type CocoSplit } from './data/coco.js';
export { ensureTestSets, testSetImages, SR_TEST_SETS, SELFEXSR_BASE_URL, BSDS300_URL, type SrTestSet } from './data/sr-test-sets.js';
export { makeSrPair, type SrPair, type SrPairOptions } from './data/sr-pairs.js';
export {
  autoencoder,
  AutoencoderOptions,
  paperOptions as autoencoderPaperOptions,
  quickOptions as autoencoderQuickOptions,
} from './benchmarks/autoencoder.js';
export { AutoencoderTrainer, type AutoencoderTrainerOptions } from './benchmarks/autoencoder-trainer.js';
export {
  CodeSet,
  Probe,
  PROBES,
  fitProbe,
  trainProbe,
  type ProbeOptions,
  type ProbeResult,
  type ProbeMetrics,
} from './benchmarks/autoencoder-probes.js';
export { ensureSvhn, openSvhn, SVHN_BASE_URL, SVHN_SPLITS, type SvhnSplit } from './data/svhn.js';
export { ensureStl10, openStl10, stl10Folder, STL10_URL, STL10_MD5, type Stl10Split } from './data/stl10.js';
export { ImageRecords, type ImageSet } from './data/image-records.js';
export { readMatFile, readMatNumbers, streamMatData, writeMat, type MatFile, type MatVariable } from './data/mat.js';
export { makeSyntheticAutoencoderData } from './data/synthetic-autoencoder.js';
export {
  ensureMrd,
  listMrd,
  readMrdPair,
  formatMrdProgress,
  MRD_BASE_URL,
  type MrdPair,
  type MrdSplits,
  type MrdTile,
  type EnsureMrdOptions,
} from './data/mrd.js';
export { loadTrainingBatch, loadWholeTile, trainingCrop, TileCache, type Crop, type MrdBatch } from './data/mrd-batches.js';
export { makeSyntheticMrd, type SyntheticMrdOptions } from './data/synthetic-mrd.js';
export {
  delineationMetrics,
  meanMetrics as meanDelineationMetrics,
  type DelineationMetrics,
  type DelineationMetricOptions,
} from './benchmarks/delineation-metrics.js';
export { Study, readResults, type StudyOptions } from './study/study.js';
export { parseStudyConfig, readStudyConfig, StudyConfig, type StudyConfigInput } from './study/config.js';
export { analyse, type Analysis, type AnalyseOptions, type ScoreTable } from './study/analysis.js';
export { recommend, recommendationText, TASKS, type Recommendation, type RecommendOptions, type Task } from './study/recommend.js';
export type { Claim, Verdict } from './study/claims.js';
export { ResultsStore, type RunRecord, type RunIdentity } from './study/store.js';
export { writeReport, type ReportFiles } from './study/report.js';
export { StudyInterrupted, type StudyEvent, type RunSummary } from './study/runner.js';
export { parseShard, assignShards, selectShard, type Shard } from './study/shards.js';
export { runCost, networkGmacs } from './study/cost.js';
export { type SlurmOptions, type SlurmSubmission, type SlurmTask } from './study/slurm.js';
export { type StudyStatus, type RunProgress, type RunState } from './study/status.js';
export { provenance } from './study/provenance.js';
export type { Benchmark, RunSpec, RunContext, RunResult } from './benchmarks/benchmark.js';
