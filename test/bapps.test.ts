// BAPPS data: .npy reading, a synthetic tree in the real layout served over
// HTTP on 127.0.0.1 (download with resume, extraction, loading), clear errors
// offline or without data, and the benchmark on it: a short lin run lowers the
// judge loss and writes results; baseline scores the synthetic data sensibly.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunContext, RunSpec } from '../src/benchmarks/benchmark.js';
import { quickOptions, similarity } from '../src/benchmarks/similarity.js';
import { ensureBapps, listJnd, listTwoAfc, loadJndPairs, loadTriplets, TWOAFC_VAL } from '../src/data/bapps.js';
import { encodeNpy, readNpy } from '../src/data/npy.js';
import { makeSyntheticBapps, type SyntheticBapps } from '../src/data/synthetic-bapps.js';
import { serveFolder, type TestServer } from './helpers/http-server.js';
import { TEST_MODELS } from './helpers/models.js';
import { referencePython } from './helpers/reference.js';

const tmp = mkdtempSync(join(tmpdir(), 'dpl-bapps-'));
const python = referencePython();
let made: SyntheticBapps;
let server: TestServer;
const root = join(tmp, 'downloaded');

beforeAll(async () => {
  made = await makeSyntheticBapps(join(tmp, 'source'), { seed: 1, perSubset: 24, size: 64, packInto: join(tmp, 'served') });
  server = await serveFolder(join(tmp, 'served'));
});
afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function context(dir: string, extra: Partial<RunContext> = {}): RunContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    dir,
    device: 'cpu',
    modelsDir: TEST_MODELS,
    signal: new AbortController().signal,
    progress: () => {},
    log: (l) => lines.push(l),
    lines,
    ...extra,
  };
}

