/**
 * Classification and OOD-detection metrics. `probs` is row-major [N, K], `labels` class indices.
 */
import { Rng } from './rng.js';

/**
 * Fraction of rows whose most probable class (ties: the lowest index) is the label.
 * @param probs - probabilities, row-major [N, K].
 * @param labels - true class index of each row, [N].
 * @param k - classes K.
 * @returns accuracy in [0, 1] (NaN for no rows).
 */
export function accuracy(probs: ArrayLike<number>, labels: ArrayLike<number>, k: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (argmaxRow(probs, i, k) === labels[i]) correct++;
  return correct / labels.length;
}

/**
 * Mean negative log-likelihood of the true class (probabilities clipped at 1e-12, so a confident
 * mistake costs at most about 27.6, not Infinity).
 * @param probs - probabilities, row-major [N, K].
 * @param labels - true class index of each row, [N].
 * @param k - classes K.
 * @returns the mean NLL in nats (lower is better).
 */
export function nll(probs: ArrayLike<number>, labels: ArrayLike<number>, k: number): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) s -= Math.log(Math.max(probs[i * k + labels[i]], 1e-12));
  return s / labels.length;
}

/**
 * Brier score: mean over rows of sum_k (p_k - onehot_k)^2.
 * @param probs - probabilities, row-major [N, K].
 * @param labels - true class index of each row, [N].
 * @param k - classes K.
 * @returns the score in [0, 2] (lower is better).
 */
export function brier(probs: ArrayLike<number>, labels: ArrayLike<number>, k: number): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++)
    for (let j = 0; j < k; j++) s += (probs[i * k + j] - (labels[i] === j ? 1 : 0)) ** 2;
  return s / labels.length;
}

/** One confidence bin of a reliability diagram ({@link calibrationBins}). */
export interface CalibrationBin {
  /** Lower edge (exclusive, except 0 for the first bin). */
  lo: number;
  /** Upper edge (inclusive). */
  hi: number;
  /** Rows whose confidence (max p) falls in the bin. */
  count: number;
  /** Mean confidence of those rows (NaN for an empty bin). */
  confidence: number;
  /** Fraction of those rows whose most probable class is the label (NaN for an empty bin). */
  accuracy: number;
}

/**
 * Top-label reliability diagram: rows binned by confidence (max p) into equal-width bins, with the
 * mean confidence and the accuracy of each bin. Bin b holds confidences in (b / bins, (b + 1) / bins]
 * (a confidence of 0 goes to bin 0). {@link ece} is the count-weighted |accuracy - confidence|.
 * @param probs - probabilities, row-major [N, K].
 * @param labels - true class index of each row, [N].
 * @param k - classes K.
 * @param bins - number of bins (default 15).
 * @returns `bins` bins in increasing confidence, empty ones included (count 0).
 */
export function calibrationBins(probs: ArrayLike<number>, labels: ArrayLike<number>, k: number, bins = 15): CalibrationBin[] {
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const acc = new Float64Array(bins);
  for (let i = 0; i < labels.length; i++) {
    const c = argmaxRow(probs, i, k);
    const p = probs[i * k + c];
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(p * bins) - 1));
    count[b]++;
    conf[b] += p;
    acc[b] += c === labels[i] ? 1 : 0;
  }
  return Array.from({ length: bins }, (_, b) => ({
    lo: b / bins,
    hi: (b + 1) / bins,
    count: count[b],
    confidence: count[b] > 0 ? conf[b] / count[b] : NaN,
    accuracy: count[b] > 0 ? acc[b] / count[b] : NaN,
  }));
}

/**
 * Expected calibration error over equal-width confidence bins (top-label, 15 bins by default):
 * sum over bins of |accuracy - mean confidence| weighted by the bin's share of rows. Bin b holds
 * confidences in (b / bins, (b + 1) / bins] (see {@link calibrationBins}).
 * @param probs - probabilities, row-major [N, K].
 * @param labels - true class index of each row, [N].
 * @param k - classes K.
 * @param bins - number of bins (default 15).
 * @returns the ECE in [0, 1] (lower is better).
 */
