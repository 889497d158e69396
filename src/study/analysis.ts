// The study's analysis (study.md), answering its questions from results it can
// trust. Per configuration and variant: a network × layer table of the primary
// metric (mean over repetitions), ranks with their bootstrap spread, the pixel
// baseline as a reference, correlations between ImageNet top-1 and score,
// whether deeper layers do better, and the layer-vs-network variance split.
// Across benchmarks (one configuration each): mean ranks, families, vgg16 vs
// vgg16_bn, and the claims table, the claims from ImageNet-weight runs only.
// Works on partial results: missing cells stay blank.
import { STUDY_NETWORKS } from '../networks.js';
import { bootstrap, BOOTSTRAP_DRAWS, percentileInterval } from './bootstrap.js';
import { claimsOf, type Claim } from './claims.js';
import { sortColumns, columnOf, type Column, type LayerMode } from './columns.js';
import { configurationId, describeConfigurations, layerModeOf, type Configuration } from './configurations.js';
import { familiesOf, familyOf, vggBnOf, type FamilySummary, type VggBnComparison } from './families.js';
import { averageRanks, pearson, spearman, type Correlation } from './stats.js';
import type { RunRecord } from './store.js';
import { varianceSplit, VARIANCE_METHOD, type VarianceSplit } from './variance.js';

export type { Column, LayerMode } from './columns.js';
export type { Configuration } from './configurations.js';

export interface Cell {
  layers: number[];
  /** Mean of the primary metric over repetitions (finite values only), their sample sd and count. */
  mean: number;
  std: number;
  n: number;
  values: number[];
  /** Rank of this (network, layer) among the table's network cells; 1 = best, ties averaged. */
  rank: number;
  /** 95% bootstrap interval of the rank over repetitions; null without repetitions. */
  rankInterval: [number, number] | null;
  /** 'imagenet', 'random' or 'mixed', from the runs' loss networks. */
  weights: string;
}

export interface Row {
  network: string;
  family: string;
  imagenetTop1: number | null;
  /** One per column of the table; null where no finished run has a value. */
  cells: (Cell | null)[];
  /** The best cell: its column index, layers and mean. */
  best: { column: number; layers: number[]; mean: number } | null;
  /** Rank of the network at its best layer among the table's networks, and its bootstrap interval. */
  networkRank: number | null;
  networkRankInterval: [number, number] | null;
  /** How far the best cell is above the pixel-loss baseline, in the metric's units (positive: better than pixel). */
  abovePixel: number | null;
  depth: {
    /** Depths of the measured cells (study positions 0..3) and whether the best is the deepest. */
    depths: number[];
    bestIsDeepest: boolean | null;
    /** Spearman's rho between depth and goodness (positive: deeper is better), n ≥ 3 layers. */
    rho: number | null;
  };
  weights: string;
}

export interface Reference {
  mean: number;
  std: number;
  n: number;
  values: number[];
}

export interface ScoreTable {
  configuration: string;
  benchmark: string;
  variant: string;
  metric: string;
  higherIsBetter: boolean;
  layerMode: LayerMode;
  columns: Column[];
  rows: Row[];
  /** The pixel-loss baseline: a reference line, not a ranked network. */
  pixel: Reference | null;
  /** Whether any cell has repetitions (then ranks have bootstrap intervals). */
  repetitions: boolean;
  correlations: {
    /** Per study column, across networks: ImageNet top-1 vs score. */
    perPosition: { column: string; spearman: Correlation; pearson: Correlation }[];
    /** Each network at its best layer. */
    best: { spearman: Correlation; pearson: Correlation };
  };
  /** Networks whose best layer is their deepest measured one, out of those with ≥ 2 layers measured. */
  deepestBest: { count: number; of: number; share: number | null };
  /** Layer against network (single-layer tables), or why there is none. */
  variance: VarianceSplit | { reason: string };
}

