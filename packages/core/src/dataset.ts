import { SngpError } from './errors.js';

/** A labelled (or unlabelled) table of float features, row-major. */
export interface Dataset {
  /** Row-major features, `n * d` values. */
  readonly x: Float32Array;
  /** Class index per row (into `classes`); absent for unlabelled data such as the grid or OOD set. */
  readonly y?: Int32Array;
  /** Rows N. */
  readonly n: number;
  /** Features per row D. */
  readonly d: number;
  /** Name of each feature column, `d` of them (e.g. CSV header names, `pixel_<r>_<c>` for IDX images). */
  readonly featureNames: readonly string[];
  /** Class names, indexed by the values of `y` (e.g. ["0", "1"] for two moons, CSV label strings). */
  readonly classes: readonly string[];
}

/**
 * Rows `idx` of a data set, as a new data set (copied; names and classes shared).
 * @param ds - the source data set.
 * @param idx - row indices into `ds`, each in [0, ds.n); repeats allowed; the order is kept.
 * @returns a data set of `idx.length` rows, with labels when `ds` has them.
 * @throws RangeError if the copy cannot be allocated (too many rows for a typed array).
 */
export function subset(ds: Dataset, idx: ArrayLike<number>): Dataset {
  const x = new Float32Array(idx.length * ds.d);
  const y = ds.y ? new Int32Array(idx.length) : undefined;
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    x.set(ds.x.subarray(r * ds.d, (r + 1) * ds.d), i * ds.d);
    if (y && ds.y) y[i] = ds.y[r];
  }
  return { ...ds, x, y, n: idx.length };
}

/** Per-feature mean and standard deviation (std 1 for constant columns, so scaling is safe). */
export interface Standardization {
  /** Mean of each feature, `d` values, in the features' own units. */
  mean: number[];
  /** Population standard deviation (divided by N) of each feature, `d` values; 1 where it is below 1e-12. */
  std: number[];
}

/**
 * Fit the per-feature mean and std of a data set (two passes, float64 sums).
 * @param ds - the data to fit, usually the training split (its labels are ignored).
 * @returns `d` means and `d` standard deviations (std 1 for a constant column).
 */
export function fitStandardization(ds: Dataset): Standardization {
  const mean = new Array<number>(ds.d).fill(0);
  const std = new Array<number>(ds.d).fill(0);
  for (let i = 0; i < ds.n; i++) for (let j = 0; j < ds.d; j++) mean[j] += ds.x[i * ds.d + j];
  for (let j = 0; j < ds.d; j++) mean[j] /= ds.n;
  for (let i = 0; i < ds.n; i++)
    for (let j = 0; j < ds.d; j++) std[j] += (ds.x[i * ds.d + j] - mean[j]) ** 2;
  for (let j = 0; j < ds.d; j++) {
    const s = Math.sqrt(std[j] / ds.n);
    std[j] = s > 1e-12 ? s : 1;
  }
  return { mean, std };
}

/**
 * `(x - mean) / std` per feature, into a new array, or into `out` (which may be `x` itself, so a
 * large data set is standardised without a second copy).
 * @param x - features, row-major [N, d].
 * @param d - features per row; `x.length` should be a multiple of it.
 * @param s - the means and standard deviations to apply (`d` each), e.g. from {@link fitStandardization}.
 * @param out - where to write, at least `x.length` values; default: a new Float32Array.
 * @returns `out`, holding the standardised features [N, d].
 */
export function applyStandardization(
  x: Float32Array,
  d: number,
  s: Standardization,
  out: Float32Array = new Float32Array(x.length),
): Float32Array {
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - s.mean[i % d]) / s.std[i % d];
  return out;
}

/**
 * Deterministic train / validation split: rows shuffled with `rng`, the first
 * `round(n * validationFraction)` of the permutation held out (see {@link splitSizes}).
 * @param ds - the labelled data set to split.
 * @param validationFraction - share of the rows held out for validation, in (0, 1).
 * @param rng - source of the shuffle (e.g. a seeded {@link Rng}); the same seed gives the same split.
 * @returns both splits as new data sets (copies of the rows).
 * @throws SngpError if either split would be empty, or a second copy of the rows does not fit in memory.
 */
