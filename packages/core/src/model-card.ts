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

/** Read a model card from metadata_props; `source` names the model in errors. */
export function decodeModelCard(props: Record<string, string>, source = 'model'): ModelCard {
  const K = MODEL_CARD_KEYS;
  if (props[K.method] === undefined)
    throw new SngpError(`${source}: not an SNGP toolkit model (metadata key "${K.method}" is missing)`);
  const get = (key: string): string => {
    const v = props[key];
    if (v === undefined) throw new SngpError(`${source}: model card key "${key}" is missing`);
    return v;
  };
  const json = <T>(key: string): T => {
    try {
      return JSON.parse(get(key)) as T;
    } catch {
      throw new SngpError(`${source}: model card key "${key}" is not valid JSON`);
    }
  };
  const num = (key: string): number | null => {
    if (props[key] === undefined) return null;
    const v = Number(props[key]);
    if (!Number.isFinite(v)) throw new SngpError(`${source}: model card key "${key}" is not a number: "${props[key]}"`);
    return v;
  };
  const method = get(K.method);
  if (!(METHODS as readonly string[]).includes(method))
    throw new SngpError(`${source}: unknown method "${method}" in model card`);
  const formatVersion = num(K.formatVersion);
  if (formatVersion !== MODEL_CARD_FORMAT_VERSION)
    throw new SngpError(`${source}: model card format version ${formatVersion}, this runtime reads ${MODEL_CARD_FORMAT_VERSION}`);
  const card: ModelCard = {
    formatVersion,
    method: method as Method,
    classes: json<string[]>(K.classes),
    featureNames: json<string[]>(K.featureNames),
    meanFieldFactor: num(K.meanFieldFactor),
    numSamples: num(K.numSamples),
    dropoutNoiseShape: props[K.dropoutNoiseShape] === undefined ? null : json<number[]>(K.dropoutNoiseShape),
    graphProbs: props[K.graphProbs] === 'true',
    trainingMetrics: props[K.trainingMetrics] === undefined ? {} : json<Record<string, number>>(K.trainingMetrics),
  };
  if (card.method === 'sngp' && card.meanFieldFactor === null)
    throw new SngpError(`${source}: SNGP model card lacks "${K.meanFieldFactor}"`);
  if ((card.method === 'mc-dropout' || card.method === 'ensemble') && card.numSamples === null)
    throw new SngpError(`${source}: ${card.method} model card lacks "${K.numSamples}"`);
  if (card.method === 'mc-dropout' && card.dropoutNoiseShape === null)
    throw new SngpError(`${source}: MC dropout model card lacks "${K.dropoutNoiseShape}"`);
  return card;
}
