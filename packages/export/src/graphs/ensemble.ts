import { ONNX_NAMES } from '@sngp/core';
import type { BakedModel, Dense } from '../baked-weights.js';
import { GraphBuilder } from '../graph-builder.js';
import type { GraphProto } from '../onnx-schema.js';
import { BATCH, featuresInput, meanSoftmax } from './common.js';

/** Stack members' kernels [M, in, out] and biases [M, 1, out] (the 1 broadcasts over rows). */
function stack(g: GraphBuilder, name: string, layers: Dense[]): { kernel: string; bias: string } {
  const { inDim, outDim } = layers[0];
  const m = layers.length;
  const kernel = new Float32Array(m * inDim * outDim);
  const bias = new Float32Array(m * outDim);
  layers.forEach((l, i) => {
    kernel.set(l.kernel, i * inDim * outDim);
    bias.set(l.bias, i * outDim);
  });
  return { kernel: g.float(`${name}.kernel`, kernel, [m, inDim, outDim]), bias: g.float(`${name}.bias`, bias, [m, 1, outDim]) };
}

/**
 * Deep ensemble in one graph: members' weights are stacked so a single batched MatMul chain runs
 * all M members ([N, D] @ [M, D, H] -> [M, N, H] by broadcasting). Outputs every member's logits
 * [M, N, K] and probs = mean_m softmax [N, K].
 */
export function ensembleGraph(model: BakedModel): GraphProto {
  const { numClasses: k, numLayers } = model.hp;
  const m = model.nets.length;
  const g = new GraphBuilder('sngp_ensemble');
  const x = featuresInput(g, model);
  const inp = stack(g, 'members.input', model.nets.map((n) => n.input));
  let h = g.dense(x, inp.kernel, inp.bias);
  for (let i = 0; i < numLayers; i++) {
    const blk = stack(g, `members.blocks.${i}`, model.nets.map((n) => n.blocks[i]));
    h = g.add(h, g.op('Relu', [g.dense(h, blk.kernel, blk.bias)]));
  }
  const out = stack(g, 'members.output', model.nets.map((n) => n.output!));
  const logits = g.dense(h, out.kernel, out.bias, ONNX_NAMES.logits);
  const probs = meanSoftmax(g, logits, model.temperature);
  g.output(logits, [m, BATCH, k]);
  g.output(probs, [BATCH, k]);
  return g.build(`Deep ensemble of ${m} residual networks, batched; probs = mean over members of softmax(logits).`);
}
