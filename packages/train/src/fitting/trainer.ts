/**
 * The training loop: epochs of shuffled mini-batches (one independent shuffle per member), Adam,
 * sparse softmax cross-entropy. Loss and accuracy are read back once per epoch, not per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset, Rng } from '@sngp/core';
import type { Batch, TrainableModel } from '../models/model.js';

/**
 * Statistics of one finished training epoch, as passed to `TrainHooks.onEpoch` (progress bars,
 * the training-health guard). Read back once per epoch, so they cost no extra sync per step.
 */
export interface EpochStats {
  /** The epoch just finished, 1-based. */
  epoch: number;
  /** Epochs of the run in all. */
  epochs: number;
  /** Mean training loss over the epoch's batches (dropout on). */
  loss: number;
  /** Running training accuracy over the epoch's batches (dropout on). */
  accuracy: number;
  /** Optimizer steps in this epoch: ceil(training rows / batch size). */
  steps: number;
  /** Wall time of this epoch divided by its steps, milliseconds (the first epoch includes warm-up). */
  msPerStep: number;
}

export interface LoopOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
}

export interface LoopResult {
  last: EpochStats;
  steps: number;
  seconds: number;
  /** Mean ms per step, excluding the first epoch (warm-up) when there is more than one. */
  msPerStep: number;
}

/** Gather rows `idx` of a data set into a batch of tensors. */
function makeBatch(ds: Dataset, idx: Int32Array, k: number): Batch {
  const { d } = ds;
  const x = new Float32Array(idx.length * d);
  const y = new Int32Array(idx.length);
  const oneHot = new Float32Array(idx.length * k);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    for (let j = 0; j < d; j++) x[i * d + j] = ds.x[r * d + j];
    y[i] = ds.y![r];
    oneHot[i * k + y[i]] = 1;
  }
  return {
    x: tf.tensor2d(x, [idx.length, d]),
    y: tf.tensor1d(y, 'int32'),
    oneHot: tf.tensor2d(oneHot, [idx.length, k]),
  };
}

export function trainLoop(
  model: TrainableModel,
  train: Dataset,
  numClasses: number,
  opts: LoopOptions,
  rngs: { shuffle: Rng[]; dropout: Rng },
  onEpoch?: (s: EpochStats) => void,
): LoopResult {
  if (!train.y) throw new Error('training data has no labels');
  const optimizer = tf.train.adam(opts.learningRate);
  const n = train.n;
  const stepsPerEpoch = Math.ceil(n / opts.batchSize);
  const started = performance.now();
  let last: EpochStats | null = null;
  let laterMs = 0;
  try {
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      const t0 = performance.now();
      const perms = rngs.shuffle.map((r) => r.permutation(n));
      const losses: tf.Tensor[] = [];
      const accs: tf.Tensor[] = [];
      const weights: number[] = [];
      for (let s = 0; s < stepsPerEpoch; s++) {
        const lo = s * opts.batchSize;
        const hi = Math.min(n, lo + opts.batchSize);
        const batches = perms.map((p) => makeBatch(train, p.subarray(lo, hi), numClasses));
        model.beforeStep();
        let acc: tf.Scalar | null = null;
        const cost = optimizer.minimize(
          () => {
            const r = model.loss(batches, rngs.dropout);
            acc = r.accuracy;
            return r.loss;
          },
          true,
          model.trainable,
        );
        losses.push(cost!);
        accs.push(acc!);
        weights.push(hi - lo);
        for (const b of batches) tf.dispose([b.x, b.y, b.oneHot]);
      }
      const lossValues = tf.tidy(() => tf.stack(losses).dataSync());
      const accValues = tf.tidy(() => tf.stack(accs).dataSync());
      tf.dispose([...losses, ...accs]);
      let loss = 0;
      let accuracy = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        // The ensemble's loss is a sum over members; report the per-member mean.
        loss += (weights[s] * lossValues[s]) / model.members;
        accuracy += weights[s] * accValues[s];
      }
      const ms = performance.now() - t0;
      if (epoch > 1) laterMs += ms;
      last = { epoch, epochs: opts.epochs, loss: loss / n, accuracy: accuracy / n, steps: stepsPerEpoch, msPerStep: ms / stepsPerEpoch };
      onEpoch?.(last);
    }
  } finally {
    optimizer.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  const msPerStep =
    opts.epochs > 1 ? laterMs / ((opts.epochs - 1) * stepsPerEpoch) : (seconds * 1000) / stepsPerEpoch;
  return { last: last!, steps: opts.epochs * stepsPerEpoch, seconds, msPerStep };
}
