/**
 * CSV tables: a header row, numeric feature columns and one label column whose values become
 * class names. One row-handling implementation (`CsvTableBuilder`, push-based) is fed by both the
 * browser-safe string parser here and the Node file streamer (`readCsvFile` in data-files.ts), so
 * both accept and reject exactly the same files. Row numbers in messages are file line numbers
 * (the header is row 1).
 */
// csv-parse's browser build: works in Node too, and keeps this entry free of Node's Buffer.
import { parse } from 'csv-parse/browser/esm/sync';
import { type Dataset, allocateRows } from './dataset.js';
import { SngpError } from './errors.js';

/** How {@link parseCsv} (and `readCsvFile` / `loadCsvFile` of `@sngp/core/node`) read a CSV table. */
export interface CsvOptions {
  /** Name of the label column, as written in the header row; default: the last column. */
  labelColumn?: string;
  /** Name used in error messages (the file path); default "CSV". */
  source?: string;
  /**
   * Class names to map labels onto (e.g. those of a trained model); labels outside them are an
   * error. Default: the sorted distinct labels of this file.
   */
  classes?: readonly string[];
}

/** Options of the row consumer beyond what users pass. */
export interface CsvTableOptions extends CsvOptions {
  /**
   * Data rows expected (e.g. counted from the line breaks of the file): the arrays are allocated
   * once at this size instead of grown. An over-estimate is trimmed at the end; an
   * under-estimate grows the arrays.
   */
  expectedRows?: number;
  /** Most bytes features + labels may take (e.g. the machine's free memory); default: no limit. */
  maxBytes?: number;
  /**
   * The feature columns, by header name, in this order (other columns but the label are skipped);
   * default: every column but the label, in file order. Used by the table loader (table.ts).
   */
  featureColumns?: readonly string[];
  /**
   * Turns a feature cell into its float value (NaN allowed, e.g. a missing cell or category
   * code); default: the strict finite-number check. Used by the table loader (table.ts).
   * @param cell - the cell text.
   * @param feature - index into the feature columns.
   * @param line - the file line, for messages.
   */
  cellParser?: (cell: string, feature: number, line: number) => number;
  /**
   * Called (and expected to throw) instead of the "expected a finite number" error, so the table
   * loader can fall back to its text- and missing-aware passes; default: the error is thrown.
   */
  onNonNumeric?: () => never;
}

/**
 * csv-parse options shared by every CSV reader: strip a UTF-8 BOM, trim cells, skip blank lines,
 * and let ragged rows through so the builder reports them with its own message.
 */
export const CSV_PARSE_OPTIONS = {
  /** Strip a UTF-8 byte-order mark at the start of the input (Excel writes one). */
  bom: true,
  /** Trim whitespace around each cell, so `1, 2` reads as `1` and `2`. */
  trim: true,
  /** Skip blank lines (a trailing newline, gaps between blocks of rows). */
  skip_empty_lines: true,
  /** Pass rows with the wrong number of fields to the builder, whose error names row and counts. */
  relax_column_count: true,
} as const;

/** Smallest capacity (rows) when the builder has no estimate. */
const MIN_ROWS = 1024;

/**
 * Push-based row consumer: give it the header, then each record with its line number; it fills
 * float32 features and small-int labels (each distinct label string stored once) as rows arrive,
 * and `finish()` returns the data set. Every user mistake is an `SngpError` naming the source,
 * row and column.
 */
export class CsvTableBuilder {
  private readonly src: string;
  private columns: string[] | null = null;
  private labelIdx = -1;
  /** Header index of each feature, in feature order. */
  private featureIdx: number[] = [];
  private d = 0;
  private capacity = 0;
  private x: Float32Array = new Float32Array(0);
  private y: Int32Array = new Int32Array(0);
  private n = 0;
  /** Label string -> provisional class index (order of first appearance, or `classes`). */
  private readonly labelIndex = new Map<string, number>();
  private readonly labelNames: string[] = [];

  /**
   * An empty builder, waiting for the header record.
   * @param opts - label column, source name for messages, fixed classes, expected rows and memory
   *   bound (see {@link CsvTableOptions}); default: last column is the label, source "CSV", classes
   *   from the data, no row estimate, no memory bound.
   */
  constructor(private readonly opts: CsvTableOptions = {}) {
    this.src = opts.source ?? 'CSV';
    if (opts.classes) opts.classes.forEach((c, i) => this.labelIndex.set(c, i));
  }

  /** Data rows consumed so far. */
  get rows(): number {
    return this.n;
  }

