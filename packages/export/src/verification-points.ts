/**
 * The points an exported model is checked on: the two-moons grid, test and OOD sets for 2-D
 * models, Gaussian points around the training data otherwise. Pure (no runtime), so export can
 * measure a low-rank posterior's error on them in a browser too.
 */
import { type CheckpointConfig, MOONS_DEFAULTS, type Method, Rng, twoMoons } from '@sngp/core';

/**
 * How many of the verification points to check: `full` (every point) or `sample` (a fixed,
 * representative subset: a lattice over the grid that keeps its edges and far corners, and every
 * 4th test and OOD row; ~800 of 11,500 two-moons points, every 4th of 2000 Gaussian points).
 */
export type VerificationCoverage = 'full' | 'sample';

/**
 * The coverage verification uses by default: `sample` for MC dropout and ensembles (their float64
 * reference runs T or E networks, ~25 s on all points at T = E = 10, and their float32 error is
 * systematic, so a subset with the extremes shows it), `full` for deterministic and SNGP (cheap, or
 * needed: the low-rank variance error is measured over every point).
 * @param method - the exported model's method.
 * @returns the coverage.
 */
export function defaultCoverage(method: Method): VerificationCoverage {
  return method === 'ensemble' || method === 'mc-dropout' ? 'sample' : 'full';
}

/** Every `step`-th index of 0..n-1, plus the last one. */
function strided(n: number, step: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i += step) out.push(i);
  if (out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}

/** Rows `rows` of a row-major [*, d] array. */
function pick(x: Float32Array, d: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(x.subarray(r * d, (r + 1) * d), i * d));
  return out;
}

/**
 * The default verification points: moons grid + test set + OOD cluster for 2-D models, else 2000 Gaussian
 * points spread 3 standard deviations around the training mean (in and beyond the training data).
 * @param config - the checkpoint's configuration (input width and standardisation).
 * @param seed - seed of the moons OOD cluster or the Gaussian points (default: the training seed).
 * @param coverage - every point (`full`, default) or the representative subset (`sample`, see
 *   {@link VerificationCoverage}).
 * @returns raw features [n, inputDim], the row count and a label for reports.
 */
export function verificationPoints(
  config: CheckpointConfig,
  seed = config.training.seed,
  coverage: VerificationCoverage = 'full',
): {
  /** Raw features, row-major [n, inputDim]. */
  x: Float32Array;
  /** Rows. */
  n: number;
  /** Describes the points in reports. */
  label: string;
} {
  const d = config.hyperParameters.inputDim;
  if (d === 2) {
    const { grid, test, ood } = twoMoons(seed);
    if (coverage === 'sample') {
      const size = MOONS_DEFAULTS.gridSize;
      const axis = strided(size, 5);
      const g = pick(grid.x, 2, axis.flatMap((i) => axis.map((j) => i * size + j)));
      const t = pick(test.x, 2, strided(test.n, 4));
      const o = pick(ood.x, 2, strided(ood.n, 4));
      const x = new Float32Array(g.length + t.length + o.length);
      x.set(g);
      x.set(t, g.length);
      x.set(o, g.length + t.length);
      return { x, n: x.length / 2, label: `two-moons sample: grid lattice (${g.length / 2}) + test (${t.length / 2}) + OOD (${o.length / 2})` };
    }
    const x = new Float32Array((grid.n + test.n + ood.n) * 2);
    x.set(grid.x);
    x.set(test.x, grid.n * 2);
    x.set(ood.x, (grid.n + test.n) * 2);
    return { x, n: grid.n + test.n + ood.n, label: `two-moons grid (${grid.n}) + test (${test.n}) + OOD (${ood.n})` };
  }
  // Spread over (and beyond) the training distribution: mean + 3 * std * z.
  const n = 2000;
  const s = config.standardization;
  const rng = new Rng(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n * d; i++) x[i] = (s ? s.mean[i % d] : 0) + 3 * (s ? s.std[i % d] : 1) * rng.normal();
  if (coverage === 'sample') {
    const rows = strided(n, 4);
    return { x: pick(x, d, rows), n: rows.length, label: `${rows.length} of ${n} Gaussian points (3 std around the training mean)` };
  }
  return { x, n, label: `${n} Gaussian points (3 std around the training mean)` };
}
