import { type Checkpoint, type CheckpointConfig, ONNX_NAMES, Rng, SngpError, twoMoons } from '@sngp/core';
import { bakeCheckpoint, type BakedModel } from './baked-weights.js';
import { referenceForward } from './reference.js';

/** The part of the onnxruntime API (same in onnxruntime-node and onnxruntime-web) verification uses. */
export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
}
export interface OrtSessionLike {
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
  release?(): Promise<void>;
}
export interface OrtLike {
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSessionLike> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensorLike;
}

export const TOLERANCES = { logits: 1e-4, varianceRel: 1e-3, probs: 1e-4 } as const;

export interface VerifyOptions {
  /** onnxruntime module to run the model with (default: onnxruntime-node). */
  ort?: OrtLike;
  /** Points to evaluate [n * inputDim]; default: two-moons grid + OOD set (or Gaussian points if inputDim != 2). */
  points?: { x: Float32Array; n: number; label: string };
  /** Seed of the MC dropout noise. */
  seed?: number;
}

export interface VerifyReport {
  passed: boolean;
  method: string;
  points: string;
  rows: number;
  /** MC dropout samples / ensemble members evaluated. */
  samples?: number;
  maxLogitsDiff: number;
  /** SNGP: max |var_onnx - var_ref| / var_ref. */
  maxVarianceRelDiff?: number;
  maxProbsDiff?: number;
  tolerances: typeof TOLERANCES;
  failures: string[];
  seconds: { onnx: number; reference: number };
}

/** The default verification points: moons grid + OOD cluster for 2-D models, else Gaussian points. */
export function verificationPoints(config: CheckpointConfig, seed = config.training.seed): { x: Float32Array; n: number; label: string } {
  const d = config.hyperParameters.inputDim;
  if (d === 2) {
    const { grid, ood } = twoMoons(seed);
    const x = new Float32Array((grid.n + ood.n) * 2);
    x.set(grid.x);
    x.set(ood.x, grid.n * 2);
    return { x, n: grid.n + ood.n, label: `two-moons grid (${grid.n}) + OOD (${ood.n})` };
  }
  // Spread over (and beyond) the training distribution: mean + 3 * std * z.
  const n = 2000;
  const s = config.standardization;
  const rng = new Rng(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n * d; i++) x[i] = (s ? s.mean[i % d] : 0) + 3 * (s ? s.std[i % d] : 1) * rng.normal();
  return { x, n, label: `${n} Gaussian points (3 std around the training mean)` };
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

async function defaultOrt(): Promise<OrtLike> {
  return (await import('onnxruntime-node')) as unknown as OrtLike;
}

/**
 * Run the exported model with onnxruntime and compare with the float64 reference: logits within
 * 1e-4, SNGP variance within 1e-3 relative, probs within 1e-4.
 */
export async function verifyModel(bytes: Uint8Array, source: Checkpoint | BakedModel, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const model = 'nets' in source ? source : bakeCheckpoint(source);
  const { method } = model.config;
  const { numLayers: layers, hiddenDim: h } = model.hp;
  const pts = opts.points ?? verificationPoints(model.config);
  const ort = opts.ort ?? (await defaultOrt());

  const feeds: Record<string, OrtTensorLike> = {
    [ONNX_NAMES.features]: new ort.Tensor('float32', pts.x, [pts.n, model.hp.inputDim]),
  };
  let noise: Float32Array | undefined;
  if (method === 'mc-dropout') {
    const t = model.hp.mcSamples;
    noise = new Rng(opts.seed ?? 1234).fillUniform(new Float32Array(t * layers * h));
    feeds[ONNX_NAMES.dropoutNoise] = new ort.Tensor('float32', noise, [t, layers, h]);
  }
  let t0 = performance.now();
  let session: OrtSessionLike;
  try {
    session = await ort.InferenceSession.create(bytes);
  } catch (e) {
    throw new SngpError(`onnxruntime could not load the exported model: ${(e as Error).message}`);
  }
  const out = await session.run(feeds);
  await session.release?.();
  const onnxSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const ref = referenceForward(model, pts.x, pts.n, { noise });
  const refSeconds = (performance.now() - t0) / 1000;

  const failures: string[] = [];
  const data = (name: string): Float32Array => {
    const v = out[name];
    if (!v) throw new SngpError(`exported model has no output "${name}"`);
    return v.data as Float32Array;
  };
  const shapeOk = (name: string, want: number[]) => {
    const got = out[name].dims;
    if (got.length !== want.length || got.some((v, i) => v !== want[i])) failures.push(`${name} has shape [${got}], expected [${want}]`);
  };
  shapeOk(ONNX_NAMES.logits, ref.logitsShape);
  const maxLogitsDiff = maxAbsDiff(data(ONNX_NAMES.logits), ref.logits);
  if (!(maxLogitsDiff <= TOLERANCES.logits)) failures.push(`max |logits diff| ${maxLogitsDiff.toExponential(3)} > ${TOLERANCES.logits}`);
  const report: VerifyReport = {
    passed: false,
    method,
    points: pts.label,
    rows: pts.n,
    ...(ref.logitsShape.length === 3 ? { samples: ref.logitsShape[0] } : {}),
    maxLogitsDiff,
    tolerances: TOLERANCES,
    failures,
    seconds: { onnx: onnxSeconds, reference: refSeconds },
  };
  if (method === 'sngp') {
    shapeOk(ONNX_NAMES.variance, [pts.n]);
    report.maxVarianceRelDiff = maxRelDiff(data(ONNX_NAMES.variance), ref.variance!);
    if (!(report.maxVarianceRelDiff <= TOLERANCES.varianceRel))
      failures.push(`max variance relative diff ${report.maxVarianceRelDiff.toExponential(3)} > ${TOLERANCES.varianceRel}`);
  }
  const hasProbs = ONNX_NAMES.probs in out;
  if (method !== 'deterministic' && (method !== 'sngp' || hasProbs)) {
    shapeOk(ONNX_NAMES.probs, [pts.n, model.hp.numClasses]);
    report.maxProbsDiff = maxAbsDiff(data(ONNX_NAMES.probs), ref.probs!);
    if (!(report.maxProbsDiff <= TOLERANCES.probs)) failures.push(`max |probs diff| ${report.maxProbsDiff.toExponential(3)} > ${TOLERANCES.probs}`);
  }
  report.passed = failures.length === 0;
  return report;
}
