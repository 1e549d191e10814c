import { SngpError } from './errors.js';
import { matmulTransposed } from './matmul.js';

/*
 * The Laplace posterior of SNGP's random-feature GP layer, in float64 plain TS (tfjs has no
 * Cholesky, inverse or eigensolver): validation of a stored precision, its Cholesky factor, the
 * covariance Sigma = ridge * P^-1, the variance phi^T Sigma phi, and the low-rank form of Sigma.
 *
 * P = ridge * I + Phi^T Phi, so P is symmetric and every eigenvalue is >= ridge. A stored precision
 * that breaks either property is not a posterior (a corrupt file, a ridge that does not match, an
 * all-zero matrix): it is refused instead of patched with diagonal jitter, which used to turn an
 * all-zero precision into p = 0.5 everywhere. Valid precisions are well conditioned (smallest
 * eigenvalue >= ridge), so their Cholesky never needs jitter.
 *
 * Low-rank form (exact algebra). P = V diag(s + lambda_k) V^T with lambda_k >= 0 the eigenvalues
 * of Phi^T Phi, so Sigma = s P^-1 = I - V diag(d_k) V^T with d_k = lambda_k / (s + lambda_k) in
 * [0, 1), and var(phi) = |phi|^2 - sum_k d_k (v_k . phi)^2. Keeping the r largest d_k (factor
 * L = V_r diag(sqrt(d_r)), var_r = |phi|^2 - |L^T phi|^2) errs by
 *   var_r - var = sum_{k>r} d_k c_k^2,   c_k = v_k . phi,
 * always upwards, and since var = sum_k (1 - d_k) c_k^2 >= (1 - d_{r+1}) sum_{k>r} c_k^2:
 *   0 <= (var_r - var) / var <= d_{r+1} / (1 - d_{r+1}) = lambda_{r+1} / s    (relative, any phi)
 *   0 <= var_r - var <= d_{r+1} |phi|^2                                        (absolute)
 * Rounding can leave a few lambda_k slightly below 0 (d_k < 0, bounded by validatePrecision's
 * tolerance); the bounds then use max_{k>r} |d_k| in the numerator, and the error can have either
 * sign.
 */

/** The result of {@link cholesky}. */
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
 * @param ridge - the ridge s.
 * @param maxDiagonal - the largest diagonal entry of P.
 * @returns the tolerance (>= 0).
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
    // Below the diagonal four rows at a time: each loaded L_jk feeds four independent sums (1.8x
    // faster in V8 than one row at a time, and bit-identical: each sum keeps its order).
    let i = j + 1;
    for (; i + 4 <= m; i += 4) {
      const a = i * m;
      const b = a + m;
      const c = b + m;
      const e = c + m;
      let s0 = p[a + j];
      let s1 = p[b + j];
      let s2 = p[c + j];
      let s3 = p[e + j];
      for (let k = 0; k < j; k++) {
        const v = l[lj + k];
        s0 -= l[a + k] * v;
        s1 -= l[b + k] * v;
        s2 -= l[c + k] * v;
        s3 -= l[e + k] * v;
      }
      l[a + j] = s0 / ljj;
      l[b + j] = s1 / ljj;
      l[c + j] = s2 / ljj;
      l[e + j] = s3 / ljj;
    }
    for (; i < m; i++) {
      const li = i * m;
      let s = p[li + j];
      for (let k = 0; k < j; k++) s -= l[li + k] * l[lj + k];
      l[li + j] = s / ljj;
    }
  }
  return { l };
}

function checkFinite(p: ArrayLike<number>, m: number, source: string): void {
  if (p.length !== m * m) throw new SngpError(`${source}: ${p.length} values, expected ${m} x ${m} = ${m * m}`);
  for (let i = 0; i < m * m; i++)
    if (!Number.isFinite(p[i])) throw new SngpError(`${source}: non-finite value at [${Math.floor(i / m)}, ${i % m}]`);
}

/**
 * Cholesky factorisation of a symmetric positive definite matrix; no jitter: refuses anything else.
 * Only the lower triangle of `p` is read.
 * @param p - the matrix, row-major [m, m].
 * @param m - its size.
 * @param source - names the matrix in error messages (default "gp.precision").
 * @returns the lower-triangular factor.
 * @throws SngpError for a non-finite entry or a matrix that is not positive definite (naming the column).
 */
