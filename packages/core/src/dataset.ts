import { SngpError } from './errors.js';

/** A labelled (or unlabelled) table of float features, row-major. */
export interface Dataset {
  /** Row-major features, `n * d` values. */
  readonly x: Float32Array;
  /** Class index per row (into `classes`); absent for unlabelled data such as the grid or OOD set. */
  readonly y?: Int32Array;
  readonly n: number;
  readonly d: number;
  readonly featureNames: readonly string[];
  readonly classes: readonly string[];
}

/** Rows `idx` of a data set, as a new data set. */
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
  mean: number[];
  std: number[];
}

/** Fit the per-feature mean and std of a data set (two passes, float64 sums). */
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

/** Deterministic train / validation split (shuffled with the given rng). */
export function trainValidationSplit(
  ds: Dataset,
  validationFraction: number,
  rng: { permutation(n: number): Int32Array },
): { train: Dataset; validation: Dataset } {
  const nVal = splitSizes(ds.n, validationFraction).validation;
  if (nVal < 1 || ds.n - nVal < 1)
    throw new SngpError(`cannot split ${ds.n} rows into train and validation (fraction ${validationFraction})`);
  const perm = rng.permutation(ds.n);
  return { validation: subset(ds, perm.subarray(0, nVal)), train: subset(ds, perm.subarray(nVal)) };
}

/** Rows per split for a validation fraction (the sizes `trainValidationSplit` produces). */
export function splitSizes(n: number, validationFraction: number): { train: number; validation: number } {
  const validation = Math.round(n * validationFraction);
  return { train: n - validation, validation };
}

/** Rows per class (`counts[c]` for class index c); labels outside [0, numClasses) are ignored. */
export function classCounts(y: Int32Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < y.length; i++) {
    const c = y[i];
    if (c >= 0 && c < numClasses) counts[c]++;
  }
  return counts;
}

/** Bytes as a short human string (binary units: 1 MB = 2^20 bytes). */
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

/** Bytes a data set of `rows` x `features` takes in memory: float32 features plus int32 labels. */
export function datasetBytes(rows: number, features: number): number {
  return rows * features * 4 + rows * 4;
}

/**
 * Allocate the float32 feature and int32 label arrays of `rows` x `features`, or throw an
 * SngpError naming the size when it cannot fit: above `maxBytes` (e.g. this machine's available
 * memory), or above what a typed array can hold.
 */
export function allocateRows(
  source: string,
  rows: number,
  features: number,
  maxBytes = Infinity,
): { x: Float32Array; y: Int32Array } {
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
