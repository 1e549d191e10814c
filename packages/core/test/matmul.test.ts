import { describe, expect, it } from 'vitest';
import { Rng, cholesky, lowRankVariance, matmulTransposed, varianceFromCholesky } from '../src/index.js';

function normals(n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: n }, () => r.normal());
}

/** C = A B^T (+ bias) the plain way. */
function naive(a: Float64Array, rows: number, inner: number, bt: Float64Array, cols: number, bias?: Float64Array): Float64Array {
  const c = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < cols; j++) {
      let s = bias ? bias[j] : 0;
      for (let i = 0; i < inner; i++) s += a[r * inner + i] * bt[j * inner + i];
      c[r * cols + j] = s;
    }
  return c;
}

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

describe('matmulTransposed', () => {
  // Row and column counts off the 4 x 2 tile (tails), and exact multiples.
  for (const [rows, inner, cols] of [[1, 3, 1], [4, 5, 2], [7, 9, 5], [13, 16, 11], [8, 1, 6]])
    it(`${rows} x ${inner} times (${cols} x ${inner})^T, with and without bias`, () => {
      const a = normals(rows * inner, rows);
      const bt = normals(cols * inner, cols + 100);
      const bias = normals(cols, 7);
      expect(maxAbsDiff(matmulTransposed(a, rows, inner, bt, cols), naive(a, rows, inner, bt, cols))).toBeLessThan(1e-12);
      expect(maxAbsDiff(matmulTransposed(a, rows, inner, bt, cols, { bias }), naive(a, rows, inner, bt, cols, bias))).toBeLessThan(1e-12);
    });

  it('lowerTriangular skips only the zeros above the diagonal', () => {
    const m = 11;
    const lower = normals(m * m, 3).map((v, k) => (k % m <= Math.floor(k / m) ? v : 0));
    const a = normals(9 * m, 4);
    expect(maxAbsDiff(matmulTransposed(a, 9, m, lower, m, { lowerTriangular: true }), naive(a, 9, m, lower, m))).toBeLessThan(1e-12);
  });
});

describe('the variance kernels built on it', () => {
  const m = 24;
  // P = I + G^T G / m (every eigenvalue >= the ridge 1), its Cholesky factor, and rows of phi.
  const g = normals(3 * m * m, 5);
  const p = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) {
      let s = i === j ? 1 : 0;
      for (let k = 0; k < 3 * m; k++) s += (g[k * m + i] * g[k * m + j]) / m;
      p[i * m + j] = s;
    }
  const { l } = cholesky(p, m);
  /** phi^T P^-1 phi by solving P z = phi with Gaussian elimination (independent of the Cholesky paths). */
  function quadratic(phi: Float64Array): number {
    const a = Array.from({ length: m }, (_, i) => [...p.subarray(i * m, (i + 1) * m), phi[i]]);
    for (let c = 0; c < m; c++)
      for (let r = c + 1; r < m; r++) {
        const f = a[r][c] / a[c][c];
        for (let k = c; k <= m; k++) a[r][k] -= f * a[c][k];
      }
    const z = new Float64Array(m);
    for (let r = m - 1; r >= 0; r--) {
      let s = a[r][m];
      for (let k = r + 1; k < m; k++) s -= a[r][k] * z[k];
      z[r] = s / a[r][r];
    }
    return z.reduce((acc, v, i) => acc + v * phi[i], 0);
  }

  // Few rows take the triangular solve, many the product with L^-1: both must give phi^T Sigma phi.
  for (const n of [5, 3 * m + 1])
    it(`varianceFromCholesky on ${n} rows matches ridge * phi^T P^-1 phi`, () => {
      const phi = normals(n * m, n);
      const v = varianceFromCholesky(phi, n, l, m, 2);
      for (let r = 0; r < n; r++) expect(v[r]).toBeCloseTo(2 * quadratic(phi.subarray(r * m, (r + 1) * m)), 10);
    });

  it('lowRankVariance = |phi|^2 - |L^T phi|^2 row by row', () => {
    const rank = 7;
    const n = 10;
    const factor = normals(m * rank, 8).map((v) => 0.1 * v);
    const phi = normals(n * m, 9);
    const v = lowRankVariance(phi, n, factor, m, rank);
    for (let r = 0; r < n; r++) {
      let norm = 0;
      for (let i = 0; i < m; i++) norm += phi[r * m + i] ** 2;
      let q = 0;
      for (let k = 0; k < rank; k++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += phi[r * m + i] * factor[i * rank + k];
        q += s * s;
      }
      expect(v[r]).toBeCloseTo(Math.max(norm - q, 0), 10);
    }
  });
});
