/**
 * Stage "export": each trained checkpoint through the `sngp-export` bin (which verifies the graph
 * against the float64 reference) into artifacts/models/<method>.onnx, then `sngp-calibrate` writes
 * the decision rules (LAC sets at alpha 0.1, abstain keeping 95 %) chosen on a two-moons draw
 * nothing else uses, so every model of the main job returns sets and abstain flags.
 */
import { join, relative } from 'node:path';
import { SngpError } from '@sngp/core';
import { writeFileAtomic } from '@sngp/core/node';
import { loadPipelineConfig, pipelinePaths, reportOrder } from './config.js';
import { type ExportRecord, type StageManifest, type TrainRecord, readManifest } from './manifest.js';
import { packageBin, pool, runBin, runStage, stageLogger } from './stage.js';

runStage(async () => {
  const c = loadPipelineConfig();
  const p = pipelinePaths(c);
  const log = stageLogger('export');
  const trained = readManifest<TrainRecord>(p.trainManifest);
  if (!trained) throw new SngpError(`${p.trainManifest}: missing; run the "train" stage first`);
  const bin = packageBin('@sngp/export', 'sngp-export');
  const calibrate = packageBin('@sngp/eval', 'sngp-calibrate');
  const t0 = performance.now();
  const checkpointOf = (method: string): string => {
    const from = method === 'mc-dropout' && c.mcDropoutFromDeterministic ? 'deterministic' : method;
    const r = trained.records.find((t) => t.method === from);
    if (!r) throw new SngpError(`${p.trainManifest}: no ${from} checkpoint; run the "train" stage again`);
    return join(p.artifacts, r.checkpoint);
  };
  const records = await pool(reportOrder(c), c.concurrency, async (method): Promise<ExportRecord> => {
    const onnx = join(p.models, `${method}.onnx`);
    const asMc = method === 'mc-dropout' && c.mcDropoutFromDeterministic ? ['--as', 'mc-dropout'] : [];
    // The representative ~800-point sample for every method but the cheap deterministic one: the
    // float64 reference of SNGP (full posterior), MC dropout and the ensemble over all 11,500
    // points cost 8-25 s each; the low-rank bound is proven for every input regardless.
    const coverage = method === 'deterministic' ? 'full' : 'sample';
    const t1 = performance.now();
    await runBin(bin, 'sngp-export', [checkpointOf(method), ...asMc, '--verify-points', coverage, '--out', onnx, '--json'], p.root);
    await runBin(calibrate, 'sngp-calibrate', [onnx, '--data', 'moons', '--device', 'cpu', '--json'], p.root);
    const seconds = (performance.now() - t1) / 1000;
    log(`${method}: verified, calibrated and written in ${seconds.toFixed(1)} s -> ${relative(p.root, onnx)}${asMc.length ? ' (from the deterministic checkpoint)' : ''}`);
    return { method, onnx: relative(p.artifacts, onnx), seconds };
  });
  const manifest: StageManifest<ExportRecord> = { config: c, totalSeconds: (performance.now() - t0) / 1000, records };
  writeFileAtomic(p.exportManifest, JSON.stringify(manifest, null, 2) + '\n');
  log(`done in ${manifest.totalSeconds.toFixed(1)} s`);
});
