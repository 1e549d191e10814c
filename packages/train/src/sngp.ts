/**
 * SNGP: the DeepResNet body with spectral normalisation on every hidden kernel and the
 * random-feature GP output layer, plus the Laplace precision computed after training (on the
 * tfjs backend, posterior.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Dataset, type HyperParameters, type NamedTensor, type Rng, tensor } from '@sngp/core';
import { dropoutMasks } from './dropout.js';
import { type Batch, type StepResult, type TrainableModel, batchAccuracy, crossEntropy, mapChunks } from './model.js';
import { precisionPass } from './posterior.js';
import { RandomFeatureGp } from './random-features.js';
import { ResidualNet } from './residual-net.js';
import { SpectralNorm } from './spectral-norm.js';

export class SngpClassifier implements TrainableModel {
  readonly method = 'sngp' as const;
  readonly members = 1;
  readonly net: ResidualNet;
  readonly specNorm: SpectralNorm;
  readonly gp: RandomFeatureGp;
  private precision: Float64Array | null = null;

  constructor(
    readonly hp: HyperParameters,
    rng: Rng,
  ) {
    this.net = new ResidualNet({ inputDim: hp.inputDim, hiddenDim: hp.hiddenDim, numLayers: hp.numLayers }, rng);
    this.specNorm = new SpectralNorm(this.net.kernels, hp.specNormBound, rng);
    this.gp = new RandomFeatureGp(hp.hiddenDim, hp.numRandomFeatures, hp.numClasses, rng);
  }

  get trainable(): tf.Variable[] {
    return [...this.net.trainable, this.gp.beta];
  }

  logits(x: tf.Tensor2D, masks: tf.Tensor2D[] | null): tf.Tensor2D {
    return this.gp.logits(this.net.forward(x, masks));
  }

  beforeStep(): void {
    this.specNorm.step();
  }

  loss(batches: Batch[], dropoutRng: Rng): StepResult {
    const b = batches[0];
    const masks = dropoutMasks(dropoutRng, this.hp.numLayers, b.x.shape[0], this.hp.hiddenDim, this.hp.dropoutRate);
    const logits = this.logits(b.x, masks);
    return {
      loss: tf.add(crossEntropy(logits, b.oneHot), this.gp.penalty()),
      accuracy: tf.keep(batchAccuracy(logits, b.y)),
    };
  }

  /**
   * Plain softmax of the logits: the mean-field adjustment divides each row's logits by one
   * positive number, so it never changes the predicted class (the runtime applies it).
   */
  predictProbs(x: Float32Array, n: number): Float32Array {
    return mapChunks(x, n, this.hp.inputDim, this.hp.numClasses, (xc) => tf.softmax(this.logits(xc, null)));
  }

  /** Final spectral normalisation to convergence, then the precision pass with those weights. */
  finalize(train: Dataset, onProgress?: (rowsDone: number, rowsTotal: number) => void): void {
    this.specNorm.finalize();
    const { inputDim: d, numRandomFeatures: m, ridge } = this.hp;
    this.precision = precisionPass((xc) => this.gp.features(this.net.forward(xc, null)), train.x, train.n, d, m, ridge, {
      onProgress,
    });
  }

  tensors(): Record<string, NamedTensor> {
    if (!this.precision) throw new Error('SNGP precision not computed: call finalize() after training');
    const { hiddenDim: h, numRandomFeatures: m } = this.hp;
    const out: Record<string, NamedTensor> = { ...this.net.tensors(), ...this.gp.tensors() };
    this.specNorm.vectors().forEach((u, i) => (out[`blocks.${i}.sn_u`] = tensor(u, [h])));
    out['gp.precision'] = tensor(this.precision, [m, m]);
    return out;
  }

  dispose(): void {
    this.net.dispose();
    this.specNorm.dispose();
    this.gp.dispose();
  }
}
