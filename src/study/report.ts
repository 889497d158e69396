// The study report: one self-contained HTML page (tables, vega-lite charts as
// inline SVG, sample images as data URIs), a Markdown summary, and CSV/JSON of
// the results and the analysis. It always says which weights each result used.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { analyse, type AnalyseOptions, type Analysis, type Cell, type Column, type ScoreTable } from './analysis.js';
import { configurationId, type Configuration } from './configurations.js';
import { meanRankHeatmapSpec, rankHeatmapSpec, renderSvg, scoreByLayerSpec, scoreVsAccuracySpec } from './charts.js';
import { csvCell, exportResults, type RunRecord } from './store.js';
import type { Correlation } from './stats.js';
import { provenance } from './provenance.js';
import type { VarianceSplit } from './variance.js';
import { readResults } from './study.js';

export interface ReportFiles {
  html: string;
  markdown: string;
  csv: string;
  json: string;
  tablesCsv: string;
  analysisJson: string;
}

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const num = (v: number | null | undefined, d = 4): string => (v === null || v === undefined || !Number.isFinite(v) ? '' : v.toFixed(d));
const pText = (p: number | null): string => (p === null ? '' : p < 1e-4 ? p.toExponential(2) : p.toPrecision(3));
const corr = (c: Correlation): string =>
  c.r === null
    ? `n/a (${c.n < 3 ? `needs 3 networks, has ${c.n}` : `no variation, n = ${c.n}`})`
    : `${c.r.toFixed(3)} (p = ${pText(c.p)}, n = ${c.n})`;
const interval = (i: [number, number] | null, d = 1): string => (i ? ` [${num(i[0], d)}–${num(i[1], d)}]` : '');
const cellText = (c: Cell | null): string =>
  c ? `${num(c.mean)}${c.n > 1 ? ` ± ${num(c.std, 3)}` : ''} (rank ${num(c.rank, 1)}${interval(c.rankInterval)})` : '';
const columnHead = (t: ScoreTable, c: Column): string => (t.layerMode === 'single' && c.study ? `${c.label} (study)` : c.label);
const share = (v: number | null): string => (v === null ? 'n/a' : `${(100 * v).toFixed(1)}%`);
const weightsCell = (w: string): string => (w === 'random' || w === 'mixed' ? `<strong class="random">${esc(w)}</strong>` : esc(w));

/** A sentence on the weights behind the results, loud when any used random weights. */
export function weightsStatement(a: Analysis): { text: string; random: boolean } {
  const w = a.weights;
  const random = (w.random ?? 0) > 0;
  const parts = Object.entries(w).map(
    ([k, n]) =>
      `${n} run${n === 1 ? '' : 's'} with ${k === 'none' ? 'no loss network (pixel baseline)' : `${k === 'imagenet' ? 'ImageNet' : 'RANDOM-INIT'} loss-network weights`}`,
  );
  const text = random
    ? `WARNING: ${w.random} finished run(s) used RANDOM-INIT loss networks, not ImageNet weights: their scores say nothing about pretrained loss networks, and no claim counts them. ` +
      'Export ImageNet weights (`npx dpl-torch export-networks --weights imagenet`) and run again for meaningful numbers. '
    : '';
  return { text: text + (parts.length ? `Finished runs: ${parts.join('; ')}.` : 'No finished runs yet.'), random };
}

const differsText = (c: Configuration): string =>
  Object.entries(c.differs)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join(', ') || '(the only one of its benchmark)';

function configurationsHtml(a: Analysis): string {
  const several = [...new Set(a.configurations.map((c) => c.benchmark))].filter(
    (b) => a.configurations.filter((c) => c.benchmark === b).length > 1,
  );
  return `<h2>Configurations</h2>
<p>${several.length ? `This folder holds more than one configuration of ${esc(several.join(', '))}: their runs are never averaged together; each has its own tables, and the summaries across benchmarks use the one marked (choose with <code>dpl-torch report DIR --config ID</code>).` : 'One configuration per benchmark.'}</p>
<table class="configurations"><thead><tr><th>configuration</th><th>benchmark</th><th>layer mode</th><th>variants</th><th>finished runs</th><th>differs in</th><th>in summaries</th></tr></thead>
<tbody>${a.configurations.map((c) => `<tr data-configuration="${esc(c.id)}"><td><code>${esc(c.id)}</code></td><td>${esc(c.benchmark)}</td><td>${esc(c.layerMode)}</td><td>${esc(c.variants.join(', '))}</td><td>${c.done}</td><td>${esc(differsText(c))}</td><td>${c.primary ? 'yes' : 'no'}</td></tr>`).join('\n')}</tbody></table>`;
}

