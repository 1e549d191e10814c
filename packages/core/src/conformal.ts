/**
 * Split-conformal prediction sets (pure math). A nonconformity score s(x, y) says how badly class y
 * fits row x; on n held-out labelled rows the score of the true class is ranked, and the
 * finite-sample quantile q (the r-th smallest, r = ceil((n + 1)(1 - alpha))) makes the set
 * {y : s(x, y) <= q} contain the true class of a new exchangeable row with probability at least
 * 1 - alpha; on average exactly r / (n + 1) when scores have no ties.
 *
 * LAC is deterministic. APS / RAPS can be `randomized` (the standard form, MAPIE's and
 * torch-uncertainty's): the true class contributes U * p_y instead of all of p_y, which breaks the
 * ties non-randomized APS has (in a binary problem every misclassified row's true class scores exactly
 * 1), so coverage is r / (n + 1) on average instead of anything up to 1. U is not drawn: it is a hash
 * of the row's float32 features ({@link rowUniforms}), so the same row gets the same set on every
 * platform, and a row's U does not depend on its batch.
 * A class is in the set exactly when its score is <= q, so sets can be empty (LAC: no class
 * reaches probability 1 - q; APS / RAPS: the top class alone has more mass than q). Sets are
 * computed from float64 log-probabilities (the runtime's, which keep confident rows apart).
 */
import { z } from 'zod';
import { SngpError } from './errors.js';
import { Rng } from './rng.js';

/**
 * The nonconformity scores (MAPIE's and torch-uncertainty's definitions, non-randomized):
 * - `lac`: 1 - p_y (Sadinle et al.'s least ambiguous set-valued classifier).
 * - `aps`: the probability mass of the classes ranked at or above y (most probable first; ties by
 *   lower class index), Romano et al.'s adaptive prediction sets.
 * - `raps`: aps + lambda * max(0, rank(y) - kReg) with rank 1-based (Angelopoulos et al.'s
 *   regularised APS, which keeps sets small by penalising classes ranked below kReg).
 */
export const CONFORMAL_SCORES = ['lac', 'aps', 'raps'] as const;
/** One of {@link CONFORMAL_SCORES}. */
export type ConformalScoreName = (typeof CONFORMAL_SCORES)[number];

/** RAPS's defaults when not given: no penalty on the top class (kReg 1), lambda 0.01. */
export const RAPS_DEFAULTS = {
  /** Unpenalised ranks. */
  kReg: 1,
  /** Penalty per rank beyond kReg. */
  lambda: 0.01,
} as const;

/** The default miscoverage alpha: sets cover the true class of 90% of in-domain rows. */
export const DEFAULT_CONFORMAL_ALPHA = 0.1;

/** A score and its parameters (RAPS only: kReg and lambda). */
export interface ConformalScore {
  /** The score; see {@link CONFORMAL_SCORES}. */
  score: ConformalScoreName;
  /** RAPS: classes ranked 1..kReg carry no penalty (an integer >= 0). */
  kReg?: number;
  /** RAPS: the penalty per rank beyond kReg (a finite number >= 0). */
  lambda?: number;
  /** APS / RAPS: count U * p_y of the class itself, U from {@link rowUniforms} (default false). */
  randomized?: boolean;
}

/**
 * The zod schema of {@link ConformalRule} (the model card's `sngp.conformal`): alpha in (0, 1), a
 * known score (RAPS with kReg and lambda), a finite quantile, n >= 1 calibration rows with enough
 * rows for alpha (r = ceil((n + 1)(1 - alpha)) <= n), and where the rows came from.
 */
export const conformalRuleSchema = z
  .object({
    /** Miscoverage: sets cover with probability >= 1 - alpha. */
    alpha: z.number().gt(0).lt(1),
    /** The nonconformity score. */
    score: z.enum(CONFORMAL_SCORES),
    /** RAPS only: unpenalised ranks. */
    kReg: z.number().int().min(0).optional(),
    /** RAPS only: penalty per rank beyond kReg. */
    lambda: z.number().min(0).optional(),
    /** APS / RAPS only: the randomized score, U per row from a hash of its features. */
    randomized: z.boolean().optional(),
    /** The calibrated threshold q on the score: class y is in the set iff s(x, y) <= q. */
    quantile: z.number(),
    /** Calibration rows. */
    n: z.number().int().min(1),
    /** Where the calibration rows came from (a file name, "moons-validation", ...). */
    source: z.string().min(1),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.score === 'raps' && (r.kReg === undefined || r.lambda === undefined))
      ctx.addIssue({ code: 'custom', path: ['kReg'], message: 'RAPS needs kReg and lambda' });
    if (r.score !== 'raps' && (r.kReg !== undefined || r.lambda !== undefined))
      ctx.addIssue({ code: 'custom', path: ['kReg'], message: `kReg and lambda belong to RAPS only, not ${r.score}` });
    if (r.score === 'lac' && r.randomized !== undefined)
      ctx.addIssue({ code: 'custom', path: ['randomized'], message: 'randomized belongs to APS and RAPS only, not lac' });
    if (conformalRank(r.n, r.alpha) > r.n)
      ctx.addIssue({ code: 'custom', path: ['n'], message: `${r.n} rows are too few for alpha ${r.alpha} (need at least ${minCalibrationRows(r.alpha)})` });
  });

