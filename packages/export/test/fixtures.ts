/**
 * Checkpoints from random weights, written with core's writeCheckpoint: for the bad-input tests
 * and for parity tests that must not wait for (or depend on) the trainer.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type Checkpoint,
  type CheckpointConfig,
  checkpointTensorSpec,
  DEFAULT_HYPER_PARAMETERS,
  type HyperParameters,
  type Method,
  type NamedTensor,
  Rng,
  tensor,
} from '@sngp/core';
import { writeCheckpoint } from '@sngp/core/node';

export function tempDir(prefix = 'sngp-export-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface FixtureOptions {
  hp?: Partial<HyperParameters>;
  standardization?: { mean: number[]; std: number[] } | null;
  seed?: number;
  /** SNGP: rows of random features in the precision (default 300); fewer than M gives a low-rank Phi^T Phi. */
  precisionRows?: number;
}

/** A valid checkpoint with random weights; SNGP precision = ridge I + Phi^T Phi of random features. */
export function randomCheckpoint(method: Method, opts: FixtureOptions = {}): Checkpoint {
  const hp: HyperParameters = {
    ...DEFAULT_HYPER_PARAMETERS,
    hiddenDim: 16,
    numLayers: 2,
    numRandomFeatures: 64,
    ensembleSize: 3,
    mcSamples: 4,
    inputDim: 2,
    numClasses: 2,
    ...opts.hp,
  };
  const rng = new Rng(opts.seed ?? 7);
  const spec = checkpointTensorSpec(method, hp);
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, s] of Object.entries(spec)) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    if (name === 'gp.precision') continue;
    const data = new Float32Array(size);
    // Glorot-ish scale so activations stay O(1); RFF kernel N(0, 1), RFF bias U[0, 2 pi).
    const scale = name.endsWith('rff_kernel') ? 1 : name.endsWith('rff_bias') ? 0 : 1 / Math.sqrt(s.shape[0]);
    for (let i = 0; i < size; i++)
      data[i] = name.endsWith('rff_bias') ? 2 * Math.PI * rng.uniform() : name.endsWith('bias') ? 0.1 * rng.normal() : scale * rng.normal() * (name.includes('blocks') ? 2 : 1);
    tensors[name] = tensor(data, s.shape);
  }
  if (method === 'sngp') {
    const m = hp.numRandomFeatures;
    const n = opts.precisionRows ?? 300;
    const p = new Float64Array(m * m);
    for (let i = 0; i < m; i++) p[i * m + i] = hp.ridge;
    const phi = new Float64Array(m);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < m; j++) phi[j] = Math.sqrt(2 / m) * Math.cos(3 * rng.normal() + 2 * Math.PI * rng.uniform());
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) p[i * m + j] += phi[i] * phi[j];
    }
    tensors['gp.precision'] = tensor(p, [m, m]);
  }
  const config: CheckpointConfig = {
    format: 'sngp-checkpoint',
    formatVersion: 1,
    method,
    hyperParameters: hp,
    training: { data: 'moons', labelColumn: null, epochs: 1, batchSize: 128, learningRate: 1e-4, seed: 0, trainRows: 1000, validationRows: 0 },
    classes: Array.from({ length: hp.numClasses }, (_, i) => String(i)),
    featureNames: Array.from({ length: hp.inputDim }, (_, i) => (hp.inputDim === 2 ? ['x', 'y'][i] : `f${i}`)),
    standardization: opts.standardization === undefined ? null : opts.standardization,
    metrics: { trainAccuracy: 0.5 },
    versions: { fixture: '1' },
    backend: 'none',
    createdAt: new Date(0).toISOString(),
  };
  return { config, tensors };
}

export function writeRandomCheckpoint(method: Method, opts: FixtureOptions = {}, dir = join(tempDir(), method)): string {
  writeCheckpoint(dir, randomCheckpoint(method, opts));
  return dir;
}

export const PKG_DIR = resolve(import.meta.dirname, '..');
export const EXPORT_CLI = join(PKG_DIR, 'dist', 'cli.js');
export function runCli(cli: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 600_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Python with onnx + numpy (Debian's, not the pyenv one on PATH). */
export const PYTHON = '/usr/bin/python3';

export function python(script: string, args: string[] = [], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', timeout: 300_000, input, maxBuffer: 256 * 2 ** 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** n standard normals from core's seeded RNG. */
export function randn(n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: n }, () => r.normal());
}

/** Q diag(eig) Q^T with a random orthogonal Q (Gram-Schmidt on Gaussian rows): known spectrum. */
export function withEigenvalues(eig: number[], seed: number): Float64Array {
  const m = eig.length;
  const q = randn(m * m, seed);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < i; j++) {
      let d = 0;
      for (let k = 0; k < m; k++) d += q[i * m + k] * q[j * m + k];
      for (let k = 0; k < m; k++) q[i * m + k] -= d * q[j * m + k];
    }
    let n = 0;
    for (let k = 0; k < m; k++) n += q[i * m + k] ** 2;
    for (let k = 0; k < m; k++) q[i * m + k] /= Math.sqrt(n);
  }
  const a = new Float64Array(m * m);
  for (let r = 0; r < m; r++)
    for (let c = 0; c <= r; c++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += eig[k] * q[k * m + r] * q[k * m + c];
      a[r * m + c] = a[c * m + r] = s;
    }
  return a;
}
