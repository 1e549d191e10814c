/**
 * The input preprocessing contract (issue #20): how raw table columns (numbers, text, missing
 * cells) become the encoded float features the network and the ONNX graph take. Training fits it
 * (medians and missing indicators on the training split, vocabularies from the training data),
 * the checkpoint and the model card record it, and every reader (runtime `predict` with row
 * objects, sngp-eval's CSVs) encodes through {@link encodeRows} / {@link encodeRawRows} here, so all
 * of them encode the same way. Browser-safe: no Node APIs.
 */
import { z } from 'zod';
import { SngpError } from './errors.js';

/** Version of the preprocessing description (`preprocessing.version`); others are refused. */
export const PREPROCESSING_VERSION = 1;

/**
 * Cell spellings read as missing (compared after trimming, case-insensitively): the empty cell,
 * `NA`, `N/A`, `NaN`, `null`, `None` and `?`. In row objects, `null`, `undefined` and a NaN number
 * are missing too.
 */
export const MISSING_SPELLINGS: readonly string[] = ['', 'na', 'n/a', 'nan', 'null', 'none', '?'];

const MISSING = new Set(MISSING_SPELLINGS);

/**
 * Whether a cell is missing (see {@link MISSING_SPELLINGS}).
 * @param cell - the cell text (trimmed here as well).
 * @returns true for a missing spelling.
 */
export function isMissingCell(cell: string): boolean {
  // Longer cells cannot be a missing spelling (even padded): skip the lower-casing.
  return cell.length <= 12 && MISSING.has(cell.trim().toLowerCase());
}

/** Most distinct values a text column may have (more is an error suggesting `--ignore`). */
export const MAX_CATEGORIES = 100;
/**
 * A text column with more than this many distinct values that is also distinct in more than half
 * of its non-missing cells looks like an identifier (a name, an id): an error suggesting `--ignore`.
 */
export const IDENTIFIER_MIN_DISTINCT = 20;

/** Suffix of a missing-indicator feature: `age` gets `age_missing`. */
export const MISSING_INDICATOR_SUFFIX = '_missing';

/** Why a raw column is not a feature (`preprocessing.ignored[].reason`). */
export const IGNORE_REASONS = ['ignored', 'not-selected', 'all-missing'] as const;
/**
 * Why a column was left out: `ignored` (named by `--ignore`), `not-selected` (not in
 * `--features`), `all-missing` (no value in the training data; left out with a warning).
 */
export type IgnoreReason = (typeof IGNORE_REASONS)[number];

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** The zod schema of a numeric column of {@link Preprocessing}. */
export const numericColumnSchema = z.object({
  /** Raw column name, as in the CSV header (and the row objects' key). */
  name: z.string(),
  /** Always `numeric`: the value itself is the feature. */
  kind: z.literal('numeric'),
  /** Value used for a missing cell: the training split's median. */
  impute: finite,
  /** Whether a `<name>_missing` feature (1 = missing) follows the value. */
  missingIndicator: z.boolean(),
});

/** The zod schema of a categorical column of {@link Preprocessing}. */
export const categoricalColumnSchema = z.object({
  /** Raw column name, as in the CSV header (and the row objects' key). */
  name: z.string(),
  /** Always `categorical`: one-hot over `vocabulary`. */
  kind: z.literal('categorical'),
  /** The categories, sorted (JavaScript string order), each one feature `<name>=<category>`. */
  vocabulary: z.array(z.string()).min(1),
  /** Whether a `<name>_missing` feature (1 = missing or unseen) follows the one-hot features. */
  missingIndicator: z.boolean(),
});

/**
 * The zod schema of {@link Preprocessing} (`checkpoint.json` `preprocessing`, model card
 * `sngp.preprocessing`). Use {@link parsePreprocessing}, which also checks names are unique.
 */
