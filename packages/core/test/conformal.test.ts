import { describe, expect, it } from 'vitest';
import {
  Rng,
  calibrateConformal,
  classScores,
  conformalQuantile,
  conformalRank,
  logSoftmaxRows,
  minCalibrationRows,
  predictionSets,
  setCoverage,
  setLists,
  splitCoverage,
  rowUniforms,
  trueClassScores,
} from '../src/index.js';

const logOf = (probs: number[]) => Float64Array.from(probs, Math.log);

describe('conformal scores', () => {
  // One row, p = (0.2, 0.5, 0.3): ranks 2, 1, 3.
  const lp = logOf([0.2, 0.5, 0.3]);
  it('LAC is 1 - p', () => {
    const s = classScores(lp, 3, { score: 'lac' });
    expect(Array.from(s).map((v) => +v.toFixed(12))).toEqual([0.8, 0.5, 0.7]);
  });
  it('APS is the mass ranked at or above the class; the last class scores exactly 1', () => {
    const s = classScores(lp, 3, { score: 'aps' });
    expect(s[1]).toBeCloseTo(0.5, 12);
    expect(s[2]).toBeCloseTo(0.8, 12);
    expect(s[0]).toBe(1);
  });
  it('RAPS adds lambda per rank beyond kReg', () => {
    const s = classScores(lp, 3, { score: 'raps', kReg: 1, lambda: 0.1 });
    expect(s[1]).toBeCloseTo(0.5, 12);
    expect(s[2]).toBeCloseTo(0.8 + 0.1, 12);
    expect(s[0]).toBeCloseTo(1 + 0.2, 12);
    const s0 = classScores(lp, 3, { score: 'raps', kReg: 0, lambda: 0.1 });
    expect(s0[1]).toBeCloseTo(0.6, 12);
  });
  it('ties in probability rank by lower class index', () => {
    const s = classScores(logOf([0.4, 0.4, 0.2]), 3, { score: 'aps' });
    expect(s[0]).toBeCloseTo(0.4, 12);
    expect(s[1]).toBeCloseTo(0.8, 12);
  });
  it('LAC stays tie-free for confident rows (log-space input)', () => {
    const s = classScores(logSoftmaxRows([40, 0, 45, 0], 2), 2, { score: 'lac' });
    expect(s[0]).toBeGreaterThan(0);
    expect(s[0]).toBeGreaterThan(s[2]);
  });
});

describe('conformal quantile', () => {
  it('is the ceil((n+1)(1-alpha))-th smallest score', () => {
    const scores = Array.from({ length: 19 }, (_, i) => (19 - i) / 100); // 0.19 .. 0.01
    // n = 19, alpha = 0.1: r = ceil(20 * 0.9) = 18 -> the 18th smallest = 0.18.
    const q = conformalQuantile(scores, 0.1);
    expect(q).toEqual({ quantile: 0.18, rank: 18, n: 19, expectedCoverage: 18 / 20 });
  });
  it('float error in (n+1)(1-alpha) does not bump the rank: n = 99, alpha 0.1 -> 90', () => {
    expect(conformalRank(99, 0.1)).toBe(90);
    expect(conformalRank(9, 0.1)).toBe(9);
  });
  it('too few rows: the quantile is Infinity (every class) and calibrate refuses', () => {
    const q = conformalQuantile([0.1, 0.2, 0.3], 0.1);
    expect(q.rank).toBe(4);
    expect(q.quantile).toBe(Infinity);
    expect(q.expectedCoverage).toBe(1);
    expect(minCalibrationRows(0.1)).toBe(9);
    expect(minCalibrationRows(0.05)).toBe(19);
    expect(minCalibrationRows(0.5)).toBe(1);
    const lp = logOf([0.9, 0.1, 0.8, 0.2, 0.7, 0.3]);
    expect(() => calibrateConformal(lp, 2, [0, 0, 0], { score: 'lac', source: 't' })).toThrow(/3 rows are too few for alpha 0.1 .* at least 9 rows/);
  });
  it('rejects bad alpha, no rows, non-finite scores and bad labels', () => {
    expect(() => conformalQuantile([0.1], 0)).toThrow(/alpha must be in \(0, 1\), got 0/);
    expect(() => conformalQuantile([0.1], 1.2)).toThrow(/got 1.2/);
    expect(() => conformalQuantile([], 0.1)).toThrow(/at least 1 labelled row/);
    expect(() => conformalQuantile([0.1, NaN], 0.1)).toThrow(/not finite: NaN/);
    expect(() => trueClassScores(logOf([0.5, 0.5]), 2, [2], { score: 'lac' })).toThrow(/label of row 0 must be a class index in \[0, 2\), got 2/);
    expect(() => trueClassScores(logOf([0.5, 0.5]), 2, [0, 1], { score: 'lac' })).toThrow(/2 labels for 1 rows/);
  });
});

