import {
  DEFAULT_NOISE_SEED,
  abstainFlags,
  predictionSets,
  rowUniforms,
  setLists,
  ONNX_NAMES,
  SngpError,
  decodeModelCard,
  dropoutNoise,
  encodeRows,
  logSoftmaxRows,
  meanFieldLogProbs,
  meanFieldProbs,
  meanLogSoftmax,
  readOnnxHeader,
  softmaxRows,
  uncertaintyScore,
  uncertaintyScores,
  type ModelCard,
  type UncertaintyScores,
} from '@sngp/core';
import { oneLine } from './devices.js';
import type { FloatTensor, Runner } from './ort-session.js';
import type { DeviceChoice, FeatureRow, ModelInfo, NonFinitePolicy, PredictOptions, Prediction, SngpModel } from './types.js';
import { positiveInt, toFeatureMatrix } from './validate.js';

/**
 * Rows per session.run unless the caller says otherwise (16384): 10k rows of the default SNGP fit in
 * one run. Override with {@link LoadOptions.batchSize} or {@link PredictOptions.batchSize}.
 */
export const DEFAULT_BATCH_SIZE = 16384;

/**
 * The model card of an ONNX file (throws SngpError if it is not ONNX or not one of ours).
 * @param bytes - the .onnx file.
 * @param source - names the model in errors.
 * @returns the decoded card and every metadata_props entry.
 * @throws SngpError if the bytes are not ONNX or the card is missing or invalid.
 */
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
    // The per-sample logits [S, N, K] give the tie-free log-space scores (Prediction.scores).
    case 'mc-dropout': return { inputs: [N.features, N.dropoutNoise], outputs: [N.probs, N.logits] };
    case 'ensemble': return { inputs: [N.features], outputs: [N.probs, N.logits] };
  }
}

const REEXPORT = 're-export the model with sngp-export';

/**
 * Check that the graph matches its card, so predict() never fails on a missing name or a wrong
 * width: required inputs and outputs exist and are float32, and wherever the graph declares a
 * fixed dimension it agrees with the card (features vs feature names, logits/probs width vs
 * classes, dropout noise vs its card shape, ensemble members vs the member count).
 * @param card - the decoded model card.
 * @param runner - the opened session.
 * @param source - names the model in errors.
 * @throws SngpError naming the input or output that is missing or disagrees, and to re-export.
 */
