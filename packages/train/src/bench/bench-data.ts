#!/usr/bin/env node
/**
 * Data-at-scale benchmark (prints figures, asserts nothing):
 * (a) a ~1 GB CSV (5 numeric columns + a label, 30M rows) generated under the OS temp directory,
 *     loaded by `sngp-train --dry-run` in a child process: wall time and peak RSS against the
 *     acceptance bound "peak memory < 3 x the float32 size of the data + 500 MB";
 * (b) 200k rows x 10 features, 3 classes: one SNGP epoch plus its precision pass next to one
 *     deterministic epoch, interleaved over rounds (median), wall and CPU time per phase. CPU time
 *     is shown too because the machine may be shared: it is less disturbed by other processes.
 * (c) the same 200k rows trained as a user would: SNGP with every default (the data recipe and
 *     early stopping, 20 % validation), timed whole, beside the tutorial's default of before (100
 *     epochs of batch 128, lr 1e-4), extrapolated from one timed epoch of it (100 epochs did not fit
 *     a benchmark run: labelled as extrapolated).
 * Usage: node dist/bench-data.js [--rows 30000000] [--epoch-rows 200000] [--rounds 2] [--keep]
 *        [--skip-big] [--skip-epoch] [--skip-defaults]
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { Rng, formatBytes } from '@sngp/core';
import { trainModel } from '../train-model.js';

const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));
const MB = 2 ** 20;

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Write `rows` CSV rows of Gaussian blobs (one per class) with a header, in large writes. */
function writeBlobsCsv(path: string, rows: number, features: number, classes: string[], seed: number): void {
  const rng = new Rng(seed);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, [...Array.from({ length: features }, (_, j) => `f${j}`), 'label'].join(',') + '\n');
    let lines: string[] = [];
    for (let i = 0; i < rows; i++) {
      const c = i % classes.length;
      const cells: string[] = [];
      for (let j = 0; j < features; j++) cells.push((rng.normal() + (j % classes.length === c ? 2 : 0)).toFixed(3));
      cells.push(classes[c]);
      lines.push(cells.join(','));
      if (lines.length === 50_000) {
        writeSync(fd, lines.join('\n') + '\n');
        lines = [];
      }
    }
    if (lines.length) writeSync(fd, lines.join('\n') + '\n');
  } finally {
    closeSync(fd);
  }
}

/** A CSV under the temp dir, generated once per shape (deterministic) and reused by later runs. */
function dataFile(dir: string, rows: number, features: number): { path: string; seconds: number; reused: boolean } {
  const path = join(dir, `blobs-${rows}x${features}.csv`);
  if (existsSync(path) && statSync(path).size > 0) return { path, seconds: 0, reused: true };
  const t0 = performance.now();
  const tmp = `${path}.partial`;
  writeBlobsCsv(tmp, rows, features, ['alpha', 'beta', 'gamma'], 7);
  // Renamed when complete: an interrupted run leaves a .partial, regenerated next time.
  renameSync(tmp, path);
  return { path, seconds: (performance.now() - t0) / 1000, reused: false };
}

interface ChildRun {
  status: number | null;
  seconds: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[]): Promise<ChildRun> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, seconds: (performance.now() - t0) / 1000, stdout, stderr }));
  });
}

