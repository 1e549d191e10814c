/**
 * A user's data files for sngp-eval: the labelled in-domain set (`--data`: CSV, or IDX images with
 * `--labels`) and the out-of-domain set (`--ood`: CSV or IDX, labels optional), each optionally
 * cut down to some classes (`--classes`, `--ood-classes`). Files are streamed by core's loaders;
 * the flags are checked before any model or file is loaded.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Parser } from 'csv-parse';
import {
  CSV_PARSE_OPTIONS,
  CsvTableBuilder,
  type Dataset,
  SngpError,
  type Preprocessing,
  availableMemory,
  csvFileFeed,
  formatEncodingReport,
  readTableWith,
  idxFeatureLayout,
  idxFeatureNames,
  isIdxPath,
  loadIdxDataset,
  readCsvFile,
  readIdxFile,
} from '@sngp/core/node';
import { keepClasses, listNames } from './classes.js';
import type { EvalModelInfo } from './types.js';

/** The data flags of sngp-eval (see the CLI's help). */
export interface DataOptions {
  /** `--data`: "moons", a CSV file or IDX images. */
  data: string;
  /** `--labels`: the IDX labels file of `--data`. */
  labels?: string;
  /** `--label-column`: the label column of a `--data` CSV (default: the last). */
  labelColumn?: string;
  /** `--classes`: keep only the `--data` rows of these classes. */
  classes?: string[];
  /** `--ood`: out-of-domain rows, a CSV file or IDX images (replaces the two-moons OOD cluster). */
  ood?: string;
  /** `--ood-labels`: the IDX labels file of `--ood` (only needed for `--ood-classes`). */
  oodLabels?: string;
  /** `--ood-label-column`: the label column of an `--ood` CSV (default: found from the model's features). */
  oodLabelColumn?: string;
  /** `--ood-classes`: keep only the `--ood` rows of these classes. */
  oodClasses?: string[];
}

/**
 * Check that the data flags fit together, before anything is loaded.
 * @param o - the data flags.
 * @throws SngpError naming the flag that does not fit and what to do instead.
 */
export function checkDataOptions(o: DataOptions): void {
  const moons = o.data === 'moons';
  const dataIdx = !moons && isIdxPath(o.data);
  if (dataIdx && !o.labels)
    throw new SngpError(`--data ${o.data}: IDX images need their labels: add --labels <file> (e.g. t10k-labels-idx1-ubyte.gz)`);
  if (o.labels && !dataIdx)
    throw new SngpError(`--labels is for IDX images (.idx, -ubyte, optionally .gz); --data ${o.data} ${moons ? 'has its own labels' : 'is read as CSV, whose labels are a column (--label-column)'}`);
  if (o.labelColumn !== undefined && (moons || dataIdx))
    throw new SngpError(`--label-column is for a CSV --data file; ${moons ? '"moons"' : 'IDX images'} ${moons ? 'has' : 'take'} ${moons ? 'its own labels' : 'their labels from --labels'}`);
  if (!o.ood) {
    for (const [flag, v] of [['--ood-labels', o.oodLabels], ['--ood-label-column', o.oodLabelColumn], ['--ood-classes', o.oodClasses]] as const)
      if (v !== undefined) throw new SngpError(`${flag} needs --ood <file> (the out-of-domain rows)`);
    return;
  }
  const oodIdx = isIdxPath(o.ood);
  if (o.oodLabels && !oodIdx)
    throw new SngpError(`--ood-labels is for IDX images (.idx, -ubyte, optionally .gz); --ood ${o.ood} is read as CSV, whose labels are a column (--ood-label-column)`);
  if (o.oodLabelColumn !== undefined && oodIdx)
    throw new SngpError(`--ood-label-column is for a CSV --ood file; IDX images take their labels from --ood-labels`);
  if (o.oodClasses && oodIdx && !o.oodLabels)
    throw new SngpError(`--ood-classes: the IDX images of --ood ${o.ood} need their labels: add --ood-labels <file>`);
}

/** Where a data set's labels come from, for messages. */
function labelSource(path: string, labels: string | undefined, column: string | undefined): string {
  if (labels) return labels;
  return column ? `${path} (column "${column}")` : path;
}

