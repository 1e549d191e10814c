/**
 * Training data: the two-moons sets (fixed data seed, so every method and every seed trains and is
 * tested on the same points, and other tools can regenerate them with `twoMoons()`), a CSV file,
 * or IDX images + labels (MNIST format), split into train / validation and standardised with the
 * training split's statistics. Files are streamed into typed arrays (core's loaders); the split
 * and the standardisation are done so that at most two copies of the features exist at a time.
 */
import {
  type Dataset,
  type Preprocessing,
  type TableLayout,
  describePreprocessing,
  encodeTable,
  encodedFeatureNames,
  fitPreprocessing,
  MOONS_DEFAULTS,
  type Rng,
  SngpError,
  type Standardization,
  applyStandardization,
  classCounts,
  datasetBytes,
  fitStandardization,
  formatBytes,
  indicatorFeatures,
  isIdxPath,
  splitSizes,
  trainValidationSplit,
  twoMoons,
} from '@sngp/core';
import { loadIdxDataset, readCsvTable } from '@sngp/core/node';
import type { ResolvedOptions } from '../options.js';

/** The data a run trains and evaluates on. */
export interface TrainingData {
  /** What the network trains on (already standardised). */
  train: Dataset;
  /** CSV / IDX validation split (standardised), if any. */
  validation: Dataset | null;
  /** Two moons: the held-out test draw. */
  test: Dataset | null;
  /** CSV / IDX: mean and std fitted on the training split and applied to both splits; moons: null. */
  standardization: Standardization | null;
  /** Class names, indexed by the class indices of the data sets' `y`. */
  classes: string[];
  /** Name of each input feature, in column order (the encoded names when there is a preprocessing). */
  featureNames: string[];
  /**
   * CSV with text columns, missing cells or a column selection: how raw columns became the
   * features (fitted on the training split); absent or null for plain numeric data.
   */
  preprocessing?: Preprocessing | null;
}

/** Where the data comes from: the built-in two moons, a CSV file, or IDX images + labels. */
export type DataFormat = 'moons' | 'csv' | 'idx';

/** The data as loaded, before any split. */
export interface LoadedData {
  /** How `--data` was read. */
  format: DataFormat;
  /** Every labelled row (moons: the training draw). */
  dataset: Dataset;
  /** Two moons: the held-out test draw. */
  test: Dataset | null;
  /** Wall time of loading, seconds. */
  seconds: number;
  /**
   * CSV with text columns, missing cells or a column selection: how its columns were read (the
   * dataset then holds raw values and codes, encoded by {@link prepareTrainingData}); else null.
   */
  layout?: TableLayout | null;
}

/** What `--dry-run` reports about the data. */
export interface DataSummary {
  /** `--data`: "moons" or the file path. */
  data: string;
  /** `--labels` (IDX), else null. */
  labels: string | null;
  /** How `--data` was read. */
  format: DataFormat;
  /** Labelled rows loaded, before any split (moons: the training draw). */
  rows: number;
  /** Input features per row. */
  features: number;
  /** Every class with its number of rows, in class-index order. */
  classes: {
    /** Class name (the label as written in the file; "0", "1" for moons). */
    name: string;
    /** Rows of this class in the loaded data. */
    count: number;
  }[];
  /** Rows the network would train on. */
  trainRows: number;
  /** Rows held out by `--validation-split` (0 for moons or a split of 0). */
  validationRows: number;
  /** Two moons: rows of the held-out test draw; else 0. */
  testRows: number;
  /** Bytes of the loaded features (float32) and labels (int32) in memory. */
  bytes: number;
  /** Wall time of loading and validating, seconds. */
  loadSeconds: number;
  /** CSV with text, missing cells or a column selection: the preprocessing a run would fit; else null. */
  preprocessing: Preprocessing | null;
}

/** The seed of the two-moons data (independent of the training seed). */
export const MOONS_DATA_SEED = MOONS_DEFAULTS.seed;

/**
 * How `--data` is read: "moons", IDX by extension (.idx, -ubyte, each optionally .gz), else CSV.
 * @param data - the `--data` value: "moons" or a file path.
 * @returns the format; the file itself is not looked at.
 */
export function dataFormat(data: string): DataFormat {
  if (data === 'moons') return 'moons';
  return isIdxPath(data) ? 'idx' : 'csv';
}

