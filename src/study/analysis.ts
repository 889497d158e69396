// The study's analysis (study.md): per benchmark and variant a network × layer
// table of the primary metric (mean over repetitions), ranks, correlations
// between ImageNet top-1 and score, whether deeper layers do better, and each
// network's mean rank across benchmarks. Works on partial results: missing
// cells stay blank and correlations need at least 3 networks. A baseline run
// without a loss network (network 'pixel') gets its row but no rank: it is
// what the loss networks are read against, not one of them.
import { STUDY_NETWORKS } from '../networks.js';
import { averageRanks, pearson, spearman, type Correlation } from './stats.js';
import type { RunRecord } from './store.js';

/** Rows that are baselines, not loss networks: shown, never ranked or correlated. */
export const BASELINE_NETWORKS = ['pixel'];

export interface Cell {
  layers: number[];
  /** Mean of the primary metric over repetitions (finite values only). */
  mean: number;
  std: number;
  n: number;
  /** Rank of this (network, layer) among all cells of the table; 1 = best, ties averaged; NaN for a baseline. */
  rank: number;
  /** 'imagenet', 'random', 'none' (pixel baseline) or 'mixed', from the runs' loss networks. */
  weights: string;
}

export interface Row {
  network: string;
  imagenetTop1: number | null;
  /** One per column; null where no finished run has a value. */
  cells: (Cell | null)[];
  best: { position: number; layers: number[]; mean: number } | null;
  /** Rank of the network at its best layer among the table's networks. */
  networkRank: number | null;
  depth: {
    /** Measured positions (0-based) and whether the best is the deepest measured one. */
    positions: number[];
    bestIsDeepest: boolean | null;
    /** Spearman's rho between depth and goodness (positive: deeper is better), n ≥ 3 layers. */
    rho: number | null;
  };
  weights: string;
}

export interface ScoreTable {
  benchmark: string;
  variant: string;
  metric: string;
  higherIsBetter: boolean;
  /** 'single': columns are layer positions 1..4; 'together': one column, all layers at once. */
  layerMode: 'single' | 'together';
  columns: string[];
  rows: Row[];
  correlations: {
    /** Per column (layer position), across networks: ImageNet top-1 vs score. */
    perPosition: { column: string; spearman: Correlation; pearson: Correlation }[];
    /** Each network at its best layer. */
    best: { spearman: Correlation; pearson: Correlation };
  };
  /** Networks whose best layer is their deepest measured one, out of those with ≥ 2 layers measured. */
  deepestBest: { count: number; of: number; share: number | null };
}

