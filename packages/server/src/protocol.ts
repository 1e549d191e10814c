/**
 * Open Inference Protocol (KServe V2 REST) messages: the request schema (zod, with errors naming
 * the field, e.g. `inputs[0].shape[1]`) and the response types.
 */
import { z } from 'zod';

/** OIP tensor data types that this server sends or accepts. */
export type Datatype = 'BOOL' | 'INT32' | 'INT64' | 'FP32' | 'FP64' | 'BYTES';

/** One tensor of an inference request or response. */
export interface Tensor {
  /** Tensor name (a graph input/output, or a prediction field). */
  name: string;
  /** Element type. */
  datatype: Datatype;
  /** Dimensions, outermost first. */
  shape: number[];
  /** Values, flattened row-major. */
  data: number[] | boolean[] | string[];
  /** Per-tensor parameters, if any. */
  parameters?: Record<string, unknown>;
}

/** An input or output in model metadata; -1 marks a dynamic dimension. */
export interface TensorMetadata {
  /** Tensor name. */
  name: string;
  /** Element type. */
  datatype: Datatype;
  /** Dimensions; -1 where any size is accepted (the batch). */
  shape: number[];
}

/** `GET /v2/models/{name}[/versions/{v}]`. */
export interface ModelMetadata {
  /** Model name. */
  name: string;
  /** Every version served. */
  versions: string[];
  /** Framework (always `onnxruntime_onnx`). */
  platform: string;
  /** Request inputs. */
  inputs: TensorMetadata[];
  /** Response outputs. */
  outputs: TensorMetadata[];
  /** `sngp_card`: the model card as the ONNX metadata_props entries (`sngp.*` keys). */
  parameters: Record<string, unknown>;
}

/** `POST .../infer` response. */
export interface InferResponse {
  /** The model that answered. */
  model_name: string;
  /** Its version. */
  model_version: string;
  /** The request's id, echoed. */
  id?: string;
  /** Requested outputs (all, when the request names none). */
  outputs: Tensor[];
}

const parameters = z.record(z.string(), z.unknown());

/** The request body of `POST .../infer` (the spec's `$inference_request`). */
export const inferRequestSchema = z.object({
  id: z.string().optional(),
  parameters: parameters.optional(),
  inputs: z
    .array(
      z.object({
        name: z.string(),
        shape: z.array(z.number().int().nonnegative()).max(8),
        datatype: z.string(),
        parameters: parameters.optional(),
        data: z.unknown(),
      }),
    )
    .min(1),
  outputs: z
    .array(
      z.object({
        name: z.string(),
        parameters: z.object({ classification: z.number().int().positive().optional() }).loose().optional(),
      }),
    )
    .optional(),
});

/** A parsed inference request. */
export type InferRequest = z.infer<typeof inferRequestSchema>;

/** A request the server refuses, with its HTTP status and a message naming the problem. */
export class RequestError extends Error {
  /**
   * @param status - HTTP status (4xx, or 503 for overload).
   * @param message - names the field and what was expected.
   * @param retryAfter - seconds for a `Retry-After` header (503 only).
   */
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** `inputs[0].shape[1]` from zod's path ['inputs', 0, 'shape', 1]. */
function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '') || 'body';
}

const has = (o: object, allowed: readonly string[]): boolean => {
  for (const k in o) if (!allowed.includes(k)) return false;
  return true;
};

/**
 * The common request shape checked by hand: only `id`, `inputs` (name, shape, datatype, data) and
 * `outputs` by name, no parameters, no other keys. Such a body passes the schema unchanged (zod
 * would only copy it), and this check costs a small fraction of zod's per request, which counts
 * at thousands of single-row requests a second. Anything else returns null and goes through zod,
 * so every error message still comes from the schema.
 */
function commonRequest(body: unknown): InferRequest | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !has(body, ['id', 'inputs', 'outputs'])) return null;
  const { id, inputs, outputs } = body as Record<string, unknown>;
  if ((id !== undefined && typeof id !== 'string') || !Array.isArray(inputs) || inputs.length === 0) return null;
  for (const t of inputs as unknown[]) {
    if (typeof t !== 'object' || t === null || !has(t, ['name', 'shape', 'datatype', 'data'])) return null;
    const { name, shape, datatype } = t as Record<string, unknown>;
    if (typeof name !== 'string' || typeof datatype !== 'string' || !Array.isArray(shape) || shape.length > 8) return null;
    for (const d of shape as unknown[]) if (!Number.isSafeInteger(d) || (d as number) < 0) return null;
  }
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) return null;
    for (const o of outputs as unknown[]) if (typeof o !== 'object' || o === null || !has(o, ['name']) || typeof (o as { name?: unknown }).name !== 'string') return null;
  }
  return body as InferRequest;
}

/**
 * Validate an inference request body's structure (not its tensors' sizes: see the model's checks).
 * @param body - the parsed JSON body.
 * @returns the request.
 * @throws RequestError 400 naming the first bad field.
 */
export function parseInferRequest(body: unknown): InferRequest {
  const common = commonRequest(body);
  if (common) return common;
  const r = inferRequestSchema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new RequestError(400, `${fieldName(issue.path)}: ${issue.message}`);
}

/**
 * The numbers of a tensor's `data`, flat or nested (nesting at most as deep as the shape),
 * checked against the shape's element count; every value finite and within float32.
 * @param data - the request's `data`.
 * @param shape - its declared shape.
 * @param field - e.g. `inputs[0]`, for errors.
 * @param maxCount - most values accepted (checked before anything is allocated).
 * @returns the values as float32.
 * @throws RequestError 400 naming the element or the count that is wrong; 413 over `maxCount`.
 */
export function float32Data(data: unknown, shape: readonly number[], field: string, maxCount: number): Float32Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > maxCount) throw new RequestError(413, `${field}.shape: [${shape}] is ${count} values, over this server's limit of ${maxCount}`);
  const out = new Float32Array(count);
  let n = 0;
  const walk = (v: unknown, depth: number): void => {
    if (Array.isArray(v)) {
      if (depth >= shape.length) throw new RequestError(400, `${field}.data: nested deeper than its shape [${shape}]`);
      for (const x of v) walk(x, depth + 1);
      return;
    }
    if (typeof v !== 'number') throw new RequestError(400, `${field}.data[${n}]: expected a number, got ${v === null ? 'null' : typeof v}`);
    if (!Number.isFinite(v) || Math.abs(v) > 3.4028234663852886e38)
      throw new RequestError(400, `${field}.data[${n}]: ${v} is not a finite float32`);
    if (n >= count) throw new RequestError(400, `${field}.data: more than the ${count} values of shape [${shape}]`);
    out[n++] = v;
  };
  if (!Array.isArray(data)) throw new RequestError(400, `${field}.data: expected an array, got ${data === null ? 'null' : typeof data}`);
  walk(data, 0);
  if (n !== count) throw new RequestError(400, `${field}.data: ${n} values, but shape [${shape}] needs ${count}`);
  return out;
}
