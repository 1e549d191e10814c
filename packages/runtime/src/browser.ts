/**
 * Browser entry of @sngp/runtime: onnxruntime-web (webgpu, wasm). Same API as the Node entry.
 * The .wasm files are loaded from the same origin: by default from next to the bundled
 * onnxruntime-web module (bundlers such as Vite emit them as assets), or from `configureWasm`'s
 * `wasmPaths`. Never from a CDN.
 */
import { SngpError } from '@sngp/core';
import * as ort from 'onnxruntime-web';
import type { ProviderBackend } from './devices.js';
import { asBytes, describeSource, fetchBytes, loadFromBytes } from './load.js';
import { createRunner, type Runner } from './ort-session.js';
import type { LoadOptions, ModelSource, SngpModel } from './types.js';

export * from './index.js';

interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

async function webgpuUnavailable(): Promise<string | null> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return 'this browser has no WebGPU (navigator.gpu is undefined)';
  try {
    if (!(await gpu.requestAdapter())) return 'no WebGPU adapter';
  } catch (e) {
    return `no WebGPU adapter (${e instanceof Error ? e.message : String(e)})`;
  }
  return null;
}

function browserProviders(bytes: Uint8Array): ProviderBackend<Runner> {
  return {
    async unavailable(provider) {
      if (provider === 'webgpu') return webgpuUnavailable();
      if (provider === 'wasm') return null;
      return `onnxruntime-web has no "${provider}" provider`;
    },
    open: (provider) => createRunner(ort, bytes, provider),
  };
}

/** Load an exported SNGP toolkit model from a URL (absolute or relative to the page) or bytes. */
export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<SngpModel> {
  const label = describeSource(source);
  let bytes: Uint8Array;
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) bytes = asBytes(source);
  else if (typeof source === 'string' || source instanceof URL)
    bytes = await fetchBytes(new URL(source, globalThis.location?.href).href);
  else throw new SngpError(`loadModel: source must be a URL, Uint8Array or ArrayBuffer, got ${typeof source}`);
  return loadFromBytes(bytes, label, options, 'browser', browserProviders);
}

/** Settings of onnxruntime-web's wasm backend: where its .wasm files are served, thread count. */
export async function configureWasm(settings: { wasmPaths?: string; numThreads?: number }): Promise<void> {
  if (settings.wasmPaths !== undefined) ort.env.wasm.wasmPaths = settings.wasmPaths;
  if (settings.numThreads !== undefined) ort.env.wasm.numThreads = settings.numThreads;
}
