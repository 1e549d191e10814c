/**
 * Model tensors + run description -> the checkpoint contract of @sngp/core, in memory. Platform
 * neutral (Node and browsers); writing it to disk is checkpoint-writer.ts.
 */
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
import pkg from '../../package.json';
import type { TrainingData } from './data.js';
import type { ResolvedOptions } from '../options.js';
import type { EarlyStopResult } from '../fitting/trainer.js';

/** The version of @sngp/train, recorded in every checkpoint. */
export const TRAIN_VERSION: string = pkg.version;

/** The host's runtime version: Node's, or none in a browser (where `process` does not exist). */
function hostVersions(): Record<string, string> {
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  return node ? { node } : {};
}

/**
 * The checkpoint's hyper-parameters from the options and the data's shape.
 * @param opts - resolved options (width, depth, dropout, SNGP knobs, ensemble size, MC samples).
 * @param data - the prepared data (input width and class count).
 * @returns the hyper-parameters; an `auto` kernel scale is 1 here until the run resolves it.
 */
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
    // 'auto' is resolved once the model exists (fit.ts); 1 until then, and for methods without a GP.
    gpKernelScale: opts.gpKernelScale === 'auto' ? 1 : opts.gpKernelScale,
  };
}

/** What a run adds to the checkpoint beyond the options: resolved hyper-parameters, calibration. */
export interface CheckpointExtras {
  /** The hyper-parameters as trained (e.g. with the auto kernel scale resolved). */
  hyperParameters?: HyperParameters;
  /** The calibration fitted after training. */
  calibration?: CalibrationRecord | null;
  /** Where early stopping ended the run; null or absent when it was off. */
  earlyStopping?: EarlyStopResult | null;
}

/**
 * Assemble and validate the in-memory checkpoint of a trained model (config + named tensors).
 * @param opts - the run's resolved options (method, training settings, data name).
 * @param data - the data trained on (rows, classes, feature names, standardisation).
 * @param tensors - the model's tensors by checkpoint name.
 * @param metrics - final metrics by name (trainLoss, trainAccuracy, ...).
 * @param backend - the TensorFlow.js backend that trained it.
 * @param extras - resolved hyper-parameters and calibration, when the run has them.
 * @returns the checkpoint, checked against the core contract.
 * @throws SngpError if the config or the tensors do not satisfy the checkpoint contract (a bug here).
 */
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
      ...(opts.recipe
        ? {
            recipe: {
              rule: opts.recipe.rule,
              reasons: opts.recipe.reasons,
              earlyStopping: extras.earlyStopping ?? null,
            },
          }
        : {}),
    },
    classes: data.classes,
    featureNames: data.featureNames,
    standardization: data.standardization,
    metrics,
    versions: { '@sngp/train': TRAIN_VERSION, '@tensorflow/tfjs-core': tf.version_core, ...hostVersions() },
    backend,
    createdAt: new Date().toISOString(),
    ...(extras.calibration ? { calibration: extras.calibration } : {}),
    // Recorded only when the data needed it (plain numeric CSVs are unchanged)
    ...(data.preprocessing ? { preprocessing: data.preprocessing } : {}),
  });
  validateCheckpointTensors(config, tensors);
  return { config, tensors };
}

