import type { Method } from '@sngp/core';
import type { ModelInfo, PredictOptions, Prediction, SngpModel } from '@sngp/runtime';

/**
 * What evaluation needs from a loaded model: the structural subset of `@sngp/runtime`'s
 * `SngpModel` (type-only, so the metric code can be unit-tested without onnxruntime).
 */
export type EvalPrediction = Prediction;
export type EvalModelInfo = Pick<ModelInfo, 'method' | 'classes' | 'featureNames' | 'inputDim' | 'provider'>;

export interface EvalModel {
  readonly info: EvalModelInfo;
  predict(features: Float32Array, options?: Pick<PredictOptions, 'seed'>): Promise<EvalPrediction>;
  dispose: SngpModel['dispose'];
}

/** In-domain metrics on the labelled test set. */
export interface ClassificationMetrics {
  accuracy: number;
  nll: number;
  brier: number;
  /** Expected calibration error, 15 equal-width bins. */
  ece: number;
}

/** OOD detection: OOD rows positive, score = the runtime's uncertainty (1 - max p). */
export interface OodMetrics {
  auroc: number;
  aupr: number;
}

export interface LatencyResult {
  rows: number;
  runs: number;
  medianMs: number;
  minMs: number;
}

/** Everything measured for one model. */
export interface ModelResult {
  name: string;
  file: string;
  method: Method;
  provider: string;
  classes: string[];
  test: ClassificationMetrics & { rows: number };
  ood: (OodMetrics & { rows: number }) | null;
  latency: LatencyResult;
  /** Probabilities over the 100 x 100 grid (two moons only), row-major [rows * K]. */
  grid: { size: number; probs: Float32Array } | null;
}
