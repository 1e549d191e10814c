import { SngpError } from '@sngp/core';
import { openOnDevice, oneLine, parseDevice, planDevice, type Platform, type ProviderBackend } from './devices.js';
import { DEFAULT_BATCH_SIZE, OnnxSngpModel, checkGraph, readModelCard } from './model.js';
import type { Runner } from './ort-session.js';
import type { DeviceChoice, LoadOptions, SngpModel } from './types.js';
import { positiveInt } from './validate.js';

/**
 * Shared tail of both entries' loadModel: card first (cheap, clear errors), then a session.
 * @param bytes - the .onnx file.
 * @param source - names the model in errors.
 * @param options - the caller's load options (validated here).
 * @param platform - which entry is loading.
 * @param providers - the entry's provider backend for these bytes.
 * @returns the ready model.
 * @throws SngpError for bad options, a file that is not a model of ours, a graph that does not
 *   match its card, or a session that cannot be created.
 */
export async function loadFromBytes(
  bytes: Uint8Array,
  source: string,
  options: LoadOptions,
  platform: Platform,
  providers: (bytes: Uint8Array, options: LoadOptions) => ProviderBackend<Runner>,
): Promise<SngpModel> {
  if (options === null || typeof options !== 'object') throw new SngpError('loadModel: options must be an object');
  const device = parseDevice(options.device);
  const batchSize = positiveInt(options.batchSize, 'options.batchSize') ?? DEFAULT_BATCH_SIZE;
  positiveInt(options.threads, 'options.threads');
  const warn = options.onWarning ?? ((msg: string) => console.warn(msg));
  const { card, metadata } = readModelCard(bytes, source);
  let opened: { session: Runner; choice: DeviceChoice };
  try {
    opened = await openOnDevice(planDevice(device, platform), providers(bytes, options), options.strict === true, warn);
  } catch (e) {
    if (e instanceof SngpError) throw new SngpError(`${source}: ${e.message}`);
    throw new SngpError(`${source}: onnxruntime cannot load the model: ${oneLine(e)}`);
  }
  try {
    checkGraph(card, opened.session, source);
  } catch (e) {
    await opened.session.release();
    throw e;
  }
  return new OnnxSngpModel(opened.session, card, metadata, opened.choice, batchSize, source);
}

/**
 * A short name for a source in error messages.
 * @param source - what the caller passed to loadModel.
 * @returns the path or URL, or "model bytes (N B)".
 */
export function describeSource(source: unknown): string {
  if (typeof source === 'string') return source;
  if (source instanceof URL) return source.href;
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return `model bytes (${source.byteLength} B)`;
  return 'model';
}

/**
 * The model's bytes as a Uint8Array view (no copy).
 * @param source - bytes or a buffer.
 * @returns a view of the same memory.
 */
export function asBytes(source: Uint8Array | ArrayBuffer): Uint8Array {
  return source instanceof Uint8Array ? source : new Uint8Array(source);
}

/**
 * Download a model.
 * @param url - an absolute URL.
 * @param fetcher - the fetch implementation (tests inject one).
 * @returns the response body.
 * @throws SngpError naming the URL if the request fails or the status is not 2xx.
 */
export async function fetchBytes(url: string, fetcher: typeof fetch = fetch): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetcher(url);
  } catch (e) {
    throw new SngpError(`${url}: cannot fetch the model: ${oneLine(e)}`);
  }
  if (!res.ok) throw new SngpError(`${url}: cannot fetch the model: HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}
