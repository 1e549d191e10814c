/**
 * Tables as users hold them: CSV records with text columns, missing cells and columns to leave
 * out, loaded in at most three streaming passes over the records (each a {@link RecordFeed}):
 *
 * 1. the plain pass: today's strict numeric loader; a file of finite numbers (and no column
 *    selection) ends here, exactly as before, with no preprocessing;
 * 2. the profile pass (only when pass 1 met a text or missing cell, or columns are selected):
 *    per column, whether every non-missing cell is a number, its missing count and its distinct
 *    values (at most {@link MAX_CATEGORIES} + 1 kept), giving the {@link TableLayout};
 * 3. the fill pass: the same typed arrays as pass 1, holding raw values: numbers (NaN when
 *    missing) and category codes (index into the layout's categories; NaN when missing, -1 when
 *    unseen).
 *
 * The raw table is then encoded with a fitted {@link Preprocessing} (preprocessing.ts). Memory
 * stays at the float32 size of the raw table plus, once encoded, that of the encoded one.
 * Browser-safe: the file feed lives in data-files.ts.
 */
import { parse } from 'csv-parse/browser/esm/sync';
import { CSV_PARSE_OPTIONS, type CsvOptions, CsvTableBuilder, estimateCsvRows, toSngpError } from './csv.js';
import type { Dataset } from './dataset.js';
import { SngpError } from './errors.js';
import {
  type EncodingReport,
  IDENTIFIER_MIN_DISTINCT,
  type IgnoreReason,
  MAX_CATEGORIES,
  MAX_UNSEEN_REPORTED,
  MISSING_INDICATOR_SUFFIX,
  MISSING_SPELLINGS,
  PREPROCESSING_VERSION,
  type Preprocessing,
  encodedFeatureNames,
  isMissingCell,
  parsePreprocessing,
} from './preprocessing.js';

/**
 * Something that feeds CSV records (string cells, header first) with their 1-based file line
 * numbers, once per call: csv-parse over a string, or over a file stream.
 * @param onRecord - receives each record; may throw to stop the feed.
 * @returns resolves once every record was fed.
 */
export type RecordFeed = (onRecord: (cells: string[], line: number) => void) => Promise<void>;

/** One raw feature column as the loader reads it. */
export interface TableColumn {
  /** Header name. */
  name: string;
  /** `numeric`: every non-missing training cell is a finite number; else `categorical`. */
  kind: 'numeric' | 'categorical';
  /** Categorical: the distinct values, sorted; their index is the raw code. Numeric: []. */
  categories: string[];
}

/** A column that is not a feature, and why. */
export interface IgnoredColumn {
  /** Header name. */
  name: string;
  /** Why it was left out. */
  reason: IgnoreReason;
}

/** How a table's columns are read: the raw feature columns in order, and those left out. */
export interface TableLayout {
  /** Raw feature columns, in feature order. */
  columns: TableColumn[];
  /** Columns left out (neither features nor the label). */
  ignored: IgnoredColumn[];
  /** The label column's name. */
  labelColumn: string;
}

/** Options of {@link loadTable}, beyond those of the CSV reader. */
export interface TableOptions extends CsvOptions {
  /** `--features`: only these columns are features, in this order. */
  features?: readonly string[];
  /** `--ignore`: these columns are not features. */
  ignore?: readonly string[];
  /** Data rows expected (see {@link CsvTableBuilder}); default: grown as needed. */
  expectedRows?: number;
  /** Most bytes the raw features + labels may take; default: no limit. */
  maxBytes?: number;
  /**
   * Receives one-line warnings (a column left out because it is all missing). Default: none.
   * @param msg - the warning, starting with "warning:".
   */
  onWarning?: (msg: string) => void;
}

