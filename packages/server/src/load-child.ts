/**
 * The load generator as its own process (`bench:serve`): runs one {@link loadRun} with the
 * arguments it is forked with and sends the result to its parent, so autocannon's HTTP and JSON
 * work does not share the server's event loop.
 */
import { loadRun, type LoadSpec } from './load.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
loadRun(spec.url, spec.model, spec.rows, spec.width, spec.concurrency, spec.amount).then(
  (r) => process.send?.({ ok: r }, () => process.exit(0)),
  (e: unknown) => process.send?.({ error: String(e) }, () => process.exit(1)),
);
