import type { Method } from '@sngp/core';

/**
 * What evaluation needs from a loaded model: the structural subset of `@sngp/runtime`'s
 * `SngpModel`, so the metric code can be unit-tested without onnxruntime.
 */
export interface EvalPrediction {
  rows: number;
  numClasses: number;
  probs: Float32Array;
  predicted: Int32Array;
  confidence: Float32Array;
  uncertainty: Float32Array;
  logits?: Float32Array;
  variance?: Float32Array;
}

export interface EvalModelInfo {
  method: Method;
  classes: string[];
  featureNames: string[];
  inputDim: number;
  provider: string;
}

export interface EvalModel {
  readonly info: EvalModelInfo;
  predict(features: Float32Array, options?: { seed?: number }): Promise<EvalPrediction>;
  dispose(): Promise<void>;
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
