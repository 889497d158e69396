// The probes that judge an autoencoder's codes (spec: autoencoder.md, Probes):
// seven small MLPs trained to read the labels off the codes, each early-stopped
// on validation loss and evaluated at its best epoch. Codes live on the native
// side; one native call trains a whole epoch in a seeded order.
import { dplError } from '../errors.js';
import { z } from 'zod';
import { epochOrder } from '../data/seeded.js';
import { Device } from '../loss-network.js';
import { native, type NativeCodeSet, type NativeProbe, type ProbeMetrics } from '../native.js';
import { checkFloatTensor, type FloatTensor } from '../tensor.js';
import { BestTracker } from '../training/best.js';
import { parseOptions } from '../validate.js';

export type { ProbeMetrics } from '../native.js';

/** The spec's seven probes: hidden layer sizes, and the names their metrics go under. */
export const PROBES: readonly { name: string; hidden: number[] }[] = [
  { name: 'linear', hidden: [] },
  { name: '32', hidden: [32] },
  { name: '64', hidden: [64] },
  { name: '32-32', hidden: [32, 32] },
  { name: '64-32', hidden: [64, 32] },
  { name: '64-64', hidden: [64, 64] },
  { name: '128-128', hidden: [128, 128] },
];

/** Codes and their labels (0..classes-1) on a device, shared by every probe trained or scored on them. */
export class CodeSet {
  private constructor(readonly handle: NativeCodeSet) {}

  static async create(codes: FloatTensor, labels: Uint8Array, options: { classes?: number; device?: string } = {}): Promise<CodeSet> {
    checkFloatTensor(codes, 'codes', 2);
    if (!(labels instanceof Uint8Array) || labels.length !== codes.shape[0]) {
      throw dplError(
        labels instanceof Uint8Array ? 'ERR_DPL_SHAPE' : 'ERR_DPL_ARG',
        `labels must be a Uint8Array with one label per code (${codes.shape[0]})`,
      );
    }
    const device = Device.parse(options.device ?? 'cpu');
    return new CodeSet(
      await native().createCodeSet(codes, { data: labels, shape: [labels.length] }, { classes: options.classes ?? 10, device }),
    );
  }

  get size(): number {
    return this.handle.size;
  }
  dispose(): void {
    this.handle.dispose();
  }
}

const ProbeOptions = z.object({
  hidden: z.array(z.number().int().positive()).default([]),
  inputs: z.number().int().positive().default(64),
  classes: z.number().int().min(2).default(10),
  /** Seeds the initialisation (PyTorch's default Linear init). */
  seed: z.number().int().nonnegative().default(0),
  lr: z.number().positive().default(1e-3),
  device: Device.default('cpu'),
});
export type ProbeOptions = z.input<typeof ProbeOptions>;

/** One MLP probe: Linear layers with LeakyReLU(0.01) between, MSE on one-hot labels, Adam. */
export class Probe {
  private constructor(private readonly handle: NativeProbe) {}

  static async create(options: ProbeOptions): Promise<Probe> {
    const o = parseOptions(ProbeOptions, options, 'Probe options');
    return new Probe(await native().createProbe(o));
  }

  get parameterCount(): number {
    return this.handle.parameterCount;
  }

  /** Adam steps over `set` in `order` (sample indices), `batch` at a time; resolves to the epoch's mean loss per sample. */
  async trainEpoch(set: CodeSet, order: Int32Array, batch: number): Promise<number> {
    return this.handle.trainEpoch(set.handle, order, batch);
  }

  async evaluate(set: CodeSet): Promise<ProbeMetrics> {
    return this.handle.evaluate(set.handle);
  }

  /** Remembers the current weights as the best (in memory). */
  async keepBest(): Promise<void> {
    return this.handle.keepBest();
  }
  /** Puts the remembered best weights back; false if none were kept. */
  async restoreBest(): Promise<boolean> {
    return this.handle.restoreBest();
  }