  /**
   * Feed one parsed record: the first one is the header, every later one a data row.
   * @param cells - the record's fields, as strings (already trimmed by the parser).
   * @param line - the record's 1-based line number in the file (the header is line 1), used in
   *   error messages.
   * @throws SngpError for a header with duplicate column names, a missing label column or fewer
   *   than 2 columns; for a data row with the wrong number of fields, a feature cell that is empty
   *   or not a finite number, an empty label, or a label outside the given `classes`; or when the
   *   growing arrays exceed `maxBytes` or what a typed array can hold.
   */
  record(cells: string[], line: number): void {
    if (this.columns === null) this.header(cells);
    else this.row(cells, line);
  }

  private header(cells: string[]): void {
    const src = this.src;
    // csv-parse strips a BOM at the start of the input; this catches one left by other feeders.
    const header = cells.map((c, j) => (j === 0 ? c.replace(/^\uFEFF/, '').trim() : c));
    const seen = new Map<string, number>();
    header.forEach((name, j) => {
      const first = seen.get(name);
      if (first !== undefined)
        throw new SngpError(
          `${src}: duplicate column name "${name}" (columns ${first + 1} and ${j + 1}); rename one of them in the header row`,
        );
      seen.set(name, j);
    });
    const labelName = this.opts.labelColumn ?? header[header.length - 1];
    const labelIdx = header.indexOf(labelName);
    if (labelIdx < 0)
      throw new SngpError(`${src}: label column "${labelName}" not found (columns: ${header.join(', ')})`);
    if (header.length < 2) throw new SngpError(`${src}: need at least one feature column and a label column`);
    this.columns = header;
    this.labelIdx = labelIdx;
    this.featureIdx = this.opts.featureColumns
      ? this.opts.featureColumns.map((name) => header.indexOf(name))
      : header.map((_, j) => j).filter((j) => j !== labelIdx);
    const absent = this.featureIdx.findIndex((j) => j < 0);
    if (absent >= 0) throw new SngpError(`${src}: column "${this.opts.featureColumns![absent]}" not found (columns: ${header.join(', ')})`);
    this.d = this.featureIdx.length;
    if (this.opts.expectedRows !== undefined) this.reserve(Math.max(1, this.opts.expectedRows));
  }

  /** Make room for `rows` rows (allocating or growing; the size check lives in `allocateRows`). */
  private reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const { x, y } = allocateRows(this.src, rows, this.d, this.opts.maxBytes);
    x.set(this.x.subarray(0, this.n * this.d));
    y.set(this.y.subarray(0, this.n));
    this.x = x;
    this.y = y;
    this.capacity = rows;
  }

  private row(cells: string[], line: number): void {
    const src = this.src;
    const header = this.columns!;
    if (cells.length !== header.length)
      throw new SngpError(
        `${src}: row ${line} has ${cells.length} fields, expected ${header.length}; quote cells that contain commas, or fix the row`,
      );
    if (this.n === this.capacity) this.reserve(Math.max(MIN_ROWS, Math.ceil(this.capacity * 1.5)));
    const labelIdx = this.labelIdx;
    let k = this.n * this.d;
    const parseCell = this.opts.cellParser;
    const features = this.featureIdx;
    for (let f = 0; f < features.length; f++) {
      const j = features[f];
      const cell = cells[j];
      if (parseCell) {
        this.x[k++] = parseCell(cell, f, line);
        continue;
      }
      const v = cell === '' ? NaN : Number(cell);
      if (!Number.isFinite(v) && this.opts.onNonNumeric) this.opts.onNonNumeric();
      if (!Number.isFinite(v))
        throw new SngpError(
          `${src}: row ${line}, column "${header[j]}": expected a finite number, got "${cell}"` +
            (cell === ''
              ? '; fill in or drop rows with missing values'
              : this.opts.labelColumn === undefined && this.n === 0 // a text column fails on the first row
                ? `; if "${header[j]}" holds the labels, name it with --label-column`
                : ''),
        );
      this.x[k++] = v;
    }
    const label = cells[labelIdx];
    let c = this.labelIndex.get(label);
    if (c === undefined) {
      if (label === '')
        throw new SngpError(`${src}: row ${line}: empty label in column "${header[labelIdx]}"; fill it in or drop the row`);
      if (this.opts.classes)
        throw new SngpError(`${src}: row ${line}: label "${label}" is not one of the classes [${this.opts.classes.join(', ')}]`);
      c = this.labelNames.length;
      this.labelIndex.set(label, c);
      this.labelNames.push(label);
    }
    this.y[this.n++] = c;
  }

  /**
   * The data set of every row fed so far. Classes are `classes` when given, else the distinct
   * labels sorted (numerically when every label is a number, else as strings).
   * @returns the table: float32 features [n, d] row-major (every column but the label, in file
   *   order), int32 class indices [n], feature names and class names.
   * @throws SngpError if no record was fed (empty file) or only the header was.
   */
  finish(): Dataset {
    const src = this.src;
    if (this.columns === null) throw new SngpError(`${src}: file is empty`);
    const n = this.n;
    const d = this.d;
    if (n === 0) throw new SngpError(`${src}: no data rows after the header`);
    let classes: string[];
    if (this.opts.classes) classes = [...this.opts.classes];
    else {
      classes = sortLabels([...this.labelNames]);
      const order = new Map(classes.map((name, i) => [name, i]));
      const remap = Int32Array.from(this.labelNames, (name) => order.get(name)!);
      for (let i = 0; i < n; i++) this.y[i] = remap[this.y[i]];
    }
    // An estimate from line breaks is exact or a few rows over (blank lines): keep a view then,
    // rather than a second copy of a large table; copy only when much was over-allocated.
    const slack = this.capacity - n;
    const x = slack > this.capacity / 16 ? this.x.slice(0, n * d) : this.x.subarray(0, n * d);
    const y = slack > this.capacity / 16 ? this.y.slice(0, n) : this.y.subarray(0, n);
    const featureNames = this.featureIdx.map((j) => this.columns![j]);
    return { x, y, n, d, featureNames, classes };
  }
}

