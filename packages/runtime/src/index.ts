/** The platform-independent public API; `loadModel` comes from the Node or browser entry. */
export type { Device, DeviceChoice, FeatureRow, FloatTensor, LoadOptions, NonFinitePolicy, PredictOptions, Prediction, ModelInfo, SngpModel, ModelSource } from './types.js';
export { DEVICES } from './devices.js';
export { DEFAULT_BATCH_SIZE } from './model.js';
export type { Method, ModelCard, Preprocessing, UncertaintyScores, UnseenCategory } from '@sngp/core';
export type { CardSource, ConnectOptions } from './remote.js';
export { classifyAdapter, webgpuAdapter, type AdapterInfo, type AdapterReport } from './adapter.js';
