import { GP_LAYER_NORM_EPSILON, ONNX_NAMES } from '@sngp/core';
import type { BakedModel } from '../baked-weights.js';
import { GraphBuilder } from '../graph-builder.js';
import type { GraphProto } from '../onnx-schema.js';
import { BATCH, featuresInput, residualBody } from './common.js';

/** How the SNGP graph evaluates cos(h W_rf + b_rf). */
export type RandomFeatureOp = 'cos' | 'polynomial';
/** The {@link RandomFeatureOp} values. */
export const RANDOM_FEATURE_OPS: readonly RandomFeatureOp[] = ['cos', 'polynomial'];

/** Options of {@link sngpGraph}. */
export interface SngpGraphOptions {
  /** Also output mean-field `probs` [N, K] using the model's mean-field factor. */
  meanFieldProbs?: boolean;
  /**
   * `cos` (default): onnxruntime's Cos op. `polynomial`: range reduction and an even polynomial
   * from Floor/Sub/Mul/Add, faster on onnxruntime-web's wasm backend, slower on the native CPU
   * provider (see packages/export/README.md).
   */
  randomFeatures?: RandomFeatureOp;
}

/**
 * cos(2 pi t) ~ sum_k COS_POLY[k] * t^(2k) for t in [-1/2, 1/2]: least squares on Chebyshev nodes
 * in u = t^2, max error 1.1e-8 in float64 and 4e-7 evaluated in float32 (Horner).
 */
export const COS_POLY = [
  0.9999999890590224, -19.73920449945396, 64.93911745990019, -85.45013953096007, 60.16763095152851, -25.967599250496555,
  6.528658163992226,
];

/**
 * SNGP: spectral-normed residual body (kernels already baked), the GP input u (layer-normalised
 * when the checkpoint says so; the kernel scale is folded into W_rf), random features
 * c = cos(u W_rf + b_rf), and the GP head with the feature scale sqrt(2/M) folded into its
 * weights, so no op runs over [N, M] just to scale it:
 *   logits   = c (sqrt(2/M) beta) + bias                      (= phi beta + bias, phi = sqrt(2/M) c)
 *   full:      variance = rowsum((c (2/M Sigma)) .* c)         (= phi^T Sigma phi)
 *   low-rank:  variance = (2/M) |c|^2 - |c (sqrt(2/M) L)|^2    (= |phi|^2 - |phi L|^2)
 * (low-rank: beta and L share one MatMul, `gp.head_scaled` [M, K + r], split after it).
 * Both clamped at 0. An [N, M] or [N, r] intermediate, never the N x N batch covariance.
 */
export function sngpGraph(model: BakedModel, opts: SngpGraphOptions = {}): GraphProto {
  const gp = model.gp;
  if (!gp) throw new Error('sngpGraph: model has no GP layer');
  const k = model.hp.numClasses;
  const { lambda, temperature } = gp.meanField;
  const m = gp.m;
  const post = gp.posterior;
  const scale = Math.sqrt(2 / m);
  const g = new GraphBuilder('sngp');
  const hidden = residualBody(g, featuresInput(g, model), model.nets[0]);
  const c = randomFeatures(g, hidden, model, opts.randomFeatures ?? 'cos');
  const bias = g.float('gp.bias', gp.bias, [k]);
  let logits: string;
  let quad: string;
  if (post.kind === 'low-rank') {
    // One MatMul for the logits and the projections, c [sqrt(2/M) beta | sqrt(2/M) L] [N, K + r],
    // then Split: c is read once instead of twice (on par on the CPU provider, 25% faster on
    // WebGPU at N = 100 than two MatMuls).
    const r = post.rank;
    const head = new Float32Array(m * (k + r));
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < k; j++) head[i * (k + r) + j] = gp.beta[i * k + j] * scale;
      for (let j = 0; j < r; j++) head[i * (k + r) + k + j] = post.factor![i * r + j] * scale;
    }
    const both = g.matmul(c, g.float('gp.head_scaled', head, [m, k + r]));
    const [logitsNoBias, proj] = g.split(both, [k, r], 1);
    logits = g.add(logitsNoBias, bias, ONNX_NAMES.logits);
    // Mul + ReduceSum rather than ReduceSumSquare: onnxruntime's CPU kernel for the latter is 2-5x
    // slower here (measured at N = 100 and 1,000).
    const axes = g.int64('axes_1', [1]);
    const sumSquares = (x: string) => g.op('ReduceSum', [g.mul(x, x), axes], { keepdims: { int: 0 } });
    const norm = g.mul(sumSquares(c), g.scalar('gp.feature_scale_squared', 2 / m));
    quad = g.op('Sub', [norm, sumSquares(proj)]);
  } else {
    logits = g.dense(c, g.float('gp.beta_scaled', scaled(gp.beta, scale), [m, k]), bias, ONNX_NAMES.logits);
    const cSigma = g.matmul(c, g.float('gp.covariance_scaled', scaled(post.covariance!, 2 / m), [m, m]));
    quad = g.op('ReduceSum', [g.mul(cSigma, c), g.int64('axes_1', [1])], { keepdims: { int: 0 } });
  }
  // The variance is >= 0 in exact arithmetic; float32 rounding can dip below 0 where it is tiny (and
  // the low-rank form subtracts two positive numbers). Clamp at 0 (Relu: max(x, 0), runs on WebGPU,
  // and onnxruntime keeps NaN as NaN).
  const variance = g.op('Relu', [quad], {}, ONNX_NAMES.variance);
  g.output(logits, [BATCH, k]);
  g.output(variance, [BATCH]);
  if (opts.meanFieldProbs) {
    // p = softmax(logits / (T sqrt(1 + lambda * variance))); lambda < 0 means no variance term.
    let scaledLogits = logits;
    if (lambda >= 0) {
      const lv = g.mul(variance, g.scalar('mean_field_factor', lambda));
      let denom = g.op('Sqrt', [g.add(lv, g.scalar('one', 1))]);
      if (temperature !== 1) denom = g.mul(denom, g.scalar('temperature', temperature));
      scaledLogits = g.op('Div', [logits, g.op('Unsqueeze', [denom, g.int64('axes_unsqueeze', [1])])]);
    } else if (temperature !== 1) scaledLogits = g.op('Div', [logits, g.scalar('temperature', temperature)]);
    g.output(g.op('Softmax', [scaledLogits], { axis: { int: -1 } }, ONNX_NAMES.probs), [BATCH, k]);
  }
  const form = post.kind === 'low-rank' ? `a rank-${post.rank} low-rank` : 'the full';
  return g.build(`SNGP: spectral-normalised residual network with a random-feature GP output layer and ${form} Laplace posterior variance.`);
}

