import { describe, expect, it } from 'vitest';
import {
  DEFAULT_UNCERTAINTY_SCORE,
  logSoftmaxRows,
  meanFieldLogProbs,
  meanLogSoftmax,
  meanSoftmax,
  softmaxRows,
  uncertaintyScore,
  uncertaintyScores,
} from '../src/index.js';

/** Two-class entropy from the log-probabilities of both classes, written out. */
const entropy2 = (la: number, lb: number) => -(Math.exp(la) * la + Math.exp(lb) * lb);

describe('log-space uncertainty scores', () => {
  it('separates rows whose float32 probabilities tie at 1.0', () => {
    const logits = [20, 0, 30, 0, 0, 45];
    // float32 `1 - max p` cannot tell these three rows apart ...
    expect(Array.from(uncertaintyScore(softmaxRows(logits, 2), 2))).toEqual([0, 0, 0]);
    // ... log(1 - max p) = -log(1 + e^gap) can: hand-computed, -gap - log1p(e^-gap).
    const s = uncertaintyScores(logSoftmaxRows(logits, 2), 2);
    expect(s.logNonMax[0]).toBeCloseTo(-20.000000002061153, 12);
    expect(s.logNonMax[1]).toBeCloseTo(-30.000000000000092, 12);
    expect(s.logNonMax[2]).toBeCloseTo(-45, 12);
    expect(s.logNonMax[0]).toBeGreaterThan(s.logNonMax[1]);
    expect(s.logNonMax[1]).toBeGreaterThan(s.logNonMax[2]);
    // Entropy of p = (1 - q, q) with q = 1 / (1 + e^20): q (20 + 1) to first order, 4.33e-8.
    const q = 1 / (1 + Math.exp(20));
    expect(s.entropy[0]).toBeCloseTo(-(q * Math.log(q) + (1 - q) * Math.log1p(-q)), 20);
    expect(s.entropy[0] / (21 * Math.exp(-20))).toBeCloseTo(1, 6);
    expect(s.entropy[0]).toBeGreaterThan(s.entropy[1]);
    expect(s.entropy[1]).toBeGreaterThan(s.entropy[2]);
    expect(s.entropy[2]).toBeGreaterThan(0);
    expect(s.variance).toBeUndefined();
  });

  it('three classes: log of the other two classes, and the entropy, by hand', () => {
    // logits (5, 1, 1): p = (e^5, e, e) / Z. 1 - max p = 2e / Z.
    const z = Math.exp(5) + 2 * Math.E;
    const s = uncertaintyScores(logSoftmaxRows([5, 1, 1], 3), 3);
    expect(s.logNonMax[0]).toBeCloseTo(Math.log((2 * Math.E) / z), 12);
    const p = [Math.exp(5) / z, Math.E / z, Math.E / z];
    expect(s.entropy[0]).toBeCloseTo(-p.reduce((a, v) => a + v * Math.log(v), 0), 12);
    // Uniform row: log((K-1)/K) and log K, the maxima.
    const u = uncertaintyScores(logSoftmaxRows([2, 2, 2], 3), 3);
    expect(u.logNonMax[0]).toBeCloseTo(Math.log(2 / 3), 12);
    expect(u.entropy[0]).toBeCloseTo(Math.log(3), 12);
  });

  it('orders rows as 1 - max p does wherever float32 does not tie', () => {
    const logits = [0.3, -0.2, 1.5, 0.1, -2, 0.4, 0.05, 0, 3, -1];
    const s = uncertaintyScores(logSoftmaxRows(logits, 2), 2);
    const u = uncertaintyScore(softmaxRows(logits, 2), 2);
    for (let i = 0; i < 5; i++) expect(Math.exp(s.logNonMax[i])).toBeCloseTo(u[i], 6);
  });

  it('mean-field: log-softmax of logits / sqrt(1 + lambda var); lambda < 0 is plain', () => {
    const lambda = Math.PI / 8;
    const scale = Math.sqrt(1 + lambda * 3);
    const lp = meanFieldLogProbs([8, 0, 8, 0], [3, -1e-9], 2, lambda);
    expect(lp[1]).toBeCloseTo(-Math.log1p(Math.exp(8 / scale)), 12);
    expect(lp[3]).toBeCloseTo(-Math.log1p(Math.exp(8)), 12); // negative variance counts as 0
    expect(Array.from(meanFieldLogProbs([8, 0], [3], 2, -1))).toEqual(Array.from(logSoftmaxRows([8, 0], 2)));
    const s = uncertaintyScores(lp, 2, Float32Array.of(3, 0));
    expect(Array.from(s.variance!)).toEqual([3, 0]);
    expect(s.variance).toBeInstanceOf(Float64Array);
  });

  it('ensemble / MC dropout: log of the mean member probability, exact where float32 rounds', () => {
    // Two members, one row: class 0 has probability 1/(1+e^30) and 1/(1+e^40).
    const lp = meanLogSoftmax(new Float32Array([0, 30, 0, 40]), 2, 2);
    const p0 = (1 / (1 + Math.exp(30)) + 1 / (1 + Math.exp(40))) / 2;
    expect(lp[0]).toBeCloseTo(Math.log(p0), 12);
    expect(lp[1]).toBeCloseTo(Math.log1p(-p0), 20);
    expect(uncertaintyScore(meanSoftmax(new Float32Array([0, 30, 0, 40]), 2, 2), 2)[0]).toBe(0);
    const s = uncertaintyScores(lp, 2);
    expect(s.logNonMax[0]).toBeCloseTo(Math.log(p0), 12);
    // [S, N, K] layout: member-major. Two rows, three members.
    const logits = new Float32Array([1, 0, 0, 2, /* member 1 */ 3, 0, 0, 1, /* member 2 */ 0, 0, 1, 1]);
    const mean = meanLogSoftmax(logits, 3, 2);
    const want = meanSoftmax(logits, 3, 2);
    for (let i = 0; i < 4; i++) expect(Math.exp(mean[i])).toBeCloseTo(want[i], 6);
    expect(entropy2(mean[0], mean[1])).toBeCloseTo(uncertaintyScores(mean, 2).entropy[0], 12);
  });

  it('ensemble: stays exact (no -Infinity ties) where float64 probabilities underflow', () => {
    // Gaps 800 and 900: e^-800 underflows float64. log p̄_0 = -800 + log1p(e^-100) - log 2.
    const lp = meanLogSoftmax(new Float32Array([0, 800, 0, 900, /* row 2 */ 0, 1000, 0, 1000]), 2, 2);
    // [S, N, K] = [2, 2, 2]: member 0 rows (0, 800), (0, 900); member 1 rows (0, 1000), (0, 1000).
    expect(lp[0]).toBeCloseTo(-800 + Math.log1p(Math.exp(-200)) - Math.log(2), 9);
    expect(lp[2]).toBeCloseTo(-900 + Math.log1p(Math.exp(-100)) - Math.log(2), 9);
    expect(lp[1]).toBeCloseTo(0, 12);
    const s = uncertaintyScores(lp, 2);
    expect(s.logNonMax[0]).toBeGreaterThan(s.logNonMax[1]);
    expect(Number.isFinite(s.logNonMax[1])).toBe(true);
  });

  it('a NaN row gets NaN scores, the others are unaffected', () => {
    const s = uncertaintyScores(logSoftmaxRows([NaN, 0, 4, 0], 2), 2);
    expect(Number.isNaN(s.logNonMax[0]) && Number.isNaN(s.entropy[0])).toBe(true);
    expect(s.logNonMax[1]).toBeCloseTo(-Math.log1p(Math.exp(4)), 12);
  });

  it('names logNonMax as the default score', () => {
    expect(DEFAULT_UNCERTAINTY_SCORE).toBe('logNonMax');
  });
});
