/**
 * Browser entry of `@sngp/train`: train SNGP or a baseline from in-memory arrays in a page or a
 * Web Worker and get the checkpoint back as an object (`checkpoint.json` config + named tensors,
 * the `Checkpoint` of `@sngp/core`), ready for `exportModel` of `@sngp/export/browser`. The same
 * models, training loop, spectral normalisation, auto kernel scale and posterior precision pass as
 * the Node entry; no file system, no native TensorFlow: the backend is WebAssembly or cpu
 * ({@link initBrowserBackend}).
 *
 * @example
 * ```ts
 * import { initBrowserBackend, trainInMemory } from '@sngp/train/browser';
 * import { makeMoons, Rng } from '@sngp/core';
 *
 * await initBrowserBackend({ wasmPaths: '/tfjs/' });
 * const train = makeMoons(300, 0.1, new Rng(0));
 * const { checkpoint, summary } = await trainInMemory({ train }, { method: 'sngp', epochs: 40, width: 32, depth: 2 });
 * ```
 *
 * User mistakes throw `SngpError` (from `@sngp/core`) with a one-line message naming the problem.
 *
 * @packageDocumentation
 * @module @sngp/train/browser
 */
import { type Checkpoint, type Dataset, SngpError } from '@sngp/core';
import { type BrowserBackendOptions, initBrowserBackend } from './backend/browser-backend.js';
import type { TrainingData } from './io/data.js';
import { type TrainHooks, type TrainSummary, fitModel } from './fitting/fit.js';
import { type TrainOptions, applyRecipe, resolveOptions } from './options.js';
import { rngStreams } from './fitting/rng-streams.js';

export { initBrowserBackend, type BrowserBackendName, type BrowserBackendOptions, type WasmBinaryUrls } from './backend/browser-backend.js';
export { createModel, type TrainHooks, type TrainSummary, type GpSetup } from './fitting/fit.js';
export { type TrainOptions, type ResolvedOptions, DEFAULT_TRAIN_OPTIONS, resolveOptions } from './options.js';
export { type EpochStats } from './fitting/trainer.js';
export { TrainingHealthGuard, chanceAccuracy, HEALTH_CHECK_EPOCH } from './fitting/training-health.js';
export { autoKernelScale, type AutoKernelScale } from './kernel/kernel-scale.js';
export { type KernelCandidate, type KernelSearch } from './kernel/kernel-search.js';
export { PRECISION_CHUNK_ROWS } from './fitting/posterior.js';

/**
 * The options of {@link trainInMemory}: {@link TrainOptions} without the file, split and output
 * options (`data`, `labels`, `labelColumn`, `validationSplit`, `out`, `force`, `dryRun`,
 * `calibrate`). Every default is the Node entry's ({@link DEFAULT_TRAIN_OPTIONS}).
 */
export type InMemoryTrainOptions = Omit<
  TrainOptions,
  'data' | 'labels' | 'labelColumn' | 'validationSplit' | 'out' | 'force' | 'dryRun' | 'calibrate'
>;

/** The data {@link trainInMemory} trains on: labelled rows already in memory (e.g. `makeMoons` of `@sngp/core`). */
export interface InMemoryData {
  /** The training rows; must be labelled (`y`), with at least 2 classes. Used as is (not standardised). */
  train: Dataset;
  /** Optional held-out labelled rows of the same width: their accuracy is reported as `testAccuracy`. */
  test?: Dataset;
  /** What the data is, recorded in the checkpoint's `training.data` (default "in-memory"). */
  name?: string;
}

/** Hooks of {@link trainInMemory}: the progress callbacks of {@link TrainHooks}, and the backend. */
export interface InMemoryTrainHooks extends Pick<TrainHooks, 'onStart' | 'onEpoch' | 'onWarning' | 'onPosterior'> {
  /** Backend choice and wasm binary URLs (default: `auto`, see {@link initBrowserBackend}). */
  backend?: BrowserBackendOptions;
}

