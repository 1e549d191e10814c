/**
 * Training options (the CLI flags, as an object) and their validation. Everything is checked here,
 * before any data is touched or any training starts, so bad input fails fast and writes nothing.
 */
import type { MemberRange } from './models/ensemble.js';
import { type GivenSettings, type RecipeChoice, chooseRecipe } from './fitting/recipe.js';
import { DEFAULT_HYPER_PARAMETERS, type Method, SngpError, isIdxPath, parseMethod } from '@sngp/core';

/**
 * Options of one training run: the `sngp-train` flags as an object (camelCase of the flag name).
 * Every field is optional; an absent field takes the default of {@link DEFAULT_TRAIN_OPTIONS}
 * (the TensorFlow SNGP tutorial's values). Checked by {@link resolveOptions} before anything runs.
 */
export interface TrainOptions {
  /** `--method`: sngp | deterministic | mc-dropout | ensemble (default sngp). */
  method?: string;
  /**
   * `--data`: "moons" (default: the built-in two-moons sets), the path of IDX images (.idx, -ubyte,
   * optionally .gz; needs `labels`) or of a CSV file (header row, numeric features, a label column).
   */
  data?: string;
  /** `--labels`: IDX only, the labels file that goes with the `data` images (required for IDX). */
  labels?: string;
  /** `--label-column`: CSV only, the name of the label column (default: the last column). */
  labelColumn?: string;
  /**
   * `--dry-run`: load and validate the data and options, summarise them, and stop before training
   * (default false). Pass such options to `dryRun()`; {@link trainModel} refuses them.
   */
  dryRun?: boolean;
  /**
   * `--validation-split`: CSV and IDX data only, the fraction of rows held out for validation and
   * calibration, in [0, 1) (default 0.2; 0 = none). Ignored for moons, which has its own draws.
   */
  validationSplit?: number;
  /**
   * `--epochs`: passes over the training split (the budget, with early stopping), a positive
   * integer (default: two moons 100; CSV / IDX chosen from the data's size, see `chooseRecipe`).
   */
  epochs?: number;
  /**
   * `--batch-size`: rows per mini-batch, a positive integer no larger than the training split
   * (default: two moons 128; CSV / IDX chosen from the data's size).
   */
  batchSize?: number;
  /** `--learning-rate`: Adam's learning rate, > 0 (default: two moons 1e-4; CSV / IDX 1e-3). */
  learningRate?: number;
  /**
   * `--no-early-stopping` sets it false: CSV / IDX with a validation split, stop when the
   * validation NLL has not improved for `patience` epochs and keep the best epoch's weights
   * (default true; two moons has no validation split and trains every epoch).
   */
  earlyStopping?: boolean;
  /** `--patience`: early stopping's patience in epochs, a positive integer (default: a tenth of the epoch budget, in [5, 20]). */
  patience?: number;
  /**
   * `--seed`: seed of every random draw of the run (initialisation, split, shuffles, dropout,
   * evaluation), an integer with |seed| <= 2^32 (default 0). The two-moons data has its own fixed seed.
   */
  seed?: number;
  /** `--out`: checkpoint directory to write atomically at the end; when absent nothing is written. */
  out?: string;
  /**
   * `--force`: replace an existing `out` even if it is not a checkpoint directory (never /, home,
   * cwd or the data) (default false).
   */
  force?: boolean;
  /** `--depth`: residual blocks L of the network, a non-negative integer (default 6). */
  depth?: number;
  /** `--width`: hidden width H of the residual body, a positive integer (default 128). */
  width?: number;
  /** `--dropout`: dropout rate after each residual block, in [0, 1) (default 0.1; MC dropout keeps it at inference). */
  dropout?: number;
  /** `--spec-norm-bound`: SNGP, the spectral-norm bound c on each hidden kernel, > 0 (default 0.9). */
  specNormBound?: number;
  /** `--random-features`: SNGP, random Fourier features M of the GP output layer, a positive integer (default 1024). */
  randomFeatures?: number;
  /** `--ridge`: SNGP, the ridge s of the Laplace precision P = s I + Phi^T Phi, > 0 (default 1). */
  ridge?: number;
  /** `--ensemble-size`: ensemble, the number of members, a positive integer (default 10). */
  ensembleSize?: number;
  /** `--mc-samples`: MC dropout, the samples T recorded for inference, a positive integer (default 10). */
  mcSamples?: number;
  /**
   * `--ensemble-members from:to`: ensemble, train only members `from` .. `to - 1` (0-based) of the
   * `ensembleSize` members, each exactly as it trains with all the others, into a checkpoint of
   * `to - from` members; merge the parts with `mergeEnsembleParts`. Default: every member.
   */
  ensembleMembers?: MemberRange;
  /**
   * `--mean-field-factor`: SNGP, the mean-field factor lambda recorded for inference, any finite
   * number (default pi / 8; < 0 means plain softmax). Calibration, when on, fits its own.
   */
  meanFieldFactor?: number;
  /**
   * `--gp-normalize-input`: SNGP, layer-normalise the hidden features (trainable gamma / beta)
   * before the random features (default false).
   */
  gpNormalizeInput?: boolean;
  /**
   * `--gp-kernel-scale`: SNGP, the kernel scale s (> 0; the GP input is multiplied by 1 / sqrt(s)),
   * or 'auto' (default): chosen from the training data at initialisation (see `autoKernelScale`).
   */
  gpKernelScale?: number | 'auto';
  /**
   * `--no-calibrate` sets it false: fit the temperature (every method) and SNGP's mean-field factor
   * on held-out rows after training, the validation split or, for two moons, a separate draw
   * (default true; nothing is fitted when no rows are held out).
   */
  calibrate?: boolean;
  // Column selection
  /**
   * `--features a,b,c`: CSV only, use only these columns as features, in this order (default:
   * every column but the label and `ignore`). Unknown names are an error listing the columns.
   */
  features?: string[];
  /** `--ignore id,year`: CSV only, leave these columns out (recorded in the checkpoint's preprocessing). */
  ignore?: string[];
}

