/**
 * Per-row uncertainty scores, computed in log-space and float64 so that confident rows do not
 * collapse onto one value. `1 - max p` on float32 probabilities is exactly 0 for every row whose
 * max probability rounds to 1 (a logit gap above ~17), so an OOD detector built on it sees a
 * wall of ties; log(1 - max p) taken as a logsumexp of the other classes' log-probabilities keeps
 * those rows apart (e.g. -20 vs -30 for gaps of 20 and 30).
 *
 * Every function takes row-major arrays and returns new ones; nothing here allocates per row.
 */
import { meanFieldScale } from './mean-field.js';

/** Names of the scores in {@link UncertaintyScores}, in field order; `variance` is SNGP's only. */
export const UNCERTAINTY_SCORE_NAMES = ['logNonMax', 'entropy', 'variance'] as const;

/** Names of the scores in {@link UncertaintyScores}; higher always means "less certain". */
export type UncertaintyScoreName = (typeof UNCERTAINTY_SCORE_NAMES)[number];

/**
 * The score the evaluation ranks OOD rows by unless told otherwise: `logNonMax`, defined for
 * every method, and the tie-free equivalent of the familiar `1 - max p` (same ordering).
 */
export const DEFAULT_UNCERTAINTY_SCORE: UncertaintyScoreName = 'logNonMax';

/**
 * Tie-free uncertainty scores of N rows, float64; for every score a higher value means less
 * certain (more likely out of domain).
 */
export interface UncertaintyScores {
  /**
   * [N] log(1 - max_k p_k): the log of the total probability of the classes other than the most
   * probable one, computed as logsumexp of their log-probabilities (never as 1 - max p). In
   * (-Infinity, log((K-1)/K)]; about -(logit gap) for a confident two-class row.
   */
  logNonMax: Float64Array;
  /** [N] predictive entropy -sum_k p_k log p_k in nats, in [0, log K]. */
  entropy: Float64Array;
  /** [N] SNGP only: the GP posterior variance phi^T Sigma phi (distance from the training data). */
  variance?: Float64Array;
}

/**
 * Row-wise log-softmax in float64: log p_j = l_j - logsumexp(l), with the logsumexp taken as
 * max + log1p(sum of the other terms) so that log p of the top class stays exact (e.g. -2e-9,
 * not 0) when the row is confident. `scale[i]` divides row i's logits first (mean-field).
 * @param logits - row-major [N, K].
 * @param k - classes K per row.
 * @param scale - optional per-row divisor [N]; default 1 for every row.
 * @returns the log-probabilities, row-major [N, K], float64.
 */
export function logSoftmaxRows(logits: ArrayLike<number>, k: number, scale?: ArrayLike<number>): Float64Array {
  const n = logits.length / k;
  const out = new Float64Array(logits.length);
  for (let i = 0; i < n; i++) {
    const s = scale ? scale[i] : 1;
    const o = i * k;
    let best = 0;
    for (let j = 0; j < k; j++) {
      out[o + j] = logits[o + j] / s;
      if (out[o + j] > out[o + best]) best = j;
    }
    const max = out[o + best];
    let rest = 0;
    for (let j = 0; j < k; j++) if (j !== best) rest += Math.exp(out[o + j] - max);
    const lse = max + Math.log1p(rest);
    for (let j = 0; j < k; j++) out[o + j] -= lse;
  }
  return out;
}

/**
 * SNGP's mean-field log-probabilities: log softmax(logits / sqrt(1 + lambda * variance)) in float64
 * (the log of core's `meanFieldProbs`). A negative variance (float32 rounding) counts as 0;
 * lambda < 0 means plain log-softmax.
 * @param logits - SNGP logits, row-major [N, K].
 * @param variance - posterior variance per row, [N].
 * @param k - classes K.
 * @param lambda - the mean-field factor (default pi / 8); < 0 ignores the variance.
 * @param temperature - T > 0 dividing the logits (default 1).
 * @returns the log-probabilities, row-major [N, K], float64.
 */
export function meanFieldLogProbs(logits: ArrayLike<number>, variance: ArrayLike<number>, k: number, lambda = Math.PI / 8, temperature = 1): Float64Array {
  return logSoftmaxRows(logits, k, meanFieldScale(variance, lambda, temperature));
}

/**
 * Log of the mean predictive probability over S samples or members (MC dropout, ensemble):
 * log p̄_j = logsumexp_s(log_softmax(logits_s)_j) - log S, in float64, so that a class every
 * member gives 1e-12 keeps log p̄ ≈ -27.6 instead of rounding away. Computed as the log of the
 * float64 mean probability where that is exact (logit gaps below ~700), else in log-space; the
 * top class is taken as log1p(-sum of the others) when that sum is below 1/2, so it is exact near
 * 0 as well.
 * @param sampleLogits - logits of every sample, row-major [S, N, K].
 * @param s - samples S.
 * @param k - classes K.
 * @returns the log mean probabilities, row-major [N, K], float64.
 */