async function bigCsv(dir: string, rows: number): Promise<void> {
  const features = 5;
  const file = dataFile(dir, rows, features);
  const size = statSync(file.path).size;
  console.log(
    `\n(a) ${file.path}: ${formatBytes(size)}, ${rows.toLocaleString('en-US')} rows x ${features} features + label` +
      (file.reused ? ' (reused from an earlier run)' : ` (generated in ${file.seconds.toFixed(0)} s)`),
  );
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const args = [CLI, '--dry-run', '--json', '--data', file.path];
  const r = timeBin ? await run(timeBin, ['-v', process.execPath, ...args]) : await run(process.execPath, args);
  if (r.status !== 0) {
    console.log(`sngp-train --dry-run failed (exit ${r.status}):\n${r.stderr.trim()}`);
    return;
  }
  const summary = JSON.parse(r.stdout) as { data: { rows: number; features: number; bytes: number; loadSeconds: number }; peakRssBytes: number };
  const timeRss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const peak = timeRss ? Number(timeRss[1]) * 1024 : summary.peakRssBytes;
  const f32 = summary.data.rows * summary.data.features * 4;
  const bound = 3 * f32 + 500 * MB;
  console.log(`sngp-train --dry-run: wall ${r.seconds.toFixed(1)} s (loading ${summary.data.loadSeconds.toFixed(1)} s, ${(size / MB / summary.data.loadSeconds).toFixed(1)} MB/s)`);
  console.log(
    `peak RSS ${formatBytes(peak)} (${timeRss ? '/usr/bin/time -v' : 'process.resourceUsage'}); float32 data ${formatBytes(f32)}, ` +
      `in memory with labels ${formatBytes(summary.data.bytes)}; bound 3 x float32 + 500 MB = ${formatBytes(bound)}: ` +
      `${peak < bound ? 'PASS' : 'FAIL'} (${(peak / f32).toFixed(2)} x float32)`,
  );
}

interface Phases {
  load: number;
  epoch: number;
  precision: number;
  rest: number;
  total: number;
}

/** One in-process run, timed per phase (wall and CPU seconds). */
async function timedRun(method: 'deterministic' | 'sngp', data: string): Promise<{ wall: Phases; cpu: Phases; msPerStep: number }> {
  const marks: { wall: number; cpu: number }[] = [];
  const mark = (): void => {
    const c = process.cpuUsage();
    marks.push({ wall: performance.now() / 1000, cpu: (c.user + c.system) / 1e6 });
  };
  let afterEpoch = -1;
  let afterPrecision = -1;
  mark();
  const { summary } = await trainModel(
    { method, data, epochs: 1, validationSplit: 0 },
    {
      onStart: () => mark(),
      onEpoch: () => {
        mark();
        afterEpoch = marks.length - 1;
      },
      onPosterior: (done, total) => {
        if (done < total) return;
        mark();
        afterPrecision = marks.length - 1;
      },
    },
  );
  mark();
  const phases = (k: 'wall' | 'cpu'): Phases => {
    const at = (i: number): number => marks[i][k];
    const end = marks.length - 1;
    const pEnd = afterPrecision >= 0 ? afterPrecision : afterEpoch;
    return {
      load: at(1) - at(0),
      epoch: at(afterEpoch) - at(1),
      precision: at(pEnd) - at(afterEpoch),
      rest: at(end) - at(pEnd),
      total: at(end) - at(0),
    };
  };
  return { wall: phases('wall'), cpu: phases('cpu'), msPerStep: summary.msPerStep };
}

async function epochs(dir: string, rows: number, rounds: number): Promise<void> {
  const file = dataFile(dir, rows, 10);
  console.log(
    `\n(b) ${rows.toLocaleString('en-US')} rows x 10 features, 3 classes (${formatBytes(statSync(file.path).size)} CSV), ` +
      `1 epoch, batch 128, width 128, depth 6, M = 1024, no validation split; ${rounds} interleaved rounds, median`,
  );
  const results: Record<'deterministic' | 'sngp', { wall: Phases[]; cpu: Phases[] }> = {
    deterministic: { wall: [], cpu: [] },
    sngp: { wall: [], cpu: [] },
  };
  let backend = '';
  for (let r = 0; r < rounds; r++)
    for (const method of ['deterministic', 'sngp'] as const) {
      const t = await timedRun(method, file.path);
      results[method].wall.push(t.wall);
      results[method].cpu.push(t.cpu);
    }
  const { initBackend } = await import('../backend/backend.js');
  backend = await initBackend('auto');
  const med = (m: 'deterministic' | 'sngp', k: 'wall' | 'cpu', p: keyof Phases): number => median(results[m][k].map((x) => x[p]));
  console.log(`backend ${backend}; seconds (wall / cpu):`);
  console.log('method          load           epoch          precision pass   eval+rest      total');
  for (const m of ['deterministic', 'sngp'] as const) {
    const cell = (p: keyof Phases): string => `${med(m, 'wall', p).toFixed(1)} / ${med(m, 'cpu', p).toFixed(1)}`.padEnd(15);
    console.log(`${m.padEnd(15)} ${cell('load')}${cell('epoch')}${cell('precision').padEnd(17)}${cell('rest')}${cell('total')}`);
  }
  for (const k of ['wall', 'cpu'] as const) {
    const det = med('deterministic', k, 'epoch');
    const sngp = med('sngp', k, 'epoch') + med('sngp', k, 'precision');
    const total = med('sngp', k, 'total') / med('deterministic', k, 'total');
    console.log(
      `${k.padEnd(4)}: SNGP epoch + precision pass = ${sngp.toFixed(1)} s vs deterministic epoch ${det.toFixed(1)} s: ` +
        `${(sngp / det).toFixed(2)}x (target <= 3x: ${sngp / det <= 3 ? 'met' : 'missed'}); whole run incl. loading and evaluation ${total.toFixed(2)}x`,
    );
  }
}

