/** The main job's settings (packages/pipeline/pipeline.config.json) and the paths it writes. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METHODS, type Method, SngpError } from '@sngp/core';
// Type-only: the train stage runs before @sngp/eval is built.
import type { RunOptions } from '@sngp/eval';

export interface PipelineConfig {
  /** Trained in this order (longest first keeps both workers busy). */
  methods: Method[];
  epochs: number;
  ensembleSize: number;
  seed: number;
  /** Where the report stage runs the models (a runtime device name, checked by that stage). */
  device: NonNullable<RunOptions['device']>;
  /**
   * MC dropout is the deterministic network run with dropout on (as in the tutorial): export it from
   * the deterministic checkpoint instead of training a second copy. Needs "deterministic" in methods.
   */
  mcDropoutFromDeterministic: boolean;
  /** Training processes run side by side (tfjs-wasm is single-threaded). */
  concurrency: number;
  /**
   * The ensemble trains as this many processes of about ensembleSize / ensembleParts members each
   * (`sngp-train --ensemble-members`), merged into one checkpoint: the members are independent and
   * each part's members are bit-identical to the whole run's, so the work spreads over the cores.
   * Optional (default 1: one process).
   */
  ensembleParts: number;
  /** Relative to the repository root. */
  artifactsDir: string;
  reportDir: string;
}

/** packages/pipeline (the folder holding pipeline.config.json), from dist/*.js or src/*.ts. */
export function pipelinePackageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pipeline.config.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new SngpError('cannot find packages/pipeline/pipeline.config.json');
    dir = up;
  }
  return dir;
}

export function loadPipelineConfig(): PipelineConfig {
  const path = join(pipelinePackageDir(), 'pipeline.config.json');
  let c: PipelineConfig;
  try {
    c = JSON.parse(readFileSync(path, 'utf8')) as PipelineConfig;
  } catch (e) {
    throw new SngpError(`${path}: ${(e as Error).message}`);
  }
  for (const m of c.methods)
    if (!(METHODS as readonly string[]).includes(m)) throw new SngpError(`${path}: field "methods": unknown method "${m}"`);
  if (c.mcDropoutFromDeterministic && c.methods.includes('mc-dropout') && !c.methods.includes('deterministic'))
    throw new SngpError(`${path}: field "mcDropoutFromDeterministic" needs "deterministic" in "methods"`);
  c.ensembleParts ??= 1;
  for (const k of ['epochs', 'ensembleSize', 'concurrency', 'ensembleParts'] as const)
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new SngpError(`${path}: field "${k}": expected a positive integer, got ${c[k]}`);
  if (c.ensembleParts > c.ensembleSize)
    throw new SngpError(`${path}: field "ensembleParts": ${c.ensembleParts} parts for ${c.ensembleSize} members; use at most ensembleSize parts`);
  return c;
}

/** Where each stage writes (all under the repository root; turbo caches them as task outputs). */
export interface PipelinePaths {
  root: string;
  artifacts: string;
  checkpoints: string;
  models: string;
  report: string;
  /** Stage manifests: timings and training metrics, read by the summary. */
  trainManifest: string;
  exportManifest: string;
}

export function pipelinePaths(c: PipelineConfig): PipelinePaths {
  const root = resolve(pipelinePackageDir(), '../..');
  const artifacts = resolve(root, c.artifactsDir);
  return {
    root,
    artifacts,
    checkpoints: join(artifacts, 'checkpoints'),
    models: join(artifacts, 'models'),
    report: resolve(root, c.reportDir),
    trainManifest: join(artifacts, 'train-manifest.json'),
    exportManifest: join(artifacts, 'export-manifest.json'),
  };
}

/** The report stage's timings, written into the report folder beside metrics.json. */
export const REPORT_TIMINGS = 'timings.json';

/** The methods the train stage trains (MC dropout may come from the deterministic checkpoint). */
export function trainedMethods(c: PipelineConfig): Method[] {
  return c.methods.filter((m) => !(m === 'mc-dropout' && c.mcDropoutFromDeterministic));
}

/** The methods of the config in the canonical order (baseline first), whatever the training order. */
export function reportOrder(c: PipelineConfig): Method[] {
  return METHODS.filter((m) => c.methods.includes(m));
}