/**
 * {@link TrainOptions} after {@link resolveOptions}: every default filled in, every value checked,
 * the method typed. Options that may be absent (`labels`, `labelColumn`, `out`) are null when so.
 * `force` is not carried: it is passed on where the checkpoint is written.
 */
export interface ResolvedOptions {
  /** The method to train. */
  method: Method;
  /** "moons" or the path of the CSV or IDX images file. */
  data: string;
  /** IDX: the labels file; null for moons and CSV. */
  labels: string | null;
  /** CSV: the label column's name; null for the last column (and for moons and IDX). */
  labelColumn: string | null;
  /** Stop after loading and validating the data (see `dryRun()`). */
  dryRun: boolean;
  /** CSV / IDX: fraction of rows held out for validation, in [0, 1). */
  validationSplit: number;
  /** Training epochs, the budget (a positive integer): the tutorial's until `applyRecipe` sets the run's. */
  epochs: number;
  /** Rows per mini-batch (a positive integer): the tutorial's until `applyRecipe` sets the run's. */
  batchSize: number;
  /** Adam learning rate (> 0): the tutorial's until `applyRecipe` sets the run's. */
  learningRate: number;
  /** The training settings given as flags (they win over the recipe's choice). */
  given: GivenSettings;
  /** The run's recipe, set by `applyRecipe` once the data's size is known; null before. */
  recipe: RecipeChoice | null;
  /** Seed of every random draw of the run (an integer). */
  seed: number;
  /** Checkpoint directory to write, or null to write nothing. */
  out: string | null;
  /** Residual blocks L (a non-negative integer); `hyperParameters.numLayers` of the checkpoint. */
  depth: number;
  /** Hidden width H (a positive integer); `hyperParameters.hiddenDim`. */
  width: number;
  /** Dropout rate in [0, 1); `hyperParameters.dropoutRate`. */
  dropout: number;
  /** SNGP: spectral-norm bound c (> 0); `hyperParameters.specNormBound`. */
  specNormBound: number;
  /** SNGP: random features M (a positive integer); `hyperParameters.numRandomFeatures`. */
  randomFeatures: number;
  /** SNGP: ridge s of the Laplace precision (> 0); `hyperParameters.ridge`. */
  ridge: number;
  /** Ensemble: members (a positive integer); `hyperParameters.ensembleSize`. */
  ensembleSize: number;
  /** MC dropout: samples T at inference (a positive integer); `hyperParameters.mcSamples`. */
  mcSamples: number;
  /** SNGP: mean-field factor lambda recorded for inference; `hyperParameters.meanFieldFactor`. */
  meanFieldFactor: number;
  /** SNGP: layer-normalise the GP input; `hyperParameters.gpNormalizeInput`. */
  gpNormalizeInput: boolean;
  /** SNGP: kernel scale s (> 0), or 'auto' to choose it from the training data at initialisation. */
  gpKernelScale: number | 'auto';
  /** Fit the temperature (and SNGP's mean-field factor) on held-out data after training. */
  calibrate: boolean;
  /** Ensemble: the members to train (a part of the ensemble), or null for all. */
  ensembleMembers: MemberRange | null;
  // Column selection
  /** CSV: the only feature columns, in order (`--features`), or null for all. */
  features: string[] | null;
  /** CSV: columns left out (`--ignore`); [] for none. */
  ignore: string[];
}

