/**
 * Real-data benchmark (`npm run bench:real`; `--quick` is the reduced version the tests run): the
 * four methods on scikit-learn's wine, breast-cancer and digits tables and on Fashion-MNIST, through
 * the same bins a user runs (sngp-train -> sngp-export -> sngp-eval with --ood). Prints one table
 * (test accuracy, NLL, ECE, OOD AUROC / AUPR per method and data set) and writes it with every
 * figure to artifacts/real-data/ (results.json, results.md, one sngp-eval report per data set).
 *
 *   node dist/bench-real.js [--quick] [--datasets wine,digits-5] [--seeds 5] [--out <dir>]
 *
 * `--seeds n` trains every method with model seeds 0..n-1 (`sngp-train --seed`: initialisation and
 * validation split; the test split stays seed 0's) and judges the acceptance checks on the means:
 * on a table of 86 test rows one seed's accuracy moves by +-5 points and its OOD AUROC by up to 0.5
 * (penguins' deterministic net: 0.41-0.98 over seeds 0-4), so a single seed cannot resolve a 1.5-point margin.
 */
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { METHODS, type Method } from '@sngp/core';
import { writeFileAtomic } from '@sngp/core/node';
import { type ReportJson, formatMarkdownTable, formatTextTable } from '@sngp/eval';
import { type PreparedData, prepareRealData } from './real-data.js';
import { cliArg, packageBin, pool, runBin, runStage, stageLogger } from './stage.js';
import { pipelinePackageDir } from './config.js';

/** One method's figures on one data set (a row of results.json): one seed's, or the mean over seeds. */
export interface RealDataRow {
  dataset: string;
  method: Method;
  /** The model seed; null in a row of means. */
  seed: number | null;
  accuracy: number;
  nll: number;
  ece: number;
  /** The median test ECE a perfectly calibrated model with these probabilities would show (sngp-eval's `eceFloor`). */
  eceFloor: number;
  auroc: number | null;
  aupr: number | null;
  /** AURC of the test rows with the OOD rows mixed in (each an error; sngp-eval's `selective.aurcWithOod`); null without OOD rows. */
  aurcWithOod: number | null;
  trainSeconds: number;
  /** Seeds a row of means averages (1 for a single run). */
  seeds: number;
  /** Standard deviation over the seeds of accuracy, ECE and OOD AUROC (rows of means with seeds > 1). */
  sd?: { accuracy: number; ece: number; auroc: number | null };
}

/** Per data set and method, the mean (and standard deviation) over seeds of every figure. */
export function meanOverSeeds(rows: RealDataRow[]): RealDataRow[] {
  const groups = new Map<string, RealDataRow[]>();
  for (const r of rows) {
    const key = `${r.dataset}\u0000${r.method}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const mean = (f: (r: RealDataRow) => number) => g.reduce((a, r) => a + f(r), 0) / g.length;
    const sd = (f: (r: RealDataRow) => number) => Math.sqrt(g.reduce((a, r) => a + (f(r) - mean(f)) ** 2, 0) / Math.max(1, g.length - 1));
    const hasOod = g[0].auroc !== null;
    return {
      dataset: g[0].dataset,
      method: g[0].method,
      seed: g.length === 1 ? g[0].seed : null,
      accuracy: mean((r) => r.accuracy),
      nll: mean((r) => r.nll),
      ece: mean((r) => r.ece),
      eceFloor: mean((r) => r.eceFloor),
      auroc: hasOod ? mean((r) => r.auroc!) : null,
      aupr: hasOod ? mean((r) => r.aupr!) : null,
      aurcWithOod: hasOod ? mean((r) => r.aurcWithOod!) : null,
      trainSeconds: mean((r) => r.trainSeconds),
      seeds: g.length,
      ...(g.length > 1 ? { sd: { accuracy: sd((r) => r.accuracy), ece: sd((r) => r.ece), auroc: hasOod ? sd((r) => r.auroc!) : null } } : {}),
    };
  });
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
    const over = sngp.seeds > 1 ? `, means over ${sngp.seeds} seeds` : '';
    out.push({
      dataset,
      check: `SNGP accuracy ${f(sngp.accuracy)} >= deterministic ${f(det.accuracy)} - ${ACCURACY_MARGIN}${over}`,
      pass: sngp.accuracy >= det.accuracy - ACCURACY_MARGIN,
    });
    if (sngp.auroc !== null && det.auroc !== null)
      out.push({ dataset, check: `SNGP OOD AUROC ${f(sngp.auroc)} >= deterministic ${f(det.auroc)}${over}`, pass: sngp.auroc >= det.auroc });
    // Issue #22: answering the least uncertain rows first, with the OOD rows mixed in.
    if (sngp.aurcWithOod !== null && det.aurcWithOod !== null)
      out.push({ dataset, check: `SNGP AURC with OOD rows ${f(sngp.aurcWithOod)} < deterministic ${f(det.aurcWithOod)}${over}`, pass: sngp.aurcWithOod < det.aurcWithOod });
    // The floor says whether a miss is measurable at all: on 86 test rows a calibrated model's ECE is ~0.1.
    out.push({
      dataset,
      check: `SNGP ECE ${f(sngp.ece)} <= ${ECE_LIMIT} (calibrated; a calibrated model's median ECE on these test rows: ${f(sngp.eceFloor)}${over})`,
      pass: sngp.ece <= ECE_LIMIT,
    });
  }
  return out;
}

