import {
  type PosteriorSpectrum,
  SngpError,
  cholesky,
  covarianceFromCholesky,
  lowRankFactor,
  validatePrecision,
  validatedSpectrum,
  rankForTolerance,
  truncationBound,
} from '@sngp/core';

/*
 * Which form of the posterior covariance the SNGP graph carries. The math (Cholesky, eigensolver,
 * bounds) lives in @sngp/core's posterior module; this file decides between the forms.
 *
 * full:     variance = phi^T Sigma phi, an [M, M] matrix: M^2 multiply-adds per row.
 * low-rank: variance = |phi|^2 - |phi L|^2 with L = V_r diag(sqrt(d_r)) [M, r]: M r per row. Its
 *           error against the full posterior is proven: relative <= d_{r+1} / (1 - d_{r+1}) for any
 *           input, absolute <= d_{r+1} |phi|^2 <= 2 d_{r+1} (|phi|^2 <= 2 with the sqrt(2/M) scale).
 */

/** The posterior forms `sngp-export --posterior` accepts: `auto` picks one of the other two. */
export const POSTERIOR_CHOICES = ['auto', 'full', 'low-rank'] as const;
/** A {@link POSTERIOR_CHOICES} value. */
export type PosteriorChoice = (typeof POSTERIOR_CHOICES)[number];
/** The form of the posterior an exported graph carries. */
export type PosteriorKind = 'full' | 'low-rank';

/**
 * Default proven bound on the relative variance error of the low-rank posterior: half of the
 * verification budget (1e-3 relative against the float64 full posterior), leaving the other half
 * for float32 rounding, which measures ~1e-5 here. On the two-moons SNGP this keeps r = 122 of
 * 1024 directions (measured max error over grid, test and OOD: see packages/export/README.md).
 * Used by `auto` and `low-rank`.
 */
export const DEFAULT_VARIANCE_TOLERANCE = 5e-4;

/**
 * `auto` keeps the full posterior when the low-rank one would need more than this fraction of the
 * M directions: above it the low-rank graph saves little (its variance MatMul is M x r instead of
 * M x M, plus one more reduction) while it subtracts two float32 quantities instead of summing one.
 */
export const AUTO_MAX_RANK_FRACTION = 0.5;

/** |phi|^2 <= 2 for phi = sqrt(2/M) cos(.): the factor from a per-|phi|^2 bound to an absolute one. */
export const MAX_FEATURE_NORM_SQUARED = 2;

/** Options of {@link choosePosterior}. */
export interface PosteriorOptions {
  /** `auto` (default), `full` or `low-rank`. */
  posterior?: PosteriorChoice;
  /**
   * Largest relative variance error the low-rank posterior may have, proven (default
   * {@link DEFAULT_VARIANCE_TOLERANCE}): `auto` and `low-rank` keep the fewest directions whose
   * bound meets it. Ignored by `full`.
   */
  varianceTolerance?: number;
}

/** The posterior baked into an SNGP graph, with what is proven about its error. */
export interface GpPosterior {
  /** `full` or `low-rank`. */
  kind: PosteriorKind;
  /** What was asked for. */
  requested: PosteriorChoice;
  /** The relative tolerance the rank was chosen for (null for `full` requested explicitly). */
  tolerance: number | null;
  /** Directions kept: r for low-rank, M for full. */
  rank: number;
  /** Proven bound on |var - var_full| / var_full for every input (0 for full). */
  relativeErrorBound: number;
  /** Proven bound on |var - var_full| for every input: max_{k>r} |d_k| * max |phi|^2 (0 for full). */
  absoluteErrorBound: number;
  /** Full: Sigma = ridge * P^-1, float64 [M, M]. */
  covariance?: Float64Array;
  /** Low-rank: L = V_r diag(sqrt(d_r)), float64 [M, r]; Sigma ~ I - L L^T. */
  factor?: Float64Array;
  /**
   * The precision's spectrum when it was computed (`auto`, `low-rank`): d_k descending in
   * `shrinkage`; {@link lowRankFactor} re-truncates it at another rank without a second
   * eigendecomposition.
   */
  spectrum?: PosteriorSpectrum;
  /** Cholesky factor of P (float64 [M, M]): the full posterior, for the float64 reference. */
  choleskyFactor: Float64Array;
}

/**
 * Validate the precision and build the posterior form the graph will carry.
 * `auto`: low-rank with the smallest rank whose proven relative bound meets the tolerance, unless
 * that rank exceeds {@link AUTO_MAX_RANK_FRACTION} of M (or no rank meets it): then full.
 * `low-rank`: that rank, whatever it is (M keeps every direction). `full`: Sigma, no eigensolver.
 * @param precision - the stored precision P, row-major [m, m].
 * @param m - random features M.
 * @param ridge - the ridge s.
 * @param opts - the choice and the tolerance.
 * @param source - names the precision in error messages.
 * @returns the chosen posterior.
 * @throws SngpError if the precision is not one (see `validatePrecision` in @sngp/core), the
 *   tolerance is negative or not finite, or `low-rank` cannot meet it (rounding left an
 *   eigenvalue below the ridge by more than the tolerance: use `full`).
 */
export function choosePosterior(precision: ArrayLike<number>, m: number, ridge: number, opts: PosteriorOptions = {}, source = 'gp.precision'): GpPosterior {
  const requested = opts.posterior ?? 'auto';
  if (!(POSTERIOR_CHOICES as readonly string[]).includes(requested))
    throw new SngpError(`posterior must be one of ${POSTERIOR_CHOICES.join(', ')}, got ${JSON.stringify(requested)}`);
  const tolerance = opts.varianceTolerance ?? DEFAULT_VARIANCE_TOLERANCE;
  if (!(tolerance >= 0) || !Number.isFinite(tolerance))
    throw new SngpError(`variance tolerance must be a finite number >= 0 (a relative variance error, e.g. ${DEFAULT_VARIANCE_TOLERANCE}), got ${tolerance}`);
  // Validated once: the Cholesky factor and the spectrum are both of the symmetric average.
  const sym = validatePrecision(precision, m, ridge, source);
  const { l: choleskyFactor } = cholesky(sym, m, source);
  const full = (spectrum?: PosteriorSpectrum): GpPosterior => ({
    kind: 'full',
    requested,
    tolerance: requested === 'full' ? null : tolerance,
    rank: m,
    relativeErrorBound: 0,
    absoluteErrorBound: 0,
    covariance: covarianceFromCholesky(choleskyFactor, m, ridge),
    choleskyFactor,
    ...(spectrum ? { spectrum } : {}),
  });
  if (requested === 'full') return full();
  const spectrum = validatedSpectrum(sym, m, ridge, source);
  const rank = rankForTolerance(spectrum.shrinkage, tolerance);
  if (rank === null) {
    if (requested === 'auto') return full(spectrum);
    throw new SngpError(
      `${source}: no low-rank posterior meets the variance tolerance ${tolerance}: rounding left an eigenvalue ` +
        `${(-spectrum.lambdas[m - 1]).toExponential(2)} below the ridge; raise --variance-tolerance or use --posterior full`,
    );
  }
  if (requested === 'auto' && rank > AUTO_MAX_RANK_FRACTION * m) return full(spectrum);
  const bound = truncationBound(spectrum.shrinkage, rank);
  return {
    kind: 'low-rank',
    requested,
    tolerance,
    rank,
    relativeErrorBound: bound.relative,
    absoluteErrorBound: bound.perSquaredNorm * MAX_FEATURE_NORM_SQUARED,
    factor: lowRankFactor(spectrum, rank),
    spectrum,
    choleskyFactor,
  };
}
