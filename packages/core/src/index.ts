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
export { MOONS_DEFAULTS, makeMoons, moonsGrid, moonsOod, twoMoons, type MoonsSplits } from './moons.js';
export { parseCsv, type CsvOptions, type CsvTableOptions, CsvTableBuilder, CSV_PARSE_OPTIONS, estimateCsvRows } from './csv.js';
export * from './idx.js';
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
} from './checkpoint.js';
export {
  MODEL_CARD_FORMAT_VERSION,
  MODEL_CARD_KEYS,
  ONNX_NAMES,
  type ModelCard,
  encodeModelCard,
  decodeModelCard,
} from './model-card.js';
export { softmaxRows, meanFieldProbs, meanSoftmax, uncertaintyScore } from './mean-field.js';
export { type GridSurfaces, gridSurfaces, maxPlotUncertainty } from './surfaces.js';
export { accuracy, nll, brier, ece, auroc, aupr, argmaxRow } from './metrics.js';
export { spectralNorm, bakeSpectralNorm, type SpectralNormResult, type BakedKernel } from './spectral-norm.js';
export { type OnnxHeader, readOnnxHeader } from './onnx-header.js';
