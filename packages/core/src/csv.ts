// csv-parse's browser build: works in Node too, and keeps this entry free of Node's Buffer.
import { parse } from 'csv-parse/browser/esm/sync';
import type { Dataset } from './dataset.js';
import { SngpError } from './errors.js';

export interface CsvOptions {
  /** Name of the label column; default: the last column. */
  labelColumn?: string;
  /** Name used in error messages (the file path). */
  source?: string;
  /**
   * Class names to map labels onto (e.g. those of a trained model); labels outside them are an
   * error. Default: the sorted distinct labels of this file.
   */
  classes?: readonly string[];
}

/**
 * Parse CSV text with a header row: numeric feature columns and one label column whose values may
 * be strings (they become class names, sorted; numeric labels sort numerically).
 */
export function parseCsv(text: string, opts: CsvOptions = {}): Dataset {
  const src = opts.source ?? 'CSV';
  if (text.trim() === '') throw new SngpError(`${src}: file is empty`);
  let rows: string[][];
  try {
    rows = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true });
  } catch (e) {
    throw new SngpError(`${src}: ${(e as Error).message}`);
  }
  const header = rows[0];
  const body = rows.slice(1);
  if (body.length === 0) throw new SngpError(`${src}: no data rows after the header`);
  const labelName = opts.labelColumn ?? header[header.length - 1];
  const labelIdx = header.indexOf(labelName);
  if (labelIdx < 0)
    throw new SngpError(`${src}: label column "${labelName}" not found (columns: ${header.join(', ')})`);
  if (header.length < 2) throw new SngpError(`${src}: need at least one feature column and a label column`);
  const featureNames = header.filter((_, j) => j !== labelIdx);
  const d = featureNames.length;
  const x = new Float32Array(body.length * d);
  const labels: string[] = [];
  body.forEach((row, i) => {
    const line = i + 2; // 1-based, after the header
    if (row.length !== header.length)
      throw new SngpError(`${src}: row ${line} has ${row.length} fields, expected ${header.length}`);
    let k = 0;
    row.forEach((cell, j) => {
      if (j === labelIdx) return;
      const v = cell === '' ? NaN : Number(cell);
      if (!Number.isFinite(v))
        throw new SngpError(`${src}: row ${line}, column "${header[j]}": expected a finite number, got "${cell}"`);
      x[i * d + k++] = v;
    });
    labels.push(row[labelIdx]);
  });
  const classes = opts.classes ?? sortLabels([...new Set(labels)]);
  const index = new Map(classes.map((c, i) => [c, i]));
  const y = new Int32Array(labels.length);
  labels.forEach((l, i) => {
    const c = index.get(l);
    if (c === undefined)
      throw new SngpError(`${src}: row ${i + 2}: label "${l}" is not one of the classes [${classes.join(', ')}]`);
    y[i] = c;
  });
  return { x, y, n: body.length, d, featureNames, classes };
}

function sortLabels(labels: string[]): string[] {
  const numeric = labels.every((l) => l !== '' && Number.isFinite(Number(l)));
  return numeric ? labels.sort((a, b) => Number(a) - Number(b)) : labels.sort();
}
