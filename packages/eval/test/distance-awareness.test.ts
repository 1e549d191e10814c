/**
 * Distance awareness (issue #12's two-moons acceptance): the Spearman correlation between a
 * model's uncertainty on the 100 x 100 grid and the distance to the nearest training point. The
 * math on small hand-checked inputs, then the main job's trained models (the suite's fixture).
 */
import { type Dataset, SngpError } from '@sngp/core';
import { describe, expect, it } from 'vitest';
import { moonsData } from '../src/data.js';
import { DISTANCE_AWARENESS_TARGET, distanceAwareness, midranks, nearestDistances, spearman } from '../src/distance-awareness.js';
import { loadEvalModel } from '../src/load.js';
import { pipelineModel } from './helpers.js';

const points = (rows: number[][]): Dataset => ({
  x: Float32Array.from(rows.flat()),
  n: rows.length,
  d: rows[0].length,
  featureNames: rows[0].map((_, i) => `x${i}`),
  classes: [],
});

describe('rank correlation', () => {
  it('gives tied values their average rank', () => {
    expect(Array.from(midranks([10, 20, 20, 5, 20]))).toEqual([2, 4, 4, 1, 4]);
  });

  it('is 1 for any increasing relation, -1 for a decreasing one, and ignores NaN pairs', () => {
    const x = [0.1, 0.5, 2, 3, 7, 40];
    expect(spearman(x, x.map((v) => Math.exp(v / 10)))).toBeCloseTo(1, 12);
    expect(spearman(x, x.map((v) => -Math.log(v)))).toBeCloseTo(-1, 12);
    expect(spearman([...x, NaN], [...x.map((v) => v * v), 0])).toBeCloseTo(1, 12);
  });

  it('matches the textbook value with ties and is NaN without variation', () => {
    // ranks a = 1, 2.5, 2.5, 4 and b = 2, 1, 4, 3, both of mean 2.5: deviations (-1.5, 0, 0, 1.5)
    // and (-0.5, -1.5, 1.5, 0.5), so Pearson = 1.5 / sqrt(4.5 * 5).
    expect(spearman([1, 2, 2, 3], [20, 10, 40, 30])).toBeCloseTo(1.5 / Math.sqrt(4.5 * 5), 12);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(spearman([1], [1])).toBeNaN();
    expect(() => spearman([1, 2], [1])).toThrow(SngpError);
  });
});

describe('distance to the training data', () => {
  it('is the Euclidean distance to the nearest training point', () => {
    const d = nearestDistances([0, 0, 3, 4, -1, 0], 3, [0, 1, 3, 0], 2, 2);
    expect(Array.from(d)).toEqual([1, 4, Math.SQRT2]);
    expect(() => nearestDistances([0, 0], 1, [], 0, 2)).toThrow(/no training points/);
    expect(() => nearestDistances([0, 0], 1, [0], 1, 2)).toThrow(SngpError);
  });

  it('rewards an uncertainty that grows with the distance and penalises one that shrinks', () => {
    const train = points([[0, 0], [1, 0]]);
    const grid = points(Array.from({ length: 50 }, (_, i) => [(i % 10) - 4, Math.floor(i / 10) - 2]));
    const dist = nearestDistances(grid.x, grid.n, train.x, train.n, 2);
    const aware = distanceAwareness({ logNonMax: dist.map((v) => Math.log(v + 1) - 5), entropy: dist.map((v) => 1 - Math.exp(-v)), variance: dist.map((v) => v * v) }, grid, train);
    expect(aware.score).toBe('logNonMax');
    expect(aware.points).toBe(50);
    expect(aware.spearman).toBeCloseTo(1, 12);
    expect(aware.byScore.variance).toBeCloseTo(1, 12);
    // A network that is most confident far away (the deterministic failure).
    const blind = distanceAwareness({ logNonMax: dist.map((v) => -v), entropy: dist.map((v) => Math.exp(-v)) }, grid, train);
    expect(blind.spearman).toBeCloseTo(-1, 12);
    expect(blind.byScore.variance).toBeUndefined();
    expect(() => distanceAwareness({ logNonMax: new Float64Array(3), entropy: new Float64Array(3) }, grid, train)).toThrow(/3 logNonMax scores for 50 grid points/);
    expect(() => distanceAwareness({ logNonMax: dist, entropy: dist }, grid, points([[0, 0, 0]]))).toThrow(/grid has 2 features, training points 3/);
  });
});

describe('the main job models on two moons', () => {
  it(`SNGP's uncertainty on the grid follows the distance to the data (Spearman >= ${DISTANCE_AWARENESS_TARGET}); the deterministic model's does not`, async () => {
    const data = moonsData();
    const result: Record<string, ReturnType<typeof distanceAwareness>> = {};
    for (const method of ['sngp', 'deterministic']) {
      const model = await loadEvalModel(pipelineModel(method), 'cpu', () => {});
      try {
        const g = await model.predict(data.grid!.dataset.x, { seed: 0 });
        result[method] = distanceAwareness(g.scores, data.grid!.dataset, data.train!);
      } finally {
        await model.dispose();
      }
    }
    expect(result.sngp.points).toBe(100 * 100);
    expect(result.sngp.byScore.variance!).toBeGreaterThanOrEqual(DISTANCE_AWARENESS_TARGET);
    expect(result.sngp.spearman).toBeGreaterThanOrEqual(DISTANCE_AWARENESS_TARGET);
    expect(result.deterministic.spearman).toBeLessThan(0.5);
    expect(result.sngp.spearman).toBeGreaterThan(result.deterministic.spearman);
  });
});
