import { describe, expect, it } from 'vitest';
import { Rng } from '@sngp/core';
import { cholesky, posteriorCovariance } from '../src/posterior.js';
import { python } from './fixtures.js';

function randn(n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: n }, () => r.normal());
}

describe('posterior', () => {
  function spd(m: number, seed: number): Float64Array {
    const a = randn(m * m, seed);
    const p = new Float64Array(m * m);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        let s = i === j ? 1 : 0;
        for (let k = 0; k < m; k++) s += (a[k * m + i] * a[k * m + j]) / m;
        p[i * m + j] = s;
      }
    return p;
  }

  it('Sigma = ridge * P^-1: P Sigma = ridge I, L L^T = P', () => {
    const m = 40;
    const p = spd(m, 3);
    const { covariance, l, jitter } = posteriorCovariance(p, m, 2);
    expect(jitter).toBe(0);
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

  it('adds and reports jitter when P is only positive semi-definite', () => {
    // Rank-1 matrix v v^T: singular, Cholesky fails without jitter.
    const m = 5;
    const p = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) p[i * m + j] = (i + 1) * (j + 1);
    const r = cholesky(p, m);
    expect(r.jitter).toBeGreaterThan(0);
    expect(posteriorCovariance(p, m, 1).jitter).toBe(r.jitter);
  });

  it('rejects an indefinite or non-finite precision with a clear error', () => {
    expect(() => cholesky(Float64Array.from([1, 0, 0, -5]), 2)).toThrow(/not positive definite/);
    expect(() => cholesky(Float64Array.from([1, 0, 0, NaN]), 2)).toThrow(/gp.precision: non-finite value at \[1, 1\]/);
  });
});
