import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import {
  METHODS,
  calibrateConformal,
  chooseAbstainRule,
  moonsDecisionCalibration,
  readOnnxHeader,
  replaceOnnxMetadata,
  rowUniforms,
  twoMoons,
  type AbstainRule,
  type ConformalRule,
  type Dataset,
  type Method,
} from '@sngp/core';
import * as ort from 'onnxruntime-node';
import { inject } from 'vitest';

export { METHODS };

export function modelPath(method: Method): string {
  return join(inject('modelsDir'), `${method}.onnx`);
}

/** A fixture model with decision rules in its card, and what went into them. */
export interface CalibratedModel {
  /** The .onnx file with `sngp.conformal` and `sngp.abstain` added to its card. */
  bytes: Uint8Array;
  /** The original file. */
  original: Uint8Array;
  /** Its new metadata_props. */
  props: Record<string, string>;
  conformal: ConformalRule;
  abstain: AbstainRule;
  /** The labelled calibration rows. */
  calibration: { x: Float32Array; y: Int32Array };
}

/**
 * Calibrate both decision rules of a fixture model with the model itself (the Node runtime, cpu)
 * on held-out labelled rows, by default the two-moons draw kept for decision rules
 * (`moonsDecisionCalibration`, which nothing else uses), and write them into a copy of its card
 * with core's replaceOnnxMetadata (replacing the rules the main job wrote): what sngp-calibrate
 * does, with the core functions.
 * @param method - which fixture model.
 * @param options - conformal score, randomized APS, alpha (default 0.1), the calibration rows.
 * @returns the new file and its rules.
 */
export async function calibratedModel(
  method: Method,
  options: { score?: 'lac' | 'aps'; randomized?: boolean; alpha?: number; calibration?: Dataset } = {},
): Promise<CalibratedModel> {
  // Imported here: fixtures.ts is also imported by tests that load no model.
  const { loadModel } = await import('../src/node.js');
  const original = new Uint8Array(readFileSync(modelPath(method)));
  const plain = await loadModel(original, { device: 'cpu' });
  const data = options.calibration ?? moonsDecisionCalibration().inDomain;
  const calibration = { x: data.x, y: data.y! };
  const source = options.calibration ? 'test draw' : 'moons decision-calibration draw';
  try {
    const p = await plain.predict(calibration.x);
    const k = plain.info.classes.length;
    const score = options.score ?? 'lac';
    const conformal = calibrateConformal(p.logProbs, k, calibration.y, {
      alpha: options.alpha ?? 0.1,
      score,
      source,
      ...(options.randomized ? { randomized: true, uniforms: rowUniforms(calibration.x, calibration.x.length / calibration.y.length) } : {}),
    });
    const correct = Uint8Array.from(p.predicted, (c, i) => (c === calibration.y[i] ? 1 : 0));
    const abstain = chooseAbstainRule(p.scores.logNonMax, correct, { kind: 'keep', value: 0.95 }, { score: 'logNonMax', source });
    const props = { ...readOnnxHeader(original, method).metadata, 'sngp.conformal': JSON.stringify(conformal), 'sngp.abstain': JSON.stringify(abstain) };
    return { bytes: replaceOnnxMetadata(original, props, method), original, props, conformal, abstain, calibration };
  } finally {
    await plain.dispose();
  }
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
