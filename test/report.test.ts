// The report from a results store: files, CSV, Markdown, and the HTML page in
// headless Chromium (Debian's `chromium` package, driven by playwright-core):
// no console errors, tables, vega charts as SVG, embedded sample images, and a
// loud statement about random weights.
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { writePng } from '../src/data/image.js';
import { sampleImages, writeReport, type ReportFiles } from '../src/study/report.js';
import { ResultsStore, type RunIdentity } from '../src/study/store.js';

const CHROMIUM = '/usr/bin/chromium';
const out = mkdtempSync(join(tmpdir(), 'dpl-report-'));
let files: ReportFiles;

async function add(store: ResultsStore, id: RunIdentity, metric: string, value: number, opts: { pretrained?: boolean; higher?: boolean; fail?: string; artifacts?: boolean } = {}) {
  const runId = `${id.benchmark}-${id.network}-${id.layers.join('_')}-${id.variant}-r${id.repetition}`;
  const pretrained = opts.pretrained ?? true;
  store.start({
    id: runId, ...id, configHash: 'c0ffee', options: { epochs: 1 }, primaryMetric: metric, higherIsBetter: opts.higher ?? true,
    weightsId: pretrained ? 'IMAGENET1K_V1:w.pth' : 'random:0', pretrained,
    versions: { dplTorch: '0.1.0', libtorch: '1.13.1', torchvision: '0.14.1' }, device: 'cpu',
  });
  if (opts.fail) return store.stop(runId, 'failed', opts.fail, 1);
  const artifacts: string[] = [];
  if (opts.artifacts) {
    const dir = join(out, 'runs', runId, 'samples');
    mkdirSync(dir, { recursive: true });
    for (const [i, name] of ['lr.png', 'output.png', 'hr.png'].entries()) {
      const data = new Uint8Array(8 * 8 * 3).map((_, j) => (j * 7 + i * 60) % 256);
      await writePng(join(dir, name), { data, shape: [8, 8, 3] });
      artifacts.push(`samples/${name}`);
    }
  }
  store.finish(runId, { metrics: { [metric]: value, extra: value / 2 }, weightsId: pretrained ? 'IMAGENET1K_V1:w.pth' : 'random:0', pretrained, artifacts, seconds: 2 });
}

beforeAll(async () => {
  const store = new ResultsStore(join(out, 'results.sqlite'));
  const layers: Record<string, number[]> = { alexnet: [1, 4, 7, 11], vgg16: [3, 8, 15, 29], resnet18: [2, 4, 5, 7], squeezenet1_1: [1, 3, 7, 12] };
  let v = 20;
  for (const [network, ls] of Object.entries(layers)) {
    for (const l of ls) await add(store, { benchmark: 'super-resolution', network, layers: [l], variant: 'x4', repetition: 0, seed: 0 }, 'psnr.mean', (v += 0.37) % 27, { artifacts: network === 'vgg16', pretrained: network !== 'squeezenet1_1' });
    await add(store, { benchmark: 'similarity', network, layers: ls, variant: 'lin', repetition: 0, seed: 0 }, '2afc.mean', 0.6 + (v % 1) / 10);
  }
  await add(store, { benchmark: 'super-resolution', network: 'resnet18', layers: [2], variant: 'x4', repetition: 1, seed: 1 }, 'psnr.mean', 0, { fail: 'out of <memory> & "quotes"' });
  store.close();
  files = await writeReport(out);
});

