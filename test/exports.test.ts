// The package's entry points, as a user imports them (by package name, through
// package.json's "exports"): a small root, and the benchmarks, data and study
// machinery on their own subpaths.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** The value names each entry point exports, imported by package name in a plain Node process. */
function exportedNames(): Record<string, string[]> {
  const script = `
    const out = {};
    for (const p of ['dpl-torch', 'dpl-torch/benchmarks', 'dpl-torch/data', 'dpl-torch/study']) out[p] = Object.keys(await import(p)).sort();
    console.log(JSON.stringify(out));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as Record<
    string,
    string[]
  >;
}

describe('entry points', () => {
  const names = exportedNames();

  it('the root holds the loss (with DeviceTensor), the similarity metric, image metrics, the runtime and Study, and no more', () => {
    expect(names['dpl-torch']).toEqual(
      [
        'CHANNEL_NORM_EPS',
        'Compare',
        'DeviceTensor',
        'ERROR_CODES',
        'LPIPS_TRUNKS',
        'LossNetwork',
        'Normalization',
        'PerceptualSimilarity',
        'STUDY_NETWORKS',
        'STUDY_NETWORK_NAMES',
        'Study',
        'StudyConfig',
        'centerCrop',
        'convertLpipsWeights',
        'cpuCacheStats',
        'describeArchitecture',
        'doctor',
        'emptyCpuCache',
        'exportNetworks',
        'gaussianBlur',
        'isDplError',
        'luma',
        'pendingJobs',
        'perceptualLoss',
        'psnr',
        'quantize',
        'readManifest',
        'readResults',
        'readSimilarityWeights',
        'requireArchitecture',
        'resize',
        'resizeImage',
        'setMaxPendingJobs',
        'setThreads',
        'ssim',
        'studyLayers',
        'toDevice',
        'weightsId',
      ].sort(),
    );
  });

  it('the benchmarks, data and study subpaths hold the rest', () => {
    expect(names['dpl-torch/benchmarks']).toEqual(
      expect.arrayContaining([
        'similarity',
        'superResolution',
        'delineation',
        'autoencoder',
        'SuperResolutionTrainer',
        'DelineationTrainer',
        'AutoencoderTrainer',
        'CodeSet',
        'Probe',
        'twoAfc',
        'jndMap',
        'delineationMetrics',
      ]),
    );
    expect(names['dpl-torch/data']).toEqual(
      expect.arrayContaining([
        'ensureBapps',
        'ensureCoco',
        'ensureTestSets',
        'ensureMrd',
        'ensureSvhn',
        'ensureStl10',
        'readMatFile',
        'makeSyntheticMrd',
      ]),
    );
    expect(names['dpl-torch/study']).toEqual(
      expect.arrayContaining(['Study', 'analyse', 'recommend', 'ResultsStore', 'writeReport', 'parseShard', 'runCost', 'provenance']),
    );
  });

  it('no name is exported by two subpaths (Study and its config are also at the root, by design)', () => {
    const seen = new Map<string, string>();
    for (const p of ['dpl-torch/benchmarks', 'dpl-torch/data', 'dpl-torch/study']) {
      for (const n of names[p]) {
        expect(seen.get(n), `${n} is in ${seen.get(n)} and ${p}`).toBeUndefined();
        seen.set(n, p);
      }
    }
  });
});
