/**
 * Selective prediction figures of one model: how well its default uncertainty score decides which
 * rows to answer. AURC and the selective risk at fixed coverages on the in-domain test rows; with
 * OOD rows, AURC with them mixed into the test set (an OOD row is always an error: no class of the
 * model is right for it) and the FPR at 95 % TPR of OOD detection. The math is core's.
 */
import { DEFAULT_UNCERTAINTY_SCORE, type UncertaintyScores, curveArea, fprAtTpr, riskAtCoverage, riskCoverageCurve } from '@sngp/core';
import type { SelectiveCurves, SelectiveResult } from './types.js';

/** Coverages the selective risk is reported at. */
export const REPORT_COVERAGES: readonly number[] = [0.8, 0.9, 0.95];

/**
 * The selective-prediction figures and curves of one model.
 * @param predicted - predicted class per test row.
 * @param labels - true class per test row.
 * @param test - the runtime's scores of the test rows.
 * @param ood - the runtime's scores of the OOD rows, or null.
 * @returns the figures (for metrics.json) and the curves (for the figure).
 */
export function selectivePrediction(
  predicted: ArrayLike<number>,
  labels: ArrayLike<number>,
  test: UncertaintyScores,
  ood: UncertaintyScores | null,
): { result: SelectiveResult; curves: SelectiveCurves } {
  const score = DEFAULT_UNCERTAINTY_SCORE;
  const u = test[score] as Float64Array;
  const wrong = Uint8Array.from({ length: labels.length }, (_, i) => (predicted[i] === labels[i] ? 0 : 1));
  const curve = riskCoverageCurve(u, wrong);
  const result: SelectiveResult = {
    score,
    aurc: curveArea(curve),
    riskAtCoverage: REPORT_COVERAGES.map((coverage) => ({ coverage, risk: riskAtCoverage(curve, coverage) })),
    aurcWithOod: null,
    fprAt95Tpr: null,
  };
  const curves: SelectiveCurves = { test: curve, withOod: null };
  if (ood) {
    const o = ood[score] as Float64Array;
    const all = new Float64Array(u.length + o.length);
    all.set(u);
    all.set(o, u.length);
    const wrongAll = new Uint8Array(all.length);
    wrongAll.set(wrong);
    wrongAll.fill(1, u.length);
    curves.withOod = riskCoverageCurve(all, wrongAll);
    result.aurcWithOod = curveArea(curves.withOod);
    const positive = new Uint8Array(all.length).fill(1, u.length);
    result.fprAt95Tpr = fprAtTpr(all, positive, 0.95);
  }
  return { result, curves };
}
