/** The whole run: validate, load data, build the model, train, finalise, evaluate, write. */
import {
  type CalibrationRecord,
  type Checkpoint,
  type Dataset,
  type HyperParameters,
  type Method,
  type Rng,
  SngpError,
  accuracy,
  formatBytes,
  moonsValidation,
  precisionCholesky,
  subset,
  varianceFromCholesky,
} from '@sngp/core';
import { fitCalibration } from './calibration.js';
import { autoKernelScale, sampleRows } from './kernel-scale.js';
import { TrainingHealthGuard, chanceAccuracy } from './training-health.js';
import { type BackendName, type BackendPreference, initBackend } from './backend.js';
import { buildCheckpoint, checkCheckpointOutput, hyperParameters, saveCheckpoint } from './checkpoint-writer.js';
import { type DataSummary, MOONS_DATA_SEED, type TrainingData, formatDataSummary, loadData, prepareTrainingData, summarizeData, validateAgainstData } from './data.js';
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
  onStart?: (info: {
    backend: BackendName;
    method: Method;
    trainRows: number;
    stepsPerEpoch: number;
    epochs: number;
    /** SNGP: the GP input options in use (kernel scale as chosen by the auto rule, if auto). */
    gp?: GpSetup;
  }) => void;
  /** A training-health warning (one line; e.g. SNGP stuck at chance), once per run. */
  onWarning?: (line: string) => void;
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
  /** SNGP: the GP input options in use. */
  gp?: GpSetup;
  /** SNGP: the calibration fitted on held-out rows, if any. */
  calibration?: CalibrationRecord;
  /** Training-health warnings raised during the run (empty when healthy). */
  warnings: string[];
}

/** SNGP's GP input set-up for a run. */
export interface GpSetup {
  /** Layer-normalisation of the hidden features before the random features. */
  normalizeInput: boolean;
  /** The kernel scale used. */
  kernelScale: number;
  /** Whether the auto rule chose it. */
  auto: boolean;
  /** Auto: median pairwise distance of the sampled GP inputs at initialisation. */
  medianDistance?: number;
  /** Auto: rows sampled. */
  rows?: number;
}

/** Choose (auto) or apply the kernel scale of a fresh SNGP model, from its training data. */
function setUpGp(model: SngpClassifier, kernelScale: number | 'auto', train: Dataset): GpSetup {
  const normalizeInput = model.gp.inputNorm !== null;
  if (kernelScale !== 'auto') {
    model.gp.kernelScale = kernelScale;
    return { normalizeInput, kernelScale, auto: false };
  }
  const rows = subset(train, sampleRows(train.n));
  const r = autoKernelScale(model.gpInputUnscaled(rows.x, rows.n), rows.n, model.hp.hiddenDim);
  model.gp.kernelScale = r.scale;
  return { normalizeInput, kernelScale: r.scale, auto: true, medianDistance: r.medianDistance, rows: r.rows };
}

/**
 * Fit SNGP's mean-field factor and temperature on held-out rows: the validation split, or for two
 * moons a separate draw (never the test set). Null when there is nothing held out.
 */
function calibrate(model: SngpClassifier, data: TrainingData, opts: { data: string }): CalibrationRecord | null {
  const held = data.validation ?? (opts.data === 'moons' ? moonsValidation(MOONS_DATA_SEED) : null);
  if (!held || !held.y || held.n < 2) return null;
  const { numRandomFeatures: m, ridge, numClasses: k, meanFieldFactor } = model.hp;
  const { logits, phi } = model.logitsAndFeatures(held.x, held.n);
  const { l } = precisionCholesky(model.precisionMatrix, m, ridge, 'SNGP precision');
  const variance = varianceFromCholesky(phi, held.n, l, m, ridge);
  const fit = fitCalibration(logits, variance, held.y, k, meanFieldFactor);
  return { ...fit, data: data.validation ? 'validation' : 'moons-validation', rows: held.n };
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

  const model = createModel(opts.method, hp, rngs.init);
  try {
    const gp = model instanceof SngpClassifier ? setUpGp(model, opts.gpKernelScale, data.train) : undefined;
    if (gp) hp.gpKernelScale = gp.kernelScale;
    hooks.onStart?.({ backend, method: opts.method, trainRows: data.train.n, stepsPerEpoch, epochs: opts.epochs, ...(gp ? { gp } : {}) });
    const warnings: string[] = [];
    const guard = gp ? new TrainingHealthGuard(chanceAccuracy(data.train.y!, hp.numClasses), opts.epochs) : null;
    const onEpoch = (s: EpochStats): void => {
      hooks.onEpoch?.(s);
      const w = guard?.observe(s);
      if (w) {
        warnings.push(w);
        hooks.onWarning?.(w);
      }
    };
    const shuffle = Array.from({ length: model.members }, () => rngs.shuffle.fork());
    const loop = trainLoop(
      model,
      data.train,
      hp.numClasses,
      { epochs: opts.epochs, batchSize: opts.batchSize, learningRate: opts.learningRate },
      { shuffle, dropout: rngs.dropout },
      onEpoch,
    );
    model.finalize(data.train, hooks.onPosterior);
    const calibration = model instanceof SngpClassifier && opts.calibrate ? calibrate(model, data, opts) : null;

    const k = hp.numClasses;
    const metrics: Record<string, number> = {
      trainLoss: loop.last.loss,
      trainAccuracy: evalAccuracy(model, data.train, k, rngs.evaluation),
    };
    if (data.validation) metrics.validationAccuracy = evalAccuracy(model, data.validation, k, rngs.evaluation);
    if (data.test) metrics.testAccuracy = evalAccuracy(model, data.test, k, rngs.evaluation);

    const checkpoint = buildCheckpoint(opts, data, model.tensors(), metrics, backend, { hyperParameters: hp, calibration });
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
      ...(gp ? { gp } : {}),
      ...(calibration ? { calibration } : {}),
      warnings,
    };
    return { checkpoint, summary };
  } finally {
    model.dispose();
  }
}

/** What `dryRun` reports: the data summary and what a run with these options would do. */
export interface DryRunSummary {
  dryRun: true;
  /** The method a run would train. */
  method: Method;
  /** Rows, features, classes, split sizes, bytes in memory, load time. */
  data: DataSummary;
  epochs: number;
  batchSize: number;
  /** Steps per epoch on the training split. */
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
