import {
  type Checkpoint,
  type CheckpointConfig,
  type HyperParameters,
  type NamedTensor,
  SngpError,
  bakeSpectralNorm,
  validateCheckpointTensors,
} from '@sngp/core';
import { asymmetry, posteriorCovariance } from './posterior.js';

/**
 * The checkpoint turned into exactly the weights the exported graph computes with: spectral norm
 * baked into the SNGP kernels and the posterior covariance inverted. Both the ONNX graphs and the
 * float64 reference forward pass start from this, so they describe the same model.
 */
export interface Dense {
  /** Row-major [inDim, outDim], y = x @ kernel + bias. */
  kernel: ArrayLike<number>;
  bias: ArrayLike<number>;
  inDim: number;
  outDim: number;
}

export interface ResNetWeights {
  input: Dense;
  blocks: Dense[];
  /** Dense output head (absent for SNGP, whose head is the GP layer). */
  output?: Dense;
}

export interface GpWeights {
  /** Random features M. */
  m: number;
  rffKernel: Float32Array; // [H, M]
  rffBias: Float32Array; // [M]
  beta: Float32Array; // [M, K]
  bias: Float32Array; // [K]
  ridge: number;
  /** Sigma = ridge * P^-1, float64 [M, M]. */
  covariance: Float64Array;
  /** Cholesky factor of P, float64 [M, M] lower triangular. */
  choleskyFactor: Float64Array;
  precisionAsymmetry: number;
}

export interface SpectralReport {
  block: number;
  /** ||W||_2 of the stored kernel. */
  sigma: number;
  /** Divisor max(1, sigma / c) baked into the kernel. */
  scale: number;
  iterations: number;
  converged: boolean;
}

export interface BakedModel {
  config: CheckpointConfig;
  hp: HyperParameters;
  /** One network for deterministic / SNGP / MC dropout, one per member for ensembles. */
  nets: ResNetWeights[];
  gp?: GpWeights;
  spectral?: SpectralReport[];
  warnings: string[];
}

function checkFinite(name: string, t: NamedTensor): void {
  for (let i = 0; i < t.data.length; i++)
    if (!Number.isFinite(t.data[i])) throw new SngpError(`weights.safetensors: tensor "${name}" has a non-finite value at flat index ${i}`);
}

function validate(ckpt: Checkpoint): void {
  const { config } = ckpt;
  validateCheckpointTensors(config, ckpt.tensors);
  for (const [name, t] of Object.entries(ckpt.tensors)) checkFinite(name, t);
  const s = config.standardization;
  if (s) {
    const d = config.hyperParameters.inputDim;
    if (s.mean.length !== d || s.std.length !== d)
      throw new SngpError(`checkpoint.json: standardization has ${s.mean.length} means and ${s.std.length} stds, expected ${d} (inputDim)`);
    s.std.forEach((v, i) => {
      if (!(v > 0) || !Number.isFinite(v)) throw new SngpError(`checkpoint.json: standardization.std[${i}] is ${v}, expected a positive number`);
    });
  }
}

export function bakeCheckpoint(ckpt: Checkpoint): BakedModel {
  validate(ckpt);
  const { config, tensors } = ckpt;
  const hp = config.hyperParameters;
  const { inputDim: d, hiddenDim: h, numClasses: k } = hp;
  const t = (name: string) => tensors[name].data;
  const dense = (prefix: string, inDim: number, outDim: number): Dense => ({
    kernel: t(`${prefix}.kernel`),
    bias: t(`${prefix}.bias`),
    inDim,
    outDim,
  });
  const resnet = (p: string, withHead: boolean): ResNetWeights => ({
    input: dense(`${p}input`, d, h),
    blocks: Array.from({ length: hp.numLayers }, (_, i) => dense(`${p}blocks.${i}`, h, h)),
    ...(withHead ? { output: dense(`${p}output`, h, k) } : {}),
  });
  const warnings: string[] = [];
  switch (config.method) {
    case 'deterministic':
    case 'mc-dropout':
      return { config, hp, nets: [resnet('', true)], warnings };
    case 'ensemble':
      return {
        config,
        hp,
        nets: Array.from({ length: hp.ensembleSize }, (_, m) => resnet(`members.${m}.`, true)),
        warnings,
      };
    case 'sngp': {
      const net = resnet('', false);
      const spectral: SpectralReport[] = [];
      net.blocks = net.blocks.map((b, i) => {
        const baked = bakeSpectralNorm(b.kernel, h, h, hp.specNormBound);
        spectral.push({ block: i, sigma: baked.sigma, scale: baked.scale, iterations: baked.iterations, converged: baked.converged });
        if (!baked.converged) warnings.push(`blocks.${i}: power iteration did not converge (sigma ~ ${baked.sigma})`);
        return { ...b, kernel: baked.kernel };
      });
      const m = hp.numRandomFeatures;
      const precision = t('gp.precision');
      const post = posteriorCovariance(precision, m, hp.ridge, 'weights.safetensors: tensor "gp.precision"');
      const gp: GpWeights = {
        m,
        rffKernel: t('gp.rff_kernel') as Float32Array,
        rffBias: t('gp.rff_bias') as Float32Array,
        beta: t('gp.beta') as Float32Array,
        bias: t('gp.bias') as Float32Array,
        ridge: hp.ridge,
        covariance: post.covariance,
        choleskyFactor: post.l,
        precisionAsymmetry: asymmetry(precision, m),
      };
      return { config, hp, nets: [net], gp, spectral, warnings };
    }
  }
}
