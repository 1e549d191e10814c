/**
 * Deep ensemble: `ensembleSize` independently initialised deterministic networks trained in one
 * optimizer step. The loss is the sum of the members' losses, so each member's gradient (and its
 * Adam state, which is per element) is exactly what training it alone would give; each member gets
 * its own batch stream (own shuffling) and its own dropout masks. The members' weights are stacked
 * per layer (see `stacked-net.ts` for why and how that is fast on wasm).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HyperParameters, NamedTensor, Rng } from '@sngp/core';
import { dropoutMasks } from './dropout.js';
import { type Batch, type StepResult, type TrainableModel } from './model.js';
import { StackedResidualNets } from './stacked-net.js';

export class DeepEnsemble implements TrainableModel {
  readonly method = 'ensemble' as const;
  /** The members, with their weights stacked per layer. */
  readonly nets: StackedResidualNets;

  constructor(
    readonly hp: HyperParameters,
    rng: Rng,
  ) {
    const { ensembleSize: members, inputDim, hiddenDim, numLayers, numClasses } = hp;
    this.nets = new StackedResidualNets({ members, inputDim, hiddenDim, numLayers, numClasses }, rng);
  }

  get members(): number {
    return this.hp.ensembleSize;
  }

  get trainable(): tf.Variable[] {
    return this.nets.trainable;
  }

  beforeStep(): void {}

  loss(batches: Batch[], dropoutRng: Rng): StepResult {
    const { numLayers, hiddenDim, dropoutRate } = this.hp;
    // Member by member, in the order separate deterministic models would draw them.
    const masks = batches.map((b) => dropoutMasks(dropoutRng, numLayers, b.x.shape[0], hiddenDim, dropoutRate));
    try {
      return this.nets.step(batches, masks, 1 / (1 - dropoutRate));
    } finally {
      for (const m of masks) if (m) tf.dispose(m);
    }
  }

  /** Mean of the members' softmax probabilities (dropout off). */
  predictProbs(x: Float32Array, n: number): Float32Array {
    return this.nets.predictProbs(x, n);
  }

  finalize(): void {}

  tensors(): Record<string, NamedTensor> {
    return this.nets.tensors();
  }

  dispose(): void {
    this.nets.dispose();
  }
}
