/**
 * The toy 2-D classification sets of the in-browser training panel, beside two moons: concentric
 * circles (sklearn's make_circles, scaled) and two interleaved spirals (TensorFlow Playground's).
 * All lie inside the two-moons plotting grid (`MOONS_DEFAULTS`' x and y ranges), so every set
 * is drawn and probed over the same window, far corners included.
 */
import type { Dataset } from './dataset.js';
import { SngpError } from './errors.js';
import { makeMoons } from './moons.js';
import type { Rng } from './rng.js';

const FEATURES = ['x', 'y'] as const;
const CLASSES = ['0', '1'] as const;

/** The toy data sets {@link makeToyData} draws. */
export const TOY_DATA_SETS = ['moons', 'circles', 'spirals'] as const;
/** The name of a toy data set: `moons`, `circles` or `spirals`. */
export type ToyDataName = (typeof TOY_DATA_SETS)[number];

/** The shapes of the toy sets, in data units (the grid spans x in [-3.5, 3.5], y in [-2.5, 2.5]). */
export const TOY_DATA_DEFAULTS = {
  /** Circles: radius of the outer circle (class 0). */
  circlesOuterRadius: 1.6,
  /** Circles: inner radius / outer radius (class 1's circle); sklearn's `factor`. */
  circlesFactor: 0.5,
  /** Spirals: radius at the end of each arm. */
  spiralsRadius: 2.2,
  /** Spirals: turns of each arm. */
  spiralsTurns: 1.25,
  /** Spirals: radius at the start of each arm, as a fraction of `spiralsRadius` (the arms do not meet at 0). */
  spiralsStart: 0.1,
};

/** 2-D points + labels as a Dataset, shuffled first and then given Gaussian noise (makeMoons' order). */
function noisyPoints(pts: [number, number, number][], noise: number, rng: Rng): Dataset {
  rng.shuffle(pts);
  const n = pts.length;
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const [px, py, label] = pts[i];
    x[2 * i] = px + noise * rng.normal();
    x[2 * i + 1] = py + noise * rng.normal();
    y[i] = label;
  }
  return { x, y, n, d: 2, featureNames: FEATURES, classes: CLASSES };
}

/**
 * Two concentric circles (sklearn's make_circles, scaled by `circlesOuterRadius`): class 0 on the
 * outer circle, class 1 on the inner one, points evenly spaced in angle, shuffled, then Gaussian noise.
 * @param nSamples - total points: floor(nSamples / 2) of class 0 (outer), the rest class 1.
 * @param noise - standard deviation of the Gaussian noise added to each coordinate, in data units.
 * @param rng - the generator to draw from (the shuffle first, then the noise).
 * @returns a dataset with features `x`, `y` (d = 2), labels 0 and 1 and classes "0", "1".
 */
export function makeCircles(nSamples: number, noise: number, rng: Rng): Dataset {
  const { circlesOuterRadius: r, circlesFactor: f } = TOY_DATA_DEFAULTS;
  const nOut = Math.floor(nSamples / 2);
  const nIn = nSamples - nOut;
  const pts: [number, number, number][] = [];
  // endpoint=False as sklearn: 0 and 2 pi are the same point.
  for (let i = 0; i < nOut; i++) pts.push([r * Math.cos((2 * Math.PI * i) / nOut), r * Math.sin((2 * Math.PI * i) / nOut), 0]);
  for (let i = 0; i < nIn; i++) pts.push([f * r * Math.cos((2 * Math.PI * i) / nIn), f * r * Math.sin((2 * Math.PI * i) / nIn), 1]);
  return noisyPoints(pts, noise, rng);
}

/**
 * Two interleaved spirals (TensorFlow Playground's): arm k's point at t in [0, 1] is at radius
 * `spiralsRadius` * (s + (1 - s) t), s = `spiralsStart`, and angle 2 pi * `spiralsTurns` * t + k pi,
 * so class 1 is class 0 turned by half a turn; points evenly spaced in t, shuffled, then Gaussian noise.
 * @param nSamples - total points: floor(nSamples / 2) of class 0, the rest class 1.
 * @param noise - standard deviation of the Gaussian noise added to each coordinate, in data units.
 * @param rng - the generator to draw from (the shuffle first, then the noise).
 * @returns a dataset with features `x`, `y` (d = 2), labels 0 and 1 and classes "0", "1".
 */
export function makeSpirals(nSamples: number, noise: number, rng: Rng): Dataset {
  const { spiralsRadius: radius, spiralsTurns: turns, spiralsStart: s } = TOY_DATA_DEFAULTS;
  const n0 = Math.floor(nSamples / 2);
  const pts: [number, number, number][] = [];
  const arm = (count: number, label: number): void => {
    for (let i = 0; i < count; i++) {
      const t = count === 1 ? 0 : i / (count - 1);
      const a = 2 * Math.PI * turns * t + label * Math.PI;
      const r = radius * (s + (1 - s) * t);
      pts.push([r * Math.cos(a), r * Math.sin(a), label]);
    }
  };
  arm(n0, 0);
  arm(nSamples - n0, 1);
  return noisyPoints(pts, noise, rng);
}

/**
 * One toy data set by name: two moons (`makeMoons`, the tutorial's shape), circles
 * ({@link makeCircles}) or spirals ({@link makeSpirals}).
 * @param name - `moons`, `circles` or `spirals`.
 * @param nSamples - total points, an integer >= 2 (half per class, the odd one to class 1).
 * @param noise - standard deviation of the Gaussian noise per coordinate, >= 0 (two moons' default: 0.1).
 * @param rng - the generator to draw from.
 * @returns a labelled dataset with features `x`, `y`, classes "0" and "1".
 * @throws SngpError if the name is unknown, `nSamples` is not an integer >= 2, or `noise` is
 *   negative or not finite.
 */
export function makeToyData(name: ToyDataName, nSamples: number, noise: number, rng: Rng): Dataset {
  if (!(TOY_DATA_SETS as readonly string[]).includes(name))
    throw new SngpError(`unknown data set "${name}": expected one of ${TOY_DATA_SETS.join(', ')}`);
  if (!(Number.isInteger(nSamples) && nSamples >= 2))
    throw new SngpError(`data set size must be an integer >= 2 (one point per class at least), got ${nSamples}`);
  if (!(Number.isFinite(noise) && noise >= 0)) throw new SngpError(`noise must be a finite number >= 0, got ${noise}`);
  if (name === 'circles') return makeCircles(nSamples, noise, rng);
  if (name === 'spirals') return makeSpirals(nSamples, noise, rng);
  return makeMoons(nSamples, noise, rng);
}
