/**
 * The `--gp-kernel-scale auto` rule: pick the random-feature kernel's length-scale from the data.
 *
 * The RFF layer approximates an RBF kernel exp(-|u - u'|^2 / (2 ell^2)) with ell = sqrt(scale).
 * With the tutorial's scale 1 that suits two moons, whose 1,000 training rows lie ~0.17 apart in
 * the hidden space, but on a table of a few hundred rows in 13-64 dimensions neighbouring rows are
 * 8-20 apart: cos(u W_rf + b_rf) of a test row is then nearly independent of every training row's,
 * and the GP either does not learn at all or memorises the training rows and falls back to its
 * prior (logits ~ 0) on the test rows: low accuracy and under-confidence.
 *
 * Rule (a bandwidth rule on nearest-neighbour distances, not on all pairs): ell = NEIGHBOUR_FACTOR
 * x the median, over sampled training rows, of the distance from a row to its nearest other row
 * (GP input at initialisation); scale = max(1, ell^2). A test row in the data's support lies about
 * one neighbour distance from the training rows, so at ell = 3 such distances the kernel still
 * correlates it with them (exp(-1/18) ~ 0.95) while rows many neighbour distances away fall back to
 * the prior (distance awareness). The median pairwise distance cannot make this choice: it is ~7
 * on two moons, which needs ell ~ 1, and ~19 on wine, which needs ell ~ 20-30; the neighbour
 * distances (0.17 vs 8.3) separate them. The max keeps the tutorial's kernel wherever the data fits
 * it (never narrower than the reference). See packages/train/README.md for the measurements.
 *
 * The rule has no term for the amount of data: with many rows a narrower kernel pays (Fashion-MNIST,
 * 24,000 rows: s = 3575 here, while fixed s = 300-1000 trained more accurately), and a smaller
 * factor would cost the small tables their calibration. So when the run has a validation split,
 * this scale is only the widest candidate of a validation search over narrower ones
 * (kernel-search.ts); without one (moons, `--validation-split 0`) it is used as is.
 */

/** Rows sampled for the distances (pairs: ~500k). */
export const AUTO_SCALE_ROWS = 1000;

/**
 * ell = NEIGHBOUR_FACTOR x median nearest-neighbour distance. Measured with 100 epochs, lr 1e-3,
 * batch 32 (seed 0, see packages/train/README.md): on wine (median neighbour distance ~8.3) test
 * accuracy rose from 0.82 at ell 1.7 to 0.95-1.0 at ell 10-32, on breast cancer (~8.2) from 0.95 at
 * ell 3 to 0.98 at ell 32-55; two moons (~0.17) keeps scale 1 for any factor below ~6.
 */
export const NEIGHBOUR_FACTOR = 3;

/** What the auto rule measured and chose. */
export interface AutoKernelScale {
  /** The kernel scale s = max(1, ell^2). */
  scale: number;
  /** Median over the sampled rows of the distance to the nearest other (distinct) sampled row. */
  neighbourDistance: number;
  /** Median pairwise Euclidean distance of the sampled GP inputs (reported, not used by the rule). */
  medianDistance: number;
  /** Rows sampled. */
  rows: number;
}

/** Median of the values (sorts its argument); NaN when empty. */
function median(v: Float64Array): number {
  if (v.length === 0) return NaN;
  v.sort();
  const h = v.length >> 1;
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}

/**
 * Rows to sample: every row when n <= max, else `max` rows at an even stride (deterministic and
 * draws nothing from the run's random streams, so the rest of the run is unchanged).
 * @param n - rows available.
 * @param max - at most this many (default {@link AUTO_SCALE_ROWS}).
 * @returns row indices.
 */
export function sampleRows(n: number, max = AUTO_SCALE_ROWS): Int32Array {
  const r = Math.min(n, max);
  const idx = new Int32Array(r);
  for (let i = 0; i < r; i++) idx[i] = Math.floor((i * n) / r);
  return idx;
}

/**
 * The auto kernel scale of GP inputs `u` [n, h] (already sampled): ell = `factor` x the median
 * nearest-neighbour distance, scale = max(1, ell^2). Duplicate rows (distance 0) are not anyone's
 * neighbour, so repeated rows cannot shrink the kernel to nothing; rows with no distinct neighbour
 * are left out of the median.
 * @param u - row-major GP inputs before the kernel scale.
 * @param n - rows (fewer than 2 distinct rows gives scale 1).
 * @param h - width.
 * @param factor - ell / median neighbour distance (default {@link NEIGHBOUR_FACTOR}).
 * @returns the scale and the distances it was computed from.
 */
export function autoKernelScale(u: ArrayLike<number>, n: number, h: number, factor = NEIGHBOUR_FACTOR): AutoKernelScale {
  if (n < 2) return { scale: 1, neighbourDistance: 0, medianDistance: 0, rows: n };
  const d = new Float64Array((n * (n - 1)) / 2);
  const nearest = new Float64Array(n).fill(Infinity);
  let p = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let c = 0; c < h; c++) {
        const t = u[i * h + c] - u[j * h + c];
        s += t * t;
      }
      const dist = Math.sqrt(s);
      d[p++] = dist;
      if (dist > 0) {
        if (dist < nearest[i]) nearest[i] = dist;
        if (dist < nearest[j]) nearest[j] = dist;
      }
    }
  const neighbourDistance = median(nearest.filter(Number.isFinite)) || 0;
  const medianDistance = median(d);
  const ell = factor * neighbourDistance;
  return { scale: Math.max(1, ell * ell), neighbourDistance, medianDistance, rows: n };
}