/**
 * The default of every {@link TrainOptions} field that has one (the TensorFlow SNGP tutorial's
 * values; the model knobs come from `DEFAULT_HYPER_PARAMETERS` of `@sngp/core`). Fields without a
 * default here (`labels`, `labelColumn`, `out`, `force`, `dryRun`) are absent / off by default.
 */
export const DEFAULT_TRAIN_OPTIONS = {
  /** SNGP. */
  method: 'sngp' as Method,
  /** The built-in two-moons sets. */
  data: 'moons',
  /** CSV / IDX: 20 % of the rows held out for validation. */
  validationSplit: 0.2,
  /** 100 epochs. */
  epochs: 100,
  /** 128 rows per mini-batch. */
  batchSize: 128,
  /** Adam learning rate 1e-4. */
  learningRate: 1e-4,
  /** Seed 0. */
  seed: 0,
  /** 6 residual blocks. */
  depth: DEFAULT_HYPER_PARAMETERS.numLayers,
  /** Hidden width 128. */
  width: DEFAULT_HYPER_PARAMETERS.hiddenDim,
  /** Dropout rate 0.1. */
  dropout: DEFAULT_HYPER_PARAMETERS.dropoutRate,
  /** Spectral-norm bound 0.9. */
  specNormBound: DEFAULT_HYPER_PARAMETERS.specNormBound,
  /** 1024 random features. */
  randomFeatures: DEFAULT_HYPER_PARAMETERS.numRandomFeatures,
  /** Ridge 1. */
  ridge: DEFAULT_HYPER_PARAMETERS.ridge,
  /** 10 ensemble members. */
  ensembleSize: DEFAULT_HYPER_PARAMETERS.ensembleSize,
  /** 10 MC dropout samples. */
  mcSamples: DEFAULT_HYPER_PARAMETERS.mcSamples,
  /** Mean-field factor pi / 8. */
  meanFieldFactor: DEFAULT_HYPER_PARAMETERS.meanFieldFactor,
  /** No layer-normalisation of the GP input. */
  gpNormalizeInput: false,
  /** Kernel scale chosen from the training data. */
  gpKernelScale: 'auto' as const,
  /** Calibrate every method on held-out rows after training. */
  calibrate: true,
};

