/**
 * Fuzz harness: run cases in child processes so a crash or hang of one case cannot take down the
 * run. A worker script takes a batch of cases, announces each (`S <index>`) before running it and
 * reports it (`R <json>`) after; if the child dies (signal, non-zero exit) or stops making progress,
 * the announced case is the culprit: it is recorded as a crash or a hang and the rest of the batch
 * goes to a fresh child. Stdout writes to a pipe are synchronous on Linux, so an announcement is
 * never lost to the crash it precedes.
 *
 * Shared by the fuzz stages of runtime and export (test tooling at the repository root, like
 * vitest.fuzz.config.ts: no package reaches into another for it).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How a case ended. `rejected`: an SngpError (the clear refusal we want). */
export type Outcome = 'rejected' | 'finite' | 'silent-nan' | 'crash' | 'hang';

export interface CaseResult {
  index: number;
  outcome: Outcome;
  detail: string;
}

export interface ChildRunOptions {
  /** Node script run per batch: `node <worker> <cases.json>`. */
  worker: string;
  /** Case descriptions handed to the worker (each needs a unique `index`; `label` names it in reports). */
  cases: { index: number; label?: string }[];
  /** Where batch files go. */
  dir: string;
  batchSize: number;
  /** A case that takes longer than this is a hang (the child is killed). */
  caseTimeoutMs: number;
  /** Children running at once. */
  concurrency: number;
  /** Extra argv for node (e.g. a heap limit). */
  nodeArgs?: string[];
}

/** The error line of a dead child's stderr (e.g. "TypeError: boom"), else its last lines. */
function lastError(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^([A-Z]\w*)?(Error|Exception)\b/.test(l)) ?? lines.slice(-3).join(' | ');
}

/** Run every case; resolves with one result per case, in index order. */
export async function runInChildren(opts: ChildRunOptions): Promise<CaseResult[]> {
  const results = new Map<number, CaseResult>();
  const queue: { index: number; label?: string }[][] = [];
  for (let i = 0; i < opts.cases.length; i += opts.batchSize) queue.push(opts.cases.slice(i, i + opts.batchSize));
  let batchNo = 0;

  const runBatch = (batch: { index: number; label?: string }[]): Promise<void> =>
    new Promise((done, fail) => {
      const file = join(opts.dir, `batch-${batchNo++}.json`);
      writeFileSync(file, JSON.stringify(batch));
      const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.worker, file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let current: number | null = null;
      let hung = false;
      let stderr = '';
      let buffer = '';
      let timer: NodeJS.Timeout | null = null;
      const arm = () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          hung = true;
          child.kill('SIGKILL');
        }, opts.caseTimeoutMs);
      };
      arm(); // start-up counts against the first case
      child.stderr.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-2000);
      });
      child.stdout.on('data', (d: Buffer) => {
        buffer += d.toString();
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.startsWith('S ')) {
            current = Number(line.slice(2));
            arm();
          } else if (line.startsWith('R ')) {
            const r = JSON.parse(line.slice(2)) as CaseResult;
            results.set(r.index, r);
            current = null;
          }
        }
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        const left = batch.filter((c) => !results.has(c.index));
        if (left.length === 0) return done();
        if (current === null)
          return fail(new Error(`fuzz worker ${opts.worker} died outside any case (code ${code}, signal ${signal}): ${stderr}`));
        const label = batch.find((c) => c.index === current)?.label ?? `case ${current}`;
        const detail = hung
          ? `${label}: no result within ${opts.caseTimeoutMs} ms`
          : `${label}: child died (${signal ? `signal ${signal}` : `exit code ${code}`}): ${lastError(stderr)}`;
        results.set(current, { index: current, outcome: hung ? 'hang' : 'crash', detail });
        const rest = left.filter((c) => c.index !== current);
        if (rest.length) queue.unshift(rest);
        done();
      });
    });

  const lanes = Array.from({ length: opts.concurrency }, async () => {
    for (let batch = queue.shift(); batch; batch = queue.shift()) await runBatch(batch);
  });
  await Promise.all(lanes);
  return [...results.values()].sort((a, b) => a.index - b.index);
}

/** Counts per outcome, for the printed summary and the assertions. */
export function tally(results: CaseResult[]): Record<Outcome, number> {
  const t: Record<Outcome, number> = { rejected: 0, finite: 0, 'silent-nan': 0, crash: 0, hang: 0 };
  for (const r of results) t[r.outcome]++;
  return t;
}

/** One summary line plus the first few failures with their case index and detail. */
export function summary(name: string, results: CaseResult[], seed: number, seconds: number): string {
  const t = tally(results);
  const lines = [
    `${name}: ${results.length} cases (seed ${seed}, ${seconds.toFixed(1)} s): ${t.rejected} rejected with SngpError, ` +
      `${t.finite} accepted and finite, ${t['silent-nan']} silent NaN, ${t.crash} crashes, ${t.hang} hangs`,
  ];
  for (const r of results.filter((x) => x.outcome === 'crash' || x.outcome === 'hang' || x.outcome === 'silent-nan').slice(0, 10))
    lines.push(`  case ${r.index} ${r.outcome}: ${r.detail}`);
  // What refused the mutants (file names and numbers folded), so coverage of the checks is visible.
  const reasons = new Map<string, number>();
  for (const r of results.filter((x) => x.outcome === 'rejected')) {
    const key = r.detail.replace(/^model bytes \(\d+ B\): |^\S+?: /, '').replace(/-?\d[\d.e+-]*/g, '#').replace(/"[^"]*"/g, '"…"').slice(0, 80);
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  }
  const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 12);
  lines.push(`  top rejection reasons (${reasons.size} distinct):`, ...top.map(([k, n]) => `    ${String(n).padStart(5)}  ${k}`));
  return lines.join('\n');
}
