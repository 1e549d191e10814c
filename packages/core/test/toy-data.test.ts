import { describe, expect, it } from 'vitest';
import { MOONS_DEFAULTS, Rng, SngpError, TOY_DATA_DEFAULTS, TOY_DATA_SETS, makeCircles, makeMoons, makeSpirals, makeToyData } from '../src/index.js';

const radius = (x: Float32Array, i: number): number => Math.hypot(x[2 * i], x[2 * i + 1]);

describe('toy data sets', () => {
  it('circles: class 0 on the outer circle, class 1 on the inner one (no noise)', () => {
    const ds = makeCircles(201, 0, new Rng(1));
    const { circlesOuterRadius: r, circlesFactor: f } = TOY_DATA_DEFAULTS;
    const counts = [0, 0];
    for (let i = 0; i < ds.n; i++) {
      counts[ds.y![i]]++;
      expect(radius(ds.x, i)).toBeCloseTo(ds.y![i] === 0 ? r : f * r, 5);
    }
    expect(counts).toEqual([100, 101]);
  });

  it('spirals: class 1 is class 0 turned by half a turn (no noise)', () => {
    const ds = makeSpirals(100, 0, new Rng(2));
    const arm0: [number, number][] = [];
    const arm1: [number, number][] = [];
    for (let i = 0; i < ds.n; i++) (ds.y![i] === 0 ? arm0 : arm1).push([ds.x[2 * i], ds.x[2 * i + 1]]);
    expect(arm0).toHaveLength(50);
    expect(arm1).toHaveLength(50);
    for (const [x, y] of arm1) expect(arm0.some(([u, v]) => Math.abs(u + x) < 1e-5 && Math.abs(v + y) < 1e-5)).toBe(true);
    const radii = Array.from({ length: ds.n }, (_, i) => radius(ds.x, i));
    expect(Math.max(...radii)).toBeCloseTo(TOY_DATA_DEFAULTS.spiralsRadius, 5);
    expect(Math.min(...radii)).toBeCloseTo(TOY_DATA_DEFAULTS.spiralsRadius * TOY_DATA_DEFAULTS.spiralsStart, 5);
  });

  it('every set is seeded, shuffled, noisy as asked and inside the plotting window', () => {
    for (const name of TOY_DATA_SETS) {
      const a = makeToyData(name, 300, 0.1, new Rng(5));
      const b = makeToyData(name, 300, 0.1, new Rng(5));
      const c = makeToyData(name, 300, 0.1, new Rng(6));
      expect(a.n).toBe(300);
      expect(a.d).toBe(2);
      expect(a.classes).toEqual(['0', '1']);
      expect(Array.from(a.x)).toEqual(Array.from(b.x));
      expect(Array.from(a.x)).not.toEqual(Array.from(c.x));
      // Shuffled: the labels are not in two blocks.
      let changes = 0;
      for (let i = 1; i < a.n; i++) if (a.y![i] !== a.y![i - 1]) changes++;
      expect(changes).toBeGreaterThan(50);
      for (let i = 0; i < a.n; i++) {
        expect(a.x[2 * i]).toBeGreaterThan(MOONS_DEFAULTS.gridX[0]);
        expect(a.x[2 * i]).toBeLessThan(MOONS_DEFAULTS.gridX[1]);
        expect(a.x[2 * i + 1]).toBeGreaterThan(MOONS_DEFAULTS.gridY[0]);
        expect(a.x[2 * i + 1]).toBeLessThan(MOONS_DEFAULTS.gridY[1]);
      }
      // The noise is the asked standard deviation: compare with the noiseless draw of the same seed.
      const clean = makeToyData(name, 300, 0, new Rng(5));
      let ss = 0;
      for (let i = 0; i < a.x.length; i++) ss += (a.x[i] - clean.x[i]) ** 2;
      expect(Math.sqrt(ss / a.x.length)).toBeGreaterThan(0.085);
      expect(Math.sqrt(ss / a.x.length)).toBeLessThan(0.115);
    }
  });

  it('moons by name is makeMoons', () => {
    expect(Array.from(makeToyData('moons', 50, 0.2, new Rng(3)).x)).toEqual(Array.from(makeMoons(50, 0.2, new Rng(3)).x));
  });

  it('rejects an unknown name, a bad size or noise with an SngpError', () => {
    expect(() => makeToyData('blobs' as 'moons', 100, 0.1, new Rng(0))).toThrow(SngpError);
    expect(() => makeToyData('circles', 1, 0.1, new Rng(0))).toThrow(/integer >= 2/);
    expect(() => makeToyData('circles', 10.5, 0.1, new Rng(0))).toThrow(SngpError);
    expect(() => makeToyData('spirals', 100, -0.1, new Rng(0))).toThrow(/noise/);
    expect(() => makeToyData('spirals', 100, Number.NaN, new Rng(0))).toThrow(SngpError);
  });
});
