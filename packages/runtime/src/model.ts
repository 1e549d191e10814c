import {
  ONNX_NAMES,
  Rng,
  SngpError,
  decodeModelCard,
  meanFieldProbs,
  softmaxRows,
  uncertaintyScore,
  type ModelCard,
} from '@sngp/core';
import { readOnnxHeader } from './onnx-metadata.js';
import type { FloatInput, Runner } from './ort-session.js';
import type { ModelInfo, PredictOptions, Prediction, SngpModel } from './types.js';
import { positiveInt, toFeatureMatrix } from './validate.js';

/** Rows per session.run unless the caller says otherwise: 10k rows of the default SNGP fit in one run. */
export const DEFAULT_BATCH_SIZE = 16384;

/** The model card of an ONNX file (throws SngpError if it is not ONNX or not one of ours). */
export function readModelCard(bytes: Uint8Array, source: string): { card: ModelCard; metadata: Record<string, string> } {
  const header = readOnnxHeader(bytes, source);
  return { card: decodeModelCard(header.metadata, source), metadata: header.metadata };
}

/** Graph inputs/outputs each method needs (DESIGN.md section 4). */
function requiredNames(card: ModelCard): { inputs: string[]; outputs: string[] } {
  const N = ONNX_NAMES;
  switch (card.method) {
    case 'deterministic': return { inputs: [N.features], outputs: [N.logits] };
    case 'sngp': return { inputs: [N.features], outputs: [N.logits, N.variance] };
    case 'mc-dropout': return { inputs: [N.features, N.dropoutNoise], outputs: [N.probs] };
    case 'ensemble': return { inputs: [N.features], outputs: [N.probs] };
  }
}

/** Check that the graph matches its card, so predict() never fails on a missing name. */
export function checkGraph(card: ModelCard, runner: Runner, source: string): void {
  const need = requiredNames(card);
  for (const name of need.inputs)
    if (!runner.inputNames.includes(name))
      throw new SngpError(`${source}: ${card.method} model has no input "${name}" (inputs: ${runner.inputNames.join(', ')})`);
  for (const name of need.outputs)
    if (!runner.outputNames.includes(name))
      throw new SngpError(`${source}: ${card.method} model has no output "${name}" (outputs: ${runner.outputNames.join(', ')})`);
  if (runner.featureDim !== null && runner.featureDim !== card.featureNames.length)
    throw new SngpError(
      `${source}: graph input "features" has ${runner.featureDim} columns but the model card names ${card.featureNames.length} features`,
    );
  if (card.method === 'mc-dropout' && card.dropoutNoiseShape?.length !== 2)
    throw new SngpError(`${source}: MC dropout noise shape must be [numLayers, hiddenDim], got ${JSON.stringify(card.dropoutNoiseShape)}`);
}

/** MC dropout noise [T, L, H], uniform [0, 1), from the seeded core PRNG. */
export function dropoutNoise(samples: number, shape: readonly number[], seed: number): FloatInput {
  const dims = [samples, ...shape];
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  const rng = new Rng(seed);
  // uniform() < 1 but may round to 1.0 in float32; 1.0 >= rate keeps the unit, as a draw just below 1 would.
  rng.fillUniform(data);
  return { data, dims };
}

function assemble(rows: number, k: number, probs: Float32Array, extra: Pick<Prediction, 'logits' | 'variance'>): Prediction {
  const predicted = new Int32Array(rows);
  const confidence = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (probs[i * k + j] > probs[i * k + best]) best = j;
    predicted[i] = best;
    confidence[i] = probs[i * k + best];
  }
  const out: Prediction = { rows, numClasses: k, probs, predicted, confidence, uncertainty: uncertaintyScore(probs, k) };
  if (extra.logits) out.logits = extra.logits;
  if (extra.variance) out.variance = extra.variance;
  return out;
}