/** Check one in-memory data set: labelled, consistent sizes, labels in range. */
function checkDataset(ds: Dataset, what: string, width?: number): void {
  if (!ds.y) throw new SngpError(`${what} has no labels (y): training needs a class index per row`);
  if (!(Number.isInteger(ds.n) && ds.n >= 1)) throw new SngpError(`${what} must have at least 1 row, got ${ds.n}`);
  if (!(Number.isInteger(ds.d) && ds.d >= 1)) throw new SngpError(`${what} must have at least 1 feature, got ${ds.d}`);
  if (width !== undefined && ds.d !== width) throw new SngpError(`${what} has ${ds.d} features, the training data ${width}`);
  if (ds.x.length !== ds.n * ds.d) throw new SngpError(`${what}: x holds ${ds.x.length} values, expected n * d = ${ds.n * ds.d}`);
  if (ds.y.length !== ds.n) throw new SngpError(`${what}: y holds ${ds.y.length} labels, expected n = ${ds.n}`);
  if (ds.featureNames.length !== ds.d)
    throw new SngpError(`${what}: ${ds.featureNames.length} feature names for ${ds.d} features`);
  for (let i = 0; i < ds.n; i++) {
    const c = ds.y[i];
    if (!(c >= 0 && c < ds.classes.length))
      throw new SngpError(`${what}: row ${i} has label ${c}, expected a class index in [0, ${ds.classes.length})`);
  }
  for (let i = 0; i < ds.x.length; i++)
    if (!Number.isFinite(ds.x[i])) throw new SngpError(`${what}: row ${Math.floor(i / ds.d)}, feature ${i % ds.d} is ${ds.x[i]}, expected a finite number`);
}

/**
 * Train one model on in-memory rows and return its checkpoint as an object: the browser (and
 * Node) counterpart of `trainModel`, which reads files and writes a directory. The rows are used
 * as given (no standardisation, no validation split); everything is checked before training starts.
 * Training runs synchronously on the backend once started: in a page, run it in a Web Worker
 * (terminate the worker to cancel).
 * @param data - the training rows, optional test rows, and a name for the checkpoint.
 * @param options - method, model knobs, epochs, batch size, learning rate, seed (defaults: the Node entry's).
 * @param hooks - backend choice and progress callbacks (per epoch, the posterior pass, warnings).
 * @returns the in-memory checkpoint and the run's summary (`out` is null).
 * @throws SngpError if an option is invalid (see `resolveOptions`), the data is unlabelled,
 *   inconsistent (sizes, labels out of range, non-finite features), has fewer than 2 classes, or
 *   `batchSize` exceeds its rows; or `wasm` is asked for without its binaries' URLs.
 * @throws Error if no backend can be initialised.
 */
export async function trainInMemory(
  data: InMemoryData,
  options: InMemoryTrainOptions = {},
  hooks: InMemoryTrainHooks = {},
): Promise<{
  /** The trained model's checkpoint: `checkpoint.json` config and named tensors. */
  checkpoint: Checkpoint;
  /** What was trained, how fast and how well. */
  summary: TrainSummary;
}> {
  // "in-memory" rather than the name: resolveOptions reads `data` as moons / IDX / CSV path.
  const { train, test } = data;
  // No held-out rows: no calibration; the tutorial's settings unless flags say otherwise.
  const resolved = { ...resolveOptions({ ...options, data: 'in-memory' }), data: data.name ?? 'in-memory', calibrate: false };
  const opts = applyRecipe(resolved, { userFile: false, trainRows: train.n, validationRows: 0 });
  checkDataset(train, 'training data');
  if (test) checkDataset(test, 'test data', train.d);
  if (train.classes.length < 2) throw new SngpError(`training data has ${train.classes.length} class; need at least 2`);
  if (opts.batchSize > train.n)
    throw new SngpError(`batchSize ${opts.batchSize} is larger than the training data (${train.n} rows); use at most ${train.n}`);
  const prepared: TrainingData = {
    train,
    validation: null,
    test: test ?? null,
    standardization: null,
    classes: [...train.classes],
    featureNames: [...train.featureNames],
  };
  const backend = await initBrowserBackend(hooks.backend);
  return fitModel(opts, prepared, rngStreams(opts.seed), backend, hooks);
}
