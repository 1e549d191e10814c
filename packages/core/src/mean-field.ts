/**
 * Row-wise softmax of an [N, K] logits matrix (stable: subtracts the row max). `scale[i]` divides
 * row i's logits first (used by mean-field).
 * @param logits - row-major [N, K]; N = `logits.length / k`.
 * @param k - classes K per row.
 * @param scale - optional per-row divisor [N] (a temperature); default 1 for every row.
 * @returns the probabilities, row-major [N, K]; each row sums to 1 when its logits are finite.
 */
export function softmaxRows(logits: ArrayLike<number>, k: number, scale?: ArrayLike<number>): Float32Array {
  const n = logits.length / k;
  const out = new Float32Array(logits.length);
  for (let i = 0; i < n; i++) {
    const s = scale ? scale[i] : 1;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[i * k + j] / s);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += out[i * k + j] = Math.exp(logits[i * k + j] / s - max);
    for (let j = 0; j < k; j++) out[i * k + j] /= sum;
  }
  return out;
}

/**
 * The per-row divisor of SNGP's logits: T * sqrt(1 + lambda * variance) (mean-field with a
 * temperature). A variance is >= 0 by construction; a slightly negative one (float32 rounding in
 * phi^T Sigma phi) counts as 0, as the exported graph's clamp does, so the root cannot be NaN.
 * @param variance - the posterior variance of each row, [N].
 * @param lambda - the mean-field factor; < 0 ignores the variance (plain softmax).
 * @param temperature - T > 0 (calibrated at training; default 1).
 * @returns the divisors, [N], float64.
 */
export function meanFieldScale(variance: ArrayLike<number>, lambda: number, temperature = 1): Float64Array {
  const scale = new Float64Array(variance.length);
  for (let i = 0; i < variance.length; i++)
    scale[i] = temperature * (lambda < 0 ? 1 : Math.sqrt(1 + lambda * Math.max(variance[i], 0)));
  return scale;
}

/**
 * Mean-field approximation of the predictive distribution of a GP classifier:
 * p = softmax(logits / (T sqrt(1 + lambda * variance))) (see `meanFieldScale`). lambda < 0 means
 * plain softmax of logits / T. Finite logits always give finite probabilities (the softmax
 * subtracts the row max).
 * @param logits - SNGP logits, row-major [N, K].
 * @param variance - the posterior variance of each row, [N].
 * @param k - classes K per row.
 * @param lambda - the mean-field factor (default pi / 8; 3 / pi^2 is also common); < 0 ignores
 *   the variance.
 * @param temperature - T > 0 dividing the logits (default 1).
 * @returns the probabilities, row-major [N, K].
 */
export function meanFieldProbs(logits: ArrayLike<number>, variance: ArrayLike<number>, k: number, lambda = Math.PI / 8, temperature = 1): Float32Array {
  return softmaxRows(logits, k, meanFieldScale(variance, lambda, temperature));
}

/**
 * Mean over S samples of softmax([S, N, K] logits): MC dropout and ensemble prediction.
 * @param sampleLogits - logits of every sample (or member), row-major [S, N, K].
 * @param s - samples S.
 * @param k - classes K.
 * @returns the mean probabilities, row-major [N, K].
 */
export function meanSoftmax(sampleLogits: Float32Array | Float64Array, s: number, k: number): Float32Array {
  const nk = sampleLogits.length / s;
  const out = new Float32Array(nk);
  for (let t = 0; t < s; t++) {
    const p = softmaxRows(sampleLogits.subarray(t * nk, (t + 1) * nk), k);
    for (let i = 0; i < nk; i++) out[i] += p[i] / s;
  }
  return out;
}
