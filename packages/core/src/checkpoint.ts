import { z } from 'zod';
import { SngpError } from './errors.js';
import { encodedFeatureNames, parsePreprocessing, preprocessingSchema } from './preprocessing.js';
import type { NamedTensor, TensorDtype } from './safetensors.js';

/*
 * The checkpoint contract between train (writer) and export (reader): `checkpoint.json` (this
 * schema) plus `weights.safetensors` (tensors named by `checkpointTensorSpec`).
 */

/** The `format` field of every `checkpoint.json`: how a checkpoint directory of ours is recognised. */
export const CHECKPOINT_FORMAT = 'sngp-checkpoint';
/** The `formatVersion` this release writes and reads; a different version is refused. */
export const CHECKPOINT_FORMAT_VERSION = 1;
/** File name of the configuration inside a checkpoint directory. */
export const CHECKPOINT_JSON = 'checkpoint.json';
/** File name of the tensors inside a checkpoint directory (safetensors layout). */
export const CHECKPOINT_WEIGHTS = 'weights.safetensors';

/** Every method the toolkit trains, exports and runs, as spelled on the command line and in files. */
export const METHODS = ['deterministic', 'sngp', 'mc-dropout', 'ensemble'] as const;
/**
 * A model type: `deterministic` ResNet, `sngp` (spectral norm + GP output layer), `mc-dropout`
 * (dropout kept on at inference, T samples) or `ensemble` (M independently trained ResNets).
 */
export type Method = (typeof METHODS)[number];

/**
 * Check a method name from user input (a CLI flag, a config file).
 * @param s - the name, e.g. "sngp".
 * @returns `s` typed as a {@link Method}.
 * @throws SngpError if `s` is not one of {@link METHODS}.
 */
export function parseMethod(s: string): Method {
  if (!(METHODS as readonly string[]).includes(s))
    throw new SngpError(`unknown method "${s}" (expected one of: ${METHODS.join(', ')})`);
  return s as Method;
}

/**
 * The zod schema of {@link HyperParameters} (the `hyperParameters` field of `checkpoint.json`):
 * every model knob, with the tutorial's defaults. Knobs a method does not use are still recorded.
 */
export const hyperParametersSchema = z.object({
  /** Input features D (a positive integer): the width of the network's input. */
  inputDim: z.number().int().positive(),
  /** Classes K (at least 2): the width of the logits. */
  numClasses: z.number().int().min(2),
  /** Hidden width H of the residual body (default 128). */
  hiddenDim: z.number().int().positive(),
  /** Residual blocks L (default 6; 0 is allowed: input projection straight to the head). */
  numLayers: z.number().int().nonnegative(),
  /**
   * Dropout rate in [0, 1) after each residual block's ReLU (default 0.1). Every method trains with
   * it; MC dropout also keeps it on at inference.
   */
  dropoutRate: z.number().min(0).lt(1),
  /** SNGP: spectral-norm bound c on each hidden kernel, ||W||_2 <= c (default 0.9). */
  specNormBound: z.number().positive(),
  /** SNGP: random Fourier features M of the GP output layer (default 1024). */
  numRandomFeatures: z.number().int().positive(),
  /** SNGP: ridge s of the Laplace precision P = s I + Phi^T Phi (default 1). */
  ridge: z.number().positive(),
  /** SNGP: default mean-field factor lambda (default pi / 8); < 0 means plain softmax. */
  meanFieldFactor: z.number(),
  /** Ensemble: number of members M (default 10). */
  ensembleSize: z.number().int().positive(),
  /** MC dropout: default number of samples T at inference (default 10). */
  mcSamples: z.number().int().positive(),
  /**
   * SNGP: layer-normalise the hidden features before the random features (tf-models'
   * `normalize_input`; trainable gamma / beta, epsilon {@link GP_LAYER_NORM_EPSILON}). Absent in
   * older checkpoints: false (the tutorial's default).
   */
  gpNormalizeInput: z.boolean().optional(),
  /**
   * SNGP: kernel scale s; the GP input is multiplied by 1 / sqrt(s) before the random features
   * (tf-models' `gp_kernel_scale`; length-scale sqrt(s)). Absent in older checkpoints: 1.
   */
  gpKernelScale: z.number().positive().optional(),
});
/**
 * Every model knob of a checkpoint; validated by {@link hyperParametersSchema}.
 * @interface
 */
