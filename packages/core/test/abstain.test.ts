import { describe, expect, it } from 'vitest';
import { abstainFlags, chooseAbstainRule } from '../src/index.js';

// Ten rows, scores 1..10 (higher = less certain); rows with scores 7 and 9 and 10 are wrong.
const scores = [3, 1, 2, 4, 5, 6, 7, 8, 9, 10];
const correct = [1, 1, 1, 1, 1, 1, 0, 1, 0, 0];
const opts = { score: 'logNonMax' as const, source: 'held-out' };

describe('abstain rule', () => {
  it('keep 0.8 keeps the 8 most certain rows', () => {
    const r = chooseAbstainRule(scores, correct, { kind: 'keep', value: 0.8 }, opts);
    expect(r).toMatchObject({ threshold: 8, keptFraction: 0.8, errorAmongKept: 1 / 8, n: 10 });
    expect(Array.from(abstainFlags(scores, r.threshold))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
  });
  it('keep 1 keeps every row; keep 0.05 keeps at least one', () => {
    expect(chooseAbstainRule(scores, correct, { kind: 'keep', value: 1 }, opts).threshold).toBe(10);
    expect(chooseAbstainRule(scores, correct, { kind: 'keep', value: 0.05 }, opts).threshold).toBe(1);
  });
  it('maxError picks the largest threshold whose kept rows meet it', () => {
    // Kept 1..6: 0 errors; 1..7: 1/7 = 0.143; 1..8: 1/8 = 0.125; 1..9: 2/9 = 0.22.
    expect(chooseAbstainRule(scores, correct, { kind: 'maxError', value: 0 }, opts).threshold).toBe(6);
    expect(chooseAbstainRule(scores, correct, { kind: 'maxError', value: 0.13 }, opts)).toMatchObject({ threshold: 8, errorAmongKept: 0.125 });
    expect(chooseAbstainRule(scores, correct, { kind: 'maxError', value: 0.5 }, opts).threshold).toBe(10);
  });
  it('never splits tied scores', () => {
    const tied = [1, 2, 2, 2, 3];
    const r = chooseAbstainRule(tied, [1, 1, 1, 1, 1], { kind: 'keep', value: 0.4 }, opts);
    expect(r).toMatchObject({ threshold: 2, keptFraction: 0.8 });
    // maxError 0.34: cutting inside the tie (keeping 1 and one 2) would meet it, the whole tie does not.
    const m = chooseAbstainRule(tied, [1, 1, 0, 0, 1], { kind: 'maxError', value: 0.34 }, opts);
    expect(m.threshold).toBe(1);
  });
  it('reports the OOD fraction caught', () => {
    const r = chooseAbstainRule(scores, correct, { kind: 'keep', value: 0.8 }, { ...opts, oodScores: [7, 9, 11, 20] });
    expect(r).toMatchObject({ oodCaught: 0.75, oodRows: 4 });
  });
  it('NaN scores abstain', () => {
    expect(Array.from(abstainFlags([NaN, 0], 1))).toEqual([1, 0]);
  });
  it('rejects bad input with clear errors', () => {
    expect(() => chooseAbstainRule([], [], { kind: 'keep', value: 0.9 }, opts)).toThrow(/at least 1 labelled row/);
    expect(() => chooseAbstainRule([1, NaN], [1, 1], { kind: 'keep', value: 0.9 }, opts)).toThrow(/score of row 1 is not finite \(NaN\)/);
    expect(() => chooseAbstainRule([1], [1, 1], { kind: 'keep', value: 0.9 }, opts)).toThrow(/2 correctness flags for 1 rows/);
    expect(() => chooseAbstainRule([1], [1], { kind: 'keep', value: 0 }, opts)).toThrow(/abstain target .*"keep".*keep in \(0, 1\]/);
    expect(() => chooseAbstainRule([1], [1], { kind: 'maxError', value: 1 }, opts)).toThrow(/abstain target/);
    expect(() => chooseAbstainRule([1, 2], [0, 1], { kind: 'maxError', value: 0.1 }, opts)).toThrow(/most certain row is already wrong/);
  });
});
