/**
 * Deployment files for NVIDIA Triton (ONNX Runtime backend) and KServe, derived from the exported
 * graph itself: `<name>/config.pbtxt` (every input and output with its data type and dims),
 * `labels.txt`, `1/model.onnx`, the model card as `sngp-card.json` (for the runtime's `connect`,
 * since Triton does not hand out ONNX metadata) and a KServe InferenceService manifest.
 *
 * Triton's batching (max_batch_size > 0, dynamic_batching) needs every input and output to have
 * the batch as its first dimension. Deterministic and SNGP graphs do; MC dropout (its
 * `dropout_noise` input [T, layers, width] has no batch dimension) and ensembles (per-member
 * `logits` [M, N, K]) do not, so they get max_batch_size 0 with full dims (-1 for dynamic) and no
 * dynamic batcher: each request runs alone on Triton.
 */
import { SngpError, decodeModelCard } from '@sngp/core';
import { DataType, decodeModel, type ValueInfoProto } from './onnx-schema.js';

/** Options of {@link tritonModelFiles}. */
export interface TritonOptions {
  /** Model name in the repository and in URLs (letters, digits, '_', '-'). */
  name: string;
  /** Triton max_batch_size where the graph allows batching (default 1024). */
  maxBatchSize?: number;
  /** Longest a request waits in Triton's dynamic batcher, in microseconds (default 2000). */
  maxQueueDelayUs?: number;
}

/** One input or output as written into config.pbtxt. */
export interface TritonTensor {
  /** Graph value name. */
  name: string;
  /** Triton data type, e.g. TYPE_FP32. */
  dataType: string;
  /** Dims: without the batch dimension when max_batch_size > 0; -1 for a dynamic size ([] is written as [1] with `reshape: { shape: [ ] }`). */
  dims: number[];
  /** For outputs over the classes: the label file. */
  labelFilename?: string;
}

/** The model folder's files and what config.pbtxt says. */
export interface TritonModel {
  /** Paths relative to the repository (e.g. `sngp/config.pbtxt`) and their contents. */
  files: Record<string, string | Uint8Array>;
  /** max_batch_size written (0: no batching by Triton). */
  maxBatchSize: number;
  /** Inputs as written. */
  inputs: TritonTensor[];
  /** Outputs as written. */
  outputs: TritonTensor[];
}

/** The first line of every config.pbtxt we write: how sngp-export recognises its own output. */
export const TRITON_CONFIG_MARKER = '# written by sngp-export --triton';

const TYPES: Record<number, string> = { [DataType.FLOAT]: 'TYPE_FP32', [DataType.DOUBLE]: 'TYPE_FP64', [DataType.INT32]: 'TYPE_INT32', [DataType.INT64]: 'TYPE_INT64', [DataType.BOOL]: 'TYPE_BOOL' };

function dimsOf(v: ValueInfoProto): (number | string)[] {
  return v.type.tensorType.shape.dim.map((d) => (d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : (d.dimParam ?? '?')));
}

function tensorBlock(kind: 'input' | 'output', ts: TritonTensor[]): string {
  const items = ts.map((t) =>
    // Triton needs at least one dim: a per-row scalar is [1] reshaped to [] (its documented idiom).
    [`  {`, `    name: "${t.name}"`, `    data_type: ${t.dataType}`, `    dims: [ ${t.dims.length > 0 ? t.dims.join(', ') : '1'} ]`, ...(t.dims.length === 0 ? [`    reshape: { shape: [ ] }`] : []), ...(t.labelFilename ? [`    label_filename: "${t.labelFilename}"`] : []), `  }`].join('\n'),
  );
  return `${kind} [\n${items.join(',\n')}\n]`;
}

/**
 * The Triton model folder and KServe manifest of an exported model.
 * @param bytes - the .onnx file (export it with graph-side mean-field `probs` for SNGP, so generic clients get calibrated probabilities).
 * @param options - name and batching.
 * @returns the files and the config's fields.
 * @throws SngpError if the name is not valid, the model is not ours, or a value has a type Triton cannot take.
 */