/** A loaded table: plain numeric (layout null) or raw values with their layout. */
export interface LoadedTable {
  /**
   * The rows. Layout null: plain float features as `parseCsv` gives them. Otherwise raw values:
   * numeric columns as numbers (NaN = missing), categorical ones as category codes (NaN = missing).
   */
  dataset: Dataset;
  /** How the columns were read; null for a plain numeric table (no preprocessing needed). */
  layout: TableLayout | null;
}

/** Thrown by the plain pass to fall back to the profile and fill passes (never escapes). */
class NeedsLayout extends Error {}

/**
 * Load a table: a plain numeric CSV exactly as `parseCsv` reads it (layout null), or one with
 * text columns, missing cells or a column selection as raw values with their layout.
 * @param feed - feeds the records; called once per pass (up to three times).
 * @param opts - label column, fixed classes, `features` / `ignore`, source name, row estimate and
 *   memory bound.
 * @returns the table and its layout.
 * @throws SngpError as `parseCsv` does (ragged rows, bad labels, ...), and for: an unknown name in
 *   `features` / `ignore` (listing the columns), the label among them, a text column with too many
 *   distinct values (suggesting `--ignore`), or no feature column left.
 */
export async function loadTable(feed: RecordFeed, opts: TableOptions = {}): Promise<LoadedTable> {
  const src = opts.source ?? 'CSV';
  if (!opts.features && !opts.ignore) {
    const builder = new CsvTableBuilder({ ...opts, onNonNumeric: () => { throw new NeedsLayout(); } });
    try {
      await feed((cells, line) => builder.record(cells, line));
      return { dataset: builder.finish(), layout: null };
    } catch (e) {
      if (!(e instanceof NeedsLayout)) throw e;
    }
  }
  const layout = await profileTable(feed, opts, src);
  return { dataset: await fillTable(feed, layout, opts), layout };
}

/** Per-column statistics of the profile pass. */
interface Profile {
  missing: number;
  present: number;
  numeric: boolean;
  distinct: Set<string>;
  overflow: boolean;
}

