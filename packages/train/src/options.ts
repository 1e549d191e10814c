/**
 * Training options (the CLI flags, as an object) and their validation. Everything is checked here,
 * before any data is touched or any training starts, so bad input fails fast and writes nothing.
 */
import { DEFAULT_HYPER_PARAMETERS, type Method, SngpError, isIdxPath, parseMethod } from '@sngp/core';

export interface TrainOptions {
  /** sngp | deterministic | mc-dropout | ensemble (default sngp). */
  method?: string;
  /** 'moons' (default), the path of IDX images (.idx, -ubyte, optionally .gz) or of a CSV file. */
  data?: string;
  /** IDX only: the labels file that goes with the `data` images. */
  labels?: string;
  /** CSV label column (default: the last column). */
  labelColumn?: string;
  /** Load and validate the data and options, summarise them, and stop before training. */
  dryRun?: boolean;
  /** CSV and IDX data only: fraction held out for validation (default 0.2; 0 = none). */
  validationSplit?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Checkpoint directory; when absent nothing is written. */
  out?: string;
  /** Replace an existing `out` even if it is not a checkpoint directory (never /, home, cwd or the data). */
  force?: boolean;
  depth?: number;
  width?: number;
  dropout?: number;
  specNormBound?: number;
  randomFeatures?: number;
  ridge?: number;
  ensembleSize?: number;
  mcSamples?: number;
  meanFieldFactor?: number;
  /** SNGP: layer-normalise the hidden features before the random features (default false). */
  gpNormalizeInput?: boolean;
  /**
   * SNGP: kernel scale s (> 0; the GP input is multiplied by 1 / sqrt(s)), or 'auto' (default):
   * chosen from the training data at initialisation (see kernel-scale.ts).
   */
  gpKernelScale?: number | 'auto';
  /** SNGP: fit the mean-field factor and temperature on held-out data after training (default true). */
  calibrate?: boolean;
}

export interface ResolvedOptions {
  method: Method;
  data: string;
  labels: string | null;
  labelColumn: string | null;
  dryRun: boolean;
  validationSplit: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  out: string | null;
  depth: number;
  width: number;
  dropout: number;
  specNormBound: number;
  randomFeatures: number;
  ridge: number;
  ensembleSize: number;
  mcSamples: number;
  meanFieldFactor: number;
  gpNormalizeInput: boolean;
  gpKernelScale: number | 'auto';
  calibrate: boolean;
}

export const DEFAULT_TRAIN_OPTIONS = {
  method: 'sngp' as Method,
  data: 'moons',
  validationSplit: 0.2,
  epochs: 100,
  batchSize: 128,
  learningRate: 1e-4,
  seed: 0,
  depth: DEFAULT_HYPER_PARAMETERS.numLayers,
  width: DEFAULT_HYPER_PARAMETERS.hiddenDim,
  dropout: DEFAULT_HYPER_PARAMETERS.dropoutRate,
  specNormBound: DEFAULT_HYPER_PARAMETERS.specNormBound,
  randomFeatures: DEFAULT_HYPER_PARAMETERS.numRandomFeatures,
  ridge: DEFAULT_HYPER_PARAMETERS.ridge,
  ensembleSize: DEFAULT_HYPER_PARAMETERS.ensembleSize,
  mcSamples: DEFAULT_HYPER_PARAMETERS.mcSamples,
  meanFieldFactor: DEFAULT_HYPER_PARAMETERS.meanFieldFactor,
  gpNormalizeInput: false,
  gpKernelScale: 'auto' as const,
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
  const positive: Check = (v) => v > 0;
  const posInt: Check = (v) => isInt(v) && v > 0;
  return {
    method,
    data,
    labels: o.labels ?? null,
    labelColumn: o.labelColumn ?? null,
    dryRun: o.dryRun === true,
    validationSplit: num('validationSplit', o.validationSplit, D.validationSplit, (v) => v >= 0 && v < 1, 'a fraction in [0, 1)'),
    epochs: num('epochs', o.epochs, D.epochs, posInt, 'a positive integer'),
    batchSize: num('batchSize', o.batchSize, D.batchSize, posInt, 'a positive integer'),
    learningRate: num('learningRate', o.learningRate, D.learningRate, positive, 'a positive number'),
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
  };
}
