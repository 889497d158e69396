// The paper's four claims, each judged from these results: a statistic, its
// p-value (and spread over repetitions where there is one), n, and a verdict
// computed by a fixed rule: 'supported' when the claim's direction holds and its
// test reaches α; 'not supported' when it does not; 'not enough runs' when the
// test cannot be computed or could not reach α with this many runs. The caller
// passes only ImageNet-weight runs of the primary configurations.
import type { Summary } from './analysis.js';
import { fisherCombined, mannWhitneyLess, welchGreater } from './significance.js';

export const ALPHA = 0.05;
/** Networks a correlation table needs to count (at 5, a rho of 0.9 is significant at α). */
export const MIN_CORRELATION_NETWORKS = 5;

export type Verdict = 'supported' | 'not supported' | 'not enough runs';

export interface Claim {
  id: 'vgg-without-bn-best' | 'layer-vs-architecture' | 'accuracy-not-better' | 'later-not-always-better';
  claim: string;
  /** What was measured, in words and numbers. */
  statistic: string;
  /** The headline number of the statistic. */
  value: number | null;
  p: number | null;
  /** Spread over repetitions (bootstrap), when the results have repetitions. */
  spread: string | null;
  n: string;
  verdict: Verdict;
  /** How the verdict follows from the statistic. */
  rule: string;
}

const f = (v: number, d = 3) => v.toFixed(d);
const pText = (p: number) => (p < 1e-4 ? p.toExponential(2) : p.toPrecision(3));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const span = (xs: number[]) => (Math.min(...xs) === Math.max(...xs) ? `${xs[0]}` : `${Math.min(...xs)}–${Math.max(...xs)}`);

export function claimsOf(s: Summary): Claim[] {
  return [vggWithoutBn(s), layerVsArchitecture(s), accuracyNotBetter(s), laterNotAlwaysBetter(s)];
}

function vggWithoutBn(s: Summary): Claim {
  const base = {
    id: 'vgg-without-bn-best' as const,
    claim: 'VGG networks without batch normalisation are the best loss networks',
    rule: `supported when the VGG-without-BN family has the lowest mean rank of all families and its networks rank better than the others (one-sided Mann-Whitney U on the networks' mean ranks, p < ${ALPHA})`,
  };
  const vgg = s.meanRanks.filter((m) => m.family === 'VGG without BN');
  const others = s.meanRanks.filter((m) => m.family !== 'VGG without BN');
  const benchmarks = Math.max(0, ...s.meanRanks.map((m) => m.benchmarks));
  const n = `${vgg.length} VGG-without-BN and ${others.length} other networks, ${benchmarks} benchmark(s)`;
  if (!vgg.length || !others.length) {
    return {
      ...base,
      statistic: 'needs a VGG network without BN and a network of another family',
      value: null,
      p: null,
      spread: null,
      n,
      verdict: 'not enough runs',
    };
  }
  const mw = mannWhitneyLess(
    vgg.map((m) => m.meanRank),
    others.map((m) => m.meanRank),
  );
  const [top, next] = s.families;
  const lowest = top!.family === 'VGG without BN' && (!next || next.meanRank > top!.meanRank);
  const rival = s.families.find((x) => x.family !== 'VGG without BN')!;
  const vggMean = mean(vgg.map((m) => m.meanRank));
  const statistic = `VGG without BN mean rank ${f(vggMean, 2)} vs best other family ${rival.family} ${f(rival.meanRank, 2)}; Mann-Whitney U = ${f(mw.u, 1)} (${mw.method})`;
  // Spread: in how many bootstrap draws the family still has the lowest mean rank.
  let spread: string | null = null;
  if (s.meanRankDraws.length) {
    const first = s.meanRankDraws.filter((d) => {
      const byFamily = new Map<string, number[]>();
      for (const m of s.meanRanks) byFamily.set(m.family, [...(byFamily.get(m.family) ?? []), d.get(m.network)!]);
      const v = mean(byFamily.get('VGG without BN')!);
      return [...byFamily].every(([fam, rs]) => fam === 'VGG without BN' || mean(rs) > v);
    }).length;
    spread = `lowest family mean rank in ${((100 * first) / s.meanRankDraws.length).toFixed(1)}% of ${s.meanRankDraws.length} bootstrap draws`;
  }
  if (mw.minP >= ALPHA) {
    return {
      ...base,
      statistic: `${statistic}; with these network counts the smallest possible p is ${pText(mw.minP)}`,
      value: vggMean,
      p: mw.p,
      spread,
      n,
      verdict: 'not enough runs',
    };
  }
  return { ...base, statistic, value: vggMean, p: mw.p, spread, n, verdict: lowest && mw.p < ALPHA ? 'supported' : 'not supported' };
}

