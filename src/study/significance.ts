// The significance tests behind the claims table and `recommend`, each computed
// as scipy 1.10 computes it (test/analysis.test.ts checks them against scipy):
// Welch's t-test, the one-sided Mann-Whitney U test, Fisher's combination of
// p-values, and a two-way analysis of variance without interaction.
import { averageRanks, chi2Sf, fSf, normalSf, studentTSf } from './stats.js';

/** A cell's summary over repetitions: mean, sample standard deviation (n − 1), count. */
export interface Sample {
  mean: number;
  std: number;
  n: number;
}

/**
 * Welch's t-test that a's mean is greater than b's, from summaries
 * (scipy.stats.ttest_ind(a, b, equal_var=False, alternative='greater')).
 * null when either side has fewer than 2 values (no spread to test against).
 * When neither side varies, the difference is exact: p is 0 if a is larger, else 1.
 */
export function welchGreater(a: Sample, b: Sample): { t: number; df: number; p: number } | null {
  if (a.n < 2 || b.n < 2) return null;
  const va = (a.std * a.std) / a.n,
    vb = (b.std * b.std) / b.n;
  const diff = a.mean - b.mean;
  if (va + vb === 0) return { t: diff > 0 ? Infinity : diff < 0 ? -Infinity : 0, df: a.n + b.n - 2, p: diff > 0 ? 0 : 1 };
  const t = diff / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  return { t, df, p: studentTSf(t, df) };
}

/** Number of ways each U = 0..m·n arises among the C(m+n, m) orderings of two untied samples of sizes m and n. */
function uCounts(m: number, n: number): number[] {
  // f(i, j, k) = f(i − 1, j, k − j) + f(i, j − 1, k): the largest value belongs to one sample or the other.
  let prev: number[][] = Array.from({ length: n + 1 }, () => [1]); // i = 0: only U = 0
  for (let i = 1; i <= m; i++) {
    const cur: number[][] = [[1]]; // j = 0
    for (let j = 1; j <= n; j++) {
      const f = new Array<number>(i * j + 1).fill(0);
      prev[j]!.forEach((c, k) => (f[k + j]! += c));
      cur[j - 1]!.forEach((c, k) => (f[k]! += c));
      cur.push(f);
    }
    prev = cur;
  }
  return prev[n]!;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/**
 * The one-sided Mann-Whitney U test that x tends to be smaller than y
 * (scipy.stats.mannwhitneyu(x, y, alternative='less'), method 'auto': exact
 * without ties when a sample has at most 8 values, else the normal
 * approximation with tie and continuity corrections). `u` is scipy's statistic
 * (U of x); `minP` the smallest p any ordering of these sample sizes can give.
 */
export function mannWhitneyLess(x: number[], y: number[]): { u: number; p: number; method: 'exact' | 'asymptotic'; minP: number } {
  const n1 = x.length,
    n2 = y.length;
  if (!n1 || !n2) throw new Error('mannWhitneyLess: both samples need values');
  const ranks = averageRanks([...x, ...y]);
  const r1 = ranks.slice(0, n1).reduce((a, b) => a + b, 0);
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const ties = new Set(ranks).size < ranks.length;
  const minP = 1 / binomial(n1 + n2, n1);
  if ((n1 <= 8 || n2 <= 8) && !ties) {
    const counts = uCounts(n1, n2);
    let tail = 0;
    for (let k = Math.round(u2); k < counts.length; k++) tail += counts[k]!;
    return { u: u1, p: Math.min(1, tail / binomial(n1 + n2, n1)), method: 'exact', minP };
  }
  const n = n1 + n2;
  const tieCounts = new Map<number, number>();
  for (const r of ranks) tieCounts.set(r, (tieCounts.get(r) ?? 0) + 1);
  const tieTerm = [...tieCounts.values()].reduce((a, t) => a + t ** 3 - t, 0);
  const s = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const z = (u2 - (n1 * n2) / 2 - 0.5) / s;
  return { u: u1, p: Math.min(1, Math.max(0, normalSf(z))), method: 'asymptotic', minP };
}

/** Fisher's method (scipy.stats.combine_pvalues(ps, method='fisher')): −2 Σ ln p against χ² with 2k df. */
export function fisherCombined(ps: number[]): { statistic: number; p: number } {
  if (!ps.length) throw new Error('fisherCombined: no p-values');
  const statistic = -2 * ps.reduce((a, p) => a + Math.log(p), 0);
  return { statistic, p: statistic === Infinity ? 0 : chi2Sf(statistic, 2 * ps.length) };
}

export interface TwoWayAnova {
  rows: number;
  columns: number;
  /** Sums of squares: total, between rows, between columns, residual (row × column interaction, the error term). */
  ss: { total: number; rows: number; columns: number; residual: number };
  /** Shares of the total sum of squares (eta squared); null when the grid does not vary. */
  share: { rows: number; columns: number; residual: number } | null;
  df: { rows: number; columns: number; residual: number };
  /** F statistics and p-values of the row and column effects against the residual mean square. */
  f: { rows: number; columns: number };
  p: { rows: number; columns: number };
}

/**
 * Two-way analysis of variance without interaction on a complete grid, one
 * value per cell: the classical decomposition SS_total = SS_rows + SS_columns
 * + SS_residual, each effect tested with F against the residual mean square.
 */
export function twoWayAnova(grid: number[][]): TwoWayAnova {
  const r = grid.length,
    c = grid[0]?.length ?? 0;
  if (r < 2 || c < 2 || grid.some((row) => row.length !== c || row.some((v) => !Number.isFinite(v)))) {
    throw new Error('twoWayAnova: needs a complete grid of finite values, at least 2 × 2');
  }
  const all = grid.flat();
  const mean = all.reduce((a, b) => a + b, 0) / all.length;
  const rowMeans = grid.map((row) => row.reduce((a, b) => a + b, 0) / c);
  const colMeans = Array.from({ length: c }, (_, j) => grid.reduce((a, row) => a + row[j]!, 0) / r);
  const total = all.reduce((a, v) => a + (v - mean) ** 2, 0);
  const rows = c * rowMeans.reduce((a, m) => a + (m - mean) ** 2, 0);
  const columns = r * colMeans.reduce((a, m) => a + (m - mean) ** 2, 0);
  let residual = 0;
  grid.forEach((row, i) => row.forEach((v, j) => (residual += (v - rowMeans[i]! - colMeans[j]! + mean) ** 2)));
  const df = { rows: r - 1, columns: c - 1, residual: (r - 1) * (c - 1) };
  const ms = residual / df.residual;
  // A residual that is rounding noise next to the total counts as none (an exactly additive grid).
  const exact = residual <= 1e-12 * total;
  const f = (ss: number, d: number) => (exact ? (ss > 1e-12 * total ? Infinity : 0) : ss / d / ms);
  const fr = f(rows, df.rows),
    fc = f(columns, df.columns);
  return {
    rows: r,
    columns: c,
    ss: { total, rows, columns, residual },
    share: total > 0 ? { rows: rows / total, columns: columns / total, residual: residual / total } : null,
    df,
    f: { rows: fr, columns: fc },
    p: { rows: fr === 0 ? 1 : fSf(fr, df.rows, df.residual), columns: fc === 0 ? 1 : fSf(fc, df.columns, df.residual) },
  };
}
