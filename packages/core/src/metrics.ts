/**
 * Classification and OOD-detection metrics. `probs` is row-major [N, K], `labels` class indices.
 */

export function accuracy(probs: ArrayLike<number>, labels: ArrayLike<number>, k: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (argmaxRow(probs, i, k) === labels[i]) correct++;
  return correct / labels.length;
}

/** Mean negative log-likelihood of the true class (probabilities clipped at 1e-12). */
export function nll(probs: ArrayLike<number>, labels: ArrayLike<number>, k: number): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) s -= Math.log(Math.max(probs[i * k + labels[i]], 1e-12));
  return s / labels.length;
}

/** Brier score: mean over rows of sum_k (p_k - onehot_k)^2. */
export function brier(probs: ArrayLike<number>, labels: ArrayLike<number>, k: number): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++)
    for (let j = 0; j < k; j++) s += (probs[i * k + j] - (labels[i] === j ? 1 : 0)) ** 2;
  return s / labels.length;
}

/** Expected calibration error over equal-width confidence bins (top-label, 15 bins by default). */
export function ece(probs: ArrayLike<number>, labels: ArrayLike<number>, k: number, bins = 15): number {
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
  let e = 0;
  for (let b = 0; b < bins; b++) if (count[b] > 0) e += Math.abs(acc[b] - conf[b]);
  return e / labels.length;
}

/**
 * Area under the ROC curve for scores where higher means "positive" (e.g. OOD). Ties count half
 * (Mann-Whitney U with average ranks).
 */
export function auroc(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
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

/** Area under the precision-recall curve as average precision (sklearn's definition). */
export function aupr(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
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

export function argmaxRow(probs: ArrayLike<number>, row: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (probs[row * k + j] > probs[row * k + best]) best = j;
  return best;
}
