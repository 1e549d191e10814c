/**
 * The real data sets of the benchmark, as users have them: scikit-learn's bundled tables (Debian's
 * python3-sklearn ships them as CSV) and Fashion-MNIST's IDX files (Debian's dataset-fashion-mnist),
 * and real tables with text columns and missing cells (r-cran-palmerpenguins' CSV, Weka's ARFF
 * examples, r-cran-cardata through Rscript), written with their text and empty cells kept.
 * Each is turned into the files a user would hand to the CLIs: CSVs with a header row, or IDX
 * images + labels; in-domain rows are split into train and test (seeded), and held-out classes
 * become the OOD set. Nothing is fetched: a missing source is an error naming the Debian package.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Rng, SngpError } from '@sngp/core';

export const SKLEARN_DATA = '/usr/lib/python3/dist-packages/sklearn/datasets/data';
export const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';
/** Where Debian's r-cran-* packages install (palmerpenguins ships its table as CSV there too). */
export const R_SITE_LIBRARY = '/usr/lib/R/site-library';
/** Weka's example ARFF files (Debian's weka), UCI's classic tables among them. */
export const WEKA_EXAMPLES = '/usr/share/doc/weka/examples';

/** What the CLIs get for one data set: train via sngp-train, test and OOD via sngp-eval. */
export interface PreparedData {
  name: string;
  /** sngp-train's data arguments (`--data ...`, and `--labels` for IDX). */
  train: string[];
  /** sngp-eval's in-domain test arguments. */
  test: string[];
  /** sngp-eval's OOD arguments, or none when the data set has no natural OOD set. */
  ood: string[];
  /** One line: rows, features, classes, what the OOD set is. */
  description: string;
}

/** A table: rows of numbers with an integer label. */
interface Table {
  features: string[];
  rows: number[][];
  labels: number[];
}

/**
 * A real table as users have it: cells kept as text (categories are words, numbers stay as
 * written) and a missing cell as '' whatever the source spelled; the label is the class name.
 */
interface TextTable {
  features: string[];
  rows: string[][];
  labels: string[];
}

function need(path: string, pkg: string): string {
  if (!existsSync(path)) throw new SngpError(`${path}: missing; install the Debian package ${pkg} (scripts/setup.sh does)`);
  return path;
}

/** scikit-learn's own CSV layout: a first line `n_samples,n_features,class names...`, the label last. */
function sklearnTable(file: string, features: string[]): Table {
  const text = readFileSync(need(join(SKLEARN_DATA, file), 'python3-sklearn'), 'utf8').trim().split('\n');
  const rows: number[][] = [];
  const labels: number[] = [];
  for (const line of text.slice(1)) {
    const v = line.split(',').map(Number);
    rows.push(v.slice(0, -1));
    labels.push(v[v.length - 1]);
  }
  return { features, rows, labels };
}

/** digits.csv.gz: 8x8 images, no header line at all, the label last. */
function digitsTable(): Table {
  const text = gunzipSync(readFileSync(need(join(SKLEARN_DATA, 'digits.csv.gz'), 'python3-sklearn'))).toString('utf8').trim().split('\n');
  const rows = text.map((l) => l.split(',').map(Number));
  return { features: Array.from({ length: 64 }, (_, i) => `pixel_${Math.floor(i / 8)}_${i % 8}`), rows: rows.map((r) => r.slice(0, -1)), labels: rows.map((r) => r[r.length - 1]) };
}

function writeCsv(path: string, t: Table, idx: number[]): void {
  const lines = [[...t.features, 'label'].join(',')];
  for (const i of idx) lines.push([...t.rows[i], t.labels[i]].join(','));
  writeFileSync(path, lines.join('\n') + '\n');
}

/**
 * In-domain classes split into train / test (seeded shuffle, `testFraction` held out), the other
 * classes as the OOD CSV (labels kept; sngp-eval ignores them for OOD).
 */
function splitTable(dir: string, name: string, t: Table, inDomain: number[], testFraction: number, seed: number, oodLabel: string | null): PreparedData {
  return writeSplit(dir, name, t.features.length, seededSplit(t.labels, inDomain, testFraction, seed), inDomain, oodLabel, (path, idx) => writeCsv(path, t, idx));
}

