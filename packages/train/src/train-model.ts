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
import { MEDIAN_DIVISOR, MEDIAN_DIVISOR_NORMALIZED, autoKernelScale, sampleRows } from './kernel-scale.js';
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

/**
 * How a run is hosted, beside its {@link TrainOptions}: the backend, and callbacks for progress
 * display (the `sngp-train` CLI draws its bars with them). Every field is optional; a callback
 * that is absent is simply not called. Callbacks run synchronously inside the run: keep them cheap.
 */
export interface TrainHooks {
  /** Backend to use (default auto: tfjs-node, else wasm, else cpu; see {@link initBackend}). */
  backend?: BackendPreference;
  /**
   * Called while a data file is read (CSV, IDX), about once per MB; never for moons.
   * @param bytesRead - bytes of the file read so far.
   * @param bytesTotal - the file's size in bytes (on disk; compressed for .gz, the images file for IDX).
   */
  onLoad?: (bytesRead: number, bytesTotal: number) => void;
  /**
   * Called once the data is loaded and validated, the backend is up and the model is built, before
   * the first step.
   * @param info - what the run is about to do.
   */
  onStart?: (info: {
    /** The backend now active. */
    backend: BackendName;
    /** The method being trained. */
    method: Method;
    /** Rows of the training split. */
    trainRows: number;
    /** Optimizer steps per epoch: ceil(trainRows / batch size). */
    stepsPerEpoch: number;
    /** Epochs to train. */
    epochs: number;
    /** SNGP: the GP input options in use (kernel scale as chosen by the auto rule, if auto). */
    gp?: GpSetup;
  }) => void;
  /**
   * Called with a training-health warning (e.g. SNGP stuck at chance at epoch
   * {@link HEALTH_CHECK_EPOCH}), at most once per run; the run goes on. Also in
   * {@link TrainSummary.warnings}.
   * @param line - the warning, one line, starting with "sngp-train: warning:".
   */
  onWarning?: (line: string) => void;
  /**
   * Called after every epoch.
   * @param stats - the epoch's number, loss, accuracy and speed.
   */
  onEpoch?: (stats: EpochStats) => void;
  /**
   * SNGP: called during the precision pass over the training data after the last epoch, once per
   * chunk of {@link PRECISION_CHUNK_ROWS} rows; never for other methods.
   * @param rowsDone - training rows processed so far.
   * @param rowsTotal - training rows in all.
   */
  onPosterior?: (rowsDone: number, rowsTotal: number) => void;
}

/** What a finished run reports (the `sngp-train --json` output): what was trained, how fast, how well. */
export interface TrainSummary {
  /** The method trained. */
  method: Method;
  /** The TensorFlow.js backend it ran on. */
  backend: BackendName;
  /** The checkpoint directory written, or null when `out` was not given. */
  out: string | null;
  /** Epochs trained. */
  epochs: number;
  /** Optimizer steps in all (epochs x steps per epoch). */
  steps: number;
  /** Rows of the training split. */
  trainRows: number;
  /** Rows of the validation split (0 for moons or `validationSplit` 0). */
  validationRows: number;
  /** Wall time of the training loop, seconds (loading, the posterior pass and evaluation excluded). */
  seconds: number;
  /** Mean milliseconds per step, excluding the first epoch (warm-up) when there is more than one. */
  msPerStep: number;
  /** Training speed in epochs per second, from `msPerStep`. */
  epochsPerSecond: number;
  /**
   * Metrics of the trained model, also stored in the checkpoint: `trainLoss` (mean loss of the last
   * epoch, dropout on), `trainAccuracy`, and `validationAccuracy` (CSV / IDX with a split) or
   * `testAccuracy` (moons), each evaluated after training with the method's predictive distribution.
   */
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
  const divisor = normalizeInput ? MEDIAN_DIVISOR_NORMALIZED : MEDIAN_DIVISOR;
  const r = autoKernelScale(model.gpInputUnscaled(rows.x, rows.n), rows.n, model.hp.hiddenDim, divisor);
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
  const fit = fitCalibration(logits, variance, held.y, k, meanFieldFactor, ridge);
  return { ...fit, data: data.validation ? 'validation' : 'moons-validation', rows: held.n };
}

/**
 * A freshly initialised, untrained model of a method (weights drawn from `rng`), as the trainer
 * uses it. The caller owns its TensorFlow.js variables and must call its `dispose()`.
 * @param method - the method: its class (SNGP, deterministic / MC dropout ResNet, deep ensemble).
 * @param hp - the hyper-parameters (input and class counts included); SNGP's `gpKernelScale` is
 *   set on the model afterwards by the run (auto scale), not read here.
 * @param rng - draws the initial weights (and SNGP's random-feature projection).
 * @returns the model, implementing the trainer's `TrainableModel` interface.
 */
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
 * @param options - the run's options (the CLI flags); defaults from {@link DEFAULT_TRAIN_OPTIONS}.
 *   `dryRun` must not be set (use `dryRun()`).
 * @param hooks - backend choice and progress callbacks (default: auto backend, no callbacks).
 * @returns the checkpoint (also written to `out`, if given) and the run's summary.
 * @throws SngpError if an option is invalid (see {@link resolveOptions}) or `dryRun` is set; `out`
 *   is refused (a protected path, the data itself, something other than a checkpoint without
 *   `force`, an unwritable parent); the data cannot be read or has a single class; the validation
 *   split leaves a part empty; or `batchSize` exceeds the training rows.
 * @throws Error if no TensorFlow.js backend can be initialised (an installation problem).
 */
export async function trainModel(
  options: TrainOptions,
  hooks: TrainHooks = {},
): Promise<{
  /** The trained model's checkpoint: `checkpoint.json` config and named tensors. */
  checkpoint: Checkpoint;
  /** What was trained, how fast and how well. */
  summary: TrainSummary;
}> {
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
  /** Always true: tells a dry-run's `--json` output from a run's {@link TrainSummary}. */
  dryRun: true;
  /** The method a run would train. */
  method: Method;
  /** Rows, features, classes, split sizes, bytes in memory, load time. */
  data: DataSummary;
  /** Epochs a run would train. */
  epochs: number;
  /** Rows per mini-batch (checked against the training rows). */
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
 * @param options - the options a run would use (`dryRun` may be set or not).
 * @param hooks - `onLoad`, called as a data file is read (default: nothing reported).
 * @returns the data summary and what a run would do.
 * @throws SngpError as {@link trainModel} does for invalid options, a refused `out`, unreadable or
 *   single-class data, an empty split or a too-large `batchSize`.
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