export function cholesky(p: ArrayLike<number>, m: number, source = 'gp.precision'): CholeskyResult {
  checkFinite(p, m, source);
  const r = tryCholesky(p, m, 0);
  if ('failedAt' in r) throw new SngpError(`${source}: not positive definite (Cholesky fails at column ${r.failedAt})`);
  return r;
}

/**
 * Largest |P_ij - P_ji| (how far the stored precision is from symmetric).
 * @param p - the matrix, row-major [m, m].
 * @param m - its size.
 * @returns the largest asymmetry (0 for a symmetric matrix).
 */
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
 * @param precision - the stored precision P, row-major [m, m].
 * @param m - random features M.
 * @param ridge - the checkpoint's ridge s.
 * @param source - names the matrix in error messages (default "gp.precision").
 * @returns (P + P^T) / 2.
 * @throws SngpError for a non-positive ridge, a non-finite entry, an asymmetry beyond the
 *   tolerance, a diagonal entry below the ridge or an eigenvalue below it; each says to re-run
 *   sngp-train.
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

/** The posterior of {@link posteriorCovariance}: the covariance and the Cholesky factor of P. */
export interface Posterior extends CholeskyResult {
  /** Sigma = ridge * P^-1 (row-major, m x m, symmetric). */
  covariance: Float64Array;
}

/**
 * The Cholesky factor of a validated precision: L L^T = (P + P^T) / 2 after
 * {@link validatePrecision}. The symmetric average is factorised so an asymmetry within the
 * tolerance cannot bias it.
 * @param precision - the stored precision P, row-major [m, m].
 * @param m - random features M.
 * @param ridge - the checkpoint's ridge s.
 * @param source - names the matrix in error messages (default "gp.precision").
 * @returns the lower-triangular factor, float64 [m, m].
 * @throws SngpError if the precision fails {@link validatePrecision}.
 */
export function precisionCholesky(precision: ArrayLike<number>, m: number, ridge: number, source = 'gp.precision'): CholeskyResult {
  return cholesky(validatePrecision(precision, m, ridge, source), m, source);
}

/**
 * Sigma = ridge * P^-1 = ridge * L^-T L^-1, after `validatePrecision`. Columns of L^-1 come from
 * forward substitution (stored as rows of Y = L^-T so every inner loop is contiguous), then
 * Sigma_ab = ridge * sum_i Y_ai Y_bi. The symmetric average of P is factorised so an asymmetry
 * within the tolerance cannot bias it. Throws SngpError for a precision that is not one.
 * @param precision - the stored precision P, row-major [m, m].
 * @param m - random features M.
 * @param ridge - the checkpoint's ridge s.
 * @param source - names the matrix in error messages (default "gp.precision").
 * @returns Sigma and the Cholesky factor of (P + P^T) / 2, both float64 [m, m].
 * @throws SngpError if the precision fails {@link validatePrecision}.
 */
export function posteriorCovariance(precision: ArrayLike<number>, m: number, ridge: number, source = 'gp.precision'): Posterior {
  const { l } = precisionCholesky(precision, m, ridge, source);
  return { l, covariance: covarianceFromCholesky(l, m, ridge) };
}

/**
 * Sigma = ridge * (L L^T)^-1 from a Cholesky factor (see {@link posteriorCovariance}).
 * @param l - lower-triangular factor, row-major [m, m].
 * @param m - its size.
 * @param ridge - the ridge s.
 * @returns Sigma, float64 [m, m], symmetric.
 */
export function covarianceFromCholesky(l: Float64Array, m: number, ridge: number): Float64Array {
  const y = inverseTransposed(l, m);
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
  return covariance;
}

/** Y = L^-T for lower-triangular L: row j of Y is column j of L^-1 (non-zero from j on), by forward substitution. */
function inverseTransposed(l: Float64Array, m: number): Float64Array {
  const y = new Float64Array(m * m);
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
  return y;
}

/**
 * From this many rows per random feature on, {@link varianceFromCholesky} forms L^-1 once (M^3 / 6
 * multiply-adds) and multiplies by it, about 2x faster per row than the triangular solve: on the
 * export's 11,500 verification points at M = 1024 that saves seconds; a few hundred rows would
 * not repay the inverse.
 */
