/**
 * The decision rules of the demo's decisions view (issue #22): calibrated in the page, on a
 * held-out two-moons draw the models never trained on, with @sngp/core's functions, and written
 * into a copy of the model's card (core's `withDecisionRules`), so the runtime's own `predict`
 * returns the prediction sets and abstain flags: the path a user of an exported model gets.
 */
import {
  calibrateConformal,
  chooseAbstainRule,
  moonsDecisionCalibration,
  type AbstainRule,
  type ConformalRule,
} from '@sngp/core';
import type { SngpModel } from '@sngp/runtime';
import type { Serial } from './inference.js';

/** The rules' settings: coverage 90 % with the LAC score; abstain on the 5 % least certain rows. */
export const DECISION_SETTINGS = { alpha: 0.1, score: 'lac', keep: 0.95, abstainScore: 'logNonMax' } as const;

/**
 * Where the calibration rows come from: `moonsDecisionCalibration()` (seed 4, and its OOD cluster
 * seed 5), the draw kept for decision rules: not training, test, the plotted OOD cluster or the
 * temperature fit's draw.
 */
export const CALIBRATION_SOURCE = 'two-moons held-out draw (seed 4)';

/** Both rules, as the card carries them. */
export interface DecisionRules {
  /** `sngp.conformal`. */
  conformal: ConformalRule;
  /** `sngp.abstain`. */
  abstain: AbstainRule;
}

/**
 * Calibrate both rules with the loaded model on the held-out draw (1,000 labelled rows, plus 500
 * OOD rows whose caught fraction the card records), at the card's settings (the mean-field slider
 * only changes what the page draws, not the rules).
 * @param model - the model as loaded (rules it may carry are replaced).
 * @param queue - the page's run queue (one ORT run at a time).
 * @returns the rules.
 */
export async function calibrateRules(model: SngpModel, queue: Serial): Promise<DecisionRules> {
  const { inDomain: draw, ood } = moonsDecisionCalibration();
  const labels = draw.y!;
  const p = await queue.run(() => model.predict(draw.x));
  const far = await queue.run(() => model.predict(ood.x));
  const k = model.info.classes.length;
  const conformal = calibrateConformal(p.logProbs, k, labels, { alpha: DECISION_SETTINGS.alpha, score: DECISION_SETTINGS.score, source: CALIBRATION_SOURCE });
  const correct = Uint8Array.from(p.predicted, (c, i) => (c === labels[i] ? 1 : 0));
  const abstain = chooseAbstainRule(
    p.scores[DECISION_SETTINGS.abstainScore],
    correct,
    { kind: 'keep', value: DECISION_SETTINGS.keep },
    { score: DECISION_SETTINGS.abstainScore, source: CALIBRATION_SOURCE, oodScores: far.scores[DECISION_SETTINGS.abstainScore] },
  );
  return { conformal, abstain };
}

/**
 * The rules in words for the panel: alpha, the score, the quantile and what it means for a class,
 * the abstain threshold and its target.
 * @param rules - the rules.
 * @returns one sentence each.
 */
export function describeRules(rules: DecisionRules): string {
  const c = rules.conformal;
  const a = rules.abstain;
  const keep = a.target.kind === 'keep' ? `keeps ${(100 * a.target.value).toFixed(0)} % of in-domain rows` : `error among kept rows at most ${a.target.value}`;
  const ood = a.oodCaught === undefined ? '' : `, abstains on ${(100 * a.oodCaught).toFixed(0)} % of an OOD cluster draw`;
  return (
    `Sets: α = ${c.alpha} (${c.score.toUpperCase()}), quantile q = ${c.quantile.toPrecision(4)}: a class is in the set when 1 − p ≤ q. ` +
    `Abstain when log(1 − max p) > ${a.threshold.toPrecision(4)} (${keep}${ood}). Calibrated on ${c.n.toLocaleString('en-US')} rows of the ${c.source}.`
  );
}