runStage(async () => {
  const quick = process.argv.includes('--quick');
  const root = resolve(pipelinePackageDir(), '../..');
  const out = resolve(cliArg('--out') ?? join(root, 'artifacts', quick ? 'real-data-quick' : 'real-data'));
  const wanted = cliArg('--datasets')?.split(',');
  const log = stageLogger('bench:real');
  const train = packageBin('@sngp/train', 'sngp-train');
  const exporter = packageBin('@sngp/export', 'sngp-export');
  const evaluate = packageBin('@sngp/eval', 'sngp-eval');
  const datasets = prepareRealData(join(out, 'data'), { quick, seed: 0, only: wanted });
  const seeds = Number(cliArg('--seeds') ?? 1);
  if (!Number.isInteger(seeds) || seeds < 1) throw new Error(`--seeds: expected a whole number >= 1, got ${cliArg('--seeds')}`);
  /** The four methods on one data set with one model seed: train, export, evaluate. */
  const benchOne = async (d: PreparedData, run: string, seedFlag: string[], seed: number): Promise<RealDataRow[]> => {
    const models: Record<string, { onnx: string; seconds: number }> = {};
    // Two trainings side by side (tfjs-wasm is single-threaded); the ensemble first, it is the longest.
    const order: Method[] = ['ensemble', 'sngp', 'deterministic', 'mc-dropout'];
    await pool(order, 2, async (method) => {
      const ckpt = join(out, 'checkpoints', run, method);
      const onnx = join(out, 'models', run, `${method}.onnx`);
      // No training flags: every method trains with sngp-train's defaults (the recipe, early
      // stopping, calibration), so the table is what a user gets. The quick run (the test's) only
      // shrinks the ensemble.
      const extra = method === 'ensemble' && quick ? ['--ensemble-size', '3'] : [];
      const t0 = performance.now();
      await runBin(train, 'sngp-train', ['--method', method, ...d.train, ...extra, ...seedFlag, '--out', ckpt, '--quiet'], root);
      const seconds = (performance.now() - t0) / 1000;
      await runBin(exporter, 'sngp-export', [ckpt, '--out', onnx], root);
      models[method] = { onnx, seconds };
      log(`${d.name}: ${method} trained in ${seconds.toFixed(1)} s and exported`);
    });
    const json = await runBin(
      evaluate,
      'sngp-eval',
      [...METHODS.map((m) => models[m].onnx), ...d.test, ...d.ood, '--device', 'cpu', '--latency-runs', '1', '--out', join(out, 'reports', run), '--json'],
      root,
    );
    return (JSON.parse(json) as ReportJson).models.map((m) => ({
      dataset: d.name,
      method: m.method as Method,
      seed,
      seeds: 1,
      accuracy: m.test.accuracy,
      nll: m.test.nll,
      ece: m.test.ece,
      eceFloor: m.test.eceFloor,
      auroc: m.ood?.auroc ?? null,
      aupr: m.ood?.aupr ?? null,
      aurcWithOod: m.selective.aurcWithOod,
      trainSeconds: models[m.method].seconds,
    }));
  };
  const rows: RealDataRow[] = [];
  for (const d of datasets)
    for (let seed = 0; seed < seeds; seed++) {
      log(`${d.name}${seeds > 1 ? ` (seed ${seed})` : ''}: ${d.description}`);
      // One seed keeps the layout it always had; several get a folder each.
      const run = seeds > 1 ? join(d.name, `seed-${seed}`) : d.name;
      rows.push(...(await benchOne(d, run, seeds > 1 ? ['--seed', String(seed)] : [], seed)));
    }
  const c = cpus();
  const machine = `${c.length} x ${c[0]?.model ?? 'unknown cpu'}, node ${process.versions.node}, load avg ${loadavg()[0].toFixed(2)}`;
  const f = (v: number | null, digits = 4) => (v === null ? 'n/a' : v.toFixed(digits));
  const pm = (v: number | null, sd: number | null | undefined) => (sd === undefined || sd === null ? f(v) : `${f(v, 3)} ± ${f(sd, 3)}`);
  const means = meanOverSeeds(rows);
  const table = [
    ['Data set', 'Method', 'Accuracy', 'NLL', 'ECE', 'ECE floor', 'OOD AUROC', 'OOD AUPR', 'AURC with OOD', 'Train (s)'],
    ...means.map((r) => [
      r.dataset,
      r.method,
      pm(r.accuracy, r.sd?.accuracy),
      f(r.nll),
      pm(r.ece, r.sd?.ece),
      f(r.eceFloor),
      pm(r.auroc, r.sd?.auroc),
      f(r.aupr),
      f(r.aurcWithOod),
      r.trainSeconds.toFixed(1),
    ]),
  ];
  const about = [...datasets.map((d) => `- ${d.name}: ${d.description}`), ...(seeds > 1 ? [`- means ± sd over model seeds 0-${seeds - 1}`] : [])].join('\n');
  const checks = acceptanceChecks(means);
  const checkLines = checks.map((c) => `${c.pass ? 'ok  ' : 'FAIL'} ${c.dataset}: ${c.check}`).join('\n');
  writeFileAtomic(join(out, 'results.json'), JSON.stringify({ quick, seeds, machine, datasets: datasets.map((d) => ({ name: d.name, description: d.description })), rows, means, checks }, null, 2) + '\n');
  writeFileAtomic(join(out, 'results.md'), `Machine: ${machine}${quick ? ' (quick run)' : ''}\n\n${about}\n\n${formatMarkdownTable(table)}\n\nAcceptance (issues #20 and #22, CLI defaults):\n\n${checks.map((c) => `- ${c.pass ? 'ok' : '**FAIL**'} ${c.dataset}: ${c.check}`).join('\n')}\n`);
  process.stdout.write(`\nmachine: ${machine}\n${about}\n\n${formatTextTable(table)}\n\n${checkLines}\n\nwritten: ${join(out, 'results.md')}\n`);
});
