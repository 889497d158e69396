// `recommend` from synthetic results with known answers: the best cell, the
// cells not significantly worse, random-init runs ignored, the best cell within
// a loss-step budget (from a cache written here, and one step measured for real),
// and what to run when there are no results.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/paths.js';
import { recommend, recommendationText } from '../src/study/recommend.js';
import { readStepCache, stepKey, writeStepCache } from '../src/study/step-time.js';
import { ResultsStore, type RunRecord } from '../src/study/store.js';
import { fakeRun } from './helpers/runs.js';
import { TEST_MODELS } from './helpers/models.js';

/** A results folder holding `runs`, written through the store as the runner writes them. */
function folder(runs: RunRecord[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'dpl-recommend-'));
  const store = new ResultsStore(join(dir, 'results.sqlite'));
  for (const r of runs) {
    store.start({ ...r, id: r.id });
    store.finish(r.id, { metrics: r.metrics, weightsId: r.weightsId, pretrained: r.pretrained, artifacts: [], seconds: 1 });
  }
  store.close();
  return dir;
}

const SR = 'super-resolution';
const cell = (network: string, layer: number, values: number[], extra: Partial<RunRecord> = {}) =>
  values.map((v, repetition) =>
    fakeRun({ benchmark: SR, network, layers: [layer], repetition, options: { layerMode: 'single' }, ...extra }, v),
  );

// vgg16 relu2_2 best; vgg19 relu2_2 just behind within the noise; alexnet and resnet18 clearly worse;
// squeezenet with random-init weights scores highest of all and must be ignored.
const runs = [
  ...cell('vgg16', 8, [25.0, 25.2, 25.4]),
  ...cell('vgg19', 8, [24.9, 25.2, 25.3]),
  ...cell('alexnet', 4, [22.0, 22.1, 22.2]),
  ...cell('resnet18', 4, [21.0, 21.1, 21.2]),
  ...cell('squeezenet1_1', 3, [30, 30, 30], { pretrained: false, weightsId: 'random:0' }),
  ...cell('pixel', 0, [20]).map((r) => ({ ...r, layers: [] })),
];

