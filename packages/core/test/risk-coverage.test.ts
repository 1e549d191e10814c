import { describe, expect, it } from 'vitest';
import { aurc, fprAtTpr, riskAtCoverage, riskCoverageCurve } from '../src/index.js';

describe('risk-coverage curve and AURC', () => {
  it('keeps the least uncertain rows first: a score that ranks the errors last has risk 0 until they enter', () => {
    const u = [0.1, 0.4, 0.2, 0.9];
    const wrong = [0, 0, 0, 1];
    const c = riskCoverageCurve(u, wrong);
    expect(Array.from(c.coverage)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(Array.from(c.risk)).toEqual([0, 0, 0, 0.25]);
    expect(aurc(u, wrong)).toBeCloseTo(0.0625, 12);
    // The same rows ranked the other way: the error is kept first.
    expect(aurc([0.9, 0.4, 0.2, 0.1], wrong)).toBeCloseTo((1 + 1 / 2 + 1 / 3 + 1 / 4) / 4, 12);
    expect(riskAtCoverage(c, 0.75)).toBe(0);
    expect(riskAtCoverage(c, 0.76)).toBe(0.25);
    expect(() => riskAtCoverage(c, 0)).toThrow(/coverage/);
  });

  it('a tied block is one threshold: a constant score gives the overall error rate at every coverage', () => {
    const wrong = [1, 0, 0, 1, 0];
    const c = riskCoverageCurve([3, 3, 3, 3, 3], wrong);
    for (const r of c.risk) expect(r).toBeCloseTo(0.4, 12);
    expect(aurc([3, 3, 3, 3, 3], wrong)).toBeCloseTo(0.4, 12);
    // Row order inside a tie never matters.
    expect(aurc([1, 2, 2, 2, 5], [0, 1, 0, 0, 1])).toBeCloseTo(aurc([1, 2, 2, 2, 5], [0, 0, 0, 1, 1]), 12);
  });

  it('refuses NaN scores and mismatched lengths', () => {
    expect(() => riskCoverageCurve([0, NaN], [0, 1])).toThrow(/NaN/);
    expect(() => riskCoverageCurve([0, 1], [0])).toThrow(/2 scores but 1/);
    expect(() => riskCoverageCurve([], [])).toThrow(/no rows/);
  });
});

describe('fprAtTpr', () => {
  it('is the share of negatives flagged at the threshold that catches 95 % of the positives', () => {
    // OOD (positive) scores 4 and 2.5: catching both needs threshold 2.5, which flags the 3 of [0, 1, 2, 3].
    expect(fprAtTpr([0, 1, 2, 3, 2.5, 4], [0, 0, 0, 0, 1, 1])).toBeCloseTo(0.25, 12);
    expect(fprAtTpr([0, 1, 2, 3, 5, 4], [0, 0, 0, 0, 1, 1])).toBe(0);
    // A constant score is the diagonal: FPR = TPR.
    expect(fprAtTpr([1, 1, 1, 1], [0, 1, 0, 1])).toBeCloseTo(0.95, 12);
    expect(fprAtTpr([1, 1, 1, 1], [0, 1, 0, 1], 0.5)).toBeCloseTo(0.5, 12);
    expect(() => fprAtTpr([0, 1], [0, 1], 0)).toThrow(/TPR/);
  });
});
