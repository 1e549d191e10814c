import { type Checkpoint, encodeModelCard, lowRankVariance, type Method, type ModelCard, SngpError } from '@sngp/core';
import { bakeCheckpoint, type BakedModel, type SpectralReport } from './baked-weights.js';
import { deterministicGraph } from './graphs/deterministic.js';
import { ensembleGraph } from './graphs/ensemble.js';
import { mcDropoutGraph } from './graphs/mc-dropout.js';
import { type RandomFeatureOp, sngpGraph } from './graphs/sngp.js';
import { modelCardFor } from './model-card.js';
import { encodeModel, type GraphProto, type ModelProto, ONNX_IR_VERSION, ONNX_OPSET } from './onnx-schema.js';
import type { PosteriorChoice, PosteriorKind } from './posterior.js';
import { referenceForward, type ReferenceOutput } from './reference.js';
import { type VerificationCoverage, verificationPoints } from './verification-points.js';

/** The ONNX `producer_name` of every exported model. */
export const PRODUCER_NAME = 'sngp-export';
/** The ONNX `producer_version` of every exported model. */
export const PRODUCER_VERSION = '0.1.0';

/** Options of {@link exportModel}. */
export interface ExportOptions {
  /**
   * SNGP only: add the mean-field `probs` output [N, K], computed in the graph with the
   * checkpoint's mean-field factor (for generic ONNX servers that cannot post-process). Default
   * false; for other methods it is ignored with a warning in the report.
   */
  meanFieldProbs?: boolean;
  /**
   * Export a deterministic checkpoint as an MC-dropout model: the same network run with dropout on
   * at inference, as in the tutorial, so it need not be trained twice. Default: the checkpoint's method.
   */
  as?: 'mc-dropout';
  /** MC dropout samples T of the exported model (default: the checkpoint's `mcSamples`). */
  mcSamples?: number;
  /**
   * SNGP: the posterior form of the graph: `auto` (default: low-rank with the smallest rank that
   * meets `varianceTolerance`, full when that rank is over half of M), `full` or `low-rank`.
   */
  posterior?: PosteriorChoice;
  /**
   * SNGP: the largest relative variance error the low-rank posterior may have against the full one,
   * proven for every input (default `DEFAULT_VARIANCE_TOLERANCE`, 5e-4).
   */
  varianceTolerance?: number;
  /** SNGP: how the graph evaluates the random features' cosine (default `cos`; see `sngpGraph`). */
  randomFeatures?: RandomFeatureOp;
  /**
   * SNGP low-rank: the verification points the truncation error is measured on (and
   * `verificationReference` computed at): every point (`full`, default) or the representative
   * sample (`sample`, ~14x cheaper; see `VerificationCoverage`). Pass the same to `verifyModel`.
   */
  coverage?: VerificationCoverage;
}

/**
 * The checkpoint as the method `opts.as` asks for. MC dropout is the deterministic ResNet with
 * dropout kept on: the same tensors under another method, so only the config changes.
 */
function asRequested(ckpt: Checkpoint, opts: ExportOptions): Checkpoint {
  const { method, hyperParameters: hp } = ckpt.config;
  const samples = opts.mcSamples;
  if (samples !== undefined && !(Number.isInteger(samples) && samples >= 1 && samples <= 100_000))
    throw new SngpError(`--mc-samples must be an integer in [1, 100000], got ${samples}`);
  const target = opts.as ?? method;
  if (target !== method && !(target === 'mc-dropout' && method === 'deterministic'))
    throw new SngpError(`cannot export a ${method} checkpoint as ${target} (only a deterministic checkpoint can be exported as mc-dropout)`);
  if (target === method && samples === undefined) return ckpt;
  if (target !== 'mc-dropout') throw new SngpError(`--mc-samples applies to MC dropout models only (this is a ${method} checkpoint)`);
  return { ...ckpt, config: { ...ckpt.config, method: target, hyperParameters: { ...hp, mcSamples: samples ?? hp.mcSamples } } };
}

