/**
 * The eigensolver and the low-rank posterior (pure math of @sngp/core, used by export): known
 * spectra, numpy as an independent oracle, and the proven truncation bounds on random precisions,
 * including the input that attains the relative bound.
 */
import { describe, expect, it } from 'vitest';
import {
  Rng,
  lowRankFactor,
  lowRankVariance,
  posteriorCovariance,
  posteriorSpectrum,
  precisionCholesky,
  rankForTolerance,
  symmetricEigen,
  truncationBound,
  varianceFromCholesky,
} from '@sngp/core';
import { choosePosterior } from '../src/index.js';
import { python, randn, randomCheckpoint, withEigenvalues } from './fixtures.js';

/** max |A v_k - lambda_k v_k| and max |V V^T - I|. */
function eigenResiduals(a: ArrayLike<number>, m: number, values: Float64Array, vectors: Float64Array): { residual: number; orthogonality: number } {
  let residual = 0;
  let orthogonality = 0;
  for (let k = 0; k < m; k++) {
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += a[i * m + j] * vectors[k * m + j];
      residual = Math.max(residual, Math.abs(s - values[k] * vectors[k * m + i]));
    }
    for (let l = 0; l <= k; l++) {
      let d = 0;
      for (let i = 0; i < m; i++) d += vectors[k * m + i] * vectors[l * m + i];
      orthogonality = Math.max(orthogonality, Math.abs(d - (k === l ? 1 : 0)));
    }
  }
  return { residual, orthogonality };
}

/** P = ridge I + Phi^T Phi of n random-feature rows of 2-D inputs (the shape of a trained precision). */
function rffPrecision(m: number, n: number, seed: number, ridge = 1): Float64Array {
  const rng = new Rng(seed);
  const w = Array.from({ length: m }, () => [rng.normal(), rng.normal(), 2 * Math.PI * rng.uniform()]);
  const p = new Float64Array(m * m);
  for (let i = 0; i < m; i++) p[i * m + i] = ridge;
  const phi = new Float64Array(m);
  for (let r = 0; r < n; r++) {
    const [x, y] = [rng.normal(), rng.normal()];
    for (let j = 0; j < m; j++) phi[j] = Math.sqrt(2 / m) * Math.cos(w[j][0] * x + w[j][1] * y + w[j][2]);
    for (let i = 0; i < m; i++) for (let j = 0; j <= i; j++) p[i * m + j] += phi[i] * phi[j];
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) p[j * m + i] = p[i * m + j];
  return p;
}

