/**
 * Merging an ensemble trained in parts (`--ensemble-members from:to`, one process per part so
 * several cores work) into the one checkpoint of the whole ensemble. Each part's members are
 * bit-identical to the same members trained together (see `ensemble.ts`), so the merge only
 * renumbers tensors; the ensemble's accuracies are not a function of the parts' accuracies, so
 * they are evaluated again on the data the caller gives.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type Checkpoint,
  type Dataset,
  type NamedTensor,
  SngpError,
  accuracy,
  meanSoftmax,
  parseCheckpointConfig,
  validateCheckpointTensors,
} from '@sngp/core';
import { initBackend } from '../backend/backend.js';
import { EVAL_CHUNK } from './model.js';
import { fitTemperature } from '../fitting/calibration.js';

/** What must agree between parts: everything but the member count, metrics and provenance. */
function identity(c: Checkpoint['config']): string {
  const { ensembleSize: _size, ...hp } = c.hyperParameters;
  return JSON.stringify([c.method, hp, c.training, c.classes, c.featureNames, c.standardization]);
}

/** Every member's logits [E, n, K] of the members `members.{m}.*` (dropout off). */
function memberLogits(ckpt: Checkpoint, x: Float32Array, n: number): Float32Array {
  const { hyperParameters: hp, standardization: s } = ckpt.config;
  const { inputDim: d, numLayers: l, numClasses: k, ensembleSize: e } = hp;
  const t = (name: string): NamedTensor => ckpt.tensors[name];
  const out = new Float32Array(e * n * k);
  for (let start = 0; start < n; start += EVAL_CHUNK) {
    const rows = Math.min(EVAL_CHUNK, n - start);
    const values = tf.tidy(() => {
      let xc: tf.Tensor2D = tf.tensor2d(x.subarray(start * d, (start + rows) * d), [rows, d]);
      if (s) xc = tf.div(tf.sub(xc, tf.tensor1d(s.mean)), tf.tensor1d(s.std));
      const logits: tf.Tensor2D[] = [];
      for (let m = 0; m < e; m++) {
        const dense = (name: string, h: tf.Tensor2D): tf.Tensor2D => {
          const w = t(`members.${m}.${name}.kernel`);
          const b = t(`members.${m}.${name}.bias`);
          return tf.add(tf.matMul(h, tf.tensor2d(w.data as Float32Array, w.shape as [number, number])), tf.tensor1d(b.data as Float32Array));
        };
        let h = dense('input', xc);
        for (let i = 0; i < l; i++) h = tf.add(h, tf.relu(dense(`blocks.${i}`, h)));
        logits.push(dense('output', h));
      }
      return logits.map((l) => l.dataSync() as Float32Array);
    });
    values.forEach((v, m) => out.set(v, (m * n + start) * k));
  }
  return out;
}

/**
 * Merge the checkpoints of an ensemble's parts, in member order, into the whole ensemble's
 * checkpoint: members renumbered 0..E-1, `ensembleSize` the sum, `trainLoss` the members' mean,
 * and each accuracy in `evaluation` measured on the merged ensemble (its mean softmax).
 * @example
 * ```ts
 * const parts = ['ckpt/part0', 'ckpt/part1'].map(readCheckpoint);
 * const { train, test } = twoMoons(MOONS_DATA_SEED);
 * writeCheckpoint('ckpt/ensemble', await mergeEnsembleParts(parts, { trainAccuracy: train, testAccuracy: test }));
 * ```
 * @param parts - the parts' checkpoints (`sngp-train --method ensemble --ensemble-members from:to`),
 *   ordered by their first member.
 * @param evaluation - metric name -> labelled data to measure the merged ensemble's accuracy on
 *   (raw features: a CSV checkpoint's standardisation is applied). Default: none.
 * @param calibration - labelled held-out rows (raw features) to fit the merged ensemble's
 *   temperature on, and their name for the record (e.g. "moons-validation"); default: none, and the
 *   parts' own calibrations (each of its members only) are dropped.
 * @returns the merged checkpoint (in memory; write it with `writeCheckpoint` of `@sngp/core/node`).
 * @throws SngpError if there are no parts, a part is not an ensemble, the parts differ in anything
 *   but their members (architecture, training options, data, classes), or an evaluation set has no
 *   labels or the wrong width.
 */
export async function mergeEnsembleParts(
  parts: Checkpoint[],
  evaluation: Record<string, Dataset> = {},
  calibration?: { rows: Dataset; name: string },
): Promise<Checkpoint> {
  if (parts.length === 0) throw new SngpError('mergeEnsembleParts: no parts given');
  const first = parts[0].config;
  parts.forEach((p, i) => {
    if (p.config.method !== 'ensemble') throw new SngpError(`ensemble part ${i} is a ${p.config.method} checkpoint, not an ensemble`);
    if (identity(p.config) !== identity(first))
      throw new SngpError(`ensemble part ${i} was trained with other options or data than part 0 (architecture, training, classes or standardisation differ): train every part with the same flags`);
  });
  const tensors: Record<string, NamedTensor> = {};
  let members = 0;
  let loss = 0;
  for (const p of parts) {
    const size = p.config.hyperParameters.ensembleSize;
    for (const [name, value] of Object.entries(p.tensors)) {
      const m = /^members\.(\d+)\.(.+)$/.exec(name);
      if (!m) throw new SngpError(`ensemble part tensor "${name}" is not a member tensor (members.<m>.<name>)`);
      tensors[`members.${members + Number(m[1])}.${m[2]}`] = value;
    }
    loss += size * (p.config.metrics.trainLoss ?? NaN);
    members += size;
  }
  const metrics: Record<string, number> = {};
  if (Number.isFinite(loss)) metrics.trainLoss = loss / members;
  // A part's calibration fits its own members only: dropped, and refitted below when rows are given.
  const { calibration: _partCalibration, ...firstConfig } = first;
  const config = parseCheckpointConfig({
    ...firstConfig,
    hyperParameters: { ...first.hyperParameters, ensembleSize: members },
    metrics,
    createdAt: new Date().toISOString(),
  });
  validateCheckpointTensors(config, tensors);
  const merged: Checkpoint = { config, tensors };
  const entries = Object.entries(evaluation);
  if (entries.length > 0 || calibration) await initBackend('auto');
  const { numClasses: k, inputDim } = config.hyperParameters;
  const check = (name: string, ds: Dataset): void => {
    if (!ds.y) throw new SngpError(`mergeEnsembleParts: evaluation set "${name}" has no labels`);
    if (ds.d !== inputDim) throw new SngpError(`mergeEnsembleParts: evaluation set "${name}" has ${ds.d} features, the ensemble takes ${inputDim}`);
  };
  for (const [name, ds] of entries) {
    check(name, ds);
    merged.config.metrics[name] = accuracy(meanSoftmax(memberLogits(merged, ds.x, ds.n), members, k), ds.y!, k);
  }
  if (calibration) {
    check(calibration.name, calibration.rows);
    const held = calibration.rows;
    merged.config.calibration = { ...fitTemperature(memberLogits(merged, held.x, held.n), members, held.y!, k), data: calibration.name, rows: held.n };
  }
  return merged;
}
