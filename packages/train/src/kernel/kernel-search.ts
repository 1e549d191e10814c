/**
 * The validation search of the `auto` kernel scale: try a few scales at or below the bandwidth
 * rule's (kernel-scale.ts) and keep the one whose random features predict the validation split best.
 *
 * Why: the bandwidth rule looks at neighbour distances only, so it has no term for "lots of data,
 * afford a narrower kernel": on Fashion-MNIST (24,000 training rows) it gives s = 3575, which trained
 * to 0.870 test accuracy where fixed s = 1000 / 300 gave 0.881 / 0.884, while a smaller factor costs
 * the small tables their calibration. SNGP's output layer is Bayesian linear regression on the
 * random features phi, so the proxy needs no training run: at initialisation, for each candidate s,
 * fit the ridge regression B = (ridge I + Phi^T Phi)^-1 Phi^T Y of one-hot labels on the features
 * of (a sample of) the training rows (the posterior mean with the layer's own prior) and score its
 * validation predictions phi B by squared error. Candidates are only ever narrower than the rule's
 * (so two moons, where the rule gives 1, is untouched), and one replaces the choice so far only on
 * strong evidence (a paired z > 3): the proxy sees the untrained network, and on small validation
 * splits its small gains did not survive training (wine: z 2.3 for s/3, test ECE 0.017 -> 0.032).
 * Fashion-MNIST: s/3 = 1192 at z 5.2, test accuracy 0.870 -> 0.883. See packages/train/README.md.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Dataset, cholesky, subset } from '@sngp/core';
import { sampleRows } from './kernel-scale.js';
import { mapChunks } from '../models/model.js';
import { precisionPass } from '../fitting/posterior.js';
import { scaledCos, scaledCosScalar } from '../layers/random-features.js';
import type { SngpClassifier } from '../models/sngp.js';

/** Candidate scales: the rule's s divided by these (floored at 1, duplicates dropped). */
export const SEARCH_DIVISORS: readonly number[] = [1, 3, 10, 30];

/** Training rows the search's regression is fitted on, at most (even stride). */
export const SEARCH_TRAIN_ROWS = 8192;

/**
 * A narrower candidate replaces the current choice only if its validation squared error is lower
 * by more than this many standard errors of the paired per-row differences (a one-sided z-test).
 * Measured, seed 0: Fashion-MNIST's s/3 (6,000 validation rows) z 5.2; wine's (18 rows) and
 * digits' (126) s/3 z 2.3, where taking it did not pay after training (wine's test ECE 0.017 ->
 * 0.032, digits' accuracy 0.989 -> 0.982): set after those runs, so 3 rather than the usual 2.
 */
export const SEARCH_MIN_Z = 3;

/** One candidate's validation score. */
export interface KernelCandidate {
  /** The kernel scale tried. */
  scale: number;
  /** Validation accuracy of argmax(phi B). */
  accuracy: number;
  /** Validation mean over rows of |phi B - onehot(y)|^2 (a Brier score of the regression). */
  squaredError: number;
  /**
   * Paired z statistic of its squared-error reduction against the choice so far (the wider
   * candidate it competed with): mean per-row reduction / its standard error; 0 for the first.
   */
  z: number;
}

/** What the search measured and chose. */
export interface KernelSearch {
  /** The candidates scored, widest first, with their scores (the search stops early, see {@link chooseCandidate}). */
  candidates: KernelCandidate[];
  /** The scale chosen. */
  scale: number;
  /** Training rows the regression was fitted on. */
  trainRows: number;
  /** Validation rows it was scored on. */
  validationRows: number;
  /** Wall time of the search, seconds (its network passes, precision passes and solves). */
  seconds: number;
}

/**
 * The candidate scales for a rule scale `s`: s / d for each of {@link SEARCH_DIVISORS}, floored
 * at 1, without duplicates, widest first.
 * @param s - the bandwidth rule's scale (>= 1).
 * @returns the candidates; just [s] when s = 1.
 */
