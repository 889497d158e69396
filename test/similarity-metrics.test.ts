// 2AFC, JND mAP and BCE against hand-computed cases (ties included), the
// learning-rate schedule and the seeded shuffle.
import { describe, expect, it } from 'vitest';
import { learningRate } from '../src/benchmarks/similarity.js';
import { jndMap, meanBce, twoAfc, vocAp } from '../src/benchmarks/similarity-metrics.js';

describe('2AFC', () => {
  it('scores agreement with the judges, ties count half', () => {
    // h = fraction choosing p1. Triplet 1: d1 < d0, h=0.8 -> 0.8, correct (h >= 0.5).
    // 2: d0 < d1, h=0.2 -> 0.8, correct. 3: d0 < d1, h=1 -> 0, wrong.
    // 4: tie, h=0.6 -> 0.5; accuracy [(false) = (0.6 < 0.5)] -> correct. 5: tie, h=0.4 -> 0.5, wrong.
    const r = twoAfc([2, 1, 1, 3, 3], [1, 2, 2, 3, 3], [0.8, 0.2, 1, 0.6, 0.4]);
    expect(r.score).toBeCloseTo((0.8 + 0.8 + 0 + 0.5 + 0.5) / 5, 12);
    expect(r.accuracy).toBeCloseTo(3 / 5, 12);
  });

  it('refuses mismatched lengths', () => {
    expect(() => twoAfc([1], [1, 2], [0.5])).toThrow(/equal/);
  });
});

describe('JND mAP', () => {
  it('is 1 when every same pair is closer than every different pair', () => {
    expect(jndMap([0.1, 0.2, 0.9, 0.8], [1, 1, 0, 0])).toBeCloseTo(1, 12);
  });

  it('matches a hand-computed VOC AP', () => {
    // Sorted by d: s = [1, 0, 1, 0]. TP = 1,1,2,2; FP = 0,1,1,2; recall = .5,.5,1,1;
    // precision = 1, .5, 2/3, .5. Padded: rec [0,.5,.5,1,1,1], prec [0,1,.5,.667,.5,0];
    // made non-increasing from the end: [1,1,.667,.667,.5,0]; AP = .5*1 + .5*(2/3).
    expect(jndMap([0.1, 0.2, 0.3, 0.4], [1, 0, 1, 0])).toBeCloseTo(0.5 + 0.5 * (2 / 3), 12);
    // Fractional 'same' values: s = [2/3, 1/3] -> TP = 2/3, 1; FP = 1/3, 1;
    // recall = 2/3, 1; precision = 2/3, 1/2. AP = 2/3*2/3 + 1/3*1/2.
    expect(jndMap([0.5, 0.7], [2 / 3, 1 / 3])).toBeCloseTo((2 / 3) * (2 / 3) + (1 / 3) * 0.5, 12);
  });

  it('breaks distance ties by file order (stable)', () => {
    // Equal distances: the order stays [0, 1] -> s = [0, 1]: recall 0, 1; precision 0, .5 -> AP .5.
    expect(jndMap([0.3, 0.3], [0, 1])).toBeCloseTo(0.5, 12);
    expect(jndMap([0.3, 0.3], [1, 0])).toBeCloseTo(1, 12);
  });

  it('sums only where recall changes', () => {
    expect(vocAp([0, 0.5, 0.5, 1, 1], [0, 1, 0.2, 0.4, 0])).toBeCloseTo(0.5 * 1 + 0.5 * 0.4, 12);
  });

  it('refuses data with no same pair', () => {
    expect(() => jndMap([1, 2], [0, 0])).toThrow(/no pair was judged the same/);
  });
});

describe('training schedule', () => {
  it('keeps 1e-3 for epochs 0-5, then 8e-4, 6e-4, 4e-4, 2e-4', () => {
    const o = { lr: 1e-3, epochs: 10, decayEpochs: 5 };
    const rates = Array.from({ length: 10 }, (_, e) => learningRate(o, e));
    expect(rates.map((r) => Number(r.toExponential(6)))).toEqual([1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 8e-4, 6e-4, 4e-4, 2e-4]);
  });

  it('decays over all epochs when there are fewer than decayEpochs', () => {
    expect([0, 1].map((e) => learningRate({ lr: 1e-3, epochs: 2, decayEpochs: 5 }, e))).toEqual([1e-3, 5e-4]);
  });

  it('BCE clamps the log as torch does', () => {
    expect(meanBce([0.5, 0.5], [1, 0])).toBeCloseTo(Math.log(2), 12);
    expect(meanBce([0], [1])).toBe(100);
  });
});
