/**
 * Browser entry of @sngp/runtime: onnxruntime-web (webgpu, wasm). Same API as the Node entry.
 * The .wasm files are loaded from the same origin: by default from next to the bundled
 * onnxruntime-web module (bundlers such as Vite emit them as assets), or from `configureWasm`'s
 * `wasmPaths`. Never from a CDN.
 *
 * `import { loadModel } from '@sngp/runtime'` picks this entry in bundlers for the browser (the
 * `browser` export condition). Devices: `auto` (webgpu on a hardware adapter, else wasm),
 * `webgpu`, `wasm` (`cpu` is the wasm backend; `cuda` falls back to wasm); see {@link Device}.
 *
 * @packageDocumentation
 * @module @sngp/runtime (browser)
 */
import { SngpError } from '@sngp/core';
import * as ort from 'onnxruntime-web';
import { lookUpAdapter, type AdapterLookup, type AdapterReport } from './adapter.js';
import type { ProviderBackend } from './devices.js';
import { asBytes, describeSource, fetchBytes, loadFromBytes } from './load.js';
import { createRunner, type Runner } from './ort-session.js';
import { connectWith, type ConnectOptions } from './remote.js';
import type { LoadOptions, ModelSource, SngpModel } from './types.js';

export * from './index.js';

/**
 * onnxruntime-web's providers. The WebGPU adapter is looked up once per load: `auto` refuses a
 * software one (see adapter.ts), an explicit `webgpu` runs on it and says so in the reason.
 */
function browserProviders(bytes: Uint8Array): ProviderBackend<Runner> {
  let lookup: Promise<AdapterLookup> | null = null;
  let adapter: AdapterReport | null = null;
  return {
    async unavailable(provider, auto) {
      if (provider === 'wasm') return null;
      if (provider !== 'webgpu') return `onnxruntime-web has no "${provider}" provider`;
      const found = await (lookup ??= lookUpAdapter());
      if (found.adapter === null) return found.missing;
      adapter = found.adapter;
      if (auto && adapter.software) return `the adapter is software (${adapter.name}: ${adapter.reason}), slower than wasm for these models`;
      return null;
    },
    open: (provider) => createRunner(ort, bytes, provider),
    describe: (provider) =>
      provider === 'webgpu' && adapter ? `${adapter.software ? 'on a software adapter' : 'on adapter'} ${adapter.name}${adapter.software ? `: ${adapter.reason}` : ''}` : null,
  };
}

/**
 * Load an exported SNGP toolkit model from a URL (absolute or relative to the page) or bytes. The
 * model card is read and checked before a session is created, then the session is opened on the
 * requested device (with its fallback) and its graph is checked against the card.
 *
 * @example
 * ```ts
 * await configureWasm({ wasmPaths: '/ort/' });
 * const model = await loadModel('/models/sngp.onnx', { device: 'auto' }); // webgpu on a GPU, else wasm
 * console.log(model.info.deviceChoice.reason); // e.g. why a software adapter was skipped
 * const p = await model.predict(new Float32Array([0.5, 0.25]));
 * ```
 * @param source - a URL (string, resolved against the page, or URL object) or the model's bytes
 *   (Uint8Array or ArrayBuffer). File paths are not available in browsers.
 * @param options - device, strictness, default batch size, warning sink; see {@link LoadOptions}.
 * @returns the loaded model; `model.info.provider` says which provider runs it.
 * @throws SngpError if the fetch fails (network error or HTTP status), the bytes are not an ONNX
 *   model of ours, the graph does not match its model card, an option is invalid, or no device
 *   can open it (or the requested one cannot, with `strict`).
 */
export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<SngpModel> {
  const label = describeSource(source);
  let bytes: Uint8Array;
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) bytes = asBytes(source);
  else if (typeof source === 'string' || source instanceof URL)
    bytes = await fetchBytes(new URL(source, globalThis.location?.href).href);
  else throw new SngpError(`loadModel: source must be a URL, Uint8Array or ArrayBuffer, got ${typeof source}`);
  return loadFromBytes(bytes, label, options, 'browser', browserProviders);
}

/**
 * Settings of onnxruntime-web's wasm backend: where its .wasm files are served, thread count. Call
 * it before the first load on `wasm` (or `auto` without WebGPU): onnxruntime-web reads them once,
 * when it initialises. Threads need a cross-origin isolated page (COOP: same-origin and COEP:
 * require-corp headers).
 * @param settings - the settings to change; omitted ones keep their values.
 */
export async function configureWasm(settings: {
  /** URL prefix (ending in "/") where onnxruntime-web's .wasm files are served, on your own origin. */
  wasmPaths?: string;
  /** Worker threads of the wasm backend (0: onnxruntime-web decides; 1: no worker threads). */
  numThreads?: number;
}): Promise<void> {
  if (settings.wasmPaths !== undefined) ort.env.wasm.wasmPaths = settings.wasmPaths;
  if (settings.numThreads !== undefined) ort.env.wasm.numThreads = settings.numThreads;
}

/**
 * A model served over the Open Inference Protocol (sngp-serve, Triton, KServe) as an
 * {@link SngpModel}, as in Node: raw graph outputs from the server, post-processed here. The page
 * needs the server to allow its origin (CORS) unless both share one.
 * @param url - the server's base URL (absolute, or relative to the page).
 * @param options - model name, version, card (bytes, entries or a URL), timeouts, retries.
 * @returns the remote model (`info.provider` is "remote").
 * @throws SngpError naming the URL and the server's message when the server cannot be reached,
 *   does not serve the model, gives no card (and none is passed), or serves another graph.
 */
export function connect(url: string | URL, options: ConnectOptions): Promise<SngpModel> {
  return connectWith(new URL(url, globalThis.location?.href).href, options, (source) => fetchBytes(new URL(source, globalThis.location?.href).href));
}
