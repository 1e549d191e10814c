export { trainModel, dryRun, createModel, type TrainHooks, type TrainSummary, type DryRunSummary } from './train-model.js';
export { type TrainOptions, type ResolvedOptions, DEFAULT_TRAIN_OPTIONS, resolveOptions } from './options.js';
export { type EpochStats } from './trainer.js';
export { initBackend, type BackendName, type BackendPreference } from './backend.js';
export { PrecisionAccumulator, precisionPass, type PrecisionPassOptions, PRECISION_CHUNK_ROWS } from './posterior.js';
export { MOONS_DATA_SEED, type DataSummary, type DataFormat, formatDataSummary } from './data.js';
