/**
 * Conformal coverage benchmark (`npm run bench:conformal`, after `npm run bench:real`): for every
 * bench:real data set and method, the model bench:real trained with the CLI defaults predicts the
 * held-out test rows once; then `--splits` random calibration / test splits (half and half) of those
 * rows check the split-conformal guarantee for LAC, APS and RAPS (randomized, sngp-calibrate's
 * default) at alpha 0.1: the mean coverage
 * over the splits against its finite-sample expectation ceil((n + 1)(1 - alpha)) / (n + 1), and on
 * sets with at least 1,000 test rows per split the lowest coverage of the first 100 splits (the
 * issue's count; the minimum of 1,000 draws sits lower only because there are more draws) against
 * 1 - alpha - 3 points. The mean uses every split: 1,000 bring its Monte Carlo error on a 39-row
 * table to 0.003, below the 1-point tolerance (100 would leave 0.009).
 *
 *   node dist/bench-conformal.js [--from <bench:real out dir>] [--datasets wine,penguins] [--splits 1000] [--quick]
 *
 * Only held-out rows are split: training rows are not exchangeable with new rows (the model has
 * seen them), so calibrating on them would break the guarantee this measures.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { CONFORMAL_SCORES, DEFAULT_CONFORMAL_ALPHA, METHODS, type Method, SngpError, type SplitCoverage, rowUniforms, splitCoverage } from '@sngp/core';
import { writeFileAtomic } from '@sngp/core/node';
import { type DataOptions, dataForModel, formatMarkdownTable, formatTextTable, loadEvalData, loadEvalModel } from '@sngp/eval';
import { pipelinePackageDir } from './config.js';
import { prepareRealData } from './real-data.js';
import { runStage, stageLogger } from './stage.js';

/** Mean coverage may differ from its expectation by at most this (the 1 point). */
export const MEAN_TOLERANCE = 0.01;
/** With at least LARGE_TEST_ROWS test rows per split, no split may fall more than this below 1 - alpha. */
export const SPLIT_TOLERANCE = 0.03;
/** Test rows per split from which the per-split bound is checked. */
export const LARGE_TEST_ROWS = 1000;
/** The per-split bound is checked over this many splits. */
export const MIN_SPLITS = 100;

/** One data set, method and score over the splits (a row of results.json). */
export interface ConformalRow extends Omit<SplitCoverage, 'coverages'> {
  dataset: string;
  method: Method;
  score: (typeof CONFORMAL_SCORES)[number];
  /** Standard error of `meanCoverage` from the splits' spread (sd / sqrt(splits)). */
  standardError: number;
  /** |meanCoverage - expected| <= MEAN_TOLERANCE. */
  meanOk: boolean;
  /** Lowest coverage of the first MIN_SPLITS splits. */
  minCoverage100: number;
  /** minCoverage100 >= 1 - alpha - SPLIT_TOLERANCE; null when the test part has fewer than LARGE_TEST_ROWS rows. */
  minOk: boolean | null;
}