/** What {@link exportModel} built: sizes, names and the checks it made. */
export interface ExportReport {
  /** The model type. */
  method: Method;
  /** The ONNX opset of the default domain ({@link ONNX_OPSET}). */
  opset: number;
  /** The ONNX IR version ({@link ONNX_IR_VERSION}). */
  irVersion: number;
  /** Size of the serialised model in bytes. */
  bytes: number;
  /** Graph nodes. */
  nodes: number;
  /** Graph initializers (weights and constants). */
  initializers: number;
  /** Number of float32 values stored as initializers (the model's weights). */
  parameters: number;
  /** Graph input names (`features`, plus `dropout_noise` for MC dropout). */
  inputs: string[];
  /** Graph output names (see packages/export/README.md). */
  outputs: string[];
  /** The model card written into metadata_props. */
  card: ModelCard;
  /** SNGP: per-block spectral norms of the stored kernels and the divisor baked in. */
  spectral?: SpectralReport[];
  /** SNGP: posterior facts (the precision was checked: symmetric, every eigenvalue >= ridge). */
  posterior?: {
    /** Random features M: the covariance is M x M. */
    numRandomFeatures: number;
    /** The ridge s; Sigma = s P^-1. */
    ridge: number;
    /** Largest |P_ij - P_ji| of the stored precision (within tolerance, or export would have failed). */
    precisionAsymmetry: number;
    /** The form the graph carries. */
    kind: PosteriorKind;
    /** What was asked for (`auto`, `full` or `low-rank`). */
    requested: PosteriorChoice;
    /** Directions kept (M for full). */
    rank: number;
    /** The relative tolerance the rank was chosen for (null when `full` was asked for). */
    tolerance: number | null;
    /** Proven bound on |var - var_full| / var_full, every input (0 for full). */
    relativeErrorBound: number;
    /** Proven bound on |var - var_full|, every input (0 for full). */
    absoluteErrorBound: number;
    /** Max |var - var_full| / var_full over `measuredOver`, both in float64 (0 for full). */
    measuredRelativeError: number;
    /** Max |var - var_full| over `measuredOver`, both in float64 (0 for full). */
    measuredAbsoluteError: number;
    /** The points the error was measured on (the verification points), or null for full. */
    measuredOver: string | null;
    /** The 10 largest d_k = lambda_k / (ridge + lambda_k) and d at the rank (when the spectrum was computed). */
    shrinkage?: {
      /** The 10 largest shrinkage factors d_k in [0, 1), descending (fewer when M < 10). */
      top: number[];
      /** d of the first direction dropped (index `rank`), or null when every direction is kept. */
      atRank: number | null;
    };
  };
  /** Non-fatal problems, one line each (e.g. a power iteration that did not converge). */
  warnings: string[];
}

/** Everything {@link exportModel} produces. */
export interface ExportResult {
  /** The .onnx file contents, ready to write. */
  bytes: Uint8Array;
  /** The same model as a plain object (before serialisation). */
  model: ModelProto;
  /** The weights the graph was built from; pass it to {@link verifyModel} to skip re-baking. */
  baked: BakedModel;
  /** What was built. */
  report: ExportReport;
  /**
   * The float64 reference at the verification points of `coverage`, when export computed it (to
   * measure a low-rank posterior's error): pass it to {@link verifyModel} as `reference`, with the
   * same `coverage`, to skip recomputing.
   */
  verificationReference?: ReferenceOutput;
}

/** Max relative and absolute difference of `got` against a positive reference (floor 1e-12, as verification). */
function varianceErrors(got: ArrayLike<number>, ref: ArrayLike<number>): { relative: number; absolute: number } {
  let relative = 0;
  let absolute = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - ref[i]);
    absolute = Math.max(absolute, d);
    relative = Math.max(relative, d / Math.max(Math.abs(ref[i]), 1e-12));
  }
  return { relative, absolute };
}