/**
 * A calibrated conformal rule: what the model card carries as `sngp.conformal`.
 * @interface
 */
export type ConformalRule = z.infer<typeof conformalRuleSchema>;

/**
 * The rank r = ceil((n + 1)(1 - alpha)) of the conformal quantile among n sorted scores. A tiny
 * slack absorbs float error in (n + 1)(1 - alpha) (e.g. 100 * 0.9 = 90.00000000000001).
 * @param n - calibration rows.
 * @param alpha - miscoverage in (0, 1).
 * @returns r, 1-based; r > n means no finite quantile exists (the set is every class).
 */
export function conformalRank(n: number, alpha: number): number {
  return Math.ceil((n + 1) * (1 - alpha) - 1e-9);
}

/**
 * The fewest calibration rows with a finite quantile for alpha: the smallest n with
 * ceil((n + 1)(1 - alpha)) <= n (e.g. 9 for alpha 0.1, 19 for 0.05).
 * @param alpha - miscoverage in (0, 1).
 * @returns that n.
 */
export function minCalibrationRows(alpha: number): number {
  let n = Math.max(1, Math.floor(1 / alpha) - 2);
  while (conformalRank(n, alpha) > n) n++;
  return n;
}

/** The finite-sample conformal quantile and what it promises. */
export interface ConformalQuantile {
  /** The r-th smallest score; Infinity when r > n (too few rows: the set is every class). */
  quantile: number;
  /** r = ceil((n + 1)(1 - alpha)), 1-based. */
  rank: number;
  /** Scores given. */
  n: number;
  /**
   * The mean coverage of exchangeable rows without score ties: min(r, n + 1) / (n + 1) (>= 1 - alpha;
   * 1 when r > n).
   */
  expectedCoverage: number;
}

/**
 * The split-conformal quantile of the true-class scores of n calibration rows.
 * @param scores - s(x_i, y_i) of each calibration row, finite numbers.
 * @param alpha - miscoverage in (0, 1).
 * @returns the quantile, its rank and the expected coverage; when r > n the quantile is Infinity
 *   (every class is in every set) and callers that need a finite rule should ask for at least
 *   {@link minCalibrationRows} rows.
 * @throws SngpError if alpha is not in (0, 1), there are no scores, or a score is not finite.
 */
export function conformalQuantile(scores: ArrayLike<number>, alpha: number): ConformalQuantile {
  if (!(alpha > 0 && alpha < 1)) throw new SngpError(`conformal alpha must be in (0, 1), got ${alpha}`);
  const n = scores.length;
  if (n === 0) throw new SngpError('conformal calibration needs at least 1 labelled row, got 0');
  const sorted = Float64Array.from(scores).sort();
  const bad = sorted.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new SngpError(`conformal calibration score is not finite: ${sorted[bad]}`);
  const rank = conformalRank(n, alpha);
  return {
    quantile: rank > n ? Infinity : sorted[rank - 1],
    rank,
    n,
    expectedCoverage: Math.min(rank, n + 1) / (n + 1),
  };
}

/**
 * The score of every class of every row, [N, K] row-major, from float64 log-probabilities.
 * LAC is -expm1(log p), and for the top class the other classes' summed p (tie-free when
 * log p_top rounds to 0); APS is 1 minus the mass ranked below the class, so
 * the last-ranked class scores exactly 1. A row with a NaN log-probability scores NaN everywhere.
 * @param logProbs - log-probabilities, row-major [N, K].
 * @param k - classes K.
 * @param score - the score and (RAPS) its parameters; missing RAPS parameters take {@link RAPS_DEFAULTS}.
 * @param uniforms - randomized APS / RAPS: each row's U in (0, 1) ({@link rowUniforms}).
 * @returns the scores, float64.
 * @throws SngpError if a randomized score gets no (or too few) uniforms.
 */
