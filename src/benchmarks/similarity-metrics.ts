// Scores of a similarity metric against human judgements (spec: similarity.md).

/**
 * 2AFC per triplet, averaged: h = fraction who chose p1.
 * score = h·[d1 < d0] + (1−h)·[d0 < d1] + 0.5·[d0 = d1];
 * accuracy = [(d0 < d1) = (h < 0.5)].
 */
export function twoAfc(d0: ArrayLike<number>, d1: ArrayLike<number>, h: ArrayLike<number>): { score: number; accuracy: number } {
  const n = d0.length;
  if (!n || d1.length !== n || h.length !== n)
    throw new RangeError(`2AFC needs equal, non-empty d0, d1, judge (got ${n}, ${d1.length}, ${h.length})`);
  let score = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const a = d0[i]!;
    const b = d1[i]!;
    const p = h[i]!;
    score += (b < a ? p : 0) + (a < b ? 1 - p : 0) + (a === b ? 0.5 : 0);
    correct += a < b === p < 0.5 ? 1 : 0;
  }
  return { score: score / n, accuracy: correct / n };
}

/**
 * JND mAP: pairs sorted by ascending distance (stable: ties keep file order),
 * s = fraction who judged the pair the same; PASCAL VOC AP of precision/recall.
 */
export function jndMap(d: ArrayLike<number>, same: ArrayLike<number>): number {
  const n = d.length;
  if (!n || same.length !== n) throw new RangeError(`JND needs equal, non-empty distances and same values (got ${n}, ${same.length})`);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[i]! - d[j]! || i - j);
  let total = 0;
  for (let i = 0; i < n; i++) total += same[i]!;
  if (!(total > 0)) throw new RangeError('JND mAP is undefined when no pair was judged the same (sum of same values is 0)');
  const recall = [0];
  const precision = [0];
  let tp = 0;
  let fp = 0;
  for (const i of order) {
    tp += same[i]!;
    fp += 1 - same[i]!;
    recall.push(tp / total);
    precision.push(tp / (tp + fp));
  }
  recall.push(1);
  precision.push(0);
  return vocAp(recall, precision);
}

/** VOC AP of padded recall/precision: precision made non-increasing from the end. */
export function vocAp(recall: number[], precision: number[]): number {
  const p = [...precision];
  for (let i = p.length - 1; i > 0; i--) p[i - 1] = Math.max(p[i - 1]!, p[i]!);
  let ap = 0;
  for (let i = 0; i + 1 < recall.length; i++) {
    if (recall[i + 1] !== recall[i]) ap += (recall[i + 1]! - recall[i]!) * p[i + 1]!;
  }
  return ap;
}

/** Mean binary cross-entropy of probabilities p against targets h (log clamped at −100, as torch). */
export function meanBce(p: ArrayLike<number>, h: ArrayLike<number>): number {
  if (!p.length || p.length !== h.length) throw new RangeError('BCE needs equal, non-empty probabilities and targets');
  const log = (x: number) => Math.max(Math.log(x), -100);
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum -= h[i]! * log(p[i]!) + (1 - h[i]!) * log(1 - p[i]!);
  return sum / p.length;
}
