// `dpl-torch run` end to end with the real benchmarks on the quick preset,
// shortened (DPL_TORCH_QUICK_SCALE=tiny) and on the seeded test exports: it
// writes the store, the CSV and the report; a second run skips everything; a
// SIGKILL mid-run and a rerun give every run exactly once; Ctrl-C (SIGINT)
// stops cleanly with exit code 130 and says how to resume.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../src/study/registry.js';
import { ResultsStore } from '../src/study/store.js';
import { ensureDist, MAIN, startNode, waitFor } from './helpers/cli.js';
import { TEST_MODELS } from './helpers/models.js';

const env = { ...process.env, DPL_TORCH_QUICK_SCALE: 'tiny', DPL_TORCH_MODELS: TEST_MODELS };

beforeAll(ensureDist);

const start = (out: string, extra: string[] = []) => startNode(MAIN, ['run', ...extra, '--out', out], env);

function storeRuns(out: string) {
  const store = new ResultsStore(out);
  try {
    return store.runs();
  } finally {
    store.close();
  }
}

describe('npx dpl-torch run (quick preset, tiny)', () => {
  const out = mkdtempSync(join(tmpdir(), 'dpl-cli-run-'));
  let total = 0;

  it('runs every benchmark and writes the store, the CSV and the report', async () => {
    const r = start(out);
    const code = await r.exit;
    expect(code, r.output()).toBe(0);
    const runs = storeRuns(out);
    total = runs.length;
    // every implemented benchmark took part
    expect(new Set(runs.map((x) => x.benchmark))).toEqual(new Set(Object.keys(await defaultRegistry())));
    expect(runs.some((x) => x.benchmark === 'super-resolution')).toBe(true);
    expect(runs.every((x) => x.status === 'done')).toBe(true);
    // Loss networks are the random-init test exports; the autoencoder's pixel baseline has none.
    expect(runs.filter((x) => x.network !== 'pixel').every((x) => x.pretrained === false && x.weightsId === 'random:0')).toBe(true);
    expect(runs.filter((x) => x.network === 'pixel').map((x) => [x.benchmark, x.pretrained])).toEqual([
      ['autoencoder', null],
      ['autoencoder', null],
    ]);
    expect(runs.every((x) => Object.keys(x.metrics).length > 0)).toBe(true);
    const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(1 + total);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('RANDOM-INIT');
    expect(html).toContain('<table class="scores" data-benchmark="super-resolution"');
    for (const b of new Set(runs.map((x) => x.benchmark))) expect(html).toContain(`<table class="scores" data-benchmark="${b}"`);
    expect(html).toMatch(/<img src="data:image\/png;base64,/); // SR samples
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/WARNING: \d+ finished run\(s\) used RANDOM-INIT/);
    expect(r.output()).toMatch(/report: .*report\.html/);
    // each run records its layer mode; the claims table says the random-init runs do not count
    expect(runs.every((x) => x.options.layerMode === (x.benchmark === 'similarity' ? 'together' : 'single'))).toBe(true);
    expect(html).toMatch(/<table class="claims">/);
    expect(html).toContain(`${runs.filter((x) => x.network !== 'pixel').length} random-init run(s) left out`); // the pixel baseline counts
    // recommend will not recommend from random-init results: it says what to run
    const rec = spawnSync(process.execPath, [MAIN, 'recommend', '--task', 'super-resolution', '--results', out], { env, encoding: 'utf8' });
    expect(rec.status).toBe(1);
    expect(rec.stdout).toMatch(/all with random-init loss networks[\s\S]*npx dpl-torch run --preset paper --only super-resolution/);
  });

  it('skips everything the second time', async () => {
    const r = start(out);
    expect(await r.exit, r.output()).toBe(0);
    expect(r.output()).toContain(`study: ${total} runs, ${total} already done, 0 to run`);
    expect(storeRuns(out).every((x) => x.attempts === 1)).toBe(true);
  });

  it('completes after a SIGKILL mid-run, with no duplicate and no lost row', async () => {
    const killed = mkdtempSync(join(tmpdir(), 'dpl-cli-kill-'));
    const r = start(killed);
    // Kill once one run is done and the next has started.
    await waitFor(() => /\[2\/\d+\]/.test(r.output()), 240_000);
    r.child.kill('SIGKILL');
    expect(await r.exit).toBe(-9);
    const before = storeRuns(killed);
    expect(before.filter((x) => x.status === 'done').length).toBeGreaterThanOrEqual(1);
    expect(before.filter((x) => x.status === 'running')).toHaveLength(1);

    const again = start(killed);
    expect(await again.exit, again.output()).toBe(0);
    const after = storeRuns(killed);
    expect(after).toHaveLength(total);
    expect(new Set(after.map((x) => x.id)).size).toBe(total);
    expect(after.every((x) => x.status === 'done')).toBe(true);
    const wasRunning = after.find((x) => x.id === before.find((b) => b.status === 'running')!.id)!;
    expect(wasRunning.attempts).toBe(2);
    // the same runs as the uninterrupted study, with their metrics
    expect(after.map((x) => x.id).sort()).toEqual(
      storeRuns(out)
        .map((x) => x.id)
        .sort(),
    );
    expect(after.every((x) => Object.keys(x.metrics).length > 0)).toBe(true);
  });

  it('runs a study file with --only and --networks, and `report DIR` rewrites the report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpl-cli-file-'));
    const file = join(dir, 'study.yaml');
    writeFileSync(
      file,
      'scale: tiny\nbenchmarks: [similarity, super-resolution]\nnetworks: [vgg11]\nlayers: { alexnet: [1] }\nweights: any\n',
    );
    const r = start(join(dir, 'out'), [file, '--only', 'super-resolution', '--networks', 'alexnet']);
    expect(await r.exit, r.output()).toBe(0);
    const runs = storeRuns(join(dir, 'out'));
    expect(runs.map((x) => [x.benchmark, x.network, x.layers])).toEqual([['super-resolution', 'alexnet', [1]]]);
    rmSync(join(dir, 'out', 'report.html'));
    const report = execFileSync(process.execPath, [MAIN, 'report', join(dir, 'out')], { env, encoding: 'utf8' });
    expect(report).toMatch(/report: .*report\.html/);
    expect(readFileSync(join(dir, 'out', 'report.html'), 'utf8')).toContain('data-benchmark="super-resolution"');
  });

  it('stops on Ctrl-C with exit code 130 and says how to resume', async () => {
    const interrupted = mkdtempSync(join(tmpdir(), 'dpl-cli-sigint-'));
    const r = start(interrupted);
    await waitFor(() => /\[1\/\d+\]/.test(r.output()), 240_000);
    r.child.kill('SIGINT');
    expect(await r.exit, r.output()).toBe(130);
    expect(r.output()).toMatch(/To resume, run the same command again: npx dpl-torch run --out /);
    const runs = storeRuns(interrupted);
    expect(runs.filter((x) => x.status === 'running')).toHaveLength(0);
  });
});
