// dpl-torch/data: the benchmarks' datasets (download, unpack, read) and the
// synthetic stand-ins in the same on-disk formats that the quick preset uses.
export { ensureBapps, listTwoAfc, listJnd, loadTriplets, loadJndPairs, BAPPS_BASE_URL } from './bapps.js';
export { makeSyntheticBapps } from './synthetic-bapps.js';
export { readNpy } from './npy.js';
export { makeSyntheticSrData, type SyntheticSrOptions } from './synthetic-sr.js';
export { ensureCoco, cocoImages, selectImages, COCO_BASE_URL, type CocoSplit } from './coco.js';
export { ensureTestSets, testSetImages, SR_TEST_SETS, SELFEXSR_BASE_URL, BSDS300_URL, type SrTestSet } from './sr-test-sets.js';
export { makeSrPair, type SrPair, type SrPairOptions } from './sr-pairs.js';
export { ensureSvhn, openSvhn, SVHN_BASE_URL, SVHN_SPLITS, type SvhnSplit } from './svhn.js';
export { ensureStl10, openStl10, stl10Folder, STL10_URL, STL10_MD5, type Stl10Split } from './stl10.js';
export { ImageRecords, type ImageSet } from './image-records.js';
export { readMatFile, readMatNumbers, streamMatData, writeMat, type MatFile, type MatVariable } from './mat.js';
export { makeSyntheticAutoencoderData } from './synthetic-autoencoder.js';
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
} from './mrd.js';
export { loadTrainingBatch, loadWholeTile, trainingCrop, TileCache, type Crop, type MrdBatch } from './mrd-batches.js';
export { makeSyntheticMrd, type SyntheticMrdOptions } from './synthetic-mrd.js';
