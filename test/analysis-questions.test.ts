// The analysis answers the study's questions from results it can trust: synthetic
// stores with known answers for configurations, layer modes, non-study layers,
// the pixel reference, the mean-rank rule, the variance split, families, the
// claims (random-init runs excluded) and rank uncertainty.
import { describe, expect, it } from 'vitest';
import { analyse, type ScoreTable } from '../src/study/analysis.js';
import { STUDY_NETWORKS } from '../src/networks.js';
import type { RunRecord } from '../src/study/store.js';
import { fakeRun } from './helpers/runs.js';

const SR = 'super-resolution';
const study = (network: string, position: number) => STUDY_NETWORKS[network]!.layers[position]!;
/** One single-layer SR run per value, at the network's study layer `position`. */
const sr = (network: string, position: number, values: number[], extra: Partial<RunRecord> = {}) =>
  values.map((v, repetition) => fakeRun({ benchmark: SR, network, layers: [study(network, position)], repetition, ...extra }, v));
const byNetwork = (t: ScoreTable) => Object.fromEntries(t.rows.map((r) => [r.network, r]));

describe('configurations', () => {
  // Two configurations of super-resolution in one folder: epochs 1 (6 runs) and epochs 2 (2 runs).
  const a = { configHash: 'aaaa1111aaaa1111', options: { epochs: 1, layerMode: 'single' } };
  const b = { configHash: 'bbbb2222bbbb2222', options: { epochs: 2, layerMode: 'single' } };
  const runs = [
    ...sr('alexnet', 0, [20], a),
    ...sr('alexnet', 1, [21], a),
    ...sr('vgg16', 0, [22], a),
    ...sr('vgg16', 1, [23], a),
    ...sr('resnet18', 0, [19], a),
    ...sr('resnet18', 1, [18], a),
    ...sr('vgg16', 0, [30], b),
    ...sr('alexnet', 0, [10], b),
  ];

  it('never averages runs of different configurations, and says which the folder holds', () => {
    const an = analyse(runs);
    expect(an.configurations.map((c) => [c.id, c.done, c.primary, c.differs])).toEqual([
      ['super-resolution/aaaa1111/single', 6, true, { epochs: 1 }],
      ['super-resolution/bbbb2222/single', 2, false, { epochs: 2 }],
    ]);
    expect(an.tables.map((t) => t.configuration)).toEqual(['super-resolution/aaaa1111/single', 'super-resolution/bbbb2222/single']);
    expect(byNetwork(an.tables[0]!).vgg16!.cells[0]).toMatchObject({ mean: 22, n: 1 });
    expect(byNetwork(an.tables[1]!).vgg16!.cells[0]).toMatchObject({ mean: 30, n: 1 });
    // the summaries across benchmarks use the primary configuration only
    expect(an.meanRanks.map((m) => [m.network, m.meanRank])).toEqual([
      ['vgg16', 1],
      ['alexnet', 2],
      ['resnet18', 3],
    ]);
  });

  it('lets the user choose the configuration of the summaries, and names a wrong choice', () => {
    const an = analyse(runs, { primary: ['bbbb2222'] });
    expect(an.configurations.find((c) => c.primary)!.id).toBe('super-resolution/bbbb2222/single');
    expect(an.meanRanks.map((m) => [m.network, m.meanRank])).toEqual([
      ['vgg16', 1],
      ['alexnet', 2],
    ]);
    expect(() => analyse(runs, { primary: ['cccc'] })).toThrow(/no configuration cccc.*aaaa1111.*bbbb2222/);
  });

  it('takes the layer mode from the run, not from the shapes of the runs', () => {
    const together = { configHash: 'ssss', options: { layerMode: 'together' } };
    const single = { configHash: 'ssss', options: { layerMode: 'single' } };
    const sim = (network: string, layers: number[], v: number, extra: Partial<RunRecord>) =>
      fakeRun({ benchmark: 'similarity', variant: 'lin', network, layers, ...extra }, v);
    const an = analyse([
      sim('alexnet', [1, 4, 7, 11], 0.7, together),
      sim('vgg16', [3], 0.8, together), // a together run of a network given one layer
      sim('resnet18', [2, 4, 5, 7], 0.6, together),
      sim('vgg16', [3], 0.5, single),
      sim('vgg16', [8], 0.55, single),
    ]);
    const [t, s] = an.tables;
    expect([t!.configuration, t!.layerMode, t!.columns.map((c) => c.label)]).toEqual([
      'similarity/ssss/together',
      'together',
      ['all layers'],
    ]);
    expect(byNetwork(t!).vgg16!.networkRank).toBe(1);
    expect([s!.configuration, s!.layerMode, s!.columns.map((c) => c.label)]).toEqual([
      'similarity/ssss/single',
      'single',
      ['layer 1', 'layer 2'],
    ]);
  });
});

