import { z } from 'zod';
import { METHODS, type Method, recipeSchema } from './checkpoint.js';
import { SngpError } from './errors.js';
import { type AbstainRule, abstainRuleSchema } from './abstain.js';
import { type ConformalRule, conformalRuleSchema } from './conformal.js';
import { readOnnxHeader, replaceOnnxMetadata } from './onnx-header.js';
import { type Preprocessing, encodedFeatureNames, parsePreprocessing } from './preprocessing.js';

/*
 * The model card: what an exported ONNX model says about itself in `metadata_props`, under
 * `sngp.` keys. Export writes it, the runtime reads it; a model without it is not one of ours.
 */

/** The model card format this release writes and reads (`sngp.format_version`); others are refused. */
export const MODEL_CARD_FORMAT_VERSION = 1;

/** The `metadata_props` key of each {@link ModelCard} field. Values are strings; lists and maps are JSON. */
export const MODEL_CARD_KEYS = {
  /** `sngp.format_version`: an integer, {@link MODEL_CARD_FORMAT_VERSION}. */
  formatVersion: 'sngp.format_version',
  /** `sngp.method`: one of {@link METHODS}; its presence marks a model as ours. */
  method: 'sngp.method',
  /** `sngp.classes`: JSON array of class names. */
  classes: 'sngp.classes',
  /** `sngp.feature_names`: JSON array of feature names, in input column order. */
  featureNames: 'sngp.feature_names',
  /** `sngp.mean_field_factor`: SNGP's default lambda, a number. */
  meanFieldFactor: 'sngp.mean_field_factor',
  /** `sngp.num_samples`: MC dropout T or ensemble M, an integer. */
  numSamples: 'sngp.num_samples',
  /** `sngp.dropout_noise_shape`: MC dropout, JSON [numLayers, hiddenDim]. */
  dropoutNoiseShape: 'sngp.dropout_noise_shape',
  /** `sngp.graph_probs`: "true" if the SNGP graph also outputs mean-field `probs`. */
  graphProbs: 'sngp.graph_probs',
  /** `sngp.training_metrics`: JSON object of the checkpoint's metrics. */
  trainingMetrics: 'sngp.training_metrics',
  /**
   * `sngp.temperature`: the default temperature T dividing the logits (every method; MC dropout and
   * ensemble: each sample's), a number > 0 (optional; absent: 1).
   */
  temperature: 'sngp.temperature',
  /**
   * `sngp.calibration`: optional JSON object of the calibration fit (data, rows, SNGP's lambda
   * before, nllBefore / nllAfter / eceBefore / eceAfter).
   */
  calibration: 'sngp.calibration',
  /**
   * `sngp.training`: optional JSON object of how the model was trained: epochs (the budget),
   * batchSize, learningRate and the recipe (rule, reasons, early stopping); see {@link TrainingCard}.
   */
  training: 'sngp.training',
  /** `sngp.posterior`: SNGP, optional: the posterior form in the graph, `full` or `low-rank` (absent in older models: full). */
  posterior: 'sngp.posterior',
  /** `sngp.posterior_rank`: SNGP, with `sngp.posterior`: directions kept, an integer (M for full). */
  posteriorRank: 'sngp.posterior_rank',
  /** `sngp.variance_error_bound`: SNGP, with `sngp.posterior`: proven bound on |var - var_full| / var_full (0 for full). */
  varianceErrorBound: 'sngp.variance_error_bound',
  /** `sngp.variance_abs_error_bound`: SNGP, with `sngp.posterior`: proven bound on |var - var_full| (0 for full). */
  varianceAbsErrorBound: 'sngp.variance_abs_error_bound',
  /**
   * `sngp.variance_error_measured`: SNGP, with `sngp.posterior`: max |var - var_full| / var_full
   * measured at export in float64 over the verification points (0 for full).
   */
  varianceErrorMeasured: 'sngp.variance_error_measured',
  /**
   * `sngp.preprocessing`: optional JSON {@link Preprocessing}: how raw columns become the encoded
   * `features` (the runtime applies it to row objects). Absent: plain numeric features.
   */
  preprocessing: 'sngp.preprocessing',
  /**
   * `sngp.conformal`: optional JSON {@link ConformalRule}: the split-conformal prediction-set rule
   * (alpha, score, quantile, calibration rows n, source), written by `sngp-calibrate`.
   */
  conformal: 'sngp.conformal',
  /**
   * `sngp.abstain`: optional JSON {@link AbstainRule}: the abstain threshold on an uncertainty score
   * (score, threshold, target, n, what it achieved, OOD caught), written by `sngp-calibrate`.
   */
  abstain: 'sngp.abstain',
} as const;

