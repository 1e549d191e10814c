/**
 * The Laplace precision of the GP output layer: P = ridge * I + sum_i phi_i phi_i^T over one pass
 * of the training data with the final weights and dropout off (the cheaper equivalent of the
 * reference's per-epoch accumulation). Accumulated in float64; the covariance ridge * P^-1 is
 * formed at export.
 */

export class PrecisionAccumulator {
  /** Row-major [M, M]; only the upper triangle is accumulated until `result()`. */
  private readonly p: Float64Array;
  rows = 0;

  constructor(
    readonly numFeatures: number,
    readonly ridge: number,
  ) {
    this.p = new Float64Array(numFeatures * numFeatures);
  }

  /** Add a batch of features `phi`, row-major [n, M]. */
  add(phi: ArrayLike<number>, n: number): void {
    const m = this.numFeatures;
    const p = this.p;
    const row = new Float64Array(m);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < m; a++) row[a] = phi[i * m + a];
      for (let a = 0; a < m; a++) {
        const pa = row[a];
        if (pa === 0) continue;
        const base = a * m;
        for (let b = a; b < m; b++) p[base + b] += pa * row[b];
      }
    }
    this.rows += n;
  }

  /** ridge * I + Phi^T Phi, symmetric, float64. */
  result(): Float64Array {
    const m = this.numFeatures;
    const out = new Float64Array(m * m);
    for (let a = 0; a < m; a++) {
      out[a * m + a] = this.p[a * m + a] + this.ridge;
      for (let b = a + 1; b < m; b++) {
        out[a * m + b] = this.p[a * m + b];
        out[b * m + a] = this.p[a * m + b];
      }
    }
    return out;
  }
}
