import type { Method, ModelCard, UnseenCategory, UncertaintyScores } from '@sngp/core';

/** A float32 tensor: row-major data and its dimensions. */
export interface FloatTensor {
  /** The values, row-major; `data.length` is the product of `dims`. */
  data: Float32Array;
  /** The dimensions, outermost first, e.g. [N, D] for `features`. */
  dims: readonly number[];
}

/**
 * Where to run. `auto` picks the best provider that works; see the "Devices" section of
 * packages/runtime/README.md.
 *
 * - `auto` (default): Node tries `cuda`, then `cpu`; browsers try `webgpu` on a hardware adapter
 *   (a software one, such as SwiftShader or llvmpipe, is skipped), then `wasm`. Falls back
 *   silently; {@link ModelInfo.deviceChoice} says why. WebGPU is not in Node's list: onnxruntime
 *   cannot tell SwiftShader from a real GPU there.
 * - `cpu`: Node: onnxruntime-node's CPU provider. Browser: the wasm backend (onnxruntime-web's CPU).
 * - `cuda`: Node only, and only with onnxruntime-node's CUDA provider libraries installed (the
 *   offline install skips them); otherwise falls back to `cpu` (Node) or `wasm` (browser).
 * - `webgpu`: Node: onnxruntime-node's bundled WebGPU provider (Dawn; SwiftShader when there is no
 *   GPU). Browser: onnxruntime-web's WebGPU, on any adapter, software ones too; falls back to
 *   `wasm` without an adapter.
 * - `wasm`: onnxruntime-web's WebAssembly backend, in browsers and in Node (the browsers' engine).
 *
 * An explicit device that cannot run falls back with one warning, or throws with
 * {@link LoadOptions.strict}; {@link ModelInfo.provider} says what actually runs.
 */
export type Device = 'auto' | 'cpu' | 'cuda' | 'webgpu' | 'wasm';

/** Options of `loadModel`. Each says which platforms honour it. */
export interface LoadOptions {
  /**
   * Execution device (default `'auto'`). Node: `auto`, `cpu`, `cuda`, `webgpu`, `wasm`. Browser:
   * `auto`, `webgpu`, `wasm` (`cpu` means `wasm`; `cuda` is never available and falls back to
   * `wasm`). See {@link Device} for what each runs on and how it falls back.
   */
  device?: Device;
  /**
   * Throw instead of falling back when the requested device cannot run (default false). Node and
   * browser; applies to explicit devices with a fallback (Node: `cuda`, `webgpu`, `wasm`; browser:
   * `cuda`, `webgpu`). `auto` always falls back, and a device without a fallback (Node `cpu`,
   * browser `cpu`/`wasm`) throws anyway.
   */
  strict?: boolean;
  /**
   * Default rows per `session.run`, a positive integer (default {@link DEFAULT_BATCH_SIZE});
   * bounds memory on large inputs without changing results. Every platform and device;
   * {@link PredictOptions.batchSize} overrides it per call.
   */
  batchSize?: number;
  /**
   * Node only: onnxruntime-node's intra-op threads per session, a positive integer (default:
   * onnxruntime's own, one per core). Between runs onnxruntime's idle threads spin; a server that
   * batches requests on a small machine wants 1, so the other cores answer sockets (sngp-serve's
   * `--threads`). Large single requests are faster with more. Browsers ignore it (onnxruntime-web's
   * wasm threads are global: `configureWasm`).
   */
  threads?: number;
  /**
   * Receives one-line warnings (device fallbacks). Default: console.warn. Every platform.
   * @param msg - the warning, one line, starting with "warning:".
   */
  onWarning?: (msg: string) => void;
}

/**
 * What `predict` does with a row whose outputs are not finite (NaN or Infinity in logits,
 * variance or probabilities, e.g. from inputs far outside the training range that overflow
 * float32 inside the graph): `'throw'` an SngpError naming the row and output (default), or
 * `'mark'` the row in `Prediction.invalid` and return the others.
 */
export type NonFinitePolicy = 'throw' | 'mark';

/**
 * Options of {@link SngpModel.predict}. Every option is applied in JavaScript around the session,
 * so all of them work the same on every platform (Node, browser) and device.
 */