/** Option name as the CLI spells it, for error messages. */
function flag(name: string): string {
  return '--' + name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

type Check = (v: number) => boolean;
const isInt: Check = Number.isInteger;

function num(name: string, value: number | undefined, fallback: number, ok: Check, expected: string): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v))
    throw new SngpError(`${flag(name)} must be ${expected}, got ${String(value)}`);
  return v;
}

/**
 * Fill in the defaults of {@link DEFAULT_TRAIN_OPTIONS} and check every option, before any data is
 * read: numbers must be finite and in range, and the data options must fit the data source.
 * Checks that need the data (e.g. `batchSize` against the training rows) come later.
 * @param o - the options as given (e.g. by the CLI); not modified.
 * @returns the complete, checked options.
 * @throws SngpError naming the CLI flag, if `method` is unknown; `data` is empty; `labelColumn` is
 *   given for moons or IDX data; `labels` is given for anything but IDX data, or missing for IDX
 *   data; or a number is out of range (e.g. `--epochs` not a positive integer, `--validation-split`
 *   or `--dropout` outside [0, 1), `--gp-kernel-scale` neither > 0 nor "auto").
 */
export function resolveOptions(o: TrainOptions): ResolvedOptions {
  const D = DEFAULT_TRAIN_OPTIONS;
  const method = parseMethod(o.method ?? D.method);
  const data = o.data ?? D.data;
  if (data.trim() === '')
    throw new SngpError('--data must be "moons" or the path of a CSV or IDX file, got an empty string');
  const isMoons = data === 'moons';
  if (isMoons && o.labelColumn !== undefined)
    throw new SngpError('--label-column applies to CSV data only (--data is "moons")');
  const isIdx = !isMoons && isIdxPath(data);
  if (o.labels !== undefined && !isIdx)
    throw new SngpError(
      `--labels applies to IDX images only (.idx, -ubyte, optionally .gz); ${isMoons ? '--data is "moons"' : `a CSV file carries its labels in a column (--label-column)`}`,
    );
  if (isIdx && o.labelColumn !== undefined)
    throw new SngpError('--label-column applies to CSV data only; IDX labels come from --labels <file>');
  if (isIdx && !o.labels)
    throw new SngpError(`${data}: IDX images need their labels: add --labels <file> (e.g. train-labels-idx1-ubyte.gz)`);
  if (o.patience !== undefined && o.earlyStopping === false)
    throw new SngpError('--patience has no effect with --no-early-stopping: give one or the other');
  const positive: Check = (v) => v > 0;
  const posInt: Check = (v) => isInt(v) && v > 0;
  const columns = resolveColumnSelection(o, isMoons || isIdx);
  const epochs = num('epochs', o.epochs, D.epochs, posInt, 'a positive integer');
  const batchSize = num('batchSize', o.batchSize, D.batchSize, posInt, 'a positive integer');
  const learningRate = num('learningRate', o.learningRate, D.learningRate, positive, 'a positive number');
  return {
    ...columns,
    method,
    data,
    labels: o.labels ?? null,
    labelColumn: o.labelColumn ?? null,
    dryRun: o.dryRun === true,
    validationSplit: num('validationSplit', o.validationSplit, D.validationSplit, (v) => v >= 0 && v < 1, 'a fraction in [0, 1)'),
    epochs,
    batchSize,
    learningRate,
    given: {
      // Checked above (epochs, batch size, learning rate) when given.
      ...(o.epochs !== undefined ? { epochs } : {}),
      ...(o.batchSize !== undefined ? { batchSize } : {}),
      ...(o.learningRate !== undefined ? { learningRate } : {}),
      ...(o.patience !== undefined ? { patience: num('patience', o.patience, 1, posInt, 'a positive integer') } : {}),
      ...(o.earlyStopping === false ? { earlyStopping: false } : {}),
    },
    recipe: null,
    seed: num('seed', o.seed, D.seed, (v) => isInt(v) && Math.abs(v) <= 2 ** 32, 'an integer'),
    out: o.out ?? null,
    depth: num('depth', o.depth, D.depth, (v) => isInt(v) && v >= 0, 'a non-negative integer'),
    width: num('width', o.width, D.width, posInt, 'a positive integer'),
    dropout: num('dropout', o.dropout, D.dropout, (v) => v >= 0 && v < 1, 'a rate in [0, 1)'),
    specNormBound: num('specNormBound', o.specNormBound, D.specNormBound, positive, 'a positive number'),
    randomFeatures: num('randomFeatures', o.randomFeatures, D.randomFeatures, posInt, 'a positive integer'),
    ridge: num('ridge', o.ridge, D.ridge, positive, 'a positive number'),
    ensembleSize: num('ensembleSize', o.ensembleSize, D.ensembleSize, posInt, 'a positive integer'),
    mcSamples: num('mcSamples', o.mcSamples, D.mcSamples, posInt, 'a positive integer'),
    meanFieldFactor: num('meanFieldFactor', o.meanFieldFactor, D.meanFieldFactor, () => true, 'a number'),
    gpNormalizeInput: o.gpNormalizeInput ?? D.gpNormalizeInput,
    gpKernelScale:
      (o.gpKernelScale ?? D.gpKernelScale) === 'auto'
        ? 'auto'
        : num('gpKernelScale', o.gpKernelScale as number, 1, positive, 'a positive number or "auto"'),
    calibrate: o.calibrate ?? D.calibrate,
    ensembleMembers: resolveMembers(o, method, num('ensembleSize', o.ensembleSize, D.ensembleSize, posInt, 'a positive integer')),
  };
}