function graphFor(baked: BakedModel, opts: ExportOptions): GraphProto {
  switch (baked.config.method) {
    case 'deterministic':
      return deterministicGraph(baked);
    case 'sngp':
      return sngpGraph(baked, { meanFieldProbs: opts.meanFieldProbs, randomFeatures: opts.randomFeatures });
    case 'mc-dropout':
      return mcDropoutGraph(baked);
    case 'ensemble':
      return ensembleGraph(baked);
  }
}

/**
 * Checkpoint -> ONNX model bytes (opset 17, IR 8) plus a report of what was baked. Pure: nothing is
 * written; the result is not verified (run {@link verifyModel} on it).
 *
 * @example
 * ```ts
 * const { bytes, baked, report } = exportModel(readCheckpoint('ckpt/sngp'));
 * const check = await verifyModel(bytes, baked);
 * if (check.passed) writeFileAtomic('sngp.onnx', bytes);
 * ```
 * @param ckpt - a checkpoint, e.g. from `readCheckpoint` of `@sngp/core/node`.
 * @param opts - export options.
 * @returns the model bytes and object, the baked weights and a report.
 * @throws SngpError if the checkpoint is invalid (see {@link bakeCheckpoint}), or `as` / `mcSamples`
 * do not apply to its method.
 */
export function exportModel(ckpt: Checkpoint, opts: ExportOptions = {}): ExportResult {
  const baked = bakeCheckpoint(asRequested(ckpt, opts), { posterior: opts.posterior, varianceTolerance: opts.varianceTolerance });
  const warnings = [...baked.warnings];
  if (opts.meanFieldProbs && baked.config.method !== 'sngp')
    warnings.push(`--mean-field-probs only applies to SNGP; ignored for ${baked.config.method}`);
  const graph = graphFor(baked, opts);
  // A low-rank posterior's error against the full one, measured in float64 on the verification
  // points (the full reference is kept for verifyModel, which needs the same numbers).
  let measured = { relative: 0, absolute: 0 };
  let verificationReference: ReferenceOutput | undefined;
  let measuredOver: string | null = null;
  const post = baked.gp?.posterior;
  if (baked.gp && post?.kind === 'low-rank') {
    const pts = verificationPoints(baked.config, undefined, opts.coverage ?? 'full');
    verificationReference = referenceForward(baked, pts.x, pts.n, { features: true });
    const lowRank = lowRankVariance(verificationReference.features!, pts.n, post.factor!, baked.gp.m, post.rank);
    measured = varianceErrors(lowRank, verificationReference.variance!);
    measuredOver = pts.label;
    delete verificationReference.features; // 8 * n * M bytes: not needed any more
  }
  const card = modelCardFor(baked, !!opts.meanFieldProbs, measured.relative);
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
    ...(gp
      ? {
          posterior: {
            numRandomFeatures: gp.m,
            ridge: gp.ridge,
            precisionAsymmetry: gp.precisionAsymmetry,
            kind: gp.posterior.kind,
            requested: gp.posterior.requested,
            rank: gp.posterior.rank,
            tolerance: gp.posterior.tolerance,
            relativeErrorBound: gp.posterior.relativeErrorBound,
            absoluteErrorBound: gp.posterior.absoluteErrorBound,
            measuredRelativeError: measured.relative,
            measuredAbsoluteError: measured.absolute,
            measuredOver,
            ...(gp.posterior.spectrum
              ? {
                  shrinkage: {
                    top: Array.from(gp.posterior.spectrum.shrinkage.subarray(0, 10)),
                    atRank: gp.posterior.rank < gp.m ? gp.posterior.spectrum.shrinkage[gp.posterior.rank] : null,
                  },
                }
              : {}),
          },
        }
      : {}),
    warnings,
  };
  return { bytes, model, baked, report, ...(verificationReference ? { verificationReference } : {}) };
}
