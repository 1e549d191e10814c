/**
 * The platform-neutral core of a training run: build the model, choose SNGP's kernel scale, train,
 * finalise (spectral norm, precision pass), calibrate, evaluate and assemble the in-memory
 * checkpoint. No file system and no backend loading: `trainModel` (Node: files, tfjs-node / wasm)
 * and `trainInMemory` (browser entry: arrays, wasm / cpu) both call {@link fitModel}.
 */
import {
  type CalibrationRecord,
  type Checkpoint,
  type Dataset,
  type HyperParameters,
  MOONS_DEFAULTS,
  type Method,
  type Rng,
  accuracy,
  meanSoftmax,
  moonsValidation,
  nll,
  precisionCholesky,
  subset,
  varianceFromCholesky,
} from '@sngp/core';
import type { BackendName, BackendPreference } from '../backend/backend.js';
import { fitCalibration, fitTemperature } from './calibration.js';
import { buildCheckpoint, hyperParameters } from '../io/checkpoint-builder.js';
import type { TrainingData } from '../io/data.js';
import { DeterministicClassifier } from '../models/deterministic.js';
import { DeepEnsemble, type MemberRange } from '../models/ensemble.js';
import { autoKernelScale, sampleRows } from '../kernel/kernel-scale.js';
import { type KernelSearch, searchKernelScale } from '../kernel/kernel-search.js';
import type { TrainableModel } from '../models/model.js';
import type { ResolvedOptions } from '../options.js';
import type { RecipeChoice } from './recipe.js';
import type { RngStreams } from './rng-streams.js';
import { SngpClassifier } from '../models/sngp.js';
import { type EarlyStopResult, type EpochStats, trainLoop } from './trainer.js';
import { TrainingHealthGuard, chanceAccuracy } from './training-health.js';

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
    /** Epochs to train (the budget, with early stopping). */
    epochs: number;
    /** How the settings were chosen. */
    recipe?: RecipeChoice;
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
  /** The epoch budget. */
  epochs: number;
  /** Epochs trained (fewer than `epochs` when early stopping ended the run). */
  epochsRun: number;
  /** Early stopping's outcome (best epoch, its validation NLL); absent when it was off. */
  earlyStopping?: EarlyStopResult;
  /** How epochs, batch size, learning rate and patience were chosen. */
  recipe?: RecipeChoice;
  /** Optimizer steps in all (epochs run x steps per epoch). */
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
  /** The calibration fitted on held-out rows (temperature; SNGP also lambda), if any. */
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
  /** Auto: median nearest-neighbour distance of the sampled GP inputs at initialisation (what the rule uses). */
  neighbourDistance?: number;
  /** Auto: median pairwise distance of the sampled GP inputs at initialisation. */
  medianDistance?: number;
  /** Auto: rows sampled. */
  rows?: number;
  /** Auto: the bandwidth rule's scale (3 x neighbour distance, squared, at least 1): the widest candidate. */
  ruleScale?: number;
  /**
   * Auto with a validation split and a rule scale above 1: the validation search over narrower
   * scales (candidates, their scores, the choice); absent otherwise (the rule's scale is used).
   */
  search?: KernelSearch;
}

/**
 * Choose (auto) or apply the kernel scale of a fresh SNGP model, from its training data: the
 * bandwidth rule, then the validation search when there is a validation split.
 */
function setUpGp(model: SngpClassifier, kernelScale: number | 'auto', train: Dataset, validation: Dataset | null): GpSetup {
  const normalizeInput = model.gp.inputNorm !== null;
  if (kernelScale !== 'auto') {
    model.gp.kernelScale = kernelScale;
    return { normalizeInput, kernelScale, auto: false };
  }
  const rows = subset(train, sampleRows(train.n));
  const r = autoKernelScale(model.gpInputUnscaled(rows.x, rows.n), rows.n, model.hp.hiddenDim);
  model.gp.kernelScale = r.scale;
  const setup: GpSetup = { normalizeInput, kernelScale: r.scale, auto: true, neighbourDistance: r.neighbourDistance, medianDistance: r.medianDistance, rows: r.rows, ruleScale: r.scale };
  // Scale 1 has no narrower candidate (two moons); no labelled validation rows, nothing to score on.
  if (r.scale > 1 && validation?.y && validation.n > 0) {
    const search = searchKernelScale(model, train, validation, r.scale);
    return { ...setup, kernelScale: search.scale, search };
  }
  return setup;
}

/**
 * Fit the temperature (every method) and SNGP's mean-field factor on held-out rows: the validation
 * split, or for two moons a separate draw (never the test set). Null when there is nothing held out.
 */
function calibrate(model: TrainableModel, data: TrainingData, opts: { data: string }, rng: Rng): CalibrationRecord | null {
  const held = data.validation ?? (opts.data === 'moons' ? moonsValidation(MOONS_DEFAULTS.seed) : null);
  if (!held || !held.y || held.n < 2) return null;
  const where = { data: data.validation ? 'validation' : 'moons-validation', rows: held.n };
  const k = data.classes.length;
  if (!(model instanceof SngpClassifier)) {
    const { samples, logits } = model.sampleLogits(held.x, held.n, rng);
    return { ...fitTemperature(logits, samples, held.y, k), ...where };
  }
  const { numRandomFeatures: m, ridge, meanFieldFactor } = model.hp;
  const { logits, phi } = model.logitsAndFeatures(held.x, held.n);
  const { l } = precisionCholesky(model.precisionMatrix, m, ridge, 'SNGP precision');
  const variance = varianceFromCholesky(phi, held.n, l, m, ridge);
  return { ...fitCalibration(logits, variance, held.y, k, meanFieldFactor, ridge), ...where };
}

