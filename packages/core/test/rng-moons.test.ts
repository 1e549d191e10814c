import { describe, expect, it } from 'vitest';
import { MOONS_DEFAULTS, Rng, moonsGrid, twoMoons } from '../src/index.js';

describe('Rng', () => {
  it('reproduces a stream from a seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 100 }, () => a.uniform());
    expect(Array.from({ length: 100 }, () => b.uniform())).toEqual(sa);
    expect(Array.from({ length: 100 }, () => c.uniform())).not.toEqual(sa);
  });

  it('draws uniform in [0, 1) and standard normals with the right moments', () => {
    const r = new Rng(7);
    const n = 50_000;
    let su = 0, sn = 0, sn2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      su += u;
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(sn / n).toBeCloseTo(0, 1);
    expect(sn2 / n).toBeCloseTo(1, 1);
  });

  it('permutes without losing or duplicating elements', () => {
    const p = new Rng(1).permutation(1000);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...p]).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});

describe('two moons', () => {
  const s = twoMoons(0);

  it('has the tutorial sizes and balanced classes', () => {
    expect(s.train.n).toBe(1000);
    expect(s.test.n).toBe(1000);
    expect(s.grid.n).toBe(10_000);
    expect(s.ood.n).toBe(500);
    expect([...s.train.y!].filter((v) => v === 0).length).toBe(500);
  });

  it('applies the class shifts (class means match the shifted moon centroids)', () => {
    // Noise-free centroids: outer moon (0, 2/pi), inner moon (1, 0.5 - 2/pi); then the tutorial's shift.
    const mean = (c: number, j: number) => {
      let s0 = 0, k = 0;
      for (let i = 0; i < s.train.n; i++) if (s.train.y![i] === c) { s0 += s.train.x[2 * i + j]; k++; }
      return s0 / k;
    };
    expect(mean(0, 0)).toBeCloseTo(-0.1, 1);
    expect(mean(0, 1)).toBeCloseTo(2 / Math.PI + 0.2, 1);
    expect(mean(1, 0)).toBeCloseTo(1.1, 1);
    expect(mean(1, 1)).toBeCloseTo(0.5 - 2 / Math.PI - 0.2, 1);
  });

  it('draws the held-out test set with another seed, and is reproducible', () => {
    expect([...s.test.x]).not.toEqual([...s.train.x]);
    expect([...twoMoons(0).train.x]).toEqual([...s.train.x]);
  });

  it('spans the grid corners like numpy meshgrid (x fastest)', () => {
    const g = moonsGrid();
    expect([g.x[0], g.x[1]]).toEqual([-3.5, -2.5]);
    expect(g.x[2]).toBeCloseTo(-3.5 + 7 / 99, 5);
    expect(g.x[2 * 9999]).toBeCloseTo(3.5, 5);
    expect(g.x[2 * 9999 + 1]).toBeCloseTo(2.5, 5);
  });

  it('places the OOD cluster at (2.5, -1.75) with std 0.1', () => {
    let mx = 0, my = 0, vx = 0;
    for (let i = 0; i < s.ood.n; i++) { mx += s.ood.x[2 * i]; my += s.ood.x[2 * i + 1]; }
    mx /= s.ood.n; my /= s.ood.n;
    for (let i = 0; i < s.ood.n; i++) vx += (s.ood.x[2 * i] - mx) ** 2;
    expect(mx).toBeCloseTo(MOONS_DEFAULTS.oodMean[0], 1);
    expect(my).toBeCloseTo(MOONS_DEFAULTS.oodMean[1], 1);
    expect(Math.sqrt(vx / s.ood.n)).toBeCloseTo(0.1, 1);
  });
});