/** Row indices of a seeded split: one code path for numeric and text tables, so both split alike. */
function seededSplit<L>(labels: L[], inDomain: L[], testFraction: number, seed: number): { train: number[]; test: number[]; ood: number[] } {
  const inRows = labels.flatMap((l, i) => (inDomain.includes(l) ? [i] : []));
  const ood = labels.flatMap((l, i) => (inDomain.includes(l) ? [] : [i]));
  const perm = new Rng(seed).permutation(inRows.length);
  const nTest = Math.round(inRows.length * testFraction);
  const test = Array.from(perm.subarray(0, nTest), (p) => inRows[p]);
  const train = Array.from(perm.subarray(nTest), (p) => inRows[p]);
  return { train, test, ood };
}

/** `<name>-train.csv`, `-test.csv` and (when rows are left) `-ood.csv`, and what the CLIs get. */
function writeSplit<L>(dir: string, name: string, nFeatures: number, split: { train: number[]; test: number[]; ood: number[] }, inDomain: L[], oodLabel: string | null,
  write: (path: string, idx: number[]) => void): PreparedData {
  const { train, test, ood: oodRows } = split;
  const files = { train: join(dir, `${name}-train.csv`), test: join(dir, `${name}-test.csv`), ood: join(dir, `${name}-ood.csv`) };
  write(files.train, train);
  write(files.test, test);
  const hasOod = oodRows.length > 0;
  if (hasOod) write(files.ood, oodRows);
  return {
    name,
    train: ['--data', files.train],
    test: ['--data', files.test],
    ood: hasOod ? ['--ood', files.ood] : [],
    description:
      `${nFeatures} features, classes ${inDomain.join(',')}: ${train.length} train / ${test.length} test rows` +
      (hasOod ? `; OOD = ${oodLabel} (${oodRows.length} rows)` : '; no OOD set'),
  };
}

/** The spellings of a missing cell in these sources (R's NA, ARFF's ?, NaN, blank): all become ''. */
const MISSING = new Set(['', '?', 'NA', 'NaN']);

function cell(v: string): string {
  const t = v.trim();
  return MISSING.has(t) ? '' : t;
}

/** RFC 4180 records: a quoted field may hold commas, doubled quotes and line breaks (R's write.csv quotes text). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') (field += '"'), i++;
      else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') record.push(field), (field = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      (record = []), (field = '');
    } else field += c;
  }
  if (field !== '' || record.length > 0) record.push(field), records.push(record);
  return records.filter((r) => r.length > 1 || r[0] !== '');
}

/** One CSV field, quoted only when RFC 4180 needs it (a comma, quote or line break inside). */
function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function writeTextCsv(path: string, t: TextTable, idx: number[]): void {
  const lines = [[...t.features, 'label'].map(csvField).join(',')];
  for (const i of idx) lines.push([...t.rows[i], t.labels[i]].map(csvField).join(','));
  writeFileSync(path, lines.join('\n') + '\n');
}

/**
 * A header + records as a text table, `label` taken out as the class; rows without a label are
 * dropped (they can be neither trained on nor scored), and so are the `drop` columns (ids).
 */
function textTable(src: string, header: string[], records: string[][], label: string, drop: readonly string[] = []): TextTable {
  const li = header.indexOf(label);
  if (li < 0) throw new SngpError(`${src}: label column "${label}" not found (columns: ${header.join(', ')})`);
  const keep = header.flatMap((h, j) => (j === li || drop.includes(h) ? [] : [j]));
  const rows: string[][] = [];
  const labels: string[] = [];
  records.forEach((r, k) => {
    if (r.length !== header.length) throw new SngpError(`${src}: record ${k + 1} has ${r.length} fields, the header ${header.length}`);
    const y = cell(r[li]);
    if (y === '') return;
    rows.push(keep.map((j) => cell(r[j])));
    labels.push(y);
  });
  return { features: keep.map((j) => header[j]), rows, labels };
}

/** palmerpenguins' own CSV (its extdata, no R needed to read it): 344 penguins, NA for missing. */
function penguinsTable(): TextTable {
  const file = need(join(R_SITE_LIBRARY, 'palmerpenguins', 'extdata', 'penguins.csv'), 'r-cran-palmerpenguins');
  const [header, ...records] = parseCsv(readFileSync(file, 'utf8'));
  return textTable(file, header, records, 'species');
}

/** ARFF fields: comma-separated, optionally quoted ('...' or "...") with backslash escapes. */
function arffFields(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    let v = '';
    const q = line[i];
    if (q === "'" || q === '"') {
      for (i++; i < line.length && line[i] !== q; i++) v += line[i] === '\\' ? line[++i] : line[i];
      i++; // the closing quote
      while (i < line.length && line[i] !== ',') i++;
    } else {
      const end = line.indexOf(',', i);
      const stop = end < 0 ? line.length : end;
      v = line.slice(i, stop).trim();
      i = stop;
    }
    out.push(v);
    i++; // the comma
  }
  return out;
}

