/**
 * A bounded load test (autocannon, loopback only): concurrency 1, 16 and 64 on 1-row and
 * 1,000-row requests, a fixed request count each; zero failed requests. Figures are printed, not
 * asserted (speed is the benchmark's job).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SngpServer } from '../src/index.js';
import { formatLoad, loadRun } from '../src/load.js';
import { modelPath, startServer } from './fixtures.js';

let server: SngpServer;
let url: string;
beforeAll(async () => {
  ({ server, url } = await startServer({ models: [modelPath('sngp')] }));
});
afterAll(async () => server?.close());

const SETTINGS: [rows: number, concurrency: number, amount: number][] = [
  [1, 1, 200], [1, 16, 800], [1, 64, 1500],
  [1000, 1, 20], [1000, 16, 64], [1000, 64, 128],
];

for (const [rows, concurrency, amount] of SETTINGS)
  it(`c=${concurrency}, ${rows} row(s) per request, ${amount} requests: none failed`, { timeout: 60_000 }, async () => {
    const r = await loadRun(url, 'sngp', rows, 2, concurrency, amount);
    console.log(formatLoad('load test', r));
    expect(r.requests).toBe(amount);
    expect(r.ok).toBe(amount);
    expect(r.failed).toBe(0);
    expect(r.p99).toBeGreaterThan(0);
  });
