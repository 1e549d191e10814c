/** The main job's settings (packages/eval/pipeline.config.json) and repository paths. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METHODS, type Method, SngpError } from '@sngp/core';

export interface PipelineConfig {
  /** Trained in this order (longest first keeps both workers busy). */
  methods: Method[];
  epochs: number;
  ensembleSize: number;
  seed: number;
  device: 'auto' | 'cpu' | 'cuda' | 'webgpu' | 'wasm';
  /** Training processes run side by side (tfjs-wasm is single-threaded). */
  concurrency: number;
  /** Relative to the repository root. */
  artifactsDir: string;
  reportDir: string;
}

/** packages/eval (the folder holding pipeline.config.json), from dist/pipeline/*.js or src/pipeline/*.ts. */
export function evalPackageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pipeline.config.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new SngpError('cannot find packages/eval/pipeline.config.json');
    dir = up;
  }
  return dir;
}

export function repoRoot(): string {
  return resolve(evalPackageDir(), '../..');
}

export function loadPipelineConfig(): PipelineConfig {
  const path = join(evalPackageDir(), 'pipeline.config.json');
  let c: PipelineConfig;
  try {
    c = JSON.parse(readFileSync(path, 'utf8')) as PipelineConfig;
  } catch (e) {
    throw new SngpError(`${path}: ${(e as Error).message}`);
  }
  for (const m of c.methods)
    if (!(METHODS as readonly string[]).includes(m)) throw new SngpError(`${path}: field "methods": unknown method "${m}"`);
  for (const k of ['epochs', 'ensembleSize', 'concurrency'] as const)
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new SngpError(`${path}: field "${k}": expected a positive integer, got ${c[k]}`);
  return c;
}

export interface PipelinePaths {
  root: string;
  artifacts: string;
  checkpoints: string;
  models: string;
  report: string;
  manifest: string;
  probes: string;
}

export function pipelinePaths(c: PipelineConfig): PipelinePaths {
  const root = repoRoot();
  const artifacts = resolve(root, c.artifactsDir);
  return {
    root,
    artifacts,
    checkpoints: join(artifacts, 'checkpoints'),
    models: join(artifacts, 'models'),
    report: resolve(root, c.reportDir),
    manifest: join(artifacts, 'manifest.json'),
    probes: join(artifacts, 'probe-points.json'),
  };
}

/** Progress lines: elapsed time since the stage started, then the message. */
export function stageLogger(stage: string): (msg: string) => void {
  const t0 = performance.now();
  return (msg) => {
    const t = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
    process.stdout.write(`[${stage} ${t}s] ${msg}\n`);
  };
}
