// The file store (src/study/store.ts): one record per run, replaced whole by
// rename; a process killed at any moment while writing leaves every record
// readable, each at its old or its new state, with its metrics complete; temp
// files are never read as records; a study folder from the SQLite store is
// imported once, keeping its runs.
import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ResultsStore, type RunStart } from '../src/study/store.js';
import { DIST, ensureDist, startNode, waitFor } from './helpers/cli.js';

beforeAll(ensureDist);

const start = (id: string, repetition = 0): RunStart => ({
  id,
  benchmark: 'similarity',
  network: 'alexnet',
  layers: [1, 4],
  variant: 'lin',
  repetition,
  seed: repetition,
  configHash: 'c',
  options: { epochs: 1 },
  primaryMetric: '2afc.mean',
  higherIsBetter: true,
  weightsId: 'random:0',
  pretrained: false,
  versions: { dplTorch: '0.1.0', libtorch: '1.13.1', torchvision: '0.14.1' },
  device: 'cpu',
});

describe('results store', () => {
  it('keeps one record per run through attempts, with NaN metrics as blanks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpl-store-'));
    const store = new ResultsStore(dir);
    store.start({ ...start('a'), shard: '1/3', host: 'node7' });
    expect(store.get('a')).toMatchObject({ status: 'running', attempts: 1, host: 'node7', shard: '1/3', metrics: {} });
    store.stop('a', 'failed', 'boom', 2);
    store.start(start('a'));
    store.finish('a', {
      metrics: { '2afc.mean': 0.7, 'jnd.map': NaN },
      weightsId: 'random:0',
      pretrained: false,
      artifacts: ['x.json'],
      seconds: 3,
    });
    const a = store.get('a')!;
    expect(a).toMatchObject({ status: 'done', error: null, attempts: 2, seconds: 5, shard: null, artifacts: ['x.json'] });
    expect(a.metrics['2afc.mean']).toBe(0.7);
    expect(a.metrics['jnd.map']).toBeNaN();
    store.start(start('b', 1));
    expect(store.runs().map((r) => r.id)).toEqual(['a', 'b']);
    expect(store.runs({ status: 'running' }).map((r) => r.id)).toEqual(['b']);
    expect(readdirSync(join(dir, 'results')).sort()).toEqual(['a.json', 'b.json', 'meta']);
    expect(() => store.get('../escape')).toThrow(/cannot name a file/);
  });

  it('survives a writer killed at any moment: every record whole, no temp file read as a record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpl-store-kill-'));
    // A child writes runs as fast as it can (start, then finish with 50 metrics), forever; it is killed mid-way.
    const script = join(mkdtempSync(join(tmpdir(), 'dpl-store-child-')), 'writer.mjs');
    writeFileSync(
      script,
      `
      import { ResultsStore } from ${JSON.stringify(pathToFileURL(join(DIST, 'study', 'store.js')).href)};
      const store = new ResultsStore(${JSON.stringify(dir)});
      const base = ${JSON.stringify(start('x'))};
      for (let i = 0; ; i++) {
        const id = 'run-' + (i % 20);
        store.start({ ...base, id });
        if (i === 20) console.log('lapped');
        const metrics = Object.fromEntries(Array.from({ length: 50 }, (_, k) => ['m' + k, i]));
        store.finish(id, { metrics, weightsId: 'random:0', pretrained: false, artifacts: [], seconds: 1 });
      }`,
    );
    for (let round = 0; round < 3; round++) {
      const child = startNode(script, [], process.env);
      await waitFor(() => child.output().includes('lapped'), 60_000, 'the writer to lap');
      await new Promise((r) => setTimeout(r, 20 + 37 * round));
      child.child.kill('SIGKILL');
      expect(await child.exit).toBe(-9);
      const runs = new ResultsStore(dir).runs();
      expect(runs).toHaveLength(20);
      for (const r of runs) {
        if (r.status === 'done') {
          // all 50 metrics, from one and the same write
          expect(Object.keys(r.metrics)).toHaveLength(50);
          expect(new Set(Object.values(r.metrics)).size).toBe(1);
        } else {
          expect(r.status).toBe('running');
        }
      }
    }
  });

  it('imports a study folder of the SQLite store once, and goes on in files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpl-store-legacy-'));
    const db = new Database(join(dir, 'results.sqlite'));
    db.exec(`CREATE TABLE runs (id TEXT PRIMARY KEY, benchmark TEXT, network TEXT, layers TEXT, variant TEXT, repetition INTEGER,
      seed INTEGER, config_hash TEXT, options TEXT, primary_metric TEXT, higher_is_better INTEGER, status TEXT, error TEXT,
      weights_id TEXT, pretrained INTEGER, dpl_torch_version TEXT, libtorch_version TEXT, torchvision_version TEXT, device TEXT,
      attempts INTEGER, started_at TEXT, finished_at TEXT, seconds REAL, artifacts TEXT);
      CREATE TABLE metrics (run_id TEXT, name TEXT, value REAL, PRIMARY KEY (run_id, name));
      INSERT INTO runs VALUES ('old', 'super-resolution', 'vgg16', '[8]', 'x4', 0, 0, 'h', '{"epochs":2}', 'psnr.mean', 1, 'done', NULL,
        'IMAGENET1K_V1:vgg16.pth', 1, '0.1.0', '1.13.1', '0.14.1', 'cpu', 1, 't0', 't1', 12.5, '["hr.png"]');
      INSERT INTO runs VALUES ('broken', 'super-resolution', 'vgg16', '[3]', 'x4', 0, 0, 'h', '{}', 'psnr.mean', 1, 'failed', 'oom',
        NULL, NULL, '0.1.0', NULL, NULL, 'cpu', 1, 't0', 't1', 1, '[]');
      INSERT INTO metrics VALUES ('old', 'psnr.mean', 24.5), ('old', 'ssim.mean', NULL);`);
    db.close();
    const store = new ResultsStore(join(dir, 'results.sqlite')); // the old path names the folder
    const old = store.get('old')!;
    expect(old).toMatchObject({
      status: 'done',
      layers: [8],
      pretrained: true,
      seconds: 12.5,
      artifacts: ['hr.png'],
      host: null,
      shard: null,
    });
    expect(old.metrics['psnr.mean']).toBe(24.5);
    expect(old.metrics['ssim.mean']).toBeNaN();
    expect(store.get('broken')).toMatchObject({ status: 'failed', error: 'oom', weightsId: null });
    // The rerun of the failed run is a file record now; opening again does not bring the old row back.
    store.start({ ...start('broken'), benchmark: 'super-resolution' });
    store.finish('broken', { metrics: { 'psnr.mean': 20 }, weightsId: 'random:0', pretrained: false, artifacts: [], seconds: 1 });
    expect(new ResultsStore(dir).get('broken')).toMatchObject({ status: 'done', attempts: 2 });
  });
});
