/**
 * Post-hoc calibration of SNGP's predictive distribution on held-out rows:
 * p = softmax(logits / (T * sqrt(1 + lambda * var))), with the mean-field factor lambda in [0, 10] and
 * the temperature T in [0.5, 1] chosen to minimise the held-out NLL. The variance is the Laplace posterior's
 * ridge * phi^T P^-1 phi, in float64 from the precision's Cholesky factor (@sngp/core).
 *
 * Search: for a fixed lambda the NLL is convex in 1/T, so T is found by golden-section on log T;
 * lambda by a log grid (plus lambda = 0) and golden-section between the best grid point's
 * neighbours. Both are cheap: N K operations per NLL evaluation.
 *
 * Constraint (distance awareness): held-out rows are in-domain, and on near-separable data (two
 * moons) pure NLL keeps sharpening (T -> 0, lambda -> 0), which made the far corners confident
 * again (p(class 0) 0.82 / 0.03 instead of ~0.5). So the fit may sharpen in-domain predictions but
 * never far from the data: at the prior variance v0 = ridge (what var(x) tends to away from the
 * training data) the total divisor T sqrt(1 + lambda v0) is kept >= sqrt(1 + lambda0 v0), i.e.
 * lambda >= ((1 + lambda0 v0) / T^2 - 1) / v0.
 */
import { ece, meanFieldLogProbs, meanLogSoftmax, nll } from '@sngp/core';

/** Result of {@link fitCalibration}. */
export interface CalibrationFit {
  /** Fitted mean-field factor lambda (>= 0). */
  meanFieldFactor: number;
  /** Fitted temperature T (> 0). */
  temperature: number;
  /** Held-out NLL with the initial lambda and T = 1. */
  nllBefore: number;
  /** Held-out NLL with the fitted lambda and T (never above nllBefore). */
  nllAfter: number;
  /** Held-out ECE (15 bins) before. */
  eceBefore: number;
  /** Held-out ECE (15 bins) after. */
  eceAfter: number;
  /** The search bounds the fit ended at (e.g. "temperature at its lower bound 0.5"); empty when none. */
  atBound: string[];
}

/** Bounds a fitted log-value ended at (within 1e-3 of either end), as phrases for the summary. */
function boundsHit(name: string, logV: number, range: readonly [number, number]): string[] {
  if (Math.abs(logV - Math.log(range[0])) < 1e-3) return [`${name} at its lower bound ${range[0]}`];
  if (Math.abs(logV - Math.log(range[1])) < 1e-3) return [`${name} at its upper bound ${range[1]}`];
  return [];
}

/**
 * Calibrated probabilities softmax(logits / (T sqrt(1 + lambda var))) (float64; lambda < 0: no
 * variance term, as the runtime).
 * @param logits - row-major [n, K].
 * @param variance - [n], >= 0.
 * @param k - classes K.
 * @param lambda - mean-field factor.
 * @param t - temperature.
 * @returns probabilities, row-major [n, K].
 */
export function calibratedProbs(logits: ArrayLike<number>, variance: ArrayLike<number>, k: number, lambda: number, t: number): Float64Array {
  return meanFieldLogProbs(logits, variance, k, lambda, t).map(Math.exp);
}

/** Mean NLL of the labels under the calibrated probabilities. */
function nllOf(logits: ArrayLike<number>, variance: ArrayLike<number>, labels: ArrayLike<number>, k: number, lambda: number, t: number): number {
  const logp = meanFieldLogProbs(logits, variance, k, lambda, t);
  let total = 0;
  for (let i = 0; i < labels.length; i++) total -= logp[i * k + labels[i]];
  return total / labels.length;
}

/** Minimise f on [a, b] by golden-section search (f unimodal there). */
function golden(f: (x: number) => number, a: number, b: number, iterations = 40): { x: number; fx: number } {
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < iterations; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return fc < fd ? { x: c, fx: fc } : { x: d, fx: fd };
}

/**
 * log T range searched: T in [0.5, 1].
 * - Below: a fit that wants T far below 1 says the logits themselves are too small (train longer),
 *   and a tiny T would amplify every float32 difference between execution providers (CPU vs
 *   WebGPU) by 1/T in the probabilities. It binds where the validation split is separated
 *   perfectly (two moons, wine, breast cancer: any T -> 0 lowers that NLL); tried 0.1 with the data
 *   recipe: T went to 0.1 and lambda to 138 on wine and breast cancer, no better on their test sets.
 *   The summary says when the bound is hit.
 * - Above: the temperature may sharpen but never soften. Softening is lambda's job, which divides
 *   each row's logits by sqrt(1 + lambda var), so it softens where the posterior variance says
 *   the model is far from its data. A uniform T > 1 was fitted to the few misclassified rows of a
 *   small validation split (breast cancer, 80 rows: T = 1.44, lambda 9.3) and tripled the test
 *   ECE (0.010 -> 0.036); with T <= 1 the same split gave 0.015. See packages/train/README.md.
 */
const TEMPERATURE_RANGE = [0.5, 1] as const;
const LOG_T = [Math.log(TEMPERATURE_RANGE[0]), Math.log(TEMPERATURE_RANGE[1])] as const;
/** lambda grid: 0 and 1e-3 .. 10 in quarter decades. */
const LAMBDA_GRID = [0, ...Array.from({ length: 17 }, (_, i) => 10 ** (-3 + i / 4))];

