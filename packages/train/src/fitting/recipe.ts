/**
 * The default training recipe: learning rate, batch size, epoch budget and early-stopping patience
 * chosen from the data's size, so `sngp-train --data my.csv` with no flags trains well.
 *
 * Why: the tutorial's settings (Adam 1e-4, batch 128, 100 epochs) are tuned for 1,000 two-moons
 * rows. On a table of a few hundred rows they give a few hundred Adam steps at 1e-4, which leaves
 * SNGP's output layer under-trained (logits = phi beta with |phi| ~ 1, so beta must grow large):
 * several points less accurate than the deterministic net and under-confident (DESIGN.md
 * section 3). So for user data (CSV, IDX):
 * - learning rate 1e-3 (Adam's usual default);
 * - batch size: about {@link RECIPE}.rowsPerStep steps per epoch, a power of two in [32, 256]
 *   (small tables get more, smaller steps; large ones keep the step count per epoch bounded);
 * - an epoch budget of about {@link RECIPE}.rowsSeen rows seen, in [10, 200] epochs, ended by
 *   early stopping on the validation NLL (patience a tenth of the budget, in [5, 20]), the best
 *   epoch's weights restored. Without a validation split the whole budget runs.
 * Two moons (and in-memory data, the browser's) keep the tutorial's settings exactly. Every choice
 * a flag gives wins over the rule; all four methods get the same recipe, so comparisons stay fair.
 */
import type { RecipeRecord } from '@sngp/core';

/** The rule's constants (see the file comment). */
export const RECIPE = {
  /** Adam's learning rate for user data. */
  learningRate: 1e-3,
  /** Target optimiser steps per epoch: batch ~ training rows / this. */
  rowsPerStep: 100,
  /** Smallest batch. */
  minBatch: 32,
  /** Largest batch. */
  maxBatch: 256,
  /** Epoch budget ~ this many training rows seen. */
  rowsSeen: 1_000_000,
  /** Fewest epochs in the budget. */
  minEpochs: 10,
  /** Most epochs in the budget. */
  maxEpochs: 200,
  /** Fewest epochs of patience. */
  minPatience: 5,
  /** Most epochs of patience. */
  maxPatience: 20,
} as const;

/** What the recipe chose for a run, with the reasons (recorded in the checkpoint and the model card). */
export interface RecipeChoice {
  /** The epoch budget. */
  epochs: number;
  /** Rows per step. */
  batchSize: number;
  /** Adam's learning rate. */
  learningRate: number;
  /** Early stopping's patience, or null when it is off (no validation rows, or turned off). */
  patience: number | null;
  /** "tutorial" (two moons, in-memory data) or "data" (chosen from the data's size). */
  rule: RecipeRecord['rule'];
  /** Setting name -> "flag" or the rule's reason. */
  reasons: Record<string, string>;
}

/** Which settings the user gave as flags (they win over the rule). */
export interface GivenSettings {
  /** `--epochs`: the epoch budget. */
  epochs?: number;
  /** `--batch-size`. */
  batchSize?: number;
  /** `--learning-rate`. */
  learningRate?: number;
  /** `--patience`: early stopping's patience in epochs. */
  patience?: number;
  /** false: early stopping turned off (`--no-early-stopping`). */
  earlyStopping?: boolean;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/**
 * Choose a run's training settings.
 * @param given - the settings given as flags (absent: the rule's choice).
 * @param tutorial - the tutorial's epochs, batch size and learning rate (two moons, in-memory data).
 * @param data - whether the data is a user's file (CSV / IDX), its training rows and validation rows.
 * @returns the settings and why each has its value.
 */
export function chooseRecipe(
  given: GivenSettings,
  tutorial: { epochs: number; batchSize: number; learningRate: number },
  data: { userFile: boolean; trainRows: number; validationRows: number },
): RecipeChoice {
  const reasons: Record<string, string> = {};
  const pick = (name: keyof typeof tutorial | 'patience', flag: number | undefined, rule: () => [number, string]): number => {
    if (flag !== undefined) {
      reasons[name] = 'flag';
      return flag;
    }
    const [v, why] = rule();
    reasons[name] = why;
    return v;
  };
  if (!data.userFile) {
    const tut = (name: keyof typeof tutorial) => (): [number, string] => [tutorial[name], 'the tutorial\'s value (two moons / in-memory data)'];
    return {
      epochs: pick('epochs', given.epochs, tut('epochs')),
      batchSize: pick('batchSize', given.batchSize, tut('batchSize')),
      learningRate: pick('learningRate', given.learningRate, tut('learningRate')),
      patience: null,
      rule: 'tutorial',
      reasons,
    };
  }
  const n = data.trainRows;
  const learningRate = pick('learningRate', given.learningRate, () => [RECIPE.learningRate, "Adam's usual 1e-3 (the tutorial's 1e-4 suits 1,000 two-moons rows)"]);
  const batchSize = pick('batchSize', given.batchSize, () => {
    const b = Math.min(n, clamp(2 ** Math.round(Math.log2(Math.max(1, n / RECIPE.rowsPerStep))), RECIPE.minBatch, RECIPE.maxBatch));
    return [b, `~${RECIPE.rowsPerStep} steps per epoch over ${n} training rows, a power of two in [${RECIPE.minBatch}, ${RECIPE.maxBatch}]`];
  });
  const epochs = pick('epochs', given.epochs, () => {
    const e = clamp(Math.ceil(RECIPE.rowsSeen / n), RECIPE.minEpochs, RECIPE.maxEpochs);
    return [e, `budget of ~${RECIPE.rowsSeen.toLocaleString('en-US')} rows seen, in [${RECIPE.minEpochs}, ${RECIPE.maxEpochs}] epochs`];
  });
  let patience: number | null = null;
  if (given.earlyStopping === false) reasons.patience = 'early stopping off (flag)';
  else if (data.validationRows === 0) reasons.patience = 'early stopping off: no validation rows';
  else
    patience = pick('patience', given.patience, () => [
      clamp(Math.round(epochs / 10), RECIPE.minPatience, RECIPE.maxPatience),
      `a tenth of the epoch budget, in [${RECIPE.minPatience}, ${RECIPE.maxPatience}]`,
    ]);
  return { epochs, batchSize, learningRate, patience, rule: 'data', reasons };
}

/**
 * The recipe as lines for a terminal: each setting, its value and why.
 * @param r - the choice.
 * @returns one line per setting.
 */
export function formatRecipe(r: RecipeChoice): string[] {
  const v: Record<string, string> = {
    learningRate: String(r.learningRate),
    batchSize: String(r.batchSize),
    epochs: String(r.epochs),
    patience: r.patience === null ? 'off' : String(r.patience),
  };
  const label: Record<string, string> = { learningRate: 'learning rate', batchSize: 'batch size', epochs: 'epochs (budget)', patience: 'early stopping patience' };
  return Object.keys(v).filter((k) => r.reasons[k]).map((k) => `${label[k]} ${v[k]}: ${r.reasons[k] === 'flag' ? 'given by its flag' : r.reasons[k]}`);
}
