/**
 * Evaluation data: the two-moons splits (test, OOD, grid) or a user's files (CSV or IDX, see
 * user-data.ts), loaded once and then mapped onto each model's classes and feature order.
 */
import { type Dataset, MOONS_DEFAULTS, SngpError, twoMoons } from '@sngp/core';
import { keepClasses, listNames, mapOntoModelClasses } from './classes.js';
import type { EvalModelInfo } from './types.js';
import { type DataOptions, loadDataFile, loadOodFile } from './user-data.js';

/** Rows pushed through the runtime for the latency figure (the 100 x 100 grid). */
export const LATENCY_ROWS = 10_000;

export interface GridSpec {
  dataset: Dataset;
  size: number;
  xRange: readonly [number, number];
  yRange: readonly [number, number];
}

export interface EvalData {
  /** 'moons' or the data file (with the `--classes` kept). */
  name: string;
  /** Labelled in-domain test rows (labels index the model's classes). */
  test: Dataset;
  /** Out-of-domain rows: the two-moons cluster, or `--ood`; null if there are none. */
  ood: Dataset | null;
  /** What the OOD rows are, for the report (null without OOD rows). */
  oodName: string | null;
  /** The plotting / far-corner grid (two moons only). */
  grid: GridSpec | null;
  /** Training points for the figure overlays (two moons only). */
  train: Dataset | null;
  /** LATENCY_ROWS x d features for the latency measurement. */
  latency: Float32Array;
}

/** The two-moons OOD set, as the report names it. */
export const MOONS_OOD_NAME = 'the held-out Gaussian cluster at (2.5, -1.75)';

/** The two-moons evaluation sets (same seed as training's default, so `train` is what was fitted). */
export function moonsData(seed: number = MOONS_DEFAULTS.seed): EvalData {
  const s = twoMoons(seed);
  return {
    name: 'moons',
    test: s.test,
    ood: s.ood,
    oodName: MOONS_OOD_NAME,
    train: s.train,
    grid: { dataset: s.grid, size: MOONS_DEFAULTS.gridSize, xRange: MOONS_DEFAULTS.gridX, yRange: MOONS_DEFAULTS.gridY },
    latency: s.grid.x,
  };
}

/** Repeat rows of `x` (d columns) until there are `rows` of them. */
export function tileRows(x: Float32Array, d: number, rows: number): Float32Array {
  const n = x.length / d;
  if (n === 0) throw new SngpError('cannot build latency rows from an empty data set');
  const out = new Float32Array(rows * d);
  for (let i = 0; i < rows; i++) out.set(x.subarray((i % n) * d, (i % n + 1) * d), i * d);
  return out;
}

/**
 * Put `ds`'s columns into the model's feature order. The width must equal the model's; columns are
 * matched by name when the names agree, otherwise by position (with a warning).
 */
export function alignFeatures(
  ds: Dataset,
  info: Pick<EvalModelInfo, 'featureNames' | 'inputDim'>,
  source: string,
  model: string,
  warn: (msg: string) => void = () => {},
): Dataset {
  const want = info.featureNames;
  if (ds.d !== info.inputDim)
    throw new SngpError(
      `${source}: data has ${ds.d} feature column(s) (${listNames(ds.featureNames)}), ` +
        `but model ${model} expects ${info.inputDim} (${listNames(want)})`,
    );
  const byName = want.map((f) => ds.featureNames.indexOf(f));
  if (byName.every((j) => j >= 0)) {
    if (byName.every((j, i) => j === i)) return ds;
    const d = want.length;
    const x = new Float32Array(ds.n * d);
    for (let i = 0; i < ds.n; i++) for (let k = 0; k < d; k++) x[i * d + k] = ds.x[i * ds.d + byName[k]];
    return { ...ds, x, featureNames: [...want] };
  }
  warn(`${source}: feature names (${listNames(ds.featureNames)}) differ from the model's (${listNames(want)}); matching columns by position`);
  return { ...ds, featureNames: [...want] };
}

/**
 * Everything `--data` / `--ood` name, loaded once for all models: the two-moons sets or the
 * user's files (before any model's feature order or classes are applied).
 */