export interface MeanRank {
  network: string;
  family: string;
  /** Mean over benchmarks of the network's rank at its best layer, each benchmark's variants averaged first. */
  meanRank: number;
  benchmarks: number;
  perBenchmark: Record<string, number>;
  /** 95% bootstrap interval over repetitions; null without repetitions. */
  interval: [number, number] | null;
}

export interface Analysis {
  configurations: Configuration[];
  tables: ScoreTable[];
  /** Over the primary configurations, best first. */
  meanRanks: MeanRank[];
  families: FamilySummary[];
  vggBn: VggBnComparison[];
  /** The variance split averaged per benchmark (over variants), then over benchmarks. */
  variance: {
    perBenchmark: { benchmark: string; network: number; layer: number; tables: number }[];
    network: number | null;
    layer: number | null;
  };
  claims: Claim[];
  /** Finished runs with random-init loss networks, which no claim counts. */
  claimsExcluded: number;
  /** Methods and rules, named for the report. */
  methods: Record<string, string>;
  runs: { total: number; done: number; failed: number; other: number };
  /** Which weights the finished runs used: counts by 'imagenet' / 'random' / 'none'. */
  weights: Record<string, number>;
}

export interface AnalyseOptions {
  /** Configurations (ids or config-hash prefixes) for the summaries across benchmarks; default: per benchmark the one with the most finished runs. */
  primary?: string[];
  /** Bootstrap draws (default 1000; 0: no intervals). */
  draws?: number;
}

export const METHODS = {
  grouping:
    'runs are repetitions of each other only within one configuration (benchmark, config hash of the resolved options and weights policy, layer mode) and variant',
  ranks: 'rank 1 = best; ties share their average rank; a network ranks at its best layer; the pixel baseline is a reference, never ranked',
  meanRank: "a network's ranks are averaged over a benchmark's variants first, then over benchmarks, so every benchmark weighs the same",
  uncertainty: `95% percentile intervals from ${BOOTSTRAP_DRAWS} bootstrap draws, each cell's repetitions resampled with replacement`,
  correlation: "Spearman's rho and Pearson's r, two-sided p from the t distribution with n − 2 df",
  variance: VARIANCE_METHOD,
  claims: 'claims use ImageNet-weight runs of the primary configurations only; random-init runs never count; α = 0.05',
};

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const weightOf = (r: RunRecord): string => (r.pretrained === null ? 'none' : r.pretrained ? 'imagenet' : 'random');

export function analyse(runs: RunRecord[], options: AnalyseOptions = {}): Analysis {
  const done = runs.filter((r) => r.status === 'done');
  const draws = options.draws ?? BOOTSTRAP_DRAWS;
  const all = summarise(done, options.primary, draws);
  // The claims see only runs whose loss network had ImageNet weights (and the pixel baseline), in the same configurations.
  const primaryIds = all.configurations.filter((c) => c.primary).map((c) => c.id);
  const trusted = done.filter((r) => r.pretrained === true || r.network === 'pixel');
  const claims = claimsOf(
    summarise(
      trusted.filter((r) => primaryIds.includes(configurationId(r))),
      undefined,
      draws,
    ),
  );
  const weights: Record<string, number> = {};
  for (const r of done) weights[weightOf(r)] = (weights[weightOf(r)] ?? 0) + 1;
  const failed = runs.filter((r) => r.status === 'failed').length;
  const { rankDraws: _r, meanRankDraws: _m, ...tables } = all;
  return {
    ...tables,
    claims,
    claimsExcluded: done.filter((r) => r.pretrained === false).length,
    methods: METHODS,
    runs: { total: runs.length, done: done.length, failed, other: runs.length - done.length - failed },
    weights,
  };
}

export type Summary = Omit<Analysis, 'claims' | 'claimsExcluded' | 'methods' | 'runs' | 'weights'> & {
  /** Per table, per bootstrap draw, each row's network rank (empty without repetitions). */
  rankDraws: Map<ScoreTable, (number | null)[][]>;
  meanRankDraws: Map<string, number>[];
};