export function meanLogSoftmax(sampleLogits: ArrayLike<number>, s: number, k: number): Float64Array {
  const nk = sampleLogits.length / s;
  const n = nk / k;
  const out = new Float64Array(nk);
  const e = new Float64Array(k);
  const logS = Math.log(s);
  for (let i = 0; i < n; i++) {
    // Fast path: mean of the float64 softmaxes, then its log. A float64 probability is exact
    // relative to itself down to 1e-308 (a logit gap of ~700); only beyond that does a row go
    // through the log-space sum below.
    const o = i * k;
    let tiny = false;
    for (let t = 0; t < s; t++) {
      const r = (t * n + i) * k;
      let best = 0;
      for (let j = 1; j < k; j++) if (sampleLogits[r + j] > sampleLogits[r + best]) best = j;
      const max = sampleLogits[r + best];
      let sum = 0;
      for (let j = 0; j < k; j++) sum += e[j] = j === best ? 1 : Math.exp(sampleLogits[r + j] - max);
      for (let j = 0; j < k; j++) out[o + j] += e[j] / sum;
    }
    for (let j = 0; j < k; j++) {
      if (out[o + j] / s < 1e-290) tiny = true;
      out[o + j] = Math.log(out[o + j]) - logS;
    }
    if (tiny) logMeanRow(sampleLogits, s, n, k, i, out);
    // The top class's log p̄ is near 0 and the sums above leave it an absolute error of ~1e-16;
    // log1p(-(sum of the other classes' p̄)) is exact there.
    let best = 0;
    for (let j = 1; j < k; j++) if (out[o + j] > out[o + best]) best = j;
    let rest = 0;
    for (let j = 0; j < k; j++) if (j !== best) rest += Math.exp(out[o + j]);
    if (rest < 0.5) out[o + best] = Math.log1p(-rest);
  }
  return out;
}

/**
 * Row i of {@link meanLogSoftmax} entirely in log-space (logsumexp over samples of each sample's
 * log-softmax), for rows whose probabilities underflow float64; written into `out`.
 */
function logMeanRow(sampleLogits: ArrayLike<number>, s: number, n: number, k: number, i: number, out: Float64Array): void {
  const logp = new Float64Array(s * k);
  for (let t = 0; t < s; t++) {
    const r = (t * n + i) * k;
    let best = 0;
    for (let j = 1; j < k; j++) if (sampleLogits[r + j] > sampleLogits[r + best]) best = j;
    const max = sampleLogits[r + best];
    let rest = 0;
    for (let j = 0; j < k; j++) if (j !== best) rest += Math.exp(sampleLogits[r + j] - max);
    const lse = max + Math.log1p(rest);
    for (let j = 0; j < k; j++) logp[t * k + j] = sampleLogits[r + j] - lse;
  }
  for (let j = 0; j < k; j++) {
    let max = -Infinity;
    for (let t = 0; t < s; t++) max = Math.max(max, logp[t * k + j]);
    let sum = 0;
    for (let t = 0; t < s; t++) sum += Math.exp(logp[t * k + j] - max);
    out[i * k + j] = max + Math.log(sum) - Math.log(s);
  }
}

/**
 * The tie-free scores of every row from its log-probabilities: `logNonMax` = log(1 - max p) as
 * the logsumexp of the non-max log-probabilities, and the entropy, whose top-class term uses
 * log p_max = log1p(-exp(logNonMax)) (exact when p_max is within 1e-16 of 1). A row with a NaN
 * log-probability gets NaN scores.
 * @param logProbs - log-probabilities, row-major [N, K] (from {@link logSoftmaxRows},
 *   {@link meanFieldLogProbs} or {@link meanLogSoftmax}).
 * @param k - classes K.
 * @param variance - SNGP: the posterior variance [N], copied into the result as `variance`.
 * @returns `logNonMax` and `entropy` [N] (and `variance` when given), float64.
 */
export function uncertaintyScores(logProbs: ArrayLike<number>, k: number, variance?: ArrayLike<number>): UncertaintyScores {
  const n = logProbs.length / k;
  const logNonMax = new Float64Array(n);
  const entropy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let best = 0;
    let nan = false;
    for (let j = 0; j < k; j++) {
      if (Number.isNaN(logProbs[o + j])) nan = true;
      if (logProbs[o + j] > logProbs[o + best]) best = j;
    }
    if (nan) {
      logNonMax[i] = entropy[i] = NaN;
      continue;
    }
    let max = -Infinity;
    for (let j = 0; j < k; j++) if (j !== best) max = Math.max(max, logProbs[o + j]);
    let sum = 0;
    let h = 0;
    if (max > -Infinity)
      for (let j = 0; j < k; j++) {
        if (j === best) continue;
        const lp = logProbs[o + j];
        sum += Math.exp(lp - max);
        if (lp > -Infinity) h -= Math.exp(lp) * lp;
      }
    const lnm = max === -Infinity ? -Infinity : max + Math.log(sum);
    const nonMax = Math.exp(lnm); // 1 - p_max
    const logTop = Math.log1p(-nonMax); // log p_max, exact for p_max near 1
    logNonMax[i] = lnm;
    entropy[i] = h - (1 - nonMax) * logTop;
  }
  const out: UncertaintyScores = { logNonMax, entropy };
  if (variance) out.variance = Float64Array.from(variance);
  return out;
}

/**
 * Uncertainty score per row: 1 - max_k p_k (0 = certain, (K-1)/K = uniform), in float32. The
 * runtime returns it as `Prediction.uncertainty` for display; it rounds to exactly 0 for every
 * row with max p above 1 - 6e-8, so rank OOD rows by {@link uncertaintyScores} instead.
 * @param probs - probabilities, row-major [N, K].
 * @param k - classes K.
 * @returns one score per row, [N].
 */
export function uncertaintyScore(probs: ArrayLike<number>, k: number): Float32Array {
  const n = probs.length / k;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let max = 0;
    for (let j = 0; j < k; j++) max = Math.max(max, probs[i * k + j]);
    out[i] = 1 - max;
  }
  return out;
}
