/**
 * SNGP: the DeepResNet body with spectral normalisation on every hidden kernel and the
 * random-feature GP output layer, plus the Laplace precision computed after training (on the
 * tfjs backend, posterior.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Dataset, type HyperParameters, type NamedTensor, type Rng, gpInputOptions, tensor } from '@sngp/core';
import { dropoutMasks } from '../layers/dropout.js';
import { type Batch, type StepResult, type TrainableModel, batchAccuracy, crossEntropy, mapChunks } from './model.js';
import { precisionPass } from '../fitting/posterior.js';
import { RandomFeatureGp, scaledCosScalar } from '../layers/random-features.js';
import { ResidualNet } from './residual-net.js';
import { SpectralNorm } from '../layers/spectral-norm.js';

export class SngpClassifier implements TrainableModel {
  readonly method = 'sngp' as const;
  readonly members = 1;
  readonly net: ResidualNet;
  readonly specNorm: SpectralNorm;
  readonly gp: RandomFeatureGp;
  private precision: Float64Array | null = null;
  /** Predictions of the training rows, a by-product of the precision pass (same weights, no dropout). */
  private trainProbs: { x: Float32Array; probs: Float32Array } | null = null;

  constructor(
    readonly hp: HyperParameters,
    rng: Rng,
  ) {
    this.net = new ResidualNet({ inputDim: hp.inputDim, hiddenDim: hp.hiddenDim, numLayers: hp.numLayers }, rng);
    this.specNorm = new SpectralNorm(this.net.kernels, hp.specNormBound, rng);
    this.gp = new RandomFeatureGp(hp.hiddenDim, hp.numRandomFeatures, hp.numClasses, rng, gpInputOptions(hp));
  }

  get trainable(): tf.Variable[] {
    return [...this.net.trainable, ...this.gp.trainable];
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
    // The training rows were just forwarded by the precision pass: reuse its predictions.
    if (this.trainProbs?.x === x && this.trainProbs.probs.length === n * this.hp.numClasses) return this.trainProbs.probs.slice();
    return mapChunks(x, n, this.hp.inputDim, this.hp.numClasses, (xc) => tf.softmax(this.logits(xc, null)));
  }

  sampleLogits(x: Float32Array, n: number): { samples: number; logits: Float32Array } {
    return { samples: 1, logits: mapChunks(x, n, this.hp.inputDim, this.hp.numClasses, (xc) => this.logits(xc, null)) };
  }

  validationLogits(x: Float32Array, n: number): { samples: number; logits: Float32Array } {
    return this.sampleLogits(x, n);
  }

  stateVectors(): Float64Array[] {
    return this.specNorm.u;
  }

  /**
   * The GP input before the kernel scale (the hidden features, layer-normalised when enabled) of
   * rows `x` [n, D], dropout off: what the kernel length-scale is measured against.
   */
  gpInputUnscaled(x: Float32Array, n: number): Float32Array {
    const s = this.gp.kernelScale;
    this.gp.kernelScale = 1;
    try {
      return mapChunks(x, n, this.hp.inputDim, this.hp.hiddenDim, (xc) => this.gp.gpInput(this.net.forward(xc, null)));
    } finally {
      this.gp.kernelScale = s;
    }
  }

  /**
   * Logits [n, K] and random features phi [n, M] of rows `x` (dropout off): with the precision,
   * what calibration fits the mean-field factor and temperature on.
   */
  logitsAndFeatures(x: Float32Array, n: number): { logits: Float32Array; phi: Float32Array } {
    const { inputDim: d, numClasses: k, numRandomFeatures: m } = this.hp;
    const logits = mapChunks(x, n, d, k, (xc) => this.logits(xc, null));
    const phi = mapChunks(x, n, d, m, (xc) => this.gp.features(this.net.forward(xc, null)));
    return { logits, phi };
  }

  /** The Laplace precision P [M, M] (float64), after `finalize`. */
  get precisionMatrix(): Float64Array {
    if (!this.precision) throw new Error('SNGP precision not computed: call finalize() after training');
    return this.precision;
  }

  /** Final spectral normalisation to convergence, then the precision pass with those weights. */
  finalize(train: Dataset, onProgress?: (rowsDone: number, rowsTotal: number) => void): void {
    this.specNorm.finalize();
    const { inputDim: d, numRandomFeatures: m, ridge } = this.hp;
    const scale = this.gp.featureScale;
    const k = this.hp.numClasses;
    const probs = new Float32Array(train.n * k);
    // logits = sum_j Phi[:, block j] beta[block j] + bias, from the pass's own feature blocks.
    const predict = (blocks: tf.Tensor2D[], bs: number, start: number): void => {
      const parts = blocks.map((b, j) => tf.matMul(b, tf.slice(this.gp.beta, [j * bs, 0], [b.shape[1], k])));
      const p = tf.softmax(tf.add(parts.length > 1 ? tf.addN(parts) : parts[0], this.gp.bias));
      probs.set(p.dataSync(), start * k);
    };
    this.precision = precisionPass(
      (xc) => this.gp.preActivation(this.net.forward(xc, null)),
      (z) => scaledCosScalar(z, scale),
      train.x,
      train.n,
      d,
      m,
      ridge,
      { onProgress, onFeatures: predict },
    );
    this.trainProbs = { x: train.x, probs };
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
