import { SngpError } from '@sngp/core';

/**
 * The Laplace posterior of the random-feature GP layer: Sigma = ridge * P^-1, computed in float64
 * through the Cholesky factor of the precision P (plain TS; tfjs has no Cholesky or inverse).
 */
export interface CholeskyResult {
  /** Lower-triangular factor L (row-major, m x m) with L L^T = P + jitter * I. */
  l: Float64Array;
  /** Diagonal jitter that had to be added for P to be positive definite (0 if none). */
  jitter: number;
}

function tryCholesky(p: ArrayLike<number>, m: number, jitter: number): Float64Array | null {
  const l = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    const lj = j * m;
    // Diagonal: P_jj - sum_k L_jk^2; only the lower triangle of P is read.
    let d = p[lj + j] + jitter;
    for (let k = 0; k < j; k++) d -= l[lj + k] * l[lj + k];
    if (!(d > 0) || !Number.isFinite(d)) return null;
    const ljj = Math.sqrt(d);
    l[lj + j] = ljj;
    for (let i = j + 1; i < m; i++) {
      const li = i * m;
      let s = p[li + j];
      for (let k = 0; k < j; k++) s -= l[li + k] * l[lj + k];
      l[li + j] = s / ljj;
    }
  }
  return l;
}

/**
 * Cholesky factorisation of a symmetric matrix. If P is not positive definite (rounding in the
 * accumulated precision), retry with jitter = 1e-10 * mean diagonal, growing 10x per attempt up
 * to 1e-4 * mean diagonal; beyond that the matrix is not a precision and jitter would hide it.
 */
export function cholesky(p: ArrayLike<number>, m: number, source = 'gp.precision'): CholeskyResult {
  for (let i = 0; i < m * m; i++)
    if (!Number.isFinite(p[i])) throw new SngpError(`${source}: non-finite value at [${Math.floor(i / m)}, ${i % m}]`);
  const first = tryCholesky(p, m, 0);
  if (first) return { l: first, jitter: 0 };
  let meanDiag = 0;
  for (let i = 0; i < m; i++) meanDiag += Math.abs(p[i * m + i]) / m;
  let jitter = 1e-10 * (meanDiag || 1);
  for (let attempt = 0; attempt < 7; attempt++, jitter *= 10) {
    const l = tryCholesky(p, m, jitter);
    if (l) return { l, jitter };
  }
  throw new SngpError(`${source}: not positive definite even with jitter ${(jitter / 10).toExponential(1)} on the diagonal (is it a precision matrix?)`);
}

/** Largest |P_ij - P_ji| (how far the stored precision is from symmetric). */
export function asymmetry(p: ArrayLike<number>, m: number): number {
  let max = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) max = Math.max(max, Math.abs(p[i * m + j] - p[j * m + i]));
  return max;
}

export interface Posterior extends CholeskyResult {
  /** Sigma = ridge * P^-1 (row-major, m x m, symmetric). */
  covariance: Float64Array;
}

/**
 * Sigma = ridge * P^-1 = ridge * L^-T L^-1. Columns of L^-1 come from forward substitution (stored
 * as rows of Y = L^-T so every inner loop is contiguous), then Sigma_ab = ridge * sum_i Y_ai Y_bi.
 * The symmetric average of P is factorised so a slightly asymmetric accumulation cannot bias it.
 */
export function posteriorCovariance(precision: ArrayLike<number>, m: number, ridge: number): Posterior {
  const sym = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) sym[i * m + j] = 0.5 * (precision[i * m + j] + precision[j * m + i]);
  const { l, jitter } = cholesky(sym, m);
  const y = new Float64Array(m * m); // y[j*m + i] = (L^-1)_ij, non-zero for i >= j
  const col = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    col.fill(0);
    for (let i = j; i < m; i++) {
      const li = i * m;
      let s = i === j ? 1 : 0;
      for (let k = j; k < i; k++) s -= l[li + k] * col[k];
      col[i] = s / l[li + i];
    }
    y.set(col, j * m);
  }
  const covariance = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    const ya = a * m;
    for (let b = 0; b <= a; b++) {
      const yb = b * m;
      let s = 0;
      for (let i = a; i < m; i++) s += y[ya + i] * y[yb + i];
      covariance[ya + b] = covariance[yb + a] = ridge * s;
    }
  }
  return { l, jitter, covariance };
}