describe('symmetricEigen', () => {
  it('recovers a known spectrum (distinct, repeated, negative, zero), sorted descending, orthonormal', () => {
    const cases: number[][] = [
      [3, -1, 2, 0.5, 7, -4, 1e-9, 0],
      [2, 2, 2, 1, 1, 5, 5, 5, 5, 0.25], // clusters of equal eigenvalues
      Array.from({ length: 40 }, (_, i) => Math.exp(-i / 3)), // decaying, like a precision's
    ];
    cases.forEach((eig, c) => {
      const m = eig.length;
      const a = withEigenvalues(eig, 10 + c);
      const { values, vectors } = symmetricEigen(a, m);
      const sorted = [...eig].sort((p, q) => q - p);
      values.forEach((v, i) => expect(Math.abs(v - sorted[i]), `case ${c} eigenvalue ${i}`).toBeLessThan(1e-12 * Math.max(1, Math.abs(sorted[0]))));
      const { residual, orthogonality } = eigenResiduals(a, m, values, vectors);
      expect(residual).toBeLessThan(1e-12 * Math.max(...eig.map(Math.abs)));
      expect(orthogonality).toBeLessThan(1e-12);
    });
  });

  it('handles a diagonal matrix, the 2 x 2 closed form, 1 x 1, a zero matrix and reads only the lower triangle', () => {
    const diag = symmetricEigen(Float64Array.from([1, 0, 0, 0, 3, 0, 0, 0, 2]), 3);
    expect(Array.from(diag.values)).toEqual([3, 2, 1]);
    expect(Math.abs(diag.vectors[1])).toBe(1); // eigenvector of 3 is e_1
    // [[a, b], [b, c]]: (a + c) / 2 +- sqrt(((a - c) / 2)^2 + b^2); the upper triangle (999) is ignored.
    const two = symmetricEigen(Float64Array.from([2, 999, 1, -3]), 2);
    const mid = -0.5;
    const rad = Math.sqrt(2.5 ** 2 + 1);
    expect(two.values[0]).toBeCloseTo(mid + rad, 14);
    expect(two.values[1]).toBeCloseTo(mid - rad, 14);
    expect(Array.from(symmetricEigen([5], 1).values)).toEqual([5]);
    const zero = symmetricEigen(new Float64Array(16), 4);
    expect(Array.from(zero.values)).toEqual([0, 0, 0, 0]);
    expect(eigenResiduals(new Float64Array(16), 4, zero.values, zero.vectors).orthogonality).toBeLessThan(1e-15);
  });

  it('agrees with numpy.linalg.eigh (eigenvalues, and eigenvectors up to sign) on random and precision-like matrices', () => {
    const m = 120;
    const mats = { random: withEigenvalues(Array.from(randn(m, 3)), 4), precision: rffPrecision(m, 400, 5) };
    for (const [name, a] of Object.entries(mats)) {
      const r = python(
        'import sys, json, numpy as np\n' +
          `a = np.array(json.loads(sys.stdin.read())).reshape(${m}, ${m})\n` +
          'w, v = np.linalg.eigh(a)\n' +
          'o = np.argsort(w)[::-1]\n' +
          'print(json.dumps({"w": w[o].tolist(), "v": v[:, o].T.ravel().tolist()}))',
        [],
        JSON.stringify(Array.from(a)),
      );
      expect(r.status, r.stderr).toBe(0);
      const np = JSON.parse(r.stdout) as { w: number[]; v: number[] };
      const { values, vectors } = symmetricEigen(a, m);
      const scale = Math.max(...np.w.map(Math.abs));
      values.forEach((v, i) => expect(Math.abs(v - np.w[i]), `${name} eigenvalue ${i}`).toBeLessThan(1e-12 * scale));
      // Eigenvectors of well-separated eigenvalues are unique up to sign.
      for (let k = 0; k < m; k++) {
        const gap = Math.min(k > 0 ? np.w[k - 1] - np.w[k] : Infinity, k < m - 1 ? np.w[k] - np.w[k + 1] : Infinity);
        if (gap < 1e-6 * scale) continue;
        let dot = 0;
        for (let i = 0; i < m; i++) dot += vectors[k * m + i] * np.v[k * m + i];
        expect(Math.abs(Math.abs(dot) - 1), `${name} eigenvector ${k}`).toBeLessThan(1e-8);
      }
    }
  }, 60_000);

  it('refuses non-finite input and a wrong length', () => {
    expect(() => symmetricEigen([1, NaN, NaN, 1], 2, 'gp.precision')).toThrow(/gp.precision: non-finite value at \[0, 1\]/);
    expect(() => symmetricEigen([1, 2, 3], 2)).toThrow(/3 values, expected 2 x 2/);
  });
});

