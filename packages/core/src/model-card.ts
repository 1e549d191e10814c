import { METHODS, type Method } from './checkpoint.js';
import { SngpError } from './errors.js';

/**
 * The model card: what an exported ONNX model says about itself in `metadata_props`, under
 * `sngp.` keys. Export writes it, the runtime reads it; a model without it is not one of ours.
 */
export const MODEL_CARD_FORMAT_VERSION = 1;

export const MODEL_CARD_KEYS = {
  formatVersion: 'sngp.format_version',
  method: 'sngp.method',
  classes: 'sngp.classes',
  featureNames: 'sngp.feature_names',
  meanFieldFactor: 'sngp.mean_field_factor',
  numSamples: 'sngp.num_samples',
  dropoutNoiseShape: 'sngp.dropout_noise_shape',
  graphProbs: 'sngp.graph_probs',
  trainingMetrics: 'sngp.training_metrics',
} as const;

/** Graph input and output names (DESIGN.md section 4). */
export const ONNX_NAMES = {
  features: 'features',
  /** MC dropout: uniform [0, 1) noise [T, numLayers, hiddenDim]; one dropout mask per sample and block. */
  dropoutNoise: 'dropout_noise',
  /** [N, K] (deterministic, SNGP) or [S, N, K] per sample / member (MC dropout, ensemble). */
  logits: 'logits',
  /** SNGP only: posterior variance [N]. */
  variance: 'variance',
  /** [N, K]: mean predictive probability (MC dropout, ensemble) or mean-field (SNGP, export option). */
  probs: 'probs',
} as const;

export interface ModelCard {
  formatVersion: number;
  method: Method;
  classes: string[];
  featureNames: string[];
  /** SNGP default mean-field lambda (< 0: plain softmax); null for other methods. */
  meanFieldFactor: number | null;
  /** MC dropout samples T or ensemble members M; null otherwise. */
  numSamples: number | null;
  /** MC dropout: the shape of one sample's noise, [numLayers, hiddenDim]; null otherwise. */
  dropoutNoiseShape: number[] | null;
  /** SNGP: whether the graph also outputs mean-field `probs`. */
  graphProbs: boolean;
  trainingMetrics: Record<string, number>;
}

export function encodeModelCard(card: ModelCard): { key: string; value: string }[] {
  const K = MODEL_CARD_KEYS;
  const entries: [string, unknown][] = [
    [K.formatVersion, card.formatVersion],
    [K.method, card.method],
    [K.classes, JSON.stringify(card.classes)],
    [K.featureNames, JSON.stringify(card.featureNames)],
    [K.meanFieldFactor, card.meanFieldFactor],
    [K.numSamples, card.numSamples],
    [K.dropoutNoiseShape, card.dropoutNoiseShape && JSON.stringify(card.dropoutNoiseShape)],
    [K.graphProbs, card.graphProbs],
    [K.trainingMetrics, JSON.stringify(card.trainingMetrics)],
  ];
  return entries.filter(([, v]) => v !== null).map(([key, v]) => ({ key, value: String(v) }));
}

/** Largest MC dropout noise tensor (T x numLayers x hiddenDim values) a card may ask for: 128 MB of float32. */
export const MAX_DROPOUT_NOISE_VALUES = 2 ** 25;
/** Largest sample / member count a card may declare. */
export const MAX_NUM_SAMPLES = 100_000;