/**
 * Fit lambda and T by minimising the NLL of held-out rows.
 * @param logits - SNGP logits of the rows, row-major [n, K].
 * @param variance - their posterior variances [n] (ridge * phi^T P^-1 phi).
 * @param labels - their classes [n].
 * @param k - classes K.
 * @param lambda0 - the mean-field factor before calibration (the "before" figures use it with T = 1).
 * @param priorVariance - the variance far from the data (the ridge s), where the calibrated
 *   divisor T sqrt(1 + lambda s) may not fall below the uncalibrated sqrt(1 + lambda0 s).
 * @returns the fitted lambda and T with NLL / ECE before and after.
 */
export function fitCalibration(
  logits: ArrayLike<number>,
  variance: ArrayLike<number>,
  labels: ArrayLike<number>,
  k: number,
  lambda0: number,
  priorVariance = 1,
): CalibrationFit {
  const v0 = priorVariance;
  const floor = (lambda: number, t: number) => Math.max(lambda, ((1 + Math.max(lambda0, 0) * v0) / (t * t) - 1) / v0);
  const f = (lambda: number, logT: number) => nllOf(logits, variance, labels, k, floor(lambda, Math.exp(logT)), Math.exp(logT));
  const bestT = (lambda: number) => golden((x) => f(lambda, x), LOG_T[0], LOG_T[1]);
  let best = { lambda: LAMBDA_GRID[0], logT: 0, v: Infinity, i: 0 };
  LAMBDA_GRID.forEach((lambda, i) => {
    const r = bestT(lambda);
    if (r.fx < best.v) best = { lambda, logT: r.x, v: r.fx, i };
  });
  // Refine log lambda between the best grid point's neighbours (not at lambda = 0: the grid's
  // next point is 1e-3, already below anything that changes a probability visibly).
  if (best.i > 0) {
    const lo = Math.log(LAMBDA_GRID[Math.max(1, best.i - 1)]);
    const hi = Math.log(LAMBDA_GRID[Math.min(LAMBDA_GRID.length - 1, best.i + 1)]);
    const r = golden((x) => bestT(Math.exp(x)).fx, lo, hi, 30);
    if (r.fx < best.v) {
      const lambda = Math.exp(r.x);
      const t = bestT(lambda);
      best = { lambda, logT: t.x, v: t.fx, i: best.i };
    }
  }
  best.lambda = floor(best.lambda, Math.exp(best.logT));
  const nllBefore = f(lambda0, 0);
  const before = calibratedProbs(logits, variance, k, lambda0, 1);
  // Calibration must never make the held-out NLL worse than where it started.
  const keep = nllBefore <= best.v;
  const lambda = keep ? Math.max(lambda0, 0) : best.lambda;
  const temperature = keep ? 1 : Math.exp(best.logT);
  const after = calibratedProbs(logits, variance, k, lambda, temperature);
  return {
    meanFieldFactor: lambda,
    temperature,
    nllBefore: nll(before, labels, k),
    nllAfter: nll(after, labels, k),
    eceBefore: ece(before, labels, k),
    eceAfter: ece(after, labels, k),
    atBound: keep ? [] : [...boundsHit('temperature', best.logT, TEMPERATURE_RANGE), ...(lambda >= LAMBDA_GRID[LAMBDA_GRID.length - 1] - 1e-9 ? [`mean-field factor at its upper bound ${LAMBDA_GRID[LAMBDA_GRID.length - 1]}`] : [])],
  };
}

/**
 * Temperature range of the baselines: wide enough not to bind on a trained model (a fit at a
 * bound says the model is off: under-trained or badly over-fitted), narrow enough that 1 / T
 * cannot amplify float32 differences between execution providers without limit.
 */
export const BASELINE_TEMPERATURE_RANGE = [0.1, 10] as const;

/** Mean over S samples of softmax(logits / T) as probabilities [n, K] (float64). */
function temperedProbs(sampleLogits: Float32Array, s: number, k: number, t: number): Float64Array {
  return meanLogSoftmax(t === 1 ? sampleLogits : sampleLogits.map((v) => v / t), s, k).map(Math.exp);
}

/**
 * Fit the temperature T of a baseline by minimising the NLL of held-out rows under
 * p = mean_s softmax(logits_s / T) (S = 1 for the deterministic net; MC samples or ensemble
 * members otherwise): golden-section on log T over {@link BASELINE_TEMPERATURE_RANGE}. Kept at 1
 * when that is no worse.
 * @param sampleLogits - logits [S, n, K], row-major.
 * @param samples - S.
 * @param labels - the rows' classes [n].
 * @param k - classes K.
 * @returns T with NLL / ECE before (T = 1) and after.
 */
export function fitTemperature(sampleLogits: Float32Array, samples: number, labels: ArrayLike<number>, k: number): Omit<CalibrationFit, 'meanFieldFactor'> {
  const nllAt = (logT: number): number => nll(temperedProbs(sampleLogits, samples, k, Math.exp(logT)), labels, k);
  const range = BASELINE_TEMPERATURE_RANGE;
  const fit = golden(nllAt, Math.log(range[0]), Math.log(range[1]));
  const before = temperedProbs(sampleLogits, samples, k, 1);
  const nllBefore = nll(before, labels, k);
  const keep = nllBefore <= fit.fx;
  const temperature = keep ? 1 : Math.exp(fit.x);
  const after = keep ? before : temperedProbs(sampleLogits, samples, k, temperature);
  return {
    temperature,
    nllBefore,
    nllAfter: nll(after, labels, k),
    eceBefore: ece(before, labels, k),
    eceAfter: ece(after, labels, k),
    atBound: keep ? [] : boundsHit('temperature', fit.x, range),
  };
}