export function ece(probs: ArrayLike<number>, labels: ArrayLike<number>, k: number, bins = 15): number {
  let e = 0;
  for (const b of calibrationBins(probs, labels, k, bins)) if (b.count > 0) e += b.count * Math.abs(b.accuracy - b.confidence);
  return e / labels.length;
}

/**
 * The ECE a perfectly calibrated model with these probabilities would show on this many rows:
 * each row's top class is drawn correct with probability max p (labels drawn from the model's own
 * probabilities), `draws` times, and the ECE of each draw taken. On small test sets the ECE's
 * sampling noise alone is large (86 rows, 15 bins: ~0.1), so a measured ECE is only evidence of
 * miscalibration where it is well above this floor.
 * @param probs - probabilities, row-major [N, K].
 * @param k - classes K.
 * @param draws - label draws (default 200).
 * @param bins - ECE bins (default 15).
 * @param seed - seed of the draws (default 0).
 * @returns the median and the 90th percentile of the drawn ECEs.
 */
export function calibratedEceFloor(
  probs: ArrayLike<number>,
  k: number,
  draws = 200,
  bins = 15,
  seed = 0,
): {
  /** Median ECE over the draws. */
  median: number;
  /** 90th percentile. */
  p90: number;
} {
  const n = Math.floor(probs.length / k);
  const top = new Int32Array(n);
  const conf = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    top[i] = argmaxRow(probs, i, k);
    conf[i] = probs[i * k + top[i]];
  }
  const rng = new Rng(seed);
  const labels = new Int32Array(n);
  const out = new Float64Array(draws);
  for (let d = 0; d < draws; d++) {
    // Only whether the top class is right matters to the top-label ECE; "wrong" is any other class.
    for (let i = 0; i < n; i++) labels[i] = rng.uniform() < conf[i] ? top[i] : (top[i] + 1) % k;
    out[d] = ece(probs, labels, k, bins);
  }
  out.sort();
  const at = (q: number) => out[Math.min(draws - 1, Math.floor(q * draws))];
  return { median: at(0.5), p90: at(0.9) };
}

/**
 * Row indices sorted by score (ascending, or descending with `descending`), after checking that
 * every score is a number: NaN has no rank, and `a - b` comparators turn Infinity ties into NaN.
 */
function rankOrder(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>, what: string, descending = false): number[] {
  const n = scores.length;
  if (positive.length !== n) throw new RangeError(`${what}: ${n} scores but ${positive.length} labels`);
  for (let i = 0; i < n; i++) if (Number.isNaN(scores[i])) throw new RangeError(`${what}: score ${i} is NaN`);
  const sign = descending ? -1 : 1;
  return Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] < scores[b] ? -sign : scores[a] > scores[b] ? sign : 0));
}

/**
 * Area under the ROC curve for scores where higher means "positive" (e.g. OOD). Tied scores count
 * half (Mann-Whitney U with midranks), so a score that ties every row gives 0.5, not 0 or 1.
 * @param scores - one score per example, [N] (e.g. an uncertainty score); +-Infinity allowed.
 * @param positive - per example: true or 1 for a positive (e.g. out-of-domain), false or 0 otherwise.
 * @returns the AUROC in [0, 1]; 0.5 is chance.
 * @throws RangeError if there are no positives or no negatives, a score is NaN, or the lengths differ.
 */
