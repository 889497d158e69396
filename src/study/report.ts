// The study report: one self-contained HTML page (tables, vega-lite charts as
// inline SVG, sample images as data URIs), a Markdown summary, and CSV/JSON of
// the results and the analysis. It always says which weights each result used.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { analyse, type Analysis, type Cell, type ScoreTable } from './analysis.js';
import { meanRankHeatmapSpec, rankHeatmapSpec, renderSvg, scoreByLayerSpec, scoreVsAccuracySpec } from './charts.js';
import { csvCell, exportResults, type RunRecord } from './store.js';
import type { Correlation } from './stats.js';
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
const corr = (c: Correlation): string =>
  c.r === null
    ? `n/a (${c.n < 3 ? `needs 3 networks, has ${c.n}` : `no variation, n = ${c.n}`})`
    : `${c.r.toFixed(3)} (p = ${c.p!.toPrecision(3)}, n = ${c.n})`;
const cellText = (c: Cell | null): string =>
  c ? `${num(c.mean)}${c.n > 1 ? ` ± ${num(c.std, 3)}` : ''} (${Number.isFinite(c.rank) ? `rank ${num(c.rank, 1)}` : 'baseline'})` : '';

/** A sentence on the weights behind the results, loud when any used random weights. */
export function weightsStatement(a: Analysis): { text: string; random: boolean } {
  const w = a.weights;
  const random = (w.random ?? 0) > 0;
  const parts = Object.entries(w).map(([k, n]) => `${n} run${n === 1 ? '' : 's'} with ${k === 'none' ? 'no loss network (pixel baseline)' : `${k === 'imagenet' ? 'ImageNet' : 'RANDOM-INIT'} loss-network weights`}`);
  const text = random
    ? `WARNING: ${w.random} finished run(s) used RANDOM-INIT loss networks, not ImageNet weights: their scores say nothing about pretrained loss networks. ` +
      'Export ImageNet weights (`npx dpl-torch export-networks --weights imagenet`) and run again for meaningful numbers. '
    : '';
  return { text: text + (parts.length ? `Finished runs: ${parts.join('; ')}.` : 'No finished runs yet.'), random };
}

function tableHtml(t: ScoreTable): string {
  const head = ['network', 'ImageNet top-1', ...t.columns, 'best layer', 'network rank', 'best is deepest', 'depth rho', 'weights'];
  const rows = t.rows.map((r) => [
    esc(r.network),
    num(r.imagenetTop1, 3),
    ...r.cells.map((c) => `<span title="layers ${c ? esc(c.layers.join(',')) : ''}">${esc(cellText(c))}</span>`),
    r.best ? `${esc(t.columns[r.best.position])} [${esc(r.best.layers.join(','))}]` : '',
    num(r.networkRank, 1),
    r.depth.bestIsDeepest === null ? '' : r.depth.bestIsDeepest ? 'yes' : 'no',
    num(r.depth.rho, 2),
    r.weights === 'random' || r.weights === 'mixed' ? `<strong class="random">${esc(r.weights)}</strong>` : esc(r.weights),
  ]);
  return `<table class="scores" data-benchmark="${esc(t.benchmark)}" data-variant="${esc(t.variant)}">
<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`;
}

function correlationsHtml(t: ScoreTable): string {
  const rows = [...t.correlations.perPosition.map((p) => ({ what: p.column, ...p })), { what: 'best layer', ...t.correlations.best }];
  return `<table class="correlations"><thead><tr><th>ImageNet top-1 vs score at</th><th>Spearman rho</th><th>Pearson r</th></tr></thead>
<tbody>${rows.map((r) => `<tr><td>${esc(r.what)}</td><td>${esc(corr(r.spearman))}</td><td>${esc(corr(r.pearson))}</td></tr>`).join('\n')}</tbody></table>`;
}

const MIME: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg' };

