// The study's statistics and analysis tables against hand-computed and scipy values.
import { describe, expect, it } from 'vitest';
import { analyse } from '../src/study/analysis.js';
import { averageRanks, pearson, regularizedBeta, spearman } from '../src/study/stats.js';
import type { RunRecord } from '../src/study/store.js';

describe('ranks and correlations', () => {
  it('gives tied values their average rank', () => {
    // scipy.stats.rankdata([3,1,4,1,5,9,2,6,5,3,5])
    expect(averageRanks([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])).toEqual([4.5, 1.5, 6, 1.5, 8, 11, 3, 10, 8, 4.5, 8]);
    // descending: the largest gets rank 1
    expect(averageRanks([0.7, 0.9, 0.7, 0.1], true)).toEqual([2.5, 1, 2.5, 4]);
  });

  // Expected values computed once with scipy 1.10 (Debian /usr/bin/python3):
  // stats.spearmanr(x, y), stats.pearsonr(x, y).
  it('matches scipy spearmanr and pearsonr, with p-values', () => {
    const x = [56.522, 69.02, 71.592, 73.36, 72.376, 74.434, 69.758];
    const y = [0.61, 0.7, 0.69, 0.66, 0.7, 0.64, 0.67]; // a tie in y
    const s = spearman(x, y), p = pearson(x, y);
    expect(s.r).toBeCloseTo(-0.054056247761733546, 12);
    expect(s.p).toBeCloseTo(0.9083652825239955, 10);
    expect(p.r).toBeCloseTo(0.580041401982911, 12);
    expect(p.p).toBeCloseTo(0.17220967896925157, 10);
    expect(s.n).toBe(7);

    const x2 = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120];
    const y2 = [3.1, 2.9, 4.2, 4.0, 5.5, 4.9, 6.3, 5.8, 7.7, 6.1, 8.4, 9.0];
    expect(spearman(x2, y2).r).toBeCloseTo(0.9440559440559443, 12);
    expect(spearman(x2, y2).p! / 3.9272610809659444e-6).toBeCloseTo(1, 8);
    expect(pearson(x2, y2).r).toBeCloseTo(0.9456787394134886, 12);
    expect(pearson(x2, y2).p! / 3.399139351982258e-6).toBeCloseTo(1, 8);

    // n = 3 (one degree of freedom): pearsonr([1,2,3],[1,2,2.5]) = 0.9819805060619655, p 0.12103771832367739
    const p3 = pearson([1, 2, 3], [1, 2, 2.5]);
    expect(p3.r).toBeCloseTo(0.9819805060619655, 12);
    expect(p3.p).toBeCloseTo(0.12103771832367739, 10);
  });

  it('needs n >= 3 and a non-constant input', () => {
    expect(pearson([1, 2], [3, 4])).toEqual({ r: null, p: null, n: 2 });
    expect(spearman([1, 2, 3], [5, 5, 5]).r).toBeNull();
    expect(pearson([1, 2, 3], [2, 4, 6])).toMatchObject({ r: 1, p: 0 });
  });

  it('computes the regularized incomplete beta function', () => {
    // scipy.special.betainc(2.5, 0.5, 0.3) = 0.01892712407194565; I_x(1,1) = x; I_x(a,b) = 1 - I_{1-x}(b,a)
    expect(regularizedBeta(0.3, 2.5, 0.5)).toBeCloseTo(0.01892712407194565, 13);
    expect(regularizedBeta(0.37, 1, 1)).toBeCloseTo(0.37, 14);
    expect(regularizedBeta(0.3, 2.5, 0.5) + regularizedBeta(0.7, 0.5, 2.5)).toBeCloseTo(1, 14);
    expect(regularizedBeta(0.5, 3, 3)).toBeCloseTo(0.5, 14);
  });
});

