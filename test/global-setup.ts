// Exports the test networks (seeded random init) once, before any test file runs.
import { existsSync } from 'node:fs';
import { exportNetworks } from '../src/export-networks.js';
import { readManifest } from '../src/manifest.js';
import { STUDY_NETWORK_NAMES } from '../src/networks.js';
import { findPythonTorch } from '../src/python.js';
import { EXTRA_FAMILIES, TEST_MODELS, TEST_SEED } from './helpers/models.js';

export default async function setup(): Promise<void> {
  const wanted = [...STUDY_NETWORK_NAMES, ...EXTRA_FAMILIES];
  const have = existsSync(TEST_MODELS) ? readManifest(TEST_MODELS).networks : {};
  const missing = wanted.filter((a) => have[a]?.weights !== 'random' || have[a]?.seed !== TEST_SEED);
  if (!missing.length) return;
  if (!findPythonTorch()) {
    throw new Error('the native tests need seeded exports, made with Python torchvision: apt-get install python3-torchvision');
  }
  const t = Date.now();
  await exportNetworks({ architectures: missing, weights: 'random', seed: TEST_SEED, out: TEST_MODELS });
  console.log(`exported ${missing.length} test networks in ${((Date.now() - t) / 1000).toFixed(0)}s`);
}