export function checkGraph(card: ModelCard, runner: Runner, source: string): void {
  const need = requiredNames(card);
  for (const name of need.inputs)
    if (!runner.inputNames.includes(name))
      throw new SngpError(`${source}: ${card.method} model has no input "${name}" (inputs: ${runner.inputNames.join(', ')})`);
  for (const name of need.outputs)
    if (!runner.outputNames.includes(name))
      throw new SngpError(`${source}: ${card.method} model has no output "${name}" (outputs: ${runner.outputNames.join(', ')})`);
  if (card.method === 'mc-dropout' && card.dropoutNoiseShape?.length !== 2)
    throw new SngpError(`${source}: MC dropout noise shape must be [numLayers, hiddenDim], got ${JSON.stringify(card.dropoutNoiseShape)}`);

  const N = ONNX_NAMES;
  const k = card.classes.length;
  const d = card.featureNames.length;
  // Rank and fixed sizes each value must have; null = any size (the batch, samples).
  // `why[i]` says where a fixed size comes from, for the error message.
  const classes = `the model card names ${k} classes`;
  const expected: Record<string, { dims: (number | null)[]; why: string[] }> = {
    [N.features]: { dims: [null, d], why: ['', `the model card names ${d} features`] },
    [N.logits]:
      card.method === 'ensemble'
        ? { dims: [card.numSamples, null, k], why: [`the model card says ${card.numSamples} members`, '', classes] }
        : card.method === 'mc-dropout'
          ? { dims: [null, null, k], why: ['', '', classes] }
          : { dims: [null, k], why: ['', classes] },
    [N.probs]: { dims: [null, k], why: ['', classes] },
    [N.variance]: { dims: [null], why: [''] },
  };
  if (card.method === 'mc-dropout') {
    const [layers, width] = card.dropoutNoiseShape as number[];
    const why = `the model card's noise shape is [${layers}, ${width}]`;
    expected[N.dropoutNoise] = { dims: [null, layers, width], why: ['', why, why] };
  }
  if (runner.featureDim !== null && runner.featureDim !== d)
    throw new SngpError(`${source}: graph input "features" has ${runner.featureDim} columns but the model card names ${d} features; ${REEXPORT}`);
  const optional = [N.logits, N.probs, N.variance].filter((name) => runner.outputNames.includes(name));
  for (const name of new Set([...need.inputs, ...need.outputs, ...optional])) {
    const sig = runner.signature[name];
    const exp = expected[name];
    if (!sig || !exp) continue;
    const what = `graph ${runner.inputNames.includes(name) ? 'input' : 'output'} "${name}"`;
    if (sig.type !== null && sig.type !== 'float32')
      throw new SngpError(`${source}: ${what} is ${sig.type}, expected float32; ${REEXPORT}`);
    // onnxruntime reports an undeclared shape as []: nothing to check then.
    if (sig.shape === null || sig.shape.length === 0) continue;
    if (sig.shape.length !== exp.dims.length)
      throw new SngpError(`${source}: ${what} has shape [${sig.shape}], expected ${exp.dims.length} dimensions; ${REEXPORT}`);
    sig.shape.forEach((dim, i) => {
      const want = exp.dims[i];
      if (typeof dim === 'number' && want !== null && dim !== want)
        throw new SngpError(`${source}: ${what} has size ${dim} in dimension ${i} but ${exp.why[i]}; ${REEXPORT}`);
    });
  }
}

/** Whether `predict` got row objects (an array whose first row is a plain object, not an array). */
function isRowObjects(features: unknown): features is readonly FeatureRow[] {
  if (!Array.isArray(features) || features.length === 0) return false;
  const r: unknown = features[0];
  return typeof r === 'object' && r !== null && !Array.isArray(r) && !ArrayBuffer.isView(r);
}

/** The first non-finite value of a prediction: which input row, which output, what value. */
interface NonFinite {
  row: number;
  output: string;
  value: number;
}

/**
 * Mark (in `invalid`) every row with a non-finite value in `values` ([rows * perRow], row-major);
 * returns the first such value, or `first` if it came earlier.
 */
function scanNonFinite(values: Float32Array, perRow: number, output: string, invalid: Uint8Array, first: NonFinite | null): NonFinite | null {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) continue;
    const row = Math.floor(i / perRow);
    invalid[row] = 1;
    if (first === null || row < first.row) first = { row, output, value: v };
    i = (row + 1) * perRow - 1; // one value is enough to condemn the row
  }
  return first;
}

/**
 * {@link scanNonFinite} for one chunk of per-sample logits [S, n, K] (not row-major by row): marks
 * input row `start + i` when any sample's logits of row i are not finite.
 */
function scanSampleLogits(
  values: Float32Array,
  n: number,
  k: number,
  start: number,
  invalid: Uint8Array,
  first: NonFinite | null,
): NonFinite | null {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) continue;
    const row = start + Math.floor((i % (n * k)) / k);
    invalid[row] = 1;
    if (first === null || row < first.row) first = { row, output: ONNX_NAMES.logits, value: v };
  }
  return first;
}

function parseNonFinite(value: unknown): NonFinitePolicy {
  if (value === undefined) return 'throw';
  if (value === 'throw' || value === 'mark') return value;
  throw new SngpError(`options.nonFinite: expected 'throw' or 'mark', got ${JSON.stringify(value)}`);
}

/** A value computed on first call and then kept. */
function once<T>(f: () => T): () => T {
  let v: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v as T;
  };
}

