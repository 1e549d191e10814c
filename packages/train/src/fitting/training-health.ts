/**
 * The training-health guard: notices an SNGP run that is not learning (accuracy stuck at chance
 * and a flat loss over the first epochs), the symptom of a random-feature kernel far too narrow
 * for the data, and says what to try instead of letting the run finish at chance.
 */
import type { EpochStats } from './trainer.js';

/** Epoch at which the guard decides; runs shorter than this are not judged. */
export const HEALTH_CHECK_EPOCH = 5;
/** Accuracy within this of chance counts as "at chance". */
export const CHANCE_MARGIN = 0.05;
/** Relative loss change below this since epoch 1 counts as "flat". */
export const FLAT_LOSS = 0.01;

/**
 * Watches epoch statistics and returns one warning line, once, when training accuracy stays
 * within `CHANCE_MARGIN` (0.05) of chance and the loss moved less than `FLAT_LOSS` (1 %, relative)
 * since epoch 1, judged at epoch {@link HEALTH_CHECK_EPOCH}. `trainModel` runs one for SNGP and
 * reports its warning through `TrainHooks.onWarning` and `TrainSummary.warnings`.
 */
export class TrainingHealthGuard {
  private first: EpochStats | null = null;
  private decided = false;

  /**
   * A guard for one run, before its first epoch.
   * @param chance - the accuracy of a constant guess, in (0, 1]: max(1 / K, the majority class's
   *   share); see {@link chanceAccuracy}.
   * @param epochs - epochs of the run (kept for reference; the decision is at
   *   {@link HEALTH_CHECK_EPOCH} whatever the length).
   */
  constructor(
    readonly chance: number,
    readonly epochs: number,
  ) {}

  /**
   * Feed one epoch's statistics.
   * @param s - the epoch's statistics.
   * @returns the warning line when the run looks stuck (once), else null.
   */
  observe(s: EpochStats): string | null {
    if (!this.first) this.first = s;
    // Decide at epoch HEALTH_CHECK_EPOCH; shorter runs are not judged (a slow start is normal).
    if (this.decided || s.epoch < HEALTH_CHECK_EPOCH) return null;
    this.decided = true;
    const change = Math.abs(s.loss - this.first.loss) / Math.max(Math.abs(this.first.loss), 1e-12);
    if (s.accuracy - this.chance >= CHANCE_MARGIN || change >= FLAT_LOSS) return null;
    return (
      `sngp-train: warning: SNGP is not learning (accuracy ${s.accuracy.toFixed(2)} ~ chance ${this.chance.toFixed(2)}, ` +
      `loss ${s.loss.toFixed(3)} flat since epoch 1): the random-feature kernel may be too narrow for this data; ` +
      `try --gp-kernel-scale <larger> or --gp-normalize-input`
    );
  }
}

/**
 * Accuracy of always guessing the most common class, or 1 / K if higher.
 * @param labels - class of each training row.
 * @param k - classes K.
 * @returns the chance accuracy.
 */
export function chanceAccuracy(labels: ArrayLike<number>, k: number): number {
  const counts = new Float64Array(k);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return Math.max(1 / k, Math.max(...counts) / Math.max(labels.length, 1));
}
