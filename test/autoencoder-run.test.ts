// The autoencoder benchmark end to end on tiny files in the real formats,
// served on 127.0.0.1: downloads checked against MD5s (SVHN .mat files, the
// STL-10 tarball), training, probes, stored metrics and artifacts; a run
// interrupted in training and again in the probes, and a CLI run killed with
// SIGKILL, end with the metrics of an uninterrupted run; a layer past the
// network's end is refused before any data is read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { autoencoder, type AutoencoderOptions } from '../src/benchmarks/autoencoder.js';
import type { RunContext, RunSpec } from '../src/benchmarks/benchmark.js';
import { PROBES } from '../src/benchmarks/autoencoder-probes.js';
import { hashOf } from '../src/data/download.js';
import { readImage } from '../src/data/image.js';
import { ensureSvhn } from '../src/data/svhn.js';
import { writeSyntheticStl10, writeSyntheticSvhn } from '../src/data/synthetic-autoencoder.js';
import { packageRoot } from '../src/paths.js';
import { serveFolder, type TestServer } from './helpers/http-server.js';
import { killAtStep } from './helpers/kill.js';
import { TEST_MODELS } from './helpers/models.js';

const root = mkdtempSync(join(tmpdir(), 'dpl-ae-run-'));
const MAIN = join(packageRoot, 'dist', 'cli', 'main.js');
let server: TestServer;
const md5: Record<string, string> = {};

function newest(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => statSync(join(e.parentPath, e.name)).mtimeMs),
  );
}

beforeAll(async () => {
  const www = join(root, 'www');
  writeSyntheticSvhn(join(www, 'housenumbers'), { train: 40, test: 20, extra: 48 }, 3);
  writeSyntheticStl10(join(root, 'stl-src'), { train: 30, test: 10, unlabeled: 24 }, 4);
  mkdirSync(join(www, 'stl10'));
  await tar.c({ gzip: true, file: join(www, 'stl10', 'stl10_binary.tar.gz'), cwd: join(root, 'stl-src') }, ['stl10_binary']);
  for (const f of ['train_32x32.mat', 'test_32x32.mat', 'extra_32x32.mat']) md5[f] = await hashOf(join(www, 'housenumbers', f), 'md5');
  md5['stl10_binary.tar.gz'] = await hashOf(join(www, 'stl10', 'stl10_binary.tar.gz'), 'md5');
  server = await serveFolder(www);
  // The CLI runs from dist/: compile when the sources are newer.
  if (!existsSync(MAIN) || newest(join(packageRoot, 'src')) > newest(join(packageRoot, 'dist'))) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: packageRoot, stdio: 'inherit' });
  }
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

function context(dir: string, signal = new AbortController().signal, onLog?: (line: string) => void, onProgress?: (done: number) => void) {
  const logs: string[] = [];
  const ctx: RunContext = {
    dir,
    device: 'cpu',
    modelsDir: TEST_MODELS,
    signal,
    progress: (done) => onProgress?.(done),
    log: (l) => {
      logs.push(l);
      onLog?.(l);
    },
  };
  return { ctx, logs };
}

const svhnDir = () => join(root, 'data', 'svhn');
const options = (extra: Partial<AutoencoderOptions> = {}): AutoencoderOptions => ({
  svhn: svhnDir(),
  download: true,
  urls: { svhn: `${server.url}/housenumbers`, stl10: `${server.url}/stl10/stl10_binary.tar.gz` },
  md5,
  epochs: 2,
  batchSize: 8,
  checkpointEvery: 2,
  probeEpochs: 12,
  probePatience: 4,
  probeBatch: 16,
  samples: 4,
  ...extra,
});
const spec = (o: AutoencoderOptions, network = 'alexnet', layers = [1], variant = 'svhn'): RunSpec => ({
  benchmark: 'autoencoder',
  network,
  layers,
  variant,
  repetition: 0,
  seed: 2,
  options: o as Record<string, unknown>,
});

let reference: Record<string, number>;

