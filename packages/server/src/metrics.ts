/** Prometheus metrics of a server (its own registry, so several servers in one process stay apart). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The server's metrics. */
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
}