/** (c): a default SNGP run on the rows of (b) against the tutorial's 100 epochs (extrapolated). */
async function defaults(dir: string, rows: number): Promise<void> {
  const file = dataFile(dir, rows, 10);
  console.log(`\n(c) ${rows.toLocaleString('en-US')} rows x 10 features: SNGP with sngp-train's defaults vs the tutorial's 100 epochs (before the recipe)`);
  let t0 = performance.now();
  const run = await trainModel({ method: 'sngp', data: file.path });
  const defaultSeconds = (performance.now() - t0) / 1000;
  const s = run.summary;
  console.log(
    `defaults: batch ${run.checkpoint.config.training.batchSize}, lr ${run.checkpoint.config.training.learningRate}, budget ${s.epochs} epochs, ` +
      `ran ${s.epochsRun}${s.earlyStopping ? ` (early stopping kept epoch ${s.earlyStopping.bestEpoch})` : ''}: ${defaultSeconds.toFixed(1)} s wall ` +
      `(training loop ${s.seconds.toFixed(1)} s), validation accuracy ${s.metrics.validationAccuracy.toFixed(4)}`,
  );
  t0 = performance.now();
  const one = await trainModel({ method: 'sngp', data: file.path, epochs: 1, batchSize: 128, learningRate: 1e-4, earlyStopping: false });
  const oneSeconds = (performance.now() - t0) / 1000;
  const tutorial = oneSeconds + 99 * one.summary.seconds;
  console.log(
    `tutorial settings: 1 epoch ${one.summary.seconds.toFixed(1)} s of training (${oneSeconds.toFixed(1)} s whole run); 100 epochs ~ ${tutorial.toFixed(0)} s (extrapolated); ` +
      `defaults / tutorial = ${(defaultSeconds / tutorial).toFixed(3)}`,
  );
}

async function main(): Promise<void> {
  const o = new Command()
    .name('bench-data')
    .option('--rows <n>', 'rows of the large CSV of (a)', '30000000')
    .option('--epoch-rows <n>', 'rows of the data set of (b)', '200000')
    .option('--rounds <n>', 'interleaved rounds of (b)', '2')
    .option('--keep', 'keep the generated CSV files (they are reused by the next run)')
    .option('--skip-big', 'skip (a)')
    .option('--skip-epoch', 'skip (b)')
    .option('--skip-defaults', 'skip (c)')
    .parse(process.argv)
    .opts<{ rows: string; epochRows: string; rounds: string; keep?: boolean; skipBig?: boolean; skipEpoch?: boolean; skipDefaults?: boolean }>();
  const dir = join(tmpdir(), 'sngp-bench-data');
  mkdirSync(dir, { recursive: true });
  const c = cpus();
  console.log(
    `machine: ${c.length} x ${c[0]?.model ?? 'unknown cpu'}, ${formatBytes(totalmem())} RAM, node ${process.versions.node}, ` +
      `${process.platform}/${process.arch}, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  try {
    if (!o.skipBig) await bigCsv(dir, Number(o.rows));
    if (!o.skipEpoch) await epochs(dir, Number(o.epochRows), Number(o.rounds));
    if (!o.skipDefaults) await defaults(dir, Number(o.epochRows));
  } finally {
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nload average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
