/**
 * The random-feature Gaussian-process output layer of SNGP (reference defaults): frozen
 * W_rf ~ N(0, 1) [H, M] and b_rf ~ U[0, 2pi) [M]; phi(h) = sqrt(2/M) cos(h W_rf + b_rf);
 * logits = phi beta + bias, with beta trainable (Glorot uniform, L2 penalty) and bias 0 frozen.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NamedTensor, type Rng, tensor } from '@sngp/core';
import { glorotUniform, standardNormal, uniform } from './initializers.js';
import { dense, matMul } from './linear.js';
import { f32 } from './residual-net.js';

/** Keras l2(1e-6) on beta, as in the tutorial's RandomFeatureGaussianProcess. */
export const BETA_L2 = 1e-6;

export class RandomFeatureGp {
  readonly rffKernel: tf.Tensor2D;
  readonly rffBias: tf.Tensor1D;
  readonly beta: tf.Variable<tf.Rank.R2>;
  readonly bias: tf.Tensor1D;
  private readonly scale: number;

  constructor(
    readonly hiddenDim: number,
    readonly numFeatures: number,
    readonly numClasses: number,
    rng: Rng,
  ) {
    const [h, m, k] = [hiddenDim, numFeatures, numClasses];
    this.rffKernel = tf.keep(tf.tensor2d(standardNormal(rng, h * m), [h, m]));
    this.rffBias = tf.keep(tf.tensor1d(uniform(rng, m, 0, 2 * Math.PI)));
    this.beta = tf.variable(tf.tensor2d(glorotUniform(rng, m, k), [m, k]), true, undefined, 'float32');
    this.bias = tf.keep(tf.zeros([k]) as tf.Tensor1D);
    this.scale = Math.sqrt(2 / m);
  }

  features(h: tf.Tensor2D): tf.Tensor2D {
    return tf.mul(tf.cos(dense(h, this.rffKernel, this.rffBias)), this.scale);
  }

  logits(phi: tf.Tensor2D): tf.Tensor2D {
    return tf.add(matMul(phi, this.beta), this.bias);
  }

  penalty(): tf.Scalar {
    return tf.mul(tf.sum(tf.square(this.beta)), BETA_L2);
  }

  tensors(): Record<string, NamedTensor> {
    const [h, m, k] = [this.hiddenDim, this.numFeatures, this.numClasses];
    return {
      'gp.rff_kernel': tensor(f32(this.rffKernel), [h, m]),
      'gp.rff_bias': tensor(f32(this.rffBias), [m]),
      'gp.beta': tensor(f32(this.beta), [m, k]),
      'gp.bias': tensor(f32(this.bias), [k]),
    };
  }

  dispose(): void {
    tf.dispose([this.rffKernel, this.rffBias, this.beta, this.bias]);
  }
}
