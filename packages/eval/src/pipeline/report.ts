/**
 * Main job, stage "report": evaluate the exported models of the artifacts folder through the
 * runtime on two moons and write the report folder (metrics.json, figures, index.html), and the
 * runtime's answers at the probe points (artifacts/probe-points.json, for the web demo).
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { METHODS, SngpError } from '@sngp/core';
import { writeFileAtomic } from '@sngp/core/node';
import { loadEvalModel } from '../load.js';
import { PROBE_POINTS, probeModel, type ProbeRecord } from '../probes.js';
import { formatTextTable, metricsTable } from '../report.js';
import { runEvaluation } from '../run.js';
import { loadPipelineConfig, pipelinePaths, stageLogger, type PipelineConfig } from './config.js';

/** The runtime's answers at the probe points, for the web demo to compare the browser against. */
async function writeProbes(files: string[], device: PipelineConfig['device'], out: string, log: (m: string) => void): Promise<void> {
  const records: ProbeRecord[] = [];
  for (const file of files) {
    const model = await loadEvalModel(file, device, (m) => log(`warning: ${m}`));
    try {
      records.push(await probeModel(model, relative(dirname(out), file)));
    } finally {
      await model.dispose();
    }
  }
  writeFileAtomic(out, JSON.stringify({ points: PROBE_POINTS, device, models: records }, null, 2) + '\n');
  log(`probe points: ${PROBE_POINTS.length} points x ${records.length} models -> ${out}`);
}

async function main(): Promise<void> {
  const c = loadPipelineConfig();
  const p = pipelinePaths(c);
  const log = stageLogger('report');
  const t0 = performance.now();
  // Report rows in the canonical order (baseline first), whatever the training order was.
  const methods = METHODS.filter((m) => c.methods.includes(m));
  const models = methods.map((m) => join(p.models, `${m}.onnx`));
  for (const f of models) if (!existsSync(f)) throw new SngpError(`${f}: missing; run the "models" task first`);
  log(`evaluating ${methods.join(', ')} on two moons (device ${c.device})`);
  const { report } = await runEvaluation({ models, data: 'moons', out: p.report, device: c.device, log });
  await writeProbes(models, c.device, p.probes, log);
  const seconds = (performance.now() - t0) / 1000;
  writeFileAtomic(join(p.report, 'timings.json'), JSON.stringify({ reportSeconds: seconds }, null, 2) + '\n');
  log(`done in ${seconds.toFixed(1)} s -> ${relative(p.root, join(p.report, 'index.html'))}`);
  process.stdout.write('\n' + formatTextTable(metricsTable(report)) + '\n');
}

main().catch((e: unknown) => {
  const err = e as Error;
  process.stderr.write(`error: ${err.name === 'SngpError' ? err.message : (err.stack ?? String(e))}\n`);
  process.exit(1);
});
