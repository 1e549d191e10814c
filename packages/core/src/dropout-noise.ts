/**
 * The randomness of MC dropout inference. Random ops are removed by graph optimizers and do not run
 * on WebGPU, so the exported graph takes its dropout noise as an input and whoever runs it (the
 * runtime, export's verification, the web demo) draws it here, from one seeded PRNG.
 */
import { Rng } from './rng.js';

/**
 * The seed used when a caller gives none (0): the runtime, export's verification and the web demo
 * all agree on it, so an MC dropout model gives the same probabilities everywhere by default.
 */
export const DEFAULT_NOISE_SEED = 0;

/** A float32 tensor: row-major data and its dimensions (the shape of the runtime's graph feeds). */
export interface NoiseTensor {
  /** The values, row-major; `data.length` is the product of `dims`. */
  data: Float32Array;
  /** The dimensions, outermost first: [samples, ...shape]. */
  dims: number[];
}

/**
 * Uniform [0, 1) noise of shape [samples, ...shape] (for MC dropout: [T, numLayers, hiddenDim]),
 * the `dropout_noise` input of an exported MC dropout graph: a unit is kept where its noise is >=
 * the dropout rate. Values come from one {@link Rng} in row-major order.
 * @param samples - MC samples T, a non-negative integer.
 * @param shape - one sample's shape, the model card's `dropoutNoiseShape` ([numLayers, hiddenDim]).
 * @param seed - PRNG seed (default {@link DEFAULT_NOISE_SEED}); the same seed always gives the same noise.
 * @returns the noise tensor with `dims` [samples, ...shape].
 * @throws RangeError if `seed` is not finite (see the {@link Rng} constructor).
 */
export function dropoutNoise(samples: number, shape: readonly number[], seed: number = DEFAULT_NOISE_SEED): NoiseTensor {
  const dims = [samples, ...shape];
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  // uniform() < 1 but may round to 1.0 in float32; 1.0 >= rate keeps the unit, as a draw just below 1 would.
  new Rng(seed).fillUniform(data);
  return { data, dims };
}