/** The forms of the SNGP posterior an exported graph can carry (`sngp.posterior`). */
export const POSTERIOR_KINDS = ['full', 'low-rank'] as const;

/**
 * SNGP: which posterior the graph carries and what is known about its variance error against the
 * full float64 posterior (the `sngp.posterior*` and `sngp.variance_*error*` keys).
 */
export interface PosteriorCard {
  /** `full`: phi^T Sigma phi; `low-rank`: |phi|^2 - |phi L|^2 with L [M, rank]. */
  kind: (typeof POSTERIOR_KINDS)[number];
  /** Directions kept (M for full). */
  rank: number;
  /** Proven bound on |var - var_full| / var_full for every input (0 for full). */
  relativeErrorBound: number;
  /** Proven bound on |var - var_full| for every input (0 for full). */
  absoluteErrorBound: number;
  /** Max relative error measured at export in float64 over the verification points (0 for full). */
  measuredRelativeError: number;
}

/**
 * The zod schema of {@link TrainingCard} (`sngp.training`): the training settings and the recipe
 * record of `checkpoint.json` (`training.recipe`).
 */
export const trainingCardSchema = z.object({
  /** The epoch budget (early stopping may have ended the run sooner: `recipe.earlyStopping.epochsRun`). */
  epochs: z.number().int().positive(),
  /** Rows per optimiser step. */
  batchSize: z.number().int().positive(),
  /** Adam's learning rate. */
  learningRate: z.number().positive(),
  /** How the settings were chosen and where early stopping ended; null for checkpoints that predate it. */
  recipe: recipeSchema.nullable(),
});
/**
 * How an exported model was trained (`sngp.training`).
 * @interface
 */
export type TrainingCard = z.infer<typeof trainingCardSchema>;

/** Graph input and output names (DESIGN.md section 4). */
export const ONNX_NAMES = {
  /** Input: raw features, float32 [N, D] with dynamic N (any standardisation is inside the graph). */
  features: 'features',
  /** MC dropout: uniform [0, 1) noise [T, numLayers, hiddenDim]; one dropout mask per sample and block. */
  dropoutNoise: 'dropout_noise',
  /** [N, K] (deterministic, SNGP) or [S, N, K] per sample / member (MC dropout, ensemble). */
  logits: 'logits',
  /** SNGP only: posterior variance [N]. */
  variance: 'variance',
  /** Mean predictive probability [N, K] (MC dropout, ensemble), or mean-field (SNGP, an export option). */
  probs: 'probs',
} as const;

/**
 * What an exported model says about itself (its `sngp.*` metadata_props, decoded). Export writes
 * it with {@link encodeModelCard}; the runtime reads it with {@link decodeModelCard} before it
 * opens a session, and exposes it as `model.info.card`.
 */
