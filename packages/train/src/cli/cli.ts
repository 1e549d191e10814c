#!/usr/bin/env node
/** `sngp-train`: train SNGP or a baseline and write a checkpoint directory. */
import { Command } from 'commander';
import pkg from '../../package.json';
import { SngpError, describePreprocessing } from '@sngp/core';
import { CLI_FORCE_HELP, CLI_VERBOSE_HELP, runCli } from '@sngp/core/node';
import type { MemberRange } from '../models/ensemble.js';
import { formatAutoKernelScale } from '../kernel/kernel-format.js';
import { formatRecipe } from '../fitting/recipe.js';
import type { TrainOptions } from '../options.js';
import { type Progress, createLoadProgress, createProgress } from './progress.js';
import { dryRun, formatDryRun, trainModel } from '../train-model.js';

/** Strict number parsing: the whole string must be a number ("10x" is an error, not 10). */
function parseNumber(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(v)) throw new SngpError(`${flag} expects a number, got "${raw}"`);
  return v;
}

/** `--ensemble-members from:to` (two integers), or undefined when absent. */
function parseMembers(raw: string | undefined): MemberRange | undefined {
  if (raw === undefined) return undefined;
  const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(raw);
  if (!m) throw new SngpError(`--ensemble-members expects from:to (e.g. 0:5 for members 0 to 4), got "${raw}"`);
  return { from: Number(m[1]), to: Number(m[2]) };
}

interface RawFlags {
  method: string;
  data: string;
  labels?: string;
  labelColumn?: string;
  dryRun?: boolean;
  validationSplit?: string;
  epochs?: string;
  batchSize?: string;
  learningRate?: string;
  seed?: string;
  out?: string;
  depth?: string;
  width?: string;
  dropout?: string;
  specNormBound?: string;
  randomFeatures?: string;
  ridge?: string;
  ensembleSize?: string;
  mcSamples?: string;
  ensembleMembers?: string;
  meanFieldFactor?: string;
  gpNormalizeInput?: boolean;
  gpKernelScale?: string;
  calibrate?: boolean;
  earlyStopping?: boolean;
  patience?: string;
  features?: string;
  ignore?: string;
  json?: boolean;
  quiet?: boolean;
  force?: boolean;
  verbose?: boolean;
}

function toOptions(f: RawFlags): TrainOptions {
  const n = parseNumber;
  return {
    method: f.method,
    data: f.data,
    labels: f.labels,
    labelColumn: f.labelColumn,
    dryRun: f.dryRun === true,
    validationSplit: n('--validation-split', f.validationSplit),
    epochs: n('--epochs', f.epochs),
    batchSize: n('--batch-size', f.batchSize),
    learningRate: n('--learning-rate', f.learningRate),
    seed: n('--seed', f.seed),
    out: f.out,
    force: f.force === true,
    depth: n('--depth', f.depth),
    width: n('--width', f.width),
    dropout: n('--dropout', f.dropout),
    specNormBound: n('--spec-norm-bound', f.specNormBound),
    randomFeatures: n('--random-features', f.randomFeatures),
    ridge: n('--ridge', f.ridge),
    ensembleSize: n('--ensemble-size', f.ensembleSize),
    mcSamples: n('--mc-samples', f.mcSamples),
    ensembleMembers: parseMembers(f.ensembleMembers),
    meanFieldFactor: n('--mean-field-factor', f.meanFieldFactor),
    gpNormalizeInput: f.gpNormalizeInput === true,
    gpKernelScale: f.gpKernelScale === undefined || f.gpKernelScale.trim() === 'auto' ? 'auto' : n('--gp-kernel-scale', f.gpKernelScale),
    // commander: --calibrate / --no-calibrate set true / false; neither leaves it undefined (default on).
    calibrate: f.calibrate,
    earlyStopping: f.earlyStopping,
    patience: n('--patience', f.patience),
    features: parseColumnList(f.features),
    ignore: parseColumnList(f.ignore),
  };
}

