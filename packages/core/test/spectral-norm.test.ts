import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Rng, bakeSpectralNorm, spectralNorm } from '../src/index.js';

function randn(n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: n }, () => r.normal());
}

const python = (script: string, args: string[]): string =>
  execFileSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8' });

describe('spectral norm', () => {
  it('matches numpy largest singular value, including nearly equal top singular values', () => {
    const h = 48;
    const w = randn(h * 40, 1); // non-square [48, 40]
    // A matrix with sigma1 and sigma2 within 1e-4: plain power iteration converges slowly here.
    const close = new Float64Array(h * h);
    for (let i = 0; i < h; i++) close[i * h + i] = i === 0 ? 2 : i === 1 ? 1.9999 : 1 / (i + 1);
    const out = python(
      `import sys, json, numpy as np
a = np.array(json.loads(sys.argv[1])).reshape(48, 40); b = np.array(json.loads(sys.argv[2])).reshape(48, 48)
print(json.dumps([float(np.linalg.norm(a, 2)), float(np.linalg.norm(b, 2))]))`,
      [JSON.stringify(Array.from(w)), JSON.stringify(Array.from(close))],
    );
    const [s1, s2] = JSON.parse(out) as number[];
    const a = spectralNorm(w, h, 40);
    // The returned vector is the top eigenvector of W^T W: |W v| = sigma.
    let wv = 0;
    for (let r0 = 0; r0 < h; r0++) { let s = 0; for (let c = 0; c < 40; c++) s += w[r0 * 40 + c] * a.vector[c]; wv += s * s; }
    expect(Math.sqrt(wv)).toBeCloseTo(a.sigma, 8);
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

