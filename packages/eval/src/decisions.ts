/**
 * The decision rules a model carries (sngp-calibrate's `sngp.conformal` / `sngp.abstain`), measured
 * on the evaluation's rows: the conformal sets' empirical coverage and size, and what the abstain
 * threshold keeps, the error among the kept rows and the OOD rows it catches. Read from the
 * runtime's own `setMask` / `setSize` / `abstain`, i.e. what a user's `predict` returns.
 */
import { DEFAULT_UNCERTAINTY_SCORE, type ModelCard, conformalRank } from '@sngp/core';
import type { DecisionResult, EvalPrediction } from './types.js';

/** Equal-count bins of the test rows by uncertainty for the set-size figure. */
export const SET_SIZE_BINS = 10;

/**
 * The rules' figures on the test rows (and OOD rows), or null when the card has neither rule.
 * @param card - the model's card (its rules and their calibration).
 * @param test - the runtime's prediction of the test rows.
 * @param labels - their true classes.
 * @param ood - the runtime's prediction of the OOD rows, or null.
 * @returns coverage, set sizes and abstain figures.
 */
export function decisionResult(
  card: Pick<ModelCard, 'conformal' | 'abstain'> | undefined,
  test: EvalPrediction,
  labels: Int32Array,
  ood: EvalPrediction | null,
): DecisionResult | null {
  const c = card?.conformal;
  const a = card?.abstain;
  if (!c && !a) return null;
  const k = test.numClasses;
  const out: DecisionResult = { conformal: null, abstain: null, setSizeByUncertainty: null };
  if (c && test.setMask && test.setSize) {
    const sizeShare = new Array<number>(k + 1).fill(0);
    let covered = 0;
    for (let i = 0; i < test.rows; i++) {
      covered += test.setMask[i * k + labels[i]];
      sizeShare[test.setSize[i]] += 1 / test.rows;
    }
    out.conformal = {
      score: c.score,
      alpha: c.alpha,
      quantile: c.quantile,
      calibrationRows: c.n,
      calibrationSource: c.source,
      expectedCoverage: conformalRank(c.n, c.alpha) / (c.n + 1),
      coverage: covered / test.rows,
      meanSize: mean(test.setSize),
      sizeShare,
      oodMeanSize: ood?.setSize ? mean(ood.setSize) : null,
    };
    out.setSizeByUncertainty = setSizeByUncertainty(test.scores[DEFAULT_UNCERTAINTY_SCORE] as Float64Array, test.setSize);
  }
  if (a && test.abstain) {
    let kept = 0;
    let wrongKept = 0;
    for (let i = 0; i < test.rows; i++)
      if (!test.abstain[i]) {
        kept++;
        if (test.predicted[i] !== labels[i]) wrongKept++;
      }
    out.abstain = {
      score: a.score,
      threshold: a.threshold,
      target: a.target,
      keptFraction: kept / test.rows,
      errorAmongKept: kept > 0 ? wrongKept / kept : 0,
      oodCaught: ood?.abstain ? mean(ood.abstain) : null,
    };
  }
  return out;
}

function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
}

/**
 * Mean set size of the test rows in equal-count bins of the uncertainty score, least uncertain
 * first (ties kept in one bin's order by index; a bin is never empty).
 * @param score - each row's uncertainty score.
 * @param size - each row's set size.
 * @returns per bin the share of rows up to its middle (x) and the mean set size (y).
 */
export function setSizeByUncertainty(score: Float64Array, size: Int32Array): { x: number[]; y: number[] } {
  const n = score.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((p, q) => score[p] - score[q] || p - q);
  const bins = Math.min(SET_SIZE_BINS, n);
  const x: number[] = [];
  const y: number[] = [];
  for (let b = 0; b < bins; b++) {
    const lo = Math.floor((b * n) / bins);
    const hi = Math.floor(((b + 1) * n) / bins);
    let s = 0;
    for (let i = lo; i < hi; i++) s += size[order[i]];
    x.push((lo + hi) / 2 / n);
    y.push(s / (hi - lo));
  }
  return { x, y };
}