describe('prediction sets', () => {
  it('hold the classes whose score is <= q; can be empty', () => {
    const lp = logOf([0.2, 0.5, 0.3, 0.05, 0.9, 0.05, 0.34, 0.33, 0.33]);
    const lac = predictionSets(lp, 3, { score: 'lac', quantile: 0.6 }); // p >= 0.4
    expect(Array.from(lac.size)).toEqual([1, 1, 0]);
    const aps = predictionSets(lp, 3, { score: 'aps', quantile: 0.85 });
    expect(setLists(aps, ['a', 'b', 'c'])).toEqual([
      { classes: [1, 2], labels: ['b', 'c'] },
      // 0.9 > 0.85: the top class alone has more mass than q
      { classes: [], labels: [] },
      { classes: [0, 1], labels: ['a', 'b'] },
    ]);
    expect(Array.from(predictionSets(lp, 3, { score: 'aps', quantile: Infinity }).size)).toEqual([3, 3, 3]);
  });
  it('a row with NaN log-probabilities gets an empty set', () => {
    const s = predictionSets([NaN, NaN, Math.log(0.6), Math.log(0.4)], 2, { score: 'aps', quantile: 0.9 });
    expect(Array.from(s.size)).toEqual([0, 1]);
  });
});

describe('split-conformal coverage on synthetic data', () => {
  // A 4-class model whose probabilities are the truth's: each row draws logits, then its label from p.
  function synthetic(n: number, seed: number): { lp: Float64Array; labels: Int32Array } {
    const rng = new Rng(seed);
    const k = 4;
    const logits = new Float64Array(n * k).map(() => 2 * rng.normal());
    const lp = logSoftmaxRows(logits, k);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let u = rng.uniform();
      let j = 0;
      while (j < k - 1 && (u -= Math.exp(lp[i * k + j])) > 0) j++;
      labels[i] = j;
    }
    return { lp, labels };
  }
  it.each(['lac', 'aps', 'raps'] as const)('%s: mean coverage over 200 splits is within 1 point of r / (n + 1)', (score) => {
    const { lp, labels } = synthetic(2000, 7);
    const rng = new Rng(11);
    const nCal = 200;
    const k = 4;
    let sum = 0;
    let expected = 0;
    const splits = 200;
    for (let s = 0; s < splits; s++) {
      const perm = rng.permutation(2000);
      const cal = perm.subarray(0, nCal);
      const test = perm.subarray(nCal);
      const pick = (idx: Int32Array) => {
        const out = new Float64Array(idx.length * k);
        idx.forEach((r, t) => out.set(lp.subarray(r * k, r * k + k), t * k));
        return out;
      };
      const rule = calibrateConformal(pick(cal), k, Array.from(cal, (r) => labels[r]), { score, alpha: 0.1, source: 'synthetic' });
      expected = conformalQuantile(new Float64Array(nCal), 0.1).expectedCoverage;
      const sets = predictionSets(lp, k, rule);
      sum += setCoverage(sets, labels, test).coverage;
    }
    expect(expected).toBeCloseTo(181 / 201, 12);
    expect(Math.abs(sum / splits - expected)).toBeLessThan(0.01);
  });
});

