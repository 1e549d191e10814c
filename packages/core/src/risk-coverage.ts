/**
 * Selective prediction: a model that may abstain keeps the rows it is most certain about. The
 * risk-coverage curve gives, for each coverage k / n (the k least uncertain rows kept), the error
 * rate among the kept rows; AURC is its area (lower is better; Geifman & El-Yaniv 2017, the
 * definition torch-uncertainty uses). Rows tied on the score are one threshold: the curve is taken
 * in expectation over their order (errors accrue linearly through a tied block), so no tie is
 * broken by row order.
 */

/** A risk-coverage curve: at each coverage (kept rows / all rows), the error rate among the kept rows. */
export interface RiskCoverageCurve {
  /** Coverage k / n for k = 1..n. */
  coverage: Float64Array;
  /** Selective risk (errors / k) at each coverage. */
  risk: Float64Array;
}

/**
 * The risk-coverage curve of an uncertainty score (higher = less certain; kept first: the lowest).
 * @param uncertainty - one score per row, [N] (no NaN).
 * @param error - per row: true or 1 if the prediction is wrong (an OOD row counts as wrong).
 * @returns the curve, N points.
 * @throws RangeError for no rows, a NaN score, or lengths that differ.
 */
export function riskCoverageCurve(uncertainty: ArrayLike<number>, error: ArrayLike<boolean | number>): RiskCoverageCurve {
  const n = uncertainty.length;
  if (n === 0) throw new RangeError('risk-coverage curve: no rows');
  if (error.length !== n) throw new RangeError(`risk-coverage curve: ${n} scores but ${error.length} error flags`);
  for (let i = 0; i < n; i++) if (Number.isNaN(uncertainty[i])) throw new RangeError(`risk-coverage curve: score ${i} is NaN`);
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => (uncertainty[a] < uncertainty[b] ? -1 : uncertainty[a] > uncertainty[b] ? 1 : 0));
  const coverage = new Float64Array(n);
  const risk = new Float64Array(n);
  let errors = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && uncertainty[idx[j + 1]] === uncertainty[idx[i]]) j++;
    let blockErrors = 0;
    for (let t = i; t <= j; t++) if (error[idx[t]]) blockErrors++;
    const size = j - i + 1;
    for (let t = i; t <= j; t++) {
      const kept = t + 1;
      coverage[t] = kept / n;
      risk[t] = (errors + (blockErrors * (t - i + 1)) / size) / kept;
    }
    errors += blockErrors;
    i = j + 1;
  }
  return { coverage, risk };
}

/**
 * Area under the risk-coverage curve: the mean selective risk over coverages 1/n..1.
 * @param uncertainty - one score per row (higher = less certain).
 * @param error - per row: wrong (true / 1) or right.
 * @returns AURC in [0, 1]; the overall error rate for a score that ranks nothing.
 */
export function aurc(uncertainty: ArrayLike<number>, error: ArrayLike<boolean | number>): number {
  return curveArea(riskCoverageCurve(uncertainty, error));
}

/**
 * The area under a risk-coverage curve already computed (what {@link aurc} returns for its rows).
 * @param curve - from {@link riskCoverageCurve}.
 * @returns the mean selective risk over its coverages.
 */
export function curveArea({ risk }: RiskCoverageCurve): number {
  let s = 0;
  for (let i = 0; i < risk.length; i++) s += risk[i];
  return s / risk.length;
}

/**
 * Selective risk at a coverage: the error rate among the ceil(coverage n) least uncertain rows.
 * @param curve - from {@link riskCoverageCurve}.
 * @param coverage - in (0, 1].
 * @returns the risk at that coverage.
 * @throws RangeError for a coverage outside (0, 1].
 */
export function riskAtCoverage(curve: RiskCoverageCurve, coverage: number): number {
  if (!(coverage > 0 && coverage <= 1)) throw new RangeError(`coverage must be in (0, 1], got ${coverage}`);
  const n = curve.risk.length;
  return curve.risk[Math.min(n, Math.max(1, Math.ceil(coverage * n - 1e-9))) - 1];
}
