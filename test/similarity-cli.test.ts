// The CLI commands `similarity` and `distance`, and the quick preset's run time.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { quickOptions, similarity } from '../src/benchmarks/similarity.js';
import { distanceCommand } from '../src/cli/distance.js';
import { similarityCommand } from '../src/cli/similarity.js';
import { fromFloatBatch, writePng } from '../src/data/image.js';
import { makeSyntheticBapps } from '../src/data/synthetic-bapps.js';
import { TEST_MODELS } from './helpers/models.js';
import { randomImages } from './helpers/reference.js';

const tmp = mkdtempSync(join(tmpdir(), 'dpl-sim-cli-'));
const bapps = join(tmp, 'bapps');
beforeAll(async () => {
  await makeSyntheticBapps(bapps, { seed: 3, perSubset: 12, size: 64 });
  await writePng(join(tmp, 'a.png'), fromFloatBatch(randomImages([1, 3, 64, 64], 1)));
  await writePng(join(tmp, 'b.png'), fromFloatBatch(randomImages([1, 3, 48, 48], 2)));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    return { code: await fn(), out: lines.join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

describe('cli', () => {
  it('similarity trains lin, writes a JSON results file, and distance uses its weights', async () => {
    const out = join(tmp, 'out');
    const r = await capture(() =>
      similarityCommand.run([
        '--network',
        'alexnet',
        '--layers',
        '1,4',
        '--variant',
        'lin',
        '--bapps',
        bapps,
        '--epochs',
        '1',
        '--batch',
        '12',
        '--allow-random-weights',
        '--models-dir',
        TEST_MODELS,
        '--out',
        out,
        '--seed',
        '2',
      ]),
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2afc\.mean\s+0\.\d{4}/);
    const file = readdirSync(out).find((f) => f.endsWith('.json'))!;
    expect(file).toBe('similarity-alexnet-1_4-lin-seed2.json');
    const body = JSON.parse(readFileSync(join(out, file), 'utf8'));
    expect(body).toMatchObject({ network: 'alexnet', layers: [1, 4], variant: 'lin', seed: 2, weightsId: 'random:0' });
    expect(Object.keys(body.metrics)).toContain('judge.bce');

    const weights = join(out, 'similarity-alexnet-1_4-lin-seed2', 'weights.json');
    const plain = await capture(() =>
      distanceCommand.run([join(tmp, 'a.png'), join(tmp, 'b.png'), '--network', 'alexnet', '--layers', '1,4', '--models-dir', TEST_MODELS]),
    );
    const learned = await capture(() =>
      distanceCommand.run([join(tmp, 'a.png'), join(tmp, 'b.png'), '--weights', weights, '--models-dir', TEST_MODELS]),
    );
    expect(Number(plain.out)).toBeGreaterThan(0);
    expect(Number(learned.out)).toBeGreaterThan(0);
    expect(Number(learned.out)).not.toBe(Number(plain.out));
    await expect(
      distanceCommand.run([join(tmp, 'a.png'), join(tmp, 'b.png'), '--weights', weights, '--layers', '1,7', '--models-dir', TEST_MODELS]),
    ).rejects.toThrow(/learned for another setup/);
  });

  it('refuses bad arguments with the remedy', async () => {
    await expect(similarityCommand.run(['--bapps', bapps])).rejects.toThrow(/--network is required/);
    await expect(similarityCommand.run(['--network', 'alexnet', '--bapps', bapps, '--variant', 'x'])).rejects.toThrow(
      /--variant must be one of/,
    );
    await expect(distanceCommand.run([join(tmp, 'a.png'), '--network', 'alexnet'])).rejects.toThrow(/exactly two image files/);
    await expect(
      distanceCommand.run([join(tmp, 'a.png'), join(tmp, 'b.png'), '--network', 'alexnet', '--compare', 'median']),
    ).rejects.toThrow(/--compare must be one of/);
  });
});

describe('quick preset', () => {
  it('makes its synthetic BAPPS and runs lin on squeezenet well under a minute', async () => {
    const t = Date.now();
    const r = await similarity.run(
      {
        benchmark: 'similarity',
        network: 'squeezenet1_1',
        layers: [1, 3, 7, 12],
        variant: 'lin',
        repetition: 0,
        seed: 0,
        options: quickOptions(join(tmp, 'data')),
      },
      {
        dir: join(tmp, 'quick-run'),
        device: 'cpu',
        modelsDir: TEST_MODELS,
        signal: new AbortController().signal,
        progress: () => {},
        log: () => {},
      },
    );
    const seconds = (Date.now() - t) / 1000;
    console.log(`quick similarity run (squeezenet1_1, lin, data made): ${seconds.toFixed(1)} s`);
    expect(seconds).toBeLessThan(40);
    expect(r.metrics['2afc.mean']).toBeGreaterThan(0.5);
  });
});
