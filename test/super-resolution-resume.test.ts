// A super-resolution run stopped part-way (Ctrl-C through the AbortSignal, or a
// crash that leaves only the last periodic checkpoint) and run again ends with
// exactly the metrics of an uninterrupted run; the weights evaluated are the
// best-validation ones, not the last; and a folder trained with other options
// is refused rather than resumed.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunContext, RunResult, RunSpec } from '../src/benchmarks/benchmark.js';
import { superResolution, type SuperResolutionOptions } from '../src/benchmarks/super-resolution.js';
import { makeSyntheticSrData } from '../src/data/synthetic-sr.js';
import { TEST_MODELS } from './helpers/models.js';

const tmp = mkdtempSync(join(tmpdir(), 'dpl-sr-resume-'));
let data: { coco: string; tests: string };
beforeAll(async () => {
  data = await makeSyntheticSrData(join(tmp, 'data'), { seed: 8, train: 8, val: 2, test: 2, size: [40, 56] });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const spec = (o: Partial<SuperResolutionOptions> = {}): RunSpec => ({
  benchmark: 'super-resolution',
  network: 'alexnet',
  layers: [1],
  variant: 'x4',
  repetition: 0,
  seed: 3,
  options: {
    coco: data.coco,
    tests: data.tests,
    trainImages: 8,
    valImages: 2,
    epochs: 3,
    stepsPerEpoch: 3,
    batchSize: 2,
    hrSize: 32,
    checkpointEvery: 2,
    samples: 0,
    testImages: 2,
    ...o,
  },
});

function context(dir: string, onStep?: (done: number) => void, signal = new AbortController().signal): RunContext {
  return { dir, device: 'cpu', modelsDir: TEST_MODELS, signal, log: () => {}, progress: (done) => onStep?.(done) };
}
const state = (dir: string) => JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));

describe('super-resolution resume', () => {
  let reference: RunResult;
  it('runs uninterrupted', async () => {
    reference = await superResolution.run(spec(), context(join(tmp, 'whole')));
    expect(Number.isFinite(reference.metrics['psnr.mean'])).toBe(true);
  });

  it('resumes after an abort (Ctrl-C) with the same metrics', async () => {
    const dir = join(tmp, 'aborted');
    const ctl = new AbortController();
    await expect(
      superResolution.run(
        spec(),
        context(dir, (d) => d === 4 && ctl.abort(), ctl.signal),
      ),
    ).rejects.toThrow(/super-resolution run aborted at step 4\/9; a checkpoint was saved/);
    let resumedFrom = Infinity;
    const again = await superResolution.run(
      spec(),
      context(dir, (d) => (resumedFrom = Math.min(resumedFrom, d))),
    );
    expect(resumedFrom).toBe(5);
    expect(again.metrics).toEqual(reference.metrics);
  });

  it('resumes after a crash from the last periodic checkpoint with the same metrics', async () => {
    const dir = join(tmp, 'crashed');
    await expect(
      superResolution.run(
        spec(),
        context(dir, (d) => {
          if (d === 6) throw new Error('killed');
        }),
      ),
    ).rejects.toThrow('killed');
    expect(state(dir).globalStep).toBe(4); // the periodic checkpoint after step 4; steps 5 and 6 are lost
    let resumedFrom = Infinity;
    const again = await superResolution.run(
      spec(),
      context(dir, (d) => (resumedFrom = Math.min(resumedFrom, d))),
    );
    expect(resumedFrom).toBe(5);
    expect(again.metrics).toEqual(reference.metrics);
  });

  it('refuses a folder trained with another option (lr) instead of resuming it', async () => {
    const dir = join(tmp, 'other-lr');
    cpSync(join(tmp, 'crashed'), dir, { recursive: true });
    await expect(superResolution.run(spec({ lr: 2e-3 }), context(dir))).rejects.toThrow(
      /holds a super-resolution checkpoint trained with other settings.*"lr":0\.001/,
    );
    await expect(superResolution.run(spec({ tvWeight: 0.1 }), context(dir))).rejects.toThrow(/trained with other settings/);
  });

  it('evaluates the best-validation weights, not the last', async () => {
    // One epoch: best.pt holds epoch 1's weights, and they are what is evaluated.
    const one = join(tmp, 'one-epoch');
    const first = await superResolution.run(spec({ epochs: 1 }), context(one));
    // Continue the same folder to 3 epochs with a best score no later epoch can beat:
    // epochs 2 and 3 train on (the last weights change) but best.pt stays epoch 1's.
    const dir = join(tmp, 'best-first');
    cpSync(one, dir, { recursive: true });
    const s = state(dir);
    s.best.value = 1e9;
    writeFileSync(join(dir, 'state.json'), JSON.stringify(s));
    const r = await superResolution.run(spec(), context(dir));
    const history = state(dir).history as { val: number }[];
    expect(history).toHaveLength(3);
    expect(history[2]!.val).not.toBe(history[0]!.val); // the last weights are not epoch 1's
    expect(r.metrics['val.bestEpoch']).toBe(1);
    for (const k of Object.keys(first.metrics).filter((m) => /^(psnr|ssim|featureLoss)\./.test(m))) {
      expect(r.metrics[k], k).toBe(first.metrics[k]);
    }
  });
});
