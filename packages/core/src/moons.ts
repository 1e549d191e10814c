import type { Dataset } from './dataset.js';
import { Rng } from './rng.js';

/** Defaults of the TensorFlow SNGP tutorial (DESIGN.md section 3). */
export const MOONS_DEFAULTS = {
  samplesPerClass: 500,
  noise: 0.1,
  gridX: [-3.5, 3.5] as const,
  gridY: [-2.5, 2.5] as const,
  gridSize: 100,
  oodMean: [2.5, -1.75] as const,
  oodVar: [0.01, 0.01] as const,
  oodSize: 500,
  seed: 0,
};

const FEATURES = ['x', 'y'] as const;
const CLASSES = ['0', '1'] as const;

/**
 * sklearn's make_moons (shuffled, Gaussian noise), then the tutorial's shift: class 0 by
 * (-0.1, +0.2), class 1 by (+0.1, -0.2).
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

/** The 100 x 100 evaluation grid (row-major like numpy's meshgrid: x varies fastest). */
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

/** Out-of-domain cluster: N(mean (2.5, -1.75), diag var (0.01, 0.01)). */
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

export interface MoonsSplits {
  train: Dataset;
  /** Held-out in-domain draw with another seed. */
  test: Dataset;
  grid: Dataset;
  ood: Dataset;
}

/** All two-moons sets from one seed: train, held-out test (seed + 1), grid and OOD (seed + 2). */
export function twoMoons(seed: number = MOONS_DEFAULTS.seed): MoonsSplits {
  const n = 2 * MOONS_DEFAULTS.samplesPerClass;
  return {
    train: makeMoons(n, MOONS_DEFAULTS.noise, new Rng(seed)),
    test: makeMoons(n, MOONS_DEFAULTS.noise, new Rng(seed + 1)),
    grid: moonsGrid(),
    ood: moonsOod(MOONS_DEFAULTS.oodSize, new Rng(seed + 2)),
  };
}
