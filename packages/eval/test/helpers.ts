/** Helpers for tests that drive the real CLIs (train -> export -> sngp-eval). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../../..');
export const EVAL_CLI = resolve(__dirname, '../dist/cli.js');
const TRAIN_CLI = join(ROOT, 'packages/train/dist/cli.js');
const EXPORT_CLI = join(ROOT, 'packages/export/dist/cli.js');

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

/** Train with the train CLI and export with the export CLI; returns the .onnx path. */
export function trainAndExport(dir: string, method: string, extra: string[] = []): string {
  const ckpt = join(dir, method);
  const t = node(TRAIN_CLI, ['--method', method, '--data', 'moons', '--out', ckpt, '--quiet', ...extra]);
  if (t.status !== 0) throw new Error(`train ${method} failed: ${t.stderr}`);
  const onnx = join(dir, `${method}.onnx`);
  const e = node(EXPORT_CLI, [ckpt, '--out', onnx]);
  if (e.status !== 0) throw new Error(`export ${method} failed: ${e.stderr}`);
  return onnx;
}

export function evalCli(args: string[]): Run {
  return node(EVAL_CLI, args);
}
