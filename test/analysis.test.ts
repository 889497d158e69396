// The study's statistics and analysis tables against hand-computed and scipy values.
import { describe, expect, it } from 'vitest';
import { analyse } from '../src/study/analysis.js';
import { percentileInterval, quantile, bootstrap } from '../src/study/bootstrap.js';
import { fisherCombined, mannWhitneyLess, twoWayAnova, welchGreater } from '../src/study/significance.js';
import {
  averageRanks,
  chi2Sf,
  fSf,
  normalSf,
  pearson,
  regularizedBeta,
  regularizedGammaQ,
  spearman,
  studentTSf,
} from '../src/study/stats.js';
import type { RunRecord } from '../src/study/store.js';
import { fakeRun } from './helpers/runs.js';

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
    const s = spearman(x, y),
      p = pearson(x, y);
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

// Expected values computed once with scipy 1.10 / numpy 1.24 (Debian /usr/bin/python3); each call is in the comment.
describe('distributions and tests', () => {
  it('matches scipy tails of the t, F, chi-squared and normal distributions', () => {
    expect(studentTSf(2.1, 5.5)).toBeCloseTo(0.04234596256487348, 12); // stats.t.sf(2.1, 5.5)
    expect(studentTSf(-1.2, 3)).toBeCloseTo(0.8418689426509476, 12); // stats.t.sf(-1.2, 3)
    expect(fSf(3.4, 2, 6)).toBeCloseTo(0.102996826171875, 12); // stats.f.sf(3.4, 2, 6)
    expect(fSf(0.7, 3, 12)).toBeCloseTo(0.5699019636452239, 12); // stats.f.sf(0.7, 3, 12)
    expect(chi2Sf(7.3, 4)).toBeCloseTo(0.12085874882121235, 12); // stats.chi2.sf(7.3, 4)
    expect(chi2Sf(0.5, 1)).toBeCloseTo(0.47950012218695337, 12);
    expect(chi2Sf(30, 6) / 3.930844818448459e-5).toBeCloseTo(1, 10);
    expect(normalSf(1.3)).toBeCloseTo(0.09680048458561036, 12); // stats.norm.sf(1.3)
    expect(normalSf(-0.4)).toBeCloseTo(0.6554217416103242, 12);
    expect(normalSf(4.5) / 3.3976731247300535e-6).toBeCloseTo(1, 10);
    expect(regularizedGammaQ(2.5, 1.7)).toBeCloseTo(0.6385699231037951, 12); // special.gammaincc(2.5, 1.7)
    expect(regularizedGammaQ(3, 9)).toBeCloseTo(0.006232195106377317, 12);
  });

  it("matches scipy's Welch t-test", () => {
    // ttest_ind([3.1,2.9,3.5,3.3], [2.8,3.0,2.7,2.9,2.6], equal_var=False, alternative='greater')
    const w = welchGreater({ mean: 3.2, std: 0.2581988897471611, n: 4 }, { mean: 2.8, std: 0.15811388300841892, n: 5 })!;
    expect(w.t).toBeCloseTo(2.7174648819470324, 12);
    expect(w.p).toBeCloseTo(0.022112397605943943, 12);
    expect(welchGreater({ mean: 1, std: 0, n: 1 }, { mean: 0, std: 1, n: 3 })).toBeNull();
    expect(welchGreater({ mean: 1, std: 0, n: 3 }, { mean: 0, std: 0, n: 3 })!.p).toBe(0);
    expect(welchGreater({ mean: 0, std: 0, n: 3 }, { mean: 0, std: 0, n: 3 })!.p).toBe(1);
  });

  it("matches scipy's one-sided Mann-Whitney U, exact and asymptotic", () => {
    // mannwhitneyu([1.5,2,3.5], [4,5,6.5,2.5,7,8,9,10,11,12,13], alternative='less'): exact
    const exact = mannWhitneyLess([1.5, 2, 3.5], [4, 5, 6.5, 2.5, 7, 8, 9, 10, 11, 12, 13]);
    expect(exact).toMatchObject({ u: 1, method: 'exact' });
    expect(exact.p).toBeCloseTo(0.005494505494505495, 14);
    expect(exact.minP).toBeCloseTo(1 / 364, 14);
    expect(mannWhitneyLess([4, 1, 6], [2, 3, 5, 7]).p).toBeCloseTo(0.42857142857142855, 14);
    // with ties: normal approximation, tie and continuity corrections
    const ties = mannWhitneyLess([1, 2, 2, 3, 5, 9, 4, 4, 1], [3, 6, 7, 8, 8, 10, 2, 11, 12, 13]);
    expect(ties).toMatchObject({ u: 14.5, method: 'asymptotic' });
    expect(ties.p).toBeCloseTo(0.006983131455839931, 12);
    // both samples larger than 8: asymptotic
    const x = Array.from({ length: 9 }, (_, i) => i * 1.1 + 0.3),
      y = Array.from({ length: 10 }, (_, i) => i * 1.3 + 2.05);
    const big = mannWhitneyLess(x, y);
    expect(big).toMatchObject({ u: 24, method: 'asymptotic' });
    expect(big.p).toBeCloseTo(0.04708318771893987, 12);
  });

  it("matches scipy's Fisher combination of p-values", () => {
    const f = fisherCombined([0.01, 0.2, 0.5]); // combine_pvalues([0.01,0.2,0.5], method='fisher')
    expect(f.statistic).toBeCloseTo(13.815510557964274, 12);
    expect(f.p).toBeCloseTo(0.03176629677613493, 12);
    expect(fisherCombined([0, 0.5]).p).toBe(0);
  });

  it('decomposes a grid by two-way ANOVA without interaction (numpy sums of squares, scipy F tails)', () => {
    const a = twoWayAnova([
      [20, 22, 21],
      [23, 25, 22],
      [21, 22, 23],
      [19, 24, 20],
    ]);
    expect(a.ss.total).toBeCloseTo(33.66666666666667, 12);
    expect(a.ss.rows).toBeCloseTo(11, 12);
    expect(a.ss.columns).toBeCloseTo(13.166666666666666, 12);
    expect(a.ss.residual).toBeCloseTo(9.5, 12);
    expect(a.df).toEqual({ rows: 3, columns: 2, residual: 6 });
    expect(a.p.rows).toBeCloseTo(0.1754461636153508, 12); // f.sf((11/3)/(9.5/6), 3, 6)
    expect(a.p.columns).toBeCloseTo(0.07362203910543477, 12);
    expect(a.share!.rows + a.share!.columns + a.share!.residual).toBeCloseTo(1, 14);
    // an additive grid has no residual: the effects are exact
    const additive = twoWayAnova([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(additive.p).toEqual({ rows: 0, columns: 0 });
    expect(() => twoWayAnova([[1, 2]])).toThrow(/2 × 2/);
  });

  it('takes quantiles as numpy.percentile does and bootstraps reproducibly', () => {
    const xs = [3, 1, 4, 1.5, 5, 9, 2, 6];
    expect(percentileInterval(xs).map((v) => +v.toFixed(12))).toEqual([1.0875, 8.475]); // np.percentile(xs, [2.5, 97.5])
    expect(
      quantile(
        xs.slice().sort((a, b) => a - b),
        0.5,
      ),
    ).toBe(3.5);
    const cells = [[1, 2, 3], [5]];
    const a = bootstrap(cells, (m) => m.slice(), 200, 7),
      b = bootstrap(cells, (m) => m.slice(), 200, 7);
    expect(a).toEqual(b);
    expect(a.every((d) => d[1] === 5 && d[0]! >= 1 && d[0]! <= 3)).toBe(true);
    expect(new Set(a.map((d) => d[0])).size).toBeGreaterThan(3);
  });
});

const run = fakeRun;

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
    expect(srTable.columns.every((c) => c.study)).toBe(true);
    expect(srTable.rows.map((r) => r.network)).toEqual(['alexnet', 'vgg16', 'resnet18']); // study order
    const vgg = srTable.rows[1]!;
    expect(vgg.cells.map((c) => c?.mean ?? null)).toEqual([23, 25, 22, null]);
    expect(srTable.columns.map((c) => c.label)).toEqual(['layer 1', 'layer 2', 'layer 3', 'layer 4']);
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
    expect(res!.depth).toEqual({ depths: [0, 1, 2, 3], bestIsDeepest: true, rho: 1 });
    expect(alex!.depth.bestIsDeepest).toBe(false);
    expect(alex!.depth.rho).toBeCloseTo(-0.4, 12); // spearman([0,1,2,3],[20,22,21,19]) = -0.4
    expect(vgg!.depth.depths).toEqual([0, 1, 2]);
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
    expect(srTable.correlations.perPosition.map((p) => p.column)).toEqual(['layer 1', 'layer 2', 'layer 3', 'layer 4']);
    // best: 22, 25, 24 against 56.522, 71.592, 69.758 -> ranks agree
    expect(srTable.correlations.best.spearman.r).toBeCloseTo(1, 12);
    expect(srTable.correlations.best.spearman.p).toBe(0);
  });

  it('handles all-layers-together tables and lower-is-better metrics', () => {
    expect(simTable.layerMode).toBe('together');
    expect(simTable.columns.map((c) => c.label)).toEqual(['all layers']);
    expect(simTable.rows.map((r) => r.networkRank)).toEqual([3, 1.5, 1.5]);
    expect(simTable.rows[0]!.depth.bestIsDeepest).toBeNull();
  });

  it('averages each network’s rank across benchmarks and counts the weights used', () => {
    expect(a.meanRanks.map(({ network, meanRank, benchmarks }) => ({ network, meanRank, benchmarks }))).toEqual([
      { network: 'vgg16', meanRank: 1.25, benchmarks: 2 },
      { network: 'resnet18', meanRank: 1.75, benchmarks: 2 },
      { network: 'alexnet', meanRank: 3, benchmarks: 2 },
    ]);
    expect(a.weights).toEqual({ imagenet: 11, random: 4 });
    expect(srTable.rows[2]!.weights).toBe('random');
  });

  it('works on no results at all', () => {
    expect(analyse([])).toMatchObject({ tables: [], meanRanks: [], runs: { total: 0, done: 0 } });
  });
});
