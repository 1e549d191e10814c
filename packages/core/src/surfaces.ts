/**
 * The quantities plotted over the two-moons grid (the tutorial's two panels), shared by the
 * report's figures and the web demo so both show exactly the same numbers.
 */

/** The two fields plotted per method over the grid. */
export interface GridSurfaces {
  /** p(class 0) per cell. */
  probability: Float32Array;
  /**
   * Predictive uncertainty per cell: p (1 - p) of class 0 for two classes (as the tutorial plots),
   * 1 - max_k p_k otherwise; divided by its maximum when `normalize` is set.
   */
  uncertainty: Float32Array;
}

/**
 * The largest value the (unnormalised) {@link GridSurfaces.uncertainty} can take for K classes,
 * the upper end of its colour scale: 0.25 for two classes (p (1 - p) at p = 0.5), else 1 - 1/K.
 * @param k - classes K (>= 2).
 * @returns the maximum.
 */
export function maxPlotUncertainty(k: number): number {
  return k === 2 ? 0.25 : 1 - 1 / k;
}

/**
 * The plotted fields from [N, K] probabilities. With `normalize`, the uncertainty is divided by its
 * maximum over the grid (the tutorial's "(Normalized)" panel); a model certain everywhere keeps zeros.
 * @param probs - probabilities over the grid points, row-major [N, K].
 * @param k - classes K.
 * @param options - `normalize`: divide the uncertainty by its maximum (default false).
 * @returns both fields, [N] each.
 */
export function gridSurfaces(
  probs: ArrayLike<number>,
  k: number,
  options: {
    /** Divide the uncertainty by its maximum over the grid (default false). */
    normalize?: boolean;
  } = {},
): GridSurfaces {
  const n = probs.length / k;
  const probability = new Float32Array(n);
  const uncertainty = new Float32Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) {
    const p0 = probs[i * k];
    probability[i] = p0;
    let u: number;
    if (k === 2) u = p0 * (1 - p0);
    else {
      let top = 0;
      for (let j = 0; j < k; j++) top = Math.max(top, probs[i * k + j]);
      u = 1 - top;
    }
    uncertainty[i] = u;
    max = Math.max(max, u);
  }
  if (options.normalize && max > 0) for (let i = 0; i < n; i++) uncertainty[i] /= max;
  return { probability, uncertainty };
}
