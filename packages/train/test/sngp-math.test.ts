/**
 * The fast SNGP pieces against plain references: the backend precision pass (float32 chunk
 * products, float64 sums) against float64 products of the same features; the random-feature
 * layer's polynomial cos and hand-written gradient against tf.cos and tfjs autodiff; the JS power
 * iteration against core's exact spectral norm. (The stored precision of a whole run is checked on
 * the main job's checkpoint in moons.test.ts.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_HYPER_PARAMETERS, Rng, spectralNorm } from '@sngp/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { PrecisionAccumulator, createModel, initBackend, precisionPass } from '../dist/index.js';

beforeAll(async () => {
  await initBackend('auto');
});

function relFrobenius(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

/** The SNGP model's internals, for white-box checks (the class is not part of the public API). */
interface SngpInternals {
  gp: {
    rffKernel: tf.Tensor2D;
    rffBias: tf.Tensor1D;
    beta: tf.Variable;
    bias: tf.Tensor1D;
    features(h: tf.Tensor2D): tf.Tensor2D;
    logits(h: tf.Tensor2D): tf.Tensor2D;
  };
  net: { kernels: tf.Variable<tf.Rank.R2>[] };
  specNorm: { step(): void; u: Float64Array[] };
  dispose(): void;
}

function sngpModel(hiddenDim: number, numRandomFeatures: number, seed = 1): SngpInternals {
  const hp = { ...DEFAULT_HYPER_PARAMETERS, inputDim: 4, numClasses: 3, hiddenDim, numRandomFeatures };
  return createModel('sngp', hp, new Rng(seed)) as unknown as SngpInternals;
}

describe('precision pass on the backend', () => {
  it('equals ridge I + Phi^T Phi with float64 products of the same features, over chunks and column blocks', () => {
    const n = 5000;
    const d = 6;
    const m = 300;
    const rng = new Rng(11);
    const x = Float32Array.from({ length: n * d }, () => rng.normal());
    const w = tf.tensor2d(Float32Array.from({ length: d * m }, () => rng.normal()), [d, m]);
    const preActivation = (xc: tf.Tensor2D): tf.Tensor2D => tf.matMul(xc, w);
    const activate = (z: number): number => Math.sqrt(2 / m) * Math.cos(z);
    const zAll = tf.tidy(() => preActivation(tf.tensor2d(x, [n, d])));
    const phi = Float64Array.from(zAll.dataSync(), activate);
    zAll.dispose();
    const ref = new PrecisionAccumulator(m, 2.5);
    ref.add(phi, n);
    const want = ref.result();
    const progress: number[] = [];
    const got = precisionPass(preActivation, activate, x, n, d, m, 2.5, {
      chunkRows: 1024,
      blockCols: 128, // 300 = 2 x 128 + 44: a partial last block
      onProgress: (done, total) => {
        expect(total).toBe(n);
        progress.push(done);
      },
    });
    expect(progress).toEqual([1024, 2048, 3072, 4096, 5000]);
    const rel = relFrobenius(got, want);
    console.log(`backend precision pass vs float64 products: relative error ${rel.toExponential(2)}`);
    expect(rel).toBeLessThan(1e-5);
    expect(rel).toBeGreaterThan(0); // float32 products: not the same computation
    for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) expect(got[a * m + b]).toBe(got[b * m + a]);
    // The ridge is on the diagonal once, and the data term dominates it (not vacuous).
    expect(got[0] - 2.5).toBeCloseTo(want[0] - 2.5, 3);
    expect(got[0]).toBeGreaterThan(2.5 + 5);
    // One block per row of blocks or several: the same matrix up to float32 rounding.
    const single = precisionPass(preActivation, activate, x, n, d, m, 2.5, { chunkRows: 4096, blockCols: m });
    expect(relFrobenius(single, want)).toBeLessThan(1e-5);
    w.dispose();
  });
});