/** Pass 2: header checks, column selection, then kinds and categories from every data row. */
async function profileTable(feed: RecordFeed, opts: TableOptions, src: string): Promise<TableLayout> {
  let header: string[] | null = null;
  let label = '';
  let selected: number[] = [];
  let profiles: Profile[] = [];
  const ignored: IgnoredColumn[] = [];
  // The default label column (the last) is watched: many distinct numbers there suggest that the
  // labels are elsewhere (before text columns were features, that file failed with a hint).
  let labelAt = -1;
  const labels = new Set<string>();
  await feed((cells, line) => {
    if (header === null) {
      // The builder checks the header (BOM, duplicates, label column) with its usual messages.
      const check = new CsvTableBuilder(opts);
      check.record(cells, line);
      header = cells.map((c, j) => (j === 0 ? c.replace(/^\uFEFF/, '').trim() : c));
      label = opts.labelColumn ?? header[header.length - 1];
      selected = selectColumns(header, label, opts, src, ignored);
      profiles = selected.map(() => ({ missing: 0, present: 0, numeric: true, distinct: new Set(), overflow: false }));
      if (opts.labelColumn === undefined) labelAt = header.length - 1;
      return;
    }
    if (labelAt >= 0 && labels.size <= IDENTIFIER_MIN_DISTINCT && cells.length > labelAt) labels.add(cells[labelAt]);
    if (cells.length !== header.length)
      throw new SngpError(
        `${src}: row ${line} has ${cells.length} fields, expected ${header.length}; quote cells that contain commas, or fix the row`,
      );
    for (let f = 0; f < selected.length; f++) {
      const cell = cells[selected[f]];
      const p = profiles[f];
      if (isMissingCell(cell)) {
        p.missing++;
        continue;
      }
      p.present++;
      if (p.numeric && !Number.isFinite(Number(cell))) p.numeric = false;
      if (!p.overflow) {
        p.distinct.add(cell);
        if (p.distinct.size > MAX_CATEGORIES) p.overflow = true;
      }
    }
  });
  if (header === null) throw new SngpError(`${src}: file is empty`);
  const names = header as string[];
  const columns: TableColumn[] = [];
  selected.forEach((j, f) => {
    const p = profiles[f];
    const name = names[j];
    if (p.present === 0) {
      if (p.missing === 0) return; // no data rows: the fill pass reports it
      ignored.push({ name, reason: 'all-missing' });
      opts.onWarning?.(`warning: ${src}: column "${name}" is empty or missing in all ${p.missing} rows; left out (recorded as ignored)`);
      return;
    }
    if (p.numeric) {
      columns.push({ name, kind: 'numeric', categories: [] });
      return;
    }
    const distinct = p.distinct.size;
    const fix = `leave it out with --ignore ${name}${/\d/.test([...p.distinct][0] ?? '') ? ', or fix its non-numeric cells if it is a numeric column' : ''}`;
    if (p.overflow)
      throw new SngpError(`${src}: text column "${name}" has more than ${MAX_CATEGORIES} distinct values (the most a categorical column may have); ${fix}`);
    if (distinct > IDENTIFIER_MIN_DISTINCT && distinct > p.present / 2)
      throw new SngpError(
        `${src}: text column "${name}" has ${distinct} distinct values in ${p.present} rows (more than half distinct: an identifier or free text, not a category); ${fix}`,
      );
    columns.push({ name, kind: 'categorical', categories: [...p.distinct].sort() });
  });
  if (labelAt >= 0 && labels.size > IDENTIFIER_MIN_DISTINCT && [...labels].every((l) => Number.isFinite(Number(l))) && columns.some((c) => c.kind === 'categorical'))
    opts.onWarning?.(
      `warning: ${src}: the label column "${label}" (the last column) has more than ${IDENTIFIER_MIN_DISTINCT} distinct numbers; if the labels are in another column, name it with --label-column`,
    );
  if (columns.length === 0 && profiles.length > 0 && profiles.some((p) => p.present + p.missing > 0))
    throw new SngpError(`${src}: no feature column left (every selected column is all missing); check --features / --ignore`);
  return { columns, ignored, labelColumn: label };
}

/** The header indices of the feature columns under `--features` / `--ignore`; records the left-out ones. */
function selectColumns(header: string[], label: string, opts: TableOptions, src: string, ignored: IgnoredColumn[]): number[] {
  const check = (flag: string, list: readonly string[]): void => {
    for (const name of list) {
      if (!header.includes(name))
        throw new SngpError(`${src}: ${flag} names column "${name}", which is not in the file (columns: ${header.join(', ')})`);
      if (name === label)
        throw new SngpError(`${src}: ${flag} names "${name}", the label column; name another label column with --label-column, or drop it from ${flag}`);
    }
    const dup = list.find((n, i) => list.indexOf(n) !== i);
    if (dup !== undefined) throw new SngpError(`${src}: ${flag} names column "${dup}" twice`);
  };
  const ignore = opts.ignore ?? [];
  check('--ignore', ignore);
  if (opts.features) {
    check('--features', opts.features);
    if (opts.features.length === 0) throw new SngpError(`${src}: --features is empty; name at least one column (columns: ${header.join(', ')})`);
    const both = opts.features.find((n) => ignore.includes(n));
    if (both !== undefined) throw new SngpError(`${src}: column "${both}" is in both --features and --ignore; keep it in one`);
  }
  const features = opts.features ?? header.filter((n) => n !== label && !ignore.includes(n));
  for (const n of header)
    if (n !== label && !features.includes(n)) ignored.push({ name: n, reason: ignore.includes(n) ? 'ignored' : 'not-selected' });
  if (features.length === 0) throw new SngpError(`${src}: --ignore leaves no feature column (columns: ${header.join(', ')})`);
  return features.map((n) => header.indexOf(n));
}

