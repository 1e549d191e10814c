/** The whole run: validate, load data, build the model, train, finalise, evaluate, write. */
import { type Checkpoint, type Dataset, type HyperParameters, type Method, type Rng, SngpError, accuracy, formatBytes } from '@sngp/core';
import { type BackendName, type BackendPreference, initBackend } from './backend.js';
import { buildCheckpoint, checkCheckpointOutput, hyperParameters, saveCheckpoint } from './checkpoint-writer.js';
import { type DataSummary, formatDataSummary, loadData, prepareTrainingData, summarizeData, validateAgainstData } from './data.js';
import { DeterministicClassifier } from './deterministic.js';
import { DeepEnsemble } from './ensemble.js';
import type { TrainableModel } from './model.js';
import { type TrainOptions, resolveOptions } from './options.js';
import { rngStreams } from './rng-streams.js';
import { SngpClassifier } from './sngp.js';
import { type EpochStats, trainLoop } from './trainer.js';

export interface TrainHooks {
  /** Backend to use (default auto: tfjs-node, else wasm, else cpu). */
  backend?: BackendPreference;
  /** Called while a data file is read: bytes so far and the file's size. */
  onLoad?: (bytesRead: number, bytesTotal: number) => void;
  /** Called once the data is validated and the backend is up, before the first step. */
  onStart?: (info: { backend: BackendName; method: Method; trainRows: number; stepsPerEpoch: number; epochs: number }) => void;
  onEpoch?: (stats: EpochStats) => void;
  /** SNGP: progress of the precision pass over the training data after the last epoch. */
  onPosterior?: (rowsDone: number, rowsTotal: number) => void;
}

export interface TrainSummary {
  method: Method;
  backend: BackendName;
  out: string | null;
  epochs: number;
  steps: number;
  trainRows: number;
  validationRows: number;
  seconds: number;
  msPerStep: number;
  epochsPerSecond: number;
  metrics: Record<string, number>;
}

export function createModel(method: Method, hp: HyperParameters, rng: Rng): TrainableModel {
  switch (method) {
    case 'deterministic':
    case 'mc-dropout':
      return new DeterministicClassifier(method, hp, rng);
    case 'sngp':
      return new SngpClassifier(hp, rng);
    case 'ensemble':
      return new DeepEnsemble(hp, rng);
  }
}

function evalAccuracy(model: TrainableModel, ds: Dataset, k: number, rng: Rng): number {
  return accuracy(model.predictProbs(ds.x, ds.n, rng), ds.y!, k);
}

/**
 * Train one model. All input is validated before training starts; the checkpoint (when `out` is
 * given) is written atomically at the end, so a failure never clobbers an existing one.
 */
export async function trainModel(
  options: TrainOptions,
  hooks: TrainHooks = {},
): Promise<{ checkpoint: Checkpoint; summary: TrainSummary }> {
  const opts = resolveOptions(options);
  if (opts.dryRun) throw new SngpError('dryRun is set: call dryRun(options) for the data summary, or unset it to train');
  checkCheckpointOutput(opts, options.force); // before any data is loaded: a refused --out fails in a second
  const rngs = rngStreams(opts.seed);
  const data = prepareTrainingData(opts, await loadData(opts, hooks.onLoad), rngs.split);
  validateAgainstData(opts, data);
  const hp = hyperParameters(opts, data);

  const backend = await initBackend(hooks.backend ?? 'auto');
  const stepsPerEpoch = Math.ceil(data.train.n / opts.batchSize);
  hooks.onStart?.({ backend, method: opts.method, trainRows: data.train.n, stepsPerEpoch, epochs: opts.epochs });

  const model = createModel(opts.method, hp, rngs.init);
  try {
    const shuffle = Array.from({ length: model.members }, () => rngs.shuffle.fork());
    const loop = trainLoop(
      model,
      data.train,
      hp.numClasses,
      { epochs: opts.epochs, batchSize: opts.batchSize, learningRate: opts.learningRate },
      { shuffle, dropout: rngs.dropout },
      hooks.onEpoch,
    );
    model.finalize(data.train, hooks.onPosterior);

    const k = hp.numClasses;
    const metrics: Record<string, number> = {
      trainLoss: loop.last.loss,
      trainAccuracy: evalAccuracy(model, data.train, k, rngs.evaluation),
    };
    if (data.validation) metrics.validationAccuracy = evalAccuracy(model, data.validation, k, rngs.evaluation);
    if (data.test) metrics.testAccuracy = evalAccuracy(model, data.test, k, rngs.evaluation);

    const checkpoint = buildCheckpoint(opts, data, model.tensors(), metrics, backend);
    if (opts.out) saveCheckpoint(opts.out, checkpoint, options.force);
    const summary: TrainSummary = {
      method: opts.method,
      backend,
      out: opts.out,
      epochs: opts.epochs,
      steps: loop.steps,
      trainRows: data.train.n,
      validationRows: data.validation?.n ?? 0,
      seconds: loop.seconds,
      msPerStep: loop.msPerStep,
      epochsPerSecond: 1000 / (loop.msPerStep * stepsPerEpoch),
      metrics,
    };
    return { checkpoint, summary };
  } finally {
    model.dispose();
  }
}

/** What `dryRun` reports: the data summary and what a run with these options would do. */
export interface DryRunSummary {
  dryRun: true;
  method: Method;
  data: DataSummary;
  epochs: number;
  batchSize: number;
  stepsPerEpoch: number;
  /** The checkpoint directory a run would write (checked, not written), or null. */
  out: string | null;
  /** Peak resident memory of this process so far, bytes (loading included). */
  peakRssBytes: number;
}

/**
 * Load and validate the data and options exactly as `trainModel` would, and stop before building
 * a model: nothing is trained and nothing is written.
 */
export async function dryRun(options: TrainOptions, hooks: Pick<TrainHooks, 'onLoad'> = {}): Promise<DryRunSummary> {
  const opts = resolveOptions(options);
  checkCheckpointOutput(opts, options.force);
  const data = summarizeData(opts, await loadData(opts, hooks.onLoad));
  return {
    dryRun: true,
    method: opts.method,
    data,
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    stepsPerEpoch: Math.ceil(data.trainRows / opts.batchSize),
    out: opts.out,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

/** The dry-run summary as lines for a terminal. */
export function formatDryRun(s: DryRunSummary): string {
  return [
    'sngp-train --dry-run: data and options are valid; nothing trained, nothing written',
    formatDataSummary(s.data),
    `run       ${s.method}, ${s.epochs} epochs x ${s.stepsPerEpoch} steps of batch ${s.batchSize}${s.out ? `, checkpoint ${s.out}` : ''}`,
    `peak RSS  ${formatBytes(s.peakRssBytes)} (this process, loading included)`,
  ].join('\n');
}
