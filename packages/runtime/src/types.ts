import type { Method, ModelCard } from '@sngp/core';

/** A float32 tensor: row-major data and its dimensions. */
export interface FloatTensor {
  data: Float32Array;
  dims: readonly number[];
}

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

/**
 * What `predict` does with a row whose outputs are not finite (NaN or Infinity in logits,
 * variance or probabilities, e.g. from inputs far outside the training range that overflow
 * float32 inside the graph): `'throw'` an SngpError naming the row and output (default), or
 * `'mark'` the row in `Prediction.invalid` and return the others.
 */
export type NonFinitePolicy = 'throw' | 'mark';

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
  /** Rows with non-finite outputs: throw (default) or mark them in `Prediction.invalid`. */
  nonFinite?: NonFinitePolicy;
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
  /**
   * Only with `nonFinite: 'mark'`: [rows], 1 where the model gave a non-finite output. Such a row
   * is excluded: its probs, confidence and uncertainty are NaN and its predicted class is -1
   * (logits and variance keep the raw values).
   */
  invalid?: Uint8Array;
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
  /**
   * Run the graph as exported: no chunking, no noise, no post-processing and no output checks, for
   * checking the graph itself (sngp-export verifies through it). Every platform and device.
   * @param feeds - float32 graph inputs by name (`features`, and `dropout_noise` for MC dropout).
   * @param fetches - outputs to compute (default: all of the graph's outputs).
   * @returns the fetched outputs with their dimensions.
   * @throws SngpError for an unknown output name, a disposed model, or a run that onnxruntime rejects.
   */
  runGraph(feeds: Record<string, FloatTensor>, fetches?: readonly string[]): Promise<Record<string, FloatTensor>>;
  dispose(): Promise<void>;
}

/** What `loadModel` accepts: a path (Node), a URL (string or URL object) or the model's bytes. */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer;