describe('.npy', () => {
  it('reads float64 and float32 files, also those numpy writes', () => {
    writeFileSync(join(tmp, 'a.npy'), encodeNpy([0.4], 'float64'));
    writeFileSync(join(tmp, 'b.npy'), encodeNpy([0.25, 1], 'float32'));
    expect(readNpy(join(tmp, 'a.npy'))).toEqual([0.4]);
    expect(readNpy(join(tmp, 'b.npy'))).toEqual([0.25, 1]);
    if (!python) return;
    const r = spawnSync(
      python,
      [
        '-c',
        `import numpy as np
np.save(${JSON.stringify(join(tmp, 'c.npy'))}, np.array([0.6], dtype=np.float64))
np.save(${JSON.stringify(join(tmp, 'd.npy'))}, np.array([[0.2]], dtype=np.float32))`,
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(readNpy(join(tmp, 'c.npy'))).toEqual([0.6]);
    expect(readNpy(join(tmp, 'd.npy'))[0]).toBeCloseTo(0.2, 7);
    writeFileSync(join(tmp, 'e.npy'), 'not numpy');
    expect(() => readNpy(join(tmp, 'e.npy'))).toThrow(/not a float \.npy file/);
  });
});

describe('BAPPS download and loading', () => {
  it('says what is missing and how to get it, without --download', async () => {
    await expect(ensureBapps(join(tmp, 'empty'))).rejects.toThrow(/BAPPS data is missing .*2afc\/train\/traditional.*--download/);
  });

  it('gives a clear error when offline', async () => {
    await expect(ensureBapps(join(tmp, 'offline'), { download: true, parts: ['jnd'], baseUrl: 'http://127.0.0.1:9' })).rejects.toThrow(
      /BAPPS jnd: cannot download http:\/\/127\.0\.0\.1:9\/jnd\.tar\.gz.*offline/,
    );
  });

  it('downloads, resumes after a cut-off, verifies and unpacks the three tarballs', async () => {
    const sha256 = Object.fromEntries(Object.entries(made.tarballs!).map(([k, v]) => [k, v.sha256]));
    server.cutAfter = 1_000_000;
    await expect(ensureBapps(root, { download: true, baseUrl: server.url, sha256 })).rejects.toThrow(/BAPPS train/);
    const part = join(root, 'downloads', 'twoafc_train.tar.gz.part');
    const have = statSync(part).size;
    expect(have).toBeGreaterThan(0);
    expect(have).toBeLessThanOrEqual(1_000_000);
    const seen: number[] = [];
    await ensureBapps(root, { download: true, baseUrl: server.url, sha256, onProgress: (_n, p) => seen.push(p.received) });
    expect(server.requests.some((r) => r.endsWith(`/twoafc_train.tar.gz bytes=${have}-`))).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    expect(existsSync(join(root, 'downloads', 'twoafc_train.tar.gz'))).toBe(false);
    const requests = server.requests.length;
    await ensureBapps(root, { download: true, baseUrl: server.url }); // complete: nothing fetched
    expect(server.requests.length).toBe(requests);
  });

  it('lists triplets and pairs in sorted order and loads batches', async () => {
    const val = listTwoAfc(root, 'val');
    expect([...val.keys()]).toEqual([...TWOAFC_VAL]);
    const cnn = val.get('cnn')!;
    expect(cnn.length).toBe(24);
    expect(cnn.map((t) => t.id)).toEqual([...cnn.map((t) => t.id)].sort());
    const b = await loadTriplets(cnn.slice(0, 5), 64);
    expect(b.ref.shape).toEqual([5, 3, 64, 64]);
    expect(b.judge.every((h) => h >= 0 && h <= 1 && Math.abs(h * 5 - Math.round(h * 5)) < 1e-6)).toBe(true);
    const small = await loadTriplets(cnn.slice(0, 2), 32);
    expect(small.p1.shape).toEqual([2, 3, 32, 32]);
    const jnd = [...listJnd(root).values()].flat();
    expect(jnd.length).toBe(48);
    const j = await loadJndPairs(jnd.slice(0, 3), 64);
    expect(j.same.every((s) => [0, 1 / 3, 2 / 3, 1].some((v) => Math.abs(v - s) < 1e-6))).toBe(true);
    rmSync(join(root, '2afc', 'val', 'cnn', 'p1', '000003.png'));
    expect(() => listTwoAfc(root, 'val')).toThrow(/do not pair up: '000003'/);
    writeFileSync(
      join(root, '2afc', 'val', 'cnn', 'p1', '000003.png'),
      readFileSync(join(made.root, '2afc', 'val', 'cnn', 'p1', '000003.png')),
    );
  });
});

describe('similarity benchmark on the downloaded tree', () => {
  const spec = (variant: string, options: Record<string, unknown> = {}): RunSpec => ({
    benchmark: 'similarity',
    network: 'alexnet',
    layers: [1, 4, 7, 11],
    variant,
    repetition: 0,
    seed: 5,
    options: { ...quickOptions(tmp), synthetic: undefined, bappsDir: root, ...options },
  });

  it('baseline scores the synthetic judgements above chance', async () => {
    const r = await similarity.run(spec('baseline'), context(join(tmp, 'run-baseline')));
    expect(Object.keys(r.metrics).sort()).toEqual(
      [...TWOAFC_VAL.flatMap((s) => [`2afc.${s}`, `accuracy.${s}`]), '2afc.mean', 'accuracy.mean', 'jnd.map'].sort(),
    );
    expect(r.metrics['2afc.mean']).toBeGreaterThan(0.55);
    expect(r.metrics['jnd.map']).toBeGreaterThan(0);
    expect(r.weightsId).toBe('random:0');
  });

  it('a short lin run lowers the judge loss and writes results and weights', async () => {
    const dir = join(tmp, 'run-lin');
    const t = Date.now();
    const r = await similarity.run(spec('lin', { epochs: 4, decayEpochs: 2, batch: 8 }), context(dir));
    const seconds = (Date.now() - t) / 1000;
    const saved = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(saved.trainLoss.length).toBe(4);
    expect(saved.trainLoss.at(-1)).toBeLessThan(saved.trainLoss[0]);
    expect(saved).toMatchObject({
      network: 'alexnet',
      variant: 'lin',
      compare: 'spatial',
      channelNorm: true,
      normalization: 'imagenet',
      seed: 5,
    });
    expect(saved.metrics).toEqual(r.metrics);
    expect(r.metrics['judge.bce']).toBeGreaterThan(0);
    expect(r.artifacts).toEqual(['results.json', 'weights.json']);
    const w = JSON.parse(readFileSync(join(dir, 'weights.json'), 'utf8'));
    expect(w.weights.flatMap((x: { values: number[] }) => x.values).every((v: number) => v >= 0)).toBe(true);
    expect(seconds).toBeLessThan(60);
  });

  it.runIf(python)('scratch trains a fresh export seeded by the run', async () => {
    const r = await similarity.run(spec('scratch', { epochs: 1, batch: 24 }), context(join(tmp, 'run-scratch')));
    expect(r.weightsId).toBe('random:5');
    expect(Number.isFinite(r.metrics['2afc.mean'])).toBe(true);
    expect(Number.isFinite(r.metrics['judge.bce'])).toBe(true);
  });

  it('refuses bad options with clear errors', async () => {
    await expect(similarity.run(spec('fancy'), context(join(tmp, 'x')))).rejects.toThrow(/unknown similarity variant 'fancy'/);
    await expect(similarity.run(spec('lin', { compare: 'median' }), context(join(tmp, 'x')))).rejects.toThrow(/compare/);
    await expect(similarity.run(spec('lin', { weights: 'imagenet' }), context(join(tmp, 'x')))).rejects.toThrow(
      /ImageNet weights were asked for/,
    );
  });
});
