// Delineation metrics: hand-made masks (exact, relaxed, empty cases) and an
// independent numpy/scipy reference on random masks.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { delineationMetrics, meanMetrics, type DelineationMetrics } from '../src/benchmarks/delineation-metrics.js';
import { mulberry32 } from '../src/data/seeded.js';
import { PIL_PYTHON } from './helpers/pil-reference.js';

/** A mask from rows of '.' (0) and '#' (1), and a probability map from digits d (d/10) or '.' (0). */
const mask = (rows: string[]) => Uint8Array.from(rows.join('').split(''), (c) => (c === '#' ? 1 : 0));
const probs = (rows: string[]) => Float32Array.from(rows.join('').split(''), (c) => (c === '.' ? 0 : Number(c) / 10));

describe('hand-made masks', () => {
  it('counts TP, FP, FN at the threshold (strictly above) and gives the exact ratios', () => {
    const truth = mask(['......', '......', '######', '......', '......']);
    const prob = probs(['4.....', '......', '9999.2', '...3..', '......']);
    const m = delineationMetrics(prob, truth, 5, 6, { threshold: 0.3, tolerance: 0 });
    // (0,0) 0.4 is a false positive; 0.3 and 0.2 are not predicted.
    expect(m.counts).toMatchObject({ truth: 6, predicted: 5, tp: 4, fp: 1, fn: 2 });
    expect(m.completeness).toBeCloseTo(4 / 6, 12);
    expect(m.correctness).toBeCloseTo(4 / 5, 12);
    expect(m.quality).toBeCloseTo(4 / 7, 12);
    // Tolerance 0 is the exact form.
    expect([m.relaxedCompleteness, m.relaxedCorrectness, m.relaxedQuality]).toEqual([m.completeness, m.correctness, m.quality]);
  });

  it('relaxes by Euclidean distance, inclusive at rho', () => {
    // A true vertical road at x = 1 and a prediction two columns off at x = 3.
    const truth = mask(['.#.....', '.#.....', '.#.....', '.#.....']);
    const prob = probs(['...9...', '...9...', '...9...', '...9...']);
    const at = (tolerance: number) => delineationMetrics(prob, truth, 4, 7, { tolerance });
    expect([at(0).quality, at(1).relaxedQuality, at(1.9).relaxedCompleteness]).toEqual([0, 0, 0]);
    for (const m of [at(2), at(3)]) {
      expect([m.relaxedCompleteness, m.relaxedCorrectness, m.relaxedQuality]).toEqual([1, 1, 1]);
      expect([m.completeness, m.correctness, m.quality]).toEqual([0, 0, 0]);
    }
    // Diagonal: one true pixel and one predicted at offset (2, 2), distance sqrt(8) = 2.83.
    const t2 = mask(['#....', '.....', '.....']);
    const p2 = probs(['.....', '.....', '..9..']);
    expect(delineationMetrics(p2, t2, 3, 5, { tolerance: 2.8 }).relaxedQuality).toBe(0);
    expect(delineationMetrics(p2, t2, 3, 5, { tolerance: 2.83 }).relaxedQuality).toBe(1);
    // Straight offset of exactly rho counts; rho + 1 does not.
    const t3 = mask(['#....']);
    expect(delineationMetrics(probs(['...9.']), t3, 1, 5, { tolerance: 3 }).relaxedCorrectness).toBe(1);
    expect(delineationMetrics(probs(['....9']), t3, 1, 5, { tolerance: 3 }).relaxedCorrectness).toBe(0);
  });

  it('relaxed quality is matched predicted / (predicted + unmatched true) (Wiedemann)', () => {
    // Truth: 6 pixels on row 0. Prediction: 2 pixels on row 1 under truth columns 0-1, and 1 far away.
    const truth = mask(['######......', '............', '............', '............', '............']);
    const prob = probs(['............', '99..........', '............', '............', '...........9']);
    const m = delineationMetrics(prob, truth, 5, 12, { tolerance: 1 });
    // Predicted within 1 of truth: 2 of 3. True within 1 of a prediction: columns 0-2 of row 0 -> (0,0),(0,1) at distance 1, (0,2) at sqrt(2) > 1: 2 of 6.
    expect(m.counts).toMatchObject({ predicted: 3, truth: 6, matchedPredicted: 2, matchedTruth: 2 });
    expect(m.relaxedCorrectness).toBeCloseTo(2 / 3, 12);
    expect(m.relaxedCompleteness).toBeCloseTo(2 / 6, 12);
    expect(m.relaxedQuality).toBeCloseTo(2 / (3 + 6 - 2), 12);
  });

  it('defines an empty denominator as 1: empty prediction, empty truth, both', () => {
    const road = mask(['.#.', '.#.', '.#.']);
    const none = new Uint8Array(9);
    const zero = new Float32Array(9);
    const noPrediction = delineationMetrics(zero, road, 3, 3);
    expect([noPrediction.completeness, noPrediction.correctness, noPrediction.quality]).toEqual([0, 1, 0]);
    expect([noPrediction.relaxedCompleteness, noPrediction.relaxedCorrectness, noPrediction.relaxedQuality]).toEqual([0, 1, 0]);
    const noTruth = delineationMetrics(probs(['9..', '...', '...']), none, 3, 3);
    expect([noTruth.completeness, noTruth.correctness, noTruth.quality]).toEqual([1, 0, 0]);
    expect([noTruth.relaxedCompleteness, noTruth.relaxedCorrectness, noTruth.relaxedQuality]).toEqual([1, 0, 0]);
    const neither = delineationMetrics(zero, none, 3, 3);
    for (const k of ['completeness', 'correctness', 'quality', 'relaxedCompleteness', 'relaxedCorrectness', 'relaxedQuality'] as const) {
      expect(neither[k]).toBe(1);
    }
  });

  it("binarises the truth at 0.5 (0/255 masks work), gives BCE with torch's log clamp, and checks its input", () => {
    const m = delineationMetrics(Float32Array.from([0.9, 0.2, 0, 1]), Uint8Array.from([255, 0, 1, 0]), 2, 2, { tolerance: 0 });
    expect(m.counts).toMatchObject({ truth: 2, tp: 1, fp: 1, fn: 1 });
    expect(m.bce).toBeCloseTo(-(Math.log(Math.fround(0.9)) + Math.log(1 - Math.fround(0.2)) - 100 - 100) / 4, 10);
    expect(() => delineationMetrics(new Float32Array(3), new Uint8Array(4), 2, 2)).toThrow(/2x2 = 4/);
    expect(() => delineationMetrics(Float32Array.from([0, 1.5, 0, 0]), new Uint8Array(4), 2, 2)).toThrow(/prediction 1 is 1\.5/);
    expect(() => delineationMetrics(new Float32Array(4), new Uint8Array(4), 2, 2, { tolerance: -1 })).toThrow(/tolerance/);
  });

  it('averages each metric over images', () => {
    const a = delineationMetrics(probs(['9.']), mask(['#.']), 1, 2);
    const b = delineationMetrics(probs(['.9']), mask(['#.']), 1, 2, { tolerance: 0 });
    const mean = meanMetrics([a, b]);
    expect(mean.quality).toBeCloseTo((1 + 0) / 2, 12);
    expect(mean.relaxedQuality).toBeCloseTo((1 + 0) / 2, 12);
    expect(mean.bce).toBeCloseTo((a.bce + b.bce) / 2, 12);
    expect(() => meanMetrics([])).toThrow(/at least one/);
  });
});