// Column selection
/** `--features` / `--ignore`: CSV only, lists of non-empty names (checked against the header at load). */
function resolveColumnSelection(o: TrainOptions, notCsv: boolean): Pick<ResolvedOptions, 'features' | 'ignore'> {
  for (const [name, list] of [['--features', o.features], ['--ignore', o.ignore]] as const) {
    if (list === undefined) continue;
    if (notCsv) throw new SngpError(`${name} applies to CSV data only (it selects columns of the CSV header)`);
    if (!Array.isArray(list) || list.length === 0 || list.some((c) => typeof c !== 'string' || c.trim() === ''))
      throw new SngpError(`${name} expects a comma-separated list of column names, got ${JSON.stringify(list)}`);
  }
  return { features: o.features ? [...o.features] : null, ignore: o.ignore ? [...o.ignore] : [] };
}

/** `--ensemble-members`: a non-empty member range of an ensemble, or null when not given. */
function resolveMembers(o: TrainOptions, method: Method, size: number): MemberRange | null {
  const r = o.ensembleMembers;
  if (r === undefined) return null;
  if (method !== 'ensemble') throw new SngpError(`--ensemble-members applies to --method ensemble only (got ${method})`);
  if (!(isInt(r.from) && isInt(r.to) && r.from >= 0 && r.from < r.to && r.to <= size))
    throw new SngpError(`--ensemble-members must be from:to with 0 <= from < to <= ${size} (the ensemble size), got ${r.from}:${r.to}`);
  return { from: r.from, to: r.to };
}

/**
 * The options of a run once its data's size is known: the recipe's (or the flags') epochs, batch
 * size and learning rate, and early stopping's patience (see `chooseRecipe`).
 * @param opts - resolved options (`recipe` null).
 * @param data - whether the data is a user's file (CSV / IDX: the data rule) or two moons /
 *   in-memory rows (the tutorial's settings), and its split sizes.
 * @returns a copy of `opts` with the settings and `recipe` filled in.
 */
export function applyRecipe(opts: ResolvedOptions, data: { userFile: boolean; trainRows: number; validationRows: number }): ResolvedOptions {
  const D = DEFAULT_TRAIN_OPTIONS;
  const recipe = chooseRecipe(opts.given, { epochs: D.epochs, batchSize: D.batchSize, learningRate: D.learningRate }, data);
  return { ...opts, epochs: recipe.epochs, batchSize: recipe.batchSize, learningRate: recipe.learningRate, recipe };
}
