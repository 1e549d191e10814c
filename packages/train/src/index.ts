/**
 * TensorFlow.js training of SNGP (spectral-normalised residual network + random-feature GP output
 * layer with a Laplace posterior) and of the baselines: a deterministic ResNet, MC dropout and a
 * deep ensemble. Trains on two moons, a CSV file or IDX images + labels, and writes a checkpoint
 * directory (`checkpoint.json` + `weights.safetensors`) that `@sngp/export` turns into ONNX. Node
 * only; picks native TensorFlow, WebAssembly or the JS cpu backend ({@link initBackend}). The
 * `sngp-train` CLI wraps {@link trainModel}.
 *
 * User mistakes throw `SngpError` (from `@sngp/core`) with a one-line message naming the problem.
 *
 * @packageDocumentation
 * @module @sngp/train
 */
export { trainModel, dryRun, createModel, type TrainHooks, type TrainSummary, type DryRunSummary } from './train-model.js';
export { type TrainOptions, type ResolvedOptions, DEFAULT_TRAIN_OPTIONS, resolveOptions } from './options.js';
export { type EpochStats } from './trainer.js';
export { initBackend, type BackendName, type BackendPreference } from './backend.js';
export { PrecisionAccumulator, precisionPass, type PrecisionPassOptions, PRECISION_CHUNK_ROWS } from './posterior.js';
export { MOONS_DATA_SEED, type DataSummary, type DataFormat, formatDataSummary } from './data.js';
export { fitCalibration, calibratedProbs, type CalibrationFit } from './calibration.js';
export { autoKernelScale, sampleRows, AUTO_SCALE_ROWS, MEDIAN_DIVISOR, MEDIAN_DIVISOR_NORMALIZED, type AutoKernelScale } from './kernel-scale.js';
export { TrainingHealthGuard, chanceAccuracy, HEALTH_CHECK_EPOCH } from './training-health.js';
export { type GpSetup } from './train-model.js';
