/**
 * One model version being served: its metadata and its inference, from an OIP request to an OIP
 * response. Requests with only `features` run through `predict` (dynamic batching, the runtime's
 * post-processing); requests that feed the graph's other inputs (MC dropout's `dropout_noise`) or
 * ask for an output only the graph has (per-sample `logits`) run the graph as exported, so any
 * OIP client of the raw ONNX, such as the runtime's `connect`, gets what Triton would give it.
 */
import { ONNX_NAMES, dropoutNoise, type ModelCard } from '@sngp/core';
import type { FloatTensor, Prediction, SngpModel } from '@sngp/runtime';
import { Batcher, type BatchObserver, type BatchOptions } from './batcher.js';
import { classification, predictionOutput, predictionOutputs, sliceRows, type RowTensor } from './outputs.js';
import { RequestError, float32Data, type InferRequest, type InferResponse, type ModelMetadata, type Tensor, type TensorMetadata } from './protocol.js';

/** Limits of one served model. */
export interface ServeLimits {
  /** Dynamic batching. */
  batch: BatchOptions;
  /** Most rows in one request (more: 413). */
  maxRowsPerRequest: number;
}

/** A batch's prediction and the outputs read from it so far (each is read once per batch, when a request first asks for it). */
interface BatchResult {
  prediction: Prediction;
  outputs: Map<string, RowTensor>;
}

/** Most MC dropout samples in a request's dropout_noise (the card's own bound is 100,000). */
const MAX_NOISE_SAMPLES = 10_000;

const SCALE_HINT = "check the input's scale: features must be finite and within the range the model was trained on";

/** A loaded model version and how it answers the protocol. */
export class ServedModel {
  /** Outputs of a `predict`-mode answer and the graph-only ones, as in the metadata. */
  readonly outputs: TensorMetadata[];
  /** Inputs, as in the metadata (`dropout_noise` is optional here: without it the server draws the model's default noise). */
  readonly inputs: TensorMetadata[];
  private readonly batcher: Batcher<BatchResult>;
  private readonly card: ModelCard;
  /** The outputs a request without an `outputs` list gets: every `predict` output, in the metadata's order. */
  private readonly predictNames: string[];

  /**
   * @param name - model name in URLs.
   * @param version - version in URLs.
   * @param model - the loaded model.
   * @param predictOutputs - the outputs a prediction has (from a probe prediction).
   * @param limits - request and batching limits.
   * @param observer - told about batches (metrics).
   */
  constructor(
    readonly name: string,
    readonly version: string,
    readonly model: SngpModel,
    predictOutputs: TensorMetadata[],
    private readonly limits: ServeLimits,
    observer?: BatchObserver,
  ) {
    this.card = model.info.card;
    const d = model.info.inputDim;
    this.inputs = [{ name: ONNX_NAMES.features, datatype: 'FP32', shape: [-1, d] }];
    if (this.card.method === 'mc-dropout')
      this.inputs.push({ name: ONNX_NAMES.dropoutNoise, datatype: 'FP32', shape: [-1, ...(this.card.dropoutNoiseShape as number[])] });
    this.outputs = [...predictOutputs];
    this.predictNames = predictOutputs.map((o) => o.name);
    const k = this.card.classes.length;
    if (this.sampled) this.outputs.push({ name: ONNX_NAMES.logits, datatype: 'FP32', shape: [this.card.method === 'ensemble' ? (this.card.numSamples as number) : -1, -1, k] });
    this.batcher = new Batcher(
      async (features, rows) => ({ prediction: await model.predict(features, { rows, nonFinite: 'mark' }), outputs: new Map() }),
      d,
      limits.batch,
      observer,
    );
  }

  /**
   * Load-time probe: the outputs `predict` gives this model (one row of zeros).
   * @param model - the loaded model.
   * @returns each output with shape [-1, ...].
   */
  static async probeOutputs(model: SngpModel): Promise<TensorMetadata[]> {
    const p = await model.predict(new Float32Array(model.info.inputDim), { rows: 1, nonFinite: 'mark' });
    // `invalid` is how a batch reports a bad row; such a request is refused, so it is not an output.
    return predictionOutputs(p)
      .filter((t) => t.name !== 'invalid')
      .map((t) => ({ name: t.name, datatype: t.datatype, shape: [-1, ...t.rowShape] }));
  }

  /** MC dropout and ensembles: the graph's `logits` are per sample [S, N, K], not a prediction field. */
  private get sampled(): boolean {
    return this.card.method === 'ensemble' || this.card.method === 'mc-dropout';
  }

  /** Rows waiting in the batch queue. */
  get queueDepth(): number {
    return this.batcher.depth;
  }

  /**
   * The model metadata response.
   * @param versions - every version of this name being served.
   * @returns name, versions, platform, inputs, outputs and the model card (`parameters.sngp_card`).
   */
  metadata(versions: string[]): ModelMetadata {
    return {
      name: this.name,
      versions,
      platform: 'onnxruntime_onnx',
      inputs: this.inputs,
      outputs: this.outputs,
      parameters: { sngp_card: this.model.info.metadata, sngp_method: this.card.method },
    };
  }