const INVERSE_MIN_ROWS_PER_FEATURE = 0.5;

/**
 * The full-posterior variance phi^T Sigma phi = ridge * |L^-1 phi|^2 per row, with the Cholesky
 * factor of P: by forward substitution for few rows (no explicit inverse), by a product with L^-1
 * from M / 2 rows on (L^-1 of a valid precision is well conditioned, P's eigenvalues being >=
 * ridge, so both agree to float64 rounding).
 * @param phi - random features, row-major [n, m] (scaled as the model uses them).
 * @param n - rows.
 * @param l - Cholesky factor of P, row-major [m, m] lower triangular.
 * @param m - random features M.
 * @param ridge - the ridge s.
 * @returns the variance of each row (>= 0), float64 [n].
 */
export function varianceFromCholesky(phi: ArrayLike<number>, n: number, l: Float64Array, m: number, ridge: number): Float64Array {
  return n >= INVERSE_MIN_ROWS_PER_FEATURE * m ? varianceByInverse(phi, n, l, m, ridge) : varianceBySolve(phi, n, l, m, ridge);
}

/** {@link varianceFromCholesky} through L^-1: |L^-1 phi|^2 as a product (lower-triangular, tiled). */
function varianceByInverse(phi: ArrayLike<number>, n: number, l: Float64Array, m: number, ridge: number): Float64Array {
  const y = inverseTransposed(l, m);
  const inv = new Float64Array(m * m); // L^-1, row-major lower triangular
  for (let i = 0; i < m; i++) for (let j = 0; j <= i; j++) inv[i * m + j] = y[j * m + i];
  return projectedSquaredNorms(phi, n, m, inv, m, true).map((q) => Math.max(ridge * q, 0));
}

/** Rows per chunk of {@link projectedSquaredNorms}: the projections [chunk, cols] stay small whatever n is. */
const PROJECTION_CHUNK_ROWS = 256;

/** |B phi_r|^2 for each row phi_r of phi [n, m], with B given row-major [cols, m] (see matmulTransposed). */
function projectedSquaredNorms(phi: ArrayLike<number>, n: number, m: number, b: Float64Array, cols: number, lowerTriangular: boolean): Float64Array {
  const x = phi instanceof Float64Array ? phi : Float64Array.from(phi);
  const out = new Float64Array(n);
  for (let r0 = 0; r0 < n; r0 += PROJECTION_CHUNK_ROWS) {
    const rows = Math.min(PROJECTION_CHUNK_ROWS, n - r0);
    const z = matmulTransposed(x.subarray(r0 * m, (r0 + rows) * m), rows, m, b, cols, { lowerTriangular });
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let i = r * cols, end = i + cols; i < end; i++) s += z[i] * z[i];
      out[r0 + r] = s;
    }
  }
  return out;
}

/**
 * {@link varianceFromCholesky} by forward substitution. Rows go in batches of 16 so each row of L
 * is reused from cache, four at a time so each loaded L_ik feeds four dot products.
 */
function varianceBySolve(phi: ArrayLike<number>, n: number, l: Float64Array, m: number, ridge: number): Float64Array {
  const out = new Float64Array(n);
  const batch = 16;
  const zs = Array.from({ length: batch }, () => new Float64Array(m));
  for (let r0 = 0; r0 < n; r0 += batch) {
    const b = Math.min(batch, n - r0);
    for (let i = 0; i < m; i++) {
      const li = i * m;
      const lii = l[li + i];
      let r = 0;
      for (; r + 4 <= b; r += 4) {
        const [z0, z1, z2, z3] = [zs[r], zs[r + 1], zs[r + 2], zs[r + 3]];
        const p = (r0 + r) * m + i;
        let s0 = phi[p];
        let s1 = phi[p + m];
        let s2 = phi[p + 2 * m];
        let s3 = phi[p + 3 * m];
        for (let k = 0; k < i; k++) {
          const lk = l[li + k];
          s0 -= lk * z0[k];
          s1 -= lk * z1[k];
          s2 -= lk * z2[k];
          s3 -= lk * z3[k];
        }
        z0[i] = s0 / lii;
        z1[i] = s1 / lii;
        z2[i] = s2 / lii;
        z3[i] = s3 / lii;
      }
      for (; r < b; r++) {
        const z = zs[r];
        let s = phi[(r0 + r) * m + i];
        for (let k = 0; k < i; k++) s -= l[li + k] * z[k];
        z[i] = s / lii;
      }
    }
    for (let r = 0; r < b; r++) {
      let s = 0;
      const z = zs[r];
      for (let i = 0; i < m; i++) s += z[i] * z[i];
      out[r0 + r] = Math.max(ridge * s, 0);
    }
  }
  return out;
}

