/**
 * Checkpoint -> ONNX: bakes a checkpoint's weights (spectral norm to convergence, the SNGP posterior
 * as the full covariance or a low-rank factor with a proven variance error bound, both in float64),
 * builds the opset 17 graph of each method, writes the model card, and verifies the result through
 * `@sngp/runtime` against an independent float64 reference with the FULL posterior. The
 * `sngp-export` CLI is built on these functions.
 *
 * @packageDocumentation
 * @module @sngp/export
 */
export { exportModel, type ExportOptions, type ExportReport, type ExportResult, PRODUCER_NAME, PRODUCER_VERSION } from './export.js';
export { bakeCheckpoint, type BakedModel, type Dense, type ResNetWeights, type GpWeights, type SpectralReport } from './baked-weights.js';
export { referenceForward, referenceFeatures, type ReferenceOptions, type ReferenceOutput } from './reference.js';
export { RANDOM_FEATURE_OPS, COS_POLY, type RandomFeatureOp } from './graphs/sngp.js';
export {
  verifyModel,
  verificationPoints,
  defaultCoverage,
  type VerificationCoverage,
  TOLERANCES,
  type VerifyOptions,
  type VerifyReport,
} from './verify.js';
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
export { encodeModel, decodeModel, ONNX_IR_VERSION, ONNX_OPSET, DataType, type ModelProto, type GraphProto } from './onnx-schema.js';
export { GraphBuilder, type Dim } from './graph-builder.js';