/**
 * Load the labelled `--data` file (CSV or IDX + `--labels`) and keep the `--classes` rows. Labels
 * keep the file's class names (mapped onto a model later, per model). A CSV read for a model whose
 * card has a preprocessing goes through it (text columns, missing cells; a note names the missing
 * cells and unseen categories per column).
 * @param o - the data flags (`data` is a file, not "moons").
 * @param info - the (first) model: its card's preprocessing, if any, encodes a CSV.
 * @param warn - receives the note on missing cells and unseen categories.
 * @returns the rows and a description of them for the report.
 * @throws SngpError for unreadable files or a `--classes` entry that does not occur.
 */
export async function loadDataFile(
  o: DataOptions,
  info?: Pick<EvalModelInfo, 'card'>,
  warn: (msg: string) => void = () => {},
): Promise<{ dataset: Dataset; name: string }> {
  const preprocessing = info?.card?.preprocessing ?? null;
  let ds = isIdxPath(o.data)
    ? await loadIdxDataset(o.data, o.labels as string)
    : preprocessing // Text and missing cells through the model's preprocessing
      ? await readCsvWithPreprocessing(o.data, preprocessing, o.labelColumn ?? null, true, warn)
      : await readCsvFile(o.data, o.labelColumn ? { labelColumn: o.labelColumn } : {});
  if (o.classes) ds = keepClasses(ds, o.classes, '--classes', labelSource(o.data, o.labels, o.labelColumn));
  return { dataset: ds, name: o.classes ? `${o.data} (classes ${o.classes.join(', ')})` : o.data };
}

/**
 * Load the `--ood` file and keep the `--ood-classes` rows. IDX: images (labels only with
 * `--ood-labels`). CSV: the model's feature columns (matched by name, else by position), plus an
 * optional label column (see {@link oodCsvColumns}).
 * @param o - the data flags, with `ood` set.
 * @param info - the model whose features the CSV columns are matched to (the first model).
 * @param model - names the model in errors.
 * @param warn - receives a warning when columns are matched by position.
 * @returns the out-of-domain rows (labels only if the file has them) and a description.
 * @throws SngpError for unreadable files, a wrong width, or an `--ood-classes` entry that does not occur.
 */
export async function loadOodFile(
  o: DataOptions,
  info: Pick<EvalModelInfo, 'featureNames' | 'inputDim'> & Partial<Pick<EvalModelInfo, 'card'>>,
  model: string,
  warn: (msg: string) => void,
): Promise<{ dataset: Dataset; name: string }> {
  const path = o.ood as string;
  let ds: Dataset;
  if (isIdxPath(path)) ds = o.oodLabels ? await loadIdxDataset(path, o.oodLabels) : await readIdxImages(path);
  else if (info.card?.preprocessing)
    ds = await readCsvWithPreprocessing(path, info.card.preprocessing, o.oodLabelColumn ?? null, o.oodClasses !== undefined, warn, true);
  else ds = await readOodCsv(path, info, model, o.oodLabelColumn, o.oodClasses !== undefined, warn);
  if (o.oodClasses) {
    if (!ds.y)
      throw new SngpError(`--ood-classes: ${path} has no label column; name it with --ood-label-column, or leave out --ood-classes`);
    ds = keepClasses(ds, o.oodClasses, '--ood-classes', labelSource(path, o.oodLabels, o.oodLabelColumn));
  }
  return { dataset: ds, name: o.oodClasses ? `${path} (classes ${o.oodClasses.join(', ')})` : path };
}

/** IDX images without labels: n rows of prod(dims[1:]) features (uint8 scaled to [0, 1]). */
export async function readIdxImages(path: string): Promise<Dataset> {
  let scale = 1;
  const images = await readIdxFile(path, {
    allocate: (h) => {
      const layout = idxFeatureLayout(h, path, { maxBytes: availableMemory() });
      scale = layout.scale;
      return layout.x;
    },
    scale: () => scale,
  });
  const h = images.header;
  const n = h.dims[0];
  return { x: images.data as Float32Array, n, d: h.count / n, featureNames: idxFeatureNames(h.dims), classes: [] };
}

/** Which columns of an OOD CSV are the model's features (in its order) and which is the label. */
export interface OodCsvColumns {
  /** Header index of each model feature, in the model's order. */
  features: number[];
  /** Header index of the label column, or null when the file has none. */
  label: number | null;
  /** True when the header names differ from the model's and columns were taken by position. */
  byPosition: boolean;
}

