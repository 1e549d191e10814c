/**
 * Spectral normalisation with the soft bound of SNGP (edward2's SpectralNormalization): each
 * training step runs one power iteration from a persistent vector u, estimates sigma ~ ||W||_2 and
 * writes W / max(1, sigma / c) back into the kernel in place (the reference does the same, so the
 * next gradient step starts from the normalised kernel). Kernels are [in, out]; u lives in the
 * output space ([out]) and v in the input space.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Rng, bakeSpectralNorm } from '@sngp/core';
import { standardNormal } from './initializers.js';

const EPS = 1e-12;

function normalize(t: tf.Tensor): tf.Tensor {
  return tf.div(t, tf.add(tf.norm(t), EPS));
}

export class SpectralNorm {
  readonly u: tf.Variable<tf.Rank.R1>[];

  constructor(
    readonly kernels: tf.Variable<tf.Rank.R2>[],
    readonly bound: number,
    rng: Rng,
  ) {
    this.u = kernels.map((k) => {
      const out = k.shape[1];
      const u0 = standardNormal(rng, out);
      return tf.variable(normalize(tf.tensor1d(u0)) as tf.Tensor1D, false);
    });
  }

  /** One power iteration per kernel, then the in-place soft rescaling. */
  step(): void {
    tf.tidy(() => {
      this.kernels.forEach((w, i) => {
        const [rows, cols] = w.shape;
        // v = normalize(W u); u = normalize(v^T W): matrix-vector products, no transpose needed.
        const v = normalize(tf.matMul(w, tf.reshape(this.u[i], [cols, 1])));
        const u = normalize(tf.matMul(tf.reshape(v, [1, rows]), w));
        const sigma = tf.sum(tf.mul(v, tf.matMul(w, tf.reshape(u, [cols, 1]))));
        const scale = tf.maximum(1, tf.div(sigma, this.bound));
        this.u[i].assign(tf.reshape(u, [cols]) as tf.Tensor1D);
        w.assign(tf.div(w, scale) as tf.Tensor2D);
      });
    });
  }

  /**
   * After training: sigma to convergence (float64, core's bakeSpectralNorm) and the final
   * in-place rescaling, so the stored kernels satisfy ||W||_2 <= c and the precision pass, the
   * checkpoint and any later "bake" all see the same network.
   */
  finalize(): void {
    this.kernels.forEach((w, i) => {
      const [rows, cols] = w.shape;
      const { kernel, vector } = bakeSpectralNorm(w.dataSync(), rows, cols, this.bound);
      w.assign(tf.tensor2d(Float32Array.from(kernel), [rows, cols]));
      this.u[i].assign(tf.tensor1d(Float32Array.from(vector)));
    });
  }

  dispose(): void {
    tf.dispose(this.u);
  }
}
