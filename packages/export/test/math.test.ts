import { describe, expect, it } from 'vitest';
import { Rng, cholesky, eigenvalueTolerance, posteriorCovariance, validatePrecision } from '@sngp/core';
// The posterior math lives in @sngp/core; @sngp/export re-exports it (checked here too).
import { python, randn, withEigenvalues } from './fixtures.js';

describe('posterior', () => {
  /** P = ridge I + A^T A / m: the shape of a real precision (every eigenvalue >= ridge). */
  function spd(m: number, seed: number, ridge = 1): Float64Array {
    const a = randn(m * m, seed);
    const p = new Float64Array(m * m);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        let s = i === j ? ridge : 0;
        for (let k = 0; k < m; k++) s += (a[k * m + i] * a[k * m + j]) / m;
        p[i * m + j] = s;
      }
    return p;
  }

  it('Sigma = ridge * P^-1: P Sigma = ridge I, L L^T = P', () => {
    const m = 40;
    const p = spd(m, 3, 2);
    const { covariance, l } = posteriorCovariance(p, m, 2);
    let maxErr = 0;
    let maxLErr = 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        let s = 0;
        let ll = 0;
        for (let k = 0; k < m; k++) {
          s += p[i * m + k] * covariance[k * m + j];
          ll += l[i * m + k] * l[j * m + k];
        }
        maxErr = Math.max(maxErr, Math.abs(s - (i === j ? 2 : 0)));
        maxLErr = Math.max(maxLErr, Math.abs(ll - p[i * m + j]));
      }
    expect(maxErr).toBeLessThan(1e-10);
    expect(maxLErr).toBeLessThan(1e-12);
  });

  it('refuses an all-zero precision instead of adding jitter', () => {
    const m = 8;
    expect(() => posteriorCovariance(new Float64Array(m * m), m, 1)).toThrow(
      /^gp.precision: diagonal entry \[0, 0\] = 0 is below the ridge 1, impossible for ridge \* I \+ Phi\^T Phi .*re-run sngp-train/,
    );
    // A singular rank-1 matrix (no ridge term) whose diagonal happens to exceed the ridge.
    const p = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) p[i * m + j] = 4 * (1 + (i % 2)) * (1 + (j % 2));
    expect(() => posteriorCovariance(p, m, 1)).toThrow(/has an eigenvalue below the ridge 1 \(P - 0\.99\d* I is not positive semi-definite/);
  });

  it('accepts an eigenvalue at the ridge up to the tolerance, refuses one clearly below it', () => {
    const ridge = 0.5;
    const eig = (lowest: number) => [lowest, ...Array.from({ length: 19 }, (_, i) => ridge + 0.3 * (i + 1))];
    // lambda_min = ridge (P = ridge I + Phi^T Phi with a rank-deficient Phi): accepted.
    expect(() => validatePrecision(withEigenvalues(eig(ridge), 5), 20, ridge)).not.toThrow();
    // A hair below the ridge (float32 rounding, 1e-5 relative): accepted.
    expect(() => validatePrecision(withEigenvalues(eig(ridge * (1 - 1e-5)), 5), 20, ridge)).not.toThrow();
    // 1% below: not a precision with this ridge, though positive definite and with a large diagonal.
    const low = withEigenvalues(eig(ridge * 0.99), 5);
    for (let i = 0; i < 20; i++) expect(low[i * 20 + i]).toBeGreaterThan(ridge);
    expect(() => validatePrecision(low, 20, ridge)).toThrow(/has an eigenvalue below the ridge 0.5/);
    expect(() => cholesky(low, 20)).not.toThrow(); // ... which a plain Cholesky would not notice
    // The tolerance scales with the entries (float32 rounding does) and is capped, whatever the diagonal.
    expect(eigenvalueTolerance(1, 10)).toBeCloseTo(1.1e-3, 12);
    expect(eigenvalueTolerance(1, 1e300)).toBe(0.5);
  });

  it('accepts ridge * I + Phi^T Phi accumulated in float32, whose smallest eigenvalue dips below the ridge', () => {
    // Random features of 2-D inputs, like the trainer's on two moons: Phi^T Phi has many eigenvalues
    // near 0, and float32 rounding (as tfjs or numpy float32 would form it) pushes some below 0.
    const m = 128;
    const n = 1000;
    const rng = new Rng(11);
    const w = Array.from({ length: m }, () => [rng.normal(), rng.normal(), 2 * Math.PI * rng.uniform()]);
    const phi = new Float32Array(n * m);
    for (let r = 0; r < n; r++) {
      const [x, y] = [rng.normal(), rng.normal()];
      for (let j = 0; j < m; j++) phi[r * m + j] = Math.sqrt(2 / m) * Math.cos(w[j][0] * x + w[j][1] * y + w[j][2]);
    }
    const p = new Float64Array(m * m);
    for (let a = 0; a < m; a++)
      for (let b = 0; b <= a; b++) {
        let s = 0;
        for (let r = 0; r < n; r++) s = Math.fround(s + Math.fround(phi[r * m + a] * phi[r * m + b]));
        p[a * m + b] = p[b * m + a] = s + (a === b ? 1 : 0);
      }
    // The plain bound fails (an eigenvalue below 1), so this case really exercises the tolerance ...
    const shifted = Float64Array.from(p, (v, i) => v - (i % (m + 1) === 0 ? 1 : 0));
    expect(() => cholesky(shifted, m)).toThrow(/not positive definite/);
    // ... which accepts it.
    expect(() => posteriorCovariance(p, m, 1)).not.toThrow();
  });

  it('refuses an asymmetric precision beyond the relative tolerance, accepts rounding-level asymmetry', () => {
    const m = 6;
    const p = spd(m, 4);
    const nudged = Float64Array.from(p);
    nudged[1 * m + 4] += 1e-7 * p[0];
    expect(() => posteriorCovariance(nudged, m, 1)).not.toThrow();
    const bad = Float64Array.from(p);
    bad[1 * m + 4] += 0.1;
    expect(() => posteriorCovariance(bad, m, 1)).toThrow(/^gp.precision: not symmetric: \[4, 1\] = .* but \[1, 4\] = .*re-run sngp-train/);
  });

  it('rejects an indefinite or non-finite precision with a clear error', () => {
    expect(() => cholesky(Float64Array.from([1, 0, 0, -5]), 2)).toThrow(/not positive definite/);
    expect(() => cholesky(Float64Array.from([1, 0, 0, NaN]), 2)).toThrow(/gp.precision: non-finite value at \[1, 1\]/);
    expect(() => posteriorCovariance(Float64Array.from([2, 0, 0, -5]), 2, 1)).toThrow(/diagonal entry \[1, 1\] = -5 is below the ridge 1/);
    expect(() => posteriorCovariance(Float64Array.from([1, 0, 0, Infinity]), 2, 1, 'w.st: gp.precision')).toThrow(/^w.st: gp.precision: non-finite value at \[1, 1\]/);
  });
});
