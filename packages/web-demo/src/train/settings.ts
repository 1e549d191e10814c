/**
 * What the training panel trains and how: the data the user can pick (and its limits), the model
 * and optimiser settings sized for a browser on a small machine, the export options, and the data
 * draw shared by the page (to plot the points at once) and the worker (to train on them).
 */
import { type Dataset, Rng, type ToyDataName, makeToyData, moonsGrid } from '@sngp/core';
import type { InMemoryTrainOptions } from '@sngp/train/browser';
import type { DataChoice, PanelMethod } from './protocol.js';

/** Labels of the data sets in the panel's picker. */
export const DATASET_LABELS: Record<ToyDataName, string> = {
  moons: 'Two moons',
  circles: 'Circles',
  spirals: 'Spirals',
};

/** The data the panel starts with: two moons as the tutorial draws them, 300 points. */
export const DEFAULT_DATA: DataChoice = { dataset: 'moons', noise: 0.1, size: 300, seed: 0 };

/** The range of each data control (the inputs' min, max and step). */
export const DATA_LIMITS = {
  /** Noise standard deviation, in data units. */
  noise: { min: 0, max: 0.5, step: 0.01 },
  /** Training points. */
  size: { min: 100, max: 1000, step: 50 },
} as const;

/**
 * The training options of each model: a smaller body than the tutorial's (width 64, depth 3
 * instead of 128, 6) and larger steps (batch 64, learning rate 1e-3 or 3e-3 instead of 1e-4), so a
 * few hundred points train in seconds on wasm; everything else (1024 random features, spectral-norm
 * bound 0.9, ridge 1, dropout 0.1, mean-field pi/8, auto kernel scale) is `@sngp/train`'s default.
 * The two differ in steps, each measured in Node on wasm with 300 points, noise 0.1:
 * - SNGP: 30 epochs at 1e-3 fit every set (test accuracy 99.5-99.7 % on two moons over seeds 0-3,
 *   99.4 % spirals, 100 % circles) with p(class 0) at the grid's far corners within 0.44-0.58;
 *   longer or larger steps grow the output weights and pull the corners further from 0.5.
 * - Deterministic: its input layer is frozen and it has no random features, so it needs more: 30
 *   epochs at 1e-3 reach 98 % on two moons but 67-74 % on spirals; 60 epochs at 3e-3 reach 99.8 % on both.
 */
export const TRAIN_OPTIONS: Record<PanelMethod, InMemoryTrainOptions> = {
  sngp: { width: 64, depth: 3, epochs: 30, batchSize: 64, learningRate: 1e-3, seed: 0 },
  deterministic: { width: 64, depth: 3, epochs: 60, batchSize: 64, learningRate: 3e-3, seed: 0 },
};

/** Grid points per axis of the panel's surfaces (over the two-moons window; drawn smoothed). */
export const GRID_SIZE = 64;

/** The evaluation grid of the panel's surfaces. */
export const panelGrid = (): Dataset => moonsGrid(GRID_SIZE);

/** Points of the held-out test draw the page scores each exported model on. */
export const TEST_SIZE = 1000;

/**
 * The training and held-out test points of a choice: train from `seed`, test from `seed + 1`
 * ({@link TEST_SIZE} points, same shape and noise). Deterministic, so page and worker agree.
 * @param choice - data set, noise, size and seed.
 * @returns the two labelled sets.
 * @throws SngpError for an unknown data set, a size below 2 or a negative noise.
 */
export function drawData(choice: DataChoice): { train: Dataset; test: Dataset } {
  return {
    train: makeToyData(choice.dataset, choice.size, choice.noise, new Rng(choice.seed)),
    test: makeToyData(choice.dataset, TEST_SIZE, choice.noise, new Rng(choice.seed + 1)),
  };
}

/**
 * The training options of a model for `rows` training points: {@link TRAIN_OPTIONS}, with the
 * batch cut to the rows when there are fewer (training refuses a batch larger than the data).
 * @param method - the model.
 * @param rows - training points.
 * @returns the options to train with.
 */
export function trainOptionsFor(method: PanelMethod, rows: number): InMemoryTrainOptions {
  const o = TRAIN_OPTIONS[method];
  return { ...o, method, batchSize: Math.min(o.batchSize ?? rows, rows) };
}
