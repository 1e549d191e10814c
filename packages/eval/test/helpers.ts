/** Helpers for tests that drive the sngp-eval CLI over the main job's models. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../../..');
export const EVAL_CLI = resolve(__dirname, '../dist/cli.js');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function node(script: string, args: string[], timeout = 600_000): Run {
  if (!existsSync(script)) throw new Error(`${script} is not built; run the build first (turbo builds it before tests)`);
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout, cwd: ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * An exported model of the main job (100 epochs, default settings), the suite's shared fixture:
 * turbo runs `@sngp/pipeline#export` before this package's tests.
 */
export function pipelineModel(method: string): string {
  const file = join(ROOT, 'artifacts', 'models', `${method}.onnx`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npx turbo run export --filter=@sngp/pipeline\` first`);
  return file;
}

export function evalCli(args: string[]): Run {
  return node(EVAL_CLI, args);
}

export const CALIBRATE_CLI = resolve(__dirname, '../dist/calibrate-cli.js');

export function calibrateCli(args: string[]): Run {
  return node(CALIBRATE_CLI, args);
}
