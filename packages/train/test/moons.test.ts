/**
 * The 100-epoch two-moons runs with default settings: the checkpoints of the main job's "train"
 * stage (packages/pipeline, run by turbo before this test: one training per CI run, shared with the
 * other packages' tests). Accuracy on the held-out test set, the spectral norm of the SNGP kernels
 * and the Laplace precision, each recomputed independently of the training code.
 */
import { type Checkpoint, matmulTransposed, twoMoons } from '@sngp/core';
import { readCheckpoint } from '@sngp/core/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { MOONS_DATA_SEED } from '../dist/index.js';
import {
  type NumpyTensorInfo,
  accuracyOfLogits,
  logitsF64,
  numpyRead,
  phiF64,
  pipelineCheckpoint,
  sngpLogitsF64,
} from './helpers.js';

const moons = twoMoons(MOONS_DATA_SEED);
let det: Checkpoint;
let sngp: Checkpoint;
let sngpNumpy: Record<string, NumpyTensorInfo>;

beforeAll(() => {
  det = readCheckpoint(pipelineCheckpoint('deterministic'));
  sngp = readCheckpoint(pipelineCheckpoint('sngp'));
  sngpNumpy = numpyRead(`${pipelineCheckpoint('sngp')}/weights.safetensors`);
});

describe('two moons, defaults, 100 epochs', () => {
  it('deterministic reaches >= 97% on the held-out test set (recomputed in float64 from the checkpoint)', () => {
    const { test } = moons;
    const acc = accuracyOfLogits(logitsF64(det.tensors, test.x, test.n, 6), test.y!, 2);
    console.log(`deterministic test accuracy ${acc} (recorded ${det.config.metrics.testAccuracy})`);
    expect(acc).toBeGreaterThanOrEqual(0.97);
    expect(Math.abs(acc - det.config.metrics.testAccuracy)).toBeLessThanOrEqual(0.002);
  });

  it('SNGP reaches >= 97% on the held-out test set (recomputed in float64 from the checkpoint)', () => {
    const { test } = moons;
    const acc = accuracyOfLogits(sngpLogitsF64(sngp.tensors, test.x, test.n, 6), test.y!, 2);
    console.log(`sngp test accuracy ${acc} (recorded ${sngp.config.metrics.testAccuracy})`);
    expect(acc).toBeGreaterThanOrEqual(0.97);
    expect(Math.abs(acc - sngp.config.metrics.testAccuracy)).toBeLessThanOrEqual(0.002);
  });

  it('records metrics, versions and backend', () => {
    for (const c of [det, sngp]) {
      expect(Object.keys(c.config.metrics).sort()).toEqual(['testAccuracy', 'trainAccuracy', 'trainLoss']);
      expect(c.config.versions['@tensorflow/tfjs-core']).toMatch(/^\d+\.\d+\.\d+/);
      expect(c.config.versions['@sngp/train']).toMatch(/^\d+\.\d+\.\d+/);
      expect(['tensorflow', 'wasm', 'cpu']).toContain(c.config.backend);
      expect(c.config.training).toMatchObject({ epochs: 100, batchSize: 128, learningRate: 1e-4, seed: 0, trainRows: 1000 });
    }
    expect(det.config.metrics.trainAccuracy).toBeGreaterThan(0.97);
  });

  it('every SNGP hidden kernel, baked as W / max(1, sigma/c), has spectral norm <= 0.9 + 1e-3 (numpy SVD)', () => {
    const c = sngp.config.hyperParameters.specNormBound;
    expect(c).toBe(0.9);
    console.log('numpy spectral norms', [0, 1, 2, 3, 4, 5].map((i) => sngpNumpy[`blocks.${i}.kernel`].spectral_norm));
    for (let i = 0; i < 6; i++) {
      const info = sngpNumpy[`blocks.${i}.kernel`];
      expect(info.shape).toEqual([128, 128]);
      const sigma = info.spectral_norm!;
      const baked = sigma / Math.max(1, sigma / c); // ||W / s||_2 = sigma / s
      expect(baked).toBeLessThanOrEqual(c + 1e-3);
      // The stored kernel itself is already normalised (final in-place step), so the bake is a no-op.
      expect(sigma).toBeLessThanOrEqual(c + 1e-3);
      // ... and the constraint is active (training pushes the norm up to the bound), not vacuous.
      expect(sigma).toBeGreaterThan(0.5);
    }
  });

  it('numpy reads every tensor with the documented dtype and shape', () => {
    const expected: Record<string, [string, number[]]> = {
      'input.kernel': ['F32', [2, 128]],
      'gp.rff_kernel': ['F32', [128, 1024]],
      'gp.rff_bias': ['F32', [1024]],
      'gp.beta': ['F32', [1024, 2]],
      'gp.bias': ['F32', [2]],
      'gp.precision': ['F64', [1024, 1024]],
      'blocks.5.sn_u': ['F32', [128]],
    };
    for (const [name, [dtype, shape]] of Object.entries(expected)) {
      expect(sngpNumpy[name], name).toMatchObject({ dtype, shape, finite: true });
    }
    expect(Object.keys(sngpNumpy).length).toBe(Object.keys(sngp.tensors).length);
    expect(sngpNumpy['gp.precision'].symmetric_max_abs_diff).toBe(0);
    // ridge * I + PSD, up to the float32 rounding of the backend's per-chunk Phi^T Phi (~1e-5 here)
    expect(sngpNumpy['gp.precision'].min_eigenvalue).toBeGreaterThanOrEqual(1 - 1e-4);
  });

  it('stored precision = ridge * I + sum phi phi^T over the training data (float64 recomputation)', () => {
    const { train } = moons;
    const m = 1024;
    const phi = phiF64(sngp.tensors, train.x, train.n, 6);
    const p = sngp.tensors['gp.precision'].data;
    // Phi^T Phi as (Phi^T)(Phi^T)^T with core's float64 product (tfjs computed the stored one).
    const phiT = new Float64Array(m * train.n);
    for (let i = 0; i < train.n; i++) for (let a = 0; a < m; a++) phiT[a * train.n + i] = phi[i * m + a];
    const gram = matmulTransposed(phiT, m, train.n, phiT, m);
    let diff = 0;
    let norm = 0;
    for (let a = 0; a < m; a++)
      for (let b = 0; b < m; b++) {
        const want = gram[a * m + b] + (a === b ? sngp.config.hyperParameters.ridge : 0);
        diff += (p[a * m + b] - want) ** 2;
        norm += want ** 2;
      }
    const rel = Math.sqrt(diff / norm);
    console.log(`precision relative error ${rel.toExponential(2)}`);
    expect(rel).toBeLessThanOrEqual(1e-4);
    // Not vacuous: the data term dominates the ridge.
    expect(p[0]).toBeGreaterThan(1.5);
    // N = 1000 < M: Phi^T Phi is singular, so the smallest eigenvalue is the ridge (numpy).
    expect(sngpNumpy['gp.precision'].min_eigenvalue).toBeLessThan(1 + 1e-3);
  });

  it('trainAccuracy (from the precision pass\'s own forward pass) matches a float64 recomputation', () => {
    const { train } = moons;
    const acc = accuracyOfLogits(sngpLogitsF64(sngp.tensors, train.x, train.n, 6), train.y!, 2);
    expect(Math.abs(acc - sngp.config.metrics.trainAccuracy)).toBeLessThanOrEqual(0.002);
    expect(acc).toBeGreaterThan(0.97);
  });
});