export interface Analysis {
  tables: ScoreTable[];
  /** Mean of each network's best-layer rank over the tables it appears in, best first. */
  meanRanks: { network: string; meanRank: number; tables: number }[];
  runs: { total: number; done: number; failed: number; other: number };
  /** Which weights the finished runs used: counts by 'imagenet' / 'random' / 'none'. */
  weights: Record<string, number>;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

export function analyse(runs: RunRecord[]): Analysis {
  const done = runs.filter((r) => r.status === 'done');
  const groups = new Map<string, RunRecord[]>();
  for (const r of done) {
    const k = `${r.benchmark}\u0000${r.variant}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const tables = [...groups.keys()].sort().map((k) => scoreTable(groups.get(k)!));
  const ranks = new Map<string, number[]>();
  for (const t of tables) for (const row of t.rows) if (row.networkRank !== null) ranks.set(row.network, [...(ranks.get(row.network) ?? []), row.networkRank]);
  const meanRanks = [...ranks].map(([network, rs]) => ({ network, meanRank: mean(rs), tables: rs.length })).sort((a, b) => a.meanRank - b.meanRank || a.network.localeCompare(b.network));
  const weights: Record<string, number> = {};
  for (const r of done) {
    const w = r.pretrained === null ? 'none' : r.pretrained ? 'imagenet' : 'random';
    weights[w] = (weights[w] ?? 0) + 1;
  }
  const failed = runs.filter((r) => r.status === 'failed').length;
  return { tables, meanRanks, runs: { total: runs.length, done: done.length, failed, other: runs.length - done.length - failed }, weights };
}

/** The column of a run's layers: its index among the network's study layers, else its order among the layers seen. */
function positionOf(network: string, layers: number[], seen: number[]): number {
  if (!layers.length) return 0; // a pixel-loss baseline has no layer
  const paper = STUDY_NETWORKS[network]?.layers;
  const i = paper && layers.length === 1 ? paper.indexOf(layers[0]!) : -1;
  return i >= 0 ? i : seen.indexOf(layers[0]!);
}

function scoreTable(runs: RunRecord[]): ScoreTable {
  const first = runs[0]!;
  const sign = first.higherIsBetter ? 1 : -1;
  const layerMode = runs.every((r) => r.layers.length > 1) ? 'together' : 'single';
  const networks = [...new Set(runs.map((r) => r.network))].sort(byStudyOrder);
  const rows: Row[] = networks.map((network) => {
    const own = runs.filter((r) => r.network === network);
    const seen = [...new Set(own.flatMap((r) => r.layers.slice(0, 1)))].sort((a, b) => a - b);
    const byPos = new Map<number, RunRecord[]>();
    for (const r of own) {
      const pos = layerMode === 'together' ? 0 : positionOf(network, r.layers, seen);
      byPos.set(pos, [...(byPos.get(pos) ?? []), r]);
    }
    const width = Math.max(0, ...byPos.keys()) + 1;
    const cells: (Cell | null)[] = Array.from({ length: width }, (_, pos) => {
      const rs = byPos.get(pos) ?? [];
      const values = rs.map((r) => r.metrics[first.primaryMetric]).filter((v): v is number => v !== undefined && Number.isFinite(v));
      if (!values.length) return null;
      const m = mean(values);
      const std = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1)) : 0;
      return { layers: rs[0]!.layers, mean: m, std, n: values.length, rank: NaN, weights: weightsOf(rs) };
    });
    return {
      network,
      imagenetTop1: STUDY_NETWORKS[network]?.imagenetTop1 ?? null,
      cells,
      best: null,
      networkRank: null,
      depth: { positions: [], bestIsDeepest: null, rho: null },
      weights: weightsOf(own),
    };
  });
  const width = Math.max(1, ...rows.map((r) => r.cells.length));
  for (const row of rows) while (row.cells.length < width) row.cells.push(null);

  // Ranks of every (network, layer) cell of the loss networks; rank 1 is the best score.
  const lossNetworks = rows.filter((row) => !BASELINE_NETWORKS.includes(row.network));
  const all = lossNetworks.flatMap((row) => row.cells.filter((c): c is Cell => c !== null));
  averageRanks(all.map((c) => c.mean), first.higherIsBetter).forEach((rank, i) => (all[i]!.rank = rank));

  for (const row of rows) {
    const measured = row.cells.map((c, pos) => ({ c, pos })).filter((x): x is { c: Cell; pos: number } => x.c !== null);
    if (!measured.length) continue;
    const best = measured.reduce((a, b) => (sign * b.c.mean > sign * a.c.mean ? b : a));
    row.best = { position: best.pos, layers: best.c.layers, mean: best.c.mean };
    const positions = measured.map((m) => m.pos);
    const rho = spearman(positions, measured.map((m) => sign * m.c.mean)).r;
    row.depth = { positions, bestIsDeepest: positions.length >= 2 ? best.pos === Math.max(...positions) : null, rho };
  }
  const ranked = lossNetworks.filter((r) => r.best);
  averageRanks(ranked.map((r) => r.best!.mean), first.higherIsBetter).forEach((rank, i) => (ranked[i]!.networkRank = rank));

  const columns = layerMode === 'together' ? ['all layers'] : Array.from({ length: width }, (_, i) => `layer ${i + 1}`);
  const correlate = (pairs: { x: number; y: number }[]) => ({
    spearman: spearman(pairs.map((p) => p.x), pairs.map((p) => p.y)),
    pearson: pearson(pairs.map((p) => p.x), pairs.map((p) => p.y)),
  });
  const withTop1 = rows.filter((r) => r.imagenetTop1 !== null);
  const perPosition = columns.map((column, pos) => ({
    column,
    ...correlate(withTop1.filter((r) => r.cells[pos]).map((r) => ({ x: r.imagenetTop1!, y: r.cells[pos]!.mean }))),
  }));
  const bestCorrelation = correlate(withTop1.filter((r) => r.best).map((r) => ({ x: r.imagenetTop1!, y: r.best!.mean })));
  const judged = rows.filter((r) => r.depth.bestIsDeepest !== null);
  const count = judged.filter((r) => r.depth.bestIsDeepest).length;
  return {
    benchmark: first.benchmark,
    variant: first.variant,
    metric: first.primaryMetric,
    higherIsBetter: first.higherIsBetter,
    layerMode,
    columns,
    rows,
    correlations: { perPosition, best: bestCorrelation },
    deepestBest: { count, of: judged.length, share: judged.length ? count / judged.length : null },
  };
}

function weightsOf(runs: RunRecord[]): string {
  const kinds = new Set(runs.map((r) => (r.pretrained === null ? 'none' : r.pretrained ? 'imagenet' : 'random')));
  return kinds.size === 1 ? [...kinds][0]! : 'mixed';
}

const STUDY_ORDER = Object.keys(STUDY_NETWORKS);
function byStudyOrder(a: string, b: string): number {
  const ia = STUDY_ORDER.indexOf(a), ib = STUDY_ORDER.indexOf(b);
  return (ia < 0 ? 1e9 : ia) - (ib < 0 ? 1e9 : ib) || a.localeCompare(b);
}
