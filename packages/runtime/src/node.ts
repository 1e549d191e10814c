/**
 * Node entry of @sngp/runtime: onnxruntime-node (cpu, cuda, webgpu) plus onnxruntime-web's wasm
 * backend for device 'wasm'. Same API as the browser entry.
 *
 * `import { loadModel } from '@sngp/runtime'` picks this entry in Node (the `node` export
 * condition). Devices: `auto` (cuda, else cpu), `cpu`, `cuda`, `webgpu`, `wasm`; see
 * {@link Device}.
 *
 * @packageDocumentation
 * @module @sngp/runtime (Node)
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SngpError } from '@sngp/core';
import * as ortNode from 'onnxruntime-node';
import type { ProviderBackend } from './devices.js';
import { asBytes, describeSource, fetchBytes, loadFromBytes } from './load.js';
import { prepareNodeWebGpu } from './node-webgpu.js';
import { connectWith, type ConnectOptions } from './remote.js';
import { createRunner, type OrtApi, type Runner } from './ort-session.js';
import type { LoadOptions, ModelSource, SngpModel } from './types.js';

export * from './index.js';

/** Where onnxruntime-node keeps its native libraries (the CUDA provider would be there too). */
function ortNodeBinDir(): string {
  const main = createRequire(import.meta.url).resolve('onnxruntime-node');
  return join(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

function cudaUnavailable(): string | null {
  const lib = { linux: 'libonnxruntime_providers_cuda.so', win32: 'onnxruntime_providers_cuda.dll' }[process.platform as string];
  if (lib === undefined) return `CUDA is not supported on ${process.platform}`;
  // Without this check ORT prints a multi-line native error before throwing.
  if (!existsSync(join(ortNodeBinDir(), lib))) return 'the CUDA provider libraries of onnxruntime-node are not installed';
  return null;
}

let ortWeb: Promise<OrtApi & typeof import('onnxruntime-web')> | null = null;
function loadOrtWeb(): Promise<OrtApi & typeof import('onnxruntime-web')> {
  ortWeb ??= import('onnxruntime-web');
  return ortWeb;
}

const nodeApi = ortNode as unknown as OrtApi;

function nodeProviders(bytes: Uint8Array, options: LoadOptions): ProviderBackend<Runner> {
  return {
    async unavailable(provider) {
      if (provider === 'cuda') return cudaUnavailable();
      if (provider === 'webgpu') prepareNodeWebGpu();
      return null;
    },
    async open(provider) {
      if (provider === 'wasm') return createRunner(await loadOrtWeb(), bytes, 'wasm');
      return createRunner(nodeApi, bytes, provider, options.threads);
    },
  };
}

async function readSource(source: ModelSource, label: string): Promise<Uint8Array> {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return asBytes(source);
  let url: URL | null = null;
  if (source instanceof URL) url = source;
  else if (typeof source === 'string' && /^(https?|file):\/\//i.test(source)) url = new URL(source);
  else if (typeof source !== 'string')
    throw new SngpError(`loadModel: source must be a path, URL, Uint8Array or ArrayBuffer, got ${typeof source}`);
  if (url && url.protocol !== 'file:') return fetchBytes(url.href);
  const path = url ? fileURLToPath(url) : (source as string);
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected an .onnx file' : (e as Error).message;
    throw new SngpError(`${label}: cannot read the model: ${why}`);
  }
}

/**
 * Load an exported SNGP toolkit model from a path, URL (file:, http:, https:) or bytes. The model
 * card is read and checked before a session is created, then the session is opened on the
 * requested device (with its fallback) and its graph is checked against the card.
 *
 * @example
 * ```ts
 * const model = await loadModel('sngp.onnx', { device: 'auto' }); // cuda, else cpu
 * const p = await model.predict([[0.5, 0.25]]);
 * await model.dispose();
 * ```
 * @param source - a file path, a `file:`/`http:`/`https:` URL (string or URL object), or the
 *   model's bytes (Uint8Array or ArrayBuffer).
 * @param options - device, strictness, default batch size, warning sink; see {@link LoadOptions}.
 * @returns the loaded model; `model.info.provider` says which provider runs it.
 * @throws SngpError if the source cannot be read or fetched, is not an ONNX model of ours, has a
 *   graph that does not match its model card, an option is invalid, or no device can open it
 *   (or the requested one cannot, with `strict`).
 */
export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<SngpModel> {
  const label = describeSource(source);
  const bytes = await readSource(source, label);
  return loadFromBytes(bytes, label, options, 'node', nodeProviders);
}

/**
 * Settings of onnxruntime-web's wasm backend (device 'wasm'). In Node they only matter for
 * `device: 'wasm'`, which loads onnxruntime-web on first use; call this before the first such
 * load (onnxruntime-web reads them once, when it initialises).
 * @param settings - the settings to change; omitted ones keep their values.
 */
export async function configureWasm(settings: {
  /** Where onnxruntime-web's .wasm files are (a path or URL prefix ending in "/"). Default: next to its module. */
  wasmPaths?: string;
  /** Worker threads of the wasm backend (0: onnxruntime-web decides; 1: no worker threads). */
  numThreads?: number;
}): Promise<void> {
  const ort = await loadOrtWeb();
  if (settings.wasmPaths !== undefined) ort.env.wasm.wasmPaths = settings.wasmPaths;
  if (settings.numThreads !== undefined) ort.env.wasm.numThreads = settings.numThreads;
}

/**
 * A model served over the Open Inference Protocol (sngp-serve, Triton, KServe) as an
 * {@link SngpModel}: `predict` sends the features (and MC dropout's noise) to the server, gets the
 * raw graph outputs back and post-processes them here, so it gives what `loadModel` gives.
 *
 * @example
 * ```ts
 * const model = await connect('http://127.0.0.1:8000', { model: 'sngp' });
 * const p = await model.predict([[0.5, 0.25]]);
 * // Triton / KServe: the card from the repository sngp-export --triton wrote
 * const t = await connect('http://triton:8000', { model: 'sngp', card: 'repo/sngp/sngp-card.json' });
 * ```
 * @param url - the server's base URL (`http:` or `https:`).
 * @param options - model name, version, card, timeouts, retries; see {@link ConnectOptions}.
 * @returns the remote model (`info.provider` is "remote").
 * @throws SngpError naming the URL and the server's message when the server cannot be reached,
 *   does not serve the model, gives no card (and none is passed), or serves another graph.
 */
export function connect(url: string | URL, options: ConnectOptions): Promise<SngpModel> {
  return connectWith(url, options, (source, label) => readSource(source, label));
}