export function classScores(logProbs: ArrayLike<number>, k: number, score: ConformalScore, uniforms?: ArrayLike<number>): Float64Array {
  const n = logProbs.length / k;
  const randomized = score.score !== 'lac' && score.randomized === true;
  if (randomized && (!uniforms || uniforms.length !== n))
    throw new SngpError(`conformal: the randomized ${score.score} score needs one uniform per row (${n}), got ${uniforms ? uniforms.length : 'none'}`);
  const out = new Float64Array(logProbs.length);
  if (score.score === 'lac') {
    for (let i = 0; i < n; i++) {
      const o = i * k;
      let top = 0;
      let rest = 0;
      for (let j = 0; j < k; j++) {
        out[o + j] = -Math.expm1(logProbs[o + j]);
        if (logProbs[o + j] > logProbs[o + top]) top = j;
      }
      // The top class's 1 - p as the sum of the others' p: log p_top rounds to 0 past a logit gap of ~36.
      for (let j = 0; j < k; j++) if (j !== top) rest += Math.exp(logProbs[o + j]);
      out[o + top] = rest;
    }
    return out;
  }
  const kReg = score.kReg ?? RAPS_DEFAULTS.kReg;
  const lambda = score.score === 'raps' ? (score.lambda ?? RAPS_DEFAULTS.lambda) : 0;
  const order = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    for (let j = 0; j < k; j++) order[j] = j;
    // Most probable first; equal probabilities by lower class index (a stable, platform-free order).
    order.sort((a, b) => logProbs[o + b] - logProbs[o + a] || a - b);
    let below = 0; // mass of the classes ranked below, summed from the least probable up (exact small sums)
    for (let r = k - 1; r >= 0; r--) {
      const j = order[r];
      const p = Math.exp(logProbs[o + j]);
      // Mass at or above the class, or (randomized) the mass above it plus U * p.
      out[o + j] = 1 - below - (randomized ? (1 - uniforms![i]) * p : 0) + lambda * Math.max(0, r + 1 - kReg);
      below += p;
    }
    if (Number.isNaN(below)) out.fill(NaN, o, o + k);
  }
  return out;
}

/**
 * The score of each row's true class.
 * @param logProbs - log-probabilities, row-major [N, K].
 * @param k - classes K.
 * @param labels - the true class index of each row, [N], in [0, K).
 * @param score - the score.
 * @param uniforms - randomized APS / RAPS: each row's U ({@link rowUniforms}).
 * @returns s(x_i, y_i) [N], float64.
 * @throws SngpError if the label count is not N or a label is out of range.
 */
export function trueClassScores(logProbs: ArrayLike<number>, k: number, labels: ArrayLike<number>, score: ConformalScore, uniforms?: ArrayLike<number>): Float64Array {
  const n = logProbs.length / k;
  checkLabels(labels, n, k);
  const all = classScores(logProbs, k, score, uniforms);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = all[i * k + labels[i]];
  return out;
}

function checkLabels(labels: ArrayLike<number>, n: number, k: number): void {
  if (labels.length !== n) throw new SngpError(`conformal: ${labels.length} labels for ${n} rows`);
  for (let i = 0; i < n; i++)
    if (!(Number.isInteger(labels[i]) && labels[i] >= 0 && labels[i] < k))
      throw new SngpError(`conformal: label of row ${i} must be a class index in [0, ${k}), got ${labels[i]}`);
}

/**
 * Calibrate a conformal rule on held-out labelled rows.
 * @param logProbs - the model's float64 log-probabilities of the calibration rows, [N, K].
 * @param k - classes K.
 * @param labels - true class indices [N].
 * @param options - alpha (default {@link DEFAULT_CONFORMAL_ALPHA}), score (RAPS parameters default
 *   to {@link RAPS_DEFAULTS}) and the rows' source for the card.
 * @returns the rule, ready for the model card.
 * @throws SngpError for bad labels or alpha, a non-finite score (a row the model could not
 *   predict), or fewer rows than {@link minCalibrationRows} (no finite quantile exists).
 */
export function calibrateConformal(
  logProbs: ArrayLike<number>,
  k: number,
  labels: ArrayLike<number>,
  options: ConformalScore & {
    /** Miscoverage in (0, 1). */
    alpha?: number;
    /** Where the rows came from. */
    source: string;
    /** Randomized APS / RAPS: each row's U ({@link rowUniforms} of its features). */
    uniforms?: ArrayLike<number>;
  },
): ConformalRule {
  const alpha = options.alpha ?? DEFAULT_CONFORMAL_ALPHA;
  const score = scoreOf(options);
  const q = conformalQuantile(trueClassScores(logProbs, k, labels, score, options.uniforms), alpha);
  if (q.rank > q.n)
    throw new SngpError(
      `conformal calibration: ${q.n} rows are too few for alpha ${alpha} (ceil((n + 1)(1 - alpha)) = ${q.rank} > n); ` +
        `give at least ${minCalibrationRows(alpha)} rows or a larger alpha`,
    );
  return { alpha, ...score, quantile: q.quantile, n: q.n, source: options.source };
}