  /** Parameters by PyTorch name ('layers.0.weight', ...), as CPU copies. */
  async state(): Promise<Record<string, FloatTensor>> {
    return this.handle.state();
  }
  async setState(state: Record<string, FloatTensor>): Promise<void> {
    return this.handle.setState(state);
  }

  dispose(): void {
    this.handle.dispose();
  }
}

export interface FitOutcome {
  /** Epochs trained. */
  epochs: number;
  /** The kept epoch (1-based) and its validation loss. */
  best: { epoch: number; value: number } | null;
  stoppedEarly: boolean;
  history: { train: number; val: number }[];
}

/**
 * The probe schedule, apart from the tensors (so a scripted sequence can test
 * it): train an epoch, score it on validation, keep the weights of the best
 * score so far (BestTracker: lower is better, a tie is not an improvement),
 * stop after `patience` epochs without one or at `maxEpochs`.
 */
export async function fitProbe(
  steps: { train(epoch: number): Promise<number>; validate(): Promise<number>; keep(): Promise<void> },
  o: { maxEpochs: number; patience: number; signal?: AbortSignal },
): Promise<FitOutcome> {
  const tracker = new BestTracker('lower', o.patience);
  const history: FitOutcome['history'] = [];
  for (let epoch = 0; epoch < o.maxEpochs; epoch++) {
    o.signal?.throwIfAborted();
    const train = await steps.train(epoch);
    const val = await steps.validate();
    history.push({ train, val });
    const verdict = tracker.update(epoch + 1, val);
    if (verdict.improved) await steps.keep();
    if (verdict.stop) return { epochs: epoch + 1, best: tracker.best, stoppedEarly: epoch + 1 < o.maxEpochs, history };
  }
  return { epochs: o.maxEpochs, best: tracker.best, stoppedEarly: false, history };
}

export interface ProbeResult {
  name: string;
  hidden: number[];
  epochs: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  val: ProbeMetrics;
  test: ProbeMetrics;
  /** Validation loss after each epoch. */
  valLoss: number[];
  /** Seconds per training epoch (one native call each). */
  secondsPerEpoch: number;
}

/**
 * Trains one probe on `sets.train` (epoch e in the order epochOrder(n, seed, e)),
 * early-stopped on `sets.val` loss, and scores its best epoch on val and test.
 */
export async function trainProbe(
  spec: { name: string; hidden: number[] },
  sets: { train: CodeSet; val: CodeSet; test: CodeSet },
  o: { inputs: number; seed: number; lr: number; batch: number; maxEpochs: number; patience: number; device: string; signal?: AbortSignal },
): Promise<ProbeResult> {
  const probe = await Probe.create({ hidden: spec.hidden, inputs: o.inputs, seed: o.seed, lr: o.lr, device: o.device });
  try {
    const n = sets.train.size;
    let seconds = 0;
    const fit = await fitProbe(
      {
        train: async (epoch) => {
          const t = performance.now();
          const loss = await probe.trainEpoch(sets.train, Int32Array.from(epochOrder(n, o.seed, epoch)), o.batch);
          seconds += (performance.now() - t) / 1000;
          return loss;
        },
        validate: async () => (await probe.evaluate(sets.val)).loss,
        keep: () => probe.keepBest(),
      },
      { maxEpochs: o.maxEpochs, patience: o.patience, signal: o.signal },
    );
    await probe.restoreBest();
    return {
      name: spec.name,
      hidden: spec.hidden,
      epochs: fit.epochs,
      bestEpoch: fit.best?.epoch ?? 0,
      stoppedEarly: fit.stoppedEarly,
      val: await probe.evaluate(sets.val),
      test: await probe.evaluate(sets.test),
      valLoss: fit.history.map((h) => h.val),
      secondsPerEpoch: seconds / fit.epochs,
    };
  } finally {
    probe.dispose();
  }
}
