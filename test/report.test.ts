// The report from a results store: files, CSV, Markdown, and the HTML page in
// headless Chromium (Debian's `chromium` package, driven by playwright-core):
// no console errors, tables, vega charts as SVG, embedded sample images, and a
// loud statement about random weights.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
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

async function add(
  store: ResultsStore,
  id: RunIdentity,
  metric: string,
  value: number,
  opts: { pretrained?: boolean | null; higher?: boolean; fail?: string; artifacts?: boolean; epochs?: number } = {},
) {
  const epochs = opts.epochs ?? 1;
  const runId = `${id.benchmark}-${id.network}-${id.layers.join('_')}-${id.variant}-r${id.repetition}-e${epochs}`;
  const pretrained = opts.pretrained === undefined ? true : opts.pretrained;
  const weightsId = pretrained === null ? null : pretrained ? 'IMAGENET1K_V1:w.pth' : 'random:0';
  const layerMode = id.benchmark === 'similarity' ? 'together' : 'single';
  store.start({
    id: runId,
    ...id,
    configHash: epochs === 1 ? 'c0ffee00' : 'beef0000',
    options: { epochs, layerMode },
    primaryMetric: metric,
    higherIsBetter: opts.higher ?? true,
    weightsId,
    pretrained,
    versions: { dplTorch: '0.1.0', libtorch: '1.13.1', torchvision: '0.14.1' },
    device: 'cpu',
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
  store.finish(runId, { metrics: { [metric]: value, extra: value / 2 }, weightsId, pretrained, artifacts, seconds: 2 });
}

beforeAll(async () => {
  const store = new ResultsStore(out);
  const layers: Record<string, number[]> = {
    alexnet: [1, 4, 7, 11],
    vgg16: [3, 8, 15, 29],
    resnet18: [2, 4, 5, 7],
    squeezenet1_1: [1, 3, 7, 12],
  };
  let v = 20;
  for (const [network, ls] of Object.entries(layers)) {
    for (const l of ls)
      await add(
        store,
        { benchmark: 'super-resolution', network, layers: [l], variant: 'x4', repetition: 0, seed: 0 },
        'psnr.mean',
        (v += 0.37) % 27,
        { artifacts: network === 'vgg16', pretrained: network !== 'squeezenet1_1' },
      );
    await add(
      store,
      { benchmark: 'similarity', network, layers: ls, variant: 'lin', repetition: 0, seed: 0 },
      '2afc.mean',
      0.6 + (v % 1) / 10,
    );
  }
  await add(
    store,
    { benchmark: 'super-resolution', network: 'resnet18', layers: [2], variant: 'x4', repetition: 1, seed: 1 },
    'psnr.mean',
    0,
    { fail: 'out of <memory> & "quotes"' },
  );
  // the pixel-loss baseline, and a run of a second configuration (other epochs) that must not join the first's tables
  await add(
    store,
    { benchmark: 'super-resolution', network: 'pixel', layers: [], variant: 'x4', repetition: 0, seed: 0 },
    'psnr.mean',
    21,
    { pretrained: null },
  );
  await add(
    store,
    { benchmark: 'super-resolution', network: 'vgg16', layers: [3], variant: 'x4', repetition: 0, seed: 0 },
    'psnr.mean',
    5,
    { epochs: 2 },
  );
  store.close();
  files = await writeReport(out);
});

describe('study report', () => {
  it("shows a run's sample images in reading order: SR input | output | target, delineation input | truth | prediction", () => {
    expect(sampleImages(['samples/a-hr.png', 'samples/a-sr.png', 'samples/a-lr.png'])).toEqual([
      'samples/a-lr.png',
      'samples/a-sr.png',
      'samples/a-hr.png',
    ]);
    expect(sampleImages(['metrics.json', 'samples/t-prediction.png', 'samples/t-truth.png', 'samples/t-input.png'])).toEqual([
      'samples/t-input.png',
      'samples/t-truth.png',
      'samples/t-prediction.png',
    ]);
  });

  it('writes HTML, Markdown, CSV and JSON', () => {
    for (const f of Object.values(files)) expect(existsSync(f)).toBe(true);
    const csv = readFileSync(files.csv, 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(
      /^id,benchmark,network,layers,variant,repetition,seed,status,error,weights_id,weights,.*,2afc\.mean,extra,psnr\.mean$/,
    );
    expect(csv).toHaveLength(1 + 23);
    expect(csv.find((l) => l.includes('failed'))).toContain('"out of <memory> & ""quotes"""');
    expect(csv.filter((l) => l.includes(',random,'))).toHaveLength(4);
    const md = readFileSync(files.markdown, 'utf8');
    expect(md).toMatch(/WARNING: 4 finished run\(s\) used RANDOM-INIT loss networks/);
    expect(md).toMatch(/## super-resolution · x4/);
    expect(md).toMatch(/\| squeezenet1_1 \|.*\*\*RANDOM\*\* \|/);
    const tables = readFileSync(files.tablesCsv, 'utf8').trim().split('\n');
    expect(tables).toHaveLength(1 + 16 + 4 + 1);
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as { id: string; status: string; metrics: Record<string, number> }[];
    expect(json).toHaveLength(23);
    expect(json.filter((r) => r.status === 'done').every((r) => typeof r.metrics.extra === 'number')).toBe(true);
    // the store: one record file per run (replaced whole by rename: a reader never sees half a record)
    expect(readdirSync(join(out, 'results')).filter((f) => f.endsWith('.json'))).toHaveLength(23);
    const analysis = JSON.parse(readFileSync(files.analysisJson, 'utf8')) as { tables: unknown[]; claims: { verdict: string }[] };
    expect(analysis.tables).toHaveLength(3);
    expect(analysis.claims.map((c) => c.verdict)).toHaveLength(4);
    expect(md).toMatch(/## Claims \(ImageNet-weight runs only; 4 random-init run\(s\) left out\)/);
    expect(md).toMatch(/\| super-resolution\/beef0000\/single \| single \| x4 \| 1 \| epochs = 2 \| no \|/);
  });

  it('loads in headless Chromium without errors, with its tables, charts and images', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
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

      expect(await page.locator('table.scores').count()).toBe(3);
      const sr = page.locator('table.scores[data-configuration="super-resolution/c0ffee00/single"]');
      expect(await sr.locator('thead th').allTextContents()).toEqual([
        'network',
        'ImageNet top-1',
        'layer 1 (study)',
        'layer 2 (study)',
        'layer 3 (study)',
        'layer 4 (study)',
        'best layer',
        'network rank',
        'above pixel',
        'best is deepest',
        'depth rho',
        'weights',
      ]);
      expect(await sr.locator('tbody tr').count()).toBe(5); // 4 networks and the pixel reference
      expect(await sr.locator('tr.reference').textContent()).toMatch(/pixel loss \(reference, not ranked\)21\.0000/);
      expect(await page.locator('table.configurations tbody tr').count()).toBe(3);
      expect(await page.locator('table.configurations tr[data-configuration="super-resolution/beef0000/single"]').textContent()).toMatch(
        /epochs = 2.*no$/,
      );
      expect(await page.locator('table.claims tbody tr').count()).toBe(4);
      expect(await page.locator('table.claims td.verdict').allTextContents()).toEqual(
        expect.arrayContaining([expect.stringMatching(/^(supported|not supported|not enough runs)$/)]),
      );
      expect(await page.locator('table.families tbody tr').count()).toBe(4);
      expect(await page.locator('table.variance tbody tr').count()).toBe(1); // similarity runs its layers together; the second SR configuration has one network
      expect(await page.locator('ul.methods').textContent()).toMatch(/two-way ANOVA sums of squares without interaction/);
      expect(await sr.locator('tbody tr', { hasText: 'squeezenet1_1' }).locator('strong.random').textContent()).toBe('random');
      expect(await page.locator('table.correlations').count()).toBe(3);
      expect(await page.locator('table.mean-ranks tbody tr').count()).toBe(4);
      expect(await page.locator('table.failed').textContent()).toContain('out of <memory> & "quotes"');

      for (const kind of ['score-by-layer', 'score-vs-imagenet', 'rank-heatmap']) {
        expect(await page.locator(`figure.chart[data-chart="${kind}"] svg`).count()).toBe(3);
      }
      expect(await page.locator('figure.chart[data-chart="score-by-layer"]', { hasText: 'dashed: pixel loss 21.0000' }).count()).toBe(1);
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