function scaled(values: ArrayLike<number>, factor: number): Float32Array {
  return Float32Array.from(values as ArrayLike<number>, (v) => v * factor);
}

/**
 * c = cos(u W_rf + b_rf) [N, M]. `polynomial`: t = u (W_rf / 2 pi) + b_rf / 2 pi + 1/2 (folded into
 * the weights), s = t - floor(t) - 1/2 in [-1/2, 1/2), cos(2 pi s) = cos(u W_rf + b_rf) by an even
 * polynomial in s (Horner in s^2). t - floor(t) is exact in float32, so the extra error is the
 * polynomial's (4e-7) and ~1e-8 from subtracting 1/2, against the float32 rounding of t that the
 * Cos op also sees.
 */
function randomFeatures(g: GraphBuilder, hidden: string, model: BakedModel, op: RandomFeatureOp): string {
  const gp = model.gp!;
  const h = model.hp.hiddenDim;
  const m = gp.m;
  let u = hidden;
  if (gp.inputNorm) {
    // tf-models' normalize_input: Keras LayerNormalization over the H features (biased variance).
    u = g.op('LayerNormalization', [u, g.float('gp.input_norm.gamma', gp.inputNorm.gamma, [h]), g.float('gp.input_norm.beta', gp.inputNorm.beta, [h])], {
      axis: { int: -1 },
      epsilon: GP_LAYER_NORM_EPSILON,
    });
  }
  // The kernel scale s divides the GP input by sqrt(s): folded into W_rf, (u / sqrt(s)) W = u (W / sqrt(s)).
  const kernelFactor = 1 / Math.sqrt(gp.kernelScale);
  if (op === 'cos') {
    const kernel = kernelFactor === 1 ? gp.rffKernel : scaled(gp.rffKernel, kernelFactor);
    const proj = g.dense(u, g.float('gp.rff_kernel', kernel, [h, m]), g.float('gp.rff_bias', gp.rffBias, [m]));
    return g.op('Cos', [proj]);
  }
  // t = z / 2 pi + 1/2 (both folded into the Gemm); s = t - floor(t) - 1/2 in [-1/2, 1/2) and
  // cos(2 pi s) = cos(z). Floor, not Round: onnxruntime's WebGPU provider has no Round kernel.
  const turn = 1 / (2 * Math.PI);
  const phase = Float32Array.from(gp.rffBias, (b) => b * turn + 0.5);
  const t = g.dense(u, g.float('gp.rff_kernel_turns', scaled(gp.rffKernel, turn * kernelFactor), [h, m]), g.float('gp.rff_bias_turns', phase, [m]));
  const s = g.op('Sub', [g.op('Sub', [t, g.op('Floor', [t])]), g.scalar('half', 0.5)]);
  const s2 = g.mul(s, s);
  const n = COS_POLY.length - 1;
  let p = g.add(g.mul(s2, g.scalar('cos_poly', COS_POLY[n])), g.scalar('cos_poly', COS_POLY[n - 1]));
  for (let i = n - 2; i >= 0; i--) p = g.add(g.mul(p, s2), g.scalar('cos_poly', COS_POLY[i]));
  return p;
}