/** Sample images from the runs' artifacts (e.g. SR: LR input, output, HR), embedded as data URIs. */
function samplesHtml(out: string, runs: RunRecord[], limit = 6): string {
  const figures: string[] = [];
  for (const r of runs) {
    // One sample's images in reading order: input (lr), output (sr/out), target (hr).
    const order = (a: string) => (/lr\./.test(a) ? 0 : /(sr|out|output)\./.test(a) ? 1 : /hr\./.test(a) ? 2 : 3);
    const images = r.artifacts.filter((a) => MIME[extname(a).toLowerCase()]).slice(0, 3).sort((a, b) => order(a) - order(b));
    const parts = images.flatMap((a) => {
      const path = join(out, 'runs', r.id, a);
      if (!existsSync(path) || statSync(path).size > 2_000_000) return [];
      const uri = `data:${MIME[extname(a).toLowerCase()]};base64,${readFileSync(path).toString('base64')}`;
      return [`<figure><img src="${uri}" alt="${esc(a)}"><figcaption>${esc(a)}</figcaption></figure>`];
    });
    if (parts.length) figures.push(`<div class="sample"><h4>${esc(r.network)} layers ${esc(r.layers.join(','))} (${esc(r.variant)}, rep ${r.repetition})</h4>${parts.join('')}</div>`);
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
    const done = runs.filter((r) => r.status === 'done' && r.benchmark === t.benchmark && r.variant === t.variant);
    sections.push(`<section class="benchmark" id="${esc(`${t.benchmark}-${t.variant}`)}">
<h2>${esc(t.benchmark)} · ${esc(t.variant)}</h2>
<p>Primary metric <code>${esc(t.metric)}</code> (${t.higherIsBetter ? 'higher' : 'lower'} is better), mean over repetitions ± standard deviation. Layers: ${t.layerMode === 'together' ? 'all of a network\'s layers in one metric' : 'one model per layer'}.
Best layer is the deepest measured for ${t.deepestBest.count} of ${t.deepestBest.of} networks${t.deepestBest.share === null ? '' : ` (${(100 * t.deepestBest.share).toFixed(0)}%)`}.</p>
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
  const meanRanks = a.meanRanks.length
    ? `<h2>Mean rank across benchmarks</h2>
<table class="mean-ranks"><thead><tr><th>network</th><th>mean rank at best layer</th><th>tables</th></tr></thead>
<tbody>${a.meanRanks.map((m) => `<tr><td>${esc(m.network)}</td><td>${num(m.meanRank, 2)}</td><td>${m.tables}</td></tr>`).join('\n')}</tbody></table>
<div class="charts">${await chart(meanRankHeatmapSpec(a), 'mean-rank-heatmap')}</div>`
    : '';
  const versions = [...new Set(runs.map((r) => `dpl-torch ${r.versions.dplTorch}, LibTorch ${r.versions.libtorch ?? '?'}, torchvision (export) ${r.versions.torchvision ?? 'n/a'}`))];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dpl-torch study report</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; } th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; }
th { background: #f3f3f3; } .warning { background: #fff0f0; border: 2px solid #c00; padding: 0.7em; font-weight: bold; }
.weights { background: #f0f6ff; border: 1px solid #89a; padding: 0.7em; } .random { color: #c00; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; } figure { margin: 0; } .samples img { image-rendering: pixelated; height: 144px; }
.samples figure { display: inline-block; margin-right: 0.5em; } .error { color: #a00; font-family: monospace; }
</style></head><body>
<h1>dpl-torch study report</h1>
<p class="${weights.random ? 'warning' : 'weights'}" id="weights">${esc(weights.text)}</p>
<p id="runs">Runs: ${a.runs.total} in the store; ${a.runs.done} done, ${a.runs.failed} failed, ${a.runs.other} running or interrupted. Generated ${esc(new Date().toISOString())} from ${esc(out)}.</p>
${meanRanks}
${sections.join('\n')}
${failed.length ? `<h2>Failed runs</h2><table class="failed"><thead><tr><th>run</th><th>error</th></tr></thead><tbody>${failed.map((r) => `<tr><td>${esc(r.id)}</td><td class="error">${esc(r.error ?? '')}</td></tr>`).join('\n')}</tbody></table>` : ''}
<p>Versions: ${versions.map(esc).join('; ') || 'n/a'}. Data: results.csv, results.json, tables.csv, analysis.json beside this page.</p>
</body></html>
`;
}

export function reportMarkdown(runs: RunRecord[], a: Analysis): string {
  const lines = ['# dpl-torch study summary', '', weightsStatement(a).text, '', `Runs: ${a.runs.total}; ${a.runs.done} done, ${a.runs.failed} failed, ${a.runs.other} running or interrupted.`, ''];
  if (a.meanRanks.length) {
    lines.push('## Mean rank across benchmarks (each network at its best layer)', '', '| network | mean rank | tables |', '|---|---|---|');
    for (const m of a.meanRanks) lines.push(`| ${m.network} | ${num(m.meanRank, 2)} | ${m.tables} |`);
    lines.push('');
  }
  for (const t of a.tables) {
    lines.push(`## ${t.benchmark} · ${t.variant}`, '', `Primary metric \`${t.metric}\` (${t.higherIsBetter ? 'higher' : 'lower'} is better), mean over repetitions.`, '');
    lines.push(`| network | top-1 | ${t.columns.join(' | ')} | best | rank | weights |`, `|${'---|'.repeat(t.columns.length + 5)}`);
    for (const r of t.rows) {
      lines.push(`| ${r.network} | ${num(r.imagenetTop1, 2)} | ${r.cells.map(cellText).join(' | ')} | ${r.best ? t.columns[r.best.position] : ''} | ${num(r.networkRank, 1)} | ${r.weights === 'imagenet' || r.weights === 'none' ? r.weights : `**${r.weights.toUpperCase()}**`} |`);
    }
    lines.push('', 'ImageNet top-1 against score:', '');
    for (const p of t.correlations.perPosition) lines.push(`- ${p.column}: Spearman ${corr(p.spearman)}; Pearson ${corr(p.pearson)}`);
    lines.push(`- best layer: Spearman ${corr(t.correlations.best.spearman)}; Pearson ${corr(t.correlations.best.pearson)}`);
    lines.push(`- best layer is the deepest measured for ${t.deepestBest.count} of ${t.deepestBest.of} networks`, '');
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
  const header = ['benchmark', 'variant', 'metric', 'network', 'imagenet_top1', 'column', 'layers', 'mean', 'std', 'n', 'rank', 'weights'];
  const rows = a.tables.flatMap((t) =>
    t.rows.flatMap((r) => r.cells.flatMap((c, pos) => (c ? [[t.benchmark, t.variant, t.metric, r.network, r.imagenetTop1 ?? '', t.columns[pos], c.layers.join(' '), c.mean, c.std, c.n, Number.isFinite(c.rank) ? c.rank : '', c.weights]] : []))),
  );
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** Writes the report files into the study folder `dir` and returns their paths. */
export async function writeReport(dir: string): Promise<ReportFiles> {
  const out = resolve(dir);
  const runs = readResults(out);
  const a = analyse(runs);
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