/** The score part of a rule, with RAPS's defaults filled in and nothing else. */
function scoreOf(s: ConformalScore): ConformalScore {
  const randomized = s.randomized ? { randomized: true } : {};
  if (s.score === 'lac') return { score: 'lac' };
  if (s.score === 'aps') return { score: 'aps', ...randomized };
  return { score: 'raps', kReg: s.kReg ?? RAPS_DEFAULTS.kReg, lambda: s.lambda ?? RAPS_DEFAULTS.lambda, ...randomized };
}

/**
 * Each row's U in (0, 1) for the randomized scores: a 32-bit hash (murmur3's mixing) of the row's
 * float32 feature bits. Reproducible on every platform and independent of the batch a row is in;
 * rows with the same features share a U (they are the same input).
 * @param x - features, row-major [N, d] float32 (what the model is fed).
 * @param d - features per row.
 * @returns [N] uniforms, float64.
 */
export function rowUniforms(x: Float32Array, d: number): Float64Array {
  const n = d > 0 ? x.length / d : 0;
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let h = 0x9747b28c ^ d;
    for (let j = i * d; j < (i + 1) * d; j++) {
      let w = Math.imul(bits[j], 0xcc9e2d51);
      w = Math.imul((w << 15) | (w >>> 17), 0x1b873593);
      h ^= w;
      h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    out[i] = ((h >>> 0) + 0.5) / 4294967296;
  }
  return out;
}

/** Prediction sets of N rows in fixed-shape form (tensors a server can send as they are). */
export interface PredictionSets {
  /** [N * K] row-major, 1 where class j is in row i's set. */
  mask: Uint8Array;
  /** [N] classes in each set (0 for a row with NaN log-probabilities). */
  size: Int32Array;
}

/**
 * The conformal prediction set of every row: class j is in row i's set iff s(x_i, j) <= quantile.
 * @param logProbs - log-probabilities [N, K] (float64 for tie-free sets; the calibration's kind).
 * @param k - classes K.
 * @param rule - the score and its quantile (e.g. a {@link ConformalRule}).
 * @param uniforms - randomized APS / RAPS: each row's U ({@link rowUniforms}).
 * @returns the membership mask and sizes; a row with NaN log-probabilities gets an empty set.
 */
export function predictionSets(logProbs: ArrayLike<number>, k: number, rule: ConformalScore & { quantile: number }, uniforms?: ArrayLike<number>): PredictionSets {
  const scores = classScores(logProbs, k, rule, uniforms);
  const n = scores.length / k;
  const mask = new Uint8Array(scores.length);
  const size = new Int32Array(n);
  for (let i = 0; i < scores.length; i++)
    if (scores[i] <= rule.quantile) {
      mask[i] = 1;
      size[Math.floor(i / k)]++;
    }
  return { mask, size };
}

/** One row's prediction set as lists. */
export interface PredictionSetList {
  /** Class indices in the set, ascending. */
  classes: number[];
  /** Their names. */
  labels: string[];
}

/**
 * The sets as lists of class indices and labels (for people and JSON).
 * @param sets - fixed-shape sets of N rows.
 * @param classes - the K class names.
 * @returns per row the class indices (ascending) and their names.
 */
export function setLists(sets: PredictionSets, classes: readonly string[]): PredictionSetList[] {
  const k = classes.length;
  return Array.from(sets.size, (_, i) => {
    const idx: number[] = [];
    for (let j = 0; j < k; j++) if (sets.mask[i * k + j]) idx.push(j);
    return { classes: idx, labels: idx.map((j) => classes[j]) };
  });
}

/**
 * Empirical coverage and mean size of prediction sets against true labels.
 * @param sets - the sets of N rows.
 * @param labels - true class indices [N].
 * @param rows - optional subset of row indices to score (default every row).
 * @returns the fraction of rows whose set holds the true class, and the mean set size.
 * @throws SngpError for bad labels or an empty subset.
 */
