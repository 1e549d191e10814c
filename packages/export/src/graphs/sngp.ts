import { ONNX_NAMES } from '@sngp/core';
import type { BakedModel } from '../baked-weights.js';
import { GraphBuilder } from '../graph-builder.js';
import type { GraphProto } from '../onnx-schema.js';
import { BATCH, featuresInput, residualBody } from './common.js';

export interface SngpGraphOptions {
  /** Also output mean-field `probs` [N, K] using the model's mean-field factor. */
  meanFieldProbs?: boolean;
}

/**
 * SNGP: spectral-normed residual body (kernels already baked), random features
 * phi = sqrt(2/M) cos(h W_rf + b_rf), logits = phi beta + bias, and the posterior variance
 * max(rowsum((phi Sigma) .* phi), 0) -- an [N, M] intermediate, never the N x N batch covariance.
 */
export function sngpGraph(model: BakedModel, opts: SngpGraphOptions = {}): GraphProto {
  const gp = model.gp;
  if (!gp) throw new Error('sngpGraph: model has no GP layer');
  const { hiddenDim: h, numClasses: k, meanFieldFactor } = model.hp;
  const m = gp.m;
  const g = new GraphBuilder('sngp');
  const hidden = residualBody(g, featuresInput(g, model), model.nets[0]);
  const proj = g.dense(hidden, g.float('gp.rff_kernel', gp.rffKernel, [h, m]), g.float('gp.rff_bias', gp.rffBias, [m]));
  const phi = g.mul(g.op('Cos', [proj]), g.scalar('gp.feature_scale', Math.sqrt(2 / m)));
  const logits = g.dense(phi, g.float('gp.beta', gp.beta, [m, k]), g.float('gp.bias', gp.bias, [k]), ONNX_NAMES.logits);
  const phiSigma = g.matmul(phi, g.float('gp.covariance', gp.covariance, [m, m]));
  const quad = g.op('ReduceSum', [g.mul(phiSigma, phi), g.int64('axes_1', [1])], { keepdims: { int: 0 } });
  // phi^T Sigma phi >= 0 in exact arithmetic; float32 rounding can dip below 0 where the variance is
  // tiny. Clamp at 0 (Relu: max(x, 0), runs on WebGPU, and onnxruntime keeps NaN as NaN).
  const variance = g.op('Relu', [quad], {}, ONNX_NAMES.variance);
  g.output(logits, [BATCH, k]);
  g.output(variance, [BATCH]);
  if (opts.meanFieldProbs) {
    let scaled = logits;
    if (meanFieldFactor >= 0) {
      // p = softmax(logits / sqrt(1 + lambda * variance)); lambda < 0 means plain softmax.
      const lv = g.mul(variance, g.scalar('mean_field_factor', meanFieldFactor));
      const denom = g.op('Sqrt', [g.add(lv, g.scalar('one', 1))]);
      scaled = g.op('Div', [logits, g.op('Unsqueeze', [denom, g.int64('axes_unsqueeze', [1])])]);
    }
    g.output(g.op('Softmax', [scaled], { axis: { int: -1 } }, ONNX_NAMES.probs), [BATCH, k]);
  }
  return g.build('SNGP: spectral-normalised residual network with a random-feature GP output layer and its Laplace posterior variance.');
}