describe('layer columns', () => {
  it('gives every non-study layer its own column, by depth, study layers marked', () => {
    const alex = [0, 1, 4, 7, 9, 11, 12];
    const runs = [
      ...alex.map((l, i) => fakeRun({ benchmark: SR, network: 'alexnet', layers: [l] }, 10 + i)),
      ...[3, 8, 15, 20, 29].map((l, i) => fakeRun({ benchmark: SR, network: 'vgg16', layers: [l] }, 30 - i)),
    ];
    const t = analyse(runs).tables[0]!;
    // alexnet 9 lies halfway between study layers 7 and 11; vgg16 20 at 5/14 of the way from 15 to 29
    expect(t.columns.map((c) => [c.label, c.study])).toEqual([
      ['alexnet 0', false],
      ['layer 1', true],
      ['layer 2', true],
      ['layer 3', true],
      ['vgg16 20', false],
      ['alexnet 9', false],
      ['layer 4', true],
      ['alexnet 12', false],
    ]);
    const a = byNetwork(t).alexnet!;
    expect(a.cells.map((c) => c?.layers[0] ?? null)).toEqual([0, 1, 4, 7, null, 9, 11, 12]);
    expect(a.cells.map((c) => c?.mean ?? null)).toEqual([10, 11, 12, 13, null, 14, 15, 16]);
    expect(a.depth.depths).toEqual([-1, 0, 1, 2, 2.5, 3, 4]);
    expect(a.depth.bestIsDeepest).toBe(true);
    expect(byNetwork(t).vgg16!.cells.map((c) => c?.mean ?? null)).toEqual([null, 30, 29, 28, 27, null, 26, null]);
    // ImageNet correlations are per study position only
    expect(t.correlations.perPosition.map((p) => p.column)).toEqual(['layer 1', 'layer 2', 'layer 3', 'layer 4']);
  });
});

describe('the pixel baseline', () => {
  it('is a reference line, never a ranked network', () => {
    const runs = [
      fakeRun({ benchmark: SR, network: 'pixel', layers: [] }, 21),
      fakeRun({ benchmark: SR, network: 'pixel', layers: [], repetition: 1 }, 22),
      ...sr('alexnet', 0, [20]),
      ...sr('alexnet', 1, [22]),
      ...sr('vgg16', 0, [25]),
      ...sr('vgg16', 1, [21]),
      ...sr('resnet18', 0, [21]),
      ...sr('resnet18', 1, [20]),
    ];
    const an = analyse(runs);
    const t = an.tables[0]!;
    expect(t.pixel).toMatchObject({ mean: 21.5, n: 2 });
    expect(t.rows.map((r) => r.network)).toEqual(['alexnet', 'vgg16', 'resnet18']);
    expect(t.rows.map((r) => r.networkRank)).toEqual([2, 1, 3]);
    expect(t.rows.map((r) => r.abovePixel)).toEqual([0.5, 3.5, -0.5]);
    expect(
      t.rows
        .flatMap((r) => r.cells)
        .filter((c) => c)
        .map((c) => c!.rank)
        .sort((x, y) => x - y),
    ).toEqual([1, 2, 3.5, 3.5, 5.5, 5.5]);
    expect(an.meanRanks.map((m) => m.network)).toEqual(['vgg16', 'alexnet', 'resnet18']);
  });

  it('measures "above pixel" in the better direction for lower-is-better metrics', () => {
    const lower = { higherIsBetter: false };
    const t = analyse([
      fakeRun({ benchmark: SR, network: 'pixel', layers: [], ...lower }, 0.5),
      ...sr('vgg16', 0, [0.2], lower),
      ...sr('alexnet', 0, [0.7], lower),
    ]).tables[0]!;
    expect(t.rows.map((r) => [r.network, r.abovePixel])).toEqual([
      ['alexnet', expect.closeTo(-0.2, 12)],
      ['vgg16', expect.closeTo(0.3, 12)],
    ]);
  });
});

