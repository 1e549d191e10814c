import type { InferenceSession, Tensor } from 'onnxruntime-web';

/**
 * The slice of onnxruntime's JS API we use. onnxruntime-node and onnxruntime-web both implement
 * it (they share onnxruntime-common), so the model logic is written once against this.
 */
export interface OrtApi {
  InferenceSession: { create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => Tensor;
}

import type { FloatTensor } from './types.js';

export type { FloatTensor };

/** One loaded ONNX session, float32 in and out. */
export interface Runner {
  /** The graph's input names. */
  readonly inputNames: readonly string[];
  /** The graph's output names. */
  readonly outputNames: readonly string[];
  /** Static width of input `features` if the graph declares one. */
  readonly featureDim: number | null;
  /** Declared element type and shape (numbers, or names for dynamic dims) of each graph input and output. */
  readonly signature: Readonly<Record<string, ValueSignature>>;
  /** One session.run; rejects with onnxruntime's error, or if an output is not float32. */
  run(feeds: Record<string, FloatTensor>, fetches: readonly string[]): Promise<Record<string, FloatTensor>>;
  /** Release the session. */
  release(): Promise<void>;
}

/** What a graph declares about one input or output; null where it declares nothing. */
export interface ValueSignature {
  /** Element type, e.g. "float32". */
  type: string | null;
  /** Dimensions: a number for a fixed size, a name for a dynamic one. */
  shape: readonly (number | string)[] | null;
}

/**
 * Create a session on one execution provider (all graph optimisations on).
 * @param ort - onnxruntime-node or onnxruntime-web.
 * @param bytes - the .onnx file.
 * @param provider - the execution provider name, e.g. "cpu", "webgpu", "wasm".
 * @param threads - intra-op threads (onnxruntime-node), or undefined for onnxruntime's default.
 * @returns the runner; rejects with onnxruntime's error if the session cannot be created.
 */
export async function createRunner(ort: OrtApi, bytes: Uint8Array, provider: string, threads?: number): Promise<Runner> {
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    ...(threads === undefined ? {} : { intraOpNumThreads: threads, interOpNumThreads: 1 }),
  });
  let featureDim: number | null = null;
  const meta = session.inputMetadata?.find((m) => m.name === 'features');
  if (meta && meta.isTensor && typeof meta.shape[1] === 'number') featureDim = meta.shape[1];
  const signature: Record<string, ValueSignature> = {};
  for (const m of [...(session.inputMetadata ?? []), ...(session.outputMetadata ?? [])])
    signature[m.name] = m.isTensor ? { type: m.type, shape: m.shape } : { type: null, shape: null };
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    featureDim,
    signature,
    async run(feeds, fetches) {
      const tensors: Record<string, Tensor> = {};
      for (const [name, f] of Object.entries(feeds)) tensors[name] = new ort.Tensor('float32', f.data, f.dims);
      const out = await session.run(tensors, fetches);
      const result: Record<string, FloatTensor> = {};
      for (const name of fetches) {
        const t = out[name];
        if (t.type !== 'float32') throw new Error(`output ${name}: expected float32, got ${t.type}`);
        result[name] = { data: t.data as Float32Array, dims: t.dims };
      }
      return result;
    },
    release: () => session.release(),
  };
}