export function tritonModelFiles(bytes: Uint8Array, options: TritonOptions): TritonModel {
  const { name } = options;
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new SngpError(`--name: "${name}" must be letters, digits, '_' or '-' (it is a folder and a URL part)`);
  const model = decodeModel(bytes);
  const props = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
  const card = decodeModelCard(props, `${name} model`);
  const values = [...model.graph.input.map((v) => ({ v, input: true })), ...model.graph.output.map((v) => ({ v, input: false }))];
  const batchDim = dimsOf(model.graph.input.find((v) => v.name === 'features') as ValueInfoProto)[0];
  const batchable = typeof batchDim === 'string' && values.every(({ v }) => dimsOf(v)[0] === batchDim);
  const maxBatchSize = batchable ? (options.maxBatchSize ?? 1024) : 0;
  const k = card.classes.length;
  const toTriton = ({ v }: { v: ValueInfoProto }): TritonTensor => {
    const dataType = TYPES[v.type.tensorType.elemType];
    if (!dataType) throw new SngpError(`${name}: graph value "${v.name}" has ONNX type ${v.type.tensorType.elemType}, which this writer does not map`);
    const all = dimsOf(v).map((d) => (typeof d === 'number' ? d : -1));
    const dims = maxBatchSize > 0 ? all.slice(1) : all;
    // Triton's classification extension reads labels from the output whose last dim is the classes.
    const perClass = !v.name.includes('noise') && all.length === 2 && all[1] === k;
    return { name: v.name, dataType, dims, ...(perClass ? { labelFilename: 'labels.txt' } : {}) };
  };
  const inputs = values.filter((x) => x.input).map(toTriton);
  const outputs = values.filter((x) => !x.input).map(toTriton);
  const config = [
    TRITON_CONFIG_MARKER,
    `# ${card.method} model; classes ${card.classes.join(', ')}; ${maxBatchSize > 0 ? 'batched on the first dimension' : 'not batchable by Triton (an input or output has no leading batch dimension)'}`,
    `name: "${name}"`,
    `platform: "onnxruntime_onnx"`,
    `max_batch_size: ${maxBatchSize}`,
    tensorBlock('input', inputs),
    tensorBlock('output', outputs),
    ...(maxBatchSize > 0 ? [`dynamic_batching {\n  max_queue_delay_microseconds: ${options.maxQueueDelayUs ?? 2000}\n}`] : []),
    `instance_group [\n  {\n    count: 1\n    kind: KIND_CPU\n  }\n]`,
    '',
  ].join('\n');
  const manifest = [
    `# KServe InferenceService for "${name}" on Triton (Open Inference Protocol v2).`,
    `# Copy the repository folder holding ${name}/ to your storage and set storageUri to it.`,
    `apiVersion: serving.kserve.io/v1beta1`,
    `kind: InferenceService`,
    `metadata:`,
    `  name: ${name.toLowerCase().replace(/_/g, '-')}`,
    `spec:`,
    `  predictor:`,
    `    model:`,
    `      modelFormat:`,
    `        name: onnx`,
    `      runtime: kserve-tritonserver`,
    `      protocolVersion: v2`,
    `      storageUri: "s3://YOUR-BUCKET/path/to/repository"`,
    '',
  ].join('\n');
  return {
    maxBatchSize,
    inputs,
    outputs,
    files: {
      [`${name}/config.pbtxt`]: config,
      [`${name}/labels.txt`]: card.classes.join('\n') + '\n',
      [`${name}/1/model.onnx`]: bytes,
      [`${name}/sngp-card.json`]: JSON.stringify(props, null, 2) + '\n',
      [`${name}/inferenceservice.yaml`]: manifest,
    },
  };
}