describe('recommend', () => {
  const dir = folder(runs);

  it('names the best cell and the cells not significantly worse, from ImageNet-weight runs only', async () => {
    const r = await recommend({ task: SR, results: dir });
    expect(r.toRun).toBeNull();
    expect(r.randomRuns).toBe(3);
    const [v] = r.variants;
    expect(v!.best).toMatchObject({ network: 'vgg16', layers: [8], column: 'layer 2', mean: expect.closeTo(25.2, 12), n: 3 });
    expect(v!.tested).toBe(true);
    expect(v!.notWorse.map((c) => c.network)).toEqual(['vgg19']);
    expect(v!.notWorse[0]!.pWorse!).toBeGreaterThan(0.05);
    expect(v!.pixel).toBe(20);
    const text = recommendationText(r);
    expect(text).toMatch(/x4: best vgg16 layer 2 \[8\]: score 25\.2000 ± 0\.2000 \(n 3\)/);
    expect(text).toMatch(/not significantly worse .*vgg19 layer 2 \[8\]/);
    expect(text).toMatch(/3 random-init run\(s\) ignored/);
    expect(text).not.toMatch(/squeezenet/);
  });

  it('within a budget, takes the best cell whose cached loss step fits', async () => {
    const timing = { device: 'cpu', batch: 4, size: 128 };
    const ms: [string, number, number][] = [
      ['vgg16', 8, 50],
      ['vgg19', 8, 40],
      ['alexnet', 4, 5],
      ['resnet18', 4, 3],
    ];
    writeStepCache(dir, { entries: Object.fromEntries(ms.map(([n, l, t]) => [stepKey(n, [l], timing), { ms: t, measuredAt: 'test' }])) });
    const fits = async (budgetMs: number) => (await recommend({ task: SR, results: dir, budgetMs })).variants[0]!.budget!;
    expect((await fits(45)).fits).toMatchObject({ network: 'vgg19', stepMs: 40 });
    expect((await fits(45)).timed.map((t) => [t.network, t.cached])).toEqual([
      ['vgg16', true],
      ['vgg19', true],
    ]);
    expect((await fits(10)).fits).toMatchObject({ network: 'alexnet', stepMs: 5 });
    const none = await recommend({ task: SR, results: dir, budgetMs: 1 });
    expect(none.variants[0]!.budget!.fits).toBeNull();
    expect(recommendationText(none)).toMatch(
      /no cell fits 1 ms per loss step \(cpu, batch 4 at 128x128\); the fastest measured took 3\.0 ms/,
    );
  });

  it('measures a loss step on this machine when it is not cached, and caches it', async () => {
    const small = folder([...cell('alexnet', 4, [22, 22.5]), ...cell('resnet18', 4, [21, 21.5])]);
    const o = { task: SR, results: small, budgetMs: 1e9, batch: 1, size: 32, modelsDir: TEST_MODELS } as const;
    const first = (await recommend(o)).variants[0]!.budget!;
    expect(first.fits).toMatchObject({ network: 'alexnet', layers: [4] });
    expect(first.timed).toEqual([{ network: 'alexnet', layers: [4], ms: expect.any(Number), cached: false }]);
    expect(first.timed[0]!.ms).toBeGreaterThan(0);
    expect(Object.keys(readStepCache(small).entries)).toEqual([stepKey('alexnet', [4], { device: 'cpu', batch: 1, size: 32 })]);
    const again = (await recommend(o)).variants[0]!.budget!;
    expect(again.timed).toEqual([{ ...first.timed[0], cached: true }]);
  });

  it('says it cannot tell which cells are as good without repetitions', async () => {
    const once = folder([...cell('vgg16', 8, [25]), ...cell('alexnet', 4, [22])]);
    const r = await recommend({ task: SR, results: once });
    expect(r.variants[0]).toMatchObject({ tested: false, notWorse: [] });
    expect(recommendationText(r)).toMatch(/no repetitions of the best cell/);
  });

  it('says what to run when there are no results, never a number', async () => {
    const missing = join(tmpdir(), 'dpl-recommend-none', 'paper');
    const r = await recommend({ task: 'delineation', results: missing });
    expect(r.variants).toEqual([]);
    expect(r.toRun).toContain(`npx dpl-torch run --preset paper --only delineation --out ${missing}`);
    expect(r.toRun).not.toMatch(/\d+\.\d/);
    // results with random-init runs only
    const random = await recommend({ task: SR, results: folder(cell('vgg16', 8, [25], { pretrained: false, weightsId: 'random:0' })) });
    expect(random.toRun).toMatch(/1 finished super-resolution run\(s\), all with random-init loss networks/);
    expect(random.toRun).toContain('npx dpl-torch export-networks --weights imagenet');
  });

  it('runs from the command line', () => {
    const bin = join(packageRoot, 'dist', 'cli', 'main.js');
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first (npm test does)`);
    const cli = (args: string[]) => spawnSync(process.execPath, [bin, 'recommend', ...args], { encoding: 'utf8', timeout: 120_000 });
    const ok = cli(['--task', SR, '--results', dir]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/best vgg16 layer 2 \[8\]/);
    const json = JSON.parse(cli(['--task', SR, '--results', dir, '--json']).stdout);
    expect(json.variants[0].best.network).toBe('vgg16');
    const none = cli(['--task', 'autoencoder', '--results', join(dir, 'nothing')]);
    expect(none.status).toBe(1);
    expect(none.stdout).toContain('--only autoencoder');
    const bad = cli(['--task', 'segmentation']);
    expect(bad.stderr).toMatch(/--task must be one of similarity, super-resolution, delineation, autoencoder/);
    expect(cli(['--task', SR, '--device', 'cuda']).stderr).toMatch(/--device .* needs --budget-ms/);
  });
});
