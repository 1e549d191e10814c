import type { Dataset } from './dataset.js';
import { Rng } from './rng.js';

/**
 * The two-moons data of the TensorFlow SNGP tutorial, exactly: sizes, noise, the plotting grid and
 * the out-of-domain cluster (DESIGN.md section 3). {@link twoMoons} uses all of them.
 */
export const MOONS_DEFAULTS = {
  /** Points per class in the training and test sets (500, so 1,000 per set). */
  samplesPerClass: 500,
  /** Standard deviation of the Gaussian noise added to each coordinate (0.1). */
  noise: 0.1,
  /** The grid's x range [min, max] (inclusive). */
  gridX: [-3.5, 3.5] as const,
  /** The grid's y range [min, max] (inclusive). */
  gridY: [-2.5, 2.5] as const,
  /** Grid points per axis (100, so a 100 x 100 grid of 10,000 points). */
  gridSize: 100,
  /** Mean (x, y) of the out-of-domain cluster. */
  oodMean: [2.5, -1.75] as const,
  /** Per-axis variance of the out-of-domain cluster (a diagonal covariance). */
  oodVar: [0.01, 0.01] as const,
  /** Points in the out-of-domain cluster. */
  oodSize: 500,
  /** Default seed of {@link twoMoons}. */
  seed: 0,
};

const FEATURES = ['x', 'y'] as const;
const CLASSES = ['0', '1'] as const;

/**
 * sklearn's make_moons (shuffled, Gaussian noise), then the tutorial's shift: class 0 by
 * (-0.1, +0.2), class 1 by (+0.1, -0.2).
 * @param nSamples - total points: floor(nSamples / 2) of class 0 (outer moon), the rest class 1.
 * @param noise - standard deviation of the Gaussian noise added to each coordinate.
 * @param rng - the generator to draw from (the shuffle first, then the noise).
 * @returns a dataset with features `x`, `y` (d = 2), labels 0 and 1 and classes "0", "1".
 */
export function makeMoons(nSamples: number, noise: number, rng: Rng): Dataset {
  const nOut = Math.floor(nSamples / 2);
  const nIn = nSamples - nOut;
  const x = new Float32Array(nSamples * 2);
  const y = new Int32Array(nSamples);
  const linspace = (k: number, i: number) => (k === 1 ? 0 : (Math.PI * i) / (k - 1));
  const pts: [number, number, number][] = [];
  for (let i = 0; i < nOut; i++) pts.push([Math.cos(linspace(nOut, i)), Math.sin(linspace(nOut, i)), 0]);
  for (let i = 0; i < nIn; i++)
    pts.push([1 - Math.cos(linspace(nIn, i)), 1 - Math.sin(linspace(nIn, i)) - 0.5, 1]);
  rng.shuffle(pts);
  for (let i = 0; i < nSamples; i++) {
    const [px, py, label] = pts[i];
    const shift = label === 0 ? [-0.1, 0.2] : [0.1, -0.2];
    x[2 * i] = px + noise * rng.normal() + shift[0];
    x[2 * i + 1] = py + noise * rng.normal() + shift[1];
    y[i] = label;
  }
  return { x, y, n: nSamples, d: 2, featureNames: FEATURES, classes: CLASSES };
}

/**
 * The evaluation grid over {@link MOONS_DEFAULTS}' x and y ranges, row-major like numpy's meshgrid:
 * x varies fastest, so point i is column i % size, row floor(i / size).
 * @param size - points per axis, at least 2 (default 100).
 * @returns an unlabelled dataset of size * size points (no `y`).
 */
export function moonsGrid(size: number = MOONS_DEFAULTS.gridSize): Dataset {
  const [x0, x1] = MOONS_DEFAULTS.gridX;
  const [y0, y1] = MOONS_DEFAULTS.gridY;
  const x = new Float32Array(size * size * 2);
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++) {
      const i = r * size + c;
      x[2 * i] = x0 + ((x1 - x0) * c) / (size - 1);
      x[2 * i + 1] = y0 + ((y1 - y0) * r) / (size - 1);
    }
  return { x, n: size * size, d: 2, featureNames: FEATURES, classes: CLASSES };
}