export type HyperParameters = z.infer<typeof hyperParametersSchema>;

/**
 * Epsilon of the GP input layer-normalisation: Keras' LayerNormalization default (1e-3), which
 * tf-models' RandomFeatureGaussianProcess uses for `normalize_input`.
 */
export const GP_LAYER_NORM_EPSILON = 1e-3;

/** SNGP's GP input options, with the defaults of checkpoints that predate them. */
export interface GpInputOptions {
  /** Layer-normalise the hidden features before the random features. */
  normalizeInput: boolean;
  /** Kernel scale s (> 0): the GP input is multiplied by 1 / sqrt(s). */
  kernelScale: number;
}

/**
 * The GP input options of a checkpoint's hyper-parameters; absent fields (older checkpoints) get
 * the tutorial's defaults: no layer-normalisation, kernel scale 1.
 * @param hp - the hyper-parameters.
 * @returns the options with defaults filled in.
 */
export function gpInputOptions(hp: Pick<HyperParameters, 'gpNormalizeInput' | 'gpKernelScale'>): GpInputOptions {
  return { normalizeInput: hp.gpNormalizeInput ?? false, kernelScale: hp.gpKernelScale ?? 1 };
}

/**
 * The zod schema of {@link CalibrationRecord}: SNGP's post-hoc calibration on held-out data.
 */
export const calibrationSchema = z.object({
  /** SNGP: the fitted mean-field factor lambda (>= 0), used by the runtime by default; absent for the baselines. */
  meanFieldFactor: z.number().optional(),
  /** The fitted temperature T (> 0) dividing the logits, used by the runtime by default. */
  temperature: z.number().positive(),
  /** Which rows it was fitted on: "validation" (CSV / IDX split) or "moons-validation" (a separate draw). */
  data: z.string(),
  /** Rows it was fitted on. */
  rows: z.number().int().positive(),
  /** NLL of those rows with the recorded `hyperParameters.meanFieldFactor` and T = 1. */
  nllBefore: z.number(),
  /** NLL with the fitted lambda and T. */
  nllAfter: z.number(),
  /** ECE (15 bins) with the recorded lambda and T = 1. */
  eceBefore: z.number(),
  /** ECE (15 bins) with the fitted lambda and T. */
  eceAfter: z.number(),
  /**
   * The search bounds a fitted value ended at, e.g. "temperature at its lower bound 0.05": a hint
   * that the model itself is off (train longer, another recipe). Absent or empty: none.
   */
  atBound: z.array(z.string()).optional(),
});
/**
 * Post-hoc calibration on held-out rows, by minimising their NLL: the temperature T of every
 * method (the baselines divide their logits by it) and SNGP's mean-field factor; that NLL / ECE
 * before and after.
 * @interface
 */
export type CalibrationRecord = z.infer<typeof calibrationSchema>;

/**
 * The zod schema of {@link RecipeRecord}: how a run's training settings were chosen and how early
 * stopping ended it.
 */
export const recipeSchema = z.object({
  /** "tutorial" (two moons, or data without a validation split: the tutorial's settings) or "data" (chosen from the data's size). */
  rule: z.enum(['tutorial', 'data']),
  /** Why each setting has its value: setting name -> "flag" (given by the user) or the rule's reason. */
  reasons: z.record(z.string(), z.string()),
  /** Early stopping on the validation NLL; null when it was off (no validation split, or turned off). */
  earlyStopping: z
    .object({
      /** Epochs without a validation NLL improvement before the run stops. */
      patience: z.number().int().positive(),
      /** The epoch whose weights were kept (lowest validation NLL), 1-based. */
      bestEpoch: z.number().int().positive(),
      /** Its validation NLL. */
      bestNll: z.number(),
      /** Epochs trained before stopping (<= the epoch budget `training.epochs`). */
      epochsRun: z.number().int().positive(),
    })
    .nullable(),
});
/**
 * How the training settings were chosen (the recipe) and where early stopping ended.
 * @interface
 */
