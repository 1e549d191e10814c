import { meanFieldProbs, type Method } from '@sngp/core';
import { configureWasm, loadModel, type Prediction, type SngpModel } from '@sngp/runtime';

/** Providers the page offers; the runtime maps 'wasm' to onnxruntime-web's CPU backend. */
export type Provider = 'webgpu' | 'wasm';

/** One loaded model with its grid prediction. */
export interface Loaded {
  method: Method;
  model: SngpModel;
  /** The .onnx file the model was loaded from (the decisions view writes its rules into a copy). */
  bytes: Uint8Array;
  grid: GridPrediction;
  loadMs: number;
  gridMs: number;
}

let wasmConfigured = false;

/** ORT's wasm files come from ort/ beside the page (copied there by vite.config.ts), same origin. */
async function configureOnce(): Promise<void> {
  if (wasmConfigured) return;
  await configureWasm({ wasmPaths: new URL('ort/', document.baseURI).href });
  wasmConfigured = true;
}

/** Fetch a model file ourselves so a 404 reads as such, not as a parse error. */
async function fetchBytes(url: string, signal?: AbortSignal): Promise<Uint8Array> {
  const res = await fetch(url, { signal });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`.trim());
  return new Uint8Array(await res.arrayBuffer());
}

/** Thrown inside a pass that was cancelled (a newer pass started). */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}

/**
 * Throws {@link Cancelled} if the signal fired.
 * @param signal - the pass's signal.
 */
export function checkSignal(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Cancelled();
}

/**
 * Is this load error the runtime itself failing (its wasm / JS glue cannot load), so every model
 * would fail the same way? Then the page shows it once, not once per model.
 * @param message - the error's message.
 * @returns true for a runtime failure, false for a problem of one model.
 */
export function isRuntimeFailure(message: string): boolean {
  return /no available backend|failed to fetch dynamically imported|importing a module script failed|both async and sync fetching of the wasm failed|WebAssembly\.(instantiate|compile)|Aborted\(/i.test(message);
}

/**
 * Fetch and open one model on a provider (timed from the fetch).
 * @param method - the method the file must hold.
 * @param url - the model's URL.
 * @param provider - the execution provider asked for.
 * @param signal - cancels the load (the model is disposed).
 * @returns the model, the file's bytes and the load time in ms.
 */
export async function openModel(
  method: Method,
  url: string,
  provider: Provider,
  signal?: AbortSignal,
): Promise<{ model: SngpModel; bytes: Uint8Array; loadMs: number }> {
  const t0 = performance.now();
  const bytes = await fetchBytes(url, signal);
  checkSignal(signal);
  const model = await openBytes(method, bytes, provider);
  if (signal?.aborted || model.info.method !== method) {
    await model.dispose();
    checkSignal(signal);
    throw new Error(`${url} holds a ${model.info.method} model, expected ${method}`);
  }
  return { model, bytes, loadMs: performance.now() - t0 };
}

/**
 * Open a model's bytes on a provider with the runtime.
 * @param method - names the model in warnings.
 * @param bytes - the .onnx file.
 * @param provider - the execution provider asked for.
 * @returns the loaded model.
 */
export async function openBytes(method: Method, bytes: Uint8Array, provider: Provider): Promise<SngpModel> {
  await configureOnce();
  return loadModel(bytes, { device: provider, onWarning: (m) => console.warn(`${method}: ${m}`) });
}

/** Rows per grid chunk: a cancelled pass stops after at most one chunk, and progress moves. */
export const GRID_CHUNK = 2500;

/**
 * Predict the whole grid in chunks, each one a queued job, checking for cancellation between them.
 * The runtime's MC dropout noise is a pure function of the seed (default 0) and shared by every
 * row, so chunking gives the same numbers as one run.
 * @param model - the loaded model.
 * @param grid - the grid rows, flat [N, D].
 * @param queue - the page's run queue.
 * @param opts - `signal` cancels between chunks; `onProgress(done, total)` after each chunk.
 * @returns the concatenated prediction.
 */
export async function predictGrid(
  model: SngpModel,
  grid: Float32Array,
  queue: Serial,
  opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<GridPrediction> {
  const d = model.info.inputDim;
  const rows = grid.length / d;
  const parts: GridPrediction[] = [];
  for (let start = 0; start < rows; start += GRID_CHUNK) {
    const end = Math.min(rows, start + GRID_CHUNK);
    checkSignal(opts.signal);
    parts.push(await queue.run(() => model.predict(grid.subarray(start * d, end * d), { batchSize: end - start })));
    opts.onProgress?.(end, rows);
  }
  checkSignal(opts.signal);
  return concatPredictions(parts);
}

/** The parts of a prediction the page draws from (set sizes and abstain flags when the card has rules). */
export type GridPrediction = Pick<Prediction, 'numClasses' | 'probs' | 'logits' | 'variance' | 'setSize' | 'abstain'>;

type Column = Float32Array | Int32Array | Uint8Array;

function concat<T extends Column>(parts: (T | undefined)[]): T | undefined {
  if (parts.some((p) => !p)) return undefined;
  const Type = parts[0]!.constructor as new (n: number) => T;
  const out = new Type(parts.reduce((a, p) => a + p!.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p!, o);
    o += p!.length;
  }
  return out;
}

/**
 * Row-wise concatenation of predictions of consecutive row ranges (what the page draws: the
 * probabilities, SNGP's logits and variance, the set sizes and abstain flags).
 * @param parts - predictions in row order.
 * @returns one prediction over all their rows.
 */
export function concatPredictions(parts: GridPrediction[]): GridPrediction {
  return {
    numClasses: parts[0].numClasses,
    probs: concat(parts.map((p) => p.probs))!,
    logits: concat(parts.map((p) => p.logits)),
    variance: concat(parts.map((p) => p.variance)),
    setSize: concat(parts.map((p) => p.setSize)),
    abstain: concat(parts.map((p) => p.abstain)),
  };
}

/**
 * The probabilities the page shows: SNGP's are recomputed from its logits and variance with the
 * slider's mean-field factor and the model's calibrated temperature (no inference), as the
 * runtime does by default; the other methods' come from the runtime as is.
 * @param method - the model's method.
 * @param pred - its prediction.
 * @param meanField - the slider's lambda.
 * @param temperature - the model card's calibrated temperature.
 * @returns [N, K] probabilities.
 */
export function shownProbs(method: Method, pred: GridPrediction, meanField: number, temperature = 1): Float32Array {
  if (method === 'sngp' && pred.logits && pred.variance)
    return meanFieldProbs(pred.logits, pred.variance, pred.numClasses, meanField, temperature);
  return pred.probs;
}

/** Runs async jobs one at a time (one ORT run at a time across sessions: JSEP's WebGPU runs must not interleave). */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  /** Queue a job; it starts when every earlier job has settled. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.tail.then(job, job);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
