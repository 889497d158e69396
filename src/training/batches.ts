// Which samples each training step takes: a function of the run's seed and the
// step alone, so a resumed run continues the very stream it was interrupted in.
import { epochOrder } from '../data/seeded.js';

export class SampleOrder {
  private cached: { epoch: number; order: number[] } = { epoch: -1, order: [] };

  /** `n` samples, shuffled afresh each epoch from `seed`. */
  constructor(
    readonly n: number,
    readonly seed: number,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`a training set needs at least one sample, got ${n}`);
  }

  /** The permutation of epoch `epoch` (the last one is kept: steps ask for the same epoch many times). */
  order(epoch: number): number[] {
    if (this.cached.epoch !== epoch) this.cached = { epoch, order: epochOrder(this.n, this.seed, epoch) };
    return this.cached.order;
  }

  /** Steps in one pass over the samples with batches of `size` (the last batch may be smaller). */
  stepsPerEpoch(size: number): number {
    return Math.ceil(this.n / size);
  }

  /** Batch `step` of `epoch`: one pass per epoch, the last batch smaller when `size` does not divide n. */
  epochBatch(epoch: number, step: number, size: number): number[] {
    return this.order(epoch).slice(step * size, (step + 1) * size);
  }

  /**
   * Batch `g` of an endless stream of `size`-sample batches over consecutive
   * epochs (for a fixed number of steps per epoch that need not match n; a batch
   * can straddle two epochs' orders).
   */
  streamBatch(g: number, size: number): number[] {
    return Array.from({ length: size }, (_, j) => {
      const p = g * size + j;
      return this.order(Math.floor(p / this.n))[p % this.n]!;
    });
  }
}
