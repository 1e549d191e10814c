import { ONNX_NAMES } from '@sngp/core';
import type { BakedModel, ResNetWeights } from '../baked-weights.js';
import type { GraphBuilder } from '../graph-builder.js';

/** Symbolic batch dimension of `features`. */
export const BATCH = 'N';

/**
 * The `features` input [N, D] plus the checkpoint's standardisation, so callers always feed raw
 * features: returns the value the network sees, (x - mean) / std.
 */
export function featuresInput(g: GraphBuilder, model: BakedModel): string {
  const x = g.input(ONNX_NAMES.features, [BATCH, model.hp.inputDim]);
  const s = model.config.standardization;
  if (!s) return x;
  const d = model.hp.inputDim;
  const centred = g.op('Sub', [x, g.float('standardization.mean', s.mean, [d])]);
  return g.op('Div', [centred, g.float('standardization.std', s.std, [d])]);
}

/**
 * probs [N, K] = mean over axis 0 of softmax(logits / T), from per-sample / per-member logits
 * [S, N, K]: the calibrated temperature (1: none) is baked in, so a generic ONNX server's `probs`
 * are calibrated; the `logits` output stays raw.
 */
export function meanSoftmax(g: GraphBuilder, logits: string, temperature: number): string {
  const scaled = temperature === 1 ? logits : g.op('Div', [logits, g.scalar('temperature', temperature)]);
  return g.op('ReduceMean', [g.op('Softmax', [scaled], { axis: { int: -1 } })], { axes: { ints: [0] }, keepdims: { int: 0 } }, ONNX_NAMES.probs);
}

/**
 * Input projection and residual blocks h = h + ReLU(h @ W + b) (dropout is the identity at
 * inference). `mask(l)` optionally returns a value multiplied into block l's branch (MC dropout).
 */
export function residualBody(
  g: GraphBuilder,
  x: string,
  net: ResNetWeights,
  prefix = '',
  mask?: (block: number) => string,
): string {
  const w = (name: string, v: ArrayLike<number>, dims: number[]) => g.float(`${prefix}${name}`, v, dims);
  const { input } = net;
  let h = g.dense(x, w('input.kernel', input.kernel, [input.inDim, input.outDim]), w('input.bias', input.bias, [input.outDim]));
  net.blocks.forEach((b, i) => {
    const pre = g.dense(h, w(`blocks.${i}.kernel`, b.kernel, [b.inDim, b.outDim]), w(`blocks.${i}.bias`, b.bias, [b.outDim]));
    let branch = g.op('Relu', [pre]);
    if (mask) branch = g.mul(branch, mask(i));
    h = g.add(h, branch);
  });
  return h;
}