/** `--features a,b` / `--ignore id,year`: comma-separated names (trimmed), or undefined when absent. */
function parseColumnList(raw: string | undefined): string[] | undefined {
  return raw === undefined ? undefined : raw.split(',').map((c) => c.trim());
}

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('sngp-train')
    .description('Train SNGP or a baseline (deterministic ResNet, MC dropout, deep ensemble) and write a checkpoint.')
    .version(pkg.version)
    .option('--method <method>', 'sngp | deterministic | mc-dropout | ensemble', 'sngp')
    .option('--data <source>', '"moons", IDX images (.idx, -ubyte, optionally .gz; with --labels) or a CSV file (header row, a label column; numeric and text features, missing cells allowed)', 'moons')
    .option('--labels <file>', 'IDX only: the labels file of the --data images')
    .option('--label-column <name>', 'CSV label column (default: the last column)')
    .option('--validation-split <f>', 'CSV/IDX only: fraction held out for validation (default 0.2)')
    .option('--epochs <n>', 'training epochs, the budget with early stopping (default: moons 100; CSV/IDX from the data size, 10-200)')
    .option('--batch-size <n>', 'mini-batch size (default: moons 128; CSV/IDX ~100 steps per epoch, 32-256)')
    .option('--learning-rate <x>', 'Adam learning rate (default: moons 1e-4; CSV/IDX 1e-3)')
    .option('--patience <n>', 'CSV/IDX: early stopping after this many epochs without a validation NLL improvement (default: a tenth of the epochs, 5-20)')
    .option('--no-early-stopping', 'CSV/IDX: train every epoch of the budget (default: stop early on the validation NLL and keep the best epoch)')
    .option('--seed <n>', 'seed of every random draw (default 0)')
    .option('--out <dir>', 'checkpoint directory to write (atomically; an existing one is replaced only if it is a checkpoint, see --force)')
    .option('--depth <n>', 'residual blocks (default 6)')
    .option('--width <n>', 'hidden width (default 128)')
    .option('--dropout <rate>', 'dropout rate in the residual blocks (default 0.1)')
    .option('--spec-norm-bound <c>', 'SNGP: spectral norm bound c (default 0.9)')
    .option('--random-features <m>', 'SNGP: random features M (default 1024)')
    .option('--ridge <s>', 'SNGP: ridge of the Laplace precision (default 1)')
    .option('--ensemble-size <n>', 'ensemble: members (default 10)')
    .option('--ensemble-members <from:to>', 'ensemble: train only members from..to-1 (0-based), each exactly as in the whole ensemble; merge the parts with mergeEnsembleParts')
    .option('--mc-samples <n>', 'MC dropout: samples at inference (default 10)')
    .option('--mean-field-factor <x>', 'SNGP: mean-field lambda recorded for inference (default pi/8)')
    .option('--gp-normalize-input', 'SNGP: layer-normalise the hidden features before the random features (trainable gamma/beta)')
    .option('--gp-kernel-scale <s>', 'SNGP: kernel scale s > 0 (GP input times 1/sqrt(s)), or "auto": chosen from the training data (default auto)')
    .option('--calibrate', 'fit the temperature (SNGP: and the mean-field factor) on held-out rows after training (the default; recorded in the model card, the runtime uses it)')
    .option('--no-calibrate', 'do not calibrate')
    .option('--features <a,b,c>', 'CSV only: use only these columns as features, in this order')
    .option('--ignore <a,b>', 'CSV only: leave these columns out (e.g. an id or a year)')
    .option('--dry-run', 'load and validate the data and options, print a data summary, train nothing (--out optional)')
    .option('--json', 'print one JSON summary on stdout')
    .option('--quiet', 'no progress output')
    .option('--force', CLI_FORCE_HELP)
    .option('--verbose', CLI_VERBOSE_HELP)
    .showHelpAfterError(false)
    // Errors go through runCli: commander throws instead of exiting and prints nothing itself.
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .parse(argv);

  const flags = program.opts<RawFlags>();
  const options = toOptions(flags);
  const loading = flags.quiet ? null : createLoadProgress(flags.data);
  if (options.dryRun) {
    const s = await dryRun(options, {
      onLoad: (done, total) => loading?.update(done, total),
      onWarning: (line) => process.stderr.write(line + '\n'), // E.g. an all-missing column
    }).finally(() => loading?.stop());
    process.stdout.write(flags.json ? JSON.stringify(s) + '\n' : formatDryRun(s) + '\n');
    return;
  }
  if (!flags.out) throw new SngpError("required option '--out <dir>' not specified (or use --dry-run to only check the data)");
  let progress: Progress | null = null;
  const { summary, checkpoint } = await trainModel(options, {
    onLoad: (done, total) => loading?.update(done, total),
    onStart: (info) => {
      loading?.stop();
      if (flags.quiet) return;
      process.stderr.write(
        `sngp-train: method ${info.method}, backend ${info.backend}, ${info.trainRows} training rows, ${info.epochs} epochs x ${info.stepsPerEpoch} steps${info.recipe?.patience ? ` (at most: early stopping, patience ${info.recipe.patience})` : ''}\n`,
      );
      if (info.recipe?.rule === 'data') for (const line of formatRecipe(info.recipe)) process.stderr.write(`sngp-train: ${line}\n`);
      if (info.gp)
        process.stderr.write(
          `sngp-train: GP kernel scale ${info.gp.kernelScale.toPrecision(4)}${info.gp.auto ? ` (auto: ${formatAutoKernelScale(info.gp)})` : ''}, input layer-norm ${info.gp.normalizeInput ? 'on' : 'off'}\n`,
        );
      progress = createProgress(info.epochs);
    },
    onEpoch: (s) => progress?.epoch(s),
    onPosterior: (done, total) => progress?.posterior(done, total),
    onWarning: (line) => {
      // A warning is printed even with --quiet: the run is likely wasted.
      process.stderr.write((progress ? '\n' : '') + line + '\n');
    },
  }).finally(() => loading?.stop()); // a load error must not print on the bar's line
  (progress as Progress | null)?.stop();
  if (flags.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else if (!flags.quiet) {
    const m = Object.entries(summary.metrics)
      .map(([k, v]) => `${k} ${v.toFixed(4)}`)
      .join(', ');
    const e = summary.earlyStopping;
    if (e)
      process.stderr.write(
        `early stopping: ${e.epochsRun < summary.epochs ? `stopped after epoch ${e.epochsRun} of ${summary.epochs}` : `all ${summary.epochs} epochs ran`}; kept epoch ${e.bestEpoch} (validation NLL ${e.bestNll.toFixed(4)})\n`,
      );
    if (summary.calibration) {
      const c = summary.calibration;
      const lambda = c.meanFieldFactor !== undefined ? `lambda ${c.meanFieldFactor.toPrecision(3)}, ` : '';
      const bound = c.atBound?.length ? `; note: ${c.atBound.join(', ')}` : '';
      process.stderr.write(
        `calibrated on ${c.rows} ${c.data} rows: ${lambda}T ${c.temperature.toPrecision(3)}; NLL ${c.nllBefore.toFixed(4)} -> ${c.nllAfter.toFixed(4)}, ECE ${c.eceBefore.toFixed(4)} -> ${c.eceAfter.toFixed(4)}${bound}\n`,
      );
    }
    // What the preprocessing did
    if (checkpoint.config.preprocessing) process.stderr.write(describePreprocessing(checkpoint.config.preprocessing) + '\n');
    process.stderr.write(`wrote ${summary.out} (${summary.msPerStep.toFixed(1)} ms/step, ${summary.seconds.toFixed(1)} s): ${m}\n`);
  }
}

void runCli('sngp-train', main);
