/**
 * `npm run bench:serve`: sngp-serve's throughput and latency (wrk, loopback) at concurrency 1, 16
 * and 64 with dynamic batching on and off, side by side in one run, the server's CPU time per
 * request, the single-row c=64 pair again with autocannon, and the overhead over in-process
 * `predict` at the same batch size. Prints figures and the machine.
 */
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '@sngp/runtime';
import { formatLoad, loadRunInChild, wrkRun, type LoadResult } from './load.js';
import { createServer, type SngpServer } from './server.js';

const here = dirname(fileURLToPath(import.meta.url));
const model = process.argv[2] ?? resolve(here, '../../../artifacts/models/sngp.onnx');
/** The batching window: `npm run bench:serve -- model.onnx 2` (default 0 ms, the server's). */
const maxDelayMs = Number(process.argv[3] ?? 0);
/** onnxruntime's intra-op threads per model: `npm run bench:serve -- model.onnx 0 1` (default: onnxruntime's). */
const threads = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
/** Batches of the model at a time with batching on: `npm run bench:serve -- model.onnx 0 1 2` (default 1). */
const concurrentBatches = Number(process.argv[5] ?? 1);
/** Rows per batch (the server's default). */
const MAX_BATCH_ROWS = 1024;
/** Seconds per wrk run. */
const SECONDS = 3;
/** Extra on/off pairs of the acceptance setting (single rows, c = 64). */
const REPEATS = 5;

async function median(fn: () => Promise<unknown>, n: number): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[Math.floor(n / 2)];
}

/**
 * Wait until a server has no infer request in the works: wrk stops at its time and hangs up on up
 * to `c` requests in flight (64 x 1,000 rows is seconds of work), which must not run into the next
 * measurement, of either server (they share this process's event loop).
 */