export function trainValidationSplit(
  ds: Dataset,
  validationFraction: number,
  rng: { permutation(n: number): Int32Array },
): {
  /** The rows left for training. */
  train: Dataset;
  /** The held-out rows. */
  validation: Dataset;
} {
  const nVal = splitSizes(ds.n, validationFraction).validation;
  if (nVal < 1 || ds.n - nVal < 1)
    throw new SngpError(`cannot split ${ds.n} rows into train and validation (fraction ${validationFraction})`);
  const perm = rng.permutation(ds.n);
  try {
    return { validation: subset(ds, perm.subarray(0, nVal)), train: subset(ds, perm.subarray(nVal)) };
  } catch (e) {
    // The split copies the rows once more: name the size rather than fail with a bare RangeError.
    if (e instanceof RangeError)
      throw new SngpError(
        `cannot hold a second copy of ${ds.n} rows x ${ds.d} features (${formatBytes(datasetBytes(ds.n, ds.d))}) for the train/validation split (${e.message}); use fewer rows, or --validation-split 0`,
      );
    throw e;
  }
}

/**
 * Rows per split for a validation fraction (the sizes {@link trainValidationSplit} produces).
 * @param n - rows in the data set.
 * @param validationFraction - share held out for validation, in [0, 1].
 * @returns the row counts of each split; either may be 0 (no error here).
 */
export function splitSizes(n: number, validationFraction: number): {
  /** Rows left for training: `n - validation`. */
  train: number;
  /** Rows held out: `round(n * validationFraction)`. */
  validation: number;
} {
  const validation = Math.round(n * validationFraction);
  return { train: n - validation, validation };
}

/**
 * Rows per class; labels outside [0, numClasses) are ignored.
 * @param y - class index of each row, [N].
 * @param numClasses - number of classes K.
 * @returns `counts`, K values: `counts[c]` is the number of rows labelled c.
 */
export function classCounts(y: Int32Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < y.length; i++) {
    const c = y[i];
    if (c >= 0 && c < numClasses) counts[c]++;
  }
  return counts;
}

/**
 * Bytes as a short human string (binary units: 1 MB = 2^20 bytes).
 * @param bytes - a byte count, >= 0.
 * @returns e.g. "512 bytes", "1.5 KB", "3.0 GB" (one decimal above 1 KB, largest unit TB).
 */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} bytes` : `${v.toFixed(1)} ${units[u]}`;
}

/**
 * Bytes a data set of `rows` x `features` takes in memory: float32 features plus int32 labels.
 * @param rows - rows N.
 * @param features - features per row D.
 * @returns `4 * N * D + 4 * N` bytes.
 */
export function datasetBytes(rows: number, features: number): number {
  return rows * features * 4 + rows * 4;
}

/**
 * Allocate the float32 feature and int32 label arrays of `rows` x `features`, or throw an
 * SngpError naming the size when it cannot fit: above `maxBytes` (e.g. this machine's available
 * memory), or above what a typed array can hold.
 * @param source - names the data in error messages (e.g. the file path).
 * @param rows - rows N to allocate.
 * @param features - features per row D.
 * @param maxBytes - most bytes features + labels may take ({@link datasetBytes}); default: no limit.
 * @returns zero-filled arrays.
 * @throws SngpError if the arrays exceed `maxBytes` or what one typed array can hold; the message
 *   names rows, features and bytes, and suggests fewer rows or more memory.
 */
export function allocateRows(
  source: string,
  rows: number,
  features: number,
  maxBytes = Infinity,
): {
  /** Features, row-major [rows, features], float32. */
  x: Float32Array;
  /** One class index per row, [rows], int32. */
  y: Int32Array;
} {
  const bytes = datasetBytes(rows, features);
  const size = `${rows} rows x ${features} features x 4 bytes = ${formatBytes(rows * features * 4)} of float32 features (${formatBytes(bytes)} with labels)`;
  const fix = 'use a sample of the data (fewer rows) or a machine with more memory';
  if (bytes > maxBytes) throw new SngpError(`${source}: ${size} do not fit in the ${formatBytes(maxBytes)} of memory available; ${fix}`);
  try {
    return { x: new Float32Array(rows * features), y: new Int32Array(rows) };
  } catch (e) {
    if (e instanceof RangeError) throw new SngpError(`${source}: ${size} exceed what one typed array can hold (${e.message}); ${fix}`);
    throw e;
  }
}
