/**
 * Stage "export": each trained checkpoint through the `sngp-export` bin (which verifies the graph
 * against the float64 reference) into artifacts/models/<method>.onnx.
 */
import { join, relative } from 'node:path';
import { SngpError } from '@sngp/core';
import { writeFileAtomic } from '@sngp/core/node';
import { loadPipelineConfig, pipelinePaths } from './config.js';
import { type ExportRecord, type StageManifest, type TrainRecord, readManifest } from './manifest.js';
import { packageBin, pool, runBin, runStage, stageLogger } from './stage.js';

runStage(async () => {
  const c = loadPipelineConfig();
  const p = pipelinePaths(c);
  const log = stageLogger('export');
  const trained = readManifest<TrainRecord>(p.trainManifest);
  if (!trained) throw new SngpError(`${p.trainManifest}: missing; run the "train" stage first`);
  const bin = packageBin('@sngp/export', 'sngp-export');
  const t0 = performance.now();
  const records = await pool(trained.records, c.concurrency, async (r): Promise<ExportRecord> => {
    const onnx = join(p.models, `${r.method}.onnx`);
    const t1 = performance.now();
    await runBin(bin, 'sngp-export', [join(p.artifacts, r.checkpoint), '--out', onnx, '--json'], p.root);
    const seconds = (performance.now() - t1) / 1000;
    log(`${r.method}: verified and written in ${seconds.toFixed(1)} s -> ${relative(p.root, onnx)}`);
    return { method: r.method, onnx: relative(p.artifacts, onnx), seconds };
  });
  const manifest: StageManifest<ExportRecord> = { config: c, totalSeconds: (performance.now() - t0) / 1000, records };
  writeFileAtomic(p.exportManifest, JSON.stringify(manifest, null, 2) + '\n');
  log(`done in ${manifest.totalSeconds.toFixed(1)} s`);
});
