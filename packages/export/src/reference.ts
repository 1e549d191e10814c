import { type Checkpoint, GP_LAYER_NORM_EPSILON, matmulTransposed, SngpError, varianceFromCholesky } from '@sngp/core';
import { bakeCheckpoint, type BakedModel, type Dense, type GpWeights, type ResNetWeights } from './baked-weights.js';

/*
 * An independent float64 forward pass of every method, in plain TypeScript (no tfjs, no ONNX):
 * what the exported graph must reproduce. It starts from the same baked weights (spectral norm
 * applied) but computes the SNGP variance from the FULL posterior, by a triangular solve with the
 * Cholesky factor of P, var = ridge * ||L^-1 phi||^2, whatever form the graph carries: it checks
 * the explicit inverse of a full graph, and measures the truncation error of a low-rank one.
 */

/** The outputs of {@link referenceForward}, named like the graph's. */
export interface ReferenceOutput {
  /** [N, K] (deterministic, SNGP) or [S, N, K] (MC dropout samples, ensemble members). */
  logits: Float64Array;
  /** The dimensions of `logits`: [N, K] or [S, N, K]. */
  logitsShape: number[];
  /** SNGP: posterior variance [N]. */
  variance?: Float64Array;
  /** Probabilities [N, K]: mean softmax (MC dropout, ensemble) or mean-field (SNGP); absent for deterministic. */
  probs?: Float64Array;
  /** SNGP with `features: true`: the random features phi [N, M] the variance is a quadratic form of. */
  features?: Float64Array;
}

/** Options of {@link referenceForward}. */
export interface ReferenceOptions {
  /** MC dropout: uniform noise [T, numLayers, hiddenDim] (same as the graph input). */
  noise?: ArrayLike<number>;
  /** MC dropout with numLayers = 0: number of samples T (there is no noise to infer it from). */
  samples?: number;
  /** SNGP: also return the random features phi (`features`, float64 [N, M]). */
  features?: boolean;
}

/** y = x @ W + b for row-major x [n, in]: W is transposed once so every output is a contiguous dot product. */
function dense(x: Float64Array, n: number, l: Dense): Float64Array {
  const { inDim, outDim, kernel } = l;
  const wt = new Float64Array(inDim * outDim);
  for (let i = 0; i < inDim; i++) for (let j = 0; j < outDim; j++) wt[j * inDim + i] = kernel[i * outDim + j];
  return matmulTransposed(x, n, inDim, wt, outDim, { bias: l.bias });
}

function standardize(model: BakedModel, x: ArrayLike<number>, n: number): Float64Array {
  const d = model.hp.inputDim;
  const out = Float64Array.from(x);
  const s = model.config.standardization;
  if (s) for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) out[r * d + j] = (out[r * d + j] - s.mean[j]) / s.std[j];
  return out;
}

/** Residual body; `mask(l)` gives block l's dropout mask [H] (or undefined: no dropout). */
function body(net: ResNetWeights, x: Float64Array, n: number, mask?: (l: number) => Float64Array): Float64Array {
  const h = dense(x, n, net.input);
  const hd = net.input.outDim;
  net.blocks.forEach((b, l) => {
    const pre = dense(h, n, b);
    const m = mask?.(l);
    for (let i = 0; i < pre.length; i++) h[i] += Math.max(pre[i], 0) * (m ? m[i % hd] : 1);
  });
  return h;
}

function softmaxInto(row: Float64Array, out: Float64Array, o: number, k: number, weight: number): void {
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, row[j]);
  let sum = 0;
  const e = new Float64Array(k);
  for (let j = 0; j < k; j++) sum += e[j] = Math.exp(row[j] - max);
  for (let j = 0; j < k; j++) out[o + j] += (weight * e[j]) / sum;
}

