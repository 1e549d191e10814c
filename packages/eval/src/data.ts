/**
 * Evaluation data: the two-moons splits (test, OOD, grid) or a user's CSV mapped onto a model's
 * classes and feature order.
 */
import { type Dataset, MOONS_DEFAULTS, SngpError, twoMoons } from '@sngp/core';
import { loadCsvFile } from '@sngp/core/node';
import type { EvalModelInfo } from './types.js';

/** Rows pushed through the runtime for the latency figure (the 100 x 100 grid). */
export const LATENCY_ROWS = 10_000;

export interface GridSpec {
  dataset: Dataset;
  size: number;
  xRange: readonly [number, number];
  yRange: readonly [number, number];
}

export interface EvalData {
  /** 'moons' or the CSV path. */
  name: string;
  /** Labelled in-domain test rows. */
  test: Dataset;
  /** Out-of-domain rows (two moons only). */
  ood: Dataset | null;
  /** The plotting / far-corner grid (two moons only). */
  grid: GridSpec | null;
  /** Training points for the figure overlays (two moons only). */
  train: Dataset | null;
  /** LATENCY_ROWS x d features for the latency measurement. */
  latency: Float32Array;
}

/** The two-moons evaluation sets (same seed as training's default, so `train` is what was fitted). */
export function moonsData(seed: number = MOONS_DEFAULTS.seed): EvalData {
  const s = twoMoons(seed);
  return {
    name: 'moons',
    test: s.test,
    ood: s.ood,
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
      `${source}: data has ${ds.d} feature column(s) (${ds.featureNames.join(', ')}), ` +
        `but model ${model} expects ${info.inputDim} (${want.join(', ')})`,
    );
  const byName = want.map((f) => ds.featureNames.indexOf(f));
  if (byName.every((j) => j >= 0)) {
    if (byName.every((j, i) => j === i)) return ds;
    const d = want.length;
    const x = new Float32Array(ds.n * d);
    for (let i = 0; i < ds.n; i++) for (let k = 0; k < d; k++) x[i * d + k] = ds.x[i * ds.d + byName[k]];
    return { ...ds, x, featureNames: [...want] };
  }
  warn(`${source}: feature names (${ds.featureNames.join(', ')}) differ from the model's (${want.join(', ')}); matching columns by position`);
  return { ...ds, featureNames: [...want] };
}

/** A labelled CSV evaluated against one model: labels mapped onto the model's class names. */
export function csvData(
  path: string,
  info: Pick<EvalModelInfo, 'featureNames' | 'inputDim' | 'classes'>,
  model: string,
  labelColumn?: string,
  warn?: (msg: string) => void,
): EvalData {
  const raw = loadCsvFile(path, { labelColumn, classes: info.classes });
  const test = alignFeatures(raw, info, path, model, warn);
  return { name: path, test, ood: null, grid: null, train: null, latency: tileRows(test.x, test.d, LATENCY_ROWS) };
}

/** Check that a data set built independently of the model (two moons) fits it. */
export function checkDataFitsModel(data: EvalData, info: EvalModelInfo, model: string): void {
  const { test } = data;
  if (test.d !== info.inputDim)
    throw new SngpError(
      `${data.name}: data has ${test.d} feature column(s) (${test.featureNames.join(', ')}), ` +
        `but model ${model} expects ${info.inputDim} (${info.featureNames.join(', ')})`,
    );
  if (info.classes.length !== test.classes.length)
    throw new SngpError(
      `${data.name}: data has ${test.classes.length} classes [${test.classes.join(', ')}], ` +
        `but model ${model} predicts ${info.classes.length} [${info.classes.join(', ')}]`,
    );
}
