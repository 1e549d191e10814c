/**
 * Spectral normalisation with the soft bound of SNGP (edward2's SpectralNormalization): each
 * training step runs one power iteration from a persistent vector u, estimates sigma ~ ||W||_2 and
 * writes W / max(1, sigma / c) back into the kernel in place (the reference does the same, so the
 * next gradient step starts from the normalised kernel). Kernels are [in, out]; u lives in the
 * output space ([out]) and v in the input space.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@sngp/core';
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
   * After training: power iteration to convergence (float64, from the persistent u) and the final
   * in-place rescaling, so the stored kernels satisfy ||W||_2 <= c and the precision pass, the
   * checkpoint and any later "bake" all see the same network.
   */
  finalize(): void {
    this.kernels.forEach((w, i) => {
      const [rows, cols] = w.shape;
      const data = Float64Array.from(w.dataSync() as Float32Array);
      const { sigma, u } = spectralNorm(data, rows, cols, Float64Array.from(this.u[i].dataSync() as Float32Array));
      const scale = Math.max(1, sigma / this.bound);
      const scaled = new Float32Array(data.length);
      for (let j = 0; j < data.length; j++) scaled[j] = data[j] / scale;
      w.assign(tf.tensor2d(scaled, [rows, cols]));
      this.u[i].assign(tf.tensor1d(Float32Array.from(u)));
    });
  }

  dispose(): void {
    tf.dispose(this.u);
  }
}

/**
 * Largest singular value of a row-major [rows, cols] matrix by power iteration in float64, run
 * until sigma changes by less than `tol` (relative). Returns sigma and the right singular vector u.
 */
export function spectralNorm(
  w: ArrayLike<number>,
  rows: number,
  cols: number,
  u0?: ArrayLike<number>,
  tol = 1e-12,
  maxIter = 10000,
): { sigma: number; u: Float64Array } {
  let u = new Float64Array(cols);
  if (u0 && norm2(u0) > 0) u.set(u0);
  else u.fill(1);
  scaleTo1(u);
  const v = new Float64Array(rows);
  let sigma = 0;
  for (let it = 0; it < maxIter; it++) {
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += w[r * cols + c] * u[c];
      v[r] = s;
    }
    scaleTo1(v);
    const next = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const vr = v[r];
      for (let c = 0; c < cols; c++) next[c] += vr * w[r * cols + c];
    }
    const s = norm2(next); // = v^T W u_next with u_next = next / |next|
    u = next;
    scaleTo1(u);
    if (Math.abs(s - sigma) <= tol * s) {
      sigma = s;
      break;
    }
    sigma = s;
  }
  return { sigma, u };
}

function norm2(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

function scaleTo1(a: Float64Array): void {
  const n = norm2(a);
  if (n > 0) for (let i = 0; i < a.length; i++) a[i] /= n;
}
