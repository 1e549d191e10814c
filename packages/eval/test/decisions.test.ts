import { describe, expect, it } from 'vitest';
import type { ConformalRule, AbstainRule } from '@sngp/core';
import { decisionResult, setSizeByUncertainty } from '../src/decisions.js';
import type { EvalPrediction } from '../src/types.js';

/** A prediction of 4 rows, 2 classes, with sets and abstain flags as the runtime returns them. */
function prediction(setMask: number[], abstain: number[], predicted: number[], logNonMax: number[]): EvalPrediction {
  const rows = predicted.length;
  const setSize = Int32Array.from({ length: rows }, (_, i) => setMask[2 * i] + setMask[2 * i + 1]);
  return {
    rows,
    numClasses: 2,
    probs: new Float32Array(2 * rows),
    predicted: Int32Array.from(predicted),
    predictedLabel: predicted.map(String),
    confidence: new Float32Array(rows),
    uncertainty: new Float32Array(rows),
    scores: { logNonMax: Float64Array.from(logNonMax), entropy: new Float64Array(rows) },
    logProbs: new Float64Array(2 * rows),
    setMask: Uint8Array.from(setMask),
    setSize,
    sets: [],
    abstain: Uint8Array.from(abstain),
  } as EvalPrediction;
}

const conformal: ConformalRule = { alpha: 0.1, score: 'lac', quantile: 0.2, n: 19, source: 'cal.csv' };
const abstain: AbstainRule = { score: 'logNonMax', threshold: -2, target: { kind: 'keep', value: 0.95 }, n: 19, keptFraction: 0.95, errorAmongKept: 0, source: 'cal.csv' };

describe('decision rules measured on test rows', () => {
  it('coverage, set-size shares, kept share, error among kept and OOD caught', () => {
    // Rows: {0} true 0 (covered), {0,1} true 1 (covered), {} true 0 (not), {1} true 0 (not).
    const test = prediction([1, 0, 1, 1, 0, 0, 0, 1], [0, 1, 1, 0], [0, 0, 0, 1], [-9, -1, -0.5, -3]);
    const ood = prediction([1, 1, 1, 1, 0, 1, 0, 0], [1, 1, 0, 1], [0, 0, 1, 0], [-1, -1, -5, -1]);
    const r = decisionResult({ conformal, abstain }, test, Int32Array.from([0, 1, 0, 0]), ood)!;
    expect(r.conformal).toMatchObject({ coverage: 0.5, meanSize: 1, sizeShare: [0.25, 0.5, 0.25], oodMeanSize: 1.25, calibrationRows: 19 });
    // r = ceil(20 * 0.9) = 18 of n + 1 = 20.
    expect(r.conformal!.expectedCoverage).toBeCloseTo(0.9, 12);
    // Kept rows 0 and 3: row 3 predicted 1 but is 0.
    expect(r.abstain).toMatchObject({ keptFraction: 0.5, errorAmongKept: 0.5, oodCaught: 0.75, threshold: -2 });
    expect(r.setSizeByUncertainty!.y.length).toBe(4);
  });

  it('no rules: null; a rule without OOD rows: OOD figures null', () => {
    const test = prediction([1, 0, 0, 1], [0, 0], [0, 1], [-3, -2]);
    expect(decisionResult({ conformal: null, abstain: null }, test, Int32Array.from([0, 1]), null)).toBeNull();
    const r = decisionResult({ conformal, abstain: null }, test, Int32Array.from([0, 1]), null)!;
    expect(r.conformal!.oodMeanSize).toBeNull();
    expect(r.abstain).toBeNull();
  });

  it('set size by uncertainty: equal-count bins, least uncertain first', () => {
    const score = Float64Array.from({ length: 20 }, (_, i) => 19 - i); // row 19 least uncertain
    const size = Int32Array.from({ length: 20 }, (_, i) => (i < 10 ? 2 : 1));
    const b = setSizeByUncertainty(score, size);
    expect(b.x).toEqual([0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95]);
    expect(b.y).toEqual([1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
  });
});
