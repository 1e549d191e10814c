#!/usr/bin/env node
/**
 * sngp-eval <model.onnx ...> --data moons|<file.csv>|<images.idx[.gz]> [--labels f] [--label-column c]
 *           [--classes a,b] [--ood <file.csv|images.idx[.gz]>] [--ood-labels f] [--ood-label-column c]
 *           [--ood-classes a,b] [--out report-dir] [--device d] [--latency-runs n] [--json] [--force] [--verbose]
 */
import { Command, InvalidArgumentError } from 'commander';
import { CLI_FORCE_HELP, CLI_VERBOSE_HELP, runCli } from '@sngp/core/node';
import { type DataFlagValues, addDataFlags, dataOptionsOf } from './data-flags.js';
import { parseDevice } from './load.js';
import { decisionTable, formatTextTable, metricsTable, oodScoreTable, selectiveTable } from './report.js';
import { runEvaluation } from './run.js';

interface CliOptions extends DataFlagValues {
  out?: string;
  device?: string;
  latencyRuns: number;
  json?: boolean;
  force?: boolean;
  verbose?: boolean;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${v}"`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  const program = addDataFlags(
    new Command('sngp-eval')
      .description('Evaluate exported SNGP toolkit models: calibration, OOD detection, latency, figures and a report.')
      .argument('<models...>', 'exported .onnx model files'),
    {
      data: '"moons" (test, OOD and grid sets), a labelled CSV file, or IDX images (.idx, -ubyte, optionally .gz; with --labels)',
      ood: "out-of-domain rows: a CSV (the model's feature columns, labels optional) or IDX images; replaces the two-moons OOD cluster",
    },
  )
    .option('--out <dir>', 'write a report folder (index.html, README.md, figures/, metrics.json); replaces only a report folder of ours, see --force')
    .option('--device <device>', 'auto | cpu | cuda | webgpu | wasm (runtime default: auto)')
    .option('--latency-runs <n>', 'timed runs over 10,000 rows (median reported)', positiveInt, 5)
    .option('--json', 'print metrics.json to stdout instead of a table')
    .option('--force', CLI_FORCE_HELP)
    .option('--verbose', CLI_VERBOSE_HELP)
    // Errors go through runCli: commander throws instead of exiting and prints nothing itself.
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  program.parse(argv);
  const o = program.opts<CliOptions>();
  const device = o.device === undefined ? undefined : parseDevice(o.device);
  const { report } = await runEvaluation({
    models: program.args,
    ...dataOptionsOf(o),
    out: o.out,
    force: o.force === true,
    device,
    latencyRuns: o.latencyRuns,
    log: (m) => process.stderr.write(`sngp-eval: ${m}\n`),
  });
  if (o.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else {
    process.stdout.write(formatTextTable(metricsTable(report)) + '\n');
    const scores = oodScoreTable(report);
    if (scores) process.stdout.write(`\nOOD detection by score (OOD AUROC / AUPR above: log(1 - max p)):\n${formatTextTable(scores)}\n`);
    process.stdout.write(`\nSelective prediction (by log(1 - max p)):\n${formatTextTable(selectiveTable(report))}\n`);
    const decisions = decisionTable(report);
    if (decisions) process.stdout.write(`\nDecision rules from the model cards (sngp-calibrate), on the test rows:\n${formatTextTable(decisions)}\n`);
    if (o.out) process.stdout.write(`report: ${o.out}/index.html\n`);
  }
}

void runCli('sngp-eval', main);
