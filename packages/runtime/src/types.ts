import type { Method, ModelCard } from '@sngp/core';

/** Where to run. `auto` picks the best provider that works; see README "Devices". */
export type Device = 'auto' | 'cpu' | 'cuda' | 'webgpu' | 'wasm';

export interface LoadOptions {
  device?: Device;
  /** Throw instead of falling back when the requested device cannot run. */
  strict?: boolean;
  /** Default rows per `session.run` (bounds memory on large inputs). */
  batchSize?: number;
  /** Receives one-line warnings (device fallbacks). Default: console.warn. */
  onWarning?: (msg: string) => void;
}

export interface PredictOptions {
  /** SNGP mean-field lambda override; < 0 gives plain softmax. Ignored by other methods. */
  meanFieldFactor?: number;
  /** MC dropout sample count T override. Ignored by other methods. */
  samples?: number;
  /** MC dropout noise seed (default 0: predictions are reproducible). Ignored by other methods. */
  seed?: number;
  /** Rows per `session.run` for this call. */
  batchSize?: number;
  /** Row count of a flat Float32Array input (default: length / inputDim). */
  rows?: number;
}

export interface Prediction {
  rows: number;
  numClasses: number;
  /** [rows * K] class probabilities, row-major. */
  probs: Float32Array;
  /** [rows] argmax class index. */
  predicted: Int32Array;
  /** [rows] max_k p. */
  confidence: Float32Array;
  /** [rows] 1 - max_k p. */
  uncertainty: Float32Array;
  /** [rows * K] raw logits (deterministic and SNGP only). */
  logits?: Float32Array;
  /** [rows] SNGP posterior variance. */
  variance?: Float32Array;
}

export interface ModelInfo {
  method: Method;
  classes: string[];
  featureNames: string[];
  inputDim: number;
  /** Execution provider that actually runs, e.g. 'cpu' | 'webgpu' | 'wasm' | 'cuda'. */
  provider: string;
  card: ModelCard;
  /** Every metadata_props entry of the ONNX file. */
  metadata: Record<string, string>;
}

export interface SngpModel {
  readonly info: ModelInfo;
  predict(features: number[][] | Float32Array, options?: PredictOptions): Promise<Prediction>;
  dispose(): Promise<void>;
}

/** What `loadModel` accepts: a path (Node), a URL (string or URL object) or the model's bytes. */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer;
