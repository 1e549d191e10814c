/**
 * A bounded load run with autocannon against a running server: a fixed number of infer requests
 * of `rows` rows at a given concurrency (shared by the load test and `bench:serve`).
 */
import autocannon from 'autocannon';

/** What one load run measured. */
export interface LoadResult {
  /** Concurrent connections. */
  concurrency: number;
  /** Rows per request. */
  rows: number;
  /** Requests sent. */
  requests: number;
  /** Requests answered 2xx. */
  ok: number;
  /** Non-2xx answers, connection errors and timeouts. */
  failed: number;
  /** Median latency, ms. */
  p50: number;
  /** 99th percentile latency, ms. */
  p99: number;
  /** Rows answered per second. */
  rowsPerSecond: number;
}

/**
 * Run `amount` infer requests of `rows` two-moons-sized rows at `concurrency`.
 * @param url - the server's base URL.
 * @param model - the model name.
 * @param rows - rows per request.
 * @param width - features per row.
 * @param concurrency - connections.
 * @param amount - requests in all (the bound on the run).
 * @returns the figures.
 */
export async function loadRun(url: string, model: string, rows: number, width: number, concurrency: number, amount: number): Promise<LoadResult> {
  const data = Array.from({ length: rows * width }, (_, i) => Math.round(Math.sin(i) * 2000) / 1000);
  const body = JSON.stringify({ inputs: [{ name: 'features', shape: [rows, width], datatype: 'FP32', data }], outputs: [{ name: 'probs' }, { name: 'uncertainty' }] });
  const t0 = performance.now();
  // autocannon's own duration is counted in whole seconds (its sampling tick): time the run from
  // the first request to the last response instead.
  let last = t0;
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const inst = autocannon({
    url: `${url}/v2/models/${model}/infer`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: concurrency,
    amount,
    timeout: 30,
    }, (err, result) => (err ? reject(err) : resolve(result)));
    inst.on('response', () => {
      last = performance.now();
    });
  });
  const seconds = (last - t0) / 1000;
  const ok = r['2xx'];
  return {
    concurrency,
    rows,
    requests: r.requests.sent,
    ok,
    failed: r.non2xx + r.errors + r.timeouts,
    p50: r.latency.p50,
    p99: r.latency.p99,
    rowsPerSecond: (ok * rows) / seconds,
  };
}

/**
 * One line of figures.
 * @param label - what was run.
 * @param r - its result.
 * @returns e.g. "batching c=64 rows=1: 2000 ok, 0 failed, p50 3 ms, p99 9 ms, 12000 rows/s".
 */
export function formatLoad(label: string, r: LoadResult): string {
  return `${label} c=${r.concurrency} rows=${r.rows}: ${r.ok}/${r.requests} ok, ${r.failed} failed, p50 ${r.p50} ms, p99 ${r.p99} ms, ${Math.round(r.rowsPerSecond)} rows/s`;
}
