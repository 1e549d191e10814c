import { meanFieldProbs, type Method } from '@sngp/core';
import { configureWasm, loadModel, type Prediction, type SngpModel } from '@sngp/runtime';

/** Providers the page offers; the runtime maps 'wasm' to onnxruntime-web's CPU backend. */
export type Provider = 'webgpu' | 'wasm';

/** One loaded model with its grid prediction. */
export interface Loaded {
  method: Method;
  model: SngpModel;
  grid: Prediction;
  loadMs: number;
  gridMs: number;
}

interface AdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string };
}

/**
 * The browser's WebGPU adapter as "vendor architecture" (e.g. "google swiftshader", a software
 * renderer, much slower than wasm), or null if there is none: navigator.gpu alone is not enough.
 */
export async function webgpuAdapter(): Promise<string | null> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<AdapterLike | null> } }).gpu;
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return null;
    const i = adapter.info ?? {};
    return [i.vendor, i.architecture, i.description].filter((s) => s).join(' ') || 'unknown adapter';
  } catch {
    return null;
  }
}

let wasmConfigured = false;

/** ORT's wasm files come from ort/ beside the page (copied there by vite.config.ts), same origin. */
async function configureOnce(): Promise<void> {
  if (wasmConfigured) return;
  await configureWasm({ wasmPaths: new URL('ort/', document.baseURI).href });
  wasmConfigured = true;
}

/** Fetch a model file ourselves so a 404 reads as such, not as a parse error. */
async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`.trim());
  return new Uint8Array(await res.arrayBuffer());
}

/** Load one model on a provider and predict the whole grid in one run (timed). */
export async function loadAndPredict(method: Method, url: string, provider: Provider, grid: Float32Array): Promise<Loaded> {
  await configureOnce();
  const t0 = performance.now();
  const bytes = await fetchBytes(url);
  const model = await loadModel(bytes, { device: provider, onWarning: (m) => console.warn(`${method}: ${m}`) });
  try {
    if (model.info.method !== method)
      throw new Error(`${url} holds a ${model.info.method} model, expected ${method}`);
    const t1 = performance.now();
    // One session run for the grid: MC dropout then uses one set of masks for every cell.
    const rows = grid.length / model.info.inputDim;
    const pred = await model.predict(grid, { batchSize: rows });
    const t2 = performance.now();
    return { method, model, grid: pred, loadMs: t1 - t0, gridMs: t2 - t1 };
  } catch (e) {
    await model.dispose();
    throw e;
  }
}

/**
 * The probabilities the page shows: SNGP's are recomputed from its logits and variance with the
 * slider's mean-field factor and the model's calibrated temperature (no inference), as the
 * runtime does by default; the other methods' come from the runtime as is.
 */
export function shownProbs(method: Method, pred: Prediction, meanField: number, temperature = 1): Float32Array {
  if (method === 'sngp' && pred.logits && pred.variance)
    return meanFieldProbs(pred.logits, pred.variance, pred.numClasses, meanField, temperature);
  return pred.probs;
}

/** Runs async jobs one at a time (an ORT session must not run twice at once). */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.tail.then(job, job);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
