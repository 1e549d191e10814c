/**
 * The random-feature Gaussian-process output layer of SNGP (reference defaults): frozen
 * W_rf ~ N(0, 1) [H, M] and b_rf ~ U[0, 2pi) [M]; phi(h) = sqrt(2/M) cos(h W_rf + b_rf);
 * logits = phi beta + bias, with beta trainable (Glorot uniform, L2 penalty) and bias 0 frozen.
 *
 * Speed (this layer is most of SNGP's extra cost per step):
 * - cos and sin on the wasm backend are scalar libm calls, ~40 ns per value (5 ms for a 128 x 1024
 *   batch each way). `scaledCos` evaluates them with ~20 vectorised element-wise ops instead: range
 *   reduction to [-pi/2, pi/2] and near-minimax polynomials (max abs error 1.6e-7 in float32;
 *   tf.cos on wasm: 3.3e-7).
 * - The layer's gradient is written by hand (`head`): only d/dh and d/dbeta (W_rf and b_rf are
 *   frozen, so tfjs's generic matMul gradient would compute a [H, M] product for nothing), W_rf^T
 *   is transposed once, not per step, and d/dbeta = (dy^T phi)^T transposes two small matrices
 *   instead of phi.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GP_LAYER_NORM_EPSILON, type GpInputOptions, type NamedTensor, type Rng, tensor } from '@sngp/core';
import { glorotUniform, standardNormal, uniform } from './initializers.js';
import { f32 } from '../models/residual-net.js';

/** Keras l2(1e-6) on beta, as in the tutorial's RandomFeatureGaussianProcess. */
export const BETA_L2 = 1e-6;

// pi = PI_A + PI_B with PI_A exact in 9 bits, so k * PI_A is exact for |k| < 2^15 (Cody-Waite).
const PI_A = 3.140625;
const PI_B = Math.PI - PI_A;
// Chebyshev-economised (near-minimax) fits on r in [-pi/2, pi/2], in t = r^2:
// cos(r) ~ C(t), sin(r) ~ r S(t); float64 errors 4.7e-8 and 6.7e-9, float32 evaluation ~1.5e-7.
const COS = [0.9999999532476083, -0.4999990506281047, 0.0416635789306979, -0.0013853666933043697, 2.3153174156094216e-5];
const SIN = [0.9999999957158399, -0.16666657969904652, 0.008333050617328043, -0.00019809046357432083, 2.605166276187453e-6];

function horner(t: tf.Tensor, c: readonly number[]): tf.Tensor {
  let p = tf.add(tf.mul(t, c[c.length - 1]), c[c.length - 2]);
  for (let i = c.length - 3; i >= 0; i--) p = tf.add(tf.mul(p, t), c[i]);
  return p;
}

/** scale * cos(z) and the pieces its derivative -scale * sin(z) needs. */
export interface ScaledCos {
  /** scale * cos(z). */
  value: tf.Tensor2D;
  /** z reduced to [-pi/2, pi/2]: z = k pi + r. */
  r: tf.Tensor2D;
  /** r^2. */
  t: tf.Tensor2D;
  /** scale * (-1)^k, so scale * cos(z) = signedScale * cos(r) and scale * sin(z) = signedScale * sin(r). */
  signedScale: tf.Tensor2D;
}

/** scale * cos(z) by range reduction and a polynomial, in vectorised element-wise ops. */
export function scaledCos(z: tf.Tensor2D, scale: number): ScaledCos {
  const u = tf.add(tf.mul(z, 1 / Math.PI), 0.5);
  const k = tf.floor(u); // nearest integer to z / pi
  const r = tf.sub(tf.sub(z, tf.mul(k, PI_A)), tf.mul(k, PI_B)) as tf.Tensor2D;
  const t = tf.square(r) as tf.Tensor2D;
  // (-1)^k = 1 - 2 (k - 2 floor(k/2)), and floor(k/2) = floor(u/2): scale * that, in four ops.
  const half = tf.floor(tf.mul(u, 0.5));
  const signedScale = tf.add(tf.mul(tf.sub(tf.mul(half, 2), k), 2 * scale), scale) as tf.Tensor2D;
  const value = tf.mul(horner(t, COS), signedScale) as tf.Tensor2D;
  return { value, r, t, signedScale };
}

/**
 * scale * cos(x) for one number, with the reduction and polynomial of `scaledCos` (in float64):
 * the precision pass evaluates its [rows, M] features in JS, where it also lays them out for the
 * block products (element-wise tfjs ops on 4M values are memory-bound, and slices copy on wasm).
 */
export function scaledCosScalar(x: number, scale: number): number {
  const k = Math.floor(x * (1 / Math.PI) + 0.5);
  const r = x - k * PI_A - k * PI_B;
  const t = r * r;
  const signed = scale - 2 * scale * (k - 2 * Math.floor(k * 0.5)); // scale * (-1)^k, no branch
  return signed * (COS[0] + t * (COS[1] + t * (COS[2] + t * (COS[3] + t * COS[4]))));
}

/** sin(r) for |r| <= pi/2, given t = r^2 (the polynomial of `scaledCos`). */
export function sinReduced(r: tf.Tensor, t: tf.Tensor): tf.Tensor {
  return tf.mul(horner(t, SIN), r);
}

