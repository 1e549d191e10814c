/** Prometheus metrics of a server (its own registry, so several servers in one process stay apart). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Requests kept before they are folded into the Prometheus metrics (on a scrape, or when this many are waiting). */
const PENDING_LIMIT = 4096;

/**
 * The server's metrics. Requests are recorded into a plain buffer and folded into prom-client's
 * counters and histogram when `/metrics` is read (or the buffer is full): prom-client hashes the
 * label set on every call, a visible cost at thousands of requests a second.
 */
export class ServerMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  /** Requests by model and HTTP status. */
  readonly requests = new Counter({ name: 'sngp_requests_total', help: 'Inference requests by model and status', labelNames: ['model', 'status'] as const, registers: [this.registry] });
  /** Rows by model and status. */
  readonly rows = new Counter({ name: 'sngp_rows_total', help: 'Rows in inference requests by model and status', labelNames: ['model', 'status'] as const, registers: [this.registry] });
  /** Request latency. */
  readonly latency = new Histogram({
    name: 'sngp_request_duration_seconds',
    help: 'Inference request latency (body parsed to response sent)',
    labelNames: ['model'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  /** Rows waiting to be batched. */
  readonly queue = new Gauge({ name: 'sngp_queue_rows', help: 'Rows waiting in the batch queue', labelNames: ['model'] as const, registers: [this.registry] });
  /** Rows per batch run. */
  readonly batchRows = new Histogram({
    name: 'sngp_batch_rows',
    help: 'Rows per predict run (dynamic batching)',
    labelNames: ['model'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384],
    registers: [this.registry],
  });
  private pending: { model: string; status: number; rows: number; seconds: number }[] = [];
  private pendingBatches: { model: string; rows: number }[] = [];

  /**
   * Count one answered inference request.
   * @param model - the model name.
   * @param status - the HTTP status sent.
   * @param rows - rows in the request.
   * @param seconds - its latency.
   */
  recordRequest(model: string, status: number, rows: number, seconds: number): void {
    this.pending.push({ model, status, rows, seconds });
    if (this.pending.length >= PENDING_LIMIT) this.fold();
  }

  /**
   * Count one batch run.
   * @param model - the model name.
   * @param rows - rows in the batch.
   */
  recordBatch(model: string, rows: number): void {
    this.pendingBatches.push({ model, rows });
    if (this.pendingBatches.length >= PENDING_LIMIT) this.fold();
  }

  /**
   * The Prometheus text, with every recorded request counted.
   * @returns the exposition text.
   */
  async render(): Promise<string> {
    this.fold();
    return this.registry.metrics();
  }

  private fold(): void {
    for (const r of this.pending) {
      const labels = { model: r.model, status: String(r.status) };
      this.requests.inc(labels);
      this.rows.inc(labels, r.rows);
      this.latency.observe({ model: r.model }, r.seconds);
    }
    for (const b of this.pendingBatches) this.batchRows.observe({ model: b.model }, b.rows);
    this.pending = [];
    this.pendingBatches = [];
  }
}
