/**
 * Training data: the two-moons sets (fixed data seed, so every method and every seed trains and is
 * tested on the same points, and other tools can regenerate them with `twoMoons()`), or a CSV file
 * split into train / validation and standardised with the training split's statistics.
 */
import {
  type Dataset,
  MOONS_DEFAULTS,
  type Rng,
  SngpError,
  type Standardization,
  applyStandardization,
  fitStandardization,
  trainValidationSplit,
  twoMoons,
} from '@sngp/core';
import { loadCsvFile } from '@sngp/core/node';
import type { ResolvedOptions } from './options.js';

export interface TrainingData {
  /** What the network trains on (already standardised). */
  train: Dataset;
  /** CSV validation split (standardised), if any. */
  validation: Dataset | null;
  /** Two moons: the held-out test draw. */
  test: Dataset | null;
  standardization: Standardization | null;
  classes: string[];
  featureNames: string[];
}

/** The seed of the two-moons data (independent of the training seed). */
export const MOONS_DATA_SEED = MOONS_DEFAULTS.seed;

export function loadTrainingData(opts: ResolvedOptions, splitRng: Rng): TrainingData {
  if (opts.data === 'moons') {
    const { train, test } = twoMoons(MOONS_DATA_SEED);
    return {
      train,
      validation: null,
      test,
      standardization: null,
      classes: [...train.classes],
      featureNames: [...train.featureNames],
    };
  }
  const ds = loadCsvFile(opts.data, opts.labelColumn ? { labelColumn: opts.labelColumn } : {});
  const labelName = opts.labelColumn ?? 'the last column';
  if (ds.classes.length < 2)
    throw new SngpError(
      `${opts.data}: label column ${opts.labelColumn ? `"${labelName}"` : `(${labelName})`} has a single class "${ds.classes[0]}"; need at least 2`,
    );
  let train = ds;
  let validation: Dataset | null = null;
  if (opts.validationSplit > 0) ({ train, validation } = trainValidationSplit(ds, opts.validationSplit, splitRng));
  const s = fitStandardization(train);
  const standardize = (d: Dataset): Dataset => ({ ...d, x: applyStandardization(d.x, d.d, s) });
  return {
    train: standardize(train),
    validation: validation && standardize(validation),
    test: null,
    standardization: s,
    classes: [...ds.classes],
    featureNames: [...ds.featureNames],
  };
}

/** Checks that need the data: run before any training. */
export function validateAgainstData(opts: ResolvedOptions, data: TrainingData): void {
  if (opts.batchSize > data.train.n)
    throw new SngpError(
      `--batch-size ${opts.batchSize} is larger than the training data (${data.train.n} rows${data.validation ? ` after holding out ${data.validation.n} for validation` : ''})`,
    );
}