/**
 * Estimate of the data rows of CSV text: its lines minus the header. Blank lines and quoted line
 * breaks make it an over-estimate; text whose lines end in a lone CR counts as one line (the
 * builder then grows its arrays).
 * @param lineBreaks - number of line feeds (`\n`) in the text.
 * @param endsWithLineBreak - whether the text's last character is a line feed (else the last line
 *   has none and counts once more).
 * @returns the estimated data rows, >= 0.
 */
export function estimateCsvRows(lineBreaks: number, endsWithLineBreak: boolean): number {
  return Math.max(0, lineBreaks + (endsWithLineBreak ? 0 : 1) - 1);
}

/**
 * Parse CSV text with a header row: numeric feature columns and one label column whose values may
 * be strings (they become class names, sorted; numeric labels sort numerically). Browser-safe;
 * in Node, `readCsvFile` from `@sngp/core/node` streams a file of any size instead.
 * @param text - the whole CSV text: a header row of column names, then one row per example,
 *   comma-separated (RFC 4180 quoting); a leading UTF-8 BOM, whitespace around cells and blank
 *   lines are ignored.
 * @param opts - label column (default: the last), source name for messages (default "CSV") and
 *   fixed class names (default: those of the file).
 * @returns the data set: float32 features [n, d] row-major, int32 class indices [n], feature names
 *   (the header minus the label column) and class names.
 * @throws SngpError if the text is empty or has no data rows, a column name repeats, the label
 *   column is missing, a row has the wrong number of fields, a feature is not a finite number, a
 *   label is empty or not one of `classes`, the quoting is malformed, or the table does not fit in
 *   one typed array; each message names the source, row and column.
 */
export function parseCsv(text: string, opts: CsvOptions = {}): Dataset {
  const src = opts.source ?? 'CSV';
  if (!/[^\s\uFEFF]/.test(text)) throw new SngpError(`${src}: file is empty`);
  let lineBreaks = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineBreaks++;
  const builder = new CsvTableBuilder({ ...opts, expectedRows: estimateCsvRows(lineBreaks, text.endsWith('\n')) });
  try {
    parse(text, {
      ...CSV_PARSE_OPTIONS,
      on_record: (record: string[], info: { lines: number }) => {
        builder.record(record, info.lines);
        return null; // consumed: csv-parse keeps nothing
      },
    });
  } catch (e) {
    throw toSngpError(e, src);
  }
  return builder.finish();
}

/**
 * Our own errors pass through; csv-parse's (unclosed quote, ...) get the source prefixed.
 * @param e - whatever a parser threw.
 * @param source - names the file in the message.
 * @returns an SngpError for SngpErrors and csv-parse errors (its CsvError, codes `CSV_*` and
 *   `INVALID_OPENING_QUOTE`), else the original
 *   error (non-Error values wrapped in an Error).
 */
export function toSngpError(e: unknown, source: string): Error {
  if (e instanceof SngpError) return e;
  // csv-parse's codes mostly start with CSV_, but not all (INVALID_OPENING_QUOTE): its class says it.
  const code = e instanceof Error && 'code' in e ? String((e as { code: unknown }).code) : '';
  if (e instanceof Error && (code.startsWith('CSV_') || (e.constructor?.name === 'CsvError' && code !== '')))
    return new SngpError(`${source}: ${e.message}${code === 'INVALID_OPENING_QUOTE' ? '; quote the whole cell ("...") and double any quote inside it' : ''}`);
  return e instanceof Error ? e : new Error(String(e));
}

function sortLabels(labels: string[]): string[] {
  const numeric = labels.every((l) => l !== '' && Number.isFinite(Number(l)));
  return numeric ? labels.sort((a, b) => Number(a) - Number(b)) : labels.sort();
}