describe('mean rank across benchmarks', () => {
  it('averages over a benchmark’s variants first, so each benchmark weighs the same', () => {
    const sim = (variant: string, network: string, v: number) =>
      fakeRun({ benchmark: 'similarity', variant, network, layers: STUDY_NETWORKS[network]!.layers }, v);
    const runs = [
      ...sr('alexnet', 0, [30]),
      ...sr('vgg16', 0, [20]),
      ...sr('resnet18', 0, [10]), // SR: alexnet 1, vgg16 2, resnet18 3
      ...['baseline', 'lin'].flatMap((v) => [sim(v, 'vgg16', 0.9), sim(v, 'resnet18', 0.8), sim(v, 'alexnet', 0.7)]), // similarity: vgg16 1, resnet18 2, alexnet 3
    ];
    // per benchmark first: alexnet (1 + 3)/2, vgg16 (2 + 1)/2, resnet18 (3 + 2)/2 (per table it would be 7/3, 4/3, 7/3)
    expect(analyse(runs).meanRanks.map((m) => [m.network, m.meanRank, m.perBenchmark])).toEqual([
      ['vgg16', 1.5, { 'super-resolution': 2, similarity: 1 }],
      ['alexnet', 2, { 'super-resolution': 1, similarity: 3 }],
      ['resnet18', 2.5, { 'super-resolution': 3, similarity: 2 }],
    ]);
  });
});

const FOUR = ['alexnet', 'vgg16', 'resnet18', 'squeezenet1_1'];
/** An SR grid: value(network index, position) for each network at each of `positions`. */
const grid = (networks: string[], positions: number[], value: (i: number, j: number) => number) =>
  networks.flatMap((n, i) => positions.flatMap((j) => sr(n, j, [value(i, j)])));

describe('layer against architecture', () => {
  it('gives the layer all the variance when only the layer matters', () => {
    const an = analyse(grid(FOUR, [0, 1, 2, 3], (_i, j) => [1, 5, 3, 2][j]!));
    const v = an.tables[0]!.variance;
    expect(v).toMatchObject({
      networks: FOUR,
      positions: ['layer 1', 'layer 2', 'layer 3', 'layer 4'],
      pLayer: 0,
      pNetwork: 1,
      leftOut: [],
    });
    expect(v).toMatchObject({ layer: expect.closeTo(1, 12), network: expect.closeTo(0, 12), residual: expect.closeTo(0, 12) });
    expect(an.variance).toMatchObject({ layer: expect.closeTo(1, 12), network: expect.closeTo(0, 12) });
  });

  it('gives the network all the variance when only the network matters', () => {
    const an = analyse(grid(FOUR, [0, 1, 2, 3], (i) => 10 * (i + 1)));
    expect(an.tables[0]!.variance).toMatchObject({ network: expect.closeTo(1, 12), layer: expect.closeTo(0, 12), pNetwork: 0, pLayer: 1 });
  });

  it('splits a mixed grid as numpy does, on the largest complete sub-grid', () => {
    const g = [
      [20, 22, 21],
      [23, 25, 22],
      [21, 22, 23],
      [19, 24, 20],
    ];
    // a fifth network measured at two positions only cannot join the 4 × 3 grid
    const runs = [...grid(FOUR, [0, 1, 2], (i, j) => g[i]![j]!), ...sr('vgg11', 0, [30]), ...sr('vgg11', 3, [31])];
    const v = analyse(runs).tables[0]!.variance;
    if (!('layer' in v)) throw new Error(v.reason);
    expect(v.networks).toEqual(FOUR);
    expect(v.positions).toEqual(['layer 1', 'layer 2', 'layer 3']);
    expect(v.leftOut).toEqual(['vgg11']);
    expect(v.network).toBeCloseTo(11 / 33.66666666666667, 12);
    expect(v.layer).toBeCloseTo(13.166666666666666 / 33.66666666666667, 12);
    expect(v.pNetwork).toBeCloseTo(0.1754461636153508, 12);
    expect(v.pLayer).toBeCloseTo(0.07362203910543477, 12);
  });

  it('says why there is no split', () => {
    const an = analyse([...sr('vgg16', 0, [1]), ...sr('vgg16', 1, [2])]);
    expect(an.tables[0]!.variance).toEqual({ reason: expect.stringMatching(/at least 2 networks/) });
    expect(an.variance.layer).toBeNull();
  });
});

