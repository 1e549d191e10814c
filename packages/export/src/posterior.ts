import { SngpError } from '@sngp/core';

/**
 * The Laplace posterior of the random-feature GP layer: Sigma = ridge * P^-1, computed in float64
 * through the Cholesky factor of the precision P (plain TS; tfjs has no Cholesky or inverse).
 *
 * P = ridge * I + Phi^T Phi, so P is symmetric and every eigenvalue is >= ridge. A stored precision
 * that breaks either property is not a posterior (a corrupt file, a ridge that does not match, an
 * all-zero matrix): export refuses it instead of patching it with diagonal jitter, which used to
 * turn an all-zero precision into p = 0.5 everywhere. Valid precisions are well conditioned
 * (smallest eigenvalue >= ridge), so their Cholesky never needs jitter.
 */
export interface CholeskyResult {
  /** Lower-triangular factor L (row-major, m x m) with L L^T = P. */
  l: Float64Array;
}

/**
 * Relative rounding allowance of a stored precision, against the size of its entries. Phi^T Phi is
 * legitimately formed from float32 products (tfjs matMul, numpy float32): a 2-epoch sngp-train
 * checkpoint (M = 256, 1000 rows, max P_ii = 8.4) has its smallest eigenvalue 2.4e-5 below the
 * ridge, about 50 float32 ulps of its largest entry. 1e-4 leaves a 30x margin; impossible
 * precisions are off by O(ridge) (all zero: eigenvalue 0; a corrupt entry: indefinite).
 */
export const ROUNDING_TOLERANCE = 1e-4;

/** Symmetry: |P_ij - P_ji| <= ROUNDING_TOLERANCE * max(ridge, max_k P_kk). */
export const SYMMETRY_TOLERANCE = ROUNDING_TOLERANCE;

/**
 * How far below the ridge the smallest eigenvalue may be: rounding, not a different matrix.
 * tol = min(ROUNDING_TOLERANCE * (ridge + max_i P_ii), ridge / 2): relative to the size of P's
 * entries (rounding scales with them), capped so that one huge corrupt diagonal entry cannot buy
 * a tolerance that accepts an eigenvalue near 0.
 */
export function eigenvalueTolerance(ridge: number, maxDiagonal: number): number {
  return Math.min(ROUNDING_TOLERANCE * (ridge + Math.max(maxDiagonal, 0)), ridge / 2);
}

/** Cholesky of `p - shift * I` (lower triangle of p read), or the first column where it fails. */
function tryCholesky(p: ArrayLike<number>, m: number, shift: number): { l: Float64Array } | { failedAt: number } {
  const l = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    const lj = j * m;
    // Diagonal: P_jj - shift - sum_k L_jk^2.
    let d = p[lj + j] - shift;
    for (let k = 0; k < j; k++) d -= l[lj + k] * l[lj + k];
    if (!(d > 0) || !Number.isFinite(d)) return { failedAt: j };
    const ljj = Math.sqrt(d);
    l[lj + j] = ljj;
    for (let i = j + 1; i < m; i++) {
      const li = i * m;
      let s = p[li + j];
      for (let k = 0; k < j; k++) s -= l[li + k] * l[lj + k];
      l[li + j] = s / ljj;
    }
  }
  return { l };
}

function checkFinite(p: ArrayLike<number>, m: number, source: string): void {
  for (let i = 0; i < m * m; i++)
    if (!Number.isFinite(p[i])) throw new SngpError(`${source}: non-finite value at [${Math.floor(i / m)}, ${i % m}]`);
}

/** Cholesky factorisation of a symmetric positive definite matrix; no jitter: refuses anything else. */
export function cholesky(p: ArrayLike<number>, m: number, source = 'gp.precision'): CholeskyResult {
  checkFinite(p, m, source);
  const r = tryCholesky(p, m, 0);
  if ('failedAt' in r) throw new SngpError(`${source}: not positive definite (Cholesky fails at column ${r.failedAt})`);
  return r;
}

/** Largest |P_ij - P_ji| (how far the stored precision is from symmetric). */
export function asymmetry(p: ArrayLike<number>, m: number): number {
  let max = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) max = Math.max(max, Math.abs(p[i * m + j] - p[j * m + i]));
  return max;
}

/**
 * Check that `precision` can be ridge * I + Phi^T Phi: finite, symmetric (relative tolerance) and
 * every eigenvalue >= ridge - tol. The eigenvalue bound is checked without an eigensolver:
 * lambda_min(P) >= s  <=>  P - s I is positive semi-definite, and with s = ridge - tol a successful
 * Cholesky of P - s I proves it (up to the same rounding tol allows for). Errors say what to do.
 * Returns the symmetric average (P + P^T) / 2, the matrix the bound was proven for.
 */
export function validatePrecision(precision: ArrayLike<number>, m: number, ridge: number, source = 'gp.precision'): Float64Array {
  if (!(ridge > 0) || !Number.isFinite(ridge)) throw new SngpError(`${source}: ridge must be a positive number, got ${ridge}`);
  checkFinite(precision, m, source);
  const redo = 're-run sngp-train to recompute the posterior';
  let maxDiag = -Infinity;
  for (let i = 0; i < m; i++) maxDiag = Math.max(maxDiag, precision[i * m + i]);
  const symTol = SYMMETRY_TOLERANCE * Math.max(ridge, maxDiag);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < i; j++) {
      const a = precision[i * m + j];
      const b = precision[j * m + i];
      if (Math.abs(a - b) > symTol)
        throw new SngpError(`${source}: not symmetric: [${i}, ${j}] = ${a} but [${j}, ${i}] = ${b} (a precision ridge * I + Phi^T Phi is symmetric); ${redo}`);
    }
  const tol = eigenvalueTolerance(ridge, maxDiag);
  const floor = ridge - tol;
  // Each diagonal entry bounds the smallest eigenvalue from above: the cheap, specific message first.
  for (let i = 0; i < m; i++) {
    const d = precision[i * m + i];
    if (d < floor)
      throw new SngpError(
        `${source}: diagonal entry [${i}, ${i}] = ${d} is below the ridge ${ridge}, impossible for ridge * I + Phi^T Phi ` +
          `(an all-zero or corrupt precision, or a ridge that does not match the checkpoint's); ${redo}`,
      );
  }
  const sym = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) sym[i * m + j] = 0.5 * (precision[i * m + j] + precision[j * m + i]);
  const r = tryCholesky(sym, m, floor);
  if ('failedAt' in r)
    throw new SngpError(
      `${source}: has an eigenvalue below the ridge ${ridge} (P - ${floor.toPrecision(7)} I is not positive semi-definite, ` +
        `failing at column ${r.failedAt}), impossible for ridge * I + Phi^T Phi; ${redo}`,
    );
  return sym;
}

export interface Posterior extends CholeskyResult {
  /** Sigma = ridge * P^-1 (row-major, m x m, symmetric). */
  covariance: Float64Array;
}

/**
 * Sigma = ridge * P^-1 = ridge * L^-T L^-1, after `validatePrecision`. Columns of L^-1 come from
 * forward substitution (stored as rows of Y = L^-T so every inner loop is contiguous), then
 * Sigma_ab = ridge * sum_i Y_ai Y_bi. The symmetric average of P is factorised so an asymmetry
 * within the tolerance cannot bias it. Throws SngpError for a precision that is not one.
 */
export function posteriorCovariance(precision: ArrayLike<number>, m: number, ridge: number, source = 'gp.precision'): Posterior {
  const { l } = cholesky(validatePrecision(precision, m, ridge, source), m, source);
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
  return { l, covariance };
}
