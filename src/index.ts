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
export { readManifest, weightsId, type ManifestEntry } from './manifest.js';
export type { FloatTensor, ByteImage } from './tensor.js';
export {
  PerceptualSimilarity,
  Compare,
  CHANNEL_NORM_EPS,
  readSimilarityWeights,
  type PerceptualSimilarityOptions,
  type SimilarityWeightsFile,
} from './similarity.js';
export { similarity, SimilarityOptions, paperOptions as similarityPaperOptions, quickOptions as similarityQuickOptions } from './benchmarks/similarity.js';
export { twoAfc, jndMap } from './benchmarks/similarity-metrics.js';
export { ensureBapps, listTwoAfc, listJnd, loadTriplets, loadJndPairs, BAPPS_BASE_URL } from './data/bapps.js';
export { makeSyntheticBapps } from './data/synthetic-bapps.js';
export { readNpy } from './data/npy.js';
