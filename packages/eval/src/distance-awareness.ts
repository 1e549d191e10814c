/**
 * Distance awareness: does a model's uncertainty grow with the distance from its training data?
 * Measured as the Spearman rank correlation, over the points of a grid (two moons: the 100 x 100
 * plotting grid), between the model's uncertainty score at a point and the Euclidean distance from
 * that point to its nearest training point. SNGP's claim is a correlation near 1 (uncertain exactly
 * where it has seen nothing); a deterministic network is confident far from the data, so its
 * correlation is low or negative. Ranks, not values: only the ordering matters, so any monotone
 * score (variance, log(1 - max p), entropy) can be compared, and ties get their average rank.
 */
import { DEFAULT_UNCERTAINTY_SCORE, type Dataset, SngpError, type UncertaintyScoreName, type UncertaintyScores } from '@sngp/core';

/** The acceptance level for SNGP on two moons: Spearman >= 0.8. */
export const DISTANCE_AWARENESS_TARGET = 0.8;

/** Distance awareness of one model on one grid. */
export interface DistanceAwareness {
  /** Grid points scored (rows with a NaN score are left out). */
  points: number;
  /** The score behind `spearman`: core's DEFAULT_UNCERTAINTY_SCORE (`logNonMax`). */
  score: UncertaintyScoreName;
  /** Spearman correlation of the default score with the distance to the nearest training point. */
  spearman: number;
  /** The same correlation for every score the model has (SNGP: also `variance`). */
  byScore: Partial<Record<UncertaintyScoreName, number>>;
}

/**
 * Euclidean distance from each point to its nearest reference point (brute force: fine for a
 * 10,000-point grid against ~1,000 training rows).
 * @param points - row-major [n, d].
 * @param n - points.
 * @param reference - row-major [m, d], m >= 1.
 * @param m - reference points.
 * @param d - features per point.
 * @returns the n distances.
 * @throws SngpError if there are no reference points or an array is shorter than its shape says.
 */
export function nearestDistances(points: ArrayLike<number>, n: number, reference: ArrayLike<number>, m: number, d: number): Float64Array {
  if (m < 1) throw new SngpError('distance awareness: no training points to measure distances to');
  if (points.length < n * d || reference.length < m * d)
    throw new SngpError(`distance awareness: expected ${n} x ${d} points and ${m} x ${d} training points, got ${points.length} and ${reference.length} values`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) {
        const t = points[i * d + c] - reference[j * d + c];
        s += t * t;
      }
      if (s < best) best = s;
    }
    out[i] = Math.sqrt(best);
  }
  return out;
}

/**
 * 1-based ranks with ties sharing their average rank (midranks).
 * @param v - values, none NaN.
 * @returns the rank of each value.
 */
export function midranks(v: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((a, b) => (v[a] < v[b] ? -1 : v[a] > v[b] ? 1 : 0));
  const r = new Float64Array(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]] === v[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) r[idx[t]] = avg;
    i = j + 1;
  }
  return r;
}

/**
 * Spearman's rank correlation: the Pearson correlation of the midranks. Pairs with a NaN on either
 * side are left out.
 * @param a - first values.
 * @param b - second values, same length.
 * @returns the correlation in [-1, 1]; NaN with fewer than two pairs or when one side is constant.
 * @throws SngpError if the lengths differ.
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new SngpError(`spearman: ${a.length} values against ${b.length}`);
  const keep: number[] = [];
  for (let i = 0; i < a.length; i++) if (!Number.isNaN(a[i]) && !Number.isNaN(b[i])) keep.push(i);
  if (keep.length < 2) return NaN;
  const ra = midranks(keep.map((i) => a[i]));
  const rb = midranks(keep.map((i) => b[i]));
  const mean = (keep.length + 1) / 2; // the mean of midranks is always (n + 1) / 2
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < keep.length; i++) {
    const x = ra[i] - mean;
    const y = rb[i] - mean;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

/**
 * Distance awareness of a model on a grid: Spearman correlation of each of its uncertainty scores
 * with the distance from the grid point to the nearest training point.
 * @param scores - the runtime's tie-free scores of the grid points (higher = less certain).
 * @param grid - the grid points [n, d] (labels not used).
 * @param train - the training points [m, d] the model was fitted on.
 * @returns the default score's correlation and every score's.
 * @throws SngpError if the grid and the training points differ in width or the scores in length.
 */
export function distanceAwareness(scores: UncertaintyScores, grid: Dataset, train: Dataset): DistanceAwareness {
  if (grid.d !== train.d) throw new SngpError(`distance awareness: grid has ${grid.d} features, training points ${train.d}`);
  const dist = nearestDistances(grid.x, grid.n, train.x, train.n, grid.d);
  const byScore: DistanceAwareness['byScore'] = {};
  for (const [name, values] of Object.entries(scores) as [UncertaintyScoreName, Float64Array | undefined][]) {
    if (!values) continue;
    if (values.length !== grid.n) throw new SngpError(`distance awareness: ${values.length} ${name} scores for ${grid.n} grid points`);
    byScore[name] = spearman(values, dist);
  }
  const main = scores[DEFAULT_UNCERTAINTY_SCORE] ?? new Float64Array(0);
  let points = 0;
  for (let i = 0; i < main.length; i++) if (!Number.isNaN(main[i])) points++;
  return { points, score: DEFAULT_UNCERTAINTY_SCORE, spearman: byScore[DEFAULT_UNCERTAINTY_SCORE] ?? NaN, byScore };
}
