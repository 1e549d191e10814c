import type { AbstainTarget, CalibrationBin, ConformalScoreName, Method, RiskCoverageCurve, UncertaintyScoreName, UncertaintyScores } from '@sngp/core';
import type { ModelInfo, PredictOptions, Prediction, SngpModel } from '@sngp/runtime';
import type { DistanceAwareness } from './distance-awareness.js';

/**
 * What evaluation needs from a loaded model: the structural subset of `@sngp/runtime`'s
 * `SngpModel` (type-only, so the metric code can be unit-tested without onnxruntime).
 */
export type EvalPrediction = Prediction;
export type EvalModelInfo = Pick<ModelInfo, 'method' | 'classes' | 'featureNames' | 'inputDim' | 'provider'> & Partial<Pick<ModelInfo, 'card'>>;

export interface EvalModel {
  readonly info: EvalModelInfo;
  predict(features: Float32Array, options?: Pick<PredictOptions, 'seed' | 'meanFieldFactor' | 'temperature'>): Promise<EvalPrediction>;
  dispose: SngpModel['dispose'];
}

/** In-domain metrics on the labelled test set. */
export interface ClassificationMetrics {
  accuracy: number;
  nll: number;
  brier: number;
  /** Expected calibration error, 15 equal-width bins. */
  ece: number;
  /**
   * The median ECE a perfectly calibrated model with these probabilities would show on this many
   * test rows (labels drawn from its own probabilities; core's `calibratedEceFloor`): ECE's
   * sampling noise. A measured ECE near it cannot be told from a calibrated model's.
   */
  eceFloor: number;
  /**
   * SNGP with a fitted calibration (model card `sngp.calibration`): the test ECE with the mean-field
   * factor before the fit and no temperature, to show what calibration changed. Absent otherwise.
   */
  eceUncalibrated?: number;
}

/** How well one score separates OOD rows (positive) from in-domain test rows (negative). */
export interface OodMetrics {
  /** Area under the ROC curve (ties count half); 0.5 is chance. */
  auroc: number;
  /** Average precision; chance is the OOD rows' share. */
  aupr: number;
}

/**
 * OOD detection of one model: `auroc` / `aupr` of the default score (`score`), plus every score
 * the model has (`byScore`: logNonMax and entropy; SNGP also variance). Scores are the runtime's
 * tie-free `Prediction.scores`.
 */
export interface OodResult extends OodMetrics {
  /** OOD rows. */
  rows: number;
  /** The score behind `auroc` / `aupr` (core's DEFAULT_UNCERTAINTY_SCORE, `logNonMax`). */
  score: UncertaintyScoreName;
  /** AUROC and AUPR per score. */
  byScore: Partial<Record<UncertaintyScoreName, OodMetrics>>;
}

export interface LatencyResult {
  rows: number;
  runs: number;
  medianMs: number;
  minMs: number;
}

/**
 * Selective prediction by the default uncertainty score (answer the least uncertain rows first):
 * AURC and selective risk on the test rows; with OOD rows, AURC with them mixed in (each an error)
 * and the FPR at 95 % TPR of OOD detection.
 */
export interface SelectiveResult {
  /** The score rows are ranked by (core's DEFAULT_UNCERTAINTY_SCORE). */
  score: UncertaintyScoreName;
  /** Area under the risk-coverage curve of the test rows (lower is better). */
  aurc: number;
  /** Error rate among the least uncertain rows at coverage 0.8, 0.9 and 0.95. */
  riskAtCoverage: { coverage: number; risk: number }[];
  /** AURC of the test rows with the OOD rows mixed in, each counted as an error; null without OOD rows. */
  aurcWithOod: number | null;
  /** Share of test rows flagged when the threshold catches 95 % of the OOD rows; null without OOD rows. */
  fprAt95Tpr: number | null;
}

/** The risk-coverage curves behind {@link SelectiveResult} (for the figure; not in metrics.json). */
export interface SelectiveCurves {
  /** Test rows. */
  test: RiskCoverageCurve;
  /** Test and OOD rows; null without OOD rows. */
  withOod: RiskCoverageCurve | null;
}

/**
 * The model card's decision rules measured on the evaluation's rows (what `predict` returns).
 * The conformal guarantee is for exchangeable in-domain rows: coverage >= 1 - alpha on average
 * over calibration draws, not per row, and not under distribution shift.
 */
export interface DecisionResult {
  /** The conformal sets on the test rows; null when the card has no `sngp.conformal`. */
  conformal: {
    /** The nonconformity score. */
    score: ConformalScoreName;
    /** Miscoverage the rule was calibrated for. */
    alpha: number;
    /** The calibrated threshold. */
    quantile: number;
    /** Rows it was calibrated on. */
    calibrationRows: number;
    /** Where those rows came from. */
    calibrationSource: string;
    /** ceil((n + 1)(1 - alpha)) / (n + 1): the coverage new exchangeable rows get on average. */
    expectedCoverage: number;
    /** Share of test rows whose set holds the true class. */
    coverage: number;
    /** Mean set size over the test rows. */
    meanSize: number;
    /** Share of test rows with a set of size 0, 1, ..., K. */
    sizeShare: number[];
    /** Mean set size over the OOD rows, or null without OOD rows. */
    oodMeanSize: number | null;
  } | null;
  /** The abstain rule on the test rows; null when the card has no `sngp.abstain`. */
  abstain: {
    /** The score the threshold applies to. */
    score: UncertaintyScoreName;
    /** Abstain iff score > threshold. */
    threshold: number;
    /** What it was chosen for. */
    target: AbstainTarget;
    /** Share of test rows answered. */
    keptFraction: number;
    /** Error rate among them (0 when none is kept). */
    errorAmongKept: number;
    /** Share of OOD rows handed over, or null without OOD rows. */
    oodCaught: number | null;
  } | null;
  /** Mean set size in equal-count bins of the default score (for the figure; not in metrics.json). */
  setSizeByUncertainty: { x: number[]; y: number[] } | null;
}

/** Everything measured for one model. */
export interface ModelResult {
  name: string;
  file: string;
  method: Method;
  provider: string;
  classes: string[];
  test: ClassificationMetrics & { rows: number };
  /** Reliability diagram of the test set (ECE_BINS bins, empty ones included). */
  reliability: CalibrationBin[];
  ood: OodResult | null;
  latency: LatencyResult;
  /** Probabilities over the 100 x 100 grid (two moons only), row-major [rows * K]. */
  grid: { size: number; probs: Float32Array } | null;
  /** Spearman correlation of the grid's uncertainty with the distance to the nearest training point (two moons only). */
  distanceAwareness: DistanceAwareness | null;
  /** Selective prediction by the default score. */
  selective: SelectiveResult;
  /** Its risk-coverage curves (for the figure; not in metrics.json). */
  selectiveCurves: SelectiveCurves;
  /** The card's decision rules on the test (and OOD) rows; null when the model has none. */
  decisions: DecisionResult | null;
  /** The runtime's per-row uncertainty scores, test and OOD rows (for the figures; not in metrics.json). */
  scores: { test: UncertaintyScores; ood: UncertaintyScores | null };
}
