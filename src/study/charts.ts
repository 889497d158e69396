// The report's charts: vega-lite specs compiled to vega and rendered to SVG in
// Node (no browser, no canvas: vega's headless 'none' renderer).
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Analysis, ScoreTable } from './analysis.js';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const metricTitle = (t: ScoreTable): string => `${t.metric} (${t.higherIsBetter ? 'higher' : 'lower'} is better)`;

/** Score against layer (shallow → deep), one line per network (a bar per network when layers run together); the pixel baseline as a rule. */
export function scoreByLayerSpec(t: ScoreTable): TopLevelSpec {
  const values = t.rows.flatMap((row) =>
    row.cells.flatMap((c, j) =>
      c ? [{ network: row.network, position: t.columns[j]!.label, layers: c.layers.join(','), score: c.mean }] : [],
    ),
  );
  const pixel = t.pixel
    ? [
        {
          mark: { type: 'rule' as const, strokeDash: [6, 4], color: '#555' },
          data: { values: [{ pixel: t.pixel.mean }] },
          encoding: { y: { field: 'pixel', type: 'quantitative' as const } },
        },
      ]
    : [];
  const y = { field: 'score', type: 'quantitative' as const, title: metricTitle(t), scale: { zero: false } };
  if (t.layerMode === 'together') {
    return {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: {
        text: `${t.benchmark} ${t.variant}: score per network (all layers together)`,
        subtitle: t.pixel ? `dashed: pixel loss ${t.pixel.mean.toFixed(4)}` : '',
      },
      data: { values },
      layer: [{ mark: 'bar', encoding: { x: { field: 'network', type: 'nominal', sort: '-y', title: 'loss network' }, y } }, ...pixel],
      width: 420,
      height: 240,
    };
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${t.benchmark} ${t.variant}: score against layer`,
      subtitle: t.pixel ? `dashed: pixel loss ${t.pixel.mean.toFixed(4)}` : '',
    },
    data: { values },
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'position', type: 'ordinal', title: 'layer (shallow → deep)', sort: t.columns.map((c) => c.label) },
          y,
          color: { field: 'network', type: 'nominal', title: 'loss network' },
          tooltip: [{ field: 'network' }, { field: 'layers' }, { field: 'score', format: '.4f' }],
        },
      },
      ...pixel,
    ],
    width: 420,
    height: 260,
  };
}

const fmt = (v: number | null, digits = 3): string => (v === null ? 'n/a' : v.toFixed(digits));

/** Score against ImageNet top-1 per network, at each layer position and at its best layer. */
export function scoreVsAccuracySpec(t: ScoreTable): TopLevelSpec {
  const values = t.rows
    .filter((r) => r.imagenetTop1 !== null)
    .flatMap((row) => [
      ...row.cells.flatMap((c, j) =>
        c && t.columns[j]!.study ? [{ network: row.network, top1: row.imagenetTop1, score: c.mean, series: t.columns[j]!.label }] : [],
      ),
      ...(row.best && t.columns.length > 1
        ? [{ network: row.network, top1: row.imagenetTop1, score: row.best.mean, series: 'best layer' }]
        : []),
    ]);
  const c = t.correlations.best;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${t.benchmark} ${t.variant}: score against ImageNet top-1`,
      subtitle: `best layer: Spearman rho ${fmt(c.spearman.r)} (p ${fmt(c.spearman.p)}), Pearson r ${fmt(c.pearson.r)} (p ${fmt(c.pearson.p)}), n ${c.spearman.n}`,
    },
    data: { values },
    mark: { type: 'point', filled: true, size: 60 },
    encoding: {
      x: { field: 'top1', type: 'quantitative', title: 'ImageNet top-1 (%)', scale: { zero: false } },
      y: { field: 'score', type: 'quantitative', title: metricTitle(t), scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: 'layer' },
      shape: { field: 'series', type: 'nominal' },
      tooltip: [{ field: 'network' }, { field: 'series' }, { field: 'score', format: '.4f' }],
    },
    width: 420,
    height: 260,
  };
}

/** Rank of every (network, layer) cell of one table: 1 is the best. */
export function rankHeatmapSpec(t: ScoreTable): TopLevelSpec {
  const values = t.rows.flatMap((row) =>
    row.cells.flatMap((c, j) => (c ? [{ network: row.network, position: t.columns[j]!.label, rank: c.rank }] : [])),
  );
  return heatmap(
    `${t.benchmark} ${t.variant}: rank of each network and layer (1 = best)`,
    values,
    'position',
    t.columns.map((c) => c.label),
    t.rows.map((r) => r.network),
  );
}

/** Each network's rank at its best layer per benchmark (variants averaged), in the primary configurations. */
export function meanRankHeatmapSpec(a: Analysis): TopLevelSpec {
  const values = a.meanRanks.flatMap((m) =>
    Object.entries(m.perBenchmark).map(([benchmark, rank]) => ({ network: m.network, position: benchmark, rank })),
  );
  const networks = a.meanRanks.map((m) => m.network);
  return heatmap(
    'rank of each network at its best layer, per benchmark, variants averaged (1 = best)',
    values,
    'position',
    [...new Set(values.map((v) => v.position))],
    networks,
  );
}

function heatmap(
  title: string,
  values: { network: string; position: string; rank: number }[],
  x: string,
  xs: string[],
  ys: string[],
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    encoding: {
      x: { field: x, type: 'ordinal', sort: xs, title: null },
      y: { field: 'network', type: 'ordinal', sort: ys, title: 'loss network' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: { color: { field: 'rank', type: 'quantitative', scale: { scheme: 'viridis', reverse: true }, title: 'rank' } },
      },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: { text: { field: 'rank', type: 'quantitative', format: '.1~f' }, color: { value: 'white' } },
      },
    ],
    width: Math.max(120, 60 * xs.length),
    height: Math.max(60, 18 * ys.length),
  };
}
