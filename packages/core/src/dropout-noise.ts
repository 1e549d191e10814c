/**
 * The randomness of MC dropout inference. Random ops are removed by graph optimizers and do not run
 * on WebGPU, so the exported graph takes its dropout noise as an input and whoever runs it (the
 * runtime, export's verification, the web demo) draws it here, from one seeded PRNG.
 */
import { Rng } from './rng.js';

/** The seed used when a caller gives none: the runtime, verification and the demo all agree on it. */
export const DEFAULT_NOISE_SEED = 0;

/** A float32 tensor: row-major data and its dimensions. */
export interface NoiseTensor {
  data: Float32Array;
  dims: number[];
}

/**
 * Uniform [0, 1) noise of shape [samples, ...shape] (for MC dropout: [T, numLayers, hiddenDim]);
 * a unit is kept where its noise is >= the dropout rate.
 * @param samples - MC samples T.
 * @param shape - one sample's shape, the model card's `dropoutNoiseShape`.
 * @param seed - PRNG seed; the same seed always gives the same noise.
 */
export function dropoutNoise(samples: number, shape: readonly number[], seed: number = DEFAULT_NOISE_SEED): NoiseTensor {
  const dims = [samples, ...shape];
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  // uniform() < 1 but may round to 1.0 in float32; 1.0 >= rate keeps the unit, as a draw just below 1 would.
  new Rng(seed).fillUniform(data);
  return { data, dims };
}
