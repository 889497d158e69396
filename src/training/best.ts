// Which epoch is best so far, and when to stop: the rule the training loop and
// the autoencoder's probes share. A tie is not an improvement (the earlier
// epoch is kept), and a NaN score never is.

export type Better = 'lower' | 'higher';

export interface Verdict {
  /** This score is the best so far: keep these weights. */
  improved: boolean;
  /** `patience` scores in a row brought nothing better: stop training. */
  stop: boolean;
}

export class BestTracker {
  constructor(
    readonly better: Better,
    /** Stop after this many scores without improvement (undefined: never). */
    readonly patience?: number,
    public best: { epoch: number; value: number } | null = null,
    /** Scores since the best one. */
    public sinceBest = 0,
  ) {
    if (patience !== undefined && (!Number.isInteger(patience) || patience < 1)) {
      throw new RangeError(`patience must be a positive integer, got ${patience}`);
    }
  }

  /** Takes the score of `epoch` and says whether it improved and whether to stop. */
  update(epoch: number, value: number): Verdict {
    const improved =
      !Number.isNaN(value) && (this.best === null || (this.better === 'lower' ? value < this.best.value : value > this.best.value));
    if (improved) {
      this.best = { epoch, value };
      this.sinceBest = 0;
    } else {
      this.sinceBest++;
    }
    return { improved, stop: this.patience !== undefined && this.sinceBest >= this.patience };
  }
}
