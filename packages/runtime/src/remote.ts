/**
 * `connect`: a model served over the Open Inference Protocol (KServe V2 REST) as an
 * {@link SngpModel}. The remote server plays the onnxruntime session: each run is one infer call
 * asking for the raw graph outputs, and this package's own post-processing (temperature,
 * mean-field, scores) runs here, exactly as for `loadModel`. It needs nothing beyond the protocol,
 * so it works against sngp-serve, Triton and KServe serving our exported ONNX.
 */
import { SngpError, decodeModelCard, type ModelCard } from '@sngp/core';
import { oneLine } from './devices.js';
import { DEFAULT_BATCH_SIZE, OnnxSngpModel, checkGraph, readModelCard } from './model.js';
import type { Runner, ValueSignature } from './ort-session.js';
import type { FloatTensor, SngpModel } from './types.js';
import { positiveInt } from './validate.js';

/**
 * Where `connect` gets the model card when the server does not hand it out (Triton, KServe):
 * the model card entries (`sngp.*` keys, as in the `sngp-card.json` that `sngp-export --triton`
 * writes), the bytes of the model.onnx or of that JSON, or a path (Node only) or URL of either.
 */
export type CardSource = Record<string, string> | Uint8Array | ArrayBuffer | string | URL;

/** Options of `connect`. */
export interface ConnectOptions {
  /** The model's name on the server. */
  model: string;
  /** A version (default: the server's default, usually the latest). */
  version?: string;
  /**
   * The model card, needed when the server's metadata has no `parameters.sngp_card` (every server
   * but sngp-serve); when given it wins over the server's.
   */
  card?: CardSource;
  /** Time limit of one HTTP request in ms (default 30,000). */
  timeoutMs?: number;
  /** Retries of a request answered 503 (default 3), after Retry-After or 0.1, 0.2, 0.4 ... s. */
  retries?: number;
  /**
   * Rows per infer request (default {@link DEFAULT_BATCH_SIZE}); keep it at or under the server's
   * limit (sngp-serve `--max-rows`, Triton `max_batch_size`).
   */
  batchSize?: number;
}

/** OIP model metadata, the fields used here. */
interface RemoteMetadata {
  inputs: { name: string; datatype: string; shape: number[] }[];
  outputs: { name: string; datatype: string; shape: number[] }[];
  parameters?: { sngp_card?: Record<string, string> };
}

/** Reads a card source given as a path or URL (the platform entry supplies it). */
export type ReadBytes = (source: string | URL, label: string) => Promise<Uint8Array>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One HTTP call with a timeout and retries on 503; errors name the URL and the server's message. */
async function call(url: string, init: RequestInit, timeoutMs: number, retries: number): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      text = await res.text();
    } catch (e) {
      const timedOut = (e as Error).name === 'TimeoutError';
      throw new SngpError(timedOut ? `${url}: no answer within ${timeoutMs} ms (options.timeoutMs)` : `${url}: cannot reach the server: ${oneLine(e)}`);
    }
    if (res.status === 503 && attempt < retries) {
      const after = Number(res.headers.get('retry-after'));
      await sleep(Number.isFinite(after) && after >= 0 ? Math.min(after, 60) * 1000 : Math.min(100 * 2 ** attempt, 10_000));
      continue;
    }
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      /* reported below */
    }
    if (!res.ok) {
      const msg = typeof (body as { error?: unknown } | null)?.error === 'string' ? (body as { error: string }).error : text.slice(0, 500);
      throw new SngpError(`${url}: HTTP ${res.status}${attempt > 0 ? ` after ${attempt} retries` : ''}: ${msg}`);
    }
    if (body === null || typeof body !== 'object') throw new SngpError(`${url}: the answer is not a JSON object: ${text.slice(0, 200)}`);
    return body;
  }
}

async function resolveCard(source: CardSource, read: ReadBytes): Promise<{ card: ModelCard; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  let label = 'options.card';
  if (typeof source === 'string' || source instanceof URL) {
    label = String(source);
    bytes = await read(source, label);
  } else if (source instanceof Uint8Array || source instanceof ArrayBuffer) bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  else return { card: decodeModelCard(source, label), metadata: source };
  // JSON card (starts with "{") or an .onnx file.
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] !== 0x7b) return readModelCard(bytes, label);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new SngpError(`${label}: not valid JSON: ${oneLine(e)}`);
  }
  const metadata = parsed as Record<string, string>;
  return { card: decodeModelCard(metadata, label), metadata };
}

