/**
 * Browser entry of `@sngp/export`: checkpoint object -> ONNX bytes in a page or Web Worker, with
 * the same baking (spectral norm to convergence, the SNGP posterior in float64, full or low-rank
 * with its proven error bound), graphs and model card as the Node entry, and the pure float64
 * reference forward pass. Without `verifyModel`: it runs the model through `@sngp/runtime`'s Node
 * entry; in a browser, load the bytes with `@sngp/runtime` and compare with {@link referenceForward}.
 *
 * @example
 * ```ts
 * import { exportModel } from '@sngp/export/browser';
 * const { bytes, report } = exportModel(checkpoint, { posterior: 'auto' }); // checkpoint from @sngp/train/browser
 * ```
 *
 * @packageDocumentation
 * @module @sngp/export/browser
 */
export { exportModel, type ExportOptions, type ExportReport, type ExportResult, PRODUCER_NAME, PRODUCER_VERSION } from './export.js';
export { bakeCheckpoint, type BakedModel, type Dense, type ResNetWeights, type GpWeights, type SpectralReport } from './baked-weights.js';
export { referenceForward, referenceFeatures, type ReferenceOptions, type ReferenceOutput } from './reference.js';
export { RANDOM_FEATURE_OPS, COS_POLY, type RandomFeatureOp } from './graphs/sngp.js';
export { verificationPoints, defaultCoverage, type VerificationCoverage } from './verification-points.js';
export {
  choosePosterior,
  POSTERIOR_CHOICES,
  DEFAULT_VARIANCE_TOLERANCE,
  AUTO_MAX_RANK_FRACTION,
  MAX_FEATURE_NORM_SQUARED,
  type PosteriorChoice,
  type PosteriorKind,
  type PosteriorOptions,
  type GpPosterior,
} from './posterior.js';
export { modelCardFor } from './model-card.js';
export { tritonModelFiles, TRITON_CONFIG_MARKER, type TritonModel, type TritonOptions, type TritonTensor } from './triton.js';
export { encodeModel, decodeModel, ONNX_IR_VERSION, ONNX_OPSET, DataType, type ModelProto, type GraphProto } from './onnx-schema.js';
