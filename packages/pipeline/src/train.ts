/**
 * Stage "train": every method of pipeline.config.json on two moons through the `sngp-train` bin,
 * a few side by side, into artifacts/checkpoints/<method>/. The ensemble trains as several
 * processes (`--ensemble-members`, each part's members exactly as in one run), merged into one
 * checkpoint, so both cores work until the end. Turbo caches the outputs on the train and core
 * builds and this package, so an eval, runtime or export change never retrains.
 */
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MOONS_DEFAULTS, moonsValidation, twoMoons } from '@sngp/core';
import { readCheckpoint, writeCheckpoint, writeFileAtomic } from '@sngp/core/node';
import { MOONS_DATA_SEED, type MemberRange, mergeEnsembleParts } from '@sngp/train';
import { type PipelineConfig, loadPipelineConfig, pipelinePaths, trainedMethods } from './config.js';
import type { StageManifest, TrainRecord } from './manifest.js';
import { packageBin, pool, runBin, runStage, stageLogger } from './stage.js';

/** One training process: a method, or a part (member range) of the ensemble. */
interface TrainJob {
  method: string;
  /** Ensemble parts: members from..to-1. */
  members?: MemberRange;
  /** Estimated CPU cost in units of one ensemble member's training (for scheduling only). */
  cost: number;
}

/**
 * Relative CPU cost of a 100-epoch two-moons run, in ensemble members (measured with tfjs-wasm
 * on this machine: deterministic ~1.1, SNGP with its precision pass and calibration ~2.7).
 */
const COST: Record<string, number> = { deterministic: 1.1, 'mc-dropout': 1.1, sngp: 2.7, member: 1 };

/** The training jobs, longest first (so the pool's two workers end close together). */
function trainJobs(c: PipelineConfig): TrainJob[] {
  const jobs: TrainJob[] = [];
  for (const method of trainedMethods(c)) {
    if (method !== 'ensemble') {
      jobs.push({ method, cost: COST[method] });
      continue;
    }
    const parts = Math.min(c.ensembleParts, c.ensembleSize);
    let from = 0;
    for (let i = 0; i < parts; i++) {
      const size = Math.floor(c.ensembleSize / parts) + (i < c.ensembleSize % parts ? 1 : 0);
      jobs.push({ method, members: parts > 1 ? { from, to: from + size } : undefined, cost: size * COST.member });
      from += size;
    }
  }
  return jobs.sort((a, b) => b.cost - a.cost);
}

/** Where an ensemble part is written before the merge. */
function partDir(c: PipelineConfig, m: MemberRange): string {
  return join(pipelinePaths(c).checkpoints, `.ensemble-part-${m.from}-${m.to}`);
}

/** What one `sngp-train` process reported. */
interface JobResult {
  job: TrainJob;
  out: string;
  seconds: number;
  msPerStep: number | null;
  metrics: Record<string, number>;
}

async function runJob(job: TrainJob, c: PipelineConfig, log: (m: string) => void): Promise<JobResult> {
  const p = pipelinePaths(c);
  const { method, members } = job;
  const out = members ? partDir(c, members) : join(p.checkpoints, method);
  const args = ['--method', method, '--data', 'moons', '--out', out, '--epochs', String(c.epochs), '--seed', String(c.seed), '--json', '--quiet'];
  if (method === 'ensemble') args.push('--ensemble-size', String(c.ensembleSize));
  if (members) args.push('--ensemble-members', `${members.from}:${members.to}`);
  const what = members ? `ensemble members ${members.from}-${members.to - 1}` : method;
  log(`${what}: started (${c.epochs} epochs${method === 'ensemble' && !members ? `, ${c.ensembleSize} members` : ''})`);
  const t0 = performance.now();
  const stdout = await runBin(packageBin('@sngp/train', 'sngp-train'), 'sngp-train', args, p.root);
  const seconds = (performance.now() - t0) / 1000;
  const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { metrics?: Record<string, number>; msPerStep?: number };
  const metrics = summary.metrics ?? {};
  log(`${what}: done in ${seconds.toFixed(1)} s (${Object.entries(metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')})`);
  return { job, out, seconds, msPerStep: summary.msPerStep ?? null, metrics };
}

/** Merge the ensemble's parts into checkpoints/ensemble and remove them. */
async function mergeParts(parts: JobResult[], c: PipelineConfig, log: (m: string) => void): Promise<TrainRecord> {
  const p = pipelinePaths(c);
  const ordered = [...parts].sort((a, b) => a.job.members!.from - b.job.members!.from);
  const t0 = performance.now();
  const { train, test } = twoMoons(MOONS_DATA_SEED);
  const merged = await mergeEnsembleParts(
    ordered.map((r) => readCheckpoint(r.out)),
    { trainAccuracy: train, testAccuracy: test },
    // Every method is calibrated on the same held-out draw (sngp-train's default for moons).
    { rows: moonsValidation(MOONS_DEFAULTS.seed), name: 'moons-validation' },
  );
  const out = join(p.checkpoints, 'ensemble');
  writeCheckpoint(out, merged);
  for (const r of ordered) rmSync(r.out, { recursive: true, force: true });
  const metrics = merged.config.metrics;
  log(`ensemble: ${ordered.length} parts merged in ${((performance.now() - t0) / 1000).toFixed(1)} s (${Object.entries(metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')})`);
  const steps = ordered.map((r) => r.msPerStep);
  return {
    method: 'ensemble',
    checkpoint: relative(p.artifacts, out),
    // The parts ran side by side with other jobs: report the CPU time they took together.
    seconds: ordered.reduce((s, r) => s + r.seconds, 0),
    // One step of the whole ensemble = one step of every part.
    msPerStep: steps.every((s) => s !== null) ? (steps as number[]).reduce((a, b) => a + b, 0) : null,
    metrics,
  };
}

runStage(async () => {
  const c = loadPipelineConfig();
  const p = pipelinePaths(c);
  const log = stageLogger('train');
  const t0 = performance.now();
  const jobs = trainJobs(c);
  log(`training ${trainedMethods(c).join(', ')} into ${relative(p.root, p.checkpoints)}/ as ${jobs.length} processes (${c.concurrency} at a time)`);
  const results = await pool(jobs, c.concurrency, (j) => runJob(j, c, log));
  const records: TrainRecord[] = [];
  for (const method of trainedMethods(c)) {
    const mine = results.filter((r) => r.job.method === method);
    if (mine.length === 1 && !mine[0].job.members) {
      const r = mine[0];
      records.push({ method, checkpoint: relative(p.artifacts, r.out), seconds: r.seconds, msPerStep: r.msPerStep, metrics: r.metrics });
    } else records.push(await mergeParts(mine, c, log));
  }
  const manifest: StageManifest<TrainRecord> = { config: c, totalSeconds: (performance.now() - t0) / 1000, records };
  writeFileAtomic(p.trainManifest, JSON.stringify(manifest, null, 2) + '\n');
  log(`done in ${manifest.totalSeconds.toFixed(1)} s`);
});