describe('coverage over random calibration / test splits', () => {
  /**
   * N rows of a calibrated 3-class model with peaked random probabilities, labels drawn from them:
   * any fixed model is exchangeable over rows. (With labels unrelated to the probabilities, the
   * true class is often ranked last, APS scores it exactly 1, and the tie makes every set full.)
   */
  function rows(n: number, seed: number) {
    const rng = new Rng(seed);
    const lp = new Float64Array(3 * n);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const w = [0, 1, 2].map(() => Math.exp(2.5 * rng.normal()));
      const s = w[0] + w[1] + w[2];
      for (let j = 0; j < 3; j++) lp[3 * i + j] = Math.log(w[j] / s);
      const u = rng.uniform() * s;
      y[i] = u < w[0] ? 0 : u < w[0] + w[1] ? 1 : 2;
    }
    return { lp, y };
  }

  it.each(['lac', 'aps', 'raps'] as const)('%s: the mean coverage is the finite-sample expectation r / (n + 1)', (score) => {
    const { lp, y } = rows(400, 1);
    const r = splitCoverage(lp, 3, y, { score, alpha: 0.1, splits: 2000, seed: 3 });
    expect(r.calibrationRows).toBe(200);
    expect(r.expected).toBeCloseTo(181 / 201, 12);
    // Monte Carlo error of 2,000 splits: sd / sqrt(2000) is about 0.0006 here.
    expect(Math.abs(r.meanCoverage - r.expected)).toBeLessThan(5 * (r.sdCoverage / Math.sqrt(2000)) + 1e-9);
    expect(r.minCoverage).toBeLessThan(r.meanCoverage);
    expect(r.meanSize).toBeGreaterThan(1); // 90 % coverage of a 3-class model this unsure needs multi-class sets
    expect(r.meanSize).toBeLessThan(3);
  });

  it('a wrong rank would be caught: alpha 0.3 gives a mean far from alpha 0.1', () => {
    const { lp, y } = rows(400, 2);
    const a = splitCoverage(lp, 3, y, { score: 'lac', alpha: 0.3, splits: 500 });
    expect(a.meanCoverage).toBeLessThan(0.75);
    expect(() => splitCoverage(lp, 3, y, { score: 'lac', alpha: 0.1, splits: 1, calibrationRows: 5 })).toThrow(/5 calibration rows are too few for alpha 0.1 \(need 9\)/);
  });
});

describe('randomized APS / RAPS', () => {
  it('rowUniforms: in (0, 1), a function of the row alone (not its batch), spread out', () => {
    const x = Float32Array.from({ length: 2000 }, (_, i) => Math.sin(i) * 3);
    const u = rowUniforms(x, 2);
    const alone = rowUniforms(x.slice(10, 12), 2);
    expect(alone[0]).toBe(u[5]);
    for (const v of u) expect(v > 0 && v < 1).toBe(true);
    const mean = u.reduce((a, b) => a + b, 0) / u.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.03);
    expect(new Set(u).size).toBe(u.length);
  });

  it('breaks the tie at 1 of misclassified binary rows: mean coverage r / (n + 1) instead of 1', () => {
    // A binary model that is confident and 85 % right: every wrong row's true class is ranked last.
    const rng = new Rng(4);
    const n = 400;
    const lp = new Float64Array(2 * n);
    const y = new Int32Array(n);
    const x = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const p = 0.9 + 0.099 * rng.uniform();
      lp[2 * i] = Math.log(p);
      lp[2 * i + 1] = Math.log1p(-p);
      y[i] = rng.uniform() < 0.85 ? 0 : 1;
      x[2 * i] = rng.normal();
      x[2 * i + 1] = rng.normal();
    }
    const plain = splitCoverage(lp, 2, y, { score: 'aps', alpha: 0.1, splits: 500 });
    // 15 % of the true-class scores are exactly 1: q = 1 in nearly every split, and every set is full.
    expect(plain.meanCoverage).toBeGreaterThan(0.99);
    const u = rowUniforms(x, 2);
    const r = splitCoverage(lp, 2, y, { score: 'aps', randomized: true, alpha: 0.1, splits: 2000, uniforms: u });
    expect(Math.abs(r.meanCoverage - r.expected)).toBeLessThan(5 * (r.sdCoverage / Math.sqrt(2000)));
    expect(r.meanSize).toBeLessThan(2);
    // Sets from a calibrated rule follow the same score.
    const rule = calibrateConformal(lp, 2, y, { score: 'raps', randomized: true, alpha: 0.1, source: 't', uniforms: u });
    expect(rule).toMatchObject({ score: 'raps', randomized: true, kReg: 1, lambda: 0.01 });
    const sets = predictionSets(lp, 2, rule, u);
    expect(setCoverage(sets, y).coverage).toBeCloseTo(conformalRank(n, 0.1) / n, 12);
    expect(() => predictionSets(lp, 2, rule)).toThrow(/the randomized raps score needs one uniform per row \(400\), got none/);
  });
});
