/**
 * The app factory: a fastify server with the Open Inference Protocol's REST endpoints over the
 * models of a repository, dynamic batching, limits with their status codes, metrics, JSON logs and
 * a graceful drain (readiness false first, then every accepted request answered).
 */
import { SngpError } from '@sngp/core';
import { loadModel, type Device } from '@sngp/runtime';
import { createServer as createHttpServer } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { BatchOptions } from './batcher.js';
import { ServerMetrics } from './metrics.js';
import { RequestError, parseInferRequest } from './protocol.js';
import { findModels } from './repository.js';
import { ServedModel } from './served-model.js';

/** Options of {@link createServer}; every limit has a default. */
export interface ServerOptions {
  /** .onnx files and directories to serve (see the README's "Model repository"). */
  models: readonly string[];
  /** Execution device of every model (default 'cpu'). */
  device?: Device;
  /**
   * onnxruntime-node's intra-op threads per model (the runtime's `threads`; default: onnxruntime's,
   * one per core). 1 keeps onnxruntime's idle threads from spinning on the cores that answer
   * sockets: better for many small requests, slower for large ones (see the README's figures).
   */
  threads?: number;
  /** Dynamic batching and queue limits (defaults: 1024 rows, 0 ms window, 65536 queued rows, 30 s, 1 batch at a time). */
  batch?: Partial<BatchOptions>;
  /** Most rows in one request (default 65536; more: 413). */
  maxRowsPerRequest?: number;
  /** Largest request body in bytes (default 16 MiB; more: 413). */
  bodyLimit?: number;
  /** A client that has not sent its whole request after this many ms gets 408 (default 30 s). */
  clientTimeoutMs?: number;
  /**
   * Where one JSON line per request goes (default: nowhere).
   * @param line - time, method, url, status, ms, and for infer the model and rows, as JSON.
   */
  log?: (line: string) => void;
}

/** One served model version. */
export interface ServedModelInfo {
  /** Name in URLs. */
  name: string;
  /** Version in URLs. */
  version: string;
  /** The model type. */
  method: string;
}

/** Requests counted by the server, for the drain check. */
export interface ServerStats {
  /** Requests whose headers the server read. */
  accepted: number;
  /** Responses fully sent. */
  answered: number;
  /** Infer requests being worked on now (parsed, not yet answered; a client that hung up does not stop the work). */
  inferring: number;
}

/** A running or ready-to-run server. */
export interface SngpServer {
  /** The fastify instance (for `inject` in tests). */
  readonly app: FastifyInstance;
  /** Every served model version. */
  readonly models: readonly ServedModelInfo[];
  /** Counters of accepted and answered requests. */
  readonly stats: ServerStats;
  /**
   * Listen on a host and port (0: any free port).
   * @param port - the TCP port.
   * @param host - the address (default 127.0.0.1).
   * @returns the base URL, e.g. http://127.0.0.1:8000.
   */
  listen(port: number, host?: string): Promise<string>;
  /**
   * Graceful shutdown: readiness turns false, after `delayMs` no new connection is accepted,
   * every request already accepted is answered, then the models are released.
   * @param delayMs - time between readiness false and closing the listener (default 0).
   */
  close(delayMs?: number): Promise<void>;
}

// A 0 ms window (the batch starts on the next event-loop turn, with every request parsed in this
// one) measured faster than 2 ms at concurrency 64 and far lower latency at concurrency 1: under
// load the requests that can share a batch are already in, waiting only idles the loop.
const DEFAULT_BATCH: BatchOptions = { maxBatchRows: 1024, maxDelayMs: 0, maxQueueRows: 65536, timeoutMs: 30_000, concurrentBatches: 1 };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the infer route: what the log line and metrics report. */
    sngp: { model: string; rows: number } | null;
  }
}

function wholePositive(v: number | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1) throw new SngpError(`${name}: expected a whole number >= 1, got ${v}`);
  return v;
}

function positive(v: number | undefined, name: string, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) throw new SngpError(`${name}: expected a number ${allowZero ? '>= 0' : '> 0'}, got ${v}`);
  return v;
}

/**
 * Load the models and build the server (not listening yet).
 * @example
 * ```ts
 * const server = await createServer({ models: ['artifacts/models'] });
 * const url = await server.listen(8000); // GET `${url}/v2/models/sngp`
 * await server.close();
 * ```
 * @param options - models, device and limits.
 * @returns the server.
 * @throws SngpError if an option is invalid or a model cannot be found or loaded.
 */
