/**
 * @sngp/server: exported SNGP toolkit models over the Open Inference Protocol (KServe V2 REST).
 * @packageDocumentation
 */
export { createServer, type ServedModelInfo, type ServerOptions, type ServerStats, type SngpServer } from './server.js';
export type { BatchOptions } from './batcher.js';
export { findModels, type ModelEntry } from './repository.js';
export { type Datatype, type InferRequest, type InferResponse, type ModelMetadata, type Tensor, type TensorMetadata } from './protocol.js';