describe('families', () => {
  it('ranks families by their networks’ mean rank and compares vgg16 with vgg16_bn', () => {
    const best: Record<string, [number, number]> = {
      vgg16: [30, 29],
      vgg19: [29, 28],
      vgg16_bn: [25, 26],
      resnet50: [27, 20],
      densenet121: [26.5, 20],
      alexnet: [20, 19],
    };
    const runs = Object.entries(best).flatMap(([n, [p1, p2]]) => [...sr(n, 0, [p1, p1 + 0.2]), ...sr(n, 1, [p2, p2 + 0.2])]);
    const an = analyse(runs);
    expect(an.families.map((f) => [f.family, f.meanRank, f.networks])).toEqual([
      ['VGG without BN', 1.5, ['vgg16', 'vgg19']],
      ['ResNet/ResNeXt', 3, ['resnet50']],
      ['DenseNet', 4, ['densenet121']],
      ['VGG with BN', 5, ['vgg16_bn']],
      ['AlexNet', 6, ['alexnet']],
    ]);
    expect(an.families[0]!.best).toEqual([expect.objectContaining({ network: 'vgg16', column: 'layer 1', layers: [3], mean: 30.1 })]);
    const [c] = an.vggBn;
    expect(c).toMatchObject({ vgg16: { column: 'layer 1', mean: 30.1 }, vgg16_bn: { column: 'layer 2', layers: [12], mean: 26.1 } });
    expect(c!.difference).toBeCloseTo(4, 12);
    expect(c!.p!).toBeLessThan(0.01); // Welch over 2 repetitions each
    expect(c!.perPosition.map((p) => [p.column, +p.difference.toFixed(9)])).toEqual([
      ['layer 1', 5],
      ['layer 2', 3],
    ]);
  });
});

/**
 * The 14 networks × 4 study layers of super-resolution, 3 repetitions each: the
 * network effect ranks the VGGs without BN first and runs against ImageNet
 * accuracy; the layer effect peaks at position 2 and is larger than the network's.
 */
function paperLikeRuns(extra: Partial<RunRecord> = {}): RunRecord[] {
  // best first, 0.3 apart (more than the interaction term spans, so no two networks tie)
  const order = [
    'vgg16',
    'vgg19',
    'vgg11',
    'alexnet',
    'squeezenet1_1',
    'googlenet',
    'resnet18',
    'densenet121',
    'vgg16_bn',
    'resnet50',
    'inception_v3',
    'resnext50_32x4d',
    'efficientnet_b0',
    'efficientnet_b7',
  ];
  const effect = (n: string) => 6 - 0.3 * order.indexOf(n);
  const layer = [0, 5, 4, 2];
  return Object.keys(STUDY_NETWORKS).flatMap((n, i) =>
    layer.flatMap((l, j) =>
      sr(
        n,
        j,
        [-0.02, 0, 0.02].map((noise) => 20 + effect(n) + l + 0.05 * ((i * 7 + j * 3) % 5) + noise),
        extra,
      ),
    ),
  );
}

