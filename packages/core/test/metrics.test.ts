import { describe, expect, it } from 'vitest';
import {
  calibratedEceFloor,
  accuracy,
  aupr,
  auroc,
  brier,
  calibrationBins,
  ece,
  meanFieldProbs,
  meanSoftmax,
  nll,
  rocCurve,
  softmaxRows,
  uncertaintyScore,
} from '../src/index.js';

describe('metrics', () => {
  const probs = [0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.3, 0.7];
  const labels = [0, 1, 1, 1];

  it('accuracy, NLL and Brier match hand computation', () => {
    expect(accuracy(probs, labels, 2)).toBe(0.75);
    expect(nll(probs, labels, 2)).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.4) + Math.log(0.7)) / 4, 10);
    expect(brier(probs, labels, 2)).toBeCloseTo((2 * 0.01 + 2 * 0.04 + 2 * 0.36 + 2 * 0.09) / 4, 10);
  });

  it('ECE is |acc - conf| weighted over confidence bins', () => {
    // Bins (15): 0.9 -> bin 13, 0.8 -> bin 11, 0.6 -> bin 8, 0.7 -> bin 10; each bin one sample.
    expect(ece(probs, labels, 2)).toBeCloseTo((0.1 + 0.2 + 0.6 + 0.3) / 4, 10);
    const perfect = [1, 0, 0, 1];
    expect(ece(perfect, [0, 1], 2)).toBe(0);
  });

  it('AUROC: perfect, inverted, ties and a known mixed case', () => {
    expect(auroc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auroc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(auroc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    // sklearn.metrics.roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) == 0.75
    expect(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(() => auroc([0.1, 0.2], [1, 1])).toThrow();
  });

  it('AUPR equals average precision', () => {
    // sklearn.metrics.average_precision_score([0,0,1,1],[0.1,0.4,0.35,0.8]) == 0.8333...
    expect(aupr([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(5 / 6, 10);
    expect(aupr([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
  });
});

describe('metrics with tied scores', () => {
  // Shuffle both arrays the same way: a tie-aware metric cannot depend on the input order.
  const permuted = (s: number[], p: number[], order: number[]) => [order.map((i) => s[i]), order.map((i) => p[i])] as const;

  it('AUROC uses midranks: a tie between a positive and a negative counts half', () => {
    // Negatives {0, 0}, positives {0, 0.5, 1}: pairs won 0.5 + 0.5 + 2 + 2 of 6.
    const s = [0, 0, 0, 0.5, 1];
    const p = [0, 1, 0, 1, 1];
    expect(auroc(s, p)).toBeCloseTo(5 / 6, 12);
    for (const order of [[4, 3, 2, 1, 0], [1, 0, 2, 4, 3], [2, 4, 0, 3, 1]]) expect(auroc(...permuted(s, p, order))).toBeCloseTo(5 / 6, 12);
  });

  it('AUPR treats tied scores as one threshold, whatever their order', () => {
    // Thresholds 0.9 (1 pos, 1 neg): recall 1/3, precision 1/2; 0.5 (2 pos): recall 1, precision 3/4.
    // AP = 1/3 * 1/2 + 2/3 * 3/4 = 2/3 (breaking the 0.9 tie positive-first would give 5/6).
    const s = [0.9, 0.9, 0.5, 0.5, 0.1];
    const p = [1, 0, 1, 1, 0];
    expect(aupr(s, p)).toBeCloseTo(2 / 3, 12);
    for (const order of [[1, 0, 2, 3, 4], [4, 3, 2, 1, 0], [3, 1, 4, 0, 2]]) expect(aupr(...permuted(s, p, order))).toBeCloseTo(2 / 3, 12);
  });

  it('reproduces the float32 artefact: OOD rows all tied at 0 with some in-domain rows', () => {
    // The README's baseline AUPR 0.3333 = the positives' share: all positives enter at the last threshold.
    const s = [0.2, 0.1, 0, 0, 0, 0];
    const p = [0, 0, 0, 0, 1, 1];
    expect(auroc(s, p)).toBeCloseTo(2 / 8, 12);
    expect(aupr(s, p)).toBeCloseTo(2 / 6, 12);
  });

  it('ranks +-Infinity correctly and refuses NaN', () => {
    // pos -Inf ties neg -Inf (0.5), pos 1 beats it (1): 1.5 of 2 pairs.
    expect(auroc([-Infinity, -Infinity, 1], [0, 1, 1])).toBe(0.75);
    expect(auroc([Infinity, -Infinity, Infinity, 0], [1, 0, 1, 0])).toBe(1);
    expect(aupr([Infinity, -Infinity, Infinity, 0], [1, 0, 1, 0])).toBe(1);
    expect(() => auroc([0.1, NaN, 0.3], [0, 1, 1])).toThrow(/AUROC: score 1 is NaN/);
    expect(() => aupr([0.1, NaN], [0, 1])).toThrow(/AUPR: score 1 is NaN/);
    expect(() => auroc([0.1, 0.2], [0, 1, 1])).toThrow(/2 scores but 3 labels/);
  });

  it('ROC curve: one point per distinct threshold, a tied block is one diagonal step; area = AUROC', () => {
    const s = [0.9, 0.9, 0.5, 0.1];
    const p = [1, 0, 1, 0];
    const { fpr, tpr } = rocCurve(s, p);
    expect(Array.from(fpr)).toEqual([0, 0.5, 0.5, 1]);
    expect(Array.from(tpr)).toEqual([0, 0.5, 1, 1]);
    let area = 0;
    for (let i = 1; i < fpr.length; i++) area += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
    expect(area).toBeCloseTo(auroc(s, p), 12);
    expect(area).toBeCloseTo(0.625, 12);
    expect(() => rocCurve([1, 2], [1, 1])).toThrow(/both positive and negative/);
  });
});

describe('reliability diagram', () => {
  it('bins rows by confidence with per-bin accuracy, and ECE is their weighted gap', () => {
    // Confidences 0.9 (right), 0.95 (right), 0.6 (wrong), 0.55 (right); 5 bins of width 0.2.
    const probs = [0.9, 0.1, 0.05, 0.95, 0.6, 0.4, 0.45, 0.55];
    const labels = [0, 1, 1, 1];
    const bins = calibrationBins(probs, labels, 2, 5);
    expect(bins.map((b) => b.count)).toEqual([0, 0, 2, 0, 2]);
    expect(bins[2].lo).toBeCloseTo(0.4, 12);
    expect(bins[2].hi).toBeCloseTo(0.6, 12);
    expect(bins[2].confidence).toBeCloseTo(0.575, 12);
    expect(bins[2].accuracy).toBe(0.5);
    expect(bins[4].confidence).toBeCloseTo(0.925, 12);
    expect(bins[4].accuracy).toBe(1);
    expect(Number.isNaN(bins[0].accuracy)).toBe(true);
    expect(ece(probs, labels, 2, 5)).toBeCloseTo((2 * 0.075 + 2 * 0.075) / 4, 12);
  });
});

describe('mean-field and softmax', () => {
  it('softmax rows sum to one and are stable for large logits', () => {
    const p = softmaxRows([1000, 1001, -5, 5], 2);
    expect(p[0] + p[1]).toBeCloseTo(1, 6);
    expect(p[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    expect(p[3]).toBeCloseTo(1 / (1 + Math.exp(-10)), 6);
  });

  it('scales logits by 1/sqrt(1 + lambda var); lambda < 0 is plain softmax', () => {
    const logits = [2, -1, 0.5, 0.2];
    const variance = [3, 0];
    const p = meanFieldProbs(logits, variance, 2, Math.PI / 8);
    const s = Math.sqrt(1 + (Math.PI / 8) * 3);
    expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(-3 / s)), 6);
    expect(p[2]).toBeCloseTo(softmaxRows([0.5, 0.2], 2)[0], 6);
    expect([...meanFieldProbs(logits, variance, 2, -1)]).toEqual([...softmaxRows(logits, 2)]);
    // Large variance pushes towards uniform.
    expect(meanFieldProbs([5, -5], [1e6], 2)[0]).toBeCloseTo(0.5, 2);
  });

  it('averages sample softmaxes and scores uncertainty as 1 - max p', () => {
    const p = meanSoftmax(new Float32Array([10, -10, -10, 10]), 2, 2);
    expect(p[0]).toBeCloseTo(0.5, 6);
    expect(uncertaintyScore([0.9, 0.1, 0.5, 0.5], 2)[0]).toBeCloseTo(0.1, 6);
    expect(uncertaintyScore([0.9, 0.1, 0.5, 0.5], 2)[1]).toBeCloseTo(0.5, 6);
  });
});

describe('calibratedEceFloor', () => {
  it('is 0 for certain predictions and shrinks like the binomial noise of one bin with the test size', () => {
    expect(calibratedEceFloor(new Float32Array([1, 0, 0, 1, 1, 0]), 2)).toEqual({ median: 0, p90: 0 });
    // Every row at p = 0.7: one bin, ECE = |accuracy - 0.7|, whose median is ~0.674 binomial sds.
    const floor = (n: number) => calibratedEceFloor(Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 ? 0.3 : 0.7)), 2, 400).median;
    for (const n of [86, 8600]) {
      const expected = 0.6745 * Math.sqrt((0.7 * 0.3) / n);
      expect(floor(n)).toBeGreaterThan(0.7 * expected);
      expect(floor(n)).toBeLessThan(1.3 * expected);
    }
  });
});
