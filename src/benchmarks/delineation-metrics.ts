// Road delineation metrics per image (spec: delineation.md, Metrics):
// completeness, correctness and quality, pixel-exact and relaxed by a tolerance
// of ρ pixels (Wiedemann et al. 1998), and the BCE of the probabilities.
//
// Definitions (docs/protocol.md, Delineation):
// - predicted road: probability > threshold (default 0.3), compared in float32 as
//   torch compares a float32 tensor with a number; true road: truth > 0.5.
// - exact: TP, FP, FN by pixel; completeness TP/(TP+FN), correctness TP/(TP+FP),
//   quality TP/(TP+FP+FN).
// - relaxed (ρ): a predicted pixel is matched when a true road pixel lies within
//   Euclidean distance ρ of it, a true pixel when a predicted one does.
//   completeness = matched true / all true; correctness = matched predicted / all
//   predicted; quality = matched predicted / (all predicted + unmatched true),
//   Wiedemann's form, which equals TP/(TP+FP+FN) at ρ = 0.
// - an empty denominator gives 1: nothing to find is completely found, nothing
//   claimed is all correct, and both empty is a perfect result.

export interface DelineationMetricOptions {
  /** Probability above which a pixel is predicted road (spec: 0.3). */
  threshold?: number;
  /** Tolerance ρ in pixels for the relaxed metrics (spec: 3); 0 gives the exact ones. */
  tolerance?: number;
}

export interface DelineationCounts {
  /** True road pixels. */
  truth: number;
  /** Predicted road pixels. */
  predicted: number;
  tp: number;
  fp: number;
  fn: number;
  /** Predicted pixels within ρ of a true one. */
  matchedPredicted: number;
  /** True pixels within ρ of a predicted one. */
  matchedTruth: number;
}

export interface DelineationMetrics {
  completeness: number;
  correctness: number;
  quality: number;
  relaxedCompleteness: number;
  relaxedCorrectness: number;
  relaxedQuality: number;
  /** Mean binary cross-entropy of the probabilities against the binarised truth (log clamped at -100, as torch). */
  bce: number;
  counts: DelineationCounts;
}

/** The metric names of meanMetrics, in report order. */
export const DELINEATION_METRICS = [
  'completeness',
  'correctness',
  'quality',
  'relaxedCompleteness',
  'relaxedCorrectness',
  'relaxedQuality',
  'bce',
] as const;
export type DelineationMetricName = (typeof DELINEATION_METRICS)[number];

const ratio = (num: number, den: number) => (den === 0 ? 1 : num / den);

/**
 * Metrics of one image: `prob` holds the predicted road probabilities and
 * `truth` the ground truth (0/1 masks, or any values binarised at 0.5), both
 * h*w row-major.
 */
export function delineationMetrics(
  prob: Float32Array,
  truth: ArrayLike<number>,
  height: number,
  width: number,
  o: DelineationMetricOptions = {},
): DelineationMetrics {
  const threshold = o.threshold ?? 0.3;
  const tolerance = o.tolerance ?? 3;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0) {
    throw new RangeError(`height and width must be positive integers, got ${height}x${width}`);
  }
  const n = height * width;
  if (prob.length !== n || truth.length !== n) {
    throw new RangeError(`prediction (${prob.length}) and truth (${truth.length}) must both hold ${height}x${width} = ${n} values`);
  }
  if (!(threshold >= 0 && threshold < 1)) throw new RangeError(`threshold must be in [0, 1), got ${threshold}`);
  if (!(tolerance >= 0 && Number.isFinite(tolerance))) throw new RangeError(`tolerance must be a finite number >= 0, got ${tolerance}`);

  const cut = Math.fround(threshold);
  const pred = new Uint8Array(n);
  const tru = new Uint8Array(n);
  let tp = 0;
  let predicted = 0;
  let truthCount = 0;
  let bce = 0;
  for (let i = 0; i < n; i++) {
    const p = prob[i]!;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`prediction ${i} is ${p}: probabilities must lie in [0, 1]`);
    const t = truth[i]! > 0.5 ? 1 : 0;
    const q = p > cut ? 1 : 0;
    pred[i] = q;
    tru[i] = t;
    predicted += q;
    truthCount += t;
    tp += q & t;
    bce -= t ? Math.max(Math.log(p), -100) : Math.max(Math.log(1 - p), -100);
  }
  const fp = predicted - tp;
  const fn = truthCount - tp;
  const matchedPredicted = countWithin(pred, tru, height, width, tolerance);
  const matchedTruth = countWithin(tru, pred, height, width, tolerance);
  return {
    completeness: ratio(tp, tp + fn),
    correctness: ratio(tp, tp + fp),
    quality: ratio(tp, tp + fp + fn),
    relaxedCompleteness: ratio(matchedTruth, truthCount),
    relaxedCorrectness: ratio(matchedPredicted, predicted),
    relaxedQuality: ratio(matchedPredicted, predicted + truthCount - matchedTruth),
    bce: bce / n,
    counts: { truth: truthCount, predicted, tp, fp, fn, matchedPredicted, matchedTruth },
  };
}

/**
 * How many set pixels of `a` lie within Euclidean distance `rho` of a set pixel
 * of `b`. Exact on the pixel grid: per row, the horizontal distance to the
 * nearest set pixel of `b` (two scans), then for each pixel of `a` the rows
 * within ρ: within iff min over dy of dx(y+dy)² + dy² <= ρ². O(h·w·(2ρ+1)).
 */
export function countWithin(a: Uint8Array, b: Uint8Array, height: number, width: number, rho: number): number {
  const r = Math.floor(rho);
  const rho2 = rho * rho;
  const FAR = 1 << 30;
  const dx = new Int32Array(height * width);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let last = -FAR;
    for (let x = 0; x < width; x++) {
      if (b[row + x]) last = x;
      dx[row + x] = x - last;
    }
    last = FAR;
    for (let x = width - 1; x >= 0; x--) {
      if (b[row + x]) last = x;
      if (last - x < dx[row + x]!) dx[row + x] = last - x;
    }
  }
  let count = 0;
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - r);
    const y1 = Math.min(height - 1, y + r);
    for (let x = 0; x < width; x++) {
      if (!a[y * width + x]) continue;
      for (let yy = y0; yy <= y1; yy++) {
        const d = dx[yy * width + x]!;
        if (d <= r && d * d + (yy - y) * (yy - y) <= rho2) {
          count++;
          break;
        }
      }
    }
  }
  return count;
}

/** The plain mean of each metric over images (the study reports means over the test split). */
export function meanMetrics(list: readonly DelineationMetrics[]): Record<DelineationMetricName, number> {
  if (!list.length) throw new Error('meanMetrics needs at least one image');
  const out = {} as Record<DelineationMetricName, number>;
  for (const name of DELINEATION_METRICS) out[name] = list.reduce((s, m) => s + m[name], 0) / list.length;
  return out;
}
