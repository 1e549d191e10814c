/**
 * Contracts and pure math shared by every package of the SNGP toolkit: the seeded RNG, two-moons
 * data, data sets and CSV / IDX parsing, the checkpoint format (safetensors + zod schema), the ONNX
 * model card, spectral norm, mean-field and metrics. No TensorFlow.js, no onnxruntime: it runs in
 * Node and in browsers. File I/O lives in `@sngp/core/node`.
 *
 * User mistakes throw {@link SngpError} with a one-line message naming the problem.
 *
 * @packageDocumentation
 * @module @sngp/core
 */
export { SngpError } from './errors.js';
export { Rng } from './rng.js';
export { DEFAULT_NOISE_SEED, type NoiseTensor, dropoutNoise } from './dropout-noise.js';
export {
  type Dataset,
  type Standardization,
  subset,
  fitStandardization,
  applyStandardization,
  trainValidationSplit,
  splitSizes,
  classCounts,
  formatBytes,
  datasetBytes,
  allocateRows,
} from './dataset.js';
export { MOONS_DEFAULTS, makeMoons, moonsGrid, moonsOod, moonsValidation, moonsDecisionCalibration, twoMoons, type MoonsSplits } from './moons.js';
export { TOY_DATA_SETS, TOY_DATA_DEFAULTS, type ToyDataName, makeCircles, makeSpirals, makeToyData } from './toy-data.js';
export { parseCsv, type CsvOptions, type CsvTableOptions, CsvTableBuilder, CSV_PARSE_OPTIONS, estimateCsvRows } from './csv.js';
export * from './idx.js';
export * from './preprocessing.js';
export { type RiskCoverageCurve, riskCoverageCurve, aurc, curveArea, riskAtCoverage } from './risk-coverage.js';
export {
  type RecordFeed,
  type TableColumn,
  type IgnoredColumn,
  type TableLayout,
  type TableOptions,
  type LoadedTable,
  loadTable,
  fitPreprocessing,
  encodeTable,
  layoutOf,
  readTableWith,
  textFeed,
  parseCsvTable,
} from './table.js';
export {
  type TensorDtype,
  type TensorData,
  type NamedTensor,
  tensor,
  encodeSafetensors,
  decodeSafetensors,
} from './safetensors.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  CHECKPOINT_JSON,
  CHECKPOINT_WEIGHTS,
  METHODS,
  type Method,
  parseMethod,
  hyperParametersSchema,
  type HyperParameters,
  DEFAULT_HYPER_PARAMETERS,
  checkpointSchema,
  type CheckpointConfig,
  type Checkpoint,
  type TensorSpec,
  checkpointTensorSpec,
  parseCheckpointConfig,
  validateCheckpointTensors,
  GP_LAYER_NORM_EPSILON,
  type GpInputOptions,
  gpInputOptions,
  calibrationSchema,
  type CalibrationRecord,
  recipeSchema,
  type RecipeRecord,
} from './checkpoint.js';
export {
  MODEL_CARD_FORMAT_VERSION,
  MODEL_CARD_KEYS,
  ONNX_NAMES,
  type ModelCard,
  POSTERIOR_KINDS,
  type PosteriorCard,
  trainingCardSchema,
  type TrainingCard,
  encodeModelCard,
  decodeModelCard,
  withDecisionRules,
} from './model-card.js';
export { softmaxRows, meanFieldScale, meanFieldProbs, meanSoftmax } from './mean-field.js';
export {
  type UncertaintyScoreName,
  UNCERTAINTY_SCORE_NAMES,
  type UncertaintyScores,
  DEFAULT_UNCERTAINTY_SCORE,
  logSoftmaxRows,
  meanFieldLogProbs,
  meanLogSoftmax,
  uncertaintyScores,
  uncertaintyScore,
} from './uncertainty.js';
export {
  CONFORMAL_SCORES,
  type ConformalScoreName,
  type ConformalScore,
  RAPS_DEFAULTS,
  DEFAULT_CONFORMAL_ALPHA,
  conformalRuleSchema,
  type ConformalRule,
  conformalRank,
  minCalibrationRows,
  type ConformalQuantile,
  conformalQuantile,
  classScores,
  trueClassScores,
  calibrateConformal,
  type PredictionSets,
  type PredictionSetList,
  predictionSets,
  setLists,
  setCoverage,
  splitCoverage,
  type SplitCoverage,
  rowUniforms,
} from './conformal.js';
export {
  DEFAULT_ABSTAIN_TARGET,
  abstainTargetSchema,
  type AbstainTarget,
  type KeepTarget,
  type MaxErrorTarget,
  abstainRuleSchema,
  type AbstainRule,
  chooseAbstainRule,
  abstainFlags,
} from './abstain.js';
export { type GridSurfaces, gridSurfaces, maxPlotUncertainty } from './surfaces.js';
export { METHOD_LABELS, METHOD_CAPTIONS } from './method-text.js';
export { accuracy, nll, brier, ece, auroc, aupr, rocCurve, calibrationBins, calibratedEceFloor, fprAtTpr, type CalibrationBin, argmaxRow } from './metrics.js';
export { matmulTransposed } from './matmul.js';
export { spectralNorm, bakeSpectralNorm, type SpectralNormResult, type BakedKernel } from './spectral-norm.js';
export {
  ROUNDING_TOLERANCE,
  SYMMETRY_TOLERANCE,
  eigenvalueTolerance,
  cholesky,
  asymmetry,
  validatePrecision,
  precisionCholesky,
  posteriorCovariance,
  covarianceFromCholesky,
  varianceFromCholesky,
  symmetricEigen,
  posteriorSpectrum,
  validatedSpectrum,
  truncationBound,
  rankForTolerance,
  lowRankFactor,
  lowRankVariance,
  type CholeskyResult,
  type Posterior,
  type SymmetricEigen,
  type PosteriorSpectrum,
  type TruncationBound,
} from './posterior.js';
export { type OnnxHeader, readOnnxHeader, replaceOnnxMetadata } from './onnx-header.js';