export const preprocessingSchema = z.object({
  /** Always {@link PREPROCESSING_VERSION}. */
  version: z.literal(PREPROCESSING_VERSION),
  /** The raw feature columns, in encoding order (at least one). */
  columns: z.array(z.discriminatedUnion('kind', [numericColumnSchema, categoricalColumnSchema])).min(1),
  /** Columns of the training file that are not features, with the reason. */
  ignored: z.array(
    z.object({
      /** Raw column name. */
      name: z.string(),
      /** Why it was left out. */
      reason: z.enum(IGNORE_REASONS),
    }),
  ),
  /** The label column of the training file (allowed, and unused, in row objects), or null. */
  labelColumn: z.string().nullable(),
  /** The cell spellings read as missing ({@link MISSING_SPELLINGS} when trained). */
  missingValues: z.array(z.string()),
  /** What happens to a category not in the vocabulary: always `missing` (encoded as missing, and reported). */
  unseenCategory: z.literal('missing'),
});

/**
 * How raw columns become encoded features; validated by {@link parsePreprocessing}.
 * @interface
 */
export type Preprocessing = z.infer<typeof preprocessingSchema>;
/** One raw feature column of a {@link Preprocessing}: numeric or categorical (see the two schemas). */
export type PreprocessingColumn = Preprocessing['columns'][number];

/**
 * The encoded feature names of a preprocessing, in graph input order: per column, a numeric
 * column gives `<name>` (+ `<name>_missing`), a categorical one `<name>=<category>` per vocabulary
 * entry (+ `<name>_missing`).
 * @param p - the preprocessing.
 * @returns the names, one per encoded feature.
 */
export function encodedFeatureNames(p: Pick<Preprocessing, 'columns'>): string[] {
  const names: string[] = [];
  for (const c of p.columns) {
    if (c.kind === 'numeric') names.push(c.name);
    else for (const v of c.vocabulary) names.push(`${c.name}=${v}`);
    if (c.missingIndicator) names.push(c.name + MISSING_INDICATOR_SUFFIX);
  }
  return names;
}

/**
 * Which encoded features are 0/1 indicators (one-hot categories and missing indicators), in graph
 * input order: training leaves these unstandardised, see packages/train's `prepareTrainingData`.
 * @param p - the preprocessing.
 * @returns one flag per encoded feature (same order as {@link encodedFeatureNames}).
 */
export function indicatorFeatures(p: Pick<Preprocessing, 'columns'>): boolean[] {
  const flags: boolean[] = [];
  for (const c of p.columns) {
    if (c.kind === 'numeric') flags.push(false);
    else for (let i = 0; i < c.vocabulary.length; i++) flags.push(true);
    if (c.missingIndicator) flags.push(true);
  }
  return flags;
}

/**
 * Validate a preprocessing description (from JSON); `source` names it in errors.
 * @param json - the parsed value.
 * @param source - names the file or key in messages (default "preprocessing").
 * @returns the typed description.
 * @throws SngpError naming the first bad field, a repeated column name or category, or encoded
 *   feature names that collide.
 */
export function parsePreprocessing(json: unknown, source = 'preprocessing'): Preprocessing {
  const r = preprocessingSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new SngpError(`${source}: field "${issue.path.join('.')}": ${issue.message}`);
  }
  const p = r.data;
  const seen = new Set<string>();
  for (const name of [...p.columns.map((c) => c.name), ...p.ignored.map((c) => c.name)]) {
    if (seen.has(name)) throw new SngpError(`${source}: column "${name}" is listed twice`);
    seen.add(name);
  }
  for (const c of p.columns)
    if (c.kind === 'categorical' && new Set(c.vocabulary).size !== c.vocabulary.length)
      throw new SngpError(`${source}: column "${c.name}" has a repeated category in its vocabulary`);
  const names = encodedFeatureNames(p);
  if (new Set(names).size !== names.length) {
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    throw new SngpError(`${source}: encoded feature name "${dup}" occurs twice; rename the column it comes from`);
  }
  return p;
}

