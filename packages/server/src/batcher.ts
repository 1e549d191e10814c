/**
 * Dynamic batching: concurrent requests for one model are queued and run as one `predict` of up
 * to `maxBatchRows` rows, after at most `maxDelayMs` of waiting, up to `concurrentBatches` batches
 * at a time per model (onnxruntime-node runs a session's calls side by side in its thread pool).
 */
import { RequestError } from './protocol.js';

/** Dynamic batching settings of every served model. */
export interface BatchOptions {
  /** Most rows per batch (a larger request runs alone); 0 turns batching off: each request runs by itself at once. */
  maxBatchRows: number;
  /** Longest a request waits for others before its batch starts, in ms. */
  maxDelayMs: number;
  /** Most rows waiting; a request over it gets 503 with Retry-After. */
  maxQueueRows: number;
  /** A request still waiting after this many ms gets 503 with Retry-After. */
  timeoutMs: number;
  /** Batches of one model running at the same time (>= 1). */
  concurrentBatches: number;
}

interface Pending<R> {
  features: Float32Array;
  rows: number;
  resolve: (r: { result: R; offset: number }) => void;
  reject: (e: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Observes the batcher (metrics). */
export interface BatchObserver {
  /**
   * Called when a batch starts.
   * @param rows - rows in the batch.
   */
  onBatch(rows: number): void;
}

/**
 * Queues row blocks and runs them together.
 * @typeParam R - what one run returns for the whole batch.
 */
export class Batcher<R> {
  private queue: Pending<R>[] = [];
  private queuedRows = 0;
  private running = 0;
  private timer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | null = null;

  /**
   * @param run - runs a batch: features [rows * width], row count.
   * @param width - values per row.
   * @param options - limits.
   * @param observer - told about each batch.
   */
  constructor(
    private readonly run: (features: Float32Array, rows: number) => Promise<R>,
    private readonly width: number,
    private readonly options: BatchOptions,
    private readonly observer?: BatchObserver,
  ) {}

  /** Rows waiting now. */
  get depth(): number {
    return this.queuedRows;
  }

  /**
   * Run `rows` rows, alone or with others.
   * @param features - the rows, row-major.
   * @param rows - how many.
   * @returns the batch's result and where these rows start in it.
   * @throws RequestError 503 (with Retry-After) if the queue is full or the request waited too long.
   */
  submit(features: Float32Array, rows: number): Promise<{ result: R; offset: number }> {
    if (this.options.maxBatchRows === 0) {
      this.observer?.onBatch(rows);
      return this.run(features, rows).then((result) => ({ result, offset: 0 }));
    }
    if (this.queuedRows + rows > this.options.maxQueueRows && this.queuedRows > 0)
      return Promise.reject(new RequestError(503, `queue full: ${this.queuedRows} rows waiting (limit ${this.options.maxQueueRows}); retry later`, 1));
    return new Promise((resolve, reject) => {
      const p: Pending<R> = {
        features,
        rows,
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.queue.indexOf(p);
          if (i < 0) return; // already running: it gets its answer
          this.queue.splice(i, 1);
          this.queuedRows -= rows;
          reject(new RequestError(503, `request waited ${this.options.timeoutMs} ms in the queue without running; retry later`, 1));
        }, this.options.timeoutMs),
      };
      this.queue.push(p);
      this.queuedRows += rows;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running >= this.options.concurrentBatches || this.queue.length === 0) return;
    if (this.queuedRows >= this.options.maxBatchRows) {
      void this.flush();
      return;
    }
    // Delay 0: still let the requests parsed in this turn of the event loop join (setTimeout(0) would wait 1 ms).
    this.timer ??= this.options.maxDelayMs === 0 ? setImmediate(() => void this.flush()) : setTimeout(() => void this.flush(), this.options.maxDelayMs);
  }

  private async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer as ReturnType<typeof setTimeout>);
      clearImmediate(this.timer as ReturnType<typeof setImmediate>);
    }
    this.timer = null;
    if (this.running >= this.options.concurrentBatches || this.queue.length === 0) return;
    const batch: Pending<R>[] = [];
    let rows = 0;
    while (this.queue.length > 0 && (batch.length === 0 || rows + this.queue[0].rows <= this.options.maxBatchRows)) {
      const p = this.queue.shift() as Pending<R>;
      clearTimeout(p.timer);
      batch.push(p);
      rows += p.rows;
    }
    this.queuedRows -= rows;
    this.running++;
    // A free slot takes the requests left over at once (or after their window).
    this.schedule();
    this.observer?.onBatch(rows);
    try {
      let features = batch[0].features;
      if (batch.length > 1) {
        features = new Float32Array(rows * this.width);
        let at = 0;
        for (const p of batch) {
          features.set(p.features, at * this.width);
          at += p.rows;
        }
      }
      const result = await this.run(features, rows);
      let offset = 0;
      for (const p of batch) {
        p.resolve({ result, offset });
        offset += p.rows;
      }
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.running--;
      // Requests that arrived during the run have waited already: run them now.
      if (this.queue.length > 0) void this.flush();
    }
  }
}
