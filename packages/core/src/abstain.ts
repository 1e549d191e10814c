/**
 * The abstain rule (pure math): hand a row to a person when its uncertainty score is above a
 * threshold chosen on held-out in-domain rows for a target, either the fraction of rows to keep
 * or the highest error rate allowed among the rows kept. A row is kept iff score <= threshold.
 *
 * Scores are the runtime's float64 `Prediction.scores` (log-space, tie-free for confident rows),
 * so the kept fraction on the calibration rows is the one asked for; tied scores are kept or
 * abstained together (a threshold never splits a tie).
 */
import { z } from 'zod';
import { SngpError } from './errors.js';
import { UNCERTAINTY_SCORE_NAMES } from './uncertainty.js';

/** The default abstain target: keep 95% of in-domain rows. */
export const DEFAULT_ABSTAIN_TARGET: AbstainTarget = { kind: 'keep', value: 0.95 };

/** Keep (answer) at least a fraction of in-domain rows. */
export interface KeepTarget {
  /** Always `keep`. */
  kind: 'keep';
  /** The fraction of rows to keep, in (0, 1]. */
  value: number;
}
/** Keep as many rows as possible with at most an error rate among them. */
export interface MaxErrorTarget {
  /** Always `maxError`. */
  kind: 'maxError';
  /** The highest error rate allowed among the kept rows, in [0, 1). */
  value: number;
}
/** What the threshold was chosen for: `keep` a fraction of rows, or a `maxError` among kept rows. */
export type AbstainTarget = KeepTarget | MaxErrorTarget;

/** The zod schema of {@link AbstainTarget}. */
export const abstainTargetSchema: z.ZodType<AbstainTarget> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('keep'), value: z.number().gt(0).max(1) }).strict(),
  z.object({ kind: z.literal('maxError'), value: z.number().min(0).lt(1) }).strict(),
]);

/**
 * The zod schema of {@link AbstainRule} (the model card's `sngp.abstain`): a runtime score name, a
 * finite threshold, the target, n >= 1 held-out rows and what the rule achieved on them.
 */
export const abstainRuleSchema = z
  .object({
    /** The `Prediction.scores` field the threshold applies to (higher = less certain). */
    score: z.enum(UNCERTAINTY_SCORE_NAMES),
    /** Abstain iff score > threshold. */
    threshold: z.number(),
    /** What it was chosen for. */
    target: abstainTargetSchema,
    /** Held-out in-domain rows it was chosen on. */
    n: z.number().int().min(1),
    /** Fraction of those rows kept. */
    keptFraction: z.number().min(0).max(1),
    /** Error rate among the kept rows (0 when none is kept). */
    errorAmongKept: z.number().min(0).max(1),
    /** Fraction of the OOD rows abstained on, when OOD rows were given. */
    oodCaught: z.number().min(0).max(1).optional(),
    /** OOD rows given. */
    oodRows: z.number().int().min(1).optional(),
    /** Where the rows came from. */
    source: z.string().min(1),
  })
  .strict()
  .refine((r) => (r.oodCaught === undefined) === (r.oodRows === undefined), { path: ['oodRows'], message: 'oodCaught and oodRows go together' });
/**
 * A chosen abstain rule: what the model card carries as `sngp.abstain`.
 * @interface
 */
export type AbstainRule = z.infer<typeof abstainRuleSchema>;

/**
 * Choose the abstain threshold on held-out in-domain rows.
 * - `keep` v: the smallest threshold that keeps at least ceil(v * n) rows (v = 1 keeps every row).
 * - `maxError` v: the largest threshold whose kept rows have error rate <= v (ties kept together).
 * @param scores - each row's uncertainty score [n], finite (higher = less certain).
 * @param correct - 1 where the model's prediction of the row is right [n].
 * @param target - the target.
 * @param options - the score's name and rows' source for the card, and optional OOD rows' scores.
 * @returns the rule with what it achieved on these rows (and the OOD fraction caught).
 * @throws SngpError for empty or mismatched inputs, a non-finite score, a target out of range, or a
 *   `maxError` no threshold reaches (the most certain row is already wrong).
 */
export function chooseAbstainRule(
  scores: ArrayLike<number>,
  correct: ArrayLike<number>,
  target: AbstainTarget,
  options: {
    /** The score's name. */
    score: AbstainRule['score'];
    /** Where the rows came from. */
    source: string;
    /** Scores of OOD rows, to report the fraction caught. */
    oodScores?: ArrayLike<number>;
  },
): AbstainRule {
  const t = abstainTargetSchema.safeParse(target);
  if (!t.success) throw new SngpError(`abstain target ${JSON.stringify(target)}: ${t.error.issues[0].message} (keep in (0, 1], maxError in [0, 1))`);
  const n = scores.length;
  if (n === 0) throw new SngpError('abstain calibration needs at least 1 labelled row, got 0');
  if (correct.length !== n) throw new SngpError(`abstain calibration: ${correct.length} correctness flags for ${n} rows`);
  finiteScores(scores, 'abstain calibration');
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  // Candidate cut after sorted position i (keep rows 0..i), only at the end of a run of ties.
  const tieEnd = (i: number): boolean => i === n - 1 || scores[order[i + 1]] !== scores[order[i]];
  let cut = -1;
  if (target.kind === 'keep') {
    cut = Math.ceil(target.value * n - 1e-9) - 1;
    while (!tieEnd(cut)) cut++;
  } else {
    let errors = 0;
    for (let i = 0; i < n; i++) {
      errors += correct[order[i]] ? 0 : 1;
      if (tieEnd(i) && errors <= target.value * (i + 1) + 1e-12) cut = i;
    }
    if (cut < 0)
      throw new SngpError(
        `abstain calibration: no threshold keeps the error rate at or below ${target.value}: the most certain row is already wrong; ` +
          'allow a higher max error or use a keep target',
      );
  }
  const threshold = scores[order[cut]];
  let errors = 0;
  for (let i = 0; i <= cut; i++) errors += correct[order[i]] ? 0 : 1;
  const rule: AbstainRule = {
    score: options.score,
    threshold,
    target,
    n,
    keptFraction: (cut + 1) / n,
    errorAmongKept: errors / (cut + 1),
    source: options.source,
  };
  if (options.oodScores && options.oodScores.length > 0) {
    finiteScores(options.oodScores, 'abstain OOD rows');
    rule.oodCaught = abstainFlags(options.oodScores, threshold).reduce((a, v) => a + v, 0) / options.oodScores.length;
    rule.oodRows = options.oodScores.length;
  }
  return rule;
}

function finiteScores(scores: ArrayLike<number>, what: string): void {
  for (let i = 0; i < scores.length; i++)
    if (!Number.isFinite(scores[i])) throw new SngpError(`${what}: score of row ${i} is not finite (${scores[i]})`);
}

/**
 * Abstain flags: 1 where score > threshold, and where the score is NaN (a row without a
 * prediction is always handed over).
 * @param scores - uncertainty scores [N].
 * @param threshold - the rule's threshold.
 * @returns [N] flags.
 */
export function abstainFlags(scores: ArrayLike<number>, threshold: number): Uint8Array {
  const out = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = scores[i] <= threshold ? 0 : 1;
  return out;
}
