import { join } from 'node:path';
import { METHODS, twoMoons, type Method } from '@sngp/core';
import * as ort from 'onnxruntime-node';
import { inject } from 'vitest';

export { METHODS };

export function modelPath(method: Method): string {
  return join(inject('modelsDir'), `${method}.onnx`);
}

/** In-domain test rows, OOD rows and a few far-away grid corners: [n * 2] and as rows. */
export function sampleFeatures(): { flat: Float32Array; rows: number[][]; n: number } {
  const { test, ood, grid } = twoMoons(0);
  const take = (x: Float32Array, n: number, step = 1): number[][] =>
    Array.from({ length: n }, (_, i) => [x[2 * i * step], x[2 * i * step + 1]]);
  const rows = [...take(test.x, 40), ...take(ood.x, 10), ...take(grid.x, 10, 997)];
  return { flat: Float32Array.from(rows.flat()), rows, n: rows.length };
}

/**
 * The graph's own outputs from a bare onnxruntime-node session (no runtime code in between), so
 * tests can check what the runtime adds: chunking, noise, softmax and mean-field. That the graph
 * itself matches the float64 reference is @sngp/export's test.
 */
export async function rawOutputs(
  method: Method,
  features: Float32Array,
  n: number,
  noise?: { data: Float32Array; dims: readonly number[] },
): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
  const session = await ort.InferenceSession.create(modelPath(method));
  try {
    const feeds: Record<string, ort.Tensor> = { features: new ort.Tensor('float32', features, [n, features.length / n]) };
    if (noise) feeds.dropout_noise = new ort.Tensor('float32', noise.data, noise.dims);
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { data: t.data as Float32Array, dims: t.dims }]));
  } finally {
    await session.release();
  }
}

/** Mean over the first axis of softmax(logits [S, N, K]), in float64. */
export function meanSoftmaxF64(logits: Float32Array | Float64Array, s: number, k: number): Float64Array {
  const n = logits.length / (s * k);
  const out = new Float64Array(n * k);
  for (let t = 0; t < s; t++)
    for (let i = 0; i < n; i++) {
      const row = logits.subarray((t * n + i) * k, (t * n + i + 1) * k);
      const mx = Math.max(...row);
      const e = Array.from(row, (v) => Math.exp(v - mx));
      const z = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < k; j++) out[i * k + j] += e[j] / z / s;
    }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
