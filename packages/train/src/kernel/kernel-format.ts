/**
 * The kernel-scale line of `sngp-train`: how the auto rule (kernel-scale.ts) and the validation
 * search (kernel-search.ts) chose. Type-only imports, so the CLI prints it without loading tfjs.
 */
import { NEIGHBOUR_FACTOR } from './kernel-scale.js';
import type { KernelSearch } from './kernel-search.js';

/**
 * One line on how the auto scale was chosen, for `sngp-train`'s kernel-scale line: the rule's
 * distance and scale, then the search's candidates (ridge-regression validation squared error and
 * z against the wider choice), the choice and its cost, or why there was no search.
 * @param gp - the auto rule's measurements and the search, as in the run's `GpSetup`.
 * @returns e.g. "rule: 3 x median nearest-neighbour distance 19.93 of the hidden features over
 *   1000 rows, squared = 3575; validation search (ridge regression on 8192 training rows, squared
 *   error on 6000 validation rows): 3575 0.2949, 1192 0.2850 z 5.2, 357.5 0.3489 z -21.4 -> 1192 (6.4 s)".
 */
export function formatAutoKernelScale(gp: {
  /** Median nearest-neighbour distance the rule used. */
  neighbourDistance?: number;
  /** Rows the rule sampled. */
  rows?: number;
  /** The rule's scale. */
  ruleScale?: number;
  /** The validation search, if one ran. */
  search?: KernelSearch;
}): string {
  const rule = `rule: ${NEIGHBOUR_FACTOR} x median nearest-neighbour distance ${(gp.neighbourDistance ?? 0).toFixed(3)} of the hidden features over ${gp.rows} rows, squared = ${(gp.ruleScale ?? 1).toPrecision(4)}`;
  const s = gp.search;
  if (!s) return `${rule}; no validation search (${(gp.ruleScale ?? 1) > 1 ? 'no validation split' : 'no narrower candidate'})`;
  const cands = s.candidates.map((c, i) => `${c.scale.toPrecision(4)} ${c.squaredError.toFixed(4)}${i ? ` z ${c.z.toFixed(1)}` : ''}`).join(', ');
  return `${rule}; validation search (ridge regression on ${s.trainRows} training rows, squared error on ${s.validationRows} validation rows): ${cands} -> ${s.scale.toPrecision(4)} (${s.seconds.toFixed(1)} s)`;
}
