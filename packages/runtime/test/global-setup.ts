import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Holds {method}.onnx and ckpt-{method}/ for the four methods. */
    modelsDir: string;
    /** The built browser harness page. */
    pageDir: string;
  }
}

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const packages = resolve(here, '../..');
export const TRAIN_CLI = join(packages, 'train/dist/cli.js');
export const EXPORT_CLI = join(packages, 'export/dist/cli.js');
export const METHODS = ['deterministic', 'sngp', 'mc-dropout', 'ensemble'] as const;

/** Small models from the project's own CLIs (seconds, not minutes). */
export const SMALL_MODEL_ARGS = ['--epochs', '2', '--width', '32', '--depth', '2', '--random-features', '256', '--ensemble-size', '3'];

export async function trainAndExport(dir: string, method: string, extraTrain: string[] = []): Promise<string> {
  const ckpt = join(dir, `ckpt-${method}`);
  const onnx = join(dir, `${method}.onnx`);
  await run(process.execPath, [TRAIN_CLI, '--method', method, '--data', 'moons', ...SMALL_MODEL_ARGS, ...extraTrain, '--quiet', '--out', ckpt]);
  await run(process.execPath, [EXPORT_CLI, ckpt, '--out', onnx, '--no-verify']);
  return onnx;
}

export default async function setup(project: TestProject): Promise<() => void> {
  for (const cli of [TRAIN_CLI, EXPORT_CLI])
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build it first (npx turbo run build --filter=@sngp/runtime...)`);
  const root = mkdtempSync(join(tmpdir(), 'sngp-runtime-test-'));
  const modelsDir = join(root, 'models');
  // Sequential: the machine's two cores are shared.
  for (const method of METHODS) await trainAndExport(modelsDir, method);

  const pageDir = join(root, 'page');
  const { build } = await import('vite');
  await build({ configFile: join(here, 'browser/vite.config.ts'), build: { outDir: pageDir } });

  project.provide('modelsDir', modelsDir);
  project.provide('pageDir', pageDir);
  return () => rmSync(root, { recursive: true, force: true });
}