export function searchCandidates(s: number): number[] {
  const out: number[] = [];
  for (const d of SEARCH_DIVISORS) {
    const c = Math.max(1, s / d);
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

/**
 * Ridge regression weights B = P^-1 (Phi^T Y), from P = ridge I + Phi^T Phi, in float64.
 * @param precision - P, row-major [m, m] (lower triangle read).
 * @param phiTY - Phi^T Y, row-major [m, k].
 * @param m - features.
 * @param k - outputs (classes).
 * @returns B, row-major [m, k].
 */
export function ridgeWeights(precision: ArrayLike<number>, phiTY: ArrayLike<number>, m: number, k: number): Float64Array {
  const { l } = cholesky(precision, m, 'kernel-search precision');
  const b = Float64Array.from(phiTY);
  // L z = Phi^T Y, then L^T B = z, all k columns at once.
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < i; j++) {
      const lij = l[i * m + j];
      if (lij !== 0) for (let c = 0; c < k; c++) b[i * k + c] -= lij * b[j * k + c];
    }
    for (let c = 0; c < k; c++) b[i * k + c] /= l[i * m + i];
  }
  for (let i = m - 1; i >= 0; i--) {
    for (let c = 0; c < k; c++) b[i * k + c] /= l[i * m + i];
    for (let j = 0; j < i; j++) {
      const lij = l[i * m + j];
      if (lij !== 0) for (let c = 0; c < k; c++) b[j * k + c] -= lij * b[i * k + c];
    }
  }
  return b;
}

/** {@link scoreRidge}'s result. */
export interface RidgeScore {
  /** Accuracy of the argmax. */
  accuracy: number;
  /** Mean over rows of |phi B - onehot(y)|^2. */
  squaredError: number;
  /** |phi B - onehot(y)|^2 per row. */
  rowErrors: Float64Array;
}

/**
 * Paired z statistic of how much lower `b`'s per-row errors are than `a`'s: mean(a - b) over its
 * standard error (sample standard deviation / sqrt(n)). +Infinity when b is lower on every row by
 * the same amount, 0 when they are identical.
 * @param a - per-row errors of the reference.
 * @param b - per-row errors of the challenger, same rows.
 * @returns the z statistic (positive: b is better).
 */
export function pairedZ(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n < 2) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += a[i] - b[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (a[i] - b[i] - mean) ** 2;
  const se = Math.sqrt(ss / (n - 1) / n);
  if (se === 0) return mean === 0 ? 0 : mean > 0 ? Infinity : -Infinity;
  return mean / se;
}

/**
 * Score predictions phi B of labelled rows: accuracy of the argmax and mean squared error against
 * the one-hot labels.
 * @param phi - features, row-major [n, m].
 * @param n - rows.
 * @param m - features.
 * @param weights - B, row-major [m, k].
 * @param labels - class per row, in [0, k).
 * @param k - classes.
 * @returns accuracy, mean squared error and the per-row squared errors.
 */
export function scoreRidge(
  phi: ArrayLike<number>,
  n: number,
  m: number,
  weights: ArrayLike<number>,
  labels: ArrayLike<number>,
  k: number,
): RidgeScore {
  let correct = 0;
  let se = 0;
  const rowErrors = new Float64Array(n);
  const out = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    out.fill(0);
    for (let a = 0; a < m; a++) {
      const v = phi[i * m + a];
      if (v !== 0) for (let c = 0; c < k; c++) out[c] += v * weights[a * k + c];
    }
    let best = 0;
    let e = 0;
    for (let c = 0; c < k; c++) {
      if (out[c] > out[best]) best = c;
      const t = out[c] - (c === labels[i] ? 1 : 0);
      e += t * t;
    }
    rowErrors[i] = e;
    se += e;
    if (best === labels[i]) correct++;
  }
  return { accuracy: n ? correct / n : NaN, squaredError: n ? se / n : NaN, rowErrors };
}

