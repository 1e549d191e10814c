/**
 * Checkpoint -> ONNX: bakes a checkpoint's weights (spectral norm to convergence, the SNGP posterior
 * as the full covariance or a low-rank factor with a proven variance error bound, both in float64),
 * builds the opset 17 graph of each method, writes the model card, and verifies the result through
 * `@sngp/runtime` against an independent float64 reference with the FULL posterior. The
 * `sngp-export` CLI is built on these functions.
 *
 * @packageDocumentation
 * @module @sngp/export
 */
// Everything platform-neutral is the browser entry's; the Node entry adds verification (through
// @sngp/runtime's Node entry) and the graph builder.
export * from './browser.js';
export { verifyModel, TOLERANCES, type VerifyOptions, type VerifyReport } from './verify.js';
export { GraphBuilder, type Dim } from './graph-builder.js';
export { writeTritonModel, TRITON_MODEL_OUTPUT } from './triton-write.js';