/** One category not in a column's vocabulary, met while encoding (encoded as missing). */
export interface UnseenCategory {
  /** 0-based row index of the input (row objects), or the file line (CSV). */
  row: number;
  /** The raw column. */
  column: string;
  /** The value as given. */
  value: string;
}

/** Most unseen-category examples kept by an encoder (the counts are always complete). */
export const MAX_UNSEEN_REPORTED = 1000;

/** Missing cells and unseen categories an encoding met, per raw column. */
export interface EncodingReport {
  /** Missing cells by column name (columns with none are absent). */
  missing: Record<string, number>;
  /** Unseen categories by column name (columns with none are absent). */
  unseenCounts: Record<string, number>;
  /** The unseen categories, in input order (at most {@link MAX_UNSEEN_REPORTED}). */
  unseen: UnseenCategory[];
}

/**
 * The one-line note a reader prints about an encoding, or null when nothing was missing or unseen.
 * @param r - the report.
 * @param source - names the data (e.g. the file).
 * @returns e.g. `data.csv: missing cells: age 3, sex 1; unseen categories (encoded as missing): site 2 ("X", ...)`.
 */
export function formatEncodingReport(r: EncodingReport, source: string): string | null {
  const list = (m: Record<string, number>): string =>
    Object.entries(m)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const parts: string[] = [];
  if (Object.keys(r.missing).length) parts.push(`missing cells (imputed): ${list(r.missing)}`);
  if (Object.keys(r.unseenCounts).length) {
    const examples = [...new Set(r.unseen.map((u) => JSON.stringify(u.value)))].slice(0, 3).join(', ');
    parts.push(`unseen categories (encoded as missing): ${list(r.unseenCounts)} (e.g. ${examples})`);
  }
  return parts.length ? `${source}: ${parts.join('; ')}` : null;
}

/**
 * A raw value as one of three things: missing, a finite number, or text.
 * Numbers in text are parsed as CSV cells are (`Number`, the whole trimmed cell).
 */
type Cell = { kind: 'missing' } | { kind: 'number'; value: number } | { kind: 'text'; text: string };

/** Largest finite float32: larger values would become Infinity in the model's input. */
const FLOAT32_MAX = 3.4028234663852886e38;

function classify(v: unknown): Cell | null {
  if (v === null || v === undefined) return { kind: 'missing' };
  if (typeof v === 'number') return Number.isNaN(v) ? { kind: 'missing' } : Number.isFinite(v) ? { kind: 'number', value: v } : null;
  if (typeof v === 'string') {
    if (isMissingCell(v)) return { kind: 'missing' };
    const t = v.trim();
    const n = Number(t);
    return Number.isFinite(n) ? { kind: 'number', value: n } : { kind: 'text', text: t };
  }
  if (typeof v === 'boolean') return { kind: 'text', text: String(v) };
  return null;
}

function preview(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v) : String(v);
  return typeof v === 'number' ? `the number ${s}` : typeof v === 'string' ? `text ${s}` : `${typeof v} ${s}`;
}

/** Per-column encoder state: where its features go and how a value becomes them. */
interface ColumnEncoder {
  col: PreprocessingColumn;
  offset: number;
  width: number;
  index: Map<string, number> | null;
}

function encoders(p: Preprocessing): { enc: ColumnEncoder[]; width: number } {
  let offset = 0;
  const enc = p.columns.map((col) => {
    const width = (col.kind === 'numeric' ? 1 : col.vocabulary.length) + (col.missingIndicator ? 1 : 0);
    const e: ColumnEncoder = { col, offset, width, index: col.kind === 'categorical' ? new Map(col.vocabulary.map((v, i) => [v, i])) : null };
    offset += width;
    return e;
  });
  return { enc, width: offset };
}

/** Options of {@link encodeRows} and {@link encodeRawRows}. */
export interface EncodeOptions {
  /** Names the data in error messages (default "rows"). */
  source?: string;
  /** How rows are named in messages: `row <index>` (0-based, default) or `line <index>` of a file. */
  rowLabel?: 'row' | 'line';
  /** First row number used in messages (default 0). */
  firstRow?: number;
}