/**
 * Load the data named by the options (streaming files) and check it has at least 2 classes.
 * `onProgress` sees the bytes of the file read so far.
 * @param opts - resolved options; uses `data`, `labels` (IDX) and `labelColumn` (CSV).
 * @param onProgress - called as a file is read with the bytes read and the file's size (for IDX,
 *   the images file, compressed bytes); never called for moons. Default: nothing is reported.
 * @param onWarning - receives one-line warnings (a CSV column left out because it is all
 *   missing). Default: none.
 * @returns every labelled row (moons: the training draw, plus the test draw), not yet split or
 *   standardised, with the wall time of loading.
 * @throws SngpError if IDX images come without `--labels`, the data has a single class, or the
 *   file cannot be read as CSV / IDX (see `readCsvFile` and `loadIdxDataset` of `@sngp/core/node`).
 */
export async function loadData(
  opts: ResolvedOptions,
  onProgress?: (bytesRead: number, bytesTotal: number) => void,
  onWarning?: (line: string) => void,
): Promise<LoadedData> {
  const started = performance.now();
  const format = dataFormat(opts.data);
  const seconds = (): number => (performance.now() - started) / 1000;
  if (format === 'moons') {
    const { train, test } = twoMoons(MOONS_DATA_SEED);
    return { format, dataset: train, test, seconds: seconds() };
  }
  let ds: Dataset;
  let layout: TableLayout | null = null;
  if (format === 'idx') {
    if (!opts.labels)
      throw new SngpError(`${opts.data}: IDX images need their labels: add --labels <file> (e.g. train-labels-idx1-ubyte.gz)`);
    ds = await loadIdxDataset(opts.data, opts.labels, { onProgress });
    if (ds.classes.length < 2)
      throw new SngpError(`${opts.labels}: every label is ${ds.classes[0]} (a single class); need at least 2`);
  } else {
    // Text columns, missing cells and --features / --ignore (layout null: plain numbers, read as before)
    const table = await readCsvTable(opts.data, {
      ...(opts.labelColumn ? { labelColumn: opts.labelColumn } : {}),
      ...(opts.features ? { features: opts.features } : {}),
      ...(opts.ignore.length ? { ignore: opts.ignore } : {}),
      onProgress,
      onWarning,
    });
    ds = table.dataset;
    layout = table.layout;
    const labelName = opts.labelColumn ?? 'the last column';
    if (ds.classes.length < 2)
      throw new SngpError(
        `${opts.data}: label column ${opts.labelColumn ? `"${labelName}"` : `(${labelName})`} has a single class "${ds.classes[0]}"; need at least 2`,
      );
  }
  return { format, dataset: ds, test: null, seconds: seconds(), layout };
}

/**
 * Train / validation row counts the options give (moons: no validation split).
 * @param opts - resolved options; uses `validationSplit`.
 * @param loaded - the loaded data (its format and row count).
 * @returns the row counts of the two splits; `validation` is 0 for moons or a split of 0.
 * @throws SngpError if `validationSplit` > 0 would leave either split empty.
 */
export function splitRows(
  opts: ResolvedOptions,
  loaded: LoadedData,
): {
  /** Rows the network trains on. */
  train: number;
  /** Rows held out for validation. */
  validation: number;
} {
  const n = loaded.dataset.n;
  if (loaded.format === 'moons' || opts.validationSplit === 0) return { train: n, validation: 0 };
  const s = splitSizes(n, opts.validationSplit);
  if (s.validation < 1 || s.train < 1)
    throw new SngpError(
      `--validation-split ${opts.validationSplit} cannot split ${n} rows into train and validation; use a fraction that leaves both non-empty, or 0 for none`,
    );
  return s;
}

/**
 * Split (when asked) and standardise loaded data for training. CSV / IDX features are
 * standardised in place (`loaded.dataset.x` changes when there is no split); moons data is used
 * as is.
 * @param opts - resolved options; uses `validationSplit`.
 * @param loaded - the data from {@link loadData}.
 * @param splitRng - shuffles the rows before the split (seeded, so a seed gives the same split).
 * @param onWarning - receives a warning for a column left out because it has no value in the
 *   training split (default: none).
 * @returns the training split and, for CSV / IDX with a split, the validation split, both
 *   standardised with the training split's statistics; for moons, the test draw.
 * @throws SngpError if the split would leave either part empty, or a copy of the rows for the split
 *   does not fit in memory.
 */