export type RecipeRecord = z.infer<typeof recipeSchema>;

/**
 * The TensorFlow SNGP tutorial's hyper-parameters (DESIGN.md section 3); `inputDim` and
 * `numClasses` come from the data.
 */
export const DEFAULT_HYPER_PARAMETERS: Omit<HyperParameters, 'inputDim' | 'numClasses'> = {
  hiddenDim: 128,
  numLayers: 6,
  dropoutRate: 0.1,
  specNormBound: 0.9,
  numRandomFeatures: 1024,
  ridge: 1,
  meanFieldFactor: Math.PI / 8,
  ensembleSize: 10,
  mcSamples: 10,
};

/**
 * The zod schema of `checkpoint.json` ({@link CheckpointConfig}). Use
 * {@link parseCheckpointConfig}, which also checks that the fields agree with each other.
 */
export const checkpointSchema = z.object({
  /** Always {@link CHECKPOINT_FORMAT}. */
  format: z.literal(CHECKPOINT_FORMAT),
  /** Always {@link CHECKPOINT_FORMAT_VERSION}. */
  formatVersion: z.literal(CHECKPOINT_FORMAT_VERSION),
  /** The model type; decides which tensors the weights file holds. */
  method: z.enum(METHODS),
  /** Architecture and method knobs. */
  hyperParameters: hyperParametersSchema,
  /** How the model was trained (recorded for reproducibility; export does not need it). */
  training: z.object({
    /** "moons", or the data file as given to sngp-train. */
    data: z.string(),
    /** CSV: the label column; null for other data. */
    labelColumn: z.string().nullable(),
    /** Passes over the training rows. */
    epochs: z.number().int().positive(),
    /** Rows per optimiser step. */
    batchSize: z.number().int().positive(),
    /** Adam learning rate. */
    learningRate: z.number().positive(),
    /** Seed of every random draw of the run (initialisation, shuffles, dropout, data split). */
    seed: z.number().int(),
    /** Rows trained on. */
    trainRows: z.number().int().positive(),
    /** Rows held out for validation (0 when there was no validation split). */
    validationRows: z.number().int().nonnegative(),
    /** How epochs, batch size and learning rate were chosen (absent in older checkpoints: given or tutorial defaults). */
    recipe: recipeSchema.optional(),
  }),
  /** Class names; index i is label i (at least 2, `hyperParameters.numClasses` of them). */
  classes: z.array(z.string()).min(2),
  /** Feature names in input column order (`hyperParameters.inputDim` of them). */
  featureNames: z.array(z.string()).min(1),
  /** Applied to raw features before the network: (x - mean) / std. Null when features are used as is. */
  standardization: z
    .object({
      /** Per-feature mean, [D]. */
      mean: z.array(z.number()),
      /** Per-feature standard deviation, [D], each > 0. */
      std: z.array(z.number()),
    })
    .nullable(),
  /** Final training metrics by name, e.g. trainLoss, trainAccuracy, validationAccuracy, testAccuracy. */
  metrics: z.record(z.string(), z.number()),
  /** Versions of what produced it by name, e.g. "@sngp/train", "@tensorflow/tfjs-core", "node". */
  versions: z.record(z.string(), z.string()),
  /** The TensorFlow.js backend that trained it, e.g. "tensorflow", "wasm" or "cpu". */
  backend: z.string(),
  /** When it was written, as an ISO 8601 timestamp. */
  createdAt: z.string(),
  /** SNGP: the calibration fitted after training (absent in older checkpoints and other methods). */
  calibration: calibrationSchema.optional(),
  // Input preprocessing
  /**
   * How raw table columns become `featureNames` (the encoded features): text columns one-hot,
   * missing cells imputed, columns left out. Absent: the features are plain numeric columns, used
   * as they are (every checkpoint before it, and CSVs of numbers without missing cells).
   */
  preprocessing: preprocessingSchema.optional(),
});
/**
 * The contents of `checkpoint.json`; validated by {@link parseCheckpointConfig}.
 * @interface
 */
