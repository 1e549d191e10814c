/**
 * `npm run bench:serve`: sngp-serve's throughput and latency (autocannon, loopback) at concurrency
 * 1, 16 and 64 with dynamic batching on and off, side by side in one run, and its overhead over
 * in-process `predict` at the same batch size. Prints figures and the machine.
 */
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '@sngp/runtime';
import { formatLoad, loadRun, type LoadResult } from './load.js';
import { createServer } from './server.js';

const here = dirname(fileURLToPath(import.meta.url));
const model = process.argv[2] ?? resolve(here, '../../../artifacts/models/sngp.onnx');
/** The batching window: `npm run bench:serve -- model.onnx 0` (default 2 ms, the server's). */
const maxDelayMs = Number(process.argv[3] ?? 2);

async function median(fn: () => Promise<unknown>, n: number): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[Math.floor(n / 2)];
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, Node ${process.version}; model ${model}; loopback 127.0.0.1, autocannon in the same process; batching window ${maxDelayMs} ms`);
  const settings: [rows: number, c: number, amount: number][] = [
    [1, 1, 500], [1, 16, 2000], [1, 64, 4000],
    [1000, 1, 50], [1000, 16, 160], [1000, 64, 320],
  ];
  const results: Record<string, LoadResult> = {};
  for (const batching of [true, false]) {
    const server = await createServer({ models: [model], batch: { maxBatchRows: batching ? 1024 : 0, maxDelayMs } });
    // The file name is the model name.
    const url = await server.listen(0);
    const modelName = server.models[0].name;
    await loadRun(url, modelName, 1, 2, 16, 300); // warm-up
    for (const [rows, c, amount] of settings) {
      const r = await loadRun(url, modelName, rows, 2, c, amount);
      results[`${batching}:${rows}:${c}`] = r;
      console.log(formatLoad(batching ? 'batching on ' : 'batching off', r));
    }
    await server.close();
  }
  for (const rows of [1, 1000]) {
    const on = results[`true:${rows}:64`].rowsPerSecond;
    const off = results[`false:${rows}:64`].rowsPerSecond;
    console.log(`c=64, ${rows} row(s) per request: batching on / off = ${(on / off).toFixed(2)}x rows/s`);
  }
  // Overhead: a request's median latency at c=1 (batching off, so the same batch size) vs predict in process.
  const local = await loadModel(model, { device: 'cpu' });
  for (const rows of [1, 1000]) {
    const x = Float32Array.from({ length: rows * 2 }, (_, i) => Math.round(Math.sin(i) * 2000) / 1000);
    await median(() => local.predict(x), 20);
    const inProcess = await median(() => local.predict(x), rows === 1 ? 500 : 100);
    const served = results[`false:${rows}:1`].p50;
    console.log(`${rows} row(s): in-process predict median ${inProcess.toFixed(3)} ms; served p50 ${served} ms (autocannon's ms resolution); overhead ~${(served - inProcess).toFixed(2)} ms`);
  }
  await local.dispose();
}

void main();