export interface ModelCard {
  /** Card format version ({@link MODEL_CARD_FORMAT_VERSION}). */
  formatVersion: number;
  /** The model type; decides the graph's inputs and outputs. */
  method: Method;
  /** Class names; probability column j belongs to `classes[j]` (at least 2, unique). */
  classes: string[];
  /** Feature names in input column order (at least 1, unique); their count is the input width D. */
  featureNames: string[];
  /** SNGP default mean-field lambda (< 0: plain softmax); null for other methods. */
  meanFieldFactor: number | null;
  /** MC dropout samples T or ensemble members M; null otherwise. */
  numSamples: number | null;
  /** MC dropout: the shape of one sample's noise, [numLayers, hiddenDim]; null otherwise. */
  dropoutNoiseShape: number[] | null;
  /** SNGP: whether the graph also outputs mean-field `probs`. */
  graphProbs: boolean;
  /** The checkpoint's training metrics (e.g. trainAccuracy); {} if the card has none. */
  trainingMetrics: Record<string, number>;
  /**
   * Default temperature T (> 0) dividing the logits (SNGP: before the mean-field scaling; MC dropout
   * and ensemble: each sample's, and baked into the graph's `probs`), fitted at training; absent or
   * null (older models, no calibration): 1.
   */
  temperature?: number | null;
  /**
   * The calibration fit as recorded at training (numbers by name, e.g. rows, lambdaBefore,
   * nllBefore, nllAfter, eceBefore, eceAfter); absent or null if the model was not calibrated.
   */
  calibration?: Record<string, number | string> | null;
  /** How the model was trained (settings and recipe); absent or null in models that predate it. */
  training?: TrainingCard | null;
  /** SNGP: the posterior form and its error; absent or null in models that predate it (full posterior). */
  posterior?: PosteriorCard | null;
  /**
   * How raw table columns become `featureNames` (text one-hot, missing cells imputed); absent or
   * null: the features are plain numeric columns.
   */
  preprocessing?: Preprocessing | null;
  /**
   * The conformal prediction-set rule, calibrated on held-out rows with the card's temperature and
   * mean-field factor; absent or null: `predict` returns no sets.
   */
  conformal?: ConformalRule | null;
  /** The abstain rule; absent or null: `predict` returns no abstain flags. */
  abstain?: AbstainRule | null;
}

/**
 * The card as ONNX `metadata_props` entries: numbers and strings as text, lists and maps as JSON;
 * null fields are left out.
 * @param card - the card to encode.
 * @returns the entries, in {@link MODEL_CARD_KEYS} order.
 */
