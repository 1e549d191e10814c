/**
 * The real data sets of the benchmark, as users have them: scikit-learn's bundled tables (Debian's
 * python3-sklearn ships them as CSV) and Fashion-MNIST's IDX files (Debian's dataset-fashion-mnist).
 * Each is turned into the files a user would hand to the CLIs: CSVs with a header row, or IDX
 * images + labels; in-domain rows are split into train and test (seeded), and held-out classes
 * become the OOD set. Nothing is fetched: a missing source is an error naming the Debian package.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Rng, SngpError } from '@sngp/core';

export const SKLEARN_DATA = '/usr/lib/python3/dist-packages/sklearn/datasets/data';
export const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

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
  const inRows = t.labels.flatMap((l, i) => (inDomain.includes(l) ? [i] : []));
  const oodRows = t.labels.flatMap((l, i) => (inDomain.includes(l) ? [] : [i]));
  const perm = new Rng(seed).permutation(inRows.length);
  const nTest = Math.round(inRows.length * testFraction);
  const test = Array.from(perm.subarray(0, nTest), (p) => inRows[p]);
  const train = Array.from(perm.subarray(nTest), (p) => inRows[p]);
  const files = { train: join(dir, `${name}-train.csv`), test: join(dir, `${name}-test.csv`), ood: join(dir, `${name}-ood.csv`) };
  writeCsv(files.train, t, train);
  writeCsv(files.test, t, test);
  const hasOod = oodRows.length > 0;
  if (hasOod) writeCsv(files.ood, t, oodRows);
  return {
    name,
    train: ['--data', files.train],
    test: ['--data', files.test],
    ood: hasOod ? ['--ood', files.ood] : [],
    description:
      `${t.features.length} features, classes ${inDomain.join(',')}: ${train.length} train / ${test.length} test rows` +
      (hasOod ? `; OOD = ${oodLabel} (${oodRows.length} rows)` : '; no OOD set'),
  };
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
  };
  const names = Object.keys(sets);
  for (const w of opts.only ?? []) if (!names.includes(w)) throw new SngpError(`--datasets: unknown data set "${w}" (known: ${names.join(', ')})`);
  mkdirSync(dir, { recursive: true }); // only once the names are known good
  return names.filter((name) => !opts.only || opts.only.includes(name)).map((name) => sets[name]());
}