/** A short JSON preview of a value for error messages. */
function preview(v: unknown): string {
  const s = v === undefined ? 'undefined' : JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 60)}...` : s;
}

/** At least `min` strings, no duplicates (a class or feature name must identify one column). */
function uniqueStrings(v: unknown, min: number): v is string[] {
  return Array.isArray(v) && v.length >= min && v.every((x) => typeof x === 'string') && new Set(v).size === v.length;
}

/**
 * Read and validate a model card from metadata_props; `source` names the model in errors. Every
 * field is checked here, at load, so a corrupt or hand-edited card fails with one line naming the
 * key instead of confusing the runtime later: classes (>= 2 unique strings), feature names
 * (>= 1 unique strings), the supported format version, finite numbers in range.
 */
export function decodeModelCard(props: Record<string, string>, source = 'model'): ModelCard {
  const K = MODEL_CARD_KEYS;
  if (props[K.method] === undefined)
    throw new SngpError(`${source}: not an SNGP toolkit model (metadata key "${K.method}" is missing)`);
  const fix = 're-export the model with sngp-export';
  const bad = (key: string, expected: string, got: unknown): SngpError =>
    new SngpError(`${source}: model card key "${key}" must be ${expected}, got ${preview(got)}; ${fix}`);
  const get = (key: string): string => {
    const v = props[key];
    if (v === undefined) throw new SngpError(`${source}: model card key "${key}" is missing; ${fix}`);
    return v;
  };
  const json = (key: string): unknown => {
    try {
      return JSON.parse(get(key));
    } catch {
      throw new SngpError(`${source}: model card key "${key}" is not valid JSON; ${fix}`);
    }
  };
  const num = (key: string): number | null => {
    if (props[key] === undefined) return null;
    const raw = props[key].trim();
    const v = Number(raw);
    // Number('') is 0: an empty value is not a number.
    if (raw === '' || !Number.isFinite(v)) throw new SngpError(`${source}: model card key "${key}" is not a finite number: ${preview(props[key])}; ${fix}`);
    return v;
  };
  const method = get(K.method);
  if (!(METHODS as readonly string[]).includes(method))
    throw new SngpError(`${source}: unknown method ${preview(method)} in model card (expected one of: ${METHODS.join(', ')})`);
  const formatVersion = num(K.formatVersion);
  if (formatVersion !== MODEL_CARD_FORMAT_VERSION)
    throw new SngpError(`${source}: model card format version ${formatVersion}, this runtime reads ${MODEL_CARD_FORMAT_VERSION}; ${fix}`);

  const classes = json(K.classes);
  if (!uniqueStrings(classes, 2)) throw bad(K.classes, 'a JSON array of at least 2 unique strings', classes);
  const featureNames = json(K.featureNames);
  if (!uniqueStrings(featureNames, 1)) throw bad(K.featureNames, 'a JSON array of at least 1 unique string', featureNames);

  const numSamples = num(K.numSamples);
  if (numSamples !== null && !(Number.isInteger(numSamples) && numSamples >= 1 && numSamples <= MAX_NUM_SAMPLES))
    throw bad(K.numSamples, `an integer in [1, ${MAX_NUM_SAMPLES}]`, numSamples);

  let dropoutNoiseShape: number[] | null = null;
  if (props[K.dropoutNoiseShape] !== undefined) {
    const shape = json(K.dropoutNoiseShape);
    // [numLayers, hiddenDim]: a network may have no residual block, never a zero width.
    if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((v) => Number.isSafeInteger(v)) || shape[0] < 0 || shape[1] < 1)
      throw bad(K.dropoutNoiseShape, '[numLayers >= 0, hiddenDim >= 1] (integers)', shape);
    dropoutNoiseShape = shape as number[];
    const values = (numSamples ?? 1) * dropoutNoiseShape[0] * dropoutNoiseShape[1];
    if (values > MAX_DROPOUT_NOISE_VALUES)
      throw new SngpError(`${source}: model card asks for ${values} dropout noise values per call (samples x layers x width), over the limit of ${MAX_DROPOUT_NOISE_VALUES}; ${fix}`);
  }

  const graphProbsRaw = props[K.graphProbs];
  if (graphProbsRaw !== undefined && graphProbsRaw !== 'true' && graphProbsRaw !== 'false')
    throw bad(K.graphProbs, '"true" or "false"', graphProbsRaw);

  let trainingMetrics: Record<string, number> = {};
  if (props[K.trainingMetrics] !== undefined) {
    const m = json(K.trainingMetrics);
    if (typeof m !== 'object' || m === null || Array.isArray(m) || !Object.values(m).every((v) => typeof v === 'number' && Number.isFinite(v)))
      throw bad(K.trainingMetrics, 'a JSON object of finite numbers', m);
    trainingMetrics = m as Record<string, number>;
  }

  const card: ModelCard = {
    formatVersion,
    method: method as Method,
    classes,
    featureNames,
    meanFieldFactor: num(K.meanFieldFactor),
    numSamples,
    dropoutNoiseShape,
    graphProbs: graphProbsRaw === 'true',
    trainingMetrics,
  };
  if (card.method === 'sngp' && card.meanFieldFactor === null)
    throw new SngpError(`${source}: SNGP model card lacks "${K.meanFieldFactor}"; ${fix}`);
  if ((card.method === 'mc-dropout' || card.method === 'ensemble') && card.numSamples === null)
    throw new SngpError(`${source}: ${card.method} model card lacks "${K.numSamples}"; ${fix}`);
  if (card.method === 'mc-dropout' && card.dropoutNoiseShape === null)
    throw new SngpError(`${source}: MC dropout model card lacks "${K.dropoutNoiseShape}"; ${fix}`);
  return card;
}