export async function createServer(options: ServerOptions): Promise<SngpServer> {
  const batch: BatchOptions = {
    maxBatchRows: positive(options.batch?.maxBatchRows, 'batch.maxBatchRows', DEFAULT_BATCH.maxBatchRows, true),
    maxDelayMs: positive(options.batch?.maxDelayMs, 'batch.maxDelayMs', DEFAULT_BATCH.maxDelayMs, true),
    maxQueueRows: positive(options.batch?.maxQueueRows, 'batch.maxQueueRows', DEFAULT_BATCH.maxQueueRows),
    timeoutMs: positive(options.batch?.timeoutMs, 'batch.timeoutMs', DEFAULT_BATCH.timeoutMs),
    concurrentBatches: wholePositive(options.batch?.concurrentBatches, 'batch.concurrentBatches', DEFAULT_BATCH.concurrentBatches),
  };
  const limits = { batch, maxRowsPerRequest: positive(options.maxRowsPerRequest, 'maxRowsPerRequest', 65536) };
  const metrics = new ServerMetrics();
  const served: ServedModel[] = [];
  try {
    for (const e of findModels(options.models)) {
      const model = await loadModel(e.path, { device: options.device ?? 'cpu', threads: options.threads });
      served.push(
        new ServedModel(e.name, e.version, model, await ServedModel.probeOutputs(model), limits, {
          onBatch(rows) {
            metrics.recordBatch(e.name, rows);
          },
        }),
      );
    }
  } catch (e) {
    await Promise.all(served.map((s) => s.model.dispose()));
    throw e;
  }

  const clientTimeout = positive(options.clientTimeoutMs, 'clientTimeoutMs', 30_000);
  const app = Fastify({
    bodyLimit: positive(options.bodyLimit, 'bodyLimit', 16 * 2 ** 20),
    // Node checks request timeouts every connectionsCheckingInterval (30 s by default): check often
    // enough that a slow client is cut near its limit.
    serverFactory: (handler) =>
      createHttpServer({ requestTimeout: clientTimeout, headersTimeout: clientTimeout, connectionsCheckingInterval: Math.min(1000, clientTimeout) }, handler),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.decorateRequest('sngp', null);
  // JSON.parse instead of fastify's secure-json-parse: that one scans every body for __proto__ and
  // constructor keys (a visible cost per single-row request), which guards code that merges a body
  // into other objects; here a body is only read field by field (protocol.ts), never merged.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (e) {
      done(new RequestError(400, `body: not valid JSON (${(e as Error).message})`), undefined);
    }
  });
  const stats: ServerStats = { accepted: 0, answered: 0, inferring: 0 };
  let ready = true;

  const byName = new Map<string, ServedModel[]>();
  for (const s of served) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  const versionsOf = (name: string): ServedModel[] => byName.get(name) ?? [];
  const find = (name: string, version?: string): ServedModel => {
    const all = versionsOf(name);
    if (all.length === 0) throw new RequestError(404, `model "${name}" is not served (models: ${[...new Set(served.map((s) => s.name))].join(', ')})`);
    if (version === undefined) return all[all.length - 1];
    const m = all.find((s) => s.version === version);
    if (!m) throw new RequestError(404, `model "${name}" has no version "${version}" (versions: ${all.map((s) => s.version).join(', ')})`);
    return m;
  };

  // Callback hooks, not async ones: no promise per request.
  app.addHook('onRequest', (_req, _reply, done) => {
    stats.accepted++;
    done();
  });
  app.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done) => {
    stats.answered++;
    const ms = reply.elapsedTime;
    if (req.sngp) metrics.recordRequest(req.sngp.model, reply.statusCode, req.sngp.rows, ms / 1000);
    options.log?.(JSON.stringify({ time: new Date().toISOString(), method: req.method, url: req.url, status: reply.statusCode, ms: Number(ms.toFixed(3)), ...(req.sngp ?? {}) }));
    done();
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (err instanceof RequestError) {
      if (err.retryAfter !== undefined) void reply.header('Retry-After', String(err.retryAfter));
      return reply.code(err.status).send({ error: err.message });
    }
    // fastify's own: 413 body too large, 400 bad JSON, 415 content type, 408 timeout.
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status === 415) return reply.code(415).send({ error: `unsupported content-type ${JSON.stringify(req.headers['content-type'] ?? '')}: send application/json` });
    return reply.code(status).send({ error: err instanceof SngpError || status < 500 ? err.message : `internal error: ${err.message}` });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no endpoint ${req.method} ${req.url.split('?')[0]}` }));

  app.get('/v2/health/live', async () => ({ live: true }));
  // The spec: 200 = true, 4xx = false.
  app.get('/v2/health/ready', async (_req, reply) => reply.code(ready ? 200 : 400).send({ ready }));
  app.get('/v2', async () => ({ name: 'sngp-serve', version: '0.1.0', extensions: ['classification'] }));
  app.get('/metrics', async (_req, reply) => {
    for (const s of served) metrics.queue.set({ model: s.name }, s.queueDepth);
    return reply.type(metrics.registry.contentType).send(await metrics.render());
  });

  type Params = { name: string; version?: string };
  const metadata = async (req: FastifyRequest<{ Params: Params }>) => {
    const m = find(req.params.name, req.params.version);
    return m.metadata(versionsOf(m.name).map((s) => s.version));
  };
  const modelReady = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const m = find(req.params.name, req.params.version);
    return reply.code(ready ? 200 : 400).send({ name: m.name, ready });
  };
  const infer = async (req: FastifyRequest<{ Params: Params }>) => {
    const m = find(req.params.name, req.params.version);
    req.sngp = { model: m.name, rows: 0 };
    const parsed = parseInferRequest(req.body);
    const features = parsed.inputs.find((i) => i.name === 'features');
    req.sngp.rows = features?.shape[0] ?? 0;
    stats.inferring++;
    try {
      return (await m.infer(parsed)).response;
    } finally {
      stats.inferring--;
    }
  };
  for (const base of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    app.get(base, metadata);
    app.get(`${base}/ready`, modelReady);
    app.post(`${base}/infer`, infer);
  }

  return {
    app,
    models: served.map((s) => ({ name: s.name, version: s.version, method: s.model.info.method })),
    stats,
    async listen(port, host = '127.0.0.1') {
      await app.listen({ port, host });
      const addr = app.server.address();
      if (addr === null || typeof addr === 'string') throw new SngpError('the server has no TCP address');
      return `http://${host}:${addr.port}`;
    },
    async close(delayMs = 0) {
      ready = false;
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      await app.close();
      await Promise.all(served.map((s) => s.model.dispose()));
    },
  };
}
