/** Keras-style initialisers drawn from core's seeded Rng, so a seed reproduces the weights. */
import type { Rng } from '@sngp/core';

/** Glorot (Xavier) uniform: U[-l, l] with l = sqrt(6 / (fanIn + fanOut)); shape [fanIn, fanOut]. */
export function glorotUniform(rng: Rng, fanIn: number, fanOut: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.uniform() - 1) * limit;
  return out;
}

export function standardNormal(rng: Rng, size: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal();
  return out;
}

export function uniform(rng: Rng, size: number, low: number, high: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = low + (high - low) * rng.uniform();
  return out;
}
