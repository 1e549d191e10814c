/**
 * @sngp/server: exported SNGP toolkit models over the Open Inference Protocol (KServe V2 REST).
 * @packageDocumentation
 */
export { createServer, type ServerOptions, type ServerStats, type SngpServer } from './server.js';
export type { BatchOptions, BatchObserver } from './batcher.js';
export { ServedModel, type ServeLimits } from './served-model.js';
export { findModels, type ModelEntry } from './repository.js';
export { predictionOutputs, type RowTensor } from './outputs.js';
export { RequestError, type Datatype, type InferRequest, type InferResponse, type ModelMetadata, type Tensor, type TensorMetadata } from './protocol.js';