  /**
   * Answer an inference request.
   * @param req - the validated request structure.
   * @returns the response and its row count.
   * @throws RequestError with the status and a message naming the field.
   */
  async infer(req: InferRequest): Promise<{ response: InferResponse; rows: number }> {
    const N = ONNX_NAMES;
    const d = this.model.info.inputDim;
    let features: { data: Float32Array; rows: number } | null = null;
    let noise: FloatTensor | null = null;
    const seen = new Set<string>();
    req.inputs.forEach((input, i) => {
      const field = `inputs[${i}]`;
      const spec = this.inputs.find((m) => m.name === input.name);
      if (!spec) throw new RequestError(400, `${field}.name: unknown input "${input.name}" (inputs: ${this.inputs.map((m) => m.name).join(', ')})`);
      if (seen.has(input.name)) throw new RequestError(400, `${field}.name: input "${input.name}" given twice`);
      seen.add(input.name);
      if (input.datatype !== 'FP32') throw new RequestError(400, `${field}.datatype: expected FP32, got ${JSON.stringify(input.datatype)}`);
      if (input.shape.length !== spec.shape.length)
        throw new RequestError(400, `${field}.shape: expected ${spec.shape.length} dimensions [${spec.shape.map((s) => (s < 0 ? 'N' : s))}], got [${input.shape}]`);
      spec.shape.forEach((want, j) => {
        if (want >= 0 && input.shape[j] !== want) throw new RequestError(400, `${field}.shape[${j}]: expected ${want}, got ${input.shape[j]}`);
        if (want < 0 && input.shape[j] < 1) throw new RequestError(400, `${field}.shape[${j}]: expected at least 1, got ${input.shape[j]}`);
      });
      if (input.name === N.features) {
        const rows = input.shape[0];
        if (rows > this.limits.maxRowsPerRequest)
          throw new RequestError(413, `${field}.shape[0]: ${rows} rows, over this server's limit of ${this.limits.maxRowsPerRequest} per request; split the request`);
        features = { data: float32Data(input.data, input.shape, field, rows * d), rows };
      } else {
        if (input.shape[0] > MAX_NOISE_SAMPLES) throw new RequestError(413, `${field}.shape[0]: ${input.shape[0]} samples, over the limit of ${MAX_NOISE_SAMPLES}`);
        noise = { data: float32Data(input.data, input.shape, field, MAX_NOISE_SAMPLES * spec.shape[1] * spec.shape[2]), dims: input.shape };
      }
    });
    if (features === null) throw new RequestError(400, `inputs: no input "${N.features}" (FP32 [N, ${d}])`);
    const { data, rows } = features as { data: Float32Array; rows: number };
    const wanted = req.outputs ?? [];
    wanted.forEach((o, i) => {
      if (!this.outputs.some((m) => m.name === o.name))
        throw new RequestError(400, `outputs[${i}].name: unknown output "${o.name}" (outputs: ${this.outputs.map((m) => m.name).join(', ')})`);
    });
    const graphMode = noise !== null || (this.sampled && wanted.some((o) => o.name === N.logits));
    let tensors: Tensor[];
    if (graphMode) tensors = await this.runGraph(data, rows, noise, wanted.map((o) => o.name));
    else {
      const { result, offset } = await this.batcher.submit(data, rows);
      const invalid = result.prediction.invalid;
      if (invalid)
        for (let i = 0; i < rows; i++)
          if (invalid[offset + i]) throw new RequestError(400, `inputs[features] row ${i} gives a non-finite output; ${SCALE_HINT}`);
      tensors = (wanted.length > 0 ? wanted.map((o) => o.name) : this.predictNames).map((n) => sliceRows(this.batchOutput(result, n), offset, offset + rows));
    }
    for (const o of wanted) {
      const k = o.parameters?.classification;
      if (k === undefined) continue;
      const at = tensors.findIndex((t) => t.name === o.name);
      tensors[at] = classification(tensors[at], k, this.card.classes);
    }
    return { response: { model_name: this.name, model_version: this.version, ...(req.id !== undefined ? { id: req.id } : {}), outputs: tensors }, rows };
  }

  /** Output `name` of a batch, read from its prediction when a request first asks for it. */
  private batchOutput(result: BatchResult, name: string): RowTensor {
    let t = result.outputs.get(name);
    if (!t) {
      const read = predictionOutput(result.prediction, name);
      // The probe listed it; a batch without it is a runtime that changed under us.
      if (!read) throw new RequestError(500, `output "${name}" is missing from this batch's prediction`);
      t = read;
      result.outputs.set(name, t);
    }
    return t;
  }

  /** The graph as exported: what Triton's ONNX Runtime backend would answer. */
  private async runGraph(data: Float32Array, rows: number, noise: FloatTensor | null, names: string[]): Promise<Tensor[]> {
    const N = ONNX_NAMES;
    const graphOutputs: string[] = this.card.method === 'deterministic' ? [N.logits] : this.card.method === 'sngp' ? [N.logits, N.variance] : [N.probs, N.logits];
    if (this.card.method === 'sngp' && this.card.graphProbs) graphOutputs.push(N.probs);
    names.forEach((n, i) => {
      if (!graphOutputs.includes(n))
        throw new RequestError(400, `outputs[${i}].name: "${n}" is computed by predict, not by the graph; a request that feeds ${N.dropoutNoise} or asks for per-sample logits gets only graph outputs (${graphOutputs.join(', ')})`);
    });
    const feeds: Record<string, FloatTensor> = { [N.features]: { data, dims: [rows, this.model.info.inputDim] } };
    if (this.card.method === 'mc-dropout') feeds[N.dropoutNoise] = noise ?? dropoutNoise(this.card.numSamples as number, this.card.dropoutNoiseShape as number[]);
    const out = await this.model.runGraph(feeds, names.length > 0 ? names : graphOutputs);
    return Object.entries(out).map(([name, t]) => {
      const bad = t.data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new RequestError(400, `output "${name}" is not finite (${t.data[bad]}) at value ${bad}; ${SCALE_HINT}`);
      return { name, datatype: 'FP32', shape: [...t.dims], data: Array.from(t.data) };
    });
  }
}
