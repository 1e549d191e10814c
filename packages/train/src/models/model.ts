/**
 * What the trainer needs from a model, whatever the method: trainable variables, a loss over one
 * step's batches (one batch per independently shuffled member), hooks around a step and after
 * training, evaluation, and the checkpoint tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset, Method, NamedTensor, Rng } from '@sngp/core';

export interface Batch {
  x: tf.Tensor2D;
  /** int32 class indices [B]. */
  y: tf.Tensor1D;
  oneHot: tf.Tensor2D;
}

export interface StepResult {
  loss: tf.Scalar;
  /** Fraction of the step's rows predicted correctly (averaged over members); kept, caller disposes. */
  accuracy: tf.Scalar;
}

export interface TrainableModel {
  readonly method: Method;
  /** How many independently shuffled batch streams a step consumes (ensemble size, else 1). */
  readonly members: number;
  /**
   * Batch streams a step consumes when it differs from `members`: an ensemble trained in parts
   * gets a batch for every member of the whole ensemble (each member keeps its own shuffle stream)
   * and uses its own members' batches.
   */
  readonly batchStreams?: number;
  readonly trainable: tf.Variable[];
  /** Runs before each optimizer step (spectral normalisation). */
  beforeStep(): void;
  /** The training loss of one step, with dropout on; called inside optimizer.minimize. */
  loss(batches: Batch[], dropoutRng: Rng): StepResult;
  /** Predictive probabilities [n, K] for row-major features (dropout off, or MC samples). */
  predictProbs(x: Float32Array, n: number, rng: Rng): Float32Array;
  /**
   * The logits the predictive distribution averages over, [S, n, K]: S = 1 for deterministic and
   * SNGP, the MC samples (masks from `rng`) or the members: what temperature calibration fits on.
   */
  sampleLogits(x: Float32Array, n: number, rng: Rng): { samples: number; logits: Float32Array };
  /**
   * Logits [S, n, K] that early stopping scores on the validation split after each epoch, dropout
   * off: S = 1, or the ensemble's members (MC dropout: its network without dropout, a tenth of the
   * cost of T samples).
   */
  validationLogits(x: Float32Array, n: number): { samples: number; logits: Float32Array };
  /**
   * State beside the trainable variables that training changes (SNGP: the power-iteration vectors
   * u), as live arrays: early stopping copies them with the best epoch's weights and writes them back.
   */
  stateVectors?(): Float64Array[];
  /** Runs once after the last step (final spectral normalisation, precision pass with progress). */
  finalize(train: Dataset, onProgress?: (rowsDone: number, rowsTotal: number) => void): void;
  tensors(): Record<string, NamedTensor>;
  dispose(): void;
}

/** Mean sparse softmax cross-entropy from logits. */
export function crossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

/** Fraction of rows whose argmax equals the label. */
export function batchAccuracy(logits: tf.Tensor2D, y: tf.Tensor1D): tf.Scalar {
  return tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32'));
}

/** Rows per forward pass at evaluation (bounds memory for large CSVs). */
export const EVAL_CHUNK = 4096;

/**
 * Run `f` over row chunks of `x` and concatenate its [rows, k] outputs. The values are read after
 * the tidy, not returned from it: tidy walks a returned typed array index by index, which on
 * [4096, 1024] random features cost more than the network pass.
 */
export function mapChunks(x: Float32Array, n: number, d: number, k: number, f: (xc: tf.Tensor2D) => tf.Tensor2D): Float32Array {
  const out = new Float32Array(n * k);
  for (let start = 0; start < n; start += EVAL_CHUNK) {
    const rows = Math.min(EVAL_CHUNK, n - start);
    const t = tf.tidy(() => f(tf.tensor2d(x.subarray(start * d, (start + rows) * d), [rows, d])));
    out.set(t.dataSync() as Float32Array, start * k);
    t.dispose();
  }
  return out;
}