/**
 * Score candidates widest first and choose: the widest (the rule's scale) unless a narrower one's
 * per-row validation errors are lower than the current choice's with a paired z statistic above
 * {@link SEARCH_MIN_Z}. Stops at the first candidate that is worse by that much (narrowing further
 * only loses more: the error grows monotonically past its minimum), so it is not scored.
 * @param scales - candidate scales, widest first (non-empty).
 * @param score - scores one scale on the validation rows (called lazily, in order).
 * @returns the candidates scored, with their z statistics, and the chosen scale.
 */
export function chooseCandidate(
  scales: readonly number[],
  score: (scale: number) => RidgeScore,
): {
  /** The candidates scored, widest first, with their z statistics. */
  candidates: KernelCandidate[];
  /** The chosen scale. */
  scale: number;
} {
  let best: { scale: number } & RidgeScore = { scale: scales[0], ...score(scales[0]) };
  const candidates: KernelCandidate[] = [{ scale: best.scale, accuracy: best.accuracy, squaredError: best.squaredError, z: 0 }];
  for (const scale of scales.slice(1)) {
    const c = { scale, ...score(scale) };
    const z = pairedZ(best.rowErrors, c.rowErrors);
    candidates.push({ scale, accuracy: c.accuracy, squaredError: c.squaredError, z });
    if (z > SEARCH_MIN_Z) best = c;
    else if (z < -SEARCH_MIN_Z) break;
  }
  return { candidates, scale: best.scale };
}

/**
 * Run the search on a freshly initialised SNGP model (nothing is trained and no random stream is
 * drawn from, so the rest of the run is unchanged): GP inputs of up to {@link SEARCH_TRAIN_ROWS}
 * training rows (even stride) and of every validation row, one network pass each; per candidate
 * the precision and Phi^T Y over the training rows (the backend precision pass), the ridge
 * weights, and the validation score. Leaves the model's kernel scale at the chosen value.
 * @param model - the SNGP model at initialisation.
 * @param train - the training split (labelled).
 * @param validation - the validation split (labelled, at least one row).
 * @param ruleScale - the bandwidth rule's scale: the widest candidate.
 * @returns the candidates' scores and the choice.
 */
export function searchKernelScale(model: SngpClassifier, train: Dataset, validation: Dataset, ruleScale: number): KernelSearch {
  const t0 = performance.now();
  const { hiddenDim: h, numRandomFeatures: m, numClasses: k, ridge } = model.hp;
  const tr = subset(train, sampleRows(train.n, SEARCH_TRAIN_ROWS));
  const uTrain = model.gpInputUnscaled(tr.x, tr.n);
  const uVal = model.gpInputUnscaled(validation.x, validation.n);
  const labels = tr.y!;
  const fs = model.gp.featureScale;
  const score = (scale: number): RidgeScore => {
    const pre = (u: tf.Tensor2D): tf.Tensor2D => tf.add(tf.matMul(tf.mul(u, 1 / Math.sqrt(scale)), model.gp.rffKernel), model.gp.rffBias);
    const phiTY = new Float64Array(m * k);
    const precision = precisionPass(pre, (z) => scaledCosScalar(z, fs), uTrain, tr.n, h, m, ridge, {
      onFeatures: (blocks, bs, start, rows) => {
        const y = tf.oneHot(tf.tensor1d(labels.subarray(start, start + rows), 'int32'), k);
        blocks.forEach((b, j) => {
          const part = tf.matMul(tf.transpose(b), y).dataSync();
          for (let a = 0; a < part.length; a++) phiTY[j * bs * k + a] += part[a];
        });
      },
    });
    const weights = ridgeWeights(precision, phiTY, m, k);
    const phiVal = mapChunks(uVal, validation.n, h, m, (u) => scaledCos(pre(u), fs).value);
    return scoreRidge(phiVal, validation.n, m, weights, validation.y!, k);
  };
  const { candidates, scale } = chooseCandidate(searchCandidates(ruleScale), score);
  model.gp.kernelScale = scale;
  return { candidates, scale, trainRows: tr.n, validationRows: validation.n, seconds: (performance.now() - t0) / 1000 };
}
