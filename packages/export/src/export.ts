import { type Checkpoint, encodeModelCard, type Method, type ModelCard } from '@sngp/core';
import { bakeCheckpoint, type BakedModel, type SpectralReport } from './baked-weights.js';
import { deterministicGraph } from './graphs/deterministic.js';
import { ensembleGraph } from './graphs/ensemble.js';
import { mcDropoutGraph } from './graphs/mc-dropout.js';
import { sngpGraph } from './graphs/sngp.js';
import { modelCardFor } from './model-card.js';
import { encodeModel, type GraphProto, type ModelProto, ONNX_IR_VERSION, ONNX_OPSET } from './onnx-schema.js';

export const PRODUCER_NAME = 'sngp-export';
export const PRODUCER_VERSION = '0.1.0';

export interface ExportOptions {
  /** SNGP only: add the mean-field `probs` output (for generic ONNX servers). */
  meanFieldProbs?: boolean;
}

export interface ExportReport {
  method: Method;
  opset: number;
  irVersion: number;
  bytes: number;
  nodes: number;
  initializers: number;
  /** Number of float weights stored as initializers. */
  parameters: number;
  inputs: string[];
  outputs: string[];
  card: ModelCard;
  /** SNGP: per-block spectral norms of the stored kernels and the divisor baked in. */
  spectral?: SpectralReport[];
  /** SNGP: posterior facts (the precision was checked: symmetric, every eigenvalue >= ridge). */
  posterior?: { numRandomFeatures: number; ridge: number; precisionAsymmetry: number };
  warnings: string[];
}

export interface ExportResult {
  bytes: Uint8Array;
  model: ModelProto;
  baked: BakedModel;
  report: ExportReport;
}

function graphFor(baked: BakedModel, opts: ExportOptions): GraphProto {
  switch (baked.config.method) {
    case 'deterministic':
      return deterministicGraph(baked);
    case 'sngp':
      return sngpGraph(baked, { meanFieldProbs: opts.meanFieldProbs });
    case 'mc-dropout':
      return mcDropoutGraph(baked);
    case 'ensemble':
      return ensembleGraph(baked);
  }
}

/** Checkpoint -> ONNX model bytes (opset 17, IR 8) plus a report of what was baked. */
export function exportModel(ckpt: Checkpoint, opts: ExportOptions = {}): ExportResult {
  const baked = bakeCheckpoint(ckpt);
  const warnings = [...baked.warnings];
  if (opts.meanFieldProbs && baked.config.method !== 'sngp')
    warnings.push(`--mean-field-probs only applies to SNGP; ignored for ${baked.config.method}`);
  const graph = graphFor(baked, opts);
  const card = modelCardFor(baked, !!opts.meanFieldProbs);
  const model: ModelProto = {
    irVersion: ONNX_IR_VERSION,
    producerName: PRODUCER_NAME,
    producerVersion: PRODUCER_VERSION,
    docString: `SNGP toolkit ${card.method} model`,
    graph,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    metadataProps: encodeModelCard(card),
  };
  const bytes = encodeModel(model);
  const { gp } = baked;
  const report: ExportReport = {
    method: card.method,
    opset: ONNX_OPSET,
    irVersion: ONNX_IR_VERSION,
    bytes: bytes.length,
    nodes: graph.node.length,
    initializers: graph.initializer.length,
    parameters: graph.initializer.reduce((s, t) => s + (t.dataType === 1 ? t.dims.reduce((a, b) => a * b, 1) : 0), 0),
    inputs: graph.input.map((i) => i.name),
    outputs: graph.output.map((o) => o.name),
    card,
    ...(baked.spectral ? { spectral: baked.spectral } : {}),
    ...(gp ? { posterior: { numRandomFeatures: gp.m, ridge: gp.ridge, precisionAsymmetry: gp.precisionAsymmetry } } : {}),
    warnings,
  };
  return { bytes, model, baked, report };
}