/** Which of the card's decision rules apply to one call (see {@link PredictOptions.abstainThreshold}). */
interface Decisions {
  /** Compute conformal sets (the card has a rule and the call uses the calibrated settings). */
  sets: boolean;
  /** Abstain threshold on `score`, or null for no abstain flags. */
  abstain: { score: keyof UncertaintyScores; threshold: number } | null;
}

function assemble(
  rows: number,
  classes: readonly string[],
  probs: Float32Array,
  logProbsOf: () => Float64Array,
  variance: Float32Array | undefined,
  decisions: Decisions,
  conformal: ModelCard['conformal'],
  /** The rows as fed to the graph, [rows, d]: randomized sets hash them for their U. */
  features: { data: Float32Array; d: number },
  extra: Pick<Prediction, 'logits' | 'variance' | 'invalid' | 'unseenCategories' | 'missingCells'>,
): Prediction {
  const k = classes.length;
  const predicted = new Int32Array(rows);
  const confidence = new Float32Array(rows);
  const invalid = extra.invalid;
  for (let i = 0; i < rows; i++) {
    if (invalid?.[i]) {
      // An invalid row carries no prediction: NaN everywhere and class -1, so it cannot pass for one.
      probs.fill(NaN, i * k, (i + 1) * k);
      predicted[i] = -1;
      confidence[i] = NaN;
      continue;
    }
    let best = 0;
    for (let j = 1; j < k; j++) if (probs[i * k + j] > probs[i * k + best]) best = j;
    predicted[i] = best;
    confidence[i] = probs[i * k + best];
  }
  const predictedLabel = Array.from(predicted, (j) => (j < 0 ? '' : classes[j]));
  const out = { rows, numClasses: k, probs, predicted, predictedLabel, confidence, uncertainty: uncertaintyScore(probs, k) } as Prediction;
  // `logProbs` and `scores` are computed on first read and then kept: a caller that never reads
  // them (most serving paths) does not pay their ~0.2 us per row of exp/log work.
  const logProbs = once(() => {
    const lp = logProbsOf();
    if (invalid) for (let i = 0; i < rows; i++) if (invalid[i]) lp.fill(NaN, i * k, (i + 1) * k);
    return lp;
  });
  const scores = once(() => {
    const s = uncertaintyScores(logProbs(), k, variance);
    if (invalid) for (let i = 0; i < rows; i++) if (invalid[i] && s.variance) s.variance[i] = NaN;
    return s;
  });
  Object.defineProperty(out, 'logProbs', { enumerable: true, get: logProbs });
  Object.defineProperty(out, 'scores', { enumerable: true, get: scores });
  // Decision rules from the card. An invalid row has NaN log-probabilities and scores: no set, abstain 1.
  if (decisions.sets && conformal) {
    const sets = predictionSets(logProbs(), k, conformal, conformal.randomized ? rowUniforms(features.data, features.d) : undefined);
    out.setMask = sets.mask;
    out.setSize = sets.size;
    out.sets = setLists(sets, classes);
  }
  if (decisions.abstain) {
    const score = scores()[decisions.abstain.score];
    if (score) out.abstain = abstainFlags(score, decisions.abstain.threshold);
  }
  if (extra.logits) out.logits = extra.logits;
  if (extra.variance) out.variance = extra.variance;
  if (invalid) out.invalid = invalid;
  // What encoding row objects met
  if (extra.unseenCategories) out.unseenCategories = extra.unseenCategories;
  if (extra.missingCells) out.missingCells = extra.missingCells;
  return out;
}

/**
 * Which decision rules of the card one call applies. The rules were calibrated with the card's
 * temperature, mean-field factor, sample count and noise seed: a call that overrides any of them
 * gets no sets and no abstain flags (their guarantee would not hold), unless it gives its own
 * `abstainThreshold`.
 */