/** sngp-eval's data flags from a PreparedData argument list (`--data f --labels l --classes a,b`). */
function dataOptions(args: string[]): DataOptions {
  const get = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  return { data: get('--data') as string, labels: get('--labels'), labelColumn: get('--label-column'), classes: get('--classes')?.split(',') };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

runStage(async () => {
  const quick = process.argv.includes('--quick');
  const root = resolve(pipelinePackageDir(), '../..');
  const from = resolve(arg('--from') ?? join(root, 'artifacts', quick ? 'real-data-quick' : 'real-data'));
  const splits = Number(arg('--splits') ?? 1000);
  if (!Number.isInteger(splits) || splits < 100) throw new SngpError(`--splits: expected a whole number >= 100, got ${arg('--splits')}`);
  const alpha = DEFAULT_CONFORMAL_ALPHA;
  const log = stageLogger('bench:conformal');
  // The same files bench:real wrote (prepareRealData is seeded), rewritten in place.
  const datasets = prepareRealData(join(from, 'data'), { quick, seed: 0, only: arg('--datasets')?.split(',') });
  const rows: ConformalRow[] = [];
  for (const d of datasets) {
    for (const method of METHODS) {
      const file = [join(from, 'models', d.name, `${method}.onnx`), join(from, 'models', d.name, 'seed-0', `${method}.onnx`)].find(existsSync);
      if (!file) throw new SngpError(`${join(from, 'models', d.name)}: no ${method}.onnx; run \`npm run bench:real -- --out ${from}\` first`);
      const model = await loadEvalModel(file, 'cpu', () => {});
      try {
        const opts = dataOptions(d.test);
        const data = dataForModel(await loadEvalData(opts, { info: model.info, file }, () => {}), model.info, file);
        const pred = await model.predict(data.test.x);
        const uniforms = rowUniforms(data.test.x, data.test.d);
        for (const score of CONFORMAL_SCORES) {
          // APS and RAPS as sngp-calibrate writes them by default: randomized.
          const { coverages, ...r } = splitCoverage(pred.logProbs, model.info.classes.length, data.test.y as Int32Array, { score, randomized: score !== 'lac', alpha, splits, seed: 1, uniforms });
          const minCoverage100 = Math.min(...coverages.subarray(0, MIN_SPLITS));
          rows.push({
            dataset: d.name,
            method,
            score,
            ...r,
            standardError: r.sdCoverage / Math.sqrt(splits),
            minCoverage100,
            meanOk: Math.abs(r.meanCoverage - r.expected) <= MEAN_TOLERANCE,
            minOk: r.testRows >= LARGE_TEST_ROWS ? minCoverage100 >= 1 - alpha - SPLIT_TOLERANCE : null,
          });
        }
        log(`${d.name}: ${method} (${data.test.n} held-out rows) done`);
      } finally {
        await model.dispose();
      }
    }
  }
  const c = cpus();
  const machine = `${c.length} x ${c[0]?.model ?? 'unknown cpu'}, node ${process.versions.node}, load avg ${loadavg()[0].toFixed(2)}`;
  const f = (v: number, digits = 4) => v.toFixed(digits);
  const table = [
    ['Data set', 'Method', 'Score', 'n cal / test', 'Expected', 'Mean coverage', 'SE', `Min (${MIN_SPLITS} splits)`, 'Min (all)', 'Max', 'Mean size', 'Check'],
    ...rows.map((r) => [
      r.dataset,
      r.method,
      r.score.toUpperCase(),
      `${r.calibrationRows} / ${r.testRows}`,
      f(r.expected),
      f(r.meanCoverage),
      f(r.standardError),
      f(r.minCoverage100),
      f(r.minCoverage),
      f(r.maxCoverage),
      f(r.meanSize, 3),
      (r.meanOk ? 'ok' : 'FAIL mean') + (r.minOk === null ? '' : r.minOk ? ', min ok' : ', FAIL min'),
    ]),
  ];
  const failed = rows.filter((r) => !r.meanOk || r.minOk === false);
  const summary =
    `${rows.length - failed.length} of ${rows.length} pass: mean coverage over ${splits} splits within ${MEAN_TOLERANCE * 100} point of ` +
    `ceil((n + 1)(1 - alpha)) / (n + 1) at alpha ${alpha}; with >= ${LARGE_TEST_ROWS} test rows none of the first ${MIN_SPLITS} splits below ${(1 - alpha - SPLIT_TOLERANCE).toFixed(2)}.`;
  const out = join(from, 'conformal');
  writeFileAtomic(join(out, 'results.json'), JSON.stringify({ quick, splits, alpha, machine, rows }, null, 2) + '\n');
  writeFileAtomic(join(out, 'results.md'), `Machine: ${machine}${quick ? ' (quick run)' : ''}\n\n${formatMarkdownTable(table)}\n\n${summary}\n`);
  process.stdout.write(`\nmachine: ${machine}\n\n${formatTextTable(table)}\n\n${summary}\nwritten: ${join(out, 'results.md')}\n`);
});
