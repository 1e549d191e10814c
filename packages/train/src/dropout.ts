/**
 * Dropout masks drawn from core's seeded Rng (tfjs's own dropout has a separate RNG, which would
 * break "one seeded PRNG behind every random draw"). Inverted dropout: kept units are scaled by
 * 1 / (1 - rate), so no rescaling is needed at inference.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@sngp/core';

/** One [rows, width] mask per layer, or null when the rate is 0. */
export function dropoutMasks(rng: Rng, layers: number, rows: number, width: number, rate: number): tf.Tensor2D[] | null {
  if (rate <= 0 || layers === 0) return null;
  const keep = 1 / (1 - rate);
  // uniform() >= rate, compared on the raw 32-bit draw (same outcome, no division per unit).
  const threshold = Math.ceil(rate * 4294967296);
  const masks: tf.Tensor2D[] = [];
  for (let l = 0; l < layers; l++) {
    const m = new Float32Array(rows * width);
    for (let i = 0; i < m.length; i++) m[i] = rng.nextUint32() >= threshold ? keep : 0;
    masks.push(tf.tensor2d(m, [rows, width]));
  }
  return masks;
}