/** Mean over S of softmax(logits / T), from [S, N, K] logits (T: the calibrated temperature). */
function meanSoftmax64(logits: Float64Array, s: number, n: number, k: number, temperature: number): Float64Array {
  const probs = new Float64Array(n * k);
  const scaled = temperature === 1 ? logits : logits.map((v) => v / temperature);
  for (let t = 0; t < s; t++)
    for (let r = 0; r < n; r++) softmaxInto(scaled.subarray((t * n + r) * k, (t * n + r + 1) * k), probs, r * k, k, 1 / s);
  return probs;
}

/**
 * The GP input u = LayerNorm(h) / sqrt(kernel scale) (LayerNorm only when the checkpoint has it:
 * biased variance over the H features, epsilon GP_LAYER_NORM_EPSILON, then gamma and beta), as
 * the trainer computes it.
 */
function gpInput(gp: GpWeights, h: Float64Array, n: number, hd: number): Float64Array {
  const norm = gp.inputNorm;
  const inv = 1 / Math.sqrt(gp.kernelScale);
  if (!norm && gp.kernelScale === 1) return h;
  const u = new Float64Array(h.length);
  for (let r = 0; r < n; r++) {
    const o = r * hd;
    let mean = 0;
    let variance = 0;
    if (norm) {
      for (let j = 0; j < hd; j++) mean += h[o + j];
      mean /= hd;
      for (let j = 0; j < hd; j++) variance += (h[o + j] - mean) ** 2;
      variance /= hd;
    }
    const sd = Math.sqrt(variance + GP_LAYER_NORM_EPSILON);
    for (let j = 0; j < hd; j++) u[o + j] = inv * (norm ? ((h[o + j] - mean) / sd) * norm.gamma[j] + norm.beta[j] : h[o + j]);
  }
  return u;
}

/** SNGP's random features phi = sqrt(2/M) cos(u W_rf + b_rf) of standardised rows, float64 [n, M]. */
function gpFeatures(model: BakedModel, x: Float64Array, n: number): Float64Array {
  const gp = model.gp!;
  const h = model.hp.hiddenDim;
  const hidden = gpInput(gp, body(model.nets[0], x, n), n, h);
  const phi = dense(hidden, n, { kernel: gp.rffKernel, bias: gp.rffBias, inDim: h, outDim: gp.m });
  const c = Math.sqrt(2 / gp.m);
  for (let i = 0; i < phi.length; i++) phi[i] = c * Math.cos(phi[i]);
  return phi;
}

/**
 * SNGP's random features phi = sqrt(2/M) cos(u W_rf + b_rf) in float64 for raw feature rows: the
 * vectors the posterior variance is a quadratic form of (e.g. to compare posterior forms on the
 * same points).
 * @param model - a baked SNGP model.
 * @param features - raw (unstandardised) features, row-major [n, D].
 * @param n - rows.
 * @returns phi, float64 row-major [n, M].
 * @throws SngpError if the model is not SNGP or `features` does not hold n rows of D values.
 */
export function referenceFeatures(model: BakedModel, features: ArrayLike<number>, n: number): Float64Array {
  if (!model.gp) throw new SngpError(`reference features: the model is ${model.config.method}, not sngp`);
  const d = model.hp.inputDim;
  if (features.length !== n * d) throw new SngpError(`reference: ${features.length} feature values for ${n} rows of ${d}`);
  return gpFeatures(model, standardize(model, features, n), n);
}

function sngpForward(model: BakedModel, x: Float64Array, n: number, withFeatures = false): ReferenceOutput {
  const gp = model.gp!;
  const { numClasses: k } = model.hp;
  const { lambda, temperature } = gp.meanField;
  const phi = gpFeatures(model, x, n);
  const logits = dense(phi, n, { kernel: gp.beta, bias: gp.bias, inDim: gp.m, outDim: k });
  // The FULL posterior's variance whatever form the graph carries (>= 0, as the graph's clamp).
  const variance = varianceFromCholesky(phi, n, gp.posterior.choleskyFactor, gp.m, gp.ridge);
  const probs = new Float64Array(n * k);
  const row = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    const scale = temperature * (lambda < 0 ? 1 : Math.sqrt(1 + lambda * variance[r]));
    for (let j = 0; j < k; j++) row[j] = logits[r * k + j] / scale;
    softmaxInto(row, probs, r * k, k, 1);
  }
  return { logits, logitsShape: [n, k], variance, probs, ...(withFeatures ? { features: phi } : {}) };
}