/**
 * A dense ARFF file of Weka's examples as a text table: nominal values stay words, ARFF's `?`
 * becomes an empty cell. Sparse (`{...}`) data rows are not used by these files and are refused.
 */
function arffTable(file: string, label: string): TextTable {
  const path = need(join(WEKA_EXAMPLES, file), 'weka');
  const header: string[] = [];
  const records: string[][] = [];
  let inData = false;
  for (const raw of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('%')) continue;
    if (!inData) {
      const attr = /^@attribute\s+('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S+)/i.exec(line);
      if (attr) header.push(arffFields(attr[1])[0]);
      else if (/^@data\b/i.test(line)) inData = true;
      continue;
    }
    if (line.startsWith('{')) throw new SngpError(`${path}: sparse ARFF rows are not supported`);
    records.push(arffFields(line));
  }
  return textTable(path, header, records, label);
}

/**
 * A data set of an installed R package, written to CSV by Rscript (R's own lazy-load files have no
 * other reader) in a temporary folder, then read back as text; `na = ""` writes NA as empty.
 */
function rTable(rPackage: string, debPackage: string, dataset: string, label: string, drop: readonly string[] = []): TextTable {
  need(join(R_SITE_LIBRARY, rPackage, 'DESCRIPTION'), debPackage);
  const tmp = mkdtempSync(join(tmpdir(), 'sngp-rdata-'));
  try {
    const out = join(tmp, `${dataset}.csv`);
    const script = 'a <- commandArgs(TRUE); e <- new.env(); data(list = a[2], package = a[1], envir = e); write.csv(e[[a[2]]], a[3], row.names = FALSE, na = "")';
    try {
      execFileSync('Rscript', ['--vanilla', '-e', script, rPackage, dataset, out], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
      if (err.code === 'ENOENT') throw new SngpError(`Rscript: not found; install the Debian package r-base-core (scripts/setup.sh does)`);
      throw new SngpError(`Rscript could not write ${rPackage}::${dataset}: ${err.stderr?.toString().trim() ?? err.message}`);
    }
    const [header, ...records] = parseCsv(readFileSync(out, 'utf8'));
    return textTable(`${rPackage}::${dataset}`, header, records, label, drop);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** splitTable for text tables: the same seeded split, class names in place of integer labels. */
function splitTextTable(dir: string, name: string, t: TextTable, inDomain: string[], testFraction: number, seed: number, oodLabel: string | null): PreparedData {
  return writeSplit(dir, name, t.features.length, seededSplit(t.labels, inDomain, testFraction, seed), inDomain, oodLabel, (path, idx) => writeTextCsv(path, t, idx));
}

/** IDX bytes of a uint8 array with the given dims (the MNIST format), gzipped. */
function idxGz(dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(0x00000800 | dims.length, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([head, data]));
}

/**
 * Fashion-MNIST: a seeded subset of `trainRows` training images of classes 0-4 written as IDX files
 * (the format users have); the test and OOD sets are the official t10k files, selected by class
 * with sngp-eval's --classes / --ood-classes.
 */
function fashionMnist(dir: string, trainRows: number, testRows: number, seed: number): PreparedData {
  const images = gunzipSync(readFileSync(need(join(FASHION_MNIST, 'train-images-idx3-ubyte.gz'), 'dataset-fashion-mnist')));
  const labels = gunzipSync(readFileSync(need(join(FASHION_MNIST, 'train-labels-idx1-ubyte.gz'), 'dataset-fashion-mnist')));
  const n = labels.readUInt32BE(4);
  const pixels = 28 * 28;
  const inDomain = Array.from({ length: n }, (_, i) => i).filter((i) => labels[8 + i] < 5);
  const perm = new Rng(seed).permutation(inDomain.length);
  const take = Array.from(perm.subarray(0, Math.min(trainRows, inDomain.length)), (p) => inDomain[p]);
  const x = new Uint8Array(take.length * pixels);
  const y = new Uint8Array(take.length);
  take.forEach((r, i) => {
    x.set(images.subarray(16 + r * pixels, 16 + (r + 1) * pixels), i * pixels);
    y[i] = labels[8 + r];
  });
  const trainImages = join(dir, 'fashion-train-images-idx3-ubyte.gz');
  const trainLabels = join(dir, 'fashion-train-labels-idx1-ubyte.gz');
  writeFileSync(trainImages, idxGz([take.length, 28, 28], x));
  writeFileSync(trainLabels, idxGz([take.length], y));
  // The test file, cut to its first `testRows` rows (all of them by default), so a quick run stays quick.
  const tImages = gunzipSync(readFileSync(need(join(FASHION_MNIST, 't10k-images-idx3-ubyte.gz'), 'dataset-fashion-mnist')));
  const tLabels = gunzipSync(readFileSync(need(join(FASHION_MNIST, 't10k-labels-idx1-ubyte.gz'), 'dataset-fashion-mnist')));
  const m = Math.min(testRows, tLabels.readUInt32BE(4));
  const testImages = join(dir, 'fashion-t10k-images-idx3-ubyte.gz');
  const testLabels = join(dir, 'fashion-t10k-labels-idx1-ubyte.gz');
  writeFileSync(testImages, idxGz([m, 28, 28], tImages.subarray(16, 16 + m * pixels)));
  writeFileSync(testLabels, idxGz([m], tLabels.subarray(8, 8 + m)));
  const idx = ['--labels', testLabels];
  return {
    name: 'fashion-mnist',
    train: ['--data', trainImages, '--labels', trainLabels],
    test: ['--data', testImages, ...idx, '--classes', '0,1,2,3,4'],
    ood: ['--ood', testImages, '--ood-labels', testLabels, '--ood-classes', '5,6,7,8,9'],
    description: `784 features (28x28), classes 0-4: ${take.length} train rows (of ${inDomain.length}); test = t10k classes 0-4, OOD = t10k classes 5-9 (${m} t10k rows)`,
  };
}

/**
 * The benchmark data sets (`only`: just these, by name; default all). Full size: all 30,000
 * Fashion-MNIST training images of classes 0-4 and the whole t10k file; `quick` (the test's reduced
 * version) keeps 2,000 of each.
 * @throws SngpError for a name in `only` that is not a data set, or a missing Debian source.
 */
export function prepareRealData(dir: string, opts: { quick: boolean; seed: number; only?: readonly string[] }): PreparedData[] {
  const wineFeatures = ['alcohol', 'malic_acid', 'ash', 'alcalinity_of_ash', 'magnesium', 'total_phenols', 'flavanoids',
    'nonflavanoid_phenols', 'proanthocyanins', 'color_intensity', 'hue', 'od280_od315', 'proline'];
  // scikit-learn's order: the ten measurements' means, then their standard errors, then the worst values.
  const measures = ['radius', 'texture', 'perimeter', 'area', 'smoothness', 'compactness', 'concavity', 'concave_points', 'symmetry', 'fractal_dimension'];
  const cancer = ['mean', 'se', 'worst'].flatMap((stat) => measures.map((m) => `${stat}_${m}`));
  // Each data set is prepared only when asked for: Fashion-MNIST alone is ~60 MB of gzip work.
  const sets: Record<string, () => PreparedData> = {
    wine: () => splitTable(dir, 'wine', sklearnTable('wine_data.csv', wineFeatures), [0, 1], 0.3, opts.seed, 'class 2 (the third cultivar)'),
    'breast-cancer': () => splitTable(dir, 'breast-cancer', sklearnTable('breast_cancer.csv', cancer), [0, 1], 0.3, opts.seed, null),
    'digits-5': () => splitTable(dir, 'digits-5', digitsTable(), [0, 1, 2, 3, 4], 0.3, opts.seed, 'digits 5-9'),
    'fashion-mnist': () => fashionMnist(dir, opts.quick ? 2000 : Infinity, opts.quick ? 2000 : Infinity, opts.seed),
    // Real tables with text columns and empty cells (Palmer penguins, UCI's Ljubljana breast cancer
    // from Weka's examples, carData's 1988 Chile plebiscite survey).
    penguins: () => splitTextTable(dir, 'penguins', penguinsTable(), ['Adelie', 'Gentoo'], 0.3, opts.seed, 'Chinstrap penguins'),
    ljubljana: () => splitTextTable(dir, 'ljubljana', arffTable('breast-cancer.arff', 'Class'), ['no-recurrence-events', 'recurrence-events'], 0.3, opts.seed, null),
    chile: () => splitTextTable(dir, 'chile', rTable('carData', 'r-cran-cardata', 'Chile', 'vote'), ['N', 'Y'], 0.3, opts.seed, 'undecided (U) and abstaining (A) voters'),
  };
  const names = Object.keys(sets);
  for (const w of opts.only ?? []) if (!names.includes(w)) throw new SngpError(`--datasets: unknown data set "${w}" (known: ${names.join(', ')})`);
  mkdirSync(dir, { recursive: true }); // only once the names are known good
  return names.filter((name) => !opts.only || opts.only.includes(name)).map((name) => sets[name]());
}
