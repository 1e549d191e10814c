import { ONNX_NAMES } from '@sngp/core';
import type { BakedModel } from '../baked-weights.js';
import { GraphBuilder } from '../graph-builder.js';
import { DataType, type GraphProto } from '../onnx-schema.js';
import { BATCH, featuresInput, meanSoftmax, residualBody } from './common.js';

/** Symbolic sample dimension of `dropout_noise`. */
export const SAMPLES = 'T';

/**
 * MC dropout: T stochastic passes in one run. The randomness is the input `dropout_noise`
 * [T, numLayers, H], uniform [0, 1): sample t, block l keeps unit j when noise >= rate, scaled by
 * 1 / (1 - rate); the mask is shared by the batch rows (one network draw per sample). Masks are
 * [T, 1, H] and broadcast against the [N, H] / [T, N, H] activations, so there is no loop and no
 * Dropout or Random* node (those are optimised away or do not run on WebGPU).
 */
export function mcDropoutGraph(model: BakedModel): GraphProto {
  const { numLayers: layers, hiddenDim: h, numClasses: k, dropoutRate: rate } = model.hp;
  const g = new GraphBuilder('sngp_mc_dropout');
  const x = featuresInput(g, model);
  const noise = g.input(ONNX_NAMES.dropoutNoise, [SAMPLES, layers, h]);
  const keep = g.op('Cast', [g.op('GreaterOrEqual', [noise, g.scalar('dropout_rate', rate)])], { to: { int: DataType.FLOAT } });
  const masks = g.mul(keep, g.scalar('dropout_scale', 1 / (1 - rate))); // [T, L, H]
  const axis1 = g.int64('axes_1', [1]);
  const mask = (l: number) => {
    const ml = g.op('Gather', [masks, g.int64(`block_${l}`, [l], [])], { axis: { int: 1 } }); // [T, H]
    return g.op('Unsqueeze', [ml, axis1]); // [T, 1, H]
  };
  const net = model.nets[0];
  const out = net.output!;
  let hidden = residualBody(g, x, net, '', mask);
  if (layers === 0) {
    // No block to draw masks for: still give the documented [T, N, K] by broadcasting against [T, 1, 1] zeros.
    const zeros = g.mul(g.op('ReduceSum', [noise, g.int64('axes_12', [1, 2])], { keepdims: { int: 1 } }), g.scalar('zero', 0));
    hidden = g.add(hidden, zeros);
  }
  const logits = g.dense(hidden, g.float('output.kernel', out.kernel, [h, k]), g.float('output.bias', out.bias, [k]), ONNX_NAMES.logits);
  const probs = meanSoftmax(g, logits, model.temperature);
  g.output(logits, [SAMPLES, BATCH, k]);
  g.output(probs, [BATCH, k]);
  return g.build('MC dropout: T dropout draws given by the dropout_noise input; probs = mean_t softmax(logits_t).');
}