/**
 * Decide the layout of an OOD CSV from its header: the model's feature columns by name (any
 * order; at most one other column, the label), or, when the names differ, by position (exactly D
 * columns, or D + 1 with the label last). `labelColumn` names the label column explicitly.
 * @param header - the CSV's column names.
 * @param featureNames - the model's feature names (D of them).
 * @param labelColumn - `--ood-label-column`, if given.
 * @param path - names the file in errors.
 * @param model - names the model in errors.
 * @returns the layout.
 * @throws SngpError for an unknown label column, extra columns, or a width that fits neither rule.
 */
export function oodCsvColumns(
  header: readonly string[],
  featureNames: readonly string[],
  labelColumn: string | undefined,
  path: string,
  model: string,
): OodCsvColumns {
  const d = featureNames.length;
  let label: number | null = null;
  if (labelColumn !== undefined) {
    label = header.indexOf(labelColumn);
    if (label < 0) throw new SngpError(`${path}: --ood-label-column "${labelColumn}" not found (columns: ${listNames(header)})`);
  }
  const rest = header.map((_, j) => j).filter((j) => j !== label);
  const byName = featureNames.map((f) => rest.find((j) => header[j] === f) ?? -1);
  if (byName.every((j) => j >= 0)) {
    const others = rest.filter((j) => !byName.includes(j));
    if (others.length === 1 && label === null) label = others[0];
    else if (others.length > 0)
      throw new SngpError(
        `${path}: column(s) ${listNames(others.map((j) => header[j]))} are not features of model ${model}` +
          (label === null ? ' and more than one label column; remove them, or name the label column with --ood-label-column' : '; remove them'),
      );
    return { features: byName, label, byPosition: false };
  }
  if (rest.length === d) return { features: rest, label, byPosition: true };
  if (rest.length === d + 1 && label === null) return { features: rest.slice(0, d), label: rest[d], byPosition: true };
  throw new SngpError(
    `${path}: OOD data has ${header.length} column(s) (${listNames(header)}), but model ${model} expects ${d} feature column(s) ` +
      `(${listNames(featureNames)}) plus an optional label column`,
  );
}

/** A label column name that cannot clash with a real one (the builder needs one). */
const NO_LABEL = '\u0000no label';

/**
 * Stream an OOD CSV into a data set in the model's feature order: csv-parse records, rearranged
 * per {@link oodCsvColumns}, go through core's `CsvTableBuilder` (so numbers are checked with the
 * same row and column messages as `--data`). Labels are read only when `wantLabels`.
 */
async function readOodCsv(
  path: string,
  info: Pick<EvalModelInfo, 'featureNames' | 'inputDim'>,
  model: string,
  labelColumn: string | undefined,
  wantLabels: boolean,
  warn: (msg: string) => void,
): Promise<Dataset> {
  // readCsvFile's checks of the file itself (exists, not a directory, not empty) come first.
  if (!existsSync(path)) throw new SngpError(`${path}: file does not exist`);
  if (statSync(path).isDirectory()) throw new SngpError(`${path}: is a directory, expected a CSV file`);
  if (statSync(path).size === 0) throw new SngpError(`${path}: file is empty`);
  let header: string[] | null = null;
  let cols: OodCsvColumns | null = null;
  let builder: CsvTableBuilder | null = null;
  const parser = new Parser({
    ...CSV_PARSE_OPTIONS,
    on_record: (record: string[], ctx: { lines: number }) => {
      if (header === null) {
        header = record.map((c, j) => (j === 0 ? c.replace(/^\uFEFF/, '').trim() : c));
        cols = oodCsvColumns(header, info.featureNames, labelColumn, path, model);
        if (cols.byPosition)
          warn(`${path}: column names (${listNames(header)}) differ from the model's (${listNames(info.featureNames)}); matching columns by position`);
        const labelled = wantLabels && cols.label !== null;
        builder = new CsvTableBuilder({ source: path, labelColumn: labelled ? header[cols.label as number] : NO_LABEL, maxBytes: availableMemory() });
        builder.record([...cols.features.map((j) => (header as string[])[j]), labelled ? header[cols.label as number] : NO_LABEL], 1);
        return null;
      }
      if (record.length !== header.length)
        throw new SngpError(`${path}: row ${ctx.lines} has ${record.length} fields, expected ${header.length}; quote cells that contain commas, or fix the row`);
      const c = cols as OodCsvColumns;
      const labelled = wantLabels && c.label !== null;
      (builder as CsvTableBuilder).record([...c.features.map((j) => record[j]), labelled ? record[c.label as number] : '-'], ctx.lines);
      return null;
    },
  });
  try {
    await pipeline(createReadStream(path), parser, async function drain(source: AsyncIterable<unknown>) {
      for await (const _ of source); // records are consumed by on_record
    });
  } catch (e) {
    if (e instanceof SngpError) throw e;
    const code = String((e as { code?: unknown }).code ?? '');
    if (code.startsWith('CSV_')) throw new SngpError(`${path}: ${(e as Error).message}`);
    throw e;
  }
  if (builder === null) throw new SngpError(`${path}: file is empty`);
  const ds = (builder as CsvTableBuilder).finish();
  const labelled = wantLabels && (cols as OodCsvColumns | null)?.label !== null;
  return labelled ? { ...ds, featureNames: [...info.featureNames] } : { ...ds, y: undefined, classes: [], featureNames: [...info.featureNames] };
}

