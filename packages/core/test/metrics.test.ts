import { describe, expect, it } from 'vitest';
import { accuracy, aupr, auroc, brier, ece, meanFieldProbs, meanSoftmax, nll, softmaxRows, uncertaintyScore } from '../src/index.js';

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
