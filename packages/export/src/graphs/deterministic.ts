import { ONNX_NAMES } from '@sngp/core';
import type { BakedModel } from '../baked-weights.js';
import { GraphBuilder } from '../graph-builder.js';
import type { GraphProto } from '../onnx-schema.js';
import { BATCH, featuresInput, residualBody } from './common.js';

/** Deterministic ResNet: features [N, D] -> logits [N, K]. */
export function deterministicGraph(model: BakedModel): GraphProto {
  const g = new GraphBuilder('sngp_deterministic');
  const net = model.nets[0];
  const out = net.output!;
  const h = residualBody(g, featuresInput(g, model), net);
  const logits = g.dense(h, g.float('output.kernel', out.kernel, [out.inDim, out.outDim]), g.float('output.bias', out.bias, [out.outDim]), ONNX_NAMES.logits);
  g.output(logits, [BATCH, model.hp.numClasses]);
  return g.build('Deterministic residual network: logits = ResNet(features).');
}
