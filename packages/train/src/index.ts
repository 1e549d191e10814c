/**
 * TensorFlow.js training of SNGP (spectral-normalised residual network + random-feature GP output
 * layer with a Laplace posterior) and of the baselines: a deterministic ResNet, MC dropout and a
 * deep ensemble. Trains on two moons, a CSV file or IDX images + labels, and writes a checkpoint
 * directory (`checkpoint.json` + `weights.safetensors`) that `@sngp/export` turns into ONNX. Node
 * only; picks native TensorFlow, WebAssembly or the JS cpu backend ({@link initBackend}). The
 * `sngp-train` CLI wraps {@link trainModel}. Browsers: `@sngp/train/browser` trains from in-memory
 * arrays and returns the checkpoint as an object.
 *
 * User mistakes throw `SngpError` (from `@sngp/core`) with a one-line message naming the problem.
 *
 * @packageDocumentation
 * @module @sngp/train
 */
export { trainModel, dryRun, type DryRunSummary } from './train-model.js';
export { createModel, type TrainHooks, type TrainSummary, type GpSetup } from './fitting/fit.js';
export { type TrainOptions, type ResolvedOptions, DEFAULT_TRAIN_OPTIONS, resolveOptions, applyRecipe } from './options.js';
export { type EpochStats } from './fitting/trainer.js';
export { initBackend, type BackendName, type BackendPreference } from './backend/backend.js';
export { PrecisionAccumulator, precisionPass, type PrecisionPassOptions, PRECISION_CHUNK_ROWS } from './fitting/posterior.js';
export { mergeEnsembleParts } from './models/ensemble-parts.js';
export { type MemberRange } from './models/ensemble.js';
export { MOONS_DATA_SEED, type DataSummary, type DataFormat, formatDataSummary } from './io/data.js';
export { fitCalibration, fitTemperature, calibratedProbs, BASELINE_TEMPERATURE_RANGE, type CalibrationFit } from './fitting/calibration.js';
export { chooseRecipe, formatRecipe, RECIPE, type RecipeChoice, type GivenSettings } from './fitting/recipe.js';
export { type EarlyStopResult, MIN_NLL_IMPROVEMENT } from './fitting/trainer.js';
export { formatAutoKernelScale } from './kernel/kernel-format.js';
export { autoKernelScale, sampleRows, AUTO_SCALE_ROWS, NEIGHBOUR_FACTOR, type AutoKernelScale } from './kernel/kernel-scale.js';
export {
  searchCandidates,
  ridgeWeights,
  scoreRidge,
  pairedZ,
  chooseCandidate,
  SEARCH_DIVISORS,
  SEARCH_TRAIN_ROWS,
  SEARCH_MIN_Z,
  type KernelCandidate,
  type KernelSearch,
  type RidgeScore,
} from './kernel/kernel-search.js';
export { TrainingHealthGuard, chanceAccuracy, HEALTH_CHECK_EPOCH } from './fitting/training-health.js';
