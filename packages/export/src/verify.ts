import { type Checkpoint, DEFAULT_NOISE_SEED, ONNX_NAMES, SngpError, dropoutNoise } from '@sngp/core';
import { type Device, type FloatTensor, loadModel } from '@sngp/runtime';
import { bakeCheckpoint, type BakedModel } from './baked-weights.js';
import { referenceForward, type ReferenceOutput } from './reference.js';
import { type VerificationCoverage, defaultCoverage, verificationPoints } from './verification-points.js';


/**
 * How close the exported model (float32, onnxruntime) must come to the float64 reference for
 * {@link verifyModel} to pass.
 */
export const TOLERANCES = {
  /**
   * Max absolute difference of any logit, for logits up to 10 in magnitude; above, it scales with
   * the largest |logit| of the reference (float32 keeps a relative precision, not an absolute one:
   * a long-trained ensemble on a separable table has logits in the hundreds at the far
   * verification points, where 1e-4 is below float32's resolution).
   */
  logits: 1e-4,
  /**
   * SNGP: max relative difference of the posterior variance against the FULL float64 posterior,
   * for float32 rounding; a low-rank graph is allowed its proven truncation bound on top (the
   * card's `sngp.variance_error_bound`), see {@link VerifyReport.tolerances}.
   */
  varianceRel: 1e-3,
  /** Max absolute difference of any probability (MC dropout, ensemble, SNGP graph `probs`). */
  probs: 1e-4,
} as const;

/** Options of {@link verifyModel}. */
export interface VerifyOptions {
  /**
   * Runtime device to run the exported model on (default 'cpu': onnxruntime-node's CPU provider;
   * 'wasm' runs onnxruntime-web's engine, as browsers do). No fallback: the device must open.
   */
  device?: Device;
  /** Points to evaluate [n * inputDim]; default: two-moons grid + test + OOD sets (or Gaussian points if inputDim != 2). */
  points?: {
    /** Raw features, row-major [n, inputDim]. */
    x: Float32Array;
    /** Rows. */
    n: number;
    /** Describes the points in the report. */
    label: string;
  };
  /** Seed of the MC dropout noise (default: the runtime's, `DEFAULT_NOISE_SEED`). */
  seed?: number;
  /**
   * Without `points`: every default point or the representative subset (default:
   * {@link defaultCoverage} of the model's method, `sample` for MC dropout and ensembles).
   */
  coverage?: VerificationCoverage;
  /**
   * The float64 reference outputs at `points` (or at the default points when `points` is not
   * given), e.g. `ExportResult.verificationReference`: skips recomputing them (seconds at M = 1024).
   */
  reference?: ReferenceOutput;
}

/** The outcome of {@link verifyModel}: every difference measured and what failed. */
export interface VerifyReport {
  /** True when every difference is within {@link TOLERANCES} and every shape matches. */
  passed: boolean;
  /** The model type. */
  method: string;
  /** Describes the points evaluated (their label). */
  points: string;
  /** Rows evaluated. */
  rows: number;
  /** MC dropout samples / ensemble members evaluated. */
  samples?: number;
  /** Max |logits_onnx - logits_ref| over every logit. */
  maxLogitsDiff: number;
  /** SNGP: max |var_onnx - var_ref| / var_ref. */
  maxVarianceRelDiff?: number;
  /** Max |probs_onnx - probs_ref| where the graph outputs `probs` (MC dropout, ensemble, SNGP with it). */
  maxProbsDiff?: number;
  /**
   * The tolerances applied: {@link TOLERANCES}, except `varianceRel`, which for a low-rank SNGP
   * graph is TOLERANCES.varianceRel plus the proven relative truncation bound of its posterior.
   */
  tolerances: {
    /** Max absolute difference of any logit: TOLERANCES.logits x max(1, max |reference logit| / 10). */
    logits: number;
    /** SNGP: max relative variance difference against the full float64 posterior. */
    varianceRel: number;
    /** Max absolute difference of any probability. */
    probs: number;
  };
  /** One line per failed check (empty when `passed`). */
  failures: string[];
  /** Wall-clock seconds. */
  seconds: {
    /** Loading and running the ONNX model. */
    onnx: number;
    /** The float64 reference forward pass. */
    reference: number;
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return a.length === b.length ? m : Infinity;
}

/** Max relative difference, against max(|ref|, 1e-12) so an exact zero cannot divide. */
function maxRelDiff(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i] - ref[i]) / Math.max(Math.abs(ref[i]), 1e-12));
  return got.length === ref.length ? m : Infinity;
}

