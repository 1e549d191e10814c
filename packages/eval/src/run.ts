/** The evaluation run behind the CLI and the main job: load, evaluate, report. */
import { basename, extname } from 'node:path';
import { SngpError } from '@sngp/core';
import { checkOutputPath } from '@sngp/core/node';
import type { Device } from '@sngp/runtime';
import { type EvalData, dataForModel, loadEvalData } from './data.js';
import { evaluateModel } from './evaluate.js';
import { loadEvalModel } from './load.js';
import { REPORT_OUTPUT, writeReport, type ReportJson, buildReportJson } from './report.js';
import type { EvalModel, ModelResult } from './types.js';
import { type DataOptions, checkDataOptions } from './user-data.js';

/**
 * What to evaluate and where to write the report. The data flags (`data`, `labels`, `classes`,
 * `ood`, ...) are those of {@link DataOptions}.
 */
export interface RunOptions extends DataOptions {
  models: string[];
  /** Report folder; no report is written when absent. Only a report folder of ours is replaced. */
  out?: string;
  /** Replace an existing `out` even if it is not a report folder of ours (never /, home, cwd or an input). */
  force?: boolean;
  device?: Device;
  latencyRuns?: number;
  /** Progress lines (stage, timing). */
  log?: (msg: string) => void;
  warn?: (msg: string) => void;
}

export interface RunResult {
  results: ModelResult[];
  report: ReportJson;
}

/** Display names: the method, or the file name when two models share a method. */
function displayNames(models: { file: string; model: EvalModel }[]): string[] {
  const methods = models.map((m) => m.model.info.method);
  return models.map(({ file, model }) =>
    methods.filter((x) => x === model.info.method).length > 1 ? basename(file, extname(file)) : model.info.method,
  );
}

const secs = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** The files a run reads (never a valid --out). */
function inputFiles(opts: RunOptions): string[] {
  const files = [...opts.models, opts.labels, opts.ood, opts.oodLabels];
  if (opts.data !== 'moons') files.push(opts.data);
  return files.filter((f): f is string => f !== undefined);
}

export async function runEvaluation(opts: RunOptions): Promise<RunResult> {
  const log = opts.log ?? (() => {});
  const sink = opts.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  // The same data seen by several models would repeat a warning (columns by position) per model.
  const warned = new Set<string>();
  const warn = (m: string): void => {
    if (!warned.has(m)) sink(m);
    warned.add(m);
  };
  if (opts.models.length === 0) throw new SngpError('no model files given');
  checkDataOptions(opts);
  // Before loading anything: a refused or unwritable --out fails at once, not after the evaluation.
  if (opts.out) checkOutputPath(opts.out, REPORT_OUTPUT, { force: opts.force, inputs: inputFiles(opts) });
  const loaded: { file: string; model: EvalModel }[] = [];
  try {
    // Load (and so validate) every model before spending time on any evaluation.
    for (const file of opts.models) loaded.push({ file, model: await loadEvalModel(file, opts.device, warn) });
    const names = displayNames(loaded);
    const t0 = performance.now();
    const data = await loadEvalData(opts, { info: loaded[0].model.info, file: loaded[0].file }, warn);
    // Each model sees the data in its own column order and class indices (checked before any evaluation).
    const datas: EvalData[] = loaded.map(({ file, model }) => dataForModel(data, model.info, file, warn));
    if (data.moons === false || opts.ood)
      log(`loaded ${data.test.n} test rows (${data.name})` + (data.ood ? ` and ${data.ood.n} OOD rows (${data.oodName})` : '') + ` in ${secs(t0)}`);
    if (opts.oodClasses)
      for (const { file, model } of loaded) {
        const known = opts.oodClasses.filter((c) => model.info.classes.includes(c));
        if (known.length > 0)
          warn(`--ood-classes: model ${file} was trained on class(es) ${known.join(', ')}, so those rows are not out of domain for it`);
      }
    const results: ModelResult[] = [];
    for (let i = 0; i < loaded.length; i++) {
      const { file, model } = loaded[i];
      const t1 = performance.now();
      const r = await evaluateModel(model, datas[i], { name: names[i], file, latencyRuns: opts.latencyRuns });
      results.push(r);
      log(`evaluated ${names[i]} (${model.info.provider}) in ${secs(t1)}: accuracy ${r.test.accuracy.toFixed(4)}` +
        (r.ood ? `, OOD AUROC ${r.ood.auroc.toFixed(4)}` : '') + `, latency ${r.latency.medianMs.toFixed(1)} ms / ${r.latency.rows} rows`);
    }
    const dataForReport = datas[0];
    let report: ReportJson;
    if (opts.out) {
      const t2 = performance.now();
      report = await writeReport(opts.out, results, dataForReport, { onFigure: (n) => log(`rendering figure ${n}`), force: opts.force });
      log(`wrote report ${opts.out} in ${secs(t2)}`);
    } else report = buildReportJson(results, dataForReport);
    return { results, report };
  } finally {
    for (const { model } of loaded) await model.dispose();
  }
}