describe('low-rank posterior', () => {
  const m = 96;
  const ridge = 0.7;
  const precision = rffPrecision(m, 500, 21, ridge);
  const spectrum = posteriorSpectrum(precision, m, ridge);
  const { l } = precisionCholesky(precision, m, ridge);

  /** Random-feature vectors of points near and far from the data, plus each eigenvector (the worst cases). */
  function probes(): { phi: Float64Array; n: number } {
    const rng = new Rng(99);
    const w = Array.from({ length: m }, () => [rng.normal(), rng.normal(), 2 * Math.PI * rng.uniform()]);
    const rows: number[][] = [];
    for (let r = 0; r < 200; r++) {
      const [x, y] = [3 * rng.normal(), 3 * rng.normal()];
      rows.push(Array.from({ length: m }, (_, j) => Math.sqrt(2 / m) * Math.cos(w[j][0] * x + w[j][1] * y + w[j][2])));
    }
    for (let k = 0; k < m; k++) rows.push(Array.from(spectrum.vectors.subarray(k * m, (k + 1) * m)));
    return { phi: Float64Array.from(rows.flat()), n: rows.length };
  }

  it('d_k = lambda_k / (ridge + lambda_k) in [0, 1), descending; Sigma = I - V diag(d) V^T', () => {
    const { shrinkage, lambdas, vectors } = spectrum;
    for (let k = 0; k < m; k++) {
      expect(shrinkage[k]).toBeCloseTo(lambdas[k] / (ridge + lambdas[k]), 12);
      expect(shrinkage[k]).toBeLessThan(1);
      expect(shrinkage[k]).toBeGreaterThan(-1e-12);
      if (k > 0) expect(shrinkage[k]).toBeLessThanOrEqual(shrinkage[k - 1]);
    }
    const { covariance } = posteriorCovariance(precision, m, ridge);
    let err = 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        let s = i === j ? 1 : 0;
        for (let k = 0; k < m; k++) s -= shrinkage[k] * vectors[k * m + i] * vectors[k * m + j];
        err = Math.max(err, Math.abs(s - covariance[i * m + j]));
      }
    expect(err).toBeLessThan(1e-12);
  });

  it('full rank reproduces the full posterior variance; every rank errs upwards within its proven bounds', () => {
    const { phi, n } = probes();
    const full = varianceFromCholesky(phi, n, l, m, ridge);
    // Every direction with d > 0 (the rest are 0 up to rounding, ~1e-14): the full posterior.
    const positive = Array.from(spectrum.shrinkage).filter((v) => v > 0).length;
    expect(positive).toBeGreaterThan(m / 2);
    const exact = lowRankVariance(phi, n, lowRankFactor(spectrum, positive), m, positive);
    for (let i = 0; i < n; i++) expect(Math.abs(exact[i] - full[i])).toBeLessThan(1e-12);
    expect(() => lowRankFactor(spectrum, m)).toThrow(/keeps a direction with d = .* < 0/);
    expect(spectrum.shrinkage[40]).toBeGreaterThan(1e-8);
    for (const rank of [1, 5, 20, 40, 60, 90]) {
      const bound = truncationBound(spectrum.shrinkage, rank);
      const approx = lowRankVariance(phi, n, lowRankFactor(spectrum, rank), m, rank);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        let norm = 0;
        for (let j = 0; j < m; j++) norm += phi[i * m + j] ** 2;
        const err = approx[i] - full[i];
        expect(err, `rank ${rank} row ${i}`).toBeGreaterThan(-1e-13);
        expect(err).toBeLessThanOrEqual(bound.perSquaredNorm * norm + 1e-13);
        expect(err / full[i]).toBeLessThanOrEqual(bound.relative * (1 + 1e-9) + 1e-12);
        worst = Math.max(worst, err / full[i]);
      }
      // The relative bound is attained by phi = v_{r+1}: it is tight, not just true (where d_{r+1}
      // is above float64 rounding).
      if (spectrum.shrinkage[rank] > 1e-8) expect(worst / bound.relative, `rank ${rank}`).toBeGreaterThan(0.999);
    }
  });

  it('rankForTolerance picks the smallest rank that meets each tolerance', () => {
    const d = spectrum.shrinkage;
    let previous = 0;
    for (const tol of [0.5, 1e-1, 1e-2, 1e-3, 1e-4, 1e-6]) {
      const rank = rankForTolerance(d, tol)!;
      expect(rank).not.toBeNull();
      expect(truncationBound(d, rank).relative).toBeLessThanOrEqual(tol);
      if (rank > 1) expect(truncationBound(d, rank - 1).relative).toBeGreaterThan(tol);
      expect(rank).toBeGreaterThanOrEqual(previous);
      previous = rank;
    }
    // A tolerance of 0 needs every direction with d > 0.
    const positive = Array.from(d).filter((v) => v > 0).length;
    expect(rankForTolerance(d, 0)).toBe(d[m - 1] < 0 ? null : positive);
    expect(() => rankForTolerance(d, -1)).toThrow(/finite number >= 0/);
    expect(() => rankForTolerance(d, NaN)).toThrow(/finite number >= 0/);
  });

  it('an eigenvalue rounded below the ridge caps what low-rank can promise: auto falls back to full, low-rank refuses', () => {
    const eig = [ridge * (1 - 1e-6), ...Array.from({ length: 19 }, (_, i) => ridge + 5 / (i + 1))];
    const p = withEigenvalues(eig, 8);
    const d = posteriorSpectrum(p, 20, ridge).shrinkage;
    expect(d[19]).toBeLessThan(0);
    expect(rankForTolerance(d, 1e-8)).toBeNull();
    expect(truncationBound(d, 19).relative).toBeCloseTo(-d[19], 15);
    expect(choosePosterior(p, 20, ridge, { posterior: 'auto', varianceTolerance: 1e-8 }).kind).toBe('full');
    expect(() => choosePosterior(p, 20, ridge, { posterior: 'low-rank', varianceTolerance: 1e-8 })).toThrow(/no low-rank posterior meets the variance tolerance 1e-8.*--posterior full/);
    // A tolerance above the rounding is met with a low rank.
    const ok = choosePosterior(p, 20, ridge, { posterior: 'low-rank', varianceTolerance: 1e-2 });
    expect(ok.kind).toBe('low-rank');
    expect(ok.relativeErrorBound).toBeLessThanOrEqual(1e-2);
  });

  it('choosePosterior: auto keeps low-rank up to M/2 directions and full beyond; the bounds match the spectrum', () => {
    const d = spectrum.shrinkage;
    expect(choosePosterior(precision, m, ridge).requested).toBe('auto'); // the default
    const small = choosePosterior(precision, m, ridge, { posterior: 'auto', varianceTolerance: 1e-2 });
    expect(small.kind).toBe('low-rank');
    expect(small.rank).toBe(rankForTolerance(d, 1e-2));
    expect(small.relativeErrorBound).toBe(truncationBound(d, small.rank).relative);
    expect(small.absoluteErrorBound).toBe(2 * truncationBound(d, small.rank).perSquaredNorm);
    expect(small.factor!.length).toBe(m * small.rank);
    const needsMost = rankForTolerance(d, 1e-12)!;
    expect(needsMost).toBeGreaterThan(m / 2);
    const auto = choosePosterior(precision, m, ridge, { posterior: 'auto', varianceTolerance: 1e-12 });
    expect(auto.kind).toBe('full');
    expect(auto.rank).toBe(m);
    expect(auto.relativeErrorBound).toBe(0);
    const forced = choosePosterior(precision, m, ridge, { posterior: 'low-rank', varianceTolerance: 1e-12 });
    expect(forced.kind).toBe('low-rank');
    expect(forced.rank).toBe(needsMost);
    const full = choosePosterior(precision, m, ridge, { posterior: 'full' });
    expect(full.kind).toBe('full');
    expect(full.spectrum).toBeUndefined(); // no eigensolver for an explicit full
    expect(() => choosePosterior(precision, m, ridge, { posterior: 'auto', varianceTolerance: -1 })).toThrow(/variance tolerance must be a finite number >= 0/);
  });

  it('holds on the export fixtures: random-weight SNGP checkpoints of several sizes and ridges', () => {
    for (const [features, ridgeValue, seed] of [
      [32, 1, 1],
      [64, 0.5, 2],
      [128, 2, 3],
    ] as const) {
      const ckpt = randomCheckpoint('sngp', { hp: { numRandomFeatures: features, ridge: ridgeValue }, seed });
      const p = ckpt.tensors['gp.precision'].data;
      const sp = posteriorSpectrum(p, features, ridgeValue);
      const chol = precisionCholesky(p, features, ridgeValue).l;
      const rng = new Rng(seed);
      const n = 64;
      const phi = Float64Array.from({ length: n * features }, () => Math.sqrt(2 / features) * Math.cos(6 * rng.uniform()));
      const full = varianceFromCholesky(phi, n, chol, features, ridgeValue);
      for (const tol of [1e-1, 1e-2, 1e-3]) {
        const rank = rankForTolerance(sp.shrinkage, tol)!;
        const approx = lowRankVariance(phi, n, lowRankFactor(sp, rank), features, rank);
        for (let i = 0; i < n; i++) expect((approx[i] - full[i]) / full[i], `M=${features} tol=${tol}`).toBeLessThanOrEqual(tol + 1e-12);
      }
    }
  });
});
