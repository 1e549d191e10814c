import { z } from 'zod';
import { SngpError } from './errors.js';
import type { NamedTensor, TensorDtype } from './safetensors.js';

/**
 * The checkpoint contract between train (writer) and export (reader): `checkpoint.json` (this
 * schema) plus `weights.safetensors` (tensors named by `checkpointTensorSpec`).
 */
export const CHECKPOINT_FORMAT = 'sngp-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 1;
export const CHECKPOINT_JSON = 'checkpoint.json';
export const CHECKPOINT_WEIGHTS = 'weights.safetensors';

export const METHODS = ['deterministic', 'sngp', 'mc-dropout', 'ensemble'] as const;
export type Method = (typeof METHODS)[number];

export function parseMethod(s: string): Method {
  if (!(METHODS as readonly string[]).includes(s))
    throw new SngpError(`unknown method "${s}" (expected one of: ${METHODS.join(', ')})`);
  return s as Method;
}

/** Every model knob, with the tutorial's defaults. Knobs a method does not use are still recorded. */
export const hyperParametersSchema = z.object({
  inputDim: z.number().int().positive(),
  numClasses: z.number().int().min(2),
  hiddenDim: z.number().int().positive(),
  numLayers: z.number().int().nonnegative(),
  dropoutRate: z.number().min(0).lt(1),
  specNormBound: z.number().positive(),
  numRandomFeatures: z.number().int().positive(),
  ridge: z.number().positive(),
  meanFieldFactor: z.number(),
  ensembleSize: z.number().int().positive(),
  mcSamples: z.number().int().positive(),
});
export type HyperParameters = z.infer<typeof hyperParametersSchema>;

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

export const checkpointSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  formatVersion: z.literal(CHECKPOINT_FORMAT_VERSION),
  method: z.enum(METHODS),
  hyperParameters: hyperParametersSchema,
  training: z.object({
    data: z.string(),
    labelColumn: z.string().nullable(),
    epochs: z.number().int().positive(),
    batchSize: z.number().int().positive(),
    learningRate: z.number().positive(),
    seed: z.number().int(),
    trainRows: z.number().int().positive(),
    validationRows: z.number().int().nonnegative(),
  }),
  classes: z.array(z.string()).min(2),
  featureNames: z.array(z.string()).min(1),
  /** Applied to raw features before the network: (x - mean) / std. Null when features are used as is. */
  standardization: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }).nullable(),
  metrics: z.record(z.string(), z.number()),
  versions: z.record(z.string(), z.string()),
  backend: z.string(),
  createdAt: z.string(),
});
export type CheckpointConfig = z.infer<typeof checkpointSchema>;

export interface Checkpoint {
  config: CheckpointConfig;
  tensors: Record<string, NamedTensor>;
}

export interface TensorSpec {
  dtype: TensorDtype;
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

/**
 * The tensors each method's checkpoint holds (names are the contract; see packages/core/README.md).
 * Kernels are [in, out] (x @ W + b).
 */
/** How many tensors `checkpointTensorSpec` lists, computed without listing them. */
export function checkpointTensorCount(method: Method, hp: HyperParameters): number {
  const body = 2 + 2 * hp.numLayers; // input kernel and bias, a kernel and bias per block
  switch (method) {
    case 'deterministic':
    case 'mc-dropout':
      return body + 2;
    case 'sngp':
      return body + hp.numLayers + 5; // + sn_u per block, rff kernel and bias, beta, bias, precision
    case 'ensemble':
      return hp.ensembleSize * (body + 2);
  }
}

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
      };
    case 'ensemble': {
      let spec: Record<string, TensorSpec> = {};
      for (let e = 0; e < hp.ensembleSize; e++)
        spec = { ...spec, ...residualNet(`members.${e}.`, hp, false), ...head(`members.${e}.`) };
      return spec;
    }
  }
}

/** Parse and validate `checkpoint.json` contents; `source` names the file in errors. */
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
  return c;
}

/** Check that `tensors` holds exactly what the method needs, with the right shapes and dtypes. */
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