export interface PredictOptions {
  /**
   * SNGP mean-field lambda override, a finite number (default: the model card's value, pi/8
   * unless trained otherwise); < 0 gives plain softmax. Ignored by other methods.
   */
  meanFieldFactor?: number;
  /**
   * Temperature T override, a finite number > 0 dividing the logits (SNGP: before the mean-field
   * scaling; MC dropout and ensemble: each sample's) (default: the model card's calibrated T, 1 for
   * models without one). Every method.
   */
  temperature?: number;
  /**
   * MC dropout sample count T override, a positive integer (default: the model card's T).
   * Ignored by other methods.
   */
  samples?: number;
  /**
   * MC dropout noise seed, a finite number (default 0: predictions are reproducible, and equal to
   * export's verification and the web demo). Ignored by other methods.
   */
  seed?: number;
  /** Rows per `session.run` for this call, a positive integer (default: {@link LoadOptions.batchSize}). */
  batchSize?: number;
  /**
   * Row count of a flat Float32Array input (default: length / inputDim); must match the data.
   * With `number[][]` it may be given but must equal the number of rows.
   */
  rows?: number;
  /** Rows with non-finite outputs: throw (default) or mark them in `Prediction.invalid`. */
  nonFinite?: NonFinitePolicy;
  /**
   * Abstain threshold override, a finite number, on the card's abstain score (default: the card's
   * calibrated threshold). Needs a card with `sngp.abstain`. Conformal alpha has no override: a
   * new alpha needs a new quantile, i.e. recalibration (sngp-calibrate).
   *
   * The card's rules hold for the settings they were calibrated with (the card's temperature,
   * mean-field factor, MC dropout samples and seed 0): a call that overrides any of those gets no
   * `sets` and, without this option, no `abstain`. Every platform.
   */
  abstainThreshold?: number;
}

/** The result of {@link SngpModel.predict}: one entry per input row, row-major where there are K. */
export interface Prediction {
  /** Input rows N. */
  rows: number;
  /** Classes K (the length of `info.classes`). */
  numClasses: number;
  /**
   * [rows * K] class probabilities, row-major: softmax (deterministic), mean-field (SNGP) or the
   * mean over samples / members (MC dropout, ensemble).
   */
  probs: Float32Array;
  /** [rows] argmax class index (ties: the lowest; -1 for a row marked `invalid`). */
  predicted: Int32Array;
  /** [rows] the predicted class's name (`info.classes[predicted[i]]`; '' for a row marked `invalid`). */
  predictedLabel: string[];
  /** [rows] max_k p. */
  confidence: Float32Array;
  /**
   * [rows] 1 - max_k p, float32: for display. It is exactly 0 for every row with max p above
   * 1 - 6e-8 (float32 rounding), so it cannot rank confident rows: use `scores` for that.
   */
  uncertainty: Float32Array;
  /**
   * Tie-free uncertainty scores per row, float64, computed in log-space from the logits (higher =
   * less certain; NaN for a row marked `invalid`):
   * - `logNonMax` [rows]: log(1 - max_k p), as logsumexp of the non-max classes' log-probabilities.
   *   Same ordering as `uncertainty` where that is not tied; the default OOD score of sngp-eval.
   * - `entropy` [rows], the predictive entropy -sum_k p_k log p_k (nats).
   * - `variance` [rows] (SNGP only): the GP posterior variance, a copy of `variance` as float64.
   *
   * Log-probabilities: deterministic log_softmax(logits); SNGP log_softmax of the mean-field
   * scaled logits (same lambda as `probs`); MC dropout and ensemble
   * log p̄ = logsumexp_s(log_softmax(logits_s)) - log S from the graph's per-sample logits.
   *
   * Computed on first read and then kept (a caller that never reads it does not pay for it).
   */
  readonly scores: UncertaintyScores;
  /**
   * [rows * K] float64 log-probabilities of the same distribution as `probs` (row-major; NaN for a
   * row marked `invalid`): what `scores`, the conformal sets and sngp-calibrate are computed from.
   * Computed on first read and then kept.
   */
  readonly logProbs: Float64Array;
  // Decision rules (issue #22): present when the model card carries them
  /**
   * [rows * K] conformal prediction-set membership, row-major: 1 where class j is in row i's set
   * (class j's score <= the card's `sngp.conformal` quantile). Present when the card has a
   * conformal rule and the call uses its calibrated settings (see {@link PredictOptions.abstainThreshold}).
   * A row marked `invalid` has an empty set.
   */
  setMask?: Uint8Array;
  /** [rows] classes in each prediction set (0 for an empty set or an `invalid` row); with `setMask`. */
  setSize?: Int32Array;
  /** Per row, the prediction set's class indices (ascending) and labels; with `setMask`. */
  sets?: {
    /** Class indices in the set. */
    classes: number[];
    /** Their names. */
    labels: string[];
  }[];
  /**
   * [rows] 1 = abstain (hand the row to a person): its `scores[card.abstain.score]` is above the
   * threshold (the card's, or {@link PredictOptions.abstainThreshold}); always 1 for a row marked
   * `invalid`. Present when the card has `sngp.abstain` (or the threshold is overridden).
   */
  abstain?: Uint8Array;
  /** [rows * K] raw logits (deterministic and SNGP only). */
  logits?: Float32Array;
  /** [rows] SNGP posterior variance. */
  variance?: Float32Array;
  /**
   * Only with `nonFinite: 'mark'`: [rows], 1 where the model gave a non-finite output. Such a row
   * is excluded: its probs, confidence, uncertainty and scores are NaN and its predicted class is -1
   * (logits and variance keep the raw values).
   */
  invalid?: Uint8Array;
  // Row objects
  /**
   * Present whenever `predict` was given row objects: every category that is not in its column's
   * training vocabulary (encoded as missing), with its 0-based row index, column and value; [] when
   * there was none. At most 1,000 are listed.
   */
  unseenCategories?: UnseenCategory[];
  /** Present whenever `predict` was given row objects: missing values imputed, by raw column ({} when none). */
  missingCells?: Record<string, number>;
}

