import {
  type Checkpoint,
  type CheckpointConfig,
  type HyperParameters,
  type NamedTensor,
  SngpError,
  bakeSpectralNorm,
  validateCheckpointTensors,
} from '@sngp/core';
import { asymmetry, gpInputOptions } from '@sngp/core';
import { choosePosterior, type GpPosterior, type PosteriorOptions } from './posterior.js';

/*
 * The checkpoint turned into exactly the weights the exported graph computes with: spectral norm
 * baked into the SNGP kernels and the posterior in the form the graph carries (full covariance or
 * low-rank factor), with the Cholesky factor of the full precision kept for the float64 reference.
 * Both the ONNX graphs and the reference forward pass start from this, so they describe the same
 * model.
 */

/** One dense layer, y = x @ kernel + bias. */
export interface Dense {
  /** Row-major [inDim, outDim], y = x @ kernel + bias. */
  kernel: ArrayLike<number>;
  /** [outDim]. */
  bias: ArrayLike<number>;
  /** Input width. */
  inDim: number;
  /** Output width. */
  outDim: number;
}

/** The residual network of one model (or one ensemble member). */
export interface ResNetWeights {
  /** The frozen input projection [D, H]. */
  input: Dense;
  /** The residual blocks [H, H], h = h + ReLU(h @ W + b); SNGP kernels have the spectral norm baked in. */
  blocks: Dense[];
  /** Dense output head (absent for SNGP, whose head is the GP layer). */
  output?: Dense;
}

/** SNGP's random-feature GP output layer, with its posterior in the form the graph carries. */
export interface GpWeights {
  /** Random features M. */
  m: number;
  /** Random feature projection W_rf [H, M] (frozen at training). */
  rffKernel: Float32Array; // [H, M]
  /** Random feature phases b_rf [M] (frozen at training). */
  rffBias: Float32Array; // [M]
  /** Output weights beta [M, K]: logits = phi beta + bias. */
  beta: Float32Array; // [M, K]
  /** Output bias [K]. */
  bias: Float32Array; // [K]
  /** The ridge s of the precision P = s I + Phi^T Phi. */
  ridge: number;
  /** The posterior: full covariance or low-rank factor, its proven error bound, and the Cholesky factor of P. */
  posterior: GpPosterior;
  /** Largest |P_ij - P_ji| of the stored precision. */
  precisionAsymmetry: number;
  /** Kernel scale s: the GP input is multiplied by 1 / sqrt(s) (1 in checkpoints that predate it). */
  kernelScale: number;
  /** Layer-norm of the GP input (gp.input_norm.gamma / beta [H]); null when not enabled. */
  inputNorm: {
    /** Scale gamma [H] (`gp.input_norm.gamma`). */
    gamma: Float32Array;
    /** Offset beta [H] (`gp.input_norm.beta`). */
    beta: Float32Array;
  } | null;
  /**
   * The mean-field factor lambda and temperature T of the default predictive distribution
   * softmax(logits / (T sqrt(1 + lambda var))): the checkpoint's calibration when it has one, else
   * `hyperParameters.meanFieldFactor` and T = 1.
   */
  meanField: {
    /** Mean-field factor lambda (< 0: plain softmax, no variance adjustment). */
    lambda: number;
    /** Temperature T (> 0) dividing the logits. */
    temperature: number;
  };
}

/** The spectral normalisation of one SNGP residual block, as baked at export. */
export interface SpectralReport {
  /** Block index. */
  block: number;
  /** ||W||_2 of the stored kernel. */
  sigma: number;
  /** Divisor max(1, sigma / c) baked into the kernel. */
  scale: number;
  /** Power iterations used. */
  iterations: number;
  /** Whether the power iteration converged (if not, there is a warning). */
  converged: boolean;
}

/**
 * The checkpoint turned into exactly the weights the exported graph computes with: spectral norm
 * baked into the SNGP kernels and the posterior in the form the graph carries. Both the ONNX graphs and the
 * float64 reference forward pass start from this, so they describe the same model.
 */
export interface BakedModel {
  /** The checkpoint's configuration. */
  config: CheckpointConfig;
  /** `config.hyperParameters`. */
  hp: HyperParameters;
  /** One network for deterministic / SNGP / MC dropout, one per member for ensembles. */
  nets: ResNetWeights[];
  /** SNGP: the GP output layer. */
  gp?: GpWeights;
  /** SNGP: one entry per residual block. */
  spectral?: SpectralReport[];
  /**
   * The calibrated temperature T (> 0) dividing the logits of the default predictive distribution
   * (MC dropout, ensemble: each sample's before its softmax); 1 when the checkpoint has no calibration.
   */
  temperature: number;
  /** Non-fatal problems found while baking, one line each. */
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

/**
 * Validate a checkpoint and bake it into the weights the exported graph uses: SNGP kernels divided
 * by max(1, sigma / c) with sigma computed to convergence, and the posterior in float64 after
 * checking the precision P: Sigma = ridge * P^-1 (full) or the low-rank factor of its
 * eigendecomposition, as `opts` choose (see {@link choosePosterior}).
 * @param ckpt - the checkpoint.
 * @param opts - SNGP: posterior form and variance tolerance (default: `auto`, 5e-4).
 * @returns the baked weights; they share the checkpoint's arrays, except SNGP's baked block
 *   kernels and the posterior.
 * @throws SngpError for a missing or misshapen tensor, a non-finite weight, a standardisation of
 *   the wrong length or with a non-positive std, an SNGP precision that is not symmetric with
 *   every eigenvalue >= ridge (see `validatePrecision` in @sngp/core), or posterior options that
 *   cannot be met.
 */
export function bakeCheckpoint(ckpt: Checkpoint, opts: PosteriorOptions = {}): BakedModel {
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
  const temperature = config.calibration?.temperature ?? 1;
  switch (config.method) {
    case 'deterministic':
    case 'mc-dropout':
      return { config, hp, nets: [resnet('', true)], temperature, warnings };
    case 'ensemble':
      return {
        config,
        hp,
        nets: Array.from({ length: hp.ensembleSize }, (_, m) => resnet(`members.${m}.`, true)),
        temperature,
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
      const posterior = choosePosterior(precision, m, hp.ridge, opts, 'weights.safetensors: tensor "gp.precision"');
      const gp: GpWeights = {
        m,
        rffKernel: t('gp.rff_kernel') as Float32Array,
        rffBias: t('gp.rff_bias') as Float32Array,
        beta: t('gp.beta') as Float32Array,
        bias: t('gp.bias') as Float32Array,
        ridge: hp.ridge,
        posterior,
        precisionAsymmetry: asymmetry(precision, m),
        kernelScale: gpInputOptions(hp).kernelScale,
        inputNorm: gpInputOptions(hp).normalizeInput
          ? { gamma: t('gp.input_norm.gamma') as Float32Array, beta: t('gp.input_norm.beta') as Float32Array }
          : null,
        meanField: config.calibration
          ? { lambda: config.calibration.meanFieldFactor ?? hp.meanFieldFactor, temperature }
          : { lambda: hp.meanFieldFactor, temperature: 1 },
      };
      return { config, hp, nets: [net], gp, spectral, temperature, warnings };
    }
  }
}
