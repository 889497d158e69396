// The training loop every benchmark shares: epochs of steps, validation after
// each epoch, the best checkpoint kept, early stopping, and resume. A run's
// folder holds state.json (where training stands), ckpt-<step>.pt (the latest
// resumable checkpoint, with optimiser state) and best.pt (the best validated
// weights). Each file is replaced atomically, and state.json names a
// checkpoint only once that checkpoint is whole, so a kill at any moment
// resumes from the last checkpoint, on the same sample stream: the batch of a
// step is a function of (epoch, step) alone (see batches.ts).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { saveAtomic, writeJsonAtomic } from './atomic.js';
import { BestTracker, type Better } from './best.js';
import { quiet } from './prefetch.js';

/** A native model that writes and reads its own checkpoints. */
export interface Checkpointable {
  /** Writes the model (and with `withOptimizer` its optimiser state) to `path`. */
  save(path: string, withOptimizer: boolean): Promise<void>;
  /** Restores what save() wrote. */
  load(path: string): Promise<unknown>;
}

export interface EpochRecord {
  epoch: number;
  /** Mean training loss over the epoch's steps (weighted by batch weight). */
  trainLoss: number;
  /** The validation score after the epoch, when the run validates. */
  val?: number;
}

export interface TrainState {
  version: 2;
  /** What the checkpoint was trained with; a different key is refused on resume. */
  key: unknown;
  epoch: number;
  /** Steps done in `epoch`. */
  step: number;
  globalStep: number;
  lossSum: number;
  lossWeight: number;
  history: EpochRecord[];
  best: { epoch: number; value: number } | null;
  /** Epochs since the best one (early stopping). */
  sinceBest: number;
  /** Early stopping ended training before the last epoch. */
  stoppedEarly: boolean;
  /** The latest resumable checkpoint file in the run folder. */
  checkpoint: string | null;
}

export interface TrainLoopOptions<B> {
  /** Names the run in messages ('delineation', ...). */
  name: string;
  /** The run folder. */
  dir: string;
  /** Every option that changes training (network, layer, seed, lr, sizes, data...). */
  key: unknown;
  model: Checkpointable;
  epochs: number;
  stepsPerEpoch: number;
  /** Reads the batch of `step` in `epoch` (a function of the two alone, for exact resume). */
  load(epoch: number, step: number): Promise<B>;
  /** One native training step; resolves to the batch's loss. */
  step(batch: B, epoch: number): Promise<number>;
  /** The batch's weight in the epoch's mean loss (default 1: a plain mean over steps). */
  weight?(batch: B): number;
  /** Scores the model after each epoch; the best epoch's weights are kept as best.pt. */
  validate?(epoch: number): Promise<number>;
  better?: Better;
  /** Stop when this many epochs in a row bring no better validation score. */
  patience?: number;
  /** Save a resumable checkpoint every this many steps too (besides every epoch end and on abort). */
  checkpointEvery?: number;
  signal: AbortSignal;
  progress(done: number, total: number, note?: string): void;
  log(line: string): void;
}

export interface TrainOutcome {
  state: TrainState;
  /** The best validated weights (load them to evaluate), or null without validation. */
  bestPath: string | null;
}

const STATE = 'state.json';
const CHECKPOINT = /^ckpt-\d+\.pt$/;

/** What a run folder's state.json says, or null when the run has not started. */
export function readTrainState(dir: string): TrainState | null {
  const path = join(dir, STATE);
  if (!existsSync(path)) return null;
  const state = JSON.parse(readFileSync(path, 'utf8')) as TrainState;
  if (state.version !== 2) {
    throw new Error(`${path} was written by an older dpl-torch (state version ${state.version}); delete ${dir} to train this run afresh`);
  }
  return state;
}