/**
 * Encode rows of raw cell values (e.g. CSV cells in the preprocessing's column order) into encoded
 * float32 features. Numeric columns: the number, or the imputed value when missing (indicator 1).
 * Categorical columns: one-hot of the vocabulary; missing or unseen values are all zeros
 * (indicator 1), and unseen ones are reported.
 * @param rows - one array per row, `p.columns.length` values each, in `p.columns` order:
 *   numbers, strings, null / undefined (missing).
 * @param p - the preprocessing.
 * @param opts - names the source and rows in messages.
 * @returns encoded features [rows, D] row-major, and what was missing or unseen.
 * @throws SngpError naming row, column, expected and got: for a text value in a numeric column, an
 *   infinite number, a value of another type, or a row of the wrong length.
 */
export function encodeRawRows(
  rows: readonly (readonly unknown[])[],
  p: Preprocessing,
  opts: EncodeOptions = {},
): {
  /** Encoded features, row-major [rows, D]. */
  x: Float32Array;
  /** Encoded features per row D. */
  d: number;
  /** Missing and unseen values met. */
  report: EncodingReport;
} {
  const { enc, width } = encoders(p);
  const x = new Float32Array(rows.length * width);
  const report: EncodingReport = { missing: {}, unseenCounts: {}, unseen: [] };
  const src = opts.source ?? 'rows';
  const label = opts.rowLabel ?? 'row';
  const first = opts.firstRow ?? 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (row.length !== enc.length)
      throw new SngpError(`${src}: ${label} ${first + i} has ${row.length} values, expected ${enc.length} (${p.columns.map((c) => c.name).join(', ')})`);
    for (let j = 0; j < enc.length; j++) encodeValue(row[j], enc[j], x, i * width, first + i, src, label, report);
  }
  return { x, d: width, report };
}

function encodeValue(
  v: unknown,
  e: ColumnEncoder,
  x: Float32Array,
  base: number,
  row: number,
  src: string,
  label: string,
  report: EncodingReport,
): void {
  const col = e.col;
  const at = base + e.offset;
  const cell = classify(v);
  const where = `${src}: ${label} ${row}, column "${col.name}"`;
  if (cell === null)
    throw new SngpError(`${where}: expected a number, a string or null (missing), got ${preview(v)}; pass finite numbers, text or null`);
  let missing = cell.kind === 'missing';
  if (cell.kind === 'number' && Math.abs(cell.value) > FLOAT32_MAX)
    throw new SngpError(`${where}: ${cell.value} is outside the float32 range the model computes in; pass a smaller value`);
  if (col.kind === 'numeric') {
    if (cell.kind === 'text')
      throw new SngpError(
        `${where}: expected a number (the column was numeric in training), got ${preview(cell.text)}; fix the value, or leave it empty to impute it`,
      );
    x[at] = cell.kind === 'number' ? cell.value : col.impute;
  } else {
    const key = cell.kind === 'text' ? cell.text : cell.kind === 'number' ? (typeof v === 'string' ? v.trim() : String(cell.value)) : '';
    if (!missing) {
      const k = e.index!.get(key);
      if (k === undefined) {
        missing = true;
        report.unseenCounts[col.name] = (report.unseenCounts[col.name] ?? 0) + 1;
        if (report.unseen.length < MAX_UNSEEN_REPORTED) report.unseen.push({ row, column: col.name, value: key });
        if (col.missingIndicator) x[at + e.width - 1] = 1;
        return;
      }
      x[at + k] = 1;
    }
  }
  if (cell.kind === 'missing') report.missing[col.name] = (report.missing[col.name] ?? 0) + 1;
  if (col.missingIndicator && missing) x[at + e.width - 1] = 1;
}

