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

export function applyStandardization(x: Float32Array, d: number, s: Standardization): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - s.mean[i % d]) / s.std[i % d];
  return out;
}

/** Deterministic train / validation split (shuffled with the given rng). */
export function trainValidationSplit(
  ds: Dataset,
  validationFraction: number,
  rng: { permutation(n: number): Int32Array },
): { train: Dataset; validation: Dataset } {
  const nVal = Math.round(ds.n * validationFraction);
  if (nVal < 1 || ds.n - nVal < 1)
    throw new SngpError(`cannot split ${ds.n} rows into train and validation (fraction ${validationFraction})`);
  const perm = rng.permutation(ds.n);
  return { validation: subset(ds, perm.subarray(0, nVal)), train: subset(ds, perm.subarray(nVal)) };
}