/** Random road-like masks: a few thick random segments, and probabilities near them. */
function randomCase(h: number, w: number, seed: number): { prob: Float32Array; truth: Uint8Array } {
  const r = mulberry32(seed);
  const truth = new Uint8Array(h * w);
  for (let s = 0; s < 3; s++) {
    const [y0, x0, y1, x1] = [r() * h, r() * w, r() * h, r() * w];
    for (let t = 0; t <= 200; t++) {
      const y = Math.round(y0 + ((y1 - y0) * t) / 200);
      const x = Math.round(x0 + ((x1 - x0) * t) / 200);
      for (let d = -1; d <= 1; d++) if (y + d >= 0 && y + d < h) truth[(y + d) * w + x] = 1;
    }
  }
  const prob = new Float32Array(h * w);
  for (let i = 0; i < prob.length; i++) {
    // Roads found with some misses, a little displaced, plus scattered false alarms.
    const near = truth[i] || truth[i + 2] || truth[i - 2 * w] ? 0.6 : 0.1;
    prob[i] = Math.min(1, Math.max(0, near + (r() - 0.5) * 0.6));
  }
  if (seed % 4 === 0) prob[5] = 0; // exact 0 and 1 exercise the log clamp
  if (seed % 4 === 1) prob[7] = 1;
  return { prob, truth };
}

describe('against numpy/scipy (distance_transform_edt) on random masks', () => {
  it('gives the same counts and metrics', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpl-delmet-'));
    try {
      const cases = [0, 1, 2, 3, 4, 5].map((seed) => {
        const [h, w] = [61 + seed * 3, 47 + seed * 5];
        const { prob, truth } = randomCase(h, w, seed);
        writeFileSync(join(dir, `p${seed}`), prob);
        writeFileSync(join(dir, `t${seed}`), truth);
        return { seed, h, w, prob, truth, threshold: [0.3, 0.5, 0.3][seed % 3]!, tolerance: [0, 1, 2.5, 3, 5, 3][seed]! };
      });
      const body = {
        cases: cases.map((c) => ({
          prob: join(dir, `p${c.seed}`),
          truth: join(dir, `t${c.seed}`),
          shape: [c.h, c.w],
          threshold: c.threshold,
          tolerance: c.tolerance,
        })),
      };
      const run = spawnSync(PIL_PYTHON, [join(import.meta.dirname, 'helpers', 'delineation_metrics_reference.py')], {
        input: JSON.stringify(body),
        encoding: 'utf8',
      });
      if (run.status !== 0) throw new Error(`delineation_metrics_reference.py failed: ${run.stderr}`);
      const want = JSON.parse(run.stdout) as DelineationMetrics[];
      cases.forEach((c, i) => {
        const got = delineationMetrics(c.prob, c.truth, c.h, c.w, { threshold: c.threshold, tolerance: c.tolerance });
        expect(got.counts).toEqual(want[i]!.counts);
        expect(got.counts.matchedPredicted).toBeGreaterThan(0);
        for (const k of [
          'completeness',
          'correctness',
          'quality',
          'relaxedCompleteness',
          'relaxedCorrectness',
          'relaxedQuality',
        ] as const) {
          expect(got[k]).toBeCloseTo(want[i]![k], 12);
        }
        expect(got.bce).toBeCloseTo(want[i]!.bce, 9);
      });
      // The cases are not trivial: relaxing changed the counts somewhere.
      expect(
        cases.some((c) => {
          const m = delineationMetrics(c.prob, c.truth, c.h, c.w, { threshold: c.threshold, tolerance: c.tolerance });
          return m.counts.matchedPredicted > m.counts.tp;
        }),
      ).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