/**
 * Encode row objects keyed by raw column name (what `predict` of `@sngp/runtime` takes). With a
 * preprocessing, keys are its raw columns (absent keys are missing; its ignored columns and label
 * column are allowed and unused). Without one (a model trained on plain numeric features), keys
 * are `featureNames` and every value must be a finite number.
 * @param rows - the row objects.
 * @param p - the model's preprocessing, or null.
 * @param featureNames - the model's encoded feature names (used when `p` is null).
 * @param source - names the data in error messages (default "rows").
 * @returns encoded features [rows, D] row-major and what was missing or unseen.
 * @throws SngpError naming the row (0-based) and column: an unknown key, a row that is not an
 *   object, text in a numeric column, a missing value without preprocessing, or a value that is
 *   neither a number, a string nor null.
 */
export function encodeRows(
  rows: readonly unknown[],
  p: Preprocessing | null,
  featureNames: readonly string[],
  source = 'rows',
): {
  /** Encoded features, row-major [rows, D]. */
  x: Float32Array;
  /** Encoded features per row D. */
  d: number;
  /** Missing and unseen values met (empty without preprocessing). */
  report: EncodingReport;
} {
  if (rows.length === 0) throw new SngpError(`${source}: empty input (no rows to predict)`);
  const names = p ? p.columns.map((c) => c.name) : [...featureNames];
  const allowed = new Set([...names, ...(p ? p.ignored.map((c) => c.name) : []), ...(p?.labelColumn != null ? [p.labelColumn] : [])]);
  const values: unknown[][] = rows.map((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r))
      throw new SngpError(`${source}: row ${i} is ${Array.isArray(r) ? 'an array' : preview(r)}, expected an object keyed by column name`);
    const o = r as Record<string, unknown>;
    for (const k of Object.keys(o))
      if (!allowed.has(k)) throw new SngpError(`${source}: row ${i}: unknown column "${k}"; the model's columns are: ${names.join(', ')}`);
    return names.map((n) => o[n]);
  });
  if (p) return encodeRawRows(values, p, { source });
  const d = names.length;
  const x = new Float32Array(rows.length * d);
  for (let i = 0; i < values.length; i++)
    for (let j = 0; j < d; j++) {
      const c = classify(values[i][j]);
      if (c === null || c.kind !== 'number' || Math.abs(c.value) > FLOAT32_MAX)
        throw new SngpError(
          `${source}: row ${i}, column "${names[j]}": expected a finite number, got ${values[i][j] === undefined ? 'nothing (the key is absent)' : preview(values[i][j])}; ` +
            `this model has no preprocessing (it was trained on numeric features without missing values), so every feature must be given`,
        );
      x[i * d + j] = c.value;
    }
  return { x, d, report: { missing: {}, unseenCounts: {}, unseen: [] } };
}

/**
 * What a preprocessing does, as a few lines for a terminal (sngp-train's summary and dry run).
 * @param p - the preprocessing.
 * @returns lines (no trailing newline): numeric and text columns, missing indicators, ignored
 *   columns, and the encoded width.
 */
export function describePreprocessing(p: Preprocessing): string {
  const numeric = p.columns.filter((c) => c.kind === 'numeric');
  const text = p.columns.filter((c) => c.kind === 'categorical');
  const indicators = p.columns.filter((c) => c.missingIndicator).map((c) => c.name);
  const lines = [
    `preprocessing: ${p.columns.length} columns -> ${encodedFeatureNames(p).length} encoded features`,
    `  numeric   ${numeric.length ? numeric.map((c) => `${c.name}${c.missingIndicator ? ` (missing -> median ${c.impute})` : ''}`).join(', ') : 'none'}`,
    `  text      ${text.length ? text.map((c) => `${c.name} (${c.kind === 'categorical' ? c.vocabulary.length : 0} categories, one-hot)`).join(', ') : 'none'}`,
    `  missing   ${indicators.length ? `indicator features added for ${indicators.join(', ')}` : 'none in the training rows'}`,
  ];
  if (p.ignored.length) lines.push(`  ignored   ${p.ignored.map((c) => `${c.name} (${c.reason})`).join(', ')}`);
  return lines.join('\n');
}