export function prepareTrainingData(
  opts: ResolvedOptions,
  loaded: LoadedData,
  splitRng: Rng,
  onWarning?: (line: string) => void,
): TrainingData {
  if (loaded.layout) return prepareTable(opts, loaded, loaded.layout, splitRng, onWarning);
  const ds = loaded.dataset;
  const classes = [...ds.classes];
  const featureNames = [...ds.featureNames];
  if (loaded.format === 'moons')
    return { train: ds, validation: null, test: loaded.test, standardization: null, classes, featureNames };
  splitRows(opts, loaded); // the split's own error message, before any copy
  let train = ds;
  let validation: Dataset | null = null;
  if (opts.validationSplit > 0) ({ train, validation } = trainValidationSplit(ds, opts.validationSplit, splitRng));
  return standardized(train, validation, { classes, featureNames });
}

/**
 * The splits standardised with the training split's statistics, in place: without a split the
 * arrays are the loader's own, with one (or after encoding) they are fresh copies, so nobody else
 * sees them change, and a large table is not copied a second time.
 *
 * A table's 0/1 indicator features (one-hot categories, missing indicators) keep their 0/1 values
 * (mean 0, std 1): standardising one multiplies it by 1 / sqrt(f (1 - f)) for a category of
 * frequency f, so a category seen in 1 of 160 rows becomes a jump of 12.6, rare categories dominate
 * every distance, and SNGP's distance-aware kernel (whose scale comes from neighbour distances)
 * turns so wide that it ignores the rest: on the Ljubljana table the auto kernel scale was 1,320
 * and SNGP predicted the majority class (test accuracy 0.651 vs the deterministic net's 0.744, seed
 * 0); with 0/1 indicators it is 256 and 0.744 vs 0.709 (seeds 0-3: SNGP 0.727, deterministic
 * 0.700 on average). 0/1 differences are on the scale of one standard deviation of a numeric column.
 */
function standardized(
  train: Dataset,
  validation: Dataset | null,
  rest: Pick<TrainingData, 'classes' | 'featureNames' | 'preprocessing'>,
): TrainingData {
  const s = fitStandardization(train);
  const indicators = rest.preprocessing ? indicatorFeatures(rest.preprocessing) : [];
  for (let j = 0; j < indicators.length; j++)
    if (indicators[j]) {
      s.mean[j] = 0;
      s.std[j] = 1;
    }
  const standardize = (d: Dataset): Dataset => ({ ...d, x: applyStandardization(d.x, d.d, s, d.x) });
  return { train: standardize(train), validation: validation && standardize(validation), test: null, standardization: s, ...rest };
}

/**
 * The split's row indices, drawn exactly as `trainValidationSplit` draws them (same permutation),
 * so a table gets the split a plain CSV of the same rows would.
 */
function splitIndices(n: number, fraction: number, rng: Rng): { train: Int32Array; validation: Int32Array | null } {
  if (fraction === 0) return { train: Int32Array.from({ length: n }, (_, i) => i), validation: null };
  const nVal = splitSizes(n, fraction).validation;
  const perm = rng.permutation(n);
  return { validation: perm.subarray(0, nVal), train: perm.subarray(nVal) };
}

/**
 * A table with a layout: split the rows, fit the preprocessing on the training split (medians,
 * missing indicators, vocabularies), encode both splits (straight from the raw rows, no copy of
 * them), then standardise the encoded features with the training split's statistics.
 */
function prepareTable(
  opts: ResolvedOptions,
  loaded: LoadedData,
  layout: TableLayout,
  splitRng: Rng,
  onWarning?: (line: string) => void,
): TrainingData {
  splitRows(opts, loaded);
  const raw = loaded.dataset;
  const idx = splitIndices(raw.n, opts.validationSplit, splitRng);
  const preprocessing = fitPreprocessing(raw, layout, idx.train, onWarning);
  const train = encodeTable(raw, layout, preprocessing, idx.train).dataset;
  const validation = idx.validation ? encodeTable(raw, layout, preprocessing, idx.validation).dataset : null;
  return standardized(train, validation, { classes: [...raw.classes], featureNames: [...train.featureNames], preprocessing });
}

/**
 * Load, split and standardise the training data (see {@link loadData}, {@link prepareTrainingData}).
 * @param opts - resolved options (data source, label column, validation split).
 * @param splitRng - shuffles the rows before the split.
 * @returns the data a run trains and evaluates on.
 * @throws SngpError for anything {@link loadData} or {@link prepareTrainingData} rejects.
 */