describe('the claims table', () => {
  const verdicts = (runs: RunRecord[]) => Object.fromEntries(analyse(runs).claims.map((c) => [c.id, c.verdict]));

  it('supports all four claims on results that show them', () => {
    const an = analyse(paperLikeRuns());
    const claims = Object.fromEntries(an.claims.map((c) => [c.id, c]));
    expect(Object.values(claims).map((c) => c.verdict)).toEqual(['supported', 'supported', 'supported', 'supported']);
    expect(claims['vgg-without-bn-best']!.value).toBe(2); // ranks 1, 2, 3
    expect(claims['vgg-without-bn-best']!.p).toBeCloseTo(1 / 364, 12); // the exact Mann-Whitney p of the 3 best of 14
    expect(claims['vgg-without-bn-best']!.spread).toMatch(/in 100\.0% of 1000 bootstrap draws/);
    expect(claims['layer-vs-architecture']!.value!).toBeGreaterThan(0);
    expect(claims['accuracy-not-better']!.value!).toBeLessThan(0);
    expect(claims['later-not-always-better']!.value).toBe(1); // no network is best at its deepest layer
    for (const c of Object.values(claims)) expect(c.n).toMatch(/\d/);
  });

  it('does not support claims the results contradict', () => {
    // score = ImageNet top-1 (so accuracy means better; efficientnet_b7 best), slightly rising with depth
    const runs = Object.entries(STUDY_NETWORKS).flatMap(([n, s]) =>
      [0, 1, 2, 3].flatMap((j) =>
        sr(
          n,
          j,
          [-0.01, 0, 0.01].map((e) => s.imagenetTop1 + 0.01 * j + e),
        ),
      ),
    );
    expect(verdicts(runs)).toEqual({
      'vgg-without-bn-best': 'not supported',
      'layer-vs-architecture': 'not supported',
      'accuracy-not-better': 'not supported',
      'later-not-always-better': 'not supported',
    });
  });

  it('never counts random-init runs', () => {
    const clean = analyse(paperLikeRuns());
    // extra repetitions of the VGGs with random-init networks and dreadful scores change the tables, not the claims
    const noisy = [
      ...paperLikeRuns(),
      ...['vgg11', 'vgg16', 'vgg19'].flatMap((n) =>
        [0, 1, 2, 3].flatMap((j) => sr(n, j, [0, 0, 0], { pretrained: false, weightsId: 'random:0', repetition: 5 })),
      ),
    ];
    const an = analyse(noisy);
    expect(byNetwork(an.tables[0]!).vgg16!.weights).toBe('mixed');
    expect(an.meanRanks[0]!.network).not.toBe('vgg16');
    expect(an.claims).toEqual(clean.claims);
    expect(an.claimsExcluded).toBe(36);
    // only random-init runs: nothing to judge
    const random = analyse(paperLikeRuns({ pretrained: false, weightsId: 'random:0' }));
    expect(random.claims.map((c) => c.verdict)).toEqual(['not enough runs', 'not enough runs', 'not enough runs', 'not enough runs']);
    expect(random.claimsExcluded).toBe(168);
  });

  it('says "not enough runs" where the test cannot decide (a quick-preset-sized grid)', () => {
    const runs = grid(['alexnet', 'vgg11', 'squeezenet1_1', 'resnet18'], [0, 1, 2], (i, j) => 20 + i + [0, 2, 1][j]! + 0.1 * ((i + j) % 2));
    const claims = Object.fromEntries(analyse(runs).claims.map((c) => [c.id, c]));
    expect(claims['vgg-without-bn-best']!.verdict).toBe('not enough runs'); // 1 VGG of 4: smallest possible p 0.25
    expect(claims['vgg-without-bn-best']!.statistic).toMatch(/smallest possible p is 0\.250/);
    expect(claims['layer-vs-architecture']!.verdict).not.toBe('not enough runs'); // a 4 × 3 grid can be split
    expect(claims['accuracy-not-better']!.verdict).toBe('not enough runs'); // fewer than 5 networks
    expect(claims['later-not-always-better']!.verdict).toBe('not enough runs'); // no repetitions
  });
});

describe('uncertainty over repetitions', () => {
  it('gives ranks a bootstrap interval with repetitions, and none without', () => {
    const runs = [...sr('alexnet', 0, [10, 12, 14]), ...sr('vgg16', 0, [11, 12, 13]), ...sr('resnet18', 0, [0, 0.1, 0.2])];
    const an = analyse(runs);
    const t = byNetwork(an.tables[0]!);
    expect(t.alexnet!.networkRankInterval).toEqual([1, 2]);
    expect(t.vgg16!.networkRankInterval).toEqual([1, 2]);
    expect(t.resnet18!.networkRankInterval).toEqual([3, 3]);
    expect(t.resnet18!.cells[0]!.rankInterval).toEqual([3, 3]);
    expect(an.meanRanks.find((m) => m.network === 'resnet18')!.interval).toEqual([3, 3]);
    expect(analyse(runs).tables).toEqual(an.tables); // seeded: the same every time

    const once = analyse([...sr('alexnet', 0, [10]), ...sr('vgg16', 0, [11])]);
    expect(once.tables[0]!.rows.map((r) => r.networkRankInterval)).toEqual([null, null]);
    expect(once.meanRanks.map((m) => m.interval)).toEqual([null, null]);
  });
});