/** Tables and the summaries across benchmarks, for one set of finished runs. */
export function summarise(done: RunRecord[], primary: string[] | undefined, draws: number): Summary {
  const configurations = describeConfigurations(done, primary);
  const groups = new Map<string, RunRecord[]>();
  for (const r of done) {
    const k = `${configurationId(r)}\u0000${r.variant}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const rankDraws = new Map<ScoreTable, (number | null)[][]>();
  const tables = configurations.flatMap((c) =>
    c.variants.flatMap((variant) => {
      const built = scoreTable(c.id, groups.get(`${c.id}\u0000${variant}`)!, draws);
      if (!built) return [];
      rankDraws.set(built.table, built.rankDraws);
      return [built.table];
    }),
  );
  const primaryTables = tables.filter((t) => configurations.find((c) => c.id === t.configuration)!.primary);
  const { meanRanks, meanRankDraws } = meanRanksOf(primaryTables, rankDraws);
  const families = familiesOf(meanRanks, primaryTables);
  const vggBn = vggBnOf(primaryTables);
  return { configurations, tables, meanRanks, families, vggBn, variance: varianceAcross(primaryTables), rankDraws, meanRankDraws };
}

function sample(values: number[]): Reference {
  const m = mean(values);
  const std = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1)) : 0;
  return { mean: m, std, n: values.length, values };
}

/** Each row's best cell (column index) and the network ranks, from one set of cell means. */
function rankNetworks(means: (number | null)[][], higherIsBetter: boolean): { best: (number | null)[]; ranks: (number | null)[] } {
  const sign = higherIsBetter ? 1 : -1;
  const best = means.map((row) =>
    row.reduce<number | null>((b, v, j) => (v !== null && (b === null || sign * v > sign * row[b]!) ? j : b), null),
  );
  const measured = best.map((b, i) => (b === null ? null : means[i]![b]!));
  const have = measured.flatMap((v, i) => (v === null ? [] : [i]));
  const ranks: (number | null)[] = measured.map(() => null);
  averageRanks(
    have.map((i) => measured[i]!),
    higherIsBetter,
  ).forEach((r, k) => (ranks[have[k]!] = r));
  return { best, ranks };
}

function scoreTable(configuration: string, runs: RunRecord[], draws: number): { table: ScoreTable; rankDraws: (number | null)[][] } | null {
  const first = runs[0]!;
  const sign = first.higherIsBetter ? 1 : -1;
  const layerMode = layerModeOf(first);
  const valueOf = (r: RunRecord) => r.metrics[first.primaryMetric];
  const finite = (rs: RunRecord[]) => rs.map(valueOf).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const pixelValues = finite(runs.filter((r) => r.network === 'pixel'));
  const own = runs.filter((r) => r.network !== 'pixel');
  const columns = sortColumns(own.map((r) => columnOf(r.network, r.layers, layerMode)));
  const networks = [...new Set(own.map((r) => r.network))].sort(byStudyOrder);
  const rows: Row[] = networks.map((network) => {
    const mine = own.filter((r) => r.network === network);
    const cells = columns.map((col): Cell | null => {
      const rs = mine.filter((r) => columnOf(network, r.layers, layerMode).key === col.key);
      const values = finite(rs);
      if (!values.length) return null;
      const kinds = new Set(rs.map(weightOf));
      return {
        layers: rs[0]!.layers,
        ...sample(values),
        rank: NaN,
        rankInterval: null,
        weights: kinds.size === 1 ? [...kinds][0]! : 'mixed',
      };
    });
    const kinds = new Set(mine.map(weightOf));
    return {
      network,
      family: familyOf(network),
      imagenetTop1: STUDY_NETWORKS[network]?.imagenetTop1 ?? null,
      cells,
      best: null,
      networkRank: null,
      networkRankInterval: null,
      abovePixel: null,
      depth: { depths: [], bestIsDeepest: null, rho: null },
      weights: kinds.size === 1 ? [...kinds][0]! : 'mixed',
    };
  });
  if (!rows.some((r) => r.cells.some((c) => c)) && !pixelValues.length) return null;
  const pixel = pixelValues.length ? sample(pixelValues) : null;

  // Point ranks of every cell and network.
  const cells = rows.flatMap((row) => row.cells.filter((c): c is Cell => c !== null));
  averageRanks(
    cells.map((c) => c.mean),
    first.higherIsBetter,
  ).forEach((rank, i) => (cells[i]!.rank = rank));
  const point = rankNetworks(
    rows.map((r) => r.cells.map((c) => c?.mean ?? null)),
    first.higherIsBetter,
  );
  rows.forEach((row, i) => {
    const b = point.best[i];
    if (b === null || b === undefined) return;
    const cell = row.cells[b]!;
    row.best = { column: b, layers: cell.layers, mean: cell.mean };
    row.networkRank = point.ranks[i]!;
    row.abovePixel = pixel ? sign * (cell.mean - pixel.mean) : null;
    const measured = row.cells.flatMap((c, j) => (c ? [{ c, depth: columns[j]!.depth }] : []));
    const depths = measured.map((m) => m.depth);
    const rho = spearman(
      depths,
      measured.map((m) => sign * m.c.mean),
    ).r;
    row.depth = { depths, bestIsDeepest: depths.length >= 2 ? columns[b]!.depth === Math.max(...depths) : null, rho };
  });

  // Spread of the ranks over repetitions.
  const repetitions = cells.some((c) => c.n > 1);
  const rankDraws: (number | null)[][] = [];
  if (repetitions && draws > 0) {
    const cellRanks: number[][] = cells.map(() => []);
    const where = rows.flatMap((row, i) => row.cells.flatMap((c, j) => (c ? [{ i, j }] : [])));
    for (const d of bootstrap(
      cells.map((c) => c.values),
      (means) => means.slice(),
      draws,
    )) {
      averageRanks(d, first.higherIsBetter).forEach((r, k) => cellRanks[k]!.push(r));
      const grid: (number | null)[][] = rows.map((row) => row.cells.map(() => null));
      where.forEach(({ i, j }, k) => (grid[i]![j] = d[k]!));
      rankDraws.push(rankNetworks(grid, first.higherIsBetter).ranks);
    }
    cells.forEach((c, k) => (c.rankInterval = percentileInterval(cellRanks[k]!)));
    rows.forEach((row, i) => {
      if (row.networkRank !== null) row.networkRankInterval = percentileInterval(rankDraws.map((d) => d[i]!));
    });
  }

  const correlate = (pairs: { x: number; y: number }[]) => ({
    spearman: spearman(
      pairs.map((p) => p.x),
      pairs.map((p) => p.y),
    ),
    pearson: pearson(
      pairs.map((p) => p.x),
      pairs.map((p) => p.y),
    ),
  });
  const withTop1 = rows.filter((r) => r.imagenetTop1 !== null);
  const studyColumns = columns.flatMap((c, j) => (c.study ? [j] : []));
  const perPosition = studyColumns.map((j) => ({
    column: columns[j]!.label,
    ...correlate(withTop1.filter((r) => r.cells[j]).map((r) => ({ x: r.imagenetTop1!, y: r.cells[j]!.mean }))),
  }));
  const judged = rows.filter((r) => r.depth.bestIsDeepest !== null);
  const count = judged.filter((r) => r.depth.bestIsDeepest).length;
  const variance =
    layerMode === 'single'
      ? varianceSplit(
          rows.map((r) => r.network),
          studyColumns.map((j) => columns[j]!.label),
          rows.map((r) => studyColumns.map((j) => r.cells[j]?.mean ?? null)),
        )
      : { reason: 'all layers run together: no layer factor' };
  const table: ScoreTable = {
    configuration,
    benchmark: first.benchmark,
    variant: first.variant,
    metric: first.primaryMetric,
    higherIsBetter: first.higherIsBetter,
    layerMode,
    columns,
    rows,
    pixel,
    repetitions,
    correlations: { perPosition, best: correlate(withTop1.filter((r) => r.best).map((r) => ({ x: r.imagenetTop1!, y: r.best!.mean }))) },
    deepestBest: { count, of: judged.length, share: judged.length ? count / judged.length : null },
    variance,
  };
  return { table, rankDraws };
}

/** Per network: ranks averaged over each benchmark's tables (variants), then over benchmarks. */
function meanRankOf(
  tables: ScoreTable[],
  rankOf: (t: ScoreTable, i: number) => number | null,
): Map<string, { mean: number; per: Record<string, number> }> {
  const per = new Map<string, Map<string, number[]>>();
  for (const t of tables) {
    t.rows.forEach((row, i) => {
      const r = rankOf(t, i);
      if (r === null) return;
      const byBenchmark = per.get(row.network) ?? new Map<string, number[]>();
      byBenchmark.set(t.benchmark, [...(byBenchmark.get(t.benchmark) ?? []), r]);
      per.set(row.network, byBenchmark);
    });
  }
  return new Map(
    [...per].map(([network, byBenchmark]) => {
      const perBenchmark = Object.fromEntries([...byBenchmark].map(([b, rs]) => [b, mean(rs)]));
      return [network, { mean: mean(Object.values(perBenchmark)), per: perBenchmark }];
    }),
  );
}

function meanRanksOf(
  tables: ScoreTable[],
  rankDraws: Map<ScoreTable, (number | null)[][]>,
): { meanRanks: MeanRank[]; meanRankDraws: Map<string, number>[] } {
  const point = meanRankOf(tables, (t, i) => t.rows[i]!.networkRank);
  const n = Math.max(0, ...tables.map((t) => rankDraws.get(t)!.length));
  const meanRankDraws: Map<string, number>[] = [];
  for (let d = 0; d < n; d++) {
    // Tables without repetitions keep their point ranks in every draw.
    const m = meanRankOf(tables, (t, i) => rankDraws.get(t)![d]?.[i] ?? t.rows[i]!.networkRank);
    meanRankDraws.push(new Map([...m].map(([k, v]) => [k, v.mean])));
  }
  const meanRanks = [...point]
    .map(([network, v]) => ({
      network,
      family: familyOf(network),
      meanRank: v.mean,
      benchmarks: Object.keys(v.per).length,
      perBenchmark: v.per,
      interval: n ? percentileInterval(meanRankDraws.map((d) => d.get(network)!)) : null,
    }))
    .sort((a, b) => a.meanRank - b.meanRank || a.network.localeCompare(b.network));
  return { meanRanks, meanRankDraws };
}

function varianceAcross(tables: ScoreTable[]): Analysis['variance'] {
  const byBenchmark = new Map<string, VarianceSplit[]>();
  for (const t of tables) if ('layer' in t.variance) byBenchmark.set(t.benchmark, [...(byBenchmark.get(t.benchmark) ?? []), t.variance]);
  const perBenchmark = [...byBenchmark].map(([benchmark, vs]) => ({
    benchmark,
    network: mean(vs.map((v) => v.network)),
    layer: mean(vs.map((v) => v.layer)),
    tables: vs.length,
  }));
  return {
    perBenchmark,
    network: perBenchmark.length ? mean(perBenchmark.map((p) => p.network)) : null,
    layer: perBenchmark.length ? mean(perBenchmark.map((p) => p.layer)) : null,
  };
}

const STUDY_ORDER = Object.keys(STUDY_NETWORKS);
function byStudyOrder(a: string, b: string): number {
  const ia = STUDY_ORDER.indexOf(a),
    ib = STUDY_ORDER.indexOf(b);
  return (ia < 0 ? 1e9 : ia) - (ib < 0 ? 1e9 : ib) || a.localeCompare(b);
}
