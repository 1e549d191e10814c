/**
 * Independent random streams derived from the one training seed, in a fixed order, so each use
 * (data split, initialisation, shuffling, dropout, MC evaluation) is reproducible on its own.
 */
import { Rng } from '@sngp/core';

export interface RngStreams {
  split: Rng;
  init: Rng;
  shuffle: Rng;
  dropout: Rng;
  evaluation: Rng;
  /** MC dropout masks of the calibration fit (forked last, so the other streams are as before). */
  calibration: Rng;
}

export function rngStreams(seed: number): RngStreams {
  const root = new Rng(seed);
  return { split: root.fork(), init: root.fork(), shuffle: root.fork(), dropout: root.fork(), evaluation: root.fork(), calibration: root.fork() };
}