function claimsHtml(a: Analysis): string {
  return `<h2>The study's claims in these results</h2>
<p>Computed from ImageNet-weight runs of the configurations in the summaries${a.claimsExcluded ? `; ${a.claimsExcluded} random-init run(s) left out` : ''}. Each verdict follows the rule shown under its claim (α = 0.05).</p>
<table class="claims"><thead><tr><th>claim</th><th>statistic</th><th>p</th><th>spread over repetitions</th><th>n</th><th>verdict</th></tr></thead>
<tbody>${a.claims.map((c) => `<tr data-claim="${esc(c.id)}"><td>${esc(c.claim)}<br><small>${esc(c.rule)}</small></td><td>${esc(c.statistic)}</td><td>${esc(pText(c.p))}</td><td>${esc(c.spread ?? '')}</td><td>${esc(c.n)}</td><td class="verdict">${esc(c.verdict)}</td></tr>`).join('\n')}</tbody></table>`;
}

function meanRanksHtml(a: Analysis): string {
  if (!a.meanRanks.length) return '';
  const benchmarks = [...new Set(a.meanRanks.flatMap((m) => Object.keys(m.perBenchmark)))].sort();
  return `<h2>Mean rank across benchmarks</h2>
<p>${esc(a.methods.meanRank)}. Bracketed: ${esc(a.methods.uncertainty)}.</p>
<table class="mean-ranks"><thead><tr><th>network</th><th>family</th><th>mean rank at best layer</th><th>benchmarks</th>${benchmarks.map((b) => `<th>${esc(b)}</th>`).join('')}</tr></thead>
<tbody>${a.meanRanks.map((m) => `<tr><td>${esc(m.network)}</td><td>${esc(m.family)}</td><td>${num(m.meanRank, 2)}${interval(m.interval, 2)}</td><td>${m.benchmarks}</td>${benchmarks.map((b) => `<td>${num(m.perBenchmark[b], 2)}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`;
}

function varianceHtml(a: Analysis): string {
  const splits = a.tables.filter((t) => 'layer' in t.variance);
  return `<h2>Layer against architecture</h2>
<p>Method: ${esc(a.methods.variance)}. Over all benchmarks (each benchmark's variants averaged first): layer ${share(a.variance.layer)}, network ${share(a.variance.network)} of the score variance.</p>
<table class="variance"><thead><tr><th>table</th><th>grid</th><th>network share</th><th>p (network)</th><th>layer share</th><th>p (layer)</th><th>residual</th><th>left out</th></tr></thead>
<tbody>${splits
    .map((t) => {
      const v = t.variance as VarianceSplit;
      return `<tr><td>${esc(`${t.benchmark} · ${t.variant}`)} <code>${esc(t.configuration)}</code></td><td>${v.networks.length} networks × ${esc(v.positions.join(', '))}</td><td>${share(v.network)}</td><td>${esc(pText(v.pNetwork))}</td><td>${share(v.layer)}</td><td>${esc(pText(v.pLayer))}</td><td>${share(v.residual)}</td><td>${esc(v.leftOut.join(', '))}</td></tr>`;
    })
    .join('\n')}</tbody></table>
${a.tables
  .filter((t) => !('layer' in t.variance))
  .map((t) => `<p>${esc(`${t.benchmark} · ${t.variant}`)}: no split (${esc((t.variance as { reason: string }).reason)}).</p>`)
  .join('\n')}`;
}

function familiesHtml(a: Analysis): string {
  if (!a.families.length) return '';
  const best = (f: Analysis['families'][number]) =>
    f.best.map((b) => `${b.benchmark} ${b.variant}: ${b.network} ${b.column} (${num(b.mean)})`).join('; ');
  return `<h2>Families</h2>
<table class="families"><thead><tr><th>family</th><th>networks</th><th>mean rank</th><th>best cell per table</th></tr></thead>
<tbody>${a.families.map((f) => `<tr><td>${esc(f.family)}</td><td>${esc(f.networks.join(', '))}</td><td>${num(f.meanRank, 2)}</td><td>${esc(best(f))}</td></tr>`).join('\n')}</tbody></table>
${
  a.vggBn.length
    ? `<h3>vgg16 against vgg16_bn</h3>
<table class="vgg-bn"><thead><tr><th>table</th><th>vgg16 best</th><th>vgg16_bn best</th><th>difference (positive: without BN better)</th><th>p (Welch, one-sided)</th><th>at the same study layers</th></tr></thead>
<tbody>${a.vggBn.map((c) => `<tr><td>${esc(`${c.benchmark} · ${c.variant}`)}</td><td>${esc(`${num(c.vgg16.mean)} (${c.vgg16.column}, n ${c.vgg16.n})`)}</td><td>${esc(`${num(c.vgg16_bn.mean)} (${c.vgg16_bn.column}, n ${c.vgg16_bn.n})`)}</td><td>${num(c.difference)}</td><td>${esc(c.p === null ? 'needs repetitions' : pText(c.p))}</td><td>${esc(c.perPosition.map((p) => `${p.column} ${num(p.difference)}`).join('; '))}</td></tr>`).join('\n')}</tbody></table>`
    : ''
}`;
}

function tableHtml(t: ScoreTable): string {
  const head = [
    'network',
    'ImageNet top-1',
    ...t.columns.map((c) => columnHead(t, c)),
    'best layer',
    'network rank',
    'above pixel',
    'best is deepest',
    'depth rho',
    'weights',
  ];
  const rows = t.rows.map((r) => [
    esc(r.network),
    num(r.imagenetTop1, 3),
    ...r.cells.map((c) => `<span title="layers ${c ? esc(c.layers.join(',')) : ''}">${esc(cellText(c))}</span>`),
    r.best ? `${esc(t.columns[r.best.column]!.label)} [${esc(r.best.layers.join(','))}]` : '',
    `${num(r.networkRank, 1)}${esc(interval(r.networkRankInterval))}`,
    num(r.abovePixel),
    r.depth.bestIsDeepest === null ? '' : r.depth.bestIsDeepest ? 'yes' : 'no',
    num(r.depth.rho, 2),
    weightsCell(r.weights),
  ]);
  const pixel = t.pixel
    ? `\n<tr class="reference"><td>pixel loss (reference, not ranked)</td><td></td><td colspan="${t.columns.length}">${esc(`${num(t.pixel.mean)}${t.pixel.n > 1 ? ` ± ${num(t.pixel.std, 3)}` : ''} (n ${t.pixel.n})`)}</td><td colspan="6"></td></tr>`
    : '';
  return `<table class="scores" data-benchmark="${esc(t.benchmark)}" data-variant="${esc(t.variant)}" data-configuration="${esc(t.configuration)}">
<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}${pixel}</tbody></table>`;
}

function correlationsHtml(t: ScoreTable): string {
  const rows = [...t.correlations.perPosition.map((p) => ({ what: p.column, ...p })), { what: 'best layer', ...t.correlations.best }];
  return `<table class="correlations"><thead><tr><th>ImageNet top-1 vs score at</th><th>Spearman rho</th><th>Pearson r</th></tr></thead>
<tbody>${rows.map((r) => `<tr><td>${esc(r.what)}</td><td>${esc(corr(r.spearman))}</td><td>${esc(corr(r.pearson))}</td></tr>`).join('\n')}</tbody></table>`;
}

const MIME: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg' };

/**
 * A run's first three image artifacts in reading order: the input first (SR
 * lr, delineation input), then SR's output before its target (sr|out|output,
 * then hr), delineation's ground truth before its prediction (truth, then
 * prediction); other names keep their place.
 */
export function sampleImages(artifacts: readonly string[]): string[] {
  const order = (a: string) => (/(lr|input)\./.test(a) ? 0 : /(sr|out|output|truth)\./.test(a) ? 1 : /(hr|prediction)\./.test(a) ? 2 : 3);
  return artifacts
    .filter((a) => MIME[extname(a).toLowerCase()])
    .slice(0, 3)
    .sort((a, b) => order(a) - order(b));
}

/** Sample images from the runs' artifacts (e.g. SR: LR input, output, HR), embedded as data URIs. */
function samplesHtml(out: string, runs: RunRecord[], limit = 6): string {
  const figures: string[] = [];
  for (const r of runs) {
    const images = sampleImages(r.artifacts);
    const parts = images.flatMap((a) => {
      const path = join(out, 'runs', r.id, a);
      if (!existsSync(path) || statSync(path).size > 2_000_000) return [];
      const uri = `data:${MIME[extname(a).toLowerCase()]};base64,${readFileSync(path).toString('base64')}`;
      return [`<figure><img src="${uri}" alt="${esc(a)}"><figcaption>${esc(a)}</figcaption></figure>`];
    });
    if (parts.length)
      figures.push(
        `<div class="sample"><h4>${esc(r.network)} layers ${esc(r.layers.join(','))} (${esc(r.variant)}, rep ${r.repetition})</h4>${parts.join('')}</div>`,
      );
    if (figures.length >= limit) break;
  }
  return figures.length ? `<h3>Sample outputs</h3><div class="samples">${figures.join('\n')}</div>` : '';
}

async function chart(spec: Parameters<typeof renderSvg>[0], kind: string): Promise<string> {
  return `<figure class="chart" data-chart="${kind}">${await renderSvg(spec)}</figure>`;
}

export async function reportHtml(out: string, runs: RunRecord[], a: Analysis): Promise<string> {
  const weights = weightsStatement(a);
  const sections: string[] = [];
  for (const t of a.tables) {
    const done = runs.filter(
      (r) => r.status === 'done' && r.benchmark === t.benchmark && r.variant === t.variant && configurationId(r) === t.configuration,
    );
    const primary = a.configurations.find((c) => c.id === t.configuration)?.primary;
    sections.push(`<section class="benchmark" id="${esc(`${t.configuration}-${t.variant}`)}">
<h2>${esc(t.benchmark)} · ${esc(t.variant)} <small><code>${esc(t.configuration)}</code>${primary ? '' : ' (not in the summaries)'}</small></h2>
<p>Primary metric <code>${esc(t.metric)}</code> (${t.higherIsBetter ? 'higher' : 'lower'} is better), mean over repetitions ± standard deviation; rank in brackets${t.repetitions ? ' with its 95% bootstrap interval' : ''}. Layers: ${t.layerMode === 'together' ? "all of a network's layers in one metric" : 'one model per layer; columns shallow to deep, "(study)" marks the study\'s four positions'}.
${t.pixel ? `Pixel loss (reference, not ranked): ${esc(num(t.pixel.mean))}; "above pixel" is each network's best cell minus it (positive: better).` : ''}
Best layer is the deepest measured for ${t.deepestBest.count} of ${t.deepestBest.of} networks${t.deepestBest.share === null ? '' : ` (${(100 * t.deepestBest.share).toFixed(0)}%)`}.
${'layer' in t.variance ? `Variance explained: layer ${share(t.variance.layer)}, network ${share(t.variance.network)}.` : ''}</p>
${tableHtml(t)}
<h3>ImageNet accuracy and score</h3>
${correlationsHtml(t)}
<div class="charts">
${await chart(scoreByLayerSpec(t), 'score-by-layer')}
${await chart(scoreVsAccuracySpec(t), 'score-vs-imagenet')}
${await chart(rankHeatmapSpec(t), 'rank-heatmap')}
</div>
${samplesHtml(out, done)}
</section>`);
  }
  const failed = runs.filter((r) => r.status === 'failed');
  const versions = [
    ...new Set(
      runs.map(
        (r) =>
          `dpl-torch ${r.versions.dplTorch}, LibTorch ${r.versions.libtorch ?? '?'}, torchvision (export) ${r.versions.torchvision ?? 'n/a'}`,
      ),
    ),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dpl-torch study report</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; } th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; }
th { background: #f3f3f3; } .warning { background: #fff0f0; border: 2px solid #c00; padding: 0.7em; font-weight: bold; }
.weights { background: #f0f6ff; border: 1px solid #89a; padding: 0.7em; } .random { color: #c00; }
tr.reference td { font-style: italic; background: #fafafa; } .verdict { font-weight: bold; } small { color: #555; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; } figure { margin: 0; } .samples img { image-rendering: pixelated; height: 144px; }
.samples figure { display: inline-block; margin-right: 0.5em; } .error { color: #a00; font-family: monospace; }
</style></head><body>
<h1>dpl-torch study report</h1>
<p class="${weights.random ? 'warning' : 'weights'}" id="weights">${esc(weights.text)}</p>
<p id="runs">Runs: ${a.runs.total} in the store; ${a.runs.done} done, ${a.runs.failed} failed, ${a.runs.other} running or interrupted. ${esc(provenance(runs).text)} Generated ${esc(new Date().toISOString())} from ${esc(out)}.</p>
${configurationsHtml(a)}
${claimsHtml(a)}
${meanRanksHtml(a)}
${a.meanRanks.length ? `<div class="charts">${await chart(meanRankHeatmapSpec(a), 'mean-rank-heatmap')}</div>` : ''}
${familiesHtml(a)}
${varianceHtml(a)}
${sections.join('\n')}
${failed.length ? `<h2>Failed runs</h2><table class="failed"><thead><tr><th>run</th><th>error</th></tr></thead><tbody>${failed.map((r) => `<tr><td>${esc(r.id)}</td><td class="error">${esc(r.error ?? '')}</td></tr>`).join('\n')}</tbody></table>` : ''}
<h2>Methods</h2>
<ul class="methods">${Object.entries(a.methods)
    .map(([k, v]) => `<li><strong>${esc(k)}</strong>: ${esc(v)}</li>`)
    .join('')}</ul>
<p>Versions: ${versions.map(esc).join('; ') || 'n/a'}. Data: results.csv, results.json, tables.csv, analysis.json beside this page.</p>
</body></html>
`;
}

export function reportMarkdown(runs: RunRecord[], a: Analysis): string {
  const lines = [
    '# dpl-torch study summary',
    '',
    weightsStatement(a).text,
    '',
    `Runs: ${a.runs.total}; ${a.runs.done} done, ${a.runs.failed} failed, ${a.runs.other} running or interrupted. ${provenance(runs).text}`,
    '',
  ];
  lines.push(
    '## Configurations',
    '',
    '| configuration | layer mode | variants | finished runs | differs in | in summaries |',
    '|---|---|---|---|---|---|',
  );
  for (const c of a.configurations)
    lines.push(`| ${c.id} | ${c.layerMode} | ${c.variants.join(', ')} | ${c.done} | ${differsText(c)} | ${c.primary ? 'yes' : 'no'} |`);
  lines.push(
    '',
    `## Claims (ImageNet-weight runs only${a.claimsExcluded ? `; ${a.claimsExcluded} random-init run(s) left out` : ''})`,
    '',
    '| claim | statistic | p | spread | n | verdict |',
    '|---|---|---|---|---|---|',
  );
  for (const c of a.claims) lines.push(`| ${c.claim} | ${c.statistic} | ${pText(c.p)} | ${c.spread ?? ''} | ${c.n} | **${c.verdict}** |`);
  lines.push('');
  if (a.meanRanks.length) {
    lines.push(
      '## Mean rank across benchmarks (each network at its best layer)',
      '',
      `${a.methods.meanRank}.`,
      '',
      '| network | family | mean rank | benchmarks |',
      '|---|---|---|---|',
    );
    for (const m of a.meanRanks)
      lines.push(`| ${m.network} | ${m.family} | ${num(m.meanRank, 2)}${interval(m.interval, 2)} | ${m.benchmarks} |`);
    lines.push('', '## Families', '', '| family | networks | mean rank |', '|---|---|---|');
    for (const f of a.families) lines.push(`| ${f.family} | ${f.networks.join(', ')} | ${num(f.meanRank, 2)} |`);
    for (const c of a.vggBn)
      lines.push(
        `- vgg16 vs vgg16_bn, ${c.benchmark} ${c.variant}: ${num(c.vgg16.mean)} vs ${num(c.vgg16_bn.mean)} (difference ${num(c.difference)}${c.p === null ? '' : `, p ${pText(c.p)}`})`,
      );
    lines.push('');
  }
  lines.push(
    '## Layer against architecture',
    '',
    `${a.methods.variance}.`,
    '',
    `Over all benchmarks: layer ${share(a.variance.layer)}, network ${share(a.variance.network)}.`,
    '',
  );
  for (const t of a.tables) {
    lines.push(
      `## ${t.benchmark} · ${t.variant} (${t.configuration})`,
      '',
      `Primary metric \`${t.metric}\` (${t.higherIsBetter ? 'higher' : 'lower'} is better), mean over repetitions.${t.pixel ? ` Pixel loss (reference, not ranked): ${num(t.pixel.mean)}.` : ''}`,
      '',
    );
    lines.push(
      `| network | top-1 | ${t.columns.map((c) => columnHead(t, c)).join(' | ')} | best | rank | above pixel | weights |`,
      `|${'---|'.repeat(t.columns.length + 6)}`,
    );
    for (const r of t.rows) {
      lines.push(
        `| ${r.network} | ${num(r.imagenetTop1, 2)} | ${r.cells.map(cellText).join(' | ')} | ${r.best ? t.columns[r.best.column]!.label : ''} | ${num(r.networkRank, 1)}${interval(r.networkRankInterval)} | ${num(r.abovePixel)} | ${r.weights === 'imagenet' || r.weights === 'none' ? r.weights : `**${r.weights.toUpperCase()}**`} |`,
      );
    }
    lines.push('', 'ImageNet top-1 against score:', '');
    for (const p of t.correlations.perPosition) lines.push(`- ${p.column}: Spearman ${corr(p.spearman)}; Pearson ${corr(p.pearson)}`);
    lines.push(`- best layer: Spearman ${corr(t.correlations.best.spearman)}; Pearson ${corr(t.correlations.best.pearson)}`);
    lines.push(`- best layer is the deepest measured for ${t.deepestBest.count} of ${t.deepestBest.of} networks`);
    lines.push(
      'layer' in t.variance
        ? `- variance explained: layer ${share(t.variance.layer)}, network ${share(t.variance.network)}`
        : `- no variance split: ${t.variance.reason}`,
      '',
    );
  }
  const failed = runs.filter((r) => r.status === 'failed');
  if (failed.length) {
    lines.push('## Failed runs', '');
    for (const r of failed) lines.push(`- ${r.id}: ${r.error}`);
    lines.push('');
  }
  return lines.join('\n');
}

export function tablesCsv(a: Analysis): string {
  const header = [
    'configuration',
    'benchmark',
    'variant',
    'metric',
    'network',
    'imagenet_top1',
    'column',
    'study_layer',
    'layers',
    'mean',
    'std',
    'n',
    'rank',
    'rank_low',
    'rank_high',
    'weights',
  ];
  const rows = a.tables.flatMap((t) =>
    t.rows.flatMap((r) =>
      r.cells.flatMap((c, j) =>
        c
          ? [
              [
                t.configuration,
                t.benchmark,
                t.variant,
                t.metric,
                r.network,
                r.imagenetTop1 ?? '',
                t.columns[j]!.label,
                t.columns[j]!.study,
                c.layers.join(' '),
                c.mean,
                c.std,
                c.n,
                c.rank,
                c.rankInterval?.[0] ?? '',
                c.rankInterval?.[1] ?? '',
                c.weights,
              ],
            ]
          : [],
      ),
    ),
  );
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** Writes the report files into the study folder `dir` and returns their paths; `configs` picks the configurations of the summaries. */
export async function writeReport(dir: string, options: AnalyseOptions = {}): Promise<ReportFiles> {
  const out = resolve(dir);
  const runs = readResults(out);
  const a = analyse(runs, options);
  const files: ReportFiles = {
    html: join(out, 'report.html'),
    markdown: join(out, 'summary.md'),
    csv: join(out, 'results.csv'),
    json: join(out, 'results.json'),
    tablesCsv: join(out, 'tables.csv'),
    analysisJson: join(out, 'analysis.json'),
  };
  exportResults(runs, files.csv, files.json);
  writeFileSync(files.tablesCsv, tablesCsv(a));
  writeFileSync(files.analysisJson, JSON.stringify(a, null, 2) + '\n');
  writeFileSync(files.markdown, reportMarkdown(runs, a));
  writeFileSync(files.html, await reportHtml(out, runs, a));
  return files;
}