function layerVsArchitecture(s: Summary): Claim {
  const base = {
    id: 'layer-vs-architecture' as const,
    claim: 'the choice of layer matters at least as much as the choice of architecture',
    rule: `supported when the layer position explains at least as much score variance as the network (shares averaged per benchmark, then over benchmarks) and the layer effect is significant (F tests of the tables combined by Fisher's method, p < ${ALPHA})`,
  };
  const tables = s.tables.filter((t) => 'layer' in t.variance);
  if (!tables.length || s.variance.layer === null || s.variance.network === null) {
    return {
      ...base,
      statistic: 'needs a single-layer table with at least 2 networks measured at the same 2 or more study positions',
      value: null,
      p: null,
      spread: null,
      n: '0 tables',
      verdict: 'not enough runs',
    };
  }
  const splits = tables.map((t) => t.variance as Extract<typeof t.variance, { layer: number }>);
  const combined = fisherCombined(splits.map((v) => v.pLayer));
  const per = s.variance.perBenchmark.map((b) => `${b.benchmark} layer ${f(b.layer, 2)} / network ${f(b.network, 2)}`).join('; ');
  const statistic = `share of variance: layer ${f(s.variance.layer, 2)}, network ${f(s.variance.network, 2)} (${per})`;
  const spread = `layer share ${f(Math.min(...splits.map((v) => v.layer)), 2)}–${f(Math.max(...splits.map((v) => v.layer)), 2)}, network share ${f(Math.min(...splits.map((v) => v.network)), 2)}–${f(Math.max(...splits.map((v) => v.network)), 2)} across tables`;
  const grids = splits.map((v) => `${v.networks.length}×${v.positions.length}`).join(', ');
  return {
    ...base,
    statistic,
    value: s.variance.layer - s.variance.network,
    p: combined.p,
    spread,
    n: `${tables.length} table(s), ${s.variance.perBenchmark.length} benchmark(s); grids ${grids}`,
    verdict: s.variance.layer >= s.variance.network && combined.p < ALPHA ? 'supported' : 'not supported',
  };
}

function accuracyNotBetter(s: Summary): Claim {
  const base = {
    id: 'accuracy-not-better' as const,
    claim: 'higher ImageNet accuracy does not mean a better loss network',
    rule: `supported when the positive correlation that accuracy-means-better predicts is not found: Spearman's rho between top-1 and score at each network's best layer, one-sided p for a positive rho per table (tables with ≥ ${MIN_CORRELATION_NETWORKS} networks), combined by Fisher's method, p ≥ ${ALPHA}`,
  };
  const rows = s.tables.flatMap((t) => {
    const c = t.correlations.best.spearman;
    if (c.r === null || c.n < MIN_CORRELATION_NETWORKS) return [];
    const rho = t.higherIsBetter ? c.r : -c.r; // against goodness
    return [{ t, rho, p: rho > 0 ? c.p! / 2 : 1 - c.p! / 2, n: c.n }];
  });
  if (!rows.length) {
    return {
      ...base,
      statistic: `needs a table with at least ${MIN_CORRELATION_NETWORKS} networks of known ImageNet accuracy`,
      value: null,
      p: null,
      spread: null,
      n: '0 tables',
      verdict: 'not enough runs',
    };
  }
  const combined = fisherCombined(rows.map((r) => r.p));
  const rho = mean(rows.map((r) => r.rho));
  return {
    ...base,
    statistic: `mean Spearman rho (top-1 vs goodness at the best layer) ${f(rho)}: ${rows.map((r) => `${r.t.benchmark} ${r.t.variant} ${f(r.rho)}`).join('; ')}`,
    value: rho,
    p: combined.p,
    spread:
      rows.length > 1 ? `rho ${f(Math.min(...rows.map((r) => r.rho)))} to ${f(Math.max(...rows.map((r) => r.rho)))} across tables` : null,
    n: `${rows.length} table(s), ${span(rows.map((r) => r.n))} networks each`,
    verdict: combined.p >= ALPHA ? 'supported' : 'not supported',
  };
}

function laterNotAlwaysBetter(s: Summary): Claim {
  const base = {
    id: 'later-not-always-better' as const,
    claim: 'later layers are not always better',
    rule: `supported when, for some network, an earlier layer scores significantly better than its deepest measured one (one-sided Welch t-tests over repetitions, every earlier layer of every network against its deepest, Bonferroni-corrected p < ${ALPHA})`,
  };
  const single = s.tables.filter((t) => t.layerMode === 'single');
  const judged = single.reduce((a, t) => a + t.deepestBest.of, 0);
  const notDeepest = single.reduce((a, t) => a + t.deepestBest.of - t.deepestBest.count, 0);
  const tests = single.flatMap((t) => {
    const sign = t.higherIsBetter ? 1 : -1;
    return t.rows.flatMap((row) => {
      const measured = row.cells.flatMap((c, j) => (c ? [{ c, depth: t.columns[j]!.depth }] : []));
      if (measured.length < 2) return [];
      const deepest = measured.reduce((a, b) => (b.depth > a.depth ? b : a));
      return measured.flatMap((m) => {
        if (m === deepest) return [];
        const w = welchGreater({ ...m.c, mean: sign * m.c.mean }, { ...deepest.c, mean: sign * deepest.c.mean });
        return w ? [{ p: w.p, network: row.network, t }] : [];
      });
    });
  });
  const share = judged ? notDeepest / judged : null;
  const statistic = `best layer is not the deepest measured for ${notDeepest} of ${judged} networks (summed over tables)`;
  if (!judged || !tests.length) {
    return {
      ...base,
      statistic: judged
        ? `${statistic}; needs repetitions (≥ 2) of a network's deepest and an earlier layer to test`
        : 'needs a single-layer table with a network measured at 2 or more layers',
      value: share,
      p: null,
      spread: null,
      n: `${judged} network(s) × table(s)`,
      verdict: 'not enough runs',
    };
  }
  const min = tests.reduce((a, b) => (b.p < a.p ? b : a));
  const p = Math.min(1, min.p * tests.length);
  return {
    ...base,
    statistic: `${statistic}; strongest case ${min.network} in ${min.t.benchmark} ${min.t.variant}`,
    value: share,
    p,
    spread: null,
    n: `${judged} network(s) × table(s), ${tests.length} comparison(s)`,
    verdict: p < ALPHA ? 'supported' : 'not supported',
  };
}