export async function loadTrainingData(opts: ResolvedOptions, splitRng: Rng): Promise<TrainingData> {
  return prepareTrainingData(opts, await loadData(opts), splitRng);
}

/** The batch size must fit in the training split. */
function checkBatchSize(opts: ResolvedOptions, trainRows: number, validationRows: number): void {
  if (opts.batchSize > trainRows)
    throw new SngpError(
      `--batch-size ${opts.batchSize} is larger than the training data (${trainRows} rows${validationRows ? ` after holding out ${validationRows} for validation` : ''})`,
    );
}

/**
 * Checks that need the data: run before any training.
 * @param opts - resolved options; uses `batchSize`.
 * @param data - the prepared training data.
 * @throws SngpError if `batchSize` is larger than the training split.
 */
export function validateAgainstData(opts: ResolvedOptions, data: TrainingData): void {
  checkBatchSize(opts, data.train.n, data.validation?.n ?? 0);
}

/**
 * Summary of loaded data under the options (split sizes, class counts, memory), validated like a
 * run (split sizes, batch size) but without copying or standardising anything.
 * @param opts - resolved options (data, labels, validation split, batch size).
 * @param loaded - the data from {@link loadData}; must be labelled.
 * @param splitRng - the run's split stream: with a table layout, the preprocessing is fitted on
 *   the training split it draws (as a run would); default: no preprocessing is fitted.
 * @returns what `--dry-run` reports.
 * @throws SngpError if the split would leave either part empty, or `batchSize` exceeds the
 *   training rows.
 */
export function summarizeData(opts: ResolvedOptions, loaded: LoadedData, splitRng?: Rng): DataSummary {
  const ds = loaded.dataset;
  const { train, validation } = splitRows(opts, loaded);
  checkBatchSize(opts, train, validation);
  const counts = classCounts(ds.y!, ds.classes.length);
  // The preprocessing a run would fit (same split: the seed's split stream)
  let preprocessing: Preprocessing | null = null;
  let features = ds.d;
  if (loaded.layout && splitRng) {
    const idx = splitIndices(ds.n, opts.validationSplit, splitRng);
    preprocessing = fitPreprocessing(ds, loaded.layout, idx.train);
    features = encodedFeatureNames(preprocessing).length;
  }
  return {
    data: opts.data,
    labels: opts.labels,
    format: loaded.format,
    rows: ds.n,
    features,
    classes: ds.classes.map((name, i) => ({ name, count: counts[i] })),
    trainRows: train,
    validationRows: validation,
    testRows: loaded.test?.n ?? 0,
    bytes: datasetBytes(ds.n, ds.d),
    loadSeconds: loaded.seconds,
    preprocessing,
  };
}

const int = (v: number): string => v.toLocaleString('en-US');

/**
 * The summary as a few aligned lines for a terminal (at most 12 classes listed).
 * @param s - a summary, e.g. `DryRunSummary.data` from {@link dryRun}.
 * @returns five lines (data, rows, classes, split, memory) joined by newlines, no trailing newline.
 */
export function formatDataSummary(s: DataSummary): string {
  const pct = (c: number): string => `${((100 * c) / s.rows).toFixed(1)}%`;
  const shown = s.classes.slice(0, 12).map((c) => `${c.name} ${int(c.count)} (${pct(c.count)})`);
  if (s.classes.length > 12) shown.push(`... ${s.classes.length - 12} more`);
  const source = s.labels ? `${s.data} + ${s.labels}` : s.data;
  const split =
    s.format === 'moons'
      ? `${int(s.trainRows)} train, ${int(s.testRows)} held-out test`
      : `${int(s.trainRows)} train / ${int(s.validationRows)} validation`;
  return [
    `data      ${source} (${s.format}), loaded in ${s.loadSeconds.toFixed(1)} s`,
    `rows      ${int(s.rows)} x ${int(s.features)} features, ${s.classes.length} classes`,
    `classes   ${shown.join(', ')}`,
    `split     ${split}`,
    `memory    ${formatBytes(s.bytes)} (float32 features ${formatBytes(s.bytes - s.rows * 4)} + int32 labels ${formatBytes(s.rows * 4)})`,
    ...(s.preprocessing ? [describePreprocessing(s.preprocessing)] : []),
  ].join('\n');
}