/**
 * One input row keyed by raw column name (issue #20): numbers, text, or null / undefined / '' /
 * `NA` (missing). With a model card that has `preprocessing`, the keys are its raw columns;
 * without one, the model's `featureNames`, each a finite number.
 */
export type FeatureRow = Readonly<Record<string, number | string | boolean | null | undefined>>;

/** Which provider a load chose and why ({@link ModelInfo.deviceChoice}). */
export interface DeviceChoice {
  /** The device that was asked for; null for a remote model (`connect`). */
  requested: Device | null;
  /** The execution provider that runs (the same as {@link ModelInfo.provider}). */
  provider: string;
  /**
   * One line saying why, e.g. `auto: webgpu: the adapter is software (google swiftshader: "swiftshader"
   * is a CPU renderer); using wasm`, or `device "cuda" is not available (...); running on cpu`.
   */
  reason: string;
}

/** What a loaded model is and where it runs ({@link SngpModel.info}). */
export interface ModelInfo {
  /** The model type, from the model card. */
  method: Method;
  /** Class names; probability column j belongs to `classes[j]`. */
  classes: string[];
  /** Feature names in input column order. */
  featureNames: string[];
  /** Input width D: values per row that `predict` expects. */
  inputDim: number;
  /** Execution provider that actually runs, e.g. 'cpu' | 'webgpu' | 'wasm' | 'cuda'. */
  provider: string;
  /**
   * The device asked for, the provider chosen and why, e.g. in a browser with a SwiftShader
   * adapter: `auto: webgpu: the adapter is software (...); using wasm`. Every platform.
   */
  deviceChoice: DeviceChoice;
  /** The whole decoded model card (mean-field factor, sample count, training metrics, ...). */
  card: ModelCard;
  /** Every metadata_props entry of the ONNX file. */
  metadata: Record<string, string>;
}

/**
 * A loaded model, the same on every platform (the interface; `loadModel` returns the
 * implementation). Call {@link SngpModel.dispose | dispose} when done: the session holds native or
 * GPU memory that garbage collection does not see.
 */
export interface SngpModel {
  /** What the model is and which provider runs it. */
  readonly info: ModelInfo;
  /**
   * Predict class probabilities, the predicted class and an uncertainty score for every row, plus
   * the logits (deterministic, SNGP) and the posterior variance (SNGP). Large inputs run in chunks
   * of `batchSize` rows; results do not depend on the chunking.
   * @param features - rows of `info.inputDim` finite (encoded) numbers: `number[][]` (N rows), or a
   *   flat row-major Float32Array of N * inputDim values; or row objects keyed by raw column name
   *   ({@link FeatureRow}), encoded from the card's preprocessing (text one-hot, missing imputed,
   *   unseen categories as missing and reported in `Prediction.unseenCategories`).
   * @param options - per-call overrides; see {@link PredictOptions}.
   * @returns the prediction for every row.
   * @throws SngpError for bad input (empty, wrong width, a non-number, NaN or Infinity, a value
   *   outside float32, an unknown key or text in a numeric column of a row object, with the row
   *   and column), bad options, a disposed model, a run that
   *   onnxruntime rejects, or non-finite outputs (unless `nonFinite: 'mark'`).
   */
  predict(features: number[][] | Float32Array | readonly FeatureRow[], options?: PredictOptions): Promise<Prediction>;
  /**
   * Run the graph as exported: no chunking, no noise, no post-processing and no output checks, for
   * checking the graph itself (sngp-export verifies through it). Every platform and device.
   * @param feeds - float32 graph inputs by name (`features`, and `dropout_noise` for MC dropout).
   * @param fetches - outputs to compute (default: all of the graph's outputs).
   * @returns the fetched outputs with their dimensions.
   * @throws SngpError for an unknown output name, a disposed model, or a run that onnxruntime rejects.
   */
  runGraph(feeds: Record<string, FloatTensor>, fetches?: readonly string[]): Promise<Record<string, FloatTensor>>;
  /**
   * Release the onnxruntime session. Calling it again does nothing; `predict` and `runGraph`
   * throw an SngpError afterwards.
   */
  dispose(): Promise<void>;
}

/**
 * What `loadModel` accepts: a path (Node), a URL (string or URL object) or the model's bytes.
 * Node: a file path, or a `file:`, `http:` or `https:` URL. Browser: a URL, absolute or relative
 * to the page. Both: a Uint8Array or ArrayBuffer of the .onnx file.
 */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer;