describe('study report', () => {
  it('shows a run\'s sample images in reading order: SR input | output | target, delineation input | truth | prediction', () => {
    expect(sampleImages(['samples/a-hr.png', 'samples/a-sr.png', 'samples/a-lr.png'])).toEqual(['samples/a-lr.png', 'samples/a-sr.png', 'samples/a-hr.png']);
    expect(sampleImages(['metrics.json', 'samples/t-prediction.png', 'samples/t-truth.png', 'samples/t-input.png']))
      .toEqual(['samples/t-input.png', 'samples/t-truth.png', 'samples/t-prediction.png']);
  });

  it('writes HTML, Markdown, CSV and JSON', () => {
    for (const f of Object.values(files)) expect(existsSync(f)).toBe(true);
    const csv = readFileSync(files.csv, 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^id,benchmark,network,layers,variant,repetition,seed,status,error,weights_id,weights,.*,2afc\.mean,extra,psnr\.mean$/);
    expect(csv).toHaveLength(1 + 21);
    expect(csv.find((l) => l.includes('failed'))).toContain('"out of <memory> & ""quotes"""');
    expect(csv.filter((l) => l.includes(',random,'))).toHaveLength(4);
    const md = readFileSync(files.markdown, 'utf8');
    expect(md).toMatch(/WARNING: 4 finished run\(s\) used RANDOM-INIT loss networks/);
    expect(md).toMatch(/## super-resolution · x4/);
    expect(md).toMatch(/\| squeezenet1_1 \|.*\*\*RANDOM\*\* \|/);
    const tables = readFileSync(files.tablesCsv, 'utf8').trim().split('\n');
    expect(tables).toHaveLength(1 + 16 + 4);
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as { id: string; status: string; metrics: Record<string, number> }[];
    expect(json).toHaveLength(21);
    expect(json.filter((r) => r.status === 'done').every((r) => typeof r.metrics.extra === 'number')).toBe(true);
    // the store is SQLite in WAL mode (crash-safe: a reader never sees half a transaction)
    const store = new ResultsStore(join(out, 'results.sqlite'));
    expect(store.journalMode()).toBe('wal');
    store.close();
    const analysis = JSON.parse(readFileSync(files.analysisJson, 'utf8')) as { tables: unknown[] };
    expect(analysis.tables).toHaveLength(2);
  });

  it('loads in headless Chromium without errors, with its tables, charts and images', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      page.on('pageerror', (e) => problems.push(e.message));
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${files.html}`, { waitUntil: 'load' });
      expect(problems).toEqual([]);
      // self-contained: nothing fetched beyond the page itself
      expect(requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:'))).toEqual([]);

      expect(await page.locator('table.scores').count()).toBe(2);
      const sr = page.locator('table.scores[data-benchmark="super-resolution"]');
      expect(await sr.locator('thead th').allTextContents()).toEqual(
        ['network', 'ImageNet top-1', 'layer 1', 'layer 2', 'layer 3', 'layer 4', 'best layer', 'network rank', 'best is deepest', 'depth rho', 'weights'],
      );
      expect(await sr.locator('tbody tr').count()).toBe(4);
      expect(await sr.locator('tbody tr', { hasText: 'squeezenet1_1' }).locator('strong.random').textContent()).toBe('random');
      expect(await page.locator('table.correlations').count()).toBe(2);
      expect(await page.locator('table.mean-ranks tbody tr').count()).toBe(4);
      expect(await page.locator('table.failed').textContent()).toContain('out of <memory> & "quotes"');

      for (const kind of ['score-by-layer', 'score-vs-imagenet', 'rank-heatmap']) {
        expect(await page.locator(`figure.chart[data-chart="${kind}"] svg`).count()).toBe(2);
      }
      expect(await page.locator('figure.chart[data-chart="mean-rank-heatmap"] svg').count()).toBe(1);
      // vega drew marks: points for the scatter, rects for the heat map
      expect(await page.locator('figure.chart[data-chart="score-vs-imagenet"] svg path').count()).toBeGreaterThan(8);
      expect(await page.locator('figure.chart[data-chart="rank-heatmap"] svg text', { hasText: /^1$/ }).count()).toBeGreaterThan(0);
      expect(await page.locator('figure.chart[data-chart="score-vs-imagenet"]').first().textContent()).toMatch(/Spearman rho -?\d\.\d{3}/);

      const images = page.locator('.samples img');
      expect(await images.count()).toBe(12); // 4 vgg16 runs × (LR, output, HR)
      expect(await images.first().getAttribute('src')).toMatch(/^data:image\/png;base64,/);
      expect(await images.evaluateAll((els) => els.map((e) => (e as HTMLImageElement).naturalWidth))).toEqual(new Array(12).fill(8));

      expect(await page.locator('#weights.warning').textContent()).toMatch(/RANDOM-INIT/);
    } finally {
      await browser.close();
    }
  });
});
