/**
 * The deterministic DeepResNet classifier (dense output layer). MC dropout is the same network and
 * training; only its evaluation differs (dropout kept on, T samples averaged).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HyperParameters, NamedTensor, Rng } from '@sngp/core';
import { tensor } from '@sngp/core';
import { dropoutMasks } from '../layers/dropout.js';
import { glorotUniform } from '../layers/initializers.js';
import { dense } from '../layers/linear.js';
import { type Batch, type StepResult, type TrainableModel, batchAccuracy, crossEntropy, mapChunks } from './model.js';
import { ResidualNet, f32 } from './residual-net.js';

export class DeterministicClassifier implements TrainableModel {
  readonly members = 1;
  readonly net: ResidualNet;
  readonly outputKernel: tf.Variable<tf.Rank.R2>;
  readonly outputBias: tf.Variable<tf.Rank.R1>;

  constructor(
    readonly method: 'deterministic' | 'mc-dropout',
    readonly hp: HyperParameters,
    rng: Rng,
  ) {
    this.net = new ResidualNet({ inputDim: hp.inputDim, hiddenDim: hp.hiddenDim, numLayers: hp.numLayers }, rng);
    const [h, k] = [hp.hiddenDim, hp.numClasses];
    this.outputKernel = tf.variable(tf.tensor2d(glorotUniform(rng, h, k), [h, k]), true, undefined, 'float32');
    this.outputBias = tf.variable(tf.zeros([k]) as tf.Tensor1D, true, undefined, 'float32');
  }

  get trainable(): tf.Variable[] {
    return [...this.net.trainable, this.outputKernel, this.outputBias];
  }

  logits(x: tf.Tensor2D, masks: tf.Tensor2D[] | null): tf.Tensor2D {
    return dense(this.net.forward(x, masks), this.outputKernel, this.outputBias);
  }

  beforeStep(): void {}

  /** Loss of one batch with per-row dropout (exposed for the ensemble, which sums members). */
  batchLoss(b: Batch, dropoutRng: Rng): StepResult {
    const masks = dropoutMasks(dropoutRng, this.hp.numLayers, b.x.shape[0], this.hp.hiddenDim, this.hp.dropoutRate);
    const logits = this.logits(b.x, masks);
    return { loss: crossEntropy(logits, b.oneHot), accuracy: tf.keep(batchAccuracy(logits, b.y)) };
  }

  loss(batches: Batch[], dropoutRng: Rng): StepResult {
    return this.batchLoss(batches[0], dropoutRng);
  }

  predictProbs(x: Float32Array, n: number, rng: Rng): Float32Array {
    const { inputDim: d, numClasses: k, mcSamples, numLayers, hiddenDim, dropoutRate } = this.hp;
    if (this.method === 'deterministic') return mapChunks(x, n, d, k, (xc) => tf.softmax(this.logits(xc, null)));
    // MC dropout: one network draw per sample (a mask shared by all rows), as the ONNX graph does.
    const masks = Array.from({ length: mcSamples }, () => dropoutMasks(rng, numLayers, 1, hiddenDim, dropoutRate));
    try {
      return mapChunks(x, n, d, k, (xc) =>
        tf.div(tf.addN(masks.map((m) => tf.softmax(this.logits(xc, m)))), mcSamples),
      );
    } finally {
      for (const m of masks) if (m) tf.dispose(m);
    }
  }

  sampleLogits(x: Float32Array, n: number, rng: Rng): { samples: number; logits: Float32Array } {
    const { inputDim: d, numClasses: k, mcSamples, numLayers, hiddenDim, dropoutRate } = this.hp;
    if (this.method === 'deterministic') return { samples: 1, logits: mapChunks(x, n, d, k, (xc) => this.logits(xc, null)) };
    const logits = new Float32Array(mcSamples * n * k);
    for (let s = 0; s < mcSamples; s++) {
      const m = dropoutMasks(rng, numLayers, 1, hiddenDim, dropoutRate);
      try {
        logits.set(mapChunks(x, n, d, k, (xc) => this.logits(xc, m)), s * n * k);
      } finally {
        if (m) tf.dispose(m);
      }
    }
    return { samples: mcSamples, logits };
  }

  validationLogits(x: Float32Array, n: number): { samples: number; logits: Float32Array } {
    return { samples: 1, logits: mapChunks(x, n, this.hp.inputDim, this.hp.numClasses, (xc) => this.logits(xc, null)) };
  }

  finalize(): void {}

  tensors(prefix = ''): Record<string, NamedTensor> {
    const [h, k] = [this.hp.hiddenDim, this.hp.numClasses];
    return {
      ...this.net.tensors(prefix),
      [`${prefix}output.kernel`]: tensor(f32(this.outputKernel), [h, k]),
      [`${prefix}output.bias`]: tensor(f32(this.outputBias), [k]),
    };
  }

  dispose(): void {
    this.net.dispose();
    tf.dispose([this.outputKernel, this.outputBias]);
  }
}
