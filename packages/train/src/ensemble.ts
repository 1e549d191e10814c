/**
 * Deep ensemble: `ensembleSize` independently initialised deterministic networks trained in one
 * optimizer step. The loss is the sum of the members' losses, so each member's gradient (and its
 * Adam state, which is per element) is exactly what training it alone would give; each member gets
 * its own batch stream (own shuffling). Members run as separate 2-D matMuls: on the wasm backend a
 * batched [M, ...] matMul is ~10x slower than M plain ones.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HyperParameters, NamedTensor, Rng } from '@sngp/core';
import { DeterministicClassifier } from './deterministic.js';
import { type Batch, type StepResult, type TrainableModel, mapChunks } from './model.js';

export class DeepEnsemble implements TrainableModel {
  readonly method = 'ensemble' as const;
  readonly memberModels: DeterministicClassifier[];

  constructor(
    readonly hp: HyperParameters,
    rng: Rng,
  ) {
    this.memberModels = Array.from({ length: hp.ensembleSize }, () => new DeterministicClassifier('deterministic', hp, rng.fork()));
  }

  get members(): number {
    return this.memberModels.length;
  }

  get trainable(): tf.Variable[] {
    return this.memberModels.flatMap((m) => m.trainable);
  }

  beforeStep(): void {}

  loss(batches: Batch[], dropoutRng: Rng): StepResult {
    const results = this.memberModels.map((m, i) => m.batchLoss(batches[i], dropoutRng));
    const accuracy = tf.keep(tf.div(tf.addN(results.map((r) => r.accuracy)), results.length) as tf.Scalar);
    tf.dispose(results.map((r) => r.accuracy));
    return { loss: tf.addN(results.map((r) => r.loss)), accuracy };
  }

  /** Mean of the members' softmax probabilities. */
  predictProbs(x: Float32Array, n: number): Float32Array {
    const { inputDim: d, numClasses: k } = this.hp;
    return mapChunks(x, n, d, k, (xc) =>
      tf.div(tf.addN(this.memberModels.map((m) => tf.softmax(m.logits(xc, null)))), this.members),
    );
  }

  finalize(): void {}

  tensors(): Record<string, NamedTensor> {
    return Object.assign({}, ...this.memberModels.map((m, i) => m.tensors(`members.${i}.`)));
  }

  dispose(): void {
    for (const m of this.memberModels) m.dispose();
  }
}