/**
 * Early stopping's score: the validation NLL of mean_s softmax(logits_s) (dropout off). Not the
 * NLL at the best temperature: on a small validation split that the model separates (wine, 18
 * rows) that goes to ~0 as T does, so it stopped SNGP at epoch 15 (test accuracy 1.0 -> 0.95).
 */
function validationNll(model: TrainableModel, validation: Dataset, k: number): () => number {
  return () => {
    const { samples, logits } = model.validationLogits(validation.x, validation.n);
    return nll(meanSoftmax(logits, samples, k), validation.y!, k);
  };
}

/**
 * A freshly initialised, untrained model of a method (weights drawn from `rng`), as the trainer
 * uses it. The caller owns its TensorFlow.js variables and must call its `dispose()`.
 * @param method - the method: its class (SNGP, deterministic / MC dropout ResNet, deep ensemble).
 * @param hp - the hyper-parameters (input and class counts included); SNGP's `gpKernelScale` is
 *   set on the model afterwards by the run (auto scale), not read here.
 * @param rng - draws the initial weights (and SNGP's random-feature projection).
 * @param members - ensemble only: the members to train (a part of the ensemble; default all).
 * @returns the model, implementing the trainer's `TrainableModel` interface.
 */
export function createModel(method: Method, hp: HyperParameters, rng: Rng, members?: MemberRange): TrainableModel {
  switch (method) {
    case 'deterministic':
    case 'mc-dropout':
      return new DeterministicClassifier(method, hp, rng);
    case 'sngp':
      return new SngpClassifier(hp, rng);
    case 'ensemble':
      return new DeepEnsemble(hp, rng, members);
  }
}

function evalAccuracy(model: TrainableModel, ds: Dataset, k: number, rng: Rng): number {
  return accuracy(model.predictProbs(ds.x, ds.n, rng), ds.y!, k);
}


/**
 * Train one model on prepared, validated data with an initialised backend, and assemble its
 * checkpoint in memory (nothing is written). The model's TensorFlow.js variables are disposed
 * before it returns, also on error.
 * @param opts - resolved options (method, model knobs, epochs, batch size, learning rate, seed, ...).
 * @param data - the prepared data (training split; validation or test split if any).
 * @param rngs - the run's random streams (`rngStreams(opts.seed)`): init, shuffle, dropout, evaluation.
 * @param backend - the name of the active backend, recorded in the checkpoint and the summary.
 * @param hooks - the progress callbacks of {@link TrainHooks} (its `backend` and `onLoad` belong to the caller).
 * @returns the checkpoint and the run's summary (`out` is `opts.out`; the caller writes it).
 */
export function fitModel(
  opts: ResolvedOptions,
  data: TrainingData,
  rngs: RngStreams,
  backend: BackendName,
  hooks: Pick<TrainHooks, 'onStart' | 'onEpoch' | 'onWarning' | 'onPosterior'> = {},
): {
  /** The trained model's checkpoint: `checkpoint.json` config and named tensors. */
  checkpoint: Checkpoint;
  /** What was trained, how fast and how well. */
  summary: TrainSummary;
} {
  const hp = hyperParameters(opts, data);
  const stepsPerEpoch = Math.ceil(data.train.n / opts.batchSize);
  const model = createModel(opts.method, hp, rngs.init, opts.ensembleMembers ?? undefined);
  try {
    const gp = model instanceof SngpClassifier ? setUpGp(model, opts.gpKernelScale, data.train, data.validation ?? null) : undefined;
    if (gp) hp.gpKernelScale = gp.kernelScale;
    hooks.onStart?.({
      backend,
      method: opts.method,
      trainRows: data.train.n,
      stepsPerEpoch,
      epochs: opts.epochs,
      ...(opts.recipe ? { recipe: opts.recipe } : {}),
      ...(gp ? { gp } : {}),
    });
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
    const shuffle = Array.from({ length: model.batchStreams ?? model.members }, () => rngs.shuffle.fork());
    const patience = opts.recipe?.patience ?? null;
    const validation = data.validation;
    const loop = trainLoop(
      model,
      data.train,
      hp.numClasses,
      {
        epochs: opts.epochs,
        batchSize: opts.batchSize,
        learningRate: opts.learningRate,
        ...(patience !== null && validation?.y ? { earlyStopping: { patience, score: validationNll(model, validation, hp.numClasses) } } : {}),
      },
      { shuffle, dropout: rngs.dropout },
      onEpoch,
    );
    model.finalize(data.train, hooks.onPosterior);
    const calibration = opts.calibrate ? calibrate(model, data, opts, rngs.calibration) : null;

    const k = hp.numClasses;
    const metrics: Record<string, number> = {
      trainLoss: loop.last.loss,
      trainAccuracy: evalAccuracy(model, data.train, k, rngs.evaluation),
    };
    if (data.validation) metrics.validationAccuracy = evalAccuracy(model, data.validation, k, rngs.evaluation);
    if (data.test) metrics.testAccuracy = evalAccuracy(model, data.test, k, rngs.evaluation);

    // A part of an ensemble is a checkpoint of its own members.
    const trainedHp = model.method === 'ensemble' ? { ...hp, ensembleSize: model.members } : hp;
    const checkpoint = buildCheckpoint(opts, data, model.tensors(), metrics, backend, {
      hyperParameters: trainedHp,
      calibration,
      earlyStopping: loop.earlyStopping,
    });
    const summary: TrainSummary = {
      method: opts.method,
      backend,
      out: opts.out,
      epochs: opts.epochs,
      epochsRun: loop.earlyStopping?.epochsRun ?? opts.epochs,
      ...(loop.earlyStopping ? { earlyStopping: loop.earlyStopping } : {}),
      ...(opts.recipe ? { recipe: opts.recipe } : {}),
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
