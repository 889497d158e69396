// The training kit every benchmark shares: atomic files, the seeded sample
// order, the best/early-stop rule, and the loop's resume, best checkpoint,
// early stop and divergence guard, on a small JS model whose checkpoints are files.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { epochOrder } from '../src/data/seeded.js';
import { makeDirAtomic, saveAtomic, writeJsonAtomic } from '../src/training/atomic.js';
import { SampleOrder } from '../src/training/batches.js';
import { BestTracker } from '../src/training/best.js';
import { readTrainState, trainLoop, type TrainLoopOptions } from '../src/training/loop.js';

const root = mkdtempSync(join(tmpdir(), 'dpl-kit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('atomic files', () => {
  it('replace a file whole and leave no temporary behind, also when the writer fails', async () => {
    const f = join(root, 'a.json');
    writeJsonAtomic(f, { a: 1 });
    writeJsonAtomic(f, { a: 2 });
    expect(JSON.parse(readFileSync(f, 'utf8'))).toEqual({ a: 2 });
    await expect(
      saveAtomic(f, async (tmp) => {
        writeFileSync(tmp, 'half');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(JSON.parse(readFileSync(f, 'utf8'))).toEqual({ a: 2 });
    expect(readdirSync(root).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('a folder made atomically is kept once; a second maker finds it there', async () => {
    const dir = join(root, 'tree');
    const make = (tag: string) => async (tmp: string) => {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(tmp);
      writeFileSync(join(tmp, 'who'), tag);
    };
    expect(await makeDirAtomic(dir, make('first'))).toBe(true);
    expect(await makeDirAtomic(dir, make('second'))).toBe(false);
    expect(readFileSync(join(dir, 'who'), 'utf8')).toBe('first');
    expect(readdirSync(root).filter((n) => n.startsWith('tree.tmp'))).toEqual([]);
  });
});

describe('SampleOrder', () => {
  it('takes every sample once per epoch, reproducibly, reshuffled by seed and epoch', () => {
    const a = epochOrder(50, 1, 0);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(epochOrder(50, 1, 0)).toEqual(a);
    expect(epochOrder(50, 1, 1)).not.toEqual(a);
    expect(epochOrder(50, 2, 0)).not.toEqual(a);
    const o = new SampleOrder(10, 3);
    expect(o.stepsPerEpoch(4)).toBe(3);
    const epoch1 = [0, 1, 2].flatMap((s) => o.epochBatch(1, s, 4));
    expect(o.epochBatch(1, 2, 4)).toHaveLength(2);
    expect(epoch1).toEqual(epochOrder(10, 3, 1));
  });

  it('streams batches across epoch boundaries in the order of consecutive epochs', () => {
    const o = new SampleOrder(5, 9);
    const stream = [0, 1, 2, 3, 4].flatMap((g) => o.streamBatch(g, 3)); // 15 samples: epochs 0, 1, 2
    expect(stream).toEqual([...epochOrder(5, 9, 0), ...epochOrder(5, 9, 1), ...epochOrder(5, 9, 2)]);
    expect(() => new SampleOrder(0, 1)).toThrow(/at least one sample/);
  });
});

describe('BestTracker', () => {
  it('keeps the first of equal scores, ignores NaN, and stops after `patience` scores without improvement', () => {
    const t = new BestTracker('lower', 2);
    const seq = [5, 4, 4, NaN, 3, 3.5, 3.2];
    const verdicts = seq.map((v, i) => t.update(i + 1, v));
    expect(verdicts.map((v) => v.improved)).toEqual([true, true, false, false, true, false, false]);
    expect(verdicts.map((v) => v.stop)).toEqual([false, false, false, true, false, false, true]);
    expect(t.best).toEqual({ epoch: 5, value: 3 });
    const h = new BestTracker('higher');
    expect([1, 3, 2].map((v, i) => h.update(i, v).improved)).toEqual([true, true, false]);
    expect(() => new BestTracker('lower', 0)).toThrow(/patience/);
  });
});

/** A model whose weights are one number: a step adds the batch's value; save/load write it to a file. */
class FileModel {
  w = 0;
  saves: string[] = [];
  async save(path: string, withOptimizer: boolean): Promise<void> {
    writeFileSync(path, JSON.stringify({ w: this.w, withOptimizer }));
    this.saves.push(path);
  }
  async load(path: string): Promise<void> {
    this.w = JSON.parse(readFileSync(path, 'utf8')).w;
  }
}

function loopOptions(dir: string, model: FileModel, over: Partial<TrainLoopOptions<number>> = {}): TrainLoopOptions<number> {
  return {
    name: 'toy',
    dir,
    key: { lr: 1 },
    model,
    epochs: 4,
    stepsPerEpoch: 5,
    load: async (epoch, step) => epoch * 10 + step,
    step: async (b) => {
      model.w += b;
      return b;
    },
    // Validation: lower is better; w is 10, 70, 180, 340 after epochs 1-4, so epoch 2 is best (|70 - 60| = 10).
    validate: async () => Math.abs(model.w - 60),
    signal: new AbortController().signal,
    progress: () => {},
    log: () => {},
    ...over,
  };
}

describe('trainLoop', () => {
  it('resumes after an abort to the same end as an uninterrupted run, and keeps the best validated weights', async () => {
    const whole = new FileModel();
    const a = await trainLoop(loopOptions(join(root, 'whole'), whole));
    expect(a.state.history.map((h) => h.trainLoss)).toEqual([2, 12, 22, 32]);
    expect(a.state.best).toEqual({ epoch: 2, value: 10 });
    const best = new FileModel();
    await best.load(a.bestPath!);
    expect(best.w).toBe(70);

    const dir = join(root, 'cut');
    const ac = new AbortController();
    const first = new FileModel();
    const done: number[] = [];
    await expect(
      trainLoop(
        loopOptions(dir, first, {
          checkpointEvery: 3,
          signal: ac.signal,
          progress: (d) => {
            done.push(d);
            if (d === 8) ac.abort();
          },
        }),
      ),
    ).rejects.toThrow(/toy run aborted at step 8\/20/);
    expect(readTrainState(dir)).toMatchObject({ globalStep: 8, epoch: 1, step: 3, checkpoint: 'ckpt-8.pt' });
    expect(readdirSync(dir).filter((f) => f.startsWith('ckpt-'))).toEqual(['ckpt-8.pt']);
    const logs: string[] = [];
    const second = new FileModel(); // a fresh process: weights come from the checkpoint
    const b = await trainLoop(loopOptions(dir, second, { log: (l) => logs.push(l) }));
    expect(logs[0]).toBe('toy: resumed at step 8 (epoch 2, step 3)');
    expect(b.state.history).toEqual(a.state.history);
    expect(second.w).toBe(whole.w);
    // A finished run returns at once.
    const third = new FileModel();
    const saves = third.saves.length;
    await trainLoop(loopOptions(dir, third));
    expect(third.saves.length).toBe(saves);
    expect(third.w).toBe(whole.w);
  });

  it('stops early after `patience` epochs without a better validation score', async () => {
    const m = new FileModel();
    const r = await trainLoop(loopOptions(join(root, 'early'), m, { epochs: 10, patience: 2 }));
    expect(r.state.history).toHaveLength(4); // best at 2, no better at 3 and 4
    expect(r.state.stoppedEarly).toBe(true);
    expect(r.state.best?.epoch).toBe(2);
  });

  it('refuses a checkpoint trained with other settings', async () => {
    await expect(trainLoop(loopOptions(join(root, 'whole'), new FileModel(), { key: { lr: 2 } }))).rejects.toThrow(/other settings/);
  });

  it('saves what was trained before a batch that cannot be read, and resumes there', async () => {
    const dir = join(root, 'bad-batch');
    const m = new FileModel();
    const broken = (epoch: number, step: number) =>
      epoch === 1 && step === 2 ? Promise.reject(new Error('cannot decode tile 7')) : Promise.resolve(epoch * 10 + step);
    await expect(trainLoop(loopOptions(dir, m, { checkpointEvery: 100, load: broken }))).rejects.toThrow('cannot decode tile 7');
    expect(readTrainState(dir)).toMatchObject({ globalStep: 7, epoch: 1, step: 2, checkpoint: 'ckpt-7.pt' });
    const again = new FileModel();
    const r = await trainLoop(loopOptions(dir, again));
    expect(r.state.history.map((h) => h.trainLoss)).toEqual([2, 12, 22, 32]);
    expect(again.w).toBe(340);
  });

  it('stops on a non-finite loss and keeps the last good checkpoint', async () => {
    const dir = join(root, 'nan');
    const m = new FileModel();
    await expect(
      trainLoop(
        loopOptions(dir, m, {
          checkpointEvery: 2,
          step: async (b) => (b === 13 ? NaN : b),
        }),
      ),
    ).rejects.toThrow(/diverged: the loss was NaN at epoch 2, step 4; the last good checkpoint \(ckpt-8\.pt\) is kept/);
    expect(readTrainState(dir)?.checkpoint).toBe('ckpt-8.pt');
    expect(existsSync(join(dir, 'ckpt-8.pt'))).toBe(true);
  });

  it('stops on a step the native guard refuses, saving nothing after the last good checkpoint', async () => {
    const dir = join(root, 'refused');
    await expect(
      trainLoop(
        loopOptions(dir, new FileModel(), {
          checkpointEvery: 2,
          step: async (b) => {
            if (b === 13) throw new Error('the training loss is nan; the step was not applied');
            return b;
          },
        }),
      ),
    ).rejects.toThrow(
      /toy training stopped at epoch 2, step 4: the training loss is nan; the step was not applied; the last good checkpoint \(ckpt-8\.pt\) is kept/,
    );
    expect(readTrainState(dir)).toMatchObject({ checkpoint: 'ckpt-8.pt', globalStep: 8 });
    expect(readdirSync(dir).filter((f) => f.startsWith('ckpt-'))).toEqual(['ckpt-8.pt']);
  });
});
