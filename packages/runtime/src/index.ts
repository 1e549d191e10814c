/** The platform-independent public API; `loadModel` comes from the Node or browser entry. */
export type { Device, FeatureRow, FloatTensor, LoadOptions, NonFinitePolicy, PredictOptions, Prediction, ModelInfo, SngpModel, ModelSource } from './types.js';
export { DEVICES } from './devices.js';
export { DEFAULT_BATCH_SIZE } from './model.js';
export type { Method, ModelCard, Preprocessing, UncertaintyScores, UnseenCategory } from '@sngp/core';
export type { CardSource, ConnectOptions } from './remote.js';
