#!/usr/bin/env node
/**
 * sngp-calibrate <model.onnx ...> --data moons|<file.csv>|<images.idx[.gz]> [--labels f] [--label-column c]
 *   [--classes a,b] [--ood f ...] [--alpha a] [--score lac|aps|raps] [--raps-k-reg n] [--raps-lambda x]
 *   [--no-sets] [--abstain keep:F|max-error:F|none] [--abstain-score s] [--out f] [--device d] [--json] [--force]
 */
import { Command, InvalidArgumentError } from 'commander';
import {
  type AbstainTarget,
  CONFORMAL_SCORES,
  type ConformalScore,
  type ConformalScoreName,
  UNCERTAINTY_SCORE_NAMES,
  type UncertaintyScoreName,
} from '@sngp/core';
import { CLI_FORCE_HELP, CLI_VERBOSE_HELP, runCli } from '@sngp/core/node';
import { runCalibration } from './calibrate.js';
import { parseClassList } from './classes.js';
import { parseDevice } from './load.js';

interface CliOptions {
  data: string;
  labels?: string;
  labelColumn?: string;
  classes?: string;
  ood?: string;
  oodLabels?: string;
  oodLabelColumn?: string;
  oodClasses?: string;
  alpha: string;
  score: string;
  rapsKReg?: string;
  rapsLambda?: string;
  sets: boolean;
  randomize: boolean;
  abstain: string;
  abstainScore: string;
  out?: string;
  device?: string;
  json?: boolean;
  force?: boolean;
  verbose?: boolean;
}

function fraction(flag: string, v: string, ok: (x: number) => boolean, range: string): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || !ok(x)) throw new InvalidArgumentError(`${flag}: expected ${range}, got "${v}"`);
  return x;
}

/** `keep:0.95`, `max-error:0.05` or `none`. */
export function parseAbstainTarget(v: string): AbstainTarget | null {
  if (v === 'none') return null;
  const m = /^(keep|max-error):(.+)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`--abstain: expected keep:<fraction>, max-error:<rate> or none, got "${v}"`);
  return m[1] === 'keep'
    ? { kind: 'keep', value: fraction('--abstain keep', m[2], (x) => x > 0 && x <= 1, 'a fraction in (0, 1]') }
    : { kind: 'maxError', value: fraction('--abstain max-error', m[2], (x) => x >= 0 && x < 1, 'a rate in [0, 1)') };
}

function conformalScore(o: CliOptions): ConformalScore | null {
  if (!(CONFORMAL_SCORES as readonly string[]).includes(o.score))
    throw new InvalidArgumentError(`--score: expected one of ${CONFORMAL_SCORES.join(', ')}, got "${o.score}"`);
  const score = o.score as ConformalScoreName;
  if (score !== 'raps' && (o.rapsKReg !== undefined || o.rapsLambda !== undefined))
    throw new InvalidArgumentError(`--raps-k-reg and --raps-lambda are for --score raps, not ${score}`);
  if (!o.sets) return null;
  if (score === 'lac') {
    if (!o.randomize) throw new InvalidArgumentError('--no-randomize is for --score aps or raps; LAC is not randomized');
    return { score };
  }
  // Randomized by default: the deterministic APS ties every misclassified row of a binary problem at score 1.
  const randomized = o.randomize ? { randomized: true } : {};
  if (score === 'aps') return { score, ...randomized };
  return {
    score,
    ...randomized,
    kReg: o.rapsKReg === undefined ? undefined : fraction('--raps-k-reg', o.rapsKReg, (x) => Number.isInteger(x) && x >= 0, 'a whole number >= 0'),
    lambda: o.rapsLambda === undefined ? undefined : fraction('--raps-lambda', o.rapsLambda, (x) => x >= 0, 'a number >= 0'),
  };
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('sngp-calibrate')
    .description(
      'Choose decision rules on held-out labelled rows and write them into exported models: split-conformal prediction sets ' +
        '(coverage 1 - alpha) and an abstain threshold on an uncertainty score. Rewrites each model in place unless --out is given.',
    )
    .argument('<models...>', 'exported .onnx model files')
    .requiredOption('--data <moons|file>', 'held-out labelled rows training did not use: "moons" (a separate two-moons draw), a CSV file, or IDX images (with --labels)')
    .option('--labels <file>', 'IDX only: the labels file of the --data images')
    .option('--label-column <name>', 'label column of the --data CSV (default: the last column)')
    .option('--classes <a,b,...>', 'keep only the --data rows of these classes')
    .option('--ood <file>', 'out-of-domain rows (CSV or IDX): reports the fraction the abstain rule catches')
    .option('--ood-labels <file>', 'IDX only: the labels file of the --ood images (needed for --ood-classes)')
    .option('--ood-label-column <name>', 'label column of the --ood CSV')
    .option('--ood-classes <a,b,...>', 'keep only the --ood rows of these classes')
    .option('--alpha <a>', 'miscoverage in (0, 1): sets hold the true class of 1 - alpha of new in-domain rows', '0.1')
    .option('--score <s>', `conformal score: ${CONFORMAL_SCORES.join(' | ')}`, 'lac')
    .option('--raps-k-reg <n>', 'RAPS: ranks without a penalty (default 1)')
    .option('--raps-lambda <x>', 'RAPS: penalty per rank beyond k-reg (default 0.01)')
    .option('--no-randomize', 'APS / RAPS: the deterministic score (conservative: coverage can be far above 1 - alpha) instead of the randomized one (U from a hash of the row)')
    .option('--no-sets', 'write no conformal rule (an abstain rule only)')
    .option('--abstain <target>', 'abstain threshold target: keep:<fraction of rows answered> | max-error:<error rate among answered rows> | none', 'keep:0.95')
    .option('--abstain-score <s>', `uncertainty score the threshold applies to: ${UNCERTAINTY_SCORE_NAMES.join(' | ')}`, 'logNonMax')
    .option('--out <file>', 'write the calibrated model here instead of in place (one model only)')
    .option('--device <device>', 'auto | cpu | cuda | webgpu | wasm (runtime default: auto)')
    .option('--json', 'print the rules written as JSON')
    .option('--force', CLI_FORCE_HELP)
    .option('--verbose', CLI_VERBOSE_HELP)
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  program.parse(argv);
  const o = program.opts<CliOptions>();
  if (!(UNCERTAINTY_SCORE_NAMES as readonly string[]).includes(o.abstainScore))
    throw new InvalidArgumentError(`--abstain-score: expected one of ${UNCERTAINTY_SCORE_NAMES.join(', ')}, got "${o.abstainScore}"`);
  const results = await runCalibration(
    {
      models: program.args,
      data: o.data,
      labels: o.labels,
      labelColumn: o.labelColumn,
      classes: o.classes === undefined ? undefined : parseClassList(o.classes, '--classes'),
      ood: o.ood,
      oodLabels: o.oodLabels,
      oodLabelColumn: o.oodLabelColumn,
      oodClasses: o.oodClasses === undefined ? undefined : parseClassList(o.oodClasses, '--ood-classes'),
      conformal: conformalScore(o),
      alpha: fraction('--alpha', o.alpha, (x) => x > 0 && x < 1, 'a number in (0, 1)'),
      abstain: parseAbstainTarget(o.abstain),
      abstainScore: o.abstainScore as UncertaintyScoreName,
      out: o.out,
      force: o.force === true,
      device: o.device === undefined ? undefined : parseDevice(o.device),
    },
    o.json ? () => {} : (m) => process.stdout.write(`${m}\n`),
  );
  if (o.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
}

void runCli('sngp-calibrate', main);
