/**
 * Main job, stage "models": train every method of pipeline.config.json with the train CLI and
 * export it with the export CLI, into the artifacts folder (checkpoints/, models/*.onnx,
 * manifest.json). Turborepo caches them; only train/export/core sources invalidate them.
 */
import { spawn } from 'node:child_process';
import { join, relative } from 'node:path';
import { SngpError } from '@sngp/core';
import { writeFileAtomic } from '@sngp/core/node';
import { loadPipelineConfig, pipelinePaths, stageLogger, type PipelineConfig } from './config.js';

interface ProcResult {
  stdout: string;
  stderr: string;
}

/** Run a node script; reject with its last stderr line when it fails. */
function runNode(script: string, args: string[], cwd: string): Promise<ProcResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise({ stdout, stderr });
      else {
        const last = stderr.trim().split('\n').filter(Boolean).pop() ?? `exit code ${code}`;
        reject(new SngpError(`${relative(cwd, script)} ${args.join(' ')} failed: ${last}`));
      }
    });
  });
}

/** A workspace package's built CLI (turbo builds it before this task runs). */
function cliOf(root: string, pkg: 'train' | 'export'): string {
  return join(root, 'packages', pkg, 'dist', 'cli.js');
}

export interface MethodArtifact {
  method: string;
  checkpoint: string;
  onnx: string;
  trainSeconds: number;
  exportSeconds: number;
  trainMetrics: Record<string, number>;
  msPerStep: number | null;
}

async function buildMethod(method: string, c: PipelineConfig, log: (m: string) => void): Promise<MethodArtifact> {
  const p = pipelinePaths(c);
  const ckpt = join(p.checkpoints, method);
  const onnx = join(p.models, `${method}.onnx`);
  const trainArgs = ['--method', method, '--data', 'moons', '--out', ckpt, '--epochs', String(c.epochs), '--seed', String(c.seed), '--json', '--quiet'];
  if (method === 'ensemble') trainArgs.push('--ensemble-size', String(c.ensembleSize));
  log(`train  ${method}: started (${c.epochs} epochs${method === 'ensemble' ? `, ${c.ensembleSize} members` : ''})`);
  let t0 = performance.now();
  const train = await runNode(cliOf(p.root, 'train'), trainArgs, p.root);
  const trainSeconds = (performance.now() - t0) / 1000;
  const summary = JSON.parse(train.stdout.trim().split('\n').pop() ?? '{}') as { metrics?: Record<string, number>; msPerStep?: number };
  const metrics = summary.metrics ?? {};
  const shown = Object.entries(metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');
  log(`train  ${method}: done in ${trainSeconds.toFixed(1)} s${shown ? ` (${shown})` : ''}`);
  t0 = performance.now();
  await runNode(cliOf(p.root, 'export'), [ckpt, '--out', onnx, '--json'], p.root);
  const exportSeconds = (performance.now() - t0) / 1000;
  log(`export ${method}: verified and written in ${exportSeconds.toFixed(1)} s -> ${relative(p.root, onnx)}`);
  return {
    method,
    checkpoint: relative(p.artifacts, ckpt),
    onnx: relative(p.artifacts, onnx),
    trainSeconds,
    exportSeconds,
    trainMetrics: metrics,
    msPerStep: summary.msPerStep ?? null,
  };
}

/** Run `jobs` with at most `n` in flight; results keep the input order. */
async function pool<T, R>(items: T[], n: number, job: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await job(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

async function main(): Promise<void> {
  const c = loadPipelineConfig();
  const p = pipelinePaths(c);
  const log = stageLogger('models');
  const t0 = performance.now();
  log(`training and exporting ${c.methods.join(', ')} into ${relative(p.root, p.artifacts)}/ (${c.concurrency} at a time)`);
  const built = await pool(c.methods, c.concurrency, (m) => buildMethod(m, c, log));
  const totalSeconds = (performance.now() - t0) / 1000;
  writeFileAtomic(p.manifest, JSON.stringify({ config: c, totalSeconds, methods: built }, null, 2) + '\n');
  log(`done in ${totalSeconds.toFixed(1)} s`);
}

main().catch((e: unknown) => {
  const err = e as Error;
  process.stderr.write(`error: ${err.name === 'SngpError' ? err.message : (err.stack ?? String(e))}\n`);
  process.exit(1);
});
