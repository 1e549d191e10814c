/** The evaluation run behind the CLI and the main job: load, evaluate, report. */
import { basename, extname } from 'node:path';
import { SngpError } from '@sngp/core';
import { checkOutputPath } from '@sngp/core/node';
import type { Device } from '@sngp/runtime';
import { csvData, moonsData, type EvalData } from './data.js';
import { evaluateModel } from './evaluate.js';
import { loadEvalModel } from './load.js';
import { REPORT_OUTPUT, writeReport, type ReportJson, buildReportJson } from './report.js';
import type { EvalModel, ModelResult } from './types.js';

export interface RunOptions {
  models: string[];
  /** 'moons' or a CSV path. */
  data: string;
  labelColumn?: string;
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

export async function runEvaluation(opts: RunOptions): Promise<RunResult> {
  const log = opts.log ?? (() => {});
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  if (opts.models.length === 0) throw new SngpError('no model files given');
  // Before loading anything: a refused or unwritable --out fails at once, not after the evaluation.
  if (opts.out)
    checkOutputPath(opts.out, REPORT_OUTPUT, { force: opts.force, inputs: [...opts.models, ...(opts.data === 'moons' ? [] : [opts.data])] });
  const loaded: { file: string; model: EvalModel }[] = [];
  try {
    // Load (and so validate) every model before spending time on any evaluation.
    for (const file of opts.models) loaded.push({ file, model: await loadEvalModel(file, opts.device, warn) });
    const names = displayNames(loaded);
    const moons = opts.data === 'moons' ? moonsData() : null;
    const datas: EvalData[] = loaded.map(({ file, model }) =>
      moons ?? csvData(opts.data, model.info, file, opts.labelColumn, warn),
    );
    const results: ModelResult[] = [];
    for (let i = 0; i < loaded.length; i++) {
      const { file, model } = loaded[i];
      const t0 = performance.now();
      const r = await evaluateModel(model, datas[i], { name: names[i], file, latencyRuns: opts.latencyRuns });
      results.push(r);
      log(`evaluated ${names[i]} (${model.info.provider}) in ${secs(t0)}: accuracy ${r.test.accuracy.toFixed(4)}` +
        (r.ood ? `, OOD AUROC ${r.ood.auroc.toFixed(4)}` : '') + `, latency ${r.latency.medianMs.toFixed(1)} ms / ${r.latency.rows} rows`);
    }
    const dataForReport = datas[0];
    let report: ReportJson;
    if (opts.out) {
      const t0 = performance.now();
      report = await writeReport(opts.out, results, dataForReport, { onFigure: (n) => log(`rendering figure ${n}`), force: opts.force });
      log(`wrote report ${opts.out} in ${secs(t0)}`);
    } else report = buildReportJson(results, dataForReport.name, new Map(), null);
    return { results, report };
  } finally {
    for (const { model } of loaded) await model.dispose();
  }
}