describe('random-feature layer', () => {
  it('cos by range reduction and polynomial matches Math.cos to float32 precision, far from 0 too', () => {
    const model = sngpModel(8, 64);
    try {
      // phi = sqrt(2/M) cos(h W + b): check it on pre-activations spread over [-200, 200].
      const { gp } = model;
      const rng = new Rng(5);
      const h = tf.tensor2d(Float32Array.from({ length: 256 * 8 }, () => 25 * rng.normal()), [256, 8]);
      const z = tf.tidy(() => tf.add(tf.matMul(h, gp.rffKernel), gp.rffBias).dataSync());
      const phi = tf.tidy(() => gp.features(h).dataSync());
      const scale = Math.sqrt(2 / 64);
      let maxErr = 0;
      let maxZ = 0;
      for (let i = 0; i < z.length; i++) {
        maxErr = Math.max(maxErr, Math.abs(phi[i] / scale - Math.cos(z[i])));
        maxZ = Math.max(maxZ, Math.abs(z[i]));
      }
      console.log(`polynomial cos: max |error| ${maxErr.toExponential(2)} for |z| up to ${maxZ.toFixed(0)}`);
      expect(maxZ).toBeGreaterThan(100);
      expect(maxErr).toBeLessThan(1e-6);
      h.dispose();
    } finally {
      model.dispose();
    }
  });

  it('the hand-written gradient equals tfjs autodiff of phi(h) beta with tf.cos', () => {
    const model = sngpModel(16, 96);
    try {
      const { gp } = model;
      const rng = new Rng(9);
      const h = tf.tensor2d(Float32Array.from({ length: 32 * 16 }, () => rng.normal()), [32, 16]);
      const r = tf.tensor2d(Float32Array.from({ length: 32 * 3 }, () => rng.normal()), [32, 3]);
      const scale = Math.sqrt(2 / 96);
      const reference = (hh: tf.Tensor2D, beta: tf.Tensor): tf.Scalar =>
        tf.sum(tf.mul(tf.add(tf.matMul(tf.mul(tf.cos(tf.add(tf.matMul(hh, gp.rffKernel), gp.rffBias)), scale), beta as tf.Tensor2D), gp.bias), r));
      const fast = (hh: tf.Tensor2D): tf.Scalar => tf.sum(tf.mul(gp.logits(hh), r));
      const values = [fast(h).dataSync()[0], reference(h, gp.beta).dataSync()[0]];
      expect(Math.abs(values[0] - values[1])).toBeLessThan(1e-4 * Math.max(1, Math.abs(values[1])));
      const [dhFast, dhRef] = [
        tf.grad((hh: tf.Tensor) => fast(hh as tf.Tensor2D))(h).dataSync(),
        tf.grad((hh: tf.Tensor) => reference(hh as tf.Tensor2D, gp.beta))(h).dataSync(),
      ];
      const dBetaFast = tf.variableGrads(() => fast(h), [gp.beta]).grads[gp.beta.name].dataSync();
      const dBetaRef = tf.grad((b: tf.Tensor) => reference(h, b))(gp.beta).dataSync();
      console.log(`gradient relative error: d/dh ${relFrobenius(dhFast, dhRef).toExponential(2)}, d/dbeta ${relFrobenius(dBetaFast, dBetaRef).toExponential(2)}`);
      expect(relFrobenius(dhFast, dhRef)).toBeLessThan(1e-5);
      expect(relFrobenius(dBetaFast, dBetaRef)).toBeLessThan(1e-5);
      expect(Math.max(...Array.from(dhRef, Math.abs))).toBeGreaterThan(1e-3);
      tf.dispose([h, r]);
    } finally {
      model.dispose();
    }
  });
});

describe('spectral normalisation step (JS power iteration)', () => {
  it('drives every kernel to spectral norm c without leaking tensors', () => {
    const model = sngpModel(32, 16);
    try {
      const kernels = model.net.kernels;
      for (const k of kernels) tf.tidy(() => k.assign(tf.mul(k, 4) as tf.Tensor2D));
      const before = kernels.map((k) => spectralNorm(k.dataSync(), 32, 32).sigma);
      expect(Math.min(...before)).toBeGreaterThan(2);
      model.specNorm.step();
      const tensors = tf.memory().numTensors;
      for (let i = 0; i < 60; i++) model.specNorm.step();
      expect(tf.memory().numTensors).toBe(tensors);
      const after = kernels.map((k) => spectralNorm(k.dataSync(), 32, 32).sigma);
      console.log('sigma before', before.map((s) => s.toFixed(3)), 'after', after.map((s) => s.toFixed(4)));
      for (const s of after) {
        expect(s).toBeLessThanOrEqual(0.9 * 1.01);
        expect(s).toBeGreaterThan(0.9 * 0.97);
      }
      // u is the top right-singular vector: a unit vector.
      const u = model.specNorm.u[0];
      expect(Math.hypot(...u)).toBeCloseTo(1, 9);
    } finally {
      model.dispose();
    }
  });
});
