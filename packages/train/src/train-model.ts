/** The whole run: validate, load data, build the model, train, finalise, evaluate, write. */
import { type Checkpoint, type Method, SngpError, formatBytes } from '@sngp/core';
import { checkCheckpointOutput, saveCheckpoint } from './io/checkpoint-writer.js';
import { type DataSummary, formatDataSummary, loadData, prepareTrainingData, splitRows, summarizeData, validateAgainstData } from './io/data.js';
import { type RecipeChoice, formatRecipe } from './fitting/recipe.js';
import type { TrainHooks, TrainSummary } from './fitting/fit.js';
import { type TrainOptions, applyRecipe, resolveOptions } from './options.js';
import { rngStreams } from './fitting/rng-streams.js';

export type { GpSetup, TrainHooks, TrainSummary } from './fitting/fit.js';

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
  const resolved = resolveOptions(options);
  if (resolved.dryRun) throw new SngpError('dryRun is set: call dryRun(options) for the data summary, or unset it to train');
  checkCheckpointOutput(resolved, options.force); // before any data is loaded: a refused --out fails in a second
  const rngs = rngStreams(resolved.seed);
  const loaded = await loadData(resolved, hooks.onLoad, hooks.onWarning);
  const data = prepareTrainingData(resolved, loaded, rngs.split, hooks.onWarning);
  const opts = applyRecipe(resolved, { userFile: loaded.format !== 'moons', trainRows: data.train.n, validationRows: data.validation?.n ?? 0 });
  validateAgainstData(opts, data);
  // TensorFlow.js loads only now: a run refused above (bad options, data or --out) answers in a
  // fraction of a second.
  const [{ initBackend }, { fitModel }] = await Promise.all([import('./backend/backend.js'), import('./fitting/fit.js')]);
  const backend = await initBackend(hooks.backend ?? 'auto');
  const result = fitModel(opts, data, rngs, backend, hooks);
  if (opts.out) saveCheckpoint(opts.out, result.checkpoint, options.force);
  return result;
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
  /** How epochs, batch size, learning rate and patience were chosen. */
  recipe: RecipeChoice;
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
 * @param hooks - `onLoad`, called as a data file is read, and `onWarning` (default: nothing reported).
 * @returns the data summary and what a run would do.
 * @throws SngpError as {@link trainModel} does for invalid options, a refused `out`, unreadable or
 *   single-class data, an empty split or a too-large `batchSize`.
 */
export async function dryRun(options: TrainOptions, hooks: Pick<TrainHooks, 'onLoad' | 'onWarning'> = {}): Promise<DryRunSummary> {
  const resolved = resolveOptions(options);
  checkCheckpointOutput(resolved, options.force);
  const loaded = await loadData(resolved, hooks.onLoad, hooks.onWarning);
  const rows = splitRows(resolved, loaded);
  const opts = applyRecipe(resolved, { userFile: loaded.format !== 'moons', trainRows: rows.train, validationRows: rows.validation });
  const data = summarizeData(opts, loaded, rngStreams(opts.seed).split);
  return {
    dryRun: true,
    method: opts.method,
    data,
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    recipe: opts.recipe!,
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
    `run       ${s.method}, ${s.epochs} epochs x ${s.stepsPerEpoch} steps of batch ${s.batchSize}${s.recipe.patience !== null ? ' (at most: early stopping)' : ''}${s.out ? `, checkpoint ${s.out}` : ''}`,
    ...formatRecipe(s.recipe).map((l) => `recipe    ${l}`),
    `peak RSS  ${formatBytes(s.peakRssBytes)} (this process, loading included)`,
  ].join('\n');
}
