/**
 * Real-data benchmark (`npm run bench:real`; `--quick` is the reduced version the tests run): the
 * four methods on scikit-learn's wine, breast-cancer and digits tables and on Fashion-MNIST, through
 * the same bins a user runs (sngp-train -> sngp-export -> sngp-eval with --ood). Prints one table
 * (test accuracy, NLL, ECE, OOD AUROC / AUPR per method and data set) and writes it with every
 * figure to artifacts/real-data/ (results.json, results.md, one sngp-eval report per data set).
 *
 *   node dist/bench-real.js [--quick] [--datasets wine,digits-5] [--out <dir>]
 */
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { METHODS, type Method } from '@sngp/core';
import { writeFileAtomic } from '@sngp/core/node';
import { type ReportJson, formatMarkdownTable, formatTextTable } from '@sngp/eval';
import { type PreparedData, prepareRealData } from './real-data.js';
import { packageBin, pool, runBin, runStage, stageLogger } from './stage.js';
import { pipelinePackageDir } from './config.js';

/** One method's figures on one data set (a row of results.json). */
export interface RealDataRow {
  dataset: string;
  method: Method;
  accuracy: number;
  nll: number;
  ece: number;
  auroc: number | null;
  aupr: number | null;
  trainSeconds: number;
}

/** Issue #20's acceptance (CLI defaults): SNGP within this many accuracy points of the deterministic model. */
const ACCURACY_MARGIN = 0.015;
/** Issue #20's acceptance (CLI defaults, calibrated by default): SNGP's test ECE at most this. */
const ECE_LIMIT = 0.03;

/** One acceptance check of SNGP against the deterministic model on one data set. */
export interface AcceptanceCheck {
  dataset: string;
  check: string;
  pass: boolean;
}

/** Issue #20's acceptance checks per data set: accuracy, OOD AUROC (where there is an OOD set), ECE. */
function acceptanceChecks(rows: RealDataRow[]): AcceptanceCheck[] {
  const out: AcceptanceCheck[] = [];
  for (const dataset of [...new Set(rows.map((r) => r.dataset))]) {
    const sngp = rows.find((r) => r.dataset === dataset && r.method === 'sngp');
    const det = rows.find((r) => r.dataset === dataset && r.method === 'deterministic');
    if (!sngp || !det) continue;
    const f = (v: number) => v.toFixed(4);
    out.push({
      dataset,
      check: `SNGP accuracy ${f(sngp.accuracy)} >= deterministic ${f(det.accuracy)} - ${ACCURACY_MARGIN}`,
      pass: sngp.accuracy >= det.accuracy - ACCURACY_MARGIN,
    });
    if (sngp.auroc !== null && det.auroc !== null)
      out.push({ dataset, check: `SNGP OOD AUROC ${f(sngp.auroc)} >= deterministic ${f(det.auroc)}`, pass: sngp.auroc >= det.auroc });
    out.push({ dataset, check: `SNGP ECE ${f(sngp.ece)} <= ${ECE_LIMIT} (calibrated)`, pass: sngp.ece <= ECE_LIMIT });
  }
  return out;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

runStage(async () => {
  const quick = process.argv.includes('--quick');
  const root = resolve(pipelinePackageDir(), '../..');
  const out = resolve(arg('--out') ?? join(root, 'artifacts', quick ? 'real-data-quick' : 'real-data'));
  const wanted = arg('--datasets')?.split(',');
  const log = stageLogger('bench:real');
  const train = packageBin('@sngp/train', 'sngp-train');
  const exporter = packageBin('@sngp/export', 'sngp-export');
  const evaluate = packageBin('@sngp/eval', 'sngp-eval');
  const datasets = prepareRealData(join(out, 'data'), { quick, seed: 0, only: wanted });
  const rows: RealDataRow[] = [];
  for (const d of datasets) {
    log(`${d.name}: ${d.description}`);
    const models: Record<string, { onnx: string; seconds: number }> = {};
    // Two trainings side by side (tfjs-wasm is single-threaded); the ensemble first, it is the longest.
    const order: Method[] = ['ensemble', 'sngp', 'deterministic', 'mc-dropout'];
    await pool(order, 2, async (method) => {
      const ckpt = join(out, 'checkpoints', d.name, method);
      const onnx = join(out, 'models', d.name, `${method}.onnx`);
      // No training flags: every method trains with sngp-train's defaults (the recipe, early
      // stopping, calibration), so the table is what a user gets. The quick run (the test's) only
      // shrinks the ensemble.
      const extra = method === 'ensemble' && quick ? ['--ensemble-size', '3'] : [];
      const t0 = performance.now();
      await runBin(train, 'sngp-train', ['--method', method, ...d.train, ...extra, '--out', ckpt, '--quiet'], root);
      const seconds = (performance.now() - t0) / 1000;
      await runBin(exporter, 'sngp-export', [ckpt, '--out', onnx], root);
      models[method] = { onnx, seconds };
      log(`${d.name}: ${method} trained in ${seconds.toFixed(1)} s and exported`);
    });
    const json = await runBin(
      evaluate,
      'sngp-eval',
      [...METHODS.map((m) => models[m].onnx), ...d.test, ...d.ood, '--device', 'cpu', '--latency-runs', '1', '--out', join(out, 'reports', d.name), '--json'],
      root,
    );
    const report = JSON.parse(json) as ReportJson;
    for (const m of report.models) {
      const method = m.method as Method;
      rows.push({
        dataset: d.name,
        method,
        accuracy: m.test.accuracy,
        nll: m.test.nll,
        ece: m.test.ece,
        auroc: m.ood?.auroc ?? null,
        aupr: m.ood?.aupr ?? null,
        trainSeconds: models[method].seconds,
      });
    }
  }
  const c = cpus();
  const machine = `${c.length} x ${c[0]?.model ?? 'unknown cpu'}, node ${process.versions.node}, load avg ${loadavg()[0].toFixed(2)}`;
  const f = (v: number | null, digits = 4) => (v === null ? 'n/a' : v.toFixed(digits));
  const table = [
    ['Data set', 'Method', 'Accuracy', 'NLL', 'ECE', 'OOD AUROC', 'OOD AUPR', 'Train (s)'],
    ...rows.map((r) => [r.dataset, r.method, f(r.accuracy), f(r.nll), f(r.ece), f(r.auroc), f(r.aupr), r.trainSeconds.toFixed(1)]),
  ];
  const about = datasets.map((d) => `- ${d.name}: ${d.description}`).join('\n');
  const checks = acceptanceChecks(rows);
  const checkLines = checks.map((c) => `${c.pass ? 'ok  ' : 'FAIL'} ${c.dataset}: ${c.check}`).join('\n');
  writeFileAtomic(join(out, 'results.json'), JSON.stringify({ quick, machine, datasets: datasets.map((d) => ({ name: d.name, description: d.description })), rows, checks }, null, 2) + '\n');
  writeFileAtomic(join(out, 'results.md'), `Machine: ${machine}${quick ? ' (quick run)' : ''}\n\n${about}\n\n${formatMarkdownTable(table)}\n\nAcceptance (issue #20, CLI defaults):\n\n${checks.map((c) => `- ${c.pass ? 'ok' : '**FAIL**'} ${c.dataset}: ${c.check}`).join('\n')}\n`);
  process.stdout.write(`\nmachine: ${machine}\n${about}\n\n${formatTextTable(table)}\n\n${checkLines}\n\nwritten: ${join(out, 'results.md')}\n`);
});
