import { join } from 'node:path';
import { twoMoons, type Method } from '@sngp/core';
import { readCheckpoint } from '@sngp/core/node';
import { inject } from 'vitest';
import { referenceForward, type ReferenceOutput } from '../../export/dist/index.js';

export const METHODS: Method[] = ['deterministic', 'sngp', 'mc-dropout', 'ensemble'];

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

/** The export package's float64 forward pass of the checkpoint behind `method`.onnx. */
export function reference(method: Method, features: Float32Array, n: number, noise?: Float32Array): ReferenceOutput {
  const ckpt = readCheckpoint(join(inject('modelsDir'), `ckpt-${method}`));
  return referenceForward(ckpt, features, n, noise ? { noise } : {});
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