/** Options of the raw cell parser: what a categorical value that is not in `categories` does. */
interface FillOptions {
  /** Count unseen categories (code -1) instead of treating them as a bug. */
  report?: EncodingReport;
}

/** Pass 3: raw values into the typed arrays, through the same builder as the plain pass. */
async function fillTable(
  feed: RecordFeed,
  layout: TableLayout,
  opts: TableOptions,
  fill: FillOptions = {},
): Promise<Dataset> {
  const src = opts.source ?? 'CSV';
  const index = layout.columns.map((c) => (c.kind === 'categorical' ? new Map(c.categories.map((v, i) => [v, i])) : null));
  const report = fill.report;
  const builder = new CsvTableBuilder({
    ...opts,
    // '' (readTableWith without a label column): the builder's default, the last column.
    labelColumn: layout.labelColumn || undefined,
    featureColumns: layout.columns.map((c) => c.name),
    cellParser: (cell, f, line) => {
      const col = layout.columns[f];
      if (isMissingCell(cell)) {
        if (report) report.missing[col.name] = (report.missing[col.name] ?? 0) + 1;
        return NaN;
      }
      if (col.kind === 'numeric') {
        const v = Number(cell);
        if (!Number.isFinite(v))
          throw new SngpError(
            `${src}: row ${line}, column "${col.name}": expected a number (the column is numeric in the training data), got "${cell.length > 40 ? cell.slice(0, 40) + '...' : cell}"; fix the cell, or leave it empty to impute it`,
          );
        return v;
      }
      const code = index[f]!.get(cell);
      if (code !== undefined) return code;
      if (!report) throw new Error(`bug: category "${cell}" of column "${col.name}" was not profiled`);
      report.unseenCounts[col.name] = (report.unseenCounts[col.name] ?? 0) + 1;
      if (report.unseen.length < MAX_UNSEEN_REPORTED) report.unseen.push({ row: line, column: col.name, value: cell });
      return -1;
    },
  });
  await feed((cells, line) => builder.record(cells, line));
  return builder.finish();
}

/**
 * Fit the preprocessing of a raw table on some of its rows (the training split): the median of
 * each numeric column over those rows' non-missing values, a missing indicator for each column
 * with a missing value among them, and each categorical column's vocabulary (the categories that
 * occur in those rows, sorted). A column with no value in those rows is left out (`all-missing`).
 * @param ds - the raw table (from {@link loadTable} with a layout).
 * @param layout - its layout.
 * @param rows - the row indices to fit on; default: every row.
 * @param onWarning - receives a warning for each column left out here (default: none).
 * @returns the preprocessing, validated.
 * @throws SngpError if no feature column is left, or encoded feature names collide (naming them).
 */
export function fitPreprocessing(
  ds: Dataset,
  layout: TableLayout,
  rows?: ArrayLike<number>,
  onWarning?: (msg: string) => void,
): Preprocessing {
  const n = rows ? rows.length : ds.n;
  const d = ds.d;
  const columns: Preprocessing['columns'] = [];
  const ignored = layout.ignored.map((c) => ({ ...c }));
  const values = new Float64Array(n);
  layout.columns.forEach((col, j) => {
    let present = 0;
    let missing = 0;
    const seen = col.kind === 'categorical' ? new Uint8Array(col.categories.length) : null;
    for (let i = 0; i < n; i++) {
      const v = ds.x[(rows ? rows[i] : i) * d + j];
      if (Number.isNaN(v) || (seen !== null && v < 0)) {
        missing++;
        continue;
      }
      if (seen) seen[v] = 1;
      else values[present] = v;
      present++;
    }
    if (present === 0) {
      ignored.push({ name: col.name, reason: 'all-missing' });
      onWarning?.(`warning: column "${col.name}" has no value in the ${n} training rows; left out (recorded as ignored)`);
      return;
    }
    if (seen) {
      columns.push({ name: col.name, kind: 'categorical', vocabulary: col.categories.filter((_, k) => seen[k]), missingIndicator: missing > 0 });
    } else {
      const sorted = values.subarray(0, present).sort();
      const mid = present >> 1;
      // Float32 values: their mean of two is exact in float64; stored as float32 like the data.
      const median = present % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
      columns.push({ name: col.name, kind: 'numeric', impute: Math.fround(median), missingIndicator: missing > 0 });
    }
  });
  if (columns.length === 0) throw new SngpError('no feature column has a value in the training rows; check the data or --features / --ignore');
  const names = encodedFeatureNames({ columns });
  const dup = names.find((s, i) => names.indexOf(s) !== i);
  if (dup !== undefined)
    throw new SngpError(
      `encoded feature name "${dup}" occurs twice (one-hot features are <column>=<category>, indicators <column>${MISSING_INDICATOR_SUFFIX}); rename the column it comes from`,
    );
  return parsePreprocessing({
    version: PREPROCESSING_VERSION,
    columns,
    ignored,
    labelColumn: layout.labelColumn,
    missingValues: [...MISSING_SPELLINGS],
    unseenCategory: 'missing',
  });
}

