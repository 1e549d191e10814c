import { SngpError } from '@sngp/core';

/** Largest finite float32: larger doubles would become Infinity inside the model. */
const FLOAT32_MAX = 3.4028234663852886e38;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v)}`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return `${typeof v} ${String(v)}`;
}

function column(j: number, names: readonly string[]): string {
  return names[j] === undefined ? `column ${j}` : `column ${j} "${names[j]}"`;
}

/**
 * Turn the user's features into one row-major float32 matrix, or explain (row, column, expected vs
 * got) why not. Row and column indices are 0-based, as in `features[row][column]`.
 * @param features - number[][] or a flat Float32Array (used as is, not copied).
 * @param inputDim - values per row.
 * @param featureNames - column names for messages.
 * @param rows - row count of a flat input (default: length / inputDim).
 * @returns the matrix and its row count.
 * @throws SngpError for an empty input, a wrong width or row count, a non-number, a non-finite
 *   value or one outside the float32 range.
 */
export function toFeatureMatrix(
  features: unknown,
  inputDim: number,
  featureNames: readonly string[],
  rows?: number,
): { data: Float32Array; rows: number } {
  const names = featureNames.length ? ` (${featureNames.join(', ')})` : '';
  if (features instanceof Float32Array) {
    if (features.length === 0) throw new SngpError('features: empty input (no rows to predict)');
    let n = rows;
    if (n === undefined) {
      if (features.length % inputDim !== 0)
        throw new SngpError(
          `features: Float32Array length ${features.length} is not a multiple of the model's ${inputDim} features${names}`,
        );
      n = features.length / inputDim;
    } else {
      if (!Number.isInteger(n) || n <= 0) throw new SngpError(`options.rows: expected a positive integer, got ${n}`);
      if (n * inputDim !== features.length)
        throw new SngpError(
          `features: Float32Array length ${features.length} does not match rows ${n} x ${inputDim} features${names} = ${n * inputDim}`,
        );
    }
    for (let i = 0; i < features.length; i++) {
      if (!Number.isFinite(features[i])) {
        const r = Math.floor(i / inputDim);
        throw new SngpError(`features[${i}] (row ${r}, ${column(i % inputDim, featureNames)}): ${features[i]} is not a finite number`);
      }
    }
    return { data: features, rows: n };
  }
  if (!Array.isArray(features))
    throw new SngpError(`features: expected number[][] or Float32Array, got ${describe(features)}`);
  if (features.length === 0) throw new SngpError('features: empty input (no rows to predict)');
  if (rows !== undefined && rows !== features.length)
    throw new SngpError(`options.rows: ${rows} does not match the ${features.length} rows of features`);
  const n = features.length;
  const data = new Float32Array(n * inputDim);
  for (let i = 0; i < n; i++) {
    const row: unknown = features[i];
    if (!Array.isArray(row) && !ArrayBuffer.isView(row))
      throw new SngpError(`features[${i}]: expected an array of ${inputDim} numbers${names}, got ${describe(row)}`);
    const r = row as ArrayLike<unknown>;
    if (r.length !== inputDim)
      throw new SngpError(`features[${i}]: expected ${inputDim} values${names}, got ${r.length}`);
    for (let j = 0; j < inputDim; j++) {
      const v = r[j];
      if (typeof v !== 'number')
        throw new SngpError(`features[${i}][${j}] (${column(j, featureNames)}): expected a number, got ${describe(v)}`);
      if (!Number.isFinite(v))
        throw new SngpError(`features[${i}][${j}] (${column(j, featureNames)}): ${v} is not a finite number`);
      if (Math.abs(v) > FLOAT32_MAX)
        throw new SngpError(`features[${i}][${j}] (${column(j, featureNames)}): ${v} is outside the float32 range`);
      data[i * inputDim + j] = v;
    }
  }
  return { data, rows: n };
}

/**
 * Check an optional positive-integer option.
 * @param value - the option as given.
 * @param name - its name for the message, e.g. "options.batchSize".
 * @returns the value, or undefined if it was not given.
 * @throws SngpError if it is given and not a positive integer.
 */
export function positiveInt(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value <= 0) throw new SngpError(`${name}: expected a positive integer, got ${value}`);
  return value;
}
