/**
 * Bounded load runs against a running server, all reporting a {@link LoadResult}: autocannon (npm)
 * with a fixed number of requests, in this process (the load test) or in a child process, and wrk
 * (Debian's `wrk`, C, for a fixed time; `bench:serve`), whose own cost per request is a fraction
 * of autocannon's, so on a small machine it leaves the cores to the server being measured.
 */
import { execFile, fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
 * The infer request every load run sends: `rows` rows of deterministic values in [-2, 2], asking
 * for probs and uncertainty.
 * @param rows - rows.
 * @param width - features per row.
 * @returns the JSON body.
 */
export function loadBody(rows: number, width: number): string {
  const data = Array.from({ length: rows * width }, (_, i) => Math.round(Math.sin(i) * 2000) / 1000);
  return JSON.stringify({ inputs: [{ name: 'features', shape: [rows, width], datatype: 'FP32', data }], outputs: [{ name: 'probs' }, { name: 'uncertainty' }] });
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
  const body = loadBody(rows, width);
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

/** The arguments of one {@link loadRun}. */
export interface LoadSpec {
  /** The server's base URL. */
  url: string;
  /** The model name. */
  model: string;
  /** Rows per request. */
  rows: number;
  /** Features per row. */
  width: number;
  /** Connections. */
  concurrency: number;
  /** Requests in all. */
  amount: number;
}

/**
 * {@link loadRun} in a child process (the built `load-child.js` beside this module), so the load
 * generator runs on its own thread and the server's event loop does only the server's work.
 * @param spec - what to run.
 * @param timeoutMs - the child is killed and the promise rejects after this long (default 120 s).
 * @returns the figures, measured in the child.
 */
export function loadRunInChild(spec: LoadSpec, timeoutMs = 120_000): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./load-child.js', import.meta.url), [JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`load run ${JSON.stringify(spec)}: no result within ${timeoutMs} ms`));
    }, timeoutMs);
    let settled = false;
    child.on('message', (m: { ok?: LoadResult; error?: string }) => {
      settled = true;
      clearTimeout(timer);
      if (m.ok) resolve(m.ok);
      else reject(new Error(`load run: ${m.error}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!settled) reject(new Error(`load run: the child exited with code ${code} and no result`));
    });
  });
}

/** `12.5ms` / `830.00us` / `1.20s` (wrk's latency format) in ms. */
function wrkMs(text: string, what: string): number {
  const m = text.match(/^([\d.]+)(us|ms|s)$/);
  if (!m) throw new Error(`wrk: cannot read the ${what} latency "${text}"`);
  return Number(m[1]) * (m[2] === 'us' ? 1e-3 : m[2] === 's' ? 1e3 : 1);
}

/**
 * Infer requests of `rows` rows at `concurrency` for `seconds` with wrk (one thread).
 * @param spec - the run; `amount` is ignored (wrk runs for a time).
 * @param seconds - how long (the bound on the run).
 * @returns the figures; `requests` counts every answer wrk saw.
 * @throws Error if wrk is not installed (Debian: apt-get install wrk) or its output cannot be read.
 */
export async function wrkRun(spec: Omit<LoadSpec, 'amount'>, seconds: number): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sngp-wrk-'));
  try {
    const script = join(dir, 'post.lua');
    // A Lua long string: the JSON body never contains "]==]".
    writeFileSync(script, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[${loadBody(spec.rows, spec.width)}]==]\n`);
    const args = ['-t1', `-c${spec.concurrency}`, `-d${seconds}s`, '--timeout', '30s', '--latency', '-s', script, `${spec.url}/v2/models/${spec.model}/infer`];
    const out = await new Promise<string>((resolve, reject) =>
      execFile('wrk', args, { timeout: (seconds + 60) * 1000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`wrk ${args.join(' ')}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'wrk is not installed (Debian: apt-get install wrk)' : `${err.message} ${stderr}`}`)) : resolve(stdout),
      ),
    );
    const num = (re: RegExp, what: string): string => {
      const m = out.match(re);
      if (!m) throw new Error(`wrk: no ${what} in its output:\n${out}`);
      return m[1];
    };
    const requests = Number(num(/(\d+) requests in ([\d.]+\w+)/, 'request count'));
    const elapsed = wrkMs(num(/\d+ requests in ([\d.]+\w+)/, 'duration'), 'duration') / 1000;
    const non2xx = Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
    const socket = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
    const errors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
    const ok = requests - non2xx;
    return {
      concurrency: spec.concurrency,
      rows: spec.rows,
      requests,
      ok,
      failed: non2xx + errors,
      p50: wrkMs(num(/^\s*50%\s+(\S+)\s*$/m, 'p50'), 'p50'),
      p99: wrkMs(num(/^\s*99%\s+(\S+)\s*$/m, 'p99'), 'p99'),
      rowsPerSecond: (ok * spec.rows) / elapsed,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One line of figures.
 * @param label - what was run.
 * @param r - its result.
 * @returns e.g. "batching c=64 rows=1: 2000 ok, 0 failed, p50 3 ms, p99 9 ms, 12000 rows/s".
 */
export function formatLoad(label: string, r: LoadResult): string {
  const ms = (v: number): string => (v < 10 ? v.toFixed(2) : v.toFixed(0));
  return `${label} c=${r.concurrency} rows=${r.rows}: ${r.ok}/${r.requests} ok, ${r.failed} failed, p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms, ${Math.round(r.rowsPerSecond)} rows/s`;
}
