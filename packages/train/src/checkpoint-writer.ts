/** Model tensors + run description -> the checkpoint contract of @sngp/core (written atomically). */
import * as tf from '@tensorflow/tfjs-core';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  type CalibrationRecord,
  type Checkpoint,
  type HyperParameters,
  type NamedTensor,
  parseCheckpointConfig,
  validateCheckpointTensors,
} from '@sngp/core';
import { CHECKPOINT_OUTPUT, type OutputPlan, checkOutputPath, writeCheckpoint } from '@sngp/core/node';
import pkg from '../package.json';
import type { TrainingData } from './data.js';
import type { ResolvedOptions } from './options.js';

export const TRAIN_VERSION: string = pkg.version;

export function hyperParameters(opts: ResolvedOptions, data: TrainingData): HyperParameters {
  return {
    inputDim: data.train.d,
    numClasses: data.classes.length,
    hiddenDim: opts.width,
    numLayers: opts.depth,
    dropoutRate: opts.dropout,
    specNormBound: opts.specNormBound,
    numRandomFeatures: opts.randomFeatures,
    ridge: opts.ridge,
    meanFieldFactor: opts.meanFieldFactor,
    ensembleSize: opts.ensembleSize,
    mcSamples: opts.mcSamples,
    gpNormalizeInput: opts.gpNormalizeInput,
    // 'auto' is resolved once the model exists (train-model.ts); 1 until then, and for methods without a GP.
    gpKernelScale: opts.gpKernelScale === 'auto' ? 1 : opts.gpKernelScale,
  };
}

/** What a run adds to the checkpoint beyond the options: resolved hyper-parameters, calibration. */
export interface CheckpointExtras {
  /** The hyper-parameters as trained (e.g. with the auto kernel scale resolved). */
  hyperParameters?: HyperParameters;
  /** SNGP: the calibration fitted after training. */
  calibration?: CalibrationRecord | null;
}

export function buildCheckpoint(
  opts: ResolvedOptions,
  data: TrainingData,
  tensors: Record<string, NamedTensor>,
  metrics: Record<string, number>,
  backend: string,
  extras: CheckpointExtras = {},
): Checkpoint {
  const config = parseCheckpointConfig({
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    method: opts.method,
    hyperParameters: extras.hyperParameters ?? hyperParameters(opts, data),
    training: {
      data: opts.data,
      labelColumn: opts.labelColumn,
      epochs: opts.epochs,
      batchSize: opts.batchSize,
      learningRate: opts.learningRate,
      seed: opts.seed,
      trainRows: data.train.n,
      validationRows: data.validation?.n ?? 0,
    },
    classes: data.classes,
    featureNames: data.featureNames,
    standardization: data.standardization,
    metrics,
    versions: { '@sngp/train': TRAIN_VERSION, '@tensorflow/tfjs-core': tf.version_core, node: process.versions.node },
    backend,
    createdAt: new Date().toISOString(),
    ...(extras.calibration ? { calibration: extras.calibration } : {}),
  });
  validateCheckpointTensors(config, tensors);
  return { config, tensors };
}

/**
 * Check the checkpoint directory `opts.out` before any data is loaded: it must be absent, empty or
 * a checkpoint of ours (or `force`), not a protected path nor the CSV being trained on, and its
 * parent must be writable. Throws a one-line SngpError otherwise.
 */
export function checkCheckpointOutput(opts: ResolvedOptions, force = false): OutputPlan | null {
  if (!opts.out) return null;
  return checkOutputPath(opts.out, CHECKPOINT_OUTPUT, { force, inputs: opts.data === 'moons' ? [] : [opts.data, ...(opts.labels ? [opts.labels] : [])] });
}

/** Write the checkpoint atomically, replacing only a checkpoint of ours unless `force`. */
export function saveCheckpoint(dir: string, ckpt: Checkpoint, force = false): void {
  writeCheckpoint(dir, ckpt, { force });
}
