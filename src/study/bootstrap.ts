// The bootstrap over repetitions behind the report's rank intervals: each cell's
// repetitions are resampled with replacement (cells independently, seeded, so
// a report is reproducible) and the statistic is recomputed from the resampled
// cell means. A cell with one value stays fixed: it has no spread to resample.
import { mulberry32 } from '../data/seeded.js';

/** Draws per bootstrap, and the seed of its generator. */
export const BOOTSTRAP_DRAWS = 1000;
export const BOOTSTRAP_SEED = 12345;

/** The q-quantile of sorted values, interpolated linearly (numpy.percentile's default method). */
export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) throw new Error('quantile of no values');
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h),
    hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The central `level` percentile interval of xs. */
export function percentileInterval(xs: number[], level = 0.95): [number, number] {
  const sorted = xs.slice().sort((a, b) => a - b);
  return [quantile(sorted, (1 - level) / 2), quantile(sorted, (1 + level) / 2)];
}

/** `draws` values of statistic(means), each from one resampling of every cell's repetitions. */
export function bootstrap<T>(cells: number[][], statistic: (means: number[]) => T, draws = BOOTSTRAP_DRAWS, seed = BOOTSTRAP_SEED): T[] {
  const next = mulberry32(seed);
  const out: T[] = [];
  const means = new Array<number>(cells.length);
  for (let d = 0; d < draws; d++) {
    cells.forEach((values, i) => {
      if (values.length === 1) return void (means[i] = values[0]!);
      let sum = 0;
      for (let k = 0; k < values.length; k++) sum += values[Math.floor(next() * values.length)]!;
      means[i] = sum / values.length;
    });
    out.push(statistic(means));
  }
  return out;
}