function decisionsFor(card: ModelCard, options: PredictOptions, temperature: number, lambda: number): Decisions {
  const calibrated =
    temperature === (card.temperature ?? 1) &&
    (card.method !== 'sngp' || lambda === card.meanFieldFactor) &&
    (card.method !== 'mc-dropout' || ((options.samples ?? card.numSamples) === card.numSamples && (options.seed ?? DEFAULT_NOISE_SEED) === DEFAULT_NOISE_SEED));
  const override = options.abstainThreshold;
  if (override !== undefined) {
    if (typeof override !== 'number' || !Number.isFinite(override))
      throw new SngpError(`options.abstainThreshold: expected a finite number, got ${JSON.stringify(override)}`);
    if (!card.abstain)
      throw new SngpError('options.abstainThreshold: the model card has no abstain rule (no score to apply it to); calibrate one with sngp-calibrate --abstain');
  }
  const threshold = override ?? (calibrated ? card.abstain?.threshold : undefined);
  return {
    sets: calibrated && !!card.conformal,
    abstain: card.abstain && threshold !== undefined ? { score: card.abstain.score, threshold } : null,
  };
}

/** The platform-independent model: validation, chunking, noise and post-processing around a Runner. */
export class OnnxSngpModel implements SngpModel {
  /** See {@link SngpModel.info}. */
  readonly info: ModelInfo;
  private runner: Runner | null;
  private noiseCache: { key: string; noise: FloatTensor } | null = null;

  /**
   * Wrap an opened session whose graph passed {@link checkGraph}.
   * @param runner - the opened session (released by {@link OnnxSngpModel.dispose | dispose}).
   * @param card - the model card, already checked against the graph.
   * @param metadata - every metadata_props entry.
   * @param choice - the provider that runs and why.
   * @param batchSize - default rows per run.
   * @param source - names the model in errors.
   */
  constructor(
    runner: Runner,
    card: ModelCard,
    metadata: Record<string, string>,
    choice: DeviceChoice,
    private readonly batchSize: number,
    /** Names the model in predict errors (a path, URL or "model bytes"). */
    private readonly source = 'model',
  ) {
    this.runner = runner;
    this.info = {
      method: card.method,
      classes: card.classes,
      featureNames: card.featureNames,
      inputDim: card.featureNames.length,
      provider: choice.provider,
      deviceChoice: choice,
      card,
      metadata,
    };
  }