/** The result of {@link symmetricEigen}. */
export interface SymmetricEigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /**
   * Orthonormal eigenvectors as rows, row-major [m, m]: `vectors[k * m + i]` is component i of the
   * eigenvector of `values[k]`, so A = sum_k values[k] v_k v_k^T.
   */
  vectors: Float64Array;
}

/** Iterations of implicit QL allowed per eigenvalue before giving up (2-3 are typical). */
const MAX_QL_ITERATIONS = 60;

/**
 * Eigendecomposition of a real symmetric matrix in float64: Householder reduction to tridiagonal
 * form, then the implicit QL algorithm with Wilkinson-type shifts (EISPACK tred2 / tql2, as in
 * JAMA). The working matrix is stored transposed so every inner loop runs over contiguous memory:
 * about 2 s at m = 1024 in Node. Only the lower triangle of `a` is read.
 * @param a - the matrix, row-major [m, m].
 * @param m - its size.
 * @param source - names the matrix in error messages (default "matrix").
 * @returns eigenvalues (descending) and orthonormal eigenvectors (rows).
 * @throws SngpError for a non-finite entry, a wrong length, or (never seen) QL iterations that do
 *   not converge.
 */
export function symmetricEigen(a: ArrayLike<number>, m: number, source = 'matrix'): SymmetricEigen {
  checkFinite(a, m, source);
  const n = m;
  // w[c * n + r] holds JAMA's V[r][c]: the columns of V (the lower triangle of A, then the
  // accumulated transformations) are rows of w, so the k loops below read contiguous memory.
  const w = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c <= r; c++) w[c * n + r] = a[r * n + c];
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { values: d, vectors: w };

  // Householder reduction to tridiagonal form (tred2).
  for (let j = 0; j < n; j++) d[j] = w[j * n + n - 1];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = w[j * n + i - 1];
        w[j * n + i] = 0;
        w[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        const wj = j * n;
        f = d[j];
        w[i * n + j] = f;
        g = e[j] + w[wj + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const v = w[wj + k];
          g += v * d[k];
          e[k] += v * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        const wj = j * n;
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) w[wj + k] -= f * e[k] + g * d[k];
        d[j] = w[wj + i - 1];
        w[wj + i] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    const wi = i * n;
    const wi1 = (i + 1) * n;
    w[wi + n - 1] = w[wi + i];
    w[wi + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = w[wi1 + k] / h;
      // Two rows per pass: each loaded w[i + 1][k] and d[k] serves both (the O(n^3) hot spot).
      let j = 0;
      for (; j + 1 <= i; j += 2) {
        const wj = j * n;
        const wj2 = wj + n;
        let g0 = 0;
        let g1 = 0;
        for (let k = 0; k <= i; k++) {
          const a = w[wi1 + k];
          g0 += a * w[wj + k];
          g1 += a * w[wj2 + k];
        }
        for (let k = 0; k <= i; k++) {
          const dk = d[k];
          w[wj + k] -= g0 * dk;
          w[wj2 + k] -= g1 * dk;
        }
      }
      for (; j <= i; j++) {
        const wj = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += w[wi1 + k] * w[wj + k];
        for (let k = 0; k <= i; k++) w[wj + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) w[wi1 + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = w[j * n + n - 1];
    w[j * n + n - 1] = 0;
  }
  w[(n - 1) * n + n - 1] = 1;
  e[0] = 0;

  // Implicit QL on the tridiagonal matrix (tql2); rotations act on rows of w.
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let mm = l;
    while (mm < n) {
      if (Math.abs(e[mm]) <= eps * tst1) break;
      mm++;
    }
    if (mm > l) {
      let iter = 0;
      do {
        if (++iter > MAX_QL_ITERATIONS)
          throw new SngpError(`${source}: the eigenvalue iteration did not converge (eigenvalue ${l} of ${n} after ${MAX_QL_ITERATIONS} QL iterations)`);
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[mm];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = mm - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const wi = i * n;
          const wi1 = (i + 1) * n;
          for (let k = 0; k < n; k++) {
            const t = w[wi1 + k];
            const u = w[wi + k];
            w[wi1 + k] = s * u + c * t;
            w[wi + k] = c * u - s * t;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }

  // Sort descending; eigenvector k is row k of w.
  const order = Array.from({ length: n }, (_, i) => i).sort((p, q) => d[q] - d[p]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, k) => {
    values[k] = d[src];
    vectors.set(w.subarray(src * n, (src + 1) * n), k * n);
  });
  return { values, vectors };
}

/** The posterior in the eigenbasis of its precision: see {@link posteriorSpectrum}. */
export interface PosteriorSpectrum {
  /** Random features M. */
  m: number;
  /** The ridge s. */
  ridge: number;
  /** lambda_k = eigenvalue_k(P) - s, the eigenvalues of Phi^T Phi, descending (>= 0 up to rounding). */
  lambdas: Float64Array;
  /** d_k = lambda_k / (s + lambda_k), descending, in [0, 1) up to rounding: Sigma = I - V diag(d) V^T. */
  shrinkage: Float64Array;
  /** Orthonormal eigenvectors v_k of P as rows, row-major [m, m] (same order as `shrinkage`). */
  vectors: Float64Array;
}

/**
 * Validate a precision (see {@link validatePrecision}) and decompose it: P = V diag(s + lambda) V^T,
 * Sigma = s P^-1 = I - V diag(d) V^T with d_k = lambda_k / (s + lambda_k).
 * @param precision - the stored precision P, row-major [m, m].
 * @param m - random features M.
 * @param ridge - the ridge s.
 * @param source - names the matrix in error messages (default "gp.precision").
 * @returns the spectrum, d descending.
 * @throws SngpError if the precision fails {@link validatePrecision}.
 */
export function posteriorSpectrum(precision: ArrayLike<number>, m: number, ridge: number, source = 'gp.precision'): PosteriorSpectrum {
  return validatedSpectrum(validatePrecision(precision, m, ridge, source), m, ridge, source);
}

/**
 * {@link posteriorSpectrum} of a precision that {@link validatePrecision} has already checked: pass
 * the symmetric average it returned (the export validates once, then factorises and decomposes).
 * @param sym - `validatePrecision`'s result, row-major [m, m].
 * @param m - random features M.
 * @param ridge - the ridge s.
 * @param source - names the matrix in error messages (default "gp.precision").
 * @returns the spectrum, d descending.
 * @throws SngpError only if the QL iterations do not converge (never seen).
 */
export function validatedSpectrum(sym: Float64Array, m: number, ridge: number, source = 'gp.precision'): PosteriorSpectrum {
  const { values, vectors } = symmetricEigen(sym, m, source);
  const lambdas = values.map((v) => v - ridge);
  // d = lambda / (s + lambda) = 1 - s / eigenvalue: the eigenvalues are >= s - tol > 0.
  const shrinkage = values.map((v) => 1 - ridge / v);
  return { m, ridge, lambdas, shrinkage, vectors };
}

/** Proven bounds on the variance error of a rank-r posterior, from {@link truncationBound}. */
export interface TruncationBound {
  /** |var_r - var| / var <= relative for every phi (0 for r = m). */
  relative: number;
  /** |var_r - var| <= perSquaredNorm * |phi|^2 for every phi (0 for r = m). */
  perSquaredNorm: number;
}

/**
 * The variance error bounds of keeping the first `rank` directions of a descending shrinkage
 * vector d (see the derivation at the top of this module): with a = max_{k>r} |d_k| and
 * b = max(d_{r+1}, 0), relative error <= a / (1 - b) and absolute error <= a |phi|^2.
 * @param shrinkage - d_k, descending (a {@link PosteriorSpectrum}'s `shrinkage`).
 * @param rank - directions kept, 0..m.
 * @returns the two bounds.
 * @throws SngpError if rank is not an integer in [0, m].
 */
export function truncationBound(shrinkage: ArrayLike<number>, rank: number): TruncationBound {
  const m = shrinkage.length;
  if (!Number.isInteger(rank) || rank < 0 || rank > m) throw new SngpError(`low-rank posterior: rank must be an integer in [0, ${m}], got ${rank}`);
  if (rank === m) return { relative: 0, perSquaredNorm: 0 };
  const top = Math.max(shrinkage[rank], 0); // largest d beyond the rank (descending)
  const a = Math.max(top, -shrinkage[m - 1], 0); // most negative d: rounding below the ridge
  return { relative: a / (1 - top), perSquaredNorm: a };
}

/**
 * The smallest rank whose proven relative variance error ({@link truncationBound}) is at most
 * `tolerance`, among ranks whose kept d_k are all positive (the factor takes sqrt(d_k)); at least 1.
 * @param shrinkage - d_k, descending.
 * @param tolerance - the largest relative variance error allowed (>= 0).
 * @returns the rank, or null if no rank meets the tolerance (rounding left some d_k below 0 by more than it).
 * @throws SngpError for a negative or non-finite tolerance.
 */
export function rankForTolerance(shrinkage: ArrayLike<number>, tolerance: number): number | null {
  if (!(tolerance >= 0) || !Number.isFinite(tolerance)) throw new SngpError(`low-rank posterior: the variance tolerance must be a finite number >= 0, got ${tolerance}`);
  const m = shrinkage.length;
  let positive = 0;
  while (positive < m && shrinkage[positive] > 0) positive++;
  // The bound only shrinks as the rank grows: the first rank that meets it is the smallest.
  for (let r = Math.min(1, m); r <= positive; r++) if (truncationBound(shrinkage, r).relative <= tolerance) return r;
  return positive === m && m > 0 ? m : null;
}

/**
 * The low-rank factor L = V_r diag(sqrt(d_r)) [m, r] of a spectrum: Sigma ~ I - L L^T, and
 * var_r(phi) = |phi|^2 - |L^T phi|^2.
 * @param spectrum - from {@link posteriorSpectrum}.
 * @param rank - directions kept (their d_k must be >= 0).
 * @returns L, float64 row-major [m, rank].
 * @throws SngpError if rank is out of range or keeps a negative d_k.
 */
export function lowRankFactor(spectrum: PosteriorSpectrum, rank: number): Float64Array {
  const { m, shrinkage, vectors } = spectrum;
  if (!Number.isInteger(rank) || rank < 0 || rank > m) throw new SngpError(`low-rank posterior: rank must be an integer in [0, ${m}], got ${rank}`);
  if (rank > 0 && shrinkage[rank - 1] < 0)
    throw new SngpError(`low-rank posterior: rank ${rank} keeps a direction with d = ${shrinkage[rank - 1]} < 0 (rounding); use a smaller rank or the full posterior`);
  const l = new Float64Array(m * rank);
  for (let k = 0; k < rank; k++) {
    const sq = Math.sqrt(Math.max(shrinkage[k], 0));
    const v = k * m;
    for (let i = 0; i < m; i++) l[i * rank + k] = vectors[v + i] * sq;
  }
  return l;
}

/**
 * var_r(phi) = |phi|^2 - |L^T phi|^2 per row in float64 (the low-rank posterior variance, what the
 * low-rank graph computes in float32), clamped at 0.
 * @param phi - random features, row-major [n, m].
 * @param n - rows.
 * @param factor - L from {@link lowRankFactor}, row-major [m, rank].
 * @param m - random features M.
 * @param rank - columns of L.
 * @returns the variance of each row, float64 [n].
 */
export function lowRankVariance(phi: ArrayLike<number>, n: number, factor: Float64Array, m: number, rank: number): Float64Array {
  const ft = new Float64Array(rank * m); // L^T: each projection is a contiguous dot product
  for (let i = 0; i < m; i++) for (let k = 0; k < rank; k++) ft[k * m + i] = factor[i * rank + k];
  const projected = projectedSquaredNorms(phi, n, m, ft, rank, false);
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let norm = 0;
    for (let i = r * m, end = i + m; i < end; i++) norm += phi[i] * phi[i];
    out[r] = Math.max(norm - projected[r], 0);
  }
  return out;
}