/**
 * Run the exported model through @sngp/runtime (onnxruntime) and compare with the float64 reference: logits within
 * 1e-4 (scaled up by max |logit| / 10 above 10), SNGP variance within 1e-3 relative, probs within 1e-4.
 * The model runs through `loadModel` (so its card is checked against the graph too) and
 * `runGraph` (the raw graph outputs, no post-processing).
 * @param bytes - the exported .onnx file.
 * @param source - the checkpoint it was exported from, or the {@link BakedModel} of
 *   {@link ExportResult} (saves baking again).
 * @param opts - device, points and MC dropout seed.
 * @returns the measured differences; check `passed` (a failed comparison does not throw).
 * @throws SngpError if the model cannot be loaded or run on the device (no fallback), or lacks an
 *   output the method needs.
 */
export async function verifyModel(bytes: Uint8Array, source: Checkpoint | BakedModel, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const model = 'nets' in source ? source : bakeCheckpoint(source);
  const { method } = model.config;
  const { numLayers: layers, hiddenDim: h } = model.hp;
  const pts = opts.points ?? verificationPoints(model.config, undefined, opts.coverage ?? defaultCoverage(method));
  const feeds: Record<string, FloatTensor> = { [ONNX_NAMES.features]: { data: pts.x, dims: [pts.n, model.hp.inputDim] } };
  let noise: Float32Array | undefined;
  if (method === 'mc-dropout') {
    feeds[ONNX_NAMES.dropoutNoise] = dropoutNoise(model.hp.mcSamples, [layers, h], opts.seed ?? DEFAULT_NOISE_SEED);
    noise = feeds[ONNX_NAMES.dropoutNoise].data;
  }
  let t0 = performance.now();
  // Through the runtime users run: its loader also checks the model card against the graph.
  const runtime = await loadModel(bytes, { device: opts.device ?? 'cpu', strict: true });
  let out: Record<string, FloatTensor>;
  try {
    out = await runtime.runGraph(feeds);
  } finally {
    await runtime.dispose();
  }
  const onnxSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const ref = opts.reference ?? referenceForward(model, pts.x, pts.n, { noise });
  if (ref.logits.length !== ref.logitsShape.reduce((a, b) => a * b, 1) || ref.logitsShape[ref.logitsShape.length - 2] !== pts.n)
    throw new SngpError(`verifyModel: the given reference has logits of shape [${ref.logitsShape}], not for the ${pts.n} points verified`);
  const refSeconds = (performance.now() - t0) / 1000;
  // A low-rank posterior errs by up to its proven bound, then float32 rounding on top.
  let maxAbsLogit = 0;
  for (const v of ref.logits) maxAbsLogit = Math.max(maxAbsLogit, Math.abs(v));
  const tolerances = {
    ...TOLERANCES,
    logits: TOLERANCES.logits * Math.max(1, maxAbsLogit / 10),
    varianceRel: TOLERANCES.varianceRel + (model.gp?.posterior.relativeErrorBound ?? 0),
  };

  const failures: string[] = [];
  const data = (name: string): Float32Array => {
    const v = out[name];
    if (!v) throw new SngpError(`exported model has no output "${name}"`);
    return v.data;
  };
  const shapeOk = (name: string, want: number[]) => {
    const got = out[name].dims;
    if (got.length !== want.length || got.some((v, i) => v !== want[i])) failures.push(`${name} has shape [${got}], expected [${want}]`);
  };
  shapeOk(ONNX_NAMES.logits, ref.logitsShape);
  const maxLogitsDiff = maxAbsDiff(data(ONNX_NAMES.logits), ref.logits);
  if (!(maxLogitsDiff <= tolerances.logits)) failures.push(`max |logits diff| ${maxLogitsDiff.toExponential(3)} > ${tolerances.logits}`);
  const report: VerifyReport = {
    passed: false,
    method,
    points: pts.label,
    rows: pts.n,
    ...(ref.logitsShape.length === 3 ? { samples: ref.logitsShape[0] } : {}),
    maxLogitsDiff,
    tolerances,
    failures,
    seconds: { onnx: onnxSeconds, reference: refSeconds },
  };
  if (method === 'sngp') {
    shapeOk(ONNX_NAMES.variance, [pts.n]);
    report.maxVarianceRelDiff = maxRelDiff(data(ONNX_NAMES.variance), ref.variance!);
    if (!(report.maxVarianceRelDiff <= tolerances.varianceRel))
      failures.push(`max variance relative diff ${report.maxVarianceRelDiff.toExponential(3)} > ${tolerances.varianceRel.toPrecision(3)}`);
  }
  const hasProbs = ONNX_NAMES.probs in out;
  if (method !== 'deterministic' && (method !== 'sngp' || hasProbs)) {
    shapeOk(ONNX_NAMES.probs, [pts.n, model.hp.numClasses]);
    report.maxProbsDiff = maxAbsDiff(data(ONNX_NAMES.probs), ref.probs!);
    if (!(report.maxProbsDiff <= tolerances.probs)) failures.push(`max |probs diff| ${report.maxProbsDiff.toExponential(3)} > ${tolerances.probs}`);
  }
  report.passed = failures.length === 0;
  return report;
}