export type CheckpointConfig = z.infer<typeof checkpointSchema>;

/** A checkpoint in memory: what `readCheckpoint` returns and `writeCheckpoint` writes. */
export interface Checkpoint {
  /** The contents of `checkpoint.json`. */
  config: CheckpointConfig;
  /** The contents of `weights.safetensors`, by name (see {@link checkpointTensorSpec}). */
  tensors: Record<string, NamedTensor>;
}

/** What one checkpoint tensor must be: its dtype and exact shape. */
export interface TensorSpec {
  /** Element type (F32, except the SNGP precision, F64). */
  dtype: TensorDtype;
  /** Exact dimensions. */
  shape: number[];
}

function residualNet(prefix: string, hp: HyperParameters, spectral: boolean): Record<string, TensorSpec> {
  const { inputDim: d, hiddenDim: h } = hp;
  const spec: Record<string, TensorSpec> = {
    [`${prefix}input.kernel`]: { dtype: 'F32', shape: [d, h] },
    [`${prefix}input.bias`]: { dtype: 'F32', shape: [h] },
  };
  for (let i = 0; i < hp.numLayers; i++) {
    spec[`${prefix}blocks.${i}.kernel`] = { dtype: 'F32', shape: [h, h] };
    spec[`${prefix}blocks.${i}.bias`] = { dtype: 'F32', shape: [h] };
    if (spectral) spec[`${prefix}blocks.${i}.sn_u`] = { dtype: 'F32', shape: [h] };
  }
  return spec;
}

/** How many tensors `checkpointTensorSpec` lists, computed without listing them. */
export function checkpointTensorCount(method: Method, hp: HyperParameters): number {
  const body = 2 + 2 * hp.numLayers; // input kernel and bias, a kernel and bias per block
  switch (method) {
    case 'deterministic':
    case 'mc-dropout':
      return body + 2;
    case 'sngp':
      // + sn_u per block, rff kernel and bias, beta, bias, precision (+ layer-norm gamma and beta)
      return body + hp.numLayers + 5 + (hp.gpNormalizeInput ? 2 : 0);
    case 'ensemble':
      return hp.ensembleSize * (body + 2);
  }
}

/**
 * The tensors each method's checkpoint holds (names are the contract; see packages/core/README.md).
 * Kernels are [in, out] (x @ W + b).
 * @param method - the model type.
 * @param hp - its hyper-parameters (sizes D, H, K, M, L and the ensemble size).
 * @returns every required tensor name with its dtype and shape.
 */
export function checkpointTensorSpec(method: Method, hp: HyperParameters): Record<string, TensorSpec> {
  const { hiddenDim: h, numClasses: k, numRandomFeatures: m } = hp;
  const head = (prefix: string): Record<string, TensorSpec> => ({
    [`${prefix}output.kernel`]: { dtype: 'F32', shape: [h, k] },
    [`${prefix}output.bias`]: { dtype: 'F32', shape: [k] },
  });
  switch (method) {
    case 'deterministic':
    case 'mc-dropout':
      return { ...residualNet('', hp, false), ...head('') };
    case 'sngp':
      return {
        ...residualNet('', hp, true),
        'gp.rff_kernel': { dtype: 'F32', shape: [h, m] },
        'gp.rff_bias': { dtype: 'F32', shape: [m] },
        'gp.beta': { dtype: 'F32', shape: [m, k] },
        'gp.bias': { dtype: 'F32', shape: [k] },
        'gp.precision': { dtype: 'F64', shape: [m, m] },
        ...(hp.gpNormalizeInput
          ? { 'gp.input_norm.gamma': { dtype: 'F32', shape: [h] }, 'gp.input_norm.beta': { dtype: 'F32', shape: [h] } }
          : {}),
      } as Record<string, TensorSpec>;
    case 'ensemble': {
      let spec: Record<string, TensorSpec> = {};
      for (let e = 0; e < hp.ensembleSize; e++)
        spec = { ...spec, ...residualNet(`members.${e}.`, hp, false), ...head(`members.${e}.`) };
      return spec;
    }
  }
}