  /** See {@link SngpModel.predict}. */
  async predict(features: number[][] | Float32Array | readonly FeatureRow[], options: PredictOptions = {}): Promise<Prediction> {
    const runner = this.runner;
    if (runner === null) throw new SngpError('predict: the model has been disposed');
    const { card, inputDim } = this.info;
    const k = card.classes.length;
    const batch = positiveInt(options.batchSize, 'options.batchSize') ?? this.batchSize;
    const nonFinite = parseNonFinite(options.nonFinite);
    // Row objects keyed by raw column name, encoded by core from the card
    let encoded: ReturnType<typeof encodeRows> | null = null;
    if (isRowObjects(features)) {
      encoded = encodeRows(features, card.preprocessing ?? null, card.featureNames, 'features');
      if (options.rows !== undefined && options.rows !== encoded.x.length / inputDim)
        throw new SngpError(`options.rows: ${options.rows} does not match the ${features.length} rows of features`);
    }
    const { data, rows } = toFeatureMatrix(encoded ? encoded.x : features, inputDim, card.featureNames, encoded ? undefined : options.rows);
    const report = encoded ? { unseenCategories: encoded.report.unseen, missingCells: encoded.report.missing } : {};

    // Temperature T (calibrated at training, every method; absent: 1) divides the logits before
    // the softmax (SNGP: with the mean-field scaling); the returned `logits` stay raw.
    const temperature = options.temperature ?? card.temperature ?? 1;
    if (!(Number.isFinite(temperature) && temperature > 0))
      throw new SngpError(`options.temperature: expected a finite number > 0, got ${temperature}`);
    // SNGP's mean-field lambda (ignored by the other methods).
    const lambda = card.method === 'sngp' ? (options.meanFieldFactor ?? (card.meanFieldFactor as number)) : 0;
    if (!Number.isFinite(lambda)) throw new SngpError(`options.meanFieldFactor: expected a finite number, got ${lambda}`);
    const decisions = decisionsFor(card, options, temperature, lambda);
    const N = ONNX_NAMES;
    const extraFeeds: Record<string, FloatTensor> = {};
    let fetches: string[];
    if (card.method === 'deterministic') fetches = [N.logits];
    else if (card.method === 'sngp') fetches = [N.logits, N.variance];
    else fetches = [N.probs, N.logits];
    // MC dropout and ensemble: S samples / members of per-sample logits [S, n, K] per chunk.
    let samples = card.method === 'ensemble' ? (card.numSamples as number) : 0;
    if (card.method === 'mc-dropout') {
      samples = positiveInt(options.samples, 'options.samples') ?? (card.numSamples as number);
      const seed = options.seed ?? DEFAULT_NOISE_SEED;
      if (!Number.isFinite(seed)) throw new SngpError(`options.seed: expected a finite number, got ${seed}`);
      // One noise tensor per call, shared by every chunk: chunking cannot change the result.
      // The noise is a pure function of (samples, seed): reuse the last one (7.7k draws ~ 50 us).
      const key = `${samples}:${seed}`;
      if (this.noiseCache?.key !== key)
        this.noiseCache = { key, noise: dropoutNoise(samples, card.dropoutNoiseShape as number[], seed) };
      extraFeeds[N.dropoutNoise] = this.noiseCache.noise;
    }

    // Fetched outputs are [rows, ...] row-major, so each chunk lands at a fixed offset; the
    // per-sample logits [S, n, K] are not, so each chunk is reduced to its rows' log p̄ at once.
    const outputs: Record<string, Float32Array> = {};
    const sampled = samples > 0;
    const sampleLogProbs = sampled ? new Float64Array(rows * k) : null;
    // Every output is checked: a NaN or Infinity never comes back as if it were a prediction.
    const invalid = new Uint8Array(rows);
    let first: NonFinite | null = null;
    const perRow: Record<string, number> = { [N.logits]: k, [N.probs]: k, [N.variance]: 1 };
    // One chunk: keep onnxruntime's output arrays as they are (no copy).
    if (rows > batch) for (const name of fetches) if (!(sampled && name === N.logits)) outputs[name] = new Float32Array(rows * perRow[name]);
    for (let start = 0; start < rows; start += batch) {
      const n = Math.min(batch, rows - start);
      const chunk = n === rows ? data : data.subarray(start * inputDim, (start + n) * inputDim);
      let res: Record<string, FloatTensor>;
      try {
        res = await runner.run({ [N.features]: { data: chunk, dims: [n, inputDim] }, ...extraFeeds }, fetches);
      } catch (e) {
        // A model that loads but cannot run (a corrupt graph) is a problem with the file, not a bug.
        throw new SngpError(`${this.source}: onnxruntime cannot run the model: ${oneLine(e)}`);
      }
      for (const name of fetches) {
        const got = res[name].data;
        if (sampled && name === N.logits) {
          if (got.length !== samples * n * k)
            throw new SngpError(`${this.source}: model output "${name}" has ${got.length} values for ${samples} x ${n} rows, expected ${samples * n * k}`);
          first = scanSampleLogits(got, n, k, start, invalid, first);
          // Scores from the calibrated distribution: each sample's logits / T (the graph's `probs` has T baked in).
          sampleLogProbs!.set(meanLogSoftmax(temperature === 1 ? got : Float64Array.from(got, (v) => v / temperature), samples, k), start * k);
          continue;
        }
        if (got.length !== n * perRow[name])
          throw new SngpError(`${this.source}: model output "${name}" has ${got.length} values for ${n} rows, expected ${n * perRow[name]}`);
        if (rows > batch) outputs[name].set(got, start * perRow[name]);
        else outputs[name] = got;
      }
    }

    for (const name of fetches) if (!(sampled && name === N.logits)) first = scanNonFinite(outputs[name], perRow[name], name, invalid, first);
    let probs: Float32Array;
    // The tie-free scores and the decision rules come from float64 log-probabilities (the probs
    // stay float32, as before); computed when first needed.
    let logProbsOf: () => Float64Array;
    if (card.method === 'deterministic') {
      const logits = outputs[N.logits];
      // Float64: the scores stay tie-free and exact to the scaled logits.
      const scaled = temperature === 1 ? logits : Float64Array.from(logits, (v) => v / temperature);
      probs = softmaxRows(scaled, k);
      logProbsOf = () => logSoftmaxRows(scaled, k);
    } else if (card.method === 'sngp') {
      const variance = outputs[N.variance];
      const logits = outputs[N.logits];
      probs = meanFieldProbs(logits, variance, k, lambda, temperature);
      logProbsOf = () => meanFieldLogProbs(logits, variance, k, lambda, temperature);
    } else {
      const logProbs = sampleLogProbs!;
      // The graph's probs carry the card's T; another T (an override) comes from the sample logits.
      probs = temperature === (card.temperature ?? 1) ? outputs[N.probs] : Float32Array.from(logProbs, Math.exp);
      logProbsOf = () => logProbs;
    }
    if (card.method === 'deterministic' || card.method === 'sngp')
      first = scanNonFinite(probs, k, card.method === 'sngp' ? 'probs (mean-field)' : 'probs (softmax)', invalid, first);
    if (first !== null && nonFinite === 'throw') {
      let count = 0;
      for (let i = 0; i < rows; i++) count += invalid[i];
      const scale = `check the input's scale: features must be finite and within the range the model was trained on`;
      const what = `input row ${first.row}`;
      const output = `a non-finite output "${first.output}" (${first.value})`;
      // Every row of a real batch failing points at the model, not at the rows.
      if (count === rows && rows > 1)
        throw new SngpError(
          `${this.source}: ${what} (and all ${rows - 1} other rows) gives ${output}: the model itself is likely broken ` +
            `(weights that overflow float32?); re-export it from a good checkpoint, or ${scale}`,
        );
      const more = count > 1 ? ` (and ${count - 1} more row${count > 2 ? 's' : ''})` : '';
      throw new SngpError(
        `${this.source}: ${what}${more} gives ${output}; ${scale} ` +
          `(or predict with { nonFinite: 'mark' } to flag such rows instead of throwing)`,
      );
    }
    const mark = nonFinite === 'mark' ? { invalid, ...report } : report;
    const raw = card.method === 'sngp' ? { logits: outputs[N.logits], variance: outputs[N.variance] } : card.method === 'deterministic' ? { logits: outputs[N.logits] } : {};
    return assemble(rows, card.classes, probs, logProbsOf, raw.variance, decisions, card.conformal, { data, d: inputDim }, { ...raw, ...mark });
  }

  /** See {@link SngpModel.runGraph}. */
  async runGraph(feeds: Record<string, FloatTensor>, fetches?: readonly string[]): Promise<Record<string, FloatTensor>> {
    const runner = this.runner;
    if (runner === null) throw new SngpError('runGraph: the model has been disposed');
    const names = fetches ?? runner.outputNames;
    for (const name of names)
      if (!runner.outputNames.includes(name))
        throw new SngpError(`${this.source}: runGraph: no output "${name}" (outputs: ${runner.outputNames.join(', ')})`);
    try {
      return await runner.run(feeds, names);
    } catch (e) {
      throw new SngpError(`${this.source}: onnxruntime cannot run the model: ${oneLine(e)}`);
    }
  }

  /** See {@link SngpModel.dispose}. */
  async dispose(): Promise<void> {
    const runner = this.runner;
    this.runner = null;
    if (runner) await runner.release();
  }
}
