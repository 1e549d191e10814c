export { trainModel, createModel, type TrainHooks, type TrainSummary } from './train-model.js';
export { type TrainOptions, type ResolvedOptions, DEFAULT_TRAIN_OPTIONS, resolveOptions } from './options.js';
export { type EpochStats } from './trainer.js';
export { initBackend, type BackendName, type BackendPreference } from './backend.js';
export { PrecisionAccumulator } from './posterior.js';
export { MOONS_DATA_SEED } from './data.js';