/** The platform-independent model: validation, chunking, noise and post-processing around a Runner. */
export class OnnxSngpModel implements SngpModel {
  readonly info: ModelInfo;
  private runner: Runner | null;
  private noiseCache: { key: string; noise: FloatInput } | null = null;

  constructor(
    runner: Runner,
    card: ModelCard,
    metadata: Record<string, string>,
    provider: string,
    private readonly batchSize: number,
  ) {
    this.runner = runner;
    this.info = {
      method: card.method,
      classes: card.classes,
      featureNames: card.featureNames,
      inputDim: card.featureNames.length,
      provider,
      card,
      metadata,
    };
  }

  async predict(features: number[][] | Float32Array, options: PredictOptions = {}): Promise<Prediction> {
    const runner = this.runner;
    if (runner === null) throw new SngpError('predict: the model has been disposed');
    const { card, inputDim } = this.info;
    const k = card.classes.length;
    const batch = positiveInt(options.batchSize, 'options.batchSize') ?? this.batchSize;
    const { data, rows } = toFeatureMatrix(features, inputDim, card.featureNames, options.rows);

    const N = ONNX_NAMES;
    const extraFeeds: Record<string, FloatInput> = {};
    let fetches: string[];
    if (card.method === 'deterministic') fetches = [N.logits];
    else if (card.method === 'sngp') fetches = [N.logits, N.variance];
    else fetches = [N.probs];
    if (card.method === 'mc-dropout') {
      const samples = positiveInt(options.samples, 'options.samples') ?? (card.numSamples as number);
      const seed = options.seed ?? 0;
      if (!Number.isFinite(seed)) throw new SngpError(`options.seed: expected a finite number, got ${seed}`);
      // One noise tensor per call, shared by every chunk: chunking cannot change the result.
      // The noise is a pure function of (samples, seed): reuse the last one (7.7k draws ~ 50 us).
      const key = `${samples}:${seed}`;
      if (this.noiseCache?.key !== key)
        this.noiseCache = { key, noise: dropoutNoise(samples, card.dropoutNoiseShape as number[], seed) };
      extraFeeds[N.dropoutNoise] = this.noiseCache.noise;
    }

    // Fetched outputs are [rows, ...] row-major, so each chunk lands at a fixed offset.
    const outputs: Record<string, Float32Array> = {};
    const perRow: Record<string, number> = { [N.logits]: k, [N.probs]: k, [N.variance]: 1 };
    // One chunk: keep onnxruntime's output arrays as they are (no copy).
    if (rows > batch) for (const name of fetches) outputs[name] = new Float32Array(rows * perRow[name]);
    for (let start = 0; start < rows; start += batch) {
      const n = Math.min(batch, rows - start);
      const chunk = n === rows ? data : data.subarray(start * inputDim, (start + n) * inputDim);
      const res = await runner.run({ [N.features]: { data: chunk, dims: [n, inputDim] }, ...extraFeeds }, fetches);
      for (const name of fetches) {
        const got = res[name];
        if (got.length !== n * perRow[name])
          throw new SngpError(`model output "${name}" has ${got.length} values for ${n} rows, expected ${n * perRow[name]}`);
        if (rows > batch) outputs[name].set(got, start * perRow[name]);
        else outputs[name] = got;
      }
    }

    if (card.method === 'deterministic') {
      const logits = outputs[N.logits];
      return assemble(rows, k, softmaxRows(logits, k), { logits });
    }
    if (card.method === 'sngp') {
      const lambda = options.meanFieldFactor ?? (card.meanFieldFactor as number);
      if (!Number.isFinite(lambda)) throw new SngpError(`options.meanFieldFactor: expected a finite number, got ${lambda}`);
      const logits = outputs[N.logits];
      const variance = outputs[N.variance];
      return assemble(rows, k, meanFieldProbs(logits, variance, k, lambda), { logits, variance });
    }
    return assemble(rows, k, outputs[N.probs], {});
  }

  async dispose(): Promise<void> {
    const runner = this.runner;
    this.runner = null;
    if (runner) await runner.release();
  }
}