export interface LoadedData {
  /** True for `--data moons` (test, grid and training points built in, mapped by position). */
  moons: boolean;
  /** Describes the in-domain rows ("moons", or the file and its `--classes`). */
  name: string;
  /** The in-domain file (or "moons"), for errors. */
  testSource: string;
  test: Dataset;
  ood: Dataset | null;
  oodName: string | null;
  /** Where the OOD rows come from (a file, for errors), or null. */
  oodSource: string | null;
  grid: GridSpec | null;
  train: Dataset | null;
  /** Whether `--classes` chose the in-domain rows. */
  selected: boolean;
}

/**
 * Load the data of a run once: two moons or the `--data` file, and the `--ood` file (which
 * replaces the two-moons cluster), each cut to its `--classes`.
 * @param o - the data flags (checked by `checkDataOptions`).
 * @param first - the first model (an OOD CSV's columns are matched to its features) and its file.
 * @param warn - receives warnings (columns matched by position).
 * @returns the loaded sets.
 * @throws SngpError for unreadable files or classes that do not occur.
 */
export async function loadEvalData(
  o: DataOptions,
  first: { info: Pick<EvalModelInfo, 'featureNames' | 'inputDim'> & Partial<Pick<EvalModelInfo, 'card'>>; file: string },
  warn: (msg: string) => void,
): Promise<LoadedData> {
  let data: LoadedData;
  if (o.data === 'moons') {
    const m = moonsData();
    const test = o.classes ? keepClasses(m.test, o.classes, '--classes', 'moons') : m.test;
    data = { moons: true, name: o.classes ? `moons (classes ${o.classes.join(', ')})` : 'moons', testSource: 'moons', test, ood: m.ood, oodName: m.oodName,
      oodSource: null, grid: m.grid, train: m.train, selected: o.classes !== undefined };
  } else {
    const { dataset, name } = await loadDataFile(o, first.info, warn); // issue #20: the first model's preprocessing
    data = { moons: false, name, testSource: o.data, test: dataset, ood: null, oodName: null, oodSource: null, grid: null, train: null, selected: o.classes !== undefined };
  }
  if (o.ood) {
    const { dataset, name } = await loadOodFile(o, first.info, first.file, warn);
    data = { ...data, ood: dataset, oodName: name, oodSource: o.ood };
  }
  return data;
}

/**
 * The loaded data as one model sees it: features in its column order, labels as its class
 * indices, and the latency rows.
 * @param data - from {@link loadEvalData}.
 * @param info - the model.
 * @param model - names the model in errors.
 * @param warn - receives warnings (columns matched by position).
 * @returns the evaluation data for this model.
 * @throws SngpError if a width differs from the model's or a label is not one of its classes.
 */
export function dataForModel(
  data: LoadedData,
  info: Pick<EvalModelInfo, 'featureNames' | 'inputDim' | 'classes'>,
  model: string,
  warn: (msg: string) => void = () => {},
): EvalData {
  let test: Dataset;
  if (data.moons) {
    checkDataFitsModel(data.name, data.test, info, model);
    test = data.test;
  } else {
    // Classes first: a label the model does not know is the more useful message.
    const mapped = mapOntoModelClasses(data.test, info.classes, data.testSource, model, data.selected);
    test = alignFeatures(mapped, info, data.testSource, model, warn);
  }
  const ood = data.ood && (data.oodSource ? alignFeatures(data.ood, info, data.oodSource, model, warn) : data.ood);
  return { name: data.name, test, ood, oodName: data.oodName, grid: data.grid, train: data.train, latency: data.moons && data.grid ? data.grid.dataset.x : tileRows(test.x, test.d, LATENCY_ROWS) };
}

/** Check that a data set built independently of the model (two moons) fits it: width and class count. */
export function checkDataFitsModel(
  name: string,
  test: Dataset,
  info: Pick<EvalModelInfo, 'featureNames' | 'inputDim' | 'classes'>,
  model: string,
): void {
  if (test.d !== info.inputDim)
    throw new SngpError(
      `${name}: data has ${test.d} feature column(s) (${listNames(test.featureNames)}), ` +
        `but model ${model} expects ${info.inputDim} (${listNames(info.featureNames)})`,
    );
  if (info.classes.length !== test.classes.length)
    throw new SngpError(
      `${name}: data has ${test.classes.length} classes [${listNames(test.classes)}], ` +
        `but model ${model} predicts ${info.classes.length} [${listNames(info.classes)}]`,
    );
}