let n = 0;
function run(p: Partial<RunRecord> & Pick<RunRecord, 'benchmark' | 'network' | 'layers'>, value: number, metric = 'score'): RunRecord {
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
    weightsId: 'IMAGENET1K_V1:x.pth',
    pretrained: true,
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

describe('analysis tables', () => {
  // super-resolution, one model per layer: alexnet layers [1,4,7,11], vgg16 [3,8,15,29], resnet18 [2,4,5,7]
  const sr = (network: string, layers: number[], values: number[], extra: Partial<RunRecord> = {}) =>
    layers.map((l, i) => run({ benchmark: 'super-resolution', network, layers: [l], ...extra }, values[i]!));
  const runs = [
    ...sr('alexnet', [1, 4, 7, 11], [20, 22, 21, 19]),
    // vgg16 with two repetitions at layer 8 (mean 25), nothing at layer 29 (missing cell)
    ...sr('vgg16', [3, 8, 15], [23, 24, 22]),
    run({ benchmark: 'super-resolution', network: 'vgg16', layers: [8], repetition: 1 }, 26),
    ...sr('resnet18', [2, 4, 5, 7], [21, 22, 23, 24], { pretrained: false, weightsId: 'random:0' }),
    // a failed run does not count
    run({ benchmark: 'super-resolution', network: 'alexnet', layers: [4], repetition: 1, status: 'failed' }, 99),
    // similarity: all layers together, lower-is-better metric to check the orientation
    run({ benchmark: 'similarity', variant: 'lin', network: 'alexnet', layers: [1, 4, 7, 11], higherIsBetter: false }, 0.3, 'loss'),
    run({ benchmark: 'similarity', variant: 'lin', network: 'vgg16', layers: [3, 8, 15, 29], higherIsBetter: false }, 0.2, 'loss'),
    run({ benchmark: 'similarity', variant: 'lin', network: 'resnet18', layers: [2, 4, 5, 7], higherIsBetter: false }, 0.2, 'loss'),
  ];
  const a = analyse(runs);
  const srTable = a.tables.find((t) => t.benchmark === 'super-resolution')!;
  const simTable = a.tables.find((t) => t.benchmark === 'similarity')!;

  it('builds the network × layer table of means, blank where missing', () => {
    expect(srTable.columns).toEqual(['layer 1', 'layer 2', 'layer 3', 'layer 4']);
    expect(srTable.rows.map((r) => r.network)).toEqual(['alexnet', 'vgg16', 'resnet18']); // study order
    const vgg = srTable.rows[1]!;
    expect(vgg.cells.map((c) => c?.mean ?? null)).toEqual([23, 25, 22, null]);
    expect(vgg.cells[1]!.n).toBe(2);
    expect(vgg.cells[1]!.std).toBeCloseTo(Math.SQRT2, 12);
    expect(srTable.rows[0]!.cells.map((c) => c!.mean)).toEqual([20, 22, 21, 19]); // the failed 99 left out
    expect(a.runs).toEqual({ total: runs.length, done: runs.length - 1, failed: 1, other: 0 });
  });

  it('ranks cells and networks, ties averaged, rank 1 best', () => {
    // cell values: alexnet 20 22 21 19; vgg16 23 25 22; resnet18 21 22 23 24 (11 cells)
    // descending ranks: 25→1, 24→2, 23→3.5 (×2), 22→6 (×3: ranks 5,6,7), 21→8.5 (×2), 20→10, 19→11
    const ranks = srTable.rows.map((r) => r.cells.map((c) => c?.rank ?? null));
    expect(ranks).toEqual([
      [10, 6, 8.5, 11],
      [3.5, 1, 6, null],
      [8.5, 6, 3.5, 2],
    ]);
    expect(srTable.rows.map((r) => r.best!.mean)).toEqual([22, 25, 24]);
    expect(srTable.rows.map((r) => r.networkRank)).toEqual([3, 1, 2]);
    expect(srTable.rows.map((r) => r.best!.layers)).toEqual([[4], [8], [7]]);
  });

  it('judges depth per network and the share whose best layer is the deepest', () => {
    const [alex, vgg, res] = srTable.rows;
    expect(res!.depth).toEqual({ positions: [0, 1, 2, 3], bestIsDeepest: true, rho: 1 });
    expect(alex!.depth.bestIsDeepest).toBe(false);
    expect(alex!.depth.rho).toBeCloseTo(-0.4, 12); // spearman([0,1,2,3],[20,22,21,19]) = -0.4
    expect(vgg!.depth.positions).toEqual([0, 1, 2]);
    expect(vgg!.depth.bestIsDeepest).toBe(false);
    expect(srTable.deepestBest).toEqual({ count: 1, of: 3, share: 1 / 3 });
  });

  it('correlates ImageNet top-1 with score per layer position and at the best layer', () => {
    // top-1: alexnet 56.522, vgg16 71.592, resnet18 69.758; layer 1 scores 20, 23, 21
    const l1 = srTable.correlations.perPosition[0]!;
    expect(l1.spearman.r).toBeCloseTo(1, 12);
    expect(l1.pearson.n).toBe(3);
    // layer 4: only alexnet and resnet18 measured: n = 2, no correlation
    expect(srTable.correlations.perPosition[3]!.pearson).toEqual({ r: null, p: null, n: 2 });
    // best: 22, 25, 24 against 56.522, 71.592, 69.758 -> ranks agree
    expect(srTable.correlations.best.spearman.r).toBeCloseTo(1, 12);
    expect(srTable.correlations.best.spearman.p).toBe(0);
  });

  it('handles all-layers-together tables and lower-is-better metrics', () => {
    expect(simTable.layerMode).toBe('together');
    expect(simTable.columns).toEqual(['all layers']);
    expect(simTable.rows.map((r) => r.networkRank)).toEqual([3, 1.5, 1.5]);
    expect(simTable.rows[0]!.depth.bestIsDeepest).toBeNull();
  });

  it('averages each network’s rank across benchmarks and counts the weights used', () => {
    expect(a.meanRanks).toEqual([
      { network: 'vgg16', meanRank: 1.25, tables: 2 },
      { network: 'resnet18', meanRank: 1.75, tables: 2 },
      { network: 'alexnet', meanRank: 3, tables: 2 },
    ]);
    expect(a.weights).toEqual({ imagenet: 11, random: 4 });
    expect(srTable.rows[2]!.weights).toBe('random');
  });

  it('shows a pixel-loss baseline without ranking it among the loss networks', () => {
    const ae = (network: string, layers: number[], value: number, extra: Partial<RunRecord> = {}) =>
      run({ benchmark: 'autoencoder', variant: 'svhn', network, layers, ...extra }, value, 'acc');
    const b = analyse([
      ae('alexnet', [1], 0.5), ae('alexnet', [4], 0.7), ae('vgg16', [3], 0.6),
      ae('pixel', [], 0.9, { pretrained: null, weightsId: 'pixel' }), // better than every loss network
    ]);
    const t = b.tables[0]!;
    expect(t.rows.map((r) => r.network)).toEqual(['alexnet', 'vgg16', 'pixel']);
    expect(t.rows.map((r) => r.cells.map((c) => c?.rank ?? null))).toEqual([[3, 1], [2, null], [NaN, null]]);
    expect(t.rows.map((r) => r.networkRank)).toEqual([1, 2, null]);
    expect(t.rows[2]!.cells[0]!.mean).toBe(0.9);
    expect(b.meanRanks.map((m) => m.network)).toEqual(['alexnet', 'vgg16']);
    expect(b.weights).toEqual({ imagenet: 3, none: 1 });
  });

  it('works on no results at all', () => {
    expect(analyse([])).toMatchObject({ tables: [], meanRanks: [], runs: { total: 0, done: 0 } });
  });
});