const sameKey = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Trains from wherever `dir` stands to the last epoch (or an early stop); a finished run returns at once. */
export async function trainLoop<B>(o: TrainLoopOptions<B>): Promise<TrainOutcome> {
  mkdirSync(o.dir, { recursive: true });
  const statePath = join(o.dir, STATE);
  let st: TrainState = {
    version: 2,
    key: o.key,
    epoch: 0,
    step: 0,
    globalStep: 0,
    lossSum: 0,
    lossWeight: 0,
    history: [],
    best: null,
    sinceBest: 0,
    stoppedEarly: false,
    checkpoint: null,
  };
  const saved = readTrainState(o.dir);
  if (saved) {
    if (!sameKey(saved.key, o.key)) {
      throw new Error(
        `${o.dir} holds a ${o.name} checkpoint trained with other settings (${JSON.stringify(saved.key)}); ` +
          'use another folder, or delete this one to train afresh',
      );
    }
    st = saved;
    if (st.checkpoint) await o.model.load(join(o.dir, st.checkpoint));
    if (st.globalStep > 0 && !finished(st, o)) {
      o.log(`${o.name}: resumed at step ${st.globalStep} (epoch ${st.epoch + 1}, step ${st.step})`);
    }
  }
  const tracker = new BestTracker(o.better ?? 'lower', o.patience, st.best, st.sinceBest);
  const bestPath = join(o.dir, 'best.pt');
  const total = o.epochs * o.stepsPerEpoch;

  const checkpoint = async () => {
    const name = `ckpt-${st.globalStep}.pt`;
    await saveAtomic(join(o.dir, name), (tmp) => o.model.save(tmp, true));
    st.checkpoint = name;
    writeJsonAtomic(statePath, st);
    // Older checkpoints go only once the state names the new one.
    for (const f of readdirSync(o.dir)) if (CHECKPOINT.test(f) && f !== name) rmSync(join(o.dir, f), { force: true });
  };
  const saveProgress = async () => {
    if (st.checkpoint !== `ckpt-${st.globalStep}.pt`) await checkpoint();
  };
  const abortIfAsked = async () => {
    if (!o.signal.aborted) return;
    await saveProgress();
    throw new Error(`${o.name} run aborted at step ${st.globalStep}/${total}; a checkpoint was saved, run again to resume`);
  };
  // A batch that cannot be read (a damaged file) or a validation that fails stops the run, but the
  // model is exactly as the state says: save it first, so the steps done so far are not trained again.
  const keepingProgress = async <T>(work: Promise<T>): Promise<T> => {
    try {
      return await work;
    } catch (e) {
      await saveProgress();
      throw e;
    }
  };

  while (!finished(st, o)) {
    const epoch = st.epoch;
    let next = st.step < o.stepsPerEpoch ? quiet(o.load(epoch, st.step)) : null;
    while (st.step < o.stepsPerEpoch) {
      await abortIfAsked();
      const batch = await keepingProgress(next!);
      const pending = o.step(batch, epoch);
      // The next batch is read while the tensor thread runs this step.
      next = st.step + 1 < o.stepsPerEpoch ? quiet(o.load(epoch, st.step + 1)) : null;
      let loss: number;
      try {
        loss = await pending;
      } catch (e) {
        // A step refused by the native divergence guard (or failing otherwise) saves nothing.
        throw new Error(
          `${o.name} training stopped at epoch ${epoch + 1}, step ${st.step + 1}: ${(e as Error).message}; ` +
            `the last good checkpoint (${st.checkpoint ?? 'none yet'}) is kept`,
        );
      }
      if (!Number.isFinite(loss)) {
        throw new Error(
          `${o.name} training diverged: the loss was ${loss} at epoch ${epoch + 1}, step ${st.step + 1}; ` +
            `the last good checkpoint (${st.checkpoint ?? 'none yet'}) is kept. Lower the learning rate or check the data`,
        );
      }
      const w = o.weight?.(batch) ?? 1;
      st.lossSum += loss * w;
      st.lossWeight += w;
      st.step++;
      st.globalStep++;
      o.progress(st.globalStep, total, `epoch ${epoch + 1}/${o.epochs} loss ${(st.lossSum / st.lossWeight).toPrecision(4)}`);
      if (st.step < o.stepsPerEpoch && o.checkpointEvery && st.globalStep % o.checkpointEvery === 0) await checkpoint();
    }
    const record: EpochRecord = { epoch: epoch + 1, trainLoss: st.lossSum / Math.max(st.lossWeight, Number.MIN_VALUE) };
    let note = '';
    if (o.validate) {
      record.val = await keepingProgress(o.validate(epoch));
      const verdict = tracker.update(epoch + 1, record.val);
      if (verdict.improved) await saveAtomic(bestPath, (tmp) => o.model.save(tmp, false));
      st.best = tracker.best;
      st.sinceBest = tracker.sinceBest;
      st.stoppedEarly = verdict.stop && epoch + 1 < o.epochs;
      note = `, validation ${record.val.toPrecision(5)} (best ${tracker.best!.value.toPrecision(5)}, epoch ${tracker.best!.epoch})`;
    }
    st.history.push(record);
    st = { ...st, epoch: epoch + 1, step: 0, lossSum: 0, lossWeight: 0 };
    await checkpoint();
    o.log(`${o.name}: epoch ${epoch + 1}/${o.epochs}: train loss ${record.trainLoss.toPrecision(4)}${note}`);
    if (st.stoppedEarly) o.log(`${o.name}: early stop after epoch ${epoch + 1}: no better validation in ${o.patience} epochs`);
    if (!finished(st, o)) await abortIfAsked();
  }
  return { state: st, bestPath: st.best ? bestPath : null };
}

function finished(st: TrainState, o: { epochs: number }): boolean {
  return st.stoppedEarly || st.epoch >= o.epochs;
}
