import { describe, expect, it } from 'vitest';
import { Rng } from '@sngp/core';
import { cholesky, posteriorCovariance } from '../src/posterior.js';
import { bakeSpectralNorm, spectralNorm } from '../src/spectral-norm.js';
import { python } from './fixtures.js';

function randn(n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: n }, () => r.normal());
}

describe('spectral norm', () => {
  it('matches numpy largest singular value, including nearly equal top singular values', () => {
    const h = 48;
    const w = randn(h * 40, 1); // non-square [48, 40]
    // A matrix with sigma1 and sigma2 within 1e-4: plain power iteration converges slowly here.
    const close = new Float64Array(h * h);
    for (let i = 0; i < h; i++) close[i * h + i] = i === 0 ? 2 : i === 1 ? 1.9999 : 1 / (i + 1);
    const r = python(
      `import sys, json, numpy as np
a = np.array(json.loads(sys.argv[1])).reshape(48, 40); b = np.array(json.loads(sys.argv[2])).reshape(48, 48)
print(json.dumps([float(np.linalg.norm(a, 2)), float(np.linalg.norm(b, 2))]))`,
      [JSON.stringify(Array.from(w)), JSON.stringify(Array.from(close))],
    );
    expect(r.status, r.stderr).toBe(0);
    const [s1, s2] = JSON.parse(r.stdout) as number[];
    const a = spectralNorm(w, h, 40);
    expect(a.converged).toBe(true);
    expect(Math.abs(a.sigma - s1) / s1).toBeLessThan(1e-10);
    const b = spectralNorm(close, h, h);
    expect(Math.abs(b.sigma - s2) / s2).toBeLessThan(1e-10);
  });

  it('bakes W / max(1, sigma / c): the result has norm c, small kernels are untouched', () => {
    const w = randn(32 * 32, 2);
    const baked = bakeSpectralNorm(w, 32, 32, 0.9);
    expect(baked.scale).toBeGreaterThan(1);
    expect(spectralNorm(baked.kernel, 32, 32).sigma).toBeCloseTo(0.9, 10);
    const small = w.map((v) => v * 0.01);
    const same = bakeSpectralNorm(small, 32, 32, 0.9);
    expect(same.scale).toBe(1);
    expect(Array.from(same.kernel)).toEqual(Array.from(small));
  });
});

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