/** The GP output layer: frozen random features, trainable beta, and the hand-written gradient of the head. */
export class RandomFeatureGp {
  readonly rffKernel: tf.Tensor2D;
  /** W_rf^T [M, H], for the gradient w.r.t. h (frozen, so transposed once). */
  private readonly rffKernelT: tf.Tensor2D;
  readonly rffBias: tf.Tensor1D;
  readonly beta: tf.Variable<tf.Rank.R2>;
  readonly bias: tf.Tensor1D;
  private readonly scale: number;
  /** Layer-norm gamma / beta [H] (trainable), when the GP input is normalised. */
  readonly inputNorm: { gamma: tf.Variable<tf.Rank.R1>; beta: tf.Variable<tf.Rank.R1> } | null;
  /** Kernel scale s: the GP input is multiplied by 1 / sqrt(s); settable until training starts (auto rule). */
  kernelScale: number;
  private readonly headOp: (h: tf.Tensor2D, beta: tf.Tensor2D) => tf.Tensor2D;

  constructor(
    readonly hiddenDim: number,
    readonly numFeatures: number,
    readonly numClasses: number,
    rng: Rng,
    input: GpInputOptions = { normalizeInput: false, kernelScale: 1 },
  ) {
    const [h, m, k] = [hiddenDim, numFeatures, numClasses];
    this.rffKernel = tf.keep(tf.tensor2d(standardNormal(rng, h * m), [h, m]));
    this.rffKernelT = tf.keep(tf.transpose(this.rffKernel));
    this.rffBias = tf.keep(tf.tensor1d(uniform(rng, m, 0, 2 * Math.PI)));
    this.beta = tf.variable(tf.tensor2d(glorotUniform(rng, m, k), [m, k]), true, undefined, 'float32');
    this.bias = tf.keep(tf.zeros([k]) as tf.Tensor1D);
    this.scale = Math.sqrt(2 / m);
    // Keras LayerNormalization's initialisers (ones, zeros); drawn after the RNG's draws above, so
    // the random features do not depend on this option.
    this.inputNorm = input.normalizeInput
      ? { gamma: tf.variable(tf.ones([h]) as tf.Tensor1D, true), beta: tf.variable(tf.zeros([h]) as tf.Tensor1D, true) }
      : null;
    this.kernelScale = input.kernelScale;
    this.headOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [hidden, beta, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
      const c = scaledCos(this.project(hidden), this.scale);
      save([c.value, c.r, c.t, c.signedScale, beta]);
      return {
        value: tf.matMul(c.value, beta),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [phi, r, t, signedScale, b] = saved as tf.Tensor2D[];
          const g = dy as tf.Tensor2D;
          const dBeta = tf.transpose(tf.matMul(tf.transpose(g), phi));
          const dPhi = tf.matMul(g, tf.transpose(b));
          // d phi / dz = -scale sin(z) = -signedScale sin(r)
          const dz = tf.neg(tf.mul(dPhi, tf.mul(sinReduced(r, t), signedScale))) as tf.Tensor2D;
          return [tf.matMul(dz, this.rffKernelT), dBeta];
        },
      };
    }) as (h: tf.Tensor2D, beta: tf.Tensor2D) => tf.Tensor2D;
  }

  /**
   * The GP input u = LayerNorm(h) / sqrt(s) (LayerNorm only with `normalizeInput`), differentiable
   * w.r.t. h and the layer-norm parameters.
   */
  gpInput(h: tf.Tensor2D): tf.Tensor2D {
    let u = h;
    if (this.inputNorm) {
      const { mean, variance } = tf.moments(h, -1, true); // biased variance, as Keras
      u = tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, GP_LAYER_NORM_EPSILON))), this.inputNorm.gamma), this.inputNorm.beta);
    }
    return this.kernelScale === 1 ? u : tf.mul(u, 1 / Math.sqrt(this.kernelScale));
  }

  /** u W_rf + b_rf for a GP input u (see `gpInput`). */
  private project(u: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(u, this.rffKernel), this.rffBias);
  }

  /** gpInput(h) W_rf + b_rf [rows, M]: the argument of the features' cos. */
  preActivation(h: tf.Tensor2D): tf.Tensor2D {
    return this.project(this.gpInput(h));
  }

  /** phi(h) = featureScale * cos(preActivation(h)) [rows, M] (no gradient: evaluation). */
  features(h: tf.Tensor2D): tf.Tensor2D {
    return scaledCos(this.preActivation(h), this.scale).value;
  }

  /** sqrt(2 / M), the factor of the features. */
  get featureScale(): number {
    return this.scale;
  }

  /** logits = phi(h) beta + bias, differentiable w.r.t. h and beta. */
  logits(h: tf.Tensor2D): tf.Tensor2D {
    return tf.add(this.headOp(this.gpInput(h), this.beta), this.bias);
  }

  /** The layer's trainable variables: beta, and the layer-norm gamma / beta when enabled. */
  get trainable(): tf.Variable[] {
    return this.inputNorm ? [this.beta, this.inputNorm.gamma, this.inputNorm.beta] : [this.beta];
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
      ...(this.inputNorm
        ? { 'gp.input_norm.gamma': tensor(f32(this.inputNorm.gamma), [h]), 'gp.input_norm.beta': tensor(f32(this.inputNorm.beta), [h]) }
        : {}),
    };
  }

  dispose(): void {
    tf.dispose([this.rffKernel, this.rffKernelT, this.rffBias, this.beta, this.bias]);
    if (this.inputNorm) tf.dispose([this.inputNorm.gamma, this.inputNorm.beta]);
  }
}