/**
 * Parse and validate `checkpoint.json` contents; `source` names the file in errors. Besides the
 * schema, the class and feature name counts must match `numClasses` and `inputDim`.
 * @param json - the parsed JSON.
 * @param source - names the file in error messages (default "checkpoint.json").
 * @returns the typed configuration.
 * @throws SngpError naming the first field that is missing or wrong, or the count that disagrees.
 */
export function parseCheckpointConfig(json: unknown, source = CHECKPOINT_JSON): CheckpointConfig {
  const r = checkpointSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new SngpError(`${source}: field "${issue.path.join('.')}": ${issue.message}`);
  }
  const c = r.data;
  if (c.classes.length !== c.hyperParameters.numClasses)
    throw new SngpError(`${source}: ${c.classes.length} class names but numClasses is ${c.hyperParameters.numClasses}`);
  if (c.featureNames.length !== c.hyperParameters.inputDim)
    throw new SngpError(`${source}: ${c.featureNames.length} feature names but inputDim is ${c.hyperParameters.inputDim}`);
  // The preprocessing must produce exactly the feature names
  if (c.preprocessing) {
    parsePreprocessing(c.preprocessing, `${source}: field "preprocessing"`);
    const encoded = encodedFeatureNames(c.preprocessing);
    if (encoded.length !== c.featureNames.length || encoded.some((n, i) => n !== c.featureNames[i]))
      throw new SngpError(`${source}: the preprocessing encodes features [${encoded.join(', ')}] but featureNames are [${c.featureNames.join(', ')}]`);
  }
  return c;
}

/**
 * Check that `tensors` holds what the method needs, with the right shapes and dtypes (extra
 * tensors are ignored).
 * @param config - the checkpoint's configuration (method and sizes).
 * @param tensors - the tensors read from the weights file.
 * @param source - names the file in error messages (default "weights.safetensors").
 * @throws SngpError for a missing tensor, a wrong dtype or shape, or hyper-parameters that imply
 *   far more tensors than the file holds.
 */
export function validateCheckpointTensors(
  config: CheckpointConfig,
  tensors: Record<string, NamedTensor>,
  source = CHECKPOINT_WEIGHTS,
): void {
  // Count first: a corrupt numLayers or ensembleSize (say 1e9) must not make us list 1e9 tensor names.
  // A few missing tensors are named one by one below; far more than the file holds is a count error.
  const needed = checkpointTensorCount(config.method, config.hyperParameters);
  const present = Object.keys(tensors).length;
  if (needed > 2 * present + 64)
    throw new SngpError(
      `${source}: method ${config.method} with numLayers ${config.hyperParameters.numLayers}` +
        `${config.method === 'ensemble' ? ` and ensembleSize ${config.hyperParameters.ensembleSize}` : ''} needs ${needed} tensors, ` +
        `the file has ${present} (checkpoint.json does not match the weights)`,
    );
  const spec = checkpointTensorSpec(config.method, config.hyperParameters);
  for (const [name, s] of Object.entries(spec)) {
    const t = tensors[name];
    if (!t) throw new SngpError(`${source}: missing tensor "${name}" (needed by method ${config.method})`);
    if (t.dtype !== s.dtype) throw new SngpError(`${source}: tensor "${name}" has dtype ${t.dtype}, expected ${s.dtype}`);
    if (t.shape.length !== s.shape.length || t.shape.some((v, i) => v !== s.shape[i]))
      throw new SngpError(`${source}: tensor "${name}" has shape [${t.shape}], expected [${s.shape}]`);
  }
}
