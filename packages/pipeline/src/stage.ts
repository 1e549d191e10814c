/** What every stage script shares: timed progress lines, child processes of package bins, a pool. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SngpError } from '@sngp/core';

/** Progress lines: elapsed time since the stage started, then the message. */
export function stageLogger(stage: string): (msg: string) => void {
  const t0 = performance.now();
  return (msg) => {
    const t = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
    process.stdout.write(`[${stage} ${t}s] ${msg}\n`);
  };
}

/** The script of a workspace package's bin, found through the package's own package.json. */
export function packageBin(pkg: '@sngp/train' | '@sngp/export' | '@sngp/eval', bin: string): string {
  const manifest = createRequire(import.meta.url).resolve(`${pkg}/package.json`);
  const bins = (JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: Record<string, string> }).bin ?? {};
  if (!bins[bin]) throw new SngpError(`${pkg} has no bin "${bin}"`);
  return join(dirname(manifest), bins[bin]);
}

/** Run a package bin with node; resolves to its stdout, rejects with its last stderr line. */
export function runBin(script: string, name: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise(stdout);
      else {
        const last = stderr.trim().split('\n').filter(Boolean).pop() ?? `exit code ${code}`;
        reject(new SngpError(`${name} ${args.join(' ')} failed: ${last}`));
      }
    });
  });
}

/** Run `job` over `items` with at most `n` in flight; results keep the input order. */
export async function pool<T, R>(items: readonly T[], n: number, job: (t: T) => Promise<R>): Promise<R[]> {
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

/** Run a stage's main: a user error is one line and exit 1, anything else a stack and exit 2. */
export function runStage(main: () => Promise<void> | void): void {
  Promise.resolve()
    .then(main)
    .catch((e: unknown) => {
      const err = e as Error;
      const user = err?.name === 'SngpError';
      process.stderr.write(`error: ${user ? err.message : (err?.stack ?? String(e))}\n`);
      process.exit(user ? 1 : 2);
    });
}

/** The value after `--name` on this script's command line, or undefined (the benchmarks' flags). */
export function cliArg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