/**
 * Encode rows of a raw table with a preprocessing: its raw values (numbers, NaN, category codes
 * into the layout's categories) become the encoded features (see `encodeRawRows`).
 * @param ds - the raw table.
 * @param layout - its layout (the codes index its categories).
 * @param p - the preprocessing (its vocabularies may be a subset of the layout's categories;
 *   other categories are unseen, encoded as missing and counted in the report).
 * @param rows - row indices to encode, in this order; default: every row.
 * @returns a data set of encoded features (names from {@link encodedFeatureNames}, labels of the
 *   chosen rows) and what was missing or unseen.
 * @throws SngpError if a preprocessing column is not in the layout.
 */
export function encodeTable(
  ds: Dataset,
  layout: TableLayout,
  p: Preprocessing,
  rows?: ArrayLike<number>,
): {
  /** The encoded rows. */
  dataset: Dataset;
  /** Missing cells and unseen categories met in these rows. */
  report: EncodingReport;
} {
  const n = rows ? rows.length : ds.n;
  const featureNames = encodedFeatureNames(p);
  const width = featureNames.length;
  const x = new Float32Array(n * width);
  const y = ds.y ? new Int32Array(n) : undefined;
  const report: EncodingReport = { missing: {}, unseenCounts: {}, unseen: [] };
  // Per preprocessing column: its raw column index and, for categories, raw code -> vocabulary index.
  let offset = 0;
  const plan = p.columns.map((c) => {
    const j = layout.columns.findIndex((l) => l.name === c.name);
    if (j < 0) throw new SngpError(`column "${c.name}" of the preprocessing is not in the table`);
    const remap =
      c.kind === 'categorical' ? Int32Array.from(layout.columns[j].categories, (v) => c.vocabulary.indexOf(v)) : null;
    const width = (c.kind === 'numeric' ? 1 : c.vocabulary.length) + (c.missingIndicator ? 1 : 0);
    const entry = { c, j, remap, offset, width };
    offset += width;
    return entry;
  });
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i] : i;
    if (y) y[i] = ds.y![r];
    const base = i * width;
    for (const { c, j, remap, offset: o, width: w } of plan) {
      const v = ds.x[r * ds.d + j];
      let missing = Number.isNaN(v);
      if (missing) report.missing[c.name] = (report.missing[c.name] ?? 0) + 1;
      if (c.kind === 'numeric') x[base + o] = missing ? c.impute : v;
      else if (!missing) {
        const k = v >= 0 ? remap![v] : -1;
        if (k >= 0) x[base + o + k] = 1;
        else {
          missing = true;
          // Code -1 was counted by the fill pass (with its line); a category outside the vocabulary is counted here.
          if (v >= 0) {
            report.unseenCounts[c.name] = (report.unseenCounts[c.name] ?? 0) + 1;
            if (report.unseen.length < MAX_UNSEEN_REPORTED) report.unseen.push({ row: r, column: c.name, value: layout.columns[j].categories[v] });
          }
        }
      }
      if (missing && c.missingIndicator) x[base + o + w - 1] = 1;
    }
  }
  return { dataset: { x, y, n, d: width, featureNames, classes: ds.classes }, report };
}

