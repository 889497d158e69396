// Finished runs made in a test, with known scores, for the analysis, report and recommend tests.
import type { RunRecord } from '../../src/study/store.js';

let n = 0;

/** A finished run; anything not given takes a plain default (ImageNet weights, higher is better, metric 'score'). */
export function fakeRun(
  p: Partial<RunRecord> & Pick<RunRecord, 'benchmark' | 'network' | 'layers'>,
  value: number,
  metric = 'score',
): RunRecord {
  return {
    id: `r${n++}`,
    variant: 'x4',
    repetition: 0,
    seed: 0,
    configHash: 'h',
    options: {},
    primaryMetric: metric,
    higherIsBetter: true,
    status: 'done',
    error: null,
    weightsId: p.network === 'pixel' ? null : 'IMAGENET1K_V1:x.pth',
    pretrained: p.network === 'pixel' ? null : true,
    versions: { dplTorch: '0.1.0', libtorch: '1.13.1', torchvision: '0.14.1' },
    device: 'cpu',
    attempts: 1,
    startedAt: null,
    finishedAt: null,
    seconds: 1,
    artifacts: [],
    metrics: { [metric]: value },
    ...p,
  };
}
