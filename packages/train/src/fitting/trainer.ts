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
  /** With early stopping: the validation NLL after this epoch (dropout off). */
  validationNll?: number;
}

export interface LoopOptions {
  /** The epoch budget: early stopping may end the loop sooner. */
  epochs: number;
  batchSize: number;
  learningRate: number;
  /**
   * Early stopping: after each epoch `score()` gives the validation NLL; the loop stops after
   * `patience` epochs without an improvement of more than {@link MIN_NLL_IMPROVEMENT} and the
   * best epoch's weights are written back. Absent: every epoch of the budget runs.
   */
  earlyStopping?: { patience: number; score: () => number };
}

/** Where early stopping ended a loop. */
export interface EarlyStopResult {
  /** Patience, epochs. */
  patience: number;
  /** The epoch whose weights the model holds at the end (1-based). */
  bestEpoch: number;
  /** Its validation NLL. */
  bestNll: number;
  /** Epochs trained. */
  epochsRun: number;
}

/** A validation NLL counts as better only when lower by more than this (nats per row). */
export const MIN_NLL_IMPROVEMENT = 1e-4;

/**
 * The model's weights (and extra state) at one epoch, kept to be written back: the best epoch's
 * under early stopping.
 */
class Snapshot {
  private readonly values: tf.Tensor[];
  private readonly vectors: Float64Array[];

  constructor(private readonly model: TrainableModel) {
    this.values = model.trainable.map((v) => tf.keep(v.clone()));
    this.vectors = (model.stateVectors?.() ?? []).map((u) => u.slice());
  }

  restore(): void {
    this.model.trainable.forEach((v, i) => v.assign(this.values[i]));
    const live = this.model.stateVectors?.() ?? [];
    live.forEach((u, i) => u.set(this.vectors[i]));
  }

  dispose(): void {
    tf.dispose(this.values);
  }
}

export interface LoopResult {
  last: EpochStats;
  /** Early stopping's outcome; null when it was off. */
  earlyStopping: EarlyStopResult | null;
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
  let epochsRun = 0;
  const early = opts.earlyStopping;
  // Typed by the cast, not narrowed to null: it is assigned inside the loop below.
  let best = null as { epoch: number; nll: number; snapshot: Snapshot } | null;
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
      epochsRun = epoch;
      last = { epoch, epochs: opts.epochs, loss: loss / n, accuracy: accuracy / n, steps: stepsPerEpoch, msPerStep: ms / stepsPerEpoch };
      if (early) {
        const nll = early.score();
        last.validationNll = nll;
        if (!best || nll < best.nll - MIN_NLL_IMPROVEMENT) {
          best?.snapshot.dispose();
          best = { epoch, nll, snapshot: new Snapshot(model) };
        }
      }
      onEpoch?.(last);
      if (early && best && epoch - best.epoch >= early.patience) break;
    }
    // Only here, after the loop: a failed run must not half-restore.
    if (best && best.epoch < epochsRun) best.snapshot.restore();
  } finally {
    optimizer.dispose();
    best?.snapshot.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  const msPerStep = epochsRun > 1 ? laterMs / ((epochsRun - 1) * stepsPerEpoch) : (seconds * 1000) / stepsPerEpoch;
  const earlyStopping = early && best ? { patience: early.patience, bestEpoch: best.epoch, bestNll: best.nll, epochsRun } : null;
  return { last: last!, earlyStopping, steps: epochsRun * stepsPerEpoch, seconds, msPerStep };
}