function mcDropoutForward(model: BakedModel, x: Float64Array, n: number, opts: ReferenceOptions): ReferenceOutput {
  const { numLayers: layers, hiddenDim: h, numClasses: k, dropoutRate: rate } = model.hp;
  let t: number;
  if (layers > 0) {
    if (!opts.noise || opts.noise.length % (layers * h) !== 0)
      throw new SngpError(`MC dropout reference needs noise of shape [T, ${layers}, ${h}]`);
    t = opts.noise.length / (layers * h);
  } else t = opts.samples ?? model.hp.mcSamples;
  const net = model.nets[0];
  const logits = new Float64Array(t * n * k);
  const rateF32 = Math.fround(rate); // the graph compares float32 noise against float32 rate
  for (let s = 0; s < t; s++) {
    const mask = (l: number): Float64Array => {
      const m = new Float64Array(h);
      const o = (s * layers + l) * h;
      for (let j = 0; j < h; j++) m[j] = opts.noise![o + j] >= rateF32 ? 1 / (1 - rate) : 0;
      return m;
    };
    logits.set(dense(body(net, x, n, mask), n, net.output!), s * n * k);
  }
  return { logits, logitsShape: [t, n, k], probs: meanSoftmax64(logits, t, n, k, model.temperature) };
}

function isBaked(m: Checkpoint | BakedModel): m is BakedModel {
  return 'nets' in m;
}

/**
 * Float64 forward pass of a checkpoint (or already baked model) over `n` raw feature rows: an
 * independent implementation of what the exported graph computes (the SNGP variance of the FULL
 * posterior by triangular solves with the Cholesky factor of P, not with the explicit inverse or
 * the low-rank factor the graph uses).
 * @param source - a checkpoint (baked first) or a {@link BakedModel}.
 * @param features - raw (unstandardised) features, row-major [n, D].
 * @param n - rows.
 * @param opts - MC dropout noise or sample count.
 * @returns logits, and per method the variance and probabilities, in float64.
 * @throws SngpError if `features` does not hold n rows of D values, MC dropout noise is missing or
 *   of the wrong size, or a checkpoint is invalid (see {@link bakeCheckpoint}).
 */
export function referenceForward(
  source: Checkpoint | BakedModel,
  features: ArrayLike<number>,
  n: number,
  opts: ReferenceOptions = {},
): ReferenceOutput {
  const model = isBaked(source) ? source : bakeCheckpoint(source);
  const { inputDim: d, numClasses: k } = model.hp;
  if (features.length !== n * d) throw new SngpError(`reference: ${features.length} feature values for ${n} rows of ${d}`);
  const x = standardize(model, features, n);
  switch (model.config.method) {
    case 'deterministic': {
      const net = model.nets[0];
      return { logits: dense(body(net, x, n), n, net.output!), logitsShape: [n, k] };
    }
    case 'sngp':
      return sngpForward(model, x, n, opts.features === true);
    case 'mc-dropout':
      return mcDropoutForward(model, x, n, opts);
    case 'ensemble': {
      const m = model.nets.length;
      const logits = new Float64Array(m * n * k);
      model.nets.forEach((net, i) => logits.set(dense(body(net, x, n), n, net.output!), i * n * k));
      return { logits, logitsShape: [m, n, k], probs: meanSoftmax64(logits, m, n, k, model.temperature) };
    }
  }
}
