/**
 * The `--gp-kernel-scale auto` rule: pick the random-feature kernel's length-scale from the data.
 *
 * With kernel scale 1 (the tutorial) the RFF kernel has length-scale 1. That suits two moons, whose
 * hidden features lie within a few units of each other, but the hidden features of a wide table
 * are spread much further (their distances grow like sqrt(width)), so cos(u W_rf + b_rf) of any
 * two training rows is nearly independent and the GP layer cannot learn. The median heuristic
 * measures that spread: ell = median pairwise distance of the GP input at initialisation divided
 * by MEDIAN_DIVISOR, and scale = max(1, ell^2); the max keeps the tutorial's kernel wherever the
 * data fits it (never narrower than the reference).
 */

/** Rows sampled for the median distance (pairs: ~500k). */
export const AUTO_SCALE_ROWS = 1000;

/**
 * ell = median distance / MEDIAN_DIVISOR. Measured at initialisation (width 128, depth 6, no
 * layer-norm): two moons' median distance is 7.1-8.0 over seeds 0-3, where the tutorial's ell = 1
 * works, so the divisor must exceed ~8 for moons to keep scale 1; the 5-class digits table's is
 * ~29.6 (ell ~ 3, scale ~ 9 at divisor 10), where scale 1 stays at chance and scales 9-16 learn.
 * See packages/train/README.md.
 */
export const MEDIAN_DIVISOR = 10;

/**
 * The divisor after layer-normalisation (--gp-normalize-input): every row then has norm ~sqrt(H),
 * pairwise distances are ~sqrt(2H) whatever the data, and the length-scale that learned on digits
 * was ~sqrt(H) (divisor 10 gave scale ~1.3 there and stayed at chance). Moons' scale-1 constraint
 * does not apply: layer-norm is not the tutorial's model.
 */
export const MEDIAN_DIVISOR_NORMALIZED = 1;

/** What the auto rule measured and chose. */
export interface AutoKernelScale {
  /** The kernel scale s = max(1, ell^2). */
  scale: number;
  /** Median pairwise Euclidean distance of the sampled GP inputs. */
  medianDistance: number;
  /** Rows sampled. */
  rows: number;
}

/** Median of the values (sorts its argument). */
function median(v: Float64Array): number {
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
 * The median heuristic on GP inputs `u` [n, h] (already sampled).
 * @param u - row-major GP inputs before the kernel scale.
 * @param n - rows (>= 2 for a distance; fewer gives scale 1).
 * @param h - width.
 * @param divisor - ell = median / divisor ({@link MEDIAN_DIVISOR}, or {@link MEDIAN_DIVISOR_NORMALIZED} after layer-norm).
 * @returns the scale max(1, (median / MEDIAN_DIVISOR)^2) and what it was computed from.
 */
export function autoKernelScale(u: ArrayLike<number>, n: number, h: number, divisor = MEDIAN_DIVISOR): AutoKernelScale {
  if (n < 2) return { scale: 1, medianDistance: 0, rows: n };
  const d = new Float64Array((n * (n - 1)) / 2);
  let p = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let c = 0; c < h; c++) {
        const t = u[i * h + c] - u[j * h + c];
        s += t * t;
      }
      d[p++] = Math.sqrt(s);
    }
  const medianDistance = median(d);
  const ell = medianDistance / divisor;
  return { scale: Math.max(1, ell * ell), medianDistance, rows: n };
}
