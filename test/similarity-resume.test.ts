// A similarity run stopped part-way (Ctrl-C through the AbortSignal, or a
// crash that leaves only the last periodic checkpoint) and run again resumes
// and ends with exactly the results of an uninterrupted run with the same seed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunContext, RunResult, RunSpec } from '../src/benchmarks/benchmark.js';
import { similarity } from '../src/benchmarks/similarity.js';
import { makeSyntheticBapps } from '../src/data/synthetic-bapps.js';
import { TEST_MODELS } from './helpers/models.js';

const tmp = mkdtempSync(join(tmpdir(), 'dpl-sim-resume-'));
const root = join(tmp, 'bapps');
beforeAll(async () => {
  await makeSyntheticBapps(root, { seed: 2, perSubset: 16, size: 64 });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// tune on resnet18 also covers BatchNorm buffers in the checkpoint.
const NETWORKS: Record<string, [string, number[]]> = { lin: ['alexnet', [1, 4, 7]], tune: ['resnet18', [2, 4]] };
const spec = (variant: string): RunSpec => ({
  benchmark: 'similarity',
  network: NETWORKS[variant]![0],
  layers: NETWORKS[variant]![1],
  variant,
  repetition: 0,
  seed: 9,
  options: { bappsDir: root, weights: 'any', epochs: 3, decayEpochs: 2, batch: 8, evalBatch: 32, checkpointSteps: 4 },
});

function context(dir: string, onStep?: (done: number) => void, signal = new AbortController().signal): RunContext {
  return {
    dir,
    device: 'cpu',
    modelsDir: TEST_MODELS,
    signal,
    log: () => {},
    progress: (done, _t, note) => note?.startsWith('epoch') && onStep?.(done),
  };
}

const weights = (dir: string) => readFileSync(join(dir, 'weights.json'), 'utf8');

describe.each(['lin', 'tune'])('%s', (variant) => {
  let reference: RunResult;
  it('runs uninterrupted', async () => {
    reference = await similarity.run(spec(variant), context(join(tmp, `${variant}-whole`)));
    expect(Number.isFinite(reference.metrics['2afc.mean'])).toBe(true);
  });

  it('resumes after an abort (Ctrl-C) with the same results', async () => {
    const dir = join(tmp, `${variant}-aborted`);
    const ctl = new AbortController();
    let steps = 0;
    await expect(
      similarity.run(
        spec(variant),
        context(
          dir,
          (d) => {
            steps = d;
            if (d === 7) ctl.abort();
          },
          ctl.signal,
        ),
      ),
    ).rejects.toThrow(/similarity run aborted at step 7\/\d+; a checkpoint was saved/);
    expect(steps).toBe(7);
    let resumedFrom = Infinity;
    const again = await similarity.run(
      spec(variant),
      context(dir, (d) => (resumedFrom = Math.min(resumedFrom, d))),
    );
    expect(resumedFrom).toBe(8);
    expect(again.metrics).toEqual(reference.metrics);
    expect(weights(dir)).toBe(weights(join(tmp, `${variant}-whole`)));
  });

  it('resumes after a crash from the last periodic checkpoint with the same results', async () => {
    const dir = join(tmp, `${variant}-crashed`);
    await expect(
      similarity.run(
        spec(variant),
        context(dir, (d) => {
          if (d === 11) throw new Error('killed');
        }),
      ),
    ).rejects.toThrow('killed');
    let resumedFrom = Infinity;
    const again = await similarity.run(
      spec(variant),
      context(dir, (d) => (resumedFrom = Math.min(resumedFrom, d))),
    );
    expect(resumedFrom).toBe(9); // the checkpoint after step 8
    expect(again.metrics).toEqual(reference.metrics);
    expect(weights(dir)).toBe(weights(join(tmp, `${variant}-whole`)));
  });
});