export function auroc(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): number {
  const n = scores.length;
  const idx = rankOrder(scores, positive, 'AUROC');
  let nPos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) if (positive[idx[t]]) {
      nPos++;
      rankSum += avgRank;
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) throw new RangeError('AUROC needs both positive and negative examples');
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * Area under the precision-recall curve as average precision (sklearn's definition:
 * sum_n (R_n - R_(n-1)) P_n over descending score thresholds). Tied scores are one threshold: the
 * rows enter together, so ties are never broken in anyone's favour.
 * @param scores - one score per example, [N]; higher means "positive"; +-Infinity allowed.
 * @param positive - per example: true or 1 for a positive, false or 0 otherwise.
 * @returns the average precision in [0, 1]; chance is the positives' share.
 * @throws RangeError if there are no positives, a score is NaN, or the lengths differ.
 */
export function aupr(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): number {
  const n = scores.length;
  const idx = rankOrder(scores, positive, 'AUPR', true);
  let nPos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) nPos++;
  if (nPos === 0) throw new RangeError('AUPR needs positive examples');
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]] === scores[idx[i]]) j++;
    for (let t = i; t <= j; t++) positive[idx[t]] ? tp++ : fp++;
    const recall = tp / nPos;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
    i = j + 1;
  }
  return ap;
}

/**
 * The ROC curve: one point per distinct score threshold (ties are one threshold, so a tied block
 * is a diagonal segment), from (0, 0) to (1, 1). The trapezoid area under it equals {@link auroc}.
 * @param scores - one score per example, [N]; higher means "positive".
 * @param positive - per example: true or 1 for a positive, false or 0 otherwise.
 * @returns false- and true-positive rates, [distinct scores + 1] each, non-decreasing.
 * @throws RangeError if there are no positives or no negatives, a score is NaN, or the lengths differ.
 */
export function rocCurve(
  scores: ArrayLike<number>,
  positive: ArrayLike<boolean | number>,
): {
  /** False-positive rate at each threshold, from 0 to 1. */
  fpr: Float64Array;
  /** True-positive rate at each threshold, from 0 to 1. */
  tpr: Float64Array;
} {
  const n = scores.length;
  const idx = rankOrder(scores, positive, 'ROC curve', true);
  let nPos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) nPos++;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) throw new RangeError('ROC curve needs both positive and negative examples');
  const fpr = [0];
  const tpr = [0];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]] === scores[idx[i]]) j++;
    for (let t = i; t <= j; t++) positive[idx[t]] ? tp++ : fp++;
    fpr.push(fp / nNeg);
    tpr.push(tp / nPos);
    i = j + 1;
  }
  return { fpr: Float64Array.from(fpr), tpr: Float64Array.from(tpr) };
}

/**
 * False-positive rate at a true-positive rate (e.g. FPR at 95 % TPR, OOD rows positive): the share
 * of negatives flagged when the threshold is set to catch that share of positives. Read off
 * {@link rocCurve}, linearly inside a tied block (its expectation over the tied rows' order).
 * @param scores - one score per example; higher means "positive".
 * @param positive - per example: true or 1 for a positive.
 * @param tpr - the true-positive rate, in (0, 1] (default 0.95).
 * @returns the FPR in [0, 1] (lower is better).
 * @throws RangeError as {@link rocCurve}, or for a TPR outside (0, 1].
 */
export function fprAtTpr(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>, tpr = 0.95): number {
  if (!(tpr > 0 && tpr <= 1)) throw new RangeError(`TPR must be in (0, 1], got ${tpr}`);
  const c = rocCurve(scores, positive);
  let i = 1;
  while (c.tpr[i] < tpr) i++;
  const t = (tpr - c.tpr[i - 1]) / (c.tpr[i] - c.tpr[i - 1]);
  return c.fpr[i - 1] + t * (c.fpr[i] - c.fpr[i - 1]);
}

/**
 * The most probable class of one row (ties: the lowest index).
 * @param probs - probabilities (or logits), row-major [N, K].
 * @param row - the row index.
 * @param k - classes K.
 * @returns a class index in [0, K).
 */
export function argmaxRow(probs: ArrayLike<number>, row: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (probs[row * k + j] > probs[row * k + best]) best = j;
  return best;
}
