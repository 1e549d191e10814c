/**
 * Spectral normalisation with the soft bound of SNGP (edward2's SpectralNormalization): each
 * training step runs one power iteration from a persistent vector u, estimates sigma ~ ||W||_2 and
 * writes W / max(1, sigma / c) back into the kernel in place (the reference does the same, so the
 * next gradient step starts from the normalised kernel). Kernels are [in, out]; u lives in the
 * output space ([out]) and v in the input space.
 *
 * The power iteration is three matrix-vector products per kernel: done in JS (float64) on the
 * kernels' values, it costs well under a millisecond for the default 6 x 128 x 128, where the same
 * math as ~15 tiny tfjs ops per kernel cost several (each op has a fixed dispatch cost). Only the
 * rescaling, when sigma exceeds c, runs on the backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Rng, bakeSpectralNorm } from '@sngp/core';
import { standardNormal } from './initializers.js';

const EPS = 1e-12;

/** t / (||t|| + EPS), in place. */
function normalizeInPlace(t: Float64Array): void {
  let s = 0;
  for (let i = 0; i < t.length; i++) s += t[i] * t[i];
  const inv = 1 / (Math.sqrt(s) + EPS);
  for (let i = 0; i < t.length; i++) t[i] *= inv;
}

/**
 * One power-iteration step on row-major `w` [rows, cols] from `u` [cols] (updated in place):
 * v = normalize(W u), u = normalize(v^T W), sigma = v . (W u). Returns sigma.
 */
export function powerIterationStep(w: ArrayLike<number>, rows: number, cols: number, u: Float64Array): number {
  const v = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const o = i * cols;
    for (let j = 0; j < cols; j++) s += w[o + j] * u[j];
    v[i] = s;
  }
  normalizeInPlace(v);
  u.fill(0);
  for (let i = 0; i < rows; i++) {
    const vi = v[i];
    const o = i * cols;
    for (let j = 0; j < cols; j++) u[j] += vi * w[o + j];
  }
  normalizeInPlace(u);
  let sigma = 0;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const o = i * cols;
    for (let j = 0; j < cols; j++) s += w[o + j] * u[j];
    sigma += v[i] * s;
  }
  return sigma;
}

export class SpectralNorm {
  /** The persistent power-iteration vectors, one per kernel ([out]). */
  readonly u: Float64Array[];

  constructor(
    readonly kernels: tf.Variable<tf.Rank.R2>[],
    readonly bound: number,
    rng: Rng,
  ) {
    this.u = kernels.map((k) => {
      const u = Float64Array.from(standardNormal(rng, k.shape[1]));
      normalizeInPlace(u);
      return u;
    });
  }

  /** One power iteration per kernel, then the in-place soft rescaling. */
  step(): void {
    this.kernels.forEach((w, i) => {
      const [rows, cols] = w.shape;
      const sigma = powerIterationStep(w.dataSync(), rows, cols, this.u[i]);
      const scale = Math.max(1, sigma / this.bound);
      if (scale > 1) tf.tidy(() => w.assign(tf.div(w, scale) as tf.Tensor2D));
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
      tf.tidy(() => w.assign(tf.tensor2d(Float32Array.from(kernel), [rows, cols])));
      this.u[i].set(vector);
    });
  }

  /** The vectors u as float32 (checkpoint `blocks.{i}.sn_u`). */
  vectors(): Float32Array[] {
    return this.u.map((u) => Float32Array.from(u));
  }

  dispose(): void {}
}