/**
 * Read a CSV through a model's preprocessing (core's `readTableWith`): numeric columns must hold
 * numbers or missing cells, text columns are one-hot over the training vocabulary, unseen
 * categories are encoded as missing; one note names the missing cells and unseen categories per
 * column. The label column is `labelColumn`, else the training label column when the file has it,
 * else (with `optionalLabel`, the OOD file) the one column that is neither a model column nor an
 * ignored one, or none.
 */
async function readCsvWithPreprocessing(
  path: string,
  p: Preprocessing,
  labelColumn: string | null,
  wantLabels: boolean,
  warn: (msg: string) => void,
  optionalLabel = false,
): Promise<Dataset> {
  if (!existsSync(path)) throw new SngpError(`${path}: file does not exist`);
  if (statSync(path).isDirectory()) throw new SngpError(`${path}: is a directory, expected a CSV file`);
  if (statSync(path).size === 0) throw new SngpError(`${path}: file is empty`);
  const known = new Set([...p.columns.map((c) => c.name), ...p.ignored.map((c) => c.name)]);
  let label: string | null = labelColumn;
  let noLabel = false;
  let seenHeader = false;
  const file = csvFileFeed(path);
  // The header decides the label column; an unlabelled OOD file gets a placeholder one.
  const feed = (onRecord: (cells: string[], line: number) => void): Promise<void> =>
    file((cells, line) => {
      if (!seenHeader) {
        seenHeader = true;
        const header = cells.map((c, j) => (j === 0 ? c.replace(/^\uFEFF/, '').trim() : c));
        if (label === null) {
          const others = header.filter((h) => !known.has(h));
          if (p.labelColumn !== null && header.includes(p.labelColumn)) label = p.labelColumn;
          else if (others.length === 1) label = others[0];
          else if (others.length === 0 && optionalLabel) noLabel = true;
          else if (others.length === 0) label = header[header.length - 1];
          else
            throw new SngpError(
              `${path}: column(s) ${listNames(others)} are not columns of the model (${listNames([...known])}); name the label column with --${optionalLabel ? 'ood-' : ''}label-column, or remove the others`,
            );
          if (noLabel) label = NO_LABEL;
        }
        onRecord(noLabel ? [...header, NO_LABEL] : header, line);
        return;
      }
      onRecord(noLabel ? [...cells, '-'] : cells, line);
    });
  // The label column is moved last in every record (the reader's default label column).
  let labelAt = -1;
  let width = 0;
  const reordered = (onRecord: (cells: string[], line: number) => void): Promise<void> =>
    feed((cells, line) => {
      if (labelAt < 0) {
        labelAt = cells.indexOf(label as string);
        width = cells.length;
        if (labelAt < 0) throw new SngpError(`${path}: label column "${label}" not found (columns: ${listNames(cells)})`);
      }
      // A ragged row goes through as it is: the reader names it.
      onRecord(cells.length === width ? [...cells.slice(0, labelAt), ...cells.slice(labelAt + 1), cells[labelAt]] : cells, line);
    });
  const { dataset, report } = await readTableWith(reordered, p, { source: path, maxBytes: availableMemory() });
  const note = formatEncodingReport(report, path);
  if (note) warn(note);
  return wantLabels && !noLabel ? dataset : { ...dataset, y: undefined, classes: [] };
}