/**
 * The layout that reads a table through a trained model's preprocessing: its columns with their
 * kinds and vocabularies (category codes index the vocabulary).
 * @param p - the model's preprocessing.
 * @param labelColumn - the label column of the file being read.
 * @returns the layout.
 */
export function layoutOf(p: Preprocessing, labelColumn: string): TableLayout {
  return {
    columns: p.columns.map((c) => ({ name: c.name, kind: c.kind, categories: c.kind === 'categorical' ? [...c.vocabulary] : [] })),
    ignored: p.ignored.map((c) => ({ ...c })),
    labelColumn,
  };
}

/**
 * Read a table through a trained model's preprocessing, in one pass: numeric columns must hold
 * numbers (or missing cells), categorical values outside the vocabulary are unseen (counted and
 * encoded as missing). Other columns of the file are skipped.
 * @param feed - feeds the records once.
 * @param p - the model's preprocessing.
 * @param opts - label column (default: the last column; a placeholder column may be fed for
 *   unlabelled data), fixed classes, source, row estimate, memory bound.
 * @returns the encoded rows and what was missing or unseen (unseen rows are file lines).
 * @throws SngpError naming file, row, column and value for text in a numeric column; a model
 *   column absent from the file; and the CSV reader's errors.
 */
export async function readTableWith(
  feed: RecordFeed,
  p: Preprocessing,
  opts: TableOptions = {},
): Promise<{
  /** The encoded rows. */
  dataset: Dataset;
  /** Missing cells and unseen categories met. */
  report: EncodingReport;
}> {
  const layout = layoutOf(p, opts.labelColumn ?? '');
  const report: EncodingReport = { missing: {}, unseenCounts: {}, unseen: [] };
  const raw = await fillTable(feed, layout, opts, { report });
  const encoded = encodeTable(raw, layout, p);
  return { dataset: encoded.dataset, report };
}

/**
 * A {@link RecordFeed} over CSV text (csv-parse, the options every reader shares).
 * @param text - the whole CSV text.
 * @param source - names the text in csv-parse's errors (quoting).
 * @returns the feed; each call parses the text again.
 */
export function textFeed(text: string, source = 'CSV'): RecordFeed {
  return async (onRecord) => {
    try {
      parse(text, {
        ...CSV_PARSE_OPTIONS,
        on_record: (record: string[], info: { lines: number }) => {
          onRecord(record, info.lines);
          return null;
        },
      });
    } catch (e) {
      throw toSngpError(e, source);
    }
  };
}

/**
 * Parse CSV text with text columns, missing cells and column selection (browser-safe; see
 * {@link loadTable}). In Node, `readCsvTable` of `@sngp/core/node` streams a file instead.
 * @param text - the CSV text (see `parseCsv` for the format).
 * @param opts - label column, fixed classes, `features` / `ignore`, source name.
 * @returns the table and its layout (null for a plain numeric table).
 * @throws SngpError as {@link loadTable} does, and for empty text.
 */
export async function parseCsvTable(text: string, opts: TableOptions = {}): Promise<LoadedTable> {
  const src = opts.source ?? 'CSV';
  if (!/[^\s\uFEFF]/.test(text)) throw new SngpError(`${src}: file is empty`);
  let lineBreaks = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineBreaks++;
  return loadTable(textFeed(text, src), { ...opts, expectedRows: estimateCsvRows(lineBreaks, text.endsWith('\n')) });
}