export function setCoverage(
  sets: PredictionSets,
  labels: ArrayLike<number>,
  rows?: ArrayLike<number>,
): {
  /** Fraction of rows whose set holds the true class. */
  coverage: number;
  /** Mean set size. */
  meanSize: number;
} {
  const n = sets.size.length;
  const k = sets.mask.length / n;
  checkLabels(labels, n, k);
  const m = rows ? rows.length : n;
  if (m === 0) throw new SngpError('conformal coverage: no rows to score');
  let covered = 0;
  let size = 0;
  for (let t = 0; t < m; t++) {
    const i = rows ? rows[t] : t;
    covered += sets.mask[i * k + labels[i]];
    size += sets.size[i];
  }
  return { coverage: covered / m, meanSize: size / m };
}

/** Coverage and set size of split-conformal sets over many random calibration / test splits. */
export interface SplitCoverage {
  /** Calibration rows per split. */
  calibrationRows: number;
  /** Test rows per split. */
  testRows: number;
  /** ceil((n + 1)(1 - alpha)) / (n + 1): the mean coverage exchangeable rows get. */
  expected: number;
  /** Mean test coverage over the splits. */
  meanCoverage: number;
  /** Standard deviation of a split's coverage. */
  sdCoverage: number;
  /** Lowest and highest split coverage. */
  minCoverage: number;
  /** Highest split coverage. */
  maxCoverage: number;
  /** Mean set size over the splits' test rows. */
  meanSize: number;
  /** Each split's coverage, in split order. */
  coverages: Float64Array;
}

/**
 * The coverage guarantee checked empirically: split N labelled rows at random into calibration
 * (the first `calibrationRows` of a permutation) and test, calibrate the quantile on one part and
 * measure coverage and set size on the other, `splits` times. The model's log-probabilities are
 * computed once; only the split changes.
 * @param logProbs - float64 log-probabilities of the N rows, [N, K].
 * @param k - classes K.
 * @param labels - true class indices [N].
 * @param options - score, alpha, split count, calibration rows per split (default half) and seed.
 * @returns the figures over the splits.
 * @throws SngpError for bad labels, too few calibration rows for alpha, or fewer than 1 test row.
 */
export function splitCoverage(
  logProbs: ArrayLike<number>,
  k: number,
  labels: ArrayLike<number>,
  options: ConformalScore & {
    /** Miscoverage in (0, 1). */
    alpha: number;
    /** Random splits (>= 1). */
    splits: number;
    /** Calibration rows per split (default floor(N / 2)). */
    calibrationRows?: number;
    /** Seed of the splits (default 0). */
    seed?: number;
    /** Randomized APS / RAPS: each row's U ({@link rowUniforms}). */
    uniforms?: ArrayLike<number>;
  },
): SplitCoverage {
  const all = classScores(logProbs, k, scoreOf(options), options.uniforms);
  const n = labels.length;
  checkLabels(labels, n, k);
  const nCal = options.calibrationRows ?? Math.floor(n / 2);
  const nTest = n - nCal;
  if (nTest < 1) throw new SngpError(`split coverage: ${n} rows leave no test row after ${nCal} calibration rows`);
  if (conformalRank(nCal, options.alpha) > nCal)
    throw new SngpError(`split coverage: ${nCal} calibration rows are too few for alpha ${options.alpha} (need ${minCalibrationRows(options.alpha)})`);
  const rng = new Rng(options.seed ?? 0);
  const truth = new Float64Array(n);
  for (let i = 0; i < n; i++) truth[i] = all[i * k + labels[i]];
  const cal = new Float64Array(nCal);
  const coverages: number[] = [];
  let sizes = 0;
  for (let s = 0; s < options.splits; s++) {
    const perm = rng.permutation(n);
    for (let i = 0; i < nCal; i++) cal[i] = truth[perm[i]];
    const q = conformalQuantile(cal, options.alpha).quantile;
    let covered = 0;
    for (let t = nCal; t < n; t++) {
      const i = perm[t];
      if (truth[i] <= q) covered++;
      for (let j = 0; j < k; j++) if (all[i * k + j] <= q) sizes++;
    }
    coverages.push(covered / nTest);
  }
  const mean = coverages.reduce((a, b) => a + b, 0) / coverages.length;
  const sd = Math.sqrt(coverages.reduce((a, c) => a + (c - mean) ** 2, 0) / Math.max(1, coverages.length - 1));
  return {
    calibrationRows: nCal,
    testRows: nTest,
    expected: conformalRank(nCal, options.alpha) / (nCal + 1),
    meanCoverage: mean,
    sdCoverage: sd,
    minCoverage: Math.min(...coverages),
    maxCoverage: Math.max(...coverages),
    meanSize: sizes / (nTest * options.splits),
    coverages: Float64Array.from(coverages),
  };
}
