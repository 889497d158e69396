// dpl-torch public API: the loss, the similarity metric, image metrics and the
// runtime. The benchmarks, the datasets and the study's machinery have their own
// entry points (dpl-torch/benchmarks, dpl-torch/data, dpl-torch/study), so the root
// stays small; Study is here too, as most users start from it.
export { LossNetwork, Normalization, type LoadOptions } from './loss-network.js';
export { DeviceTensor, toDevice } from './device-tensor.js';
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
export { Study, readResults, type StudyOptions } from './study/study.js';
export { StudyConfig, type StudyConfigInput } from './study/config.js';