describe('autoencoder benchmark', () => {
  it('refuses a file whose MD5 differs, deleting it', async () => {
    const dir = join(root, 'bad-md5');
    await expect(
      ensureSvhn(dir, ['test'], { download: true, baseUrl: `${server.url}/housenumbers`, md5: { 'test_32x32.mat': '0'.repeat(32) } }),
    ).rejects.toThrow(/corrupt: md5 [0-9a-f]{32}, expected 0{32}/);
    expect(existsSync(join(dir, 'test_32x32.mat'))).toBe(false);
    await expect(ensureSvhn(join(root, 'none'), ['test'])).rejects.toThrow(/test_32x32\.mat .* not in .*--download/);
  });

  it('downloads SVHN, trains, runs the seven probes and stores every metric', async () => {
    const dir = join(root, 'runs', 'a');
    const { ctx, logs } = context(dir);
    const seen = server.requests.length;
    const r = await autoencoder.run(spec(options()), ctx);
    expect(server.requests.slice(seen).sort()).toEqual([
      'GET /housenumbers/extra_32x32.mat',
      'GET /housenumbers/test_32x32.mat',
      'GET /housenumbers/train_32x32.mat',
    ]);
    for (const p of PROBES) {
      for (const part of ['val', 'test']) {
        for (const m of ['loss', 'l1', 'l2', 'accuracy'])
          expect(Number.isFinite(r.metrics[`probe.${p.name}.${part}.${m}`]), `${p.name} ${part} ${m}`).toBe(true);
      }
      expect(r.metrics[`probe.${p.name}.epochs`]).toBeGreaterThanOrEqual(r.metrics[`probe.${p.name}.bestEpoch`]!);
    }
    const accuracies = PROBES.map((p) => r.metrics[`probe.${p.name}.test.accuracy`]!);
    expect(r.metrics['probe.best.accuracy']).toBe(Math.max(...accuracies));
    expect(accuracies[r.metrics['probe.best.index']!]).toBe(r.metrics['probe.best.accuracy']);
    expect(r.metrics['train.epochs']).toBe(2);
    expect(r.metrics['val.bestEpoch']).toBeGreaterThanOrEqual(1);
    expect(r.weightsId).toBe('random:0');
    expect(JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'))).toEqual(r.metrics);
    const splits = JSON.parse(readFileSync(join(dir, 'splits.json'), 'utf8'));
    expect(splits).toMatchObject({
      dataset: 'svhn',
      autoencoder: { source: 'extra_32x32.mat', images: 48, train: { count: 38 }, val: { count: 10 } },
      probe: { images: 40, train: { count: 32 }, val: { count: 8 } },
      test: { images: 20 },
    });
    expect(r.artifacts).toEqual(['samples/reconstructions.png']);
    expect((await readImage(join(dir, 'samples', 'reconstructions.png'))).shape).toEqual([2 * 64, 4 * 64, 3]);
    expect(logs.some((l) => /probe 128-128: \d+ epochs/.test(l))).toBe(true);
    reference = r.metrics;
  });

  it("an interrupted run (in training, then in the probes) ends with the uninterrupted run's metrics", async () => {
    const dir = join(root, 'runs', 'b');
    const first = new AbortController();
    await expect(
      autoencoder.run(spec(options()), context(dir, first.signal, undefined, (done) => done === 3 && first.abort()).ctx),
    ).rejects.toThrow(/aborted/);
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).globalStep).toBe(3);
    const second = new AbortController();
    const { ctx, logs } = context(dir, second.signal, (l) => l.startsWith('probe 32:') && second.abort());
    await expect(autoencoder.run(spec(options()), ctx)).rejects.toThrow(/probes aborted/);
    expect(logs.some((l) => /resumed at step 3/.test(l))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'probes.json'), 'utf8')).results.map((p: { name: string }) => p.name)).toEqual([
      'linear',
      '32',
    ]);
    const third = context(dir);
    const r = await autoencoder.run(spec(options()), third.ctx);
    expect(third.logs.some((l) => l.startsWith('probe linear:'))).toBe(false); // finished probes are not redone
    expect(r.metrics).toEqual(reference);
  });

  it('downloads and unpacks the STL-10 tarball and trains the pixel baseline at 96x96', async () => {
    const o = { ...options(), svhn: undefined, stl10: join(root, 'data', 'stl10'), epochs: 1, probeEpochs: 4 };
    const r = await autoencoder.run(spec(o, 'pixel', [], 'stl10'), context(join(root, 'runs', 'stl')).ctx);
    expect(existsSync(join(root, 'data', 'stl10', 'stl10_binary', 'unlabeled_X.bin'))).toBe(true);
    expect(r.weightsId).toBe('pixel');
    expect(r.metrics['probe.best.accuracy']).toBeGreaterThanOrEqual(0);
    expect((await readImage(join(root, 'runs', 'stl', 'samples', 'reconstructions.png'))).shape).toEqual([2 * 96, 4 * 96, 3]);
  });

  it("refuses a layer past the network's end before reading any data", async () => {
    const o = { ...options(), svhn: join(root, 'no-such-folder'), download: false };
    await expect(autoencoder.run(spec(o, 'alexnet', [13]), context(join(root, 'runs', 'l13')).ctx)).rejects.toThrow(
      /layer 13 is past the end of alexnet/,
    );
    const r = spawnSync(
      process.execPath,
      [MAIN, 'autoencoder', '--network', 'alexnet', '--layer', '13', '--data', 'svhn', '--svhn', join(root, 'no-such-folder')],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--layer 13 is past the end of alexnet: it has 13 children/);
  });

  it('a CLI run killed with SIGKILL resumes to the metrics of an uninterrupted run', async () => {
    const data = join(root, 'cli-data');
    cpSync(svhnDir(), data, { recursive: true });
    const flags = ['--epochs', '3', '--batch', '8', '--checkpoint-every', '2', '--probe-epochs', '6', '--seed', '2'];
    const args = [
      MAIN,
      'autoencoder',
      '--network',
      'alexnet',
      '--layer',
      '1',
      '--data',
      'svhn',
      '--svhn',
      data,
      '--models',
      TEST_MODELS,
      ...flags,
    ];
    const killedDir = join(root, 'runs', 'killed');
    const killedAt = await killAtStep(
      spawn(process.execPath, [...args, '--out', killedDir], { stdio: 'ignore' }),
      join(killedDir, 'state.json'),
      7,
    );
    const again = spawnSync(process.execPath, [...args, '--out', killedDir], { encoding: 'utf8' });
    expect(again.status, again.stderr).toBe(0);
    expect(Number(/resumed at step (\d+)/.exec(again.stderr)?.[1])).toBeGreaterThanOrEqual(killedAt);
    expect(again.stdout).toMatch(/probe\.best\.accuracy\s+\d\.\d{4}/);
    // The same run uninterrupted, in-process (what the CLI passes, with the benchmark's defaults for the rest).
    const whole = await autoencoder.run(
      spec({ svhn: data, epochs: 3, batchSize: 8, checkpointEvery: 2, probeEpochs: 6 }),
      context(join(root, 'runs', 'whole')).ctx,
    );
    expect(JSON.parse(readFileSync(join(killedDir, 'metrics.json'), 'utf8'))).toEqual(whole.metrics);
  });
});