async function settle(server: SngpServer, label: string): Promise<void> {
  const t0 = performance.now();
  while (server.stats.inferring > 0) {
    if (performance.now() - t0 > 60_000) {
      console.log(`warning: ${label}: ${server.stats.inferring} requests still in the works after 60 s`);
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One load run, its tail drained, and the server process's CPU time per answered request over it (both servers live here; only one is loaded). */
async function measured(server: SngpServer, label: string, run: () => Promise<LoadResult>): Promise<{ r: LoadResult; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const r = await run();
  await settle(server, label);
  const c = process.cpuUsage(c0);
  return { r, cpuMs: (c.user + c.system) / 1000 / Math.max(1, r.ok) };
}

async function main(): Promise<void> {
  const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load average ${load()}; model ${model}; loopback 127.0.0.1`);
  console.log(`load generator: wrk (one thread, ${SECONDS} s per run) in its own process; batching on = ${MAX_BATCH_ROWS} rows, ${maxDelayMs} ms window, ${concurrentBatches} batch(es) at a time; off = every request its own predict; onnxruntime intra-op threads ${threads ?? "onnxruntime's default"}`);
  const settings: [rows: number, c: number][] = [[1, 1], [1, 16], [1, 64], [1000, 1], [1000, 16], [1000, 64]];
  // Both servers live in this process side by side; only the one under load works. Each setting
  // runs on then off, so a change in the machine's load hits both alike.
  const servers = {
    on: await createServer({ models: [model], threads, batch: { maxBatchRows: MAX_BATCH_ROWS, maxDelayMs, concurrentBatches } }),
    off: await createServer({ models: [model], threads, batch: { maxBatchRows: 0 } }),
  };
  const urls = { on: await servers.on.listen(0), off: await servers.off.listen(0) };
  // The file name is the model name.
  const modelName = servers.on.models[0].name;
  const wrk = (mode: 'on' | 'off', rows: number, c: number, seconds = SECONDS) =>
    measured(servers[mode], `batching ${mode} c=${c} rows=${rows}`, () => wrkRun({ url: urls[mode], model: modelName, rows, width: 2, concurrency: c }, seconds));
  for (const mode of ['on', 'off'] as const) await wrk(mode, 1, 16, 1); // warm-up
  const results: Record<string, LoadResult> = {};
  const line = (label: string, m: { r: LoadResult; cpuMs: number }): string => `${formatLoad(label, m.r)}; server CPU ${(m.cpuMs * 1000).toFixed(0)} us/request`;
  for (const [rows, c] of settings)
    for (const mode of ['on', 'off'] as const) {
      const m = await wrk(mode, rows, c);
      results[`${mode}:${rows}:${c}`] = m.r;
      console.log(line(`batching ${mode.padEnd(3)}`, m));
    }
  // A run that got no answer (the machine stalled) has no ratio: say so rather than print NaN.
  const ratio = (on: LoadResult, off: LoadResult): number | null => (on.ok > 0 && off.ok > 0 ? on.rowsPerSecond / off.rowsPerSecond : null);
  const ratioText = (r: number | null): string => (r === null ? 'no ratio (a run got no answers)' : `${r.toFixed(2)}x rows/s`);
  for (const rows of [1, 1000]) console.log(`c=64, ${rows} row(s) per request: batching on / off = ${ratioText(ratio(results[`on:${rows}:64`], results[`off:${rows}:64`]))}`);
  // The acceptance figure again, more pairs, so one noisy pair (other jobs on the machine) does not
  // decide it; the server's CPU time per request is the figure that other jobs disturb least.
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const on = await wrk('on', 1, 64);
    const off = await wrk('off', 1, 64);
    const r = ratio(on.r, off.r);
    if (r !== null) ratios.push(r);
    if (on.r.ok > 0 && off.r.ok > 0) cpuRatios.push(off.cpuMs / on.cpuMs);
    console.log(`repeat ${i + 1}: c=64 single rows: on ${Math.round(on.r.rowsPerSecond)} rows/s, off ${Math.round(off.r.rowsPerSecond)} rows/s: ${ratioText(r)} (server CPU ${(on.cpuMs * 1000).toFixed(0)} vs ${(off.cpuMs * 1000).toFixed(0)} us/request)`);
  }
  const spread = (v: number[]): string => {
    const x = [...v].sort((a, b) => a - b);
    return `min ${x[0].toFixed(2)}x, median ${x[Math.floor(x.length / 2)].toFixed(2)}x, max ${x[x.length - 1].toFixed(2)}x`;
  };
  if (ratios.length > 0) {
    console.log(`c=64 single rows over ${ratios.length} repeats: rows/s batching on / off ${spread(ratios)}`);
    console.log(`c=64 single rows over ${cpuRatios.length} repeats: server CPU per request off / on ${spread(cpuRatios)}`);
  }
  // The same pair with autocannon (Node, in a child process): its own per-request cost shares the two cores.
  const ac = (mode: 'on' | 'off') =>
    measured(servers[mode], `autocannon ${mode}`, () => loadRunInChild({ url: urls[mode], model: modelName, rows: 1, width: 2, concurrency: 64, amount: 4000 }));
  const acOn = await ac('on');
  const acOff = await ac('off');
  console.log(line('autocannon, batching on ', acOn));
  console.log(line('autocannon, batching off', acOff));
  console.log(`autocannon c=64 single rows: batching on / off = ${ratioText(ratio(acOn.r, acOff.r))}`);
  await Promise.all([servers.on.close(), servers.off.close()]);
  // Overhead: a request's median latency at c=1 (batching off, so the same batch size) vs predict in process.
  const local = await loadModel(model, { device: 'cpu', threads });
  for (const rows of [1, 1000]) {
    const x = Float32Array.from({ length: rows * 2 }, (_, i) => Math.round(Math.sin(i) * 2000) / 1000);
    await median(() => local.predict(x), 20);
    const inProcess = await median(() => local.predict(x), rows === 1 ? 500 : 100);
    const served = results[`off:${rows}:1`].p50;
    console.log(`${rows} row(s): in-process predict median ${inProcess.toFixed(3)} ms; served p50 ${served.toFixed(3)} ms; overhead ${(served - inProcess).toFixed(3)} ms`);
  }
  await local.dispose();
  console.log(`load average at the end: ${load()}`);
}

void main();