/**
 * The out-of-domain cluster: N(mean (2.5, -1.75), diag var (0.01, 0.01)), away from both moons, where
 * a distance-aware model should be uncertain.
 * @param n - number of points.
 * @param rng - the generator to draw from.
 * @returns an unlabelled dataset of n points (no `y`).
 */
export function moonsOod(n: number, rng: Rng): Dataset {
  const x = new Float32Array(n * 2);
  const [mx, my] = MOONS_DEFAULTS.oodMean;
  const [vx, vy] = MOONS_DEFAULTS.oodVar;
  for (let i = 0; i < n; i++) {
    x[2 * i] = mx + Math.sqrt(vx) * rng.normal();
    x[2 * i + 1] = my + Math.sqrt(vy) * rng.normal();
  }
  return { x, n, d: 2, featureNames: FEATURES, classes: CLASSES };
}

/** The data sets of the two-moons benchmark, from {@link twoMoons}. */
export interface MoonsSplits {
  /** Training set: 2 x 500 labelled points. */
  train: Dataset;
  /** Held-out in-domain draw with another seed (2 x 500 labelled points). */
  test: Dataset;
  /** The 100 x 100 plotting grid, unlabelled (see {@link moonsGrid}). */
  grid: Dataset;
  /** The out-of-domain cluster, 500 unlabelled points (see {@link moonsOod}). */
  ood: Dataset;
}

/**
 * All two-moons sets from one seed, with the tutorial's sizes ({@link MOONS_DEFAULTS}): train
 * (seed), held-out test (seed + 1), the grid (no randomness) and OOD (seed + 2).
 * @param seed - base seed (default 0).
 * @returns the four data sets.
 */
export function twoMoons(seed: number = MOONS_DEFAULTS.seed): MoonsSplits {
  const n = 2 * MOONS_DEFAULTS.samplesPerClass;
  return {
    train: makeMoons(n, MOONS_DEFAULTS.noise, new Rng(seed)),
    test: makeMoons(n, MOONS_DEFAULTS.noise, new Rng(seed + 1)),
    grid: moonsGrid(),
    ood: moonsOod(MOONS_DEFAULTS.oodSize, new Rng(seed + 2)),
  };
}

/**
 * A held-out in-domain draw for calibration (seed + 3: distinct from train, test and OOD), so
 * post-hoc calibration on two moons never touches the test set.
 * @param seed - base seed of {@link twoMoons} (default 0).
 * @returns 2 x 500 labelled points.
 */
export function moonsValidation(seed: number = MOONS_DEFAULTS.seed): Dataset {
  return makeMoons(2 * MOONS_DEFAULTS.samplesPerClass, MOONS_DEFAULTS.noise, new Rng(seed + 3));
}

/**
 * The held-out draws for decision rules (sngp-calibrate --data moons): an in-domain draw
 * (seed + 4) and an OOD cluster draw (seed + 5), both distinct from training, the test set, the
 * evaluation's OOD cluster and the temperature fit's draw, so conformal sets and the abstain
 * threshold are calibrated on rows nothing else has seen.
 * @param seed - base seed of {@link twoMoons} (default 0).
 * @returns 2 x 500 labelled points and 500 OOD points.
 */
export function moonsDecisionCalibration(seed: number = MOONS_DEFAULTS.seed): {
  /** 2 x 500 labelled in-domain points (seed + 4). */
  inDomain: Dataset;
  /** 500 points of the OOD cluster (seed + 5). */
  ood: Dataset;
} {
  return {
    inDomain: makeMoons(2 * MOONS_DEFAULTS.samplesPerClass, MOONS_DEFAULTS.noise, new Rng(seed + 4)),
    ood: moonsOod(MOONS_DEFAULTS.oodSize, new Rng(seed + 5)),
  };
}
