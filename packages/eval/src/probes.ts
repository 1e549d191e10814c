/**
 * Probe points of the main job: a few fixed spots (on each moon, between them, on the OOD cluster,
 * far corners) where the Node runtime's answers are recorded, so the web demo can check that the
 * browser computes the same numbers.
 */
import type { EvalModel } from './types.js';

export const PROBE_POINTS: readonly (readonly [number, number])[] = [
  [-1.0, 0.6],
  [0.0, 1.2],
  [1.0, 0.5],
  [1.0, -0.7],
  [2.0, 0.1],
  [0.5, 0.25],
  [2.5, -1.75],
  [-3.5, -2.5],
  [3.5, -2.5],
  [-3.5, 2.5],
  [3.5, 2.5],
  [0.0, -2.0],
];

export interface ProbeRecord {
  method: string;
  file: string;
  provider: string;
  probs: number[][];
  uncertainty: number[];
  logits?: number[][];
  variance?: number[];
}

const rows = (a: Float32Array, k: number) => Array.from({ length: a.length / k }, (_, i) => Array.from(a.subarray(i * k, (i + 1) * k)));

export async function probeModel(model: EvalModel, file: string): Promise<ProbeRecord> {
  const x = new Float32Array(PROBE_POINTS.flat());
  const p = await model.predict(x, { seed: 0 });
  const k = p.numClasses;
  const rec: ProbeRecord = { method: model.info.method, file, provider: model.info.provider, probs: rows(p.probs, k), uncertainty: Array.from(p.uncertainty) };
  if (p.logits) rec.logits = rows(p.logits, k);
  if (p.variance) rec.variance = Array.from(p.variance);
  return rec;
}
