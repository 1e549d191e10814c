/**
 * Stage "train": every method of pipeline.config.json on two moons through the `sngp-train` bin,
 * a few side by side, into artifacts/checkpoints/<method>/. Turbo caches the outputs on the train
 * and core builds and this package, so an eval, runtime or export change never retrains.
 */
import { join, relative } from 'node:path';
import { writeFileAtomic } from '@sngp/core/node';
import { type PipelineConfig, loadPipelineConfig, pipelinePaths, trainedMethods } from './config.js';
import type { StageManifest, TrainRecord } from './manifest.js';
import { packageBin, pool, runBin, runStage, stageLogger } from './stage.js';

async function trainMethod(method: string, c: PipelineConfig, log: (m: string) => void): Promise<TrainRecord> {
  const p = pipelinePaths(c);
  const ckpt = join(p.checkpoints, method);
  const args = ['--method', method, '--data', 'moons', '--out', ckpt, '--epochs', String(c.epochs), '--seed', String(c.seed), '--json', '--quiet'];
  if (method === 'ensemble') args.push('--ensemble-size', String(c.ensembleSize));
  if (method === 'sngp') args.push('--calibrate');
  log(`${method}: started (${c.epochs} epochs${method === 'ensemble' ? `, ${c.ensembleSize} members` : ''})`);
  const t0 = performance.now();
  const stdout = await runBin(packageBin('@sngp/train', 'sngp-train'), 'sngp-train', args, p.root);
  const seconds = (performance.now() - t0) / 1000;
  const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { metrics?: Record<string, number>; msPerStep?: number };
  const metrics = summary.metrics ?? {};
  log(`${method}: done in ${seconds.toFixed(1)} s (${Object.entries(metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')})`);
  return { method, checkpoint: relative(p.artifacts, ckpt), seconds, msPerStep: summary.msPerStep ?? null, metrics };
}

runStage(async () => {
  const c = loadPipelineConfig();
  const p = pipelinePaths(c);
  const log = stageLogger('train');
  const t0 = performance.now();
  const methods = trainedMethods(c);
  log(`training ${methods.join(', ')} into ${relative(p.root, p.checkpoints)}/ (${c.concurrency} at a time)`);
  const records = await pool(methods, c.concurrency, (m) => trainMethod(m, c, log));
  const manifest: StageManifest<TrainRecord> = { config: c, totalSeconds: (performance.now() - t0) / 1000, records };
  writeFileAtomic(p.trainManifest, JSON.stringify(manifest, null, 2) + '\n');
  log(`done in ${manifest.totalSeconds.toFixed(1)} s`);
});