export function encodeModelCard(card: ModelCard): {
  /** A {@link MODEL_CARD_KEYS} value. */
  key: string;
  /** The field's value as text. */
  value: string;
}[] {
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
    [K.temperature, card.temperature ?? null],
    [K.calibration, card.calibration ? JSON.stringify(card.calibration) : null],
    [K.training, card.training ? JSON.stringify(card.training) : null],
    [K.posterior, card.posterior?.kind ?? null],
    [K.posteriorRank, card.posterior?.rank ?? null],
    [K.varianceErrorBound, card.posterior?.relativeErrorBound ?? null],
    [K.varianceAbsErrorBound, card.posterior?.absoluteErrorBound ?? null],
    [K.varianceErrorMeasured, card.posterior?.measuredRelativeError ?? null],
    [K.preprocessing, card.preprocessing ? JSON.stringify(card.preprocessing) : null],
    [K.conformal, card.conformal ? JSON.stringify(card.conformal) : null],
    [K.abstain, card.abstain ? JSON.stringify(card.abstain) : null],
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
 * @param props - metadata_props as a map (e.g. {@link OnnxHeader}'s `metadata`).
 * @param source - names the model in error messages (default "model").
 * @returns the decoded card.
 * @throws SngpError if the model is not ours (no `sngp.method`), or a key is missing, malformed or
 *   out of range for its method; the message says to re-export the model.
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

  const temperature = num(K.temperature);
  if (temperature !== null && !(temperature > 0)) throw bad(K.temperature, 'a number > 0', temperature);
  let calibration: Record<string, number | string> | null = null;
  if (props[K.calibration] !== undefined) {
    const c = json(K.calibration);
    if (typeof c !== 'object' || c === null || Array.isArray(c) || !Object.values(c).every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))))
      throw bad(K.calibration, 'a JSON object of finite numbers and strings', c);
    calibration = c as Record<string, number | string>;
  }

  // JSON keys with a zod schema: absent is null; a bad one names the key and the field.
  const parsed = <T>(key: string, schema: z.ZodType<T>, refix = fix): T | null => {
    if (props[key] === undefined) return null;
    const value = json(key);
    const r = schema.safeParse(value);
    if (r.success) return r.data;
    const issue = r.error.issues[0];
    const field = issue.path.length > 0 ? ` field "${issue.path.join('.')}"` : '';
    // The offending value itself, when the issue points at one.
    const got = issue.path.reduce<unknown>((v, p) => (typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[p] : undefined), value);
    const shown = issue.path.length > 0 && got !== undefined ? ` (got ${preview(got)})` : '';
    throw new SngpError(`${source}: model card key "${key}"${field}: ${issue.message}${shown}; ${refix}`);
  };
  const training = parsed(K.training, trainingCardSchema);
  const recalibrate = 're-run sngp-calibrate on the model';
  const conformal = parsed(K.conformal, conformalRuleSchema, recalibrate);
  const abstain = parsed(K.abstain, abstainRuleSchema, recalibrate);
  if (abstain?.score === 'variance' && method !== 'sngp')
    throw new SngpError(`${source}: model card key "${K.abstain}" field "score": "variance" exists for SNGP models only, this is ${method}; ${recalibrate}`);

  let posterior: PosteriorCard | null = null;
  const kind = props[K.posterior];
  if (kind !== undefined) {
    if (!(POSTERIOR_KINDS as readonly string[]).includes(kind)) throw bad(K.posterior, `one of ${POSTERIOR_KINDS.join(', ')}`, kind);
    const required = (key: string): number => {
      const v = num(key);
      if (v === null) throw new SngpError(`${source}: model card has "${K.posterior}" but lacks "${key}"; ${fix}`);
      if (!(v >= 0)) throw bad(key, 'a number >= 0', v);
      return v;
    };
    const rank = required(K.posteriorRank);
    if (!Number.isSafeInteger(rank) || rank < 1) throw bad(K.posteriorRank, 'an integer >= 1', rank);
    posterior = {
      kind: kind as PosteriorCard['kind'],
      rank,
      relativeErrorBound: required(K.varianceErrorBound),
      absoluteErrorBound: required(K.varianceAbsErrorBound),
      measuredRelativeError: required(K.varianceErrorMeasured),
    };
  }

  // The preprocessing, validated with its zod schema
  let preprocessing: Preprocessing | null = null;
  if (props[K.preprocessing] !== undefined) {
    try {
      preprocessing = parsePreprocessing(json(K.preprocessing), `${source}: model card key "${K.preprocessing}"`);
    } catch (e) {
      if (e instanceof SngpError && !e.message.endsWith(fix)) throw new SngpError(`${e.message}; ${fix}`);
      throw e;
    }
    const encoded = encodedFeatureNames(preprocessing);
    if (encoded.length !== featureNames.length || encoded.some((n, i) => n !== featureNames[i]))
      throw new SngpError(
        `${source}: model card key "${K.preprocessing}" encodes features [${preview(encoded)}] but "${K.featureNames}" is ${preview(featureNames)}; ${fix}`,
      );
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
    temperature,
    calibration,
    training,
    posterior,
    // Absent (not null) when the card has none: a plain numeric model decodes exactly as before.
    ...(preprocessing ? { preprocessing } : {}),
    ...(conformal ? { conformal } : {}),
    ...(abstain ? { abstain } : {}),
  };
  if (card.method === 'sngp' && card.meanFieldFactor === null)
    throw new SngpError(`${source}: SNGP model card lacks "${K.meanFieldFactor}"; ${fix}`);
  if ((card.method === 'mc-dropout' || card.method === 'ensemble') && card.numSamples === null)
    throw new SngpError(`${source}: ${card.method} model card lacks "${K.numSamples}"; ${fix}`);
  if (card.method === 'mc-dropout' && card.dropoutNoiseShape === null)
    throw new SngpError(`${source}: MC dropout model card lacks "${K.dropoutNoiseShape}"; ${fix}`);
  return card;
}

/**
 * The same ONNX model with its decision rules replaced (`sngp.conformal`, `sngp.abstain`; a null
 * rule removes its key); every other metadata entry and the graph stay byte for byte. Pure: works
 * in Node and browsers (sngp-calibrate, the web demo).
 * @param bytes - the .onnx file.
 * @param rules - the rules to write, null for none.
 * @param source - names the model in error messages.
 * @returns the new file's bytes.
 * @throws SngpError if the bytes are not an ONNX model.
 */
export function withDecisionRules(bytes: Uint8Array, rules: { conformal: ConformalRule | null; abstain: AbstainRule | null }, source: string): Uint8Array {
  const props = { ...readOnnxHeader(bytes, source).metadata };
  for (const [key, rule] of [[MODEL_CARD_KEYS.conformal, rules.conformal], [MODEL_CARD_KEYS.abstain, rules.abstain]] as const) {
    if (rule) props[key] = JSON.stringify(rule);
    else delete props[key];
  }
  return replaceOnnxMetadata(bytes, props, source);
}