function signatureOf(m: { datatype: string; shape: number[] }): ValueSignature {
  const type = m.datatype === 'FP32' ? 'float32' : m.datatype.toLowerCase();
  return { type, shape: Array.isArray(m.shape) ? m.shape.map((d, i) => (d < 0 ? `dim${i}` : d)) : null };
}

function remoteRunner(base: string, meta: RemoteMetadata, timeoutMs: number, retries: number): Runner {
  const signature: Record<string, ValueSignature> = {};
  for (const m of [...meta.inputs, ...meta.outputs]) signature[m.name] = signatureOf(m);
  const features = meta.inputs.find((m) => m.name === 'features');
  const url = `${base}/infer`;
  return {
    inputNames: meta.inputs.map((m) => m.name),
    outputNames: meta.outputs.map((m) => m.name),
    featureDim: features && features.shape.length === 2 && features.shape[1] >= 0 ? features.shape[1] : null,
    signature,
    async run(feeds, fetches) {
      const body = {
        inputs: Object.entries(feeds).map(([name, t]) => ({ name, shape: [...t.dims], datatype: 'FP32', data: Array.from(t.data) })),
        outputs: fetches.map((name) => ({ name })),
      };
      const res = (await call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, timeoutMs, retries)) as {
        outputs?: { name: string; datatype: string; shape: number[]; data: unknown }[];
      };
      const out: Record<string, FloatTensor> = {};
      for (const name of fetches) {
        const t = res.outputs?.find((o) => o.name === name);
        if (!t) throw new SngpError(`${url}: the answer has no output "${name}"`);
        if (t.datatype !== 'FP32' || !Array.isArray(t.data)) throw new SngpError(`${url}: output "${name}" is ${t.datatype}, expected FP32 data`);
        out[name] = { data: Float32Array.from((t.data as unknown[]).flat(8) as number[]), dims: t.shape };
      }
      return out;
    },
    release: async () => {},
  };
}

/**
 * Shared body of both entries' `connect`.
 * @param url - the server's base URL, e.g. http://127.0.0.1:8000.
 * @param options - model, version, card, timeouts, retries.
 * @param read - reads a card given as a path or URL.
 * @returns the remote model.
 * @throws SngpError if the server cannot be reached, does not serve the model, has no card and
 *   none is given, or serves a graph that does not match the card.
 */
export async function connectWith(url: string | URL, options: ConnectOptions, read: ReadBytes): Promise<SngpModel> {
  if (options === null || typeof options !== 'object' || typeof options.model !== 'string' || options.model === '')
    throw new SngpError('connect: options.model must name the model on the server');
  const timeoutMs = positiveInt(options.timeoutMs, 'options.timeoutMs') ?? 30_000;
  const retries = options.retries ?? 3;
  if (!Number.isInteger(retries) || retries < 0) throw new SngpError(`options.retries: expected an integer >= 0, got ${retries}`);
  const batchSize = positiveInt(options.batchSize, 'options.batchSize') ?? DEFAULT_BATCH_SIZE;
  const root = String(url).replace(/\/+$/, '');
  const base = `${root}/v2/models/${encodeURIComponent(options.model)}${options.version !== undefined ? `/versions/${encodeURIComponent(options.version)}` : ''}`;
  const meta = (await call(base, { method: 'GET' }, timeoutMs, retries)) as RemoteMetadata;
  if (!Array.isArray(meta.inputs) || !Array.isArray(meta.outputs)) throw new SngpError(`${base}: model metadata without inputs and outputs`);
  let found: { card: ModelCard; metadata: Record<string, string> };
  if (options.card !== undefined) found = await resolveCard(options.card, read);
  else if (meta.parameters?.sngp_card) found = { card: decodeModelCard(meta.parameters.sngp_card, base), metadata: meta.parameters.sngp_card };
  else
    throw new SngpError(
      `${base}: the server does not hand out the model card (only sngp-serve does); pass options.card: the model.onnx, or the sngp-card.json that sngp-export --triton writes beside it`,
    );
  const runner = remoteRunner(base, meta, timeoutMs, retries);
  checkGraph(found.card, runner, base);
  const choice = { requested: null, provider: 'remote', reason: `served over the Open Inference Protocol by ${root}` };
  return new OnnxSngpModel(runner, found.card, found.metadata, choice, batchSize, base);
}
