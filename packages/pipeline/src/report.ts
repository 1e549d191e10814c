/**
 * Stage "report": evaluate the exported models through the runtime on two moons (`runEvaluation`
 * of @sngp/eval) and write the report folder (metrics.json, figures, index.html, README.md).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SngpError } from '@sngp/core';
import { writeFileAtomic } from '@sngp/core/node';
import { formatTextTable, metricsTable, parseDevice, runEvaluation } from '@sngp/eval';
import { REPORT_TIMINGS, loadPipelineConfig, pipelinePaths, reportOrder } from './config.js';
import { runStage, stageLogger } from './stage.js';

runStage(async () => {
  const c = loadPipelineConfig();
  const p = pipelinePaths(c);
  const log = stageLogger('report');
  const t0 = performance.now();
  const methods = reportOrder(c);
  const models = methods.map((m) => join(p.models, `${m}.onnx`));
  for (const f of models) if (!existsSync(f)) throw new SngpError(`${f}: missing; run the "export" stage first`);
  log(`evaluating ${methods.join(', ')} on two moons (device ${c.device})`);
  const { report } = await runEvaluation({ models, data: 'moons', out: p.report, device: parseDevice(c.device), log });
  const seconds = (performance.now() - t0) / 1000;
  writeFileAtomic(join(p.report, REPORT_TIMINGS), JSON.stringify({ reportSeconds: seconds }, null, 2) + '\n');
  log(`done in ${seconds.toFixed(1)} s -> ${relative(p.root, join(p.report, 'index.html'))}`);
  process.stdout.write('\n' + formatTextTable(metricsTable(report)) + '\n');
});
