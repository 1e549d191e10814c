/**
 * The one place where a runtime `Prediction` becomes Open Inference Protocol outputs: every
 * per-row field, whatever the runtime adds, is an output named after it (nested objects such as
 * `scores` as `scores_<field>`), so new prediction fields are served without server changes.
 */
import type { Prediction } from '@sngp/runtime';
import { RequestError, type Datatype, type Tensor } from './protocol.js';

/** A batch's output before it is cut per request: row-major values, shape [rows, ...]. */
export interface RowTensor {
  /** Output name. */
  name: string;
  /** Element type. */
  datatype: Datatype;
  /** Values per row (shape without the batch dimension). */
  rowShape: number[];
  /** All rows' values. */
  values: ArrayLike<number> | readonly string[];
}

function datatypeOf(v: ArrayBufferView): Datatype | null {
  if (v instanceof Float32Array) return 'FP32';
  if (v instanceof Float64Array) return 'FP64';
  if (v instanceof Int32Array) return 'INT32';
  if (v instanceof BigInt64Array) return null;
  if (v instanceof Uint8Array) return 'BOOL';
  return null;
}

/** One prediction field as an output, or null if it is not one value (or string) per row. */
function rowTensor(name: string, v: unknown, rows: number): RowTensor | null {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const datatype = datatypeOf(v);
    const len = (v as unknown as ArrayLike<number>).length;
    if (datatype === null || rows === 0 || len % rows !== 0) return null;
    return { name, datatype, rowShape: len === rows ? [] : [len / rows], values: v as unknown as ArrayLike<number> };
  }
  if (Array.isArray(v) && v.length === rows && v.every((x) => typeof x === 'string')) return { name, datatype: 'BYTES', rowShape: [], values: v as string[] };
  // Anything else (counts, per-call reports such as unseenCategories, per-row objects such as `sets`) is not an output.
  return null;
}

function collect(prefix: string, obj: object, rows: number, out: RowTensor[]): void {
  for (const [key, v] of Object.entries(obj)) {
    const t = rowTensor(prefix + key, v, rows);
    if (t) out.push(t);
    else if (v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) && prefix === '') collect(`${prefix + key}_`, v as object, rows, out);
  }
}

/**
 * Every per-row field of a prediction as an output.
 * @param p - the prediction of a batch.
 * @returns one tensor per field, in the prediction's field order.
 */
export function predictionOutputs(p: Prediction): RowTensor[] {
  const out: RowTensor[] = [];
  collect('', p, p.rows, out);
  return out;
}

/**
 * One output of a prediction by its name (a field, or `<field>_<sub>` of a nested object), reading
 * only that field: a lazily computed field (scores, logProbs) costs nothing unless it is asked for.
 * @param p - the prediction of a batch.
 * @param name - an output name as {@link predictionOutputs} gives it.
 * @returns the output, or null if the prediction has no such per-row field.
 */
export function predictionOutput(p: Prediction, name: string): RowTensor | null {
  const fields = p as unknown as Record<string, unknown>;
  if (Object.hasOwn(fields, name)) return rowTensor(name, fields[name], p.rows);
  const cut = name.indexOf('_');
  const outer = cut > 0 && Object.hasOwn(fields, name.slice(0, cut)) ? fields[name.slice(0, cut)] : null;
  if (outer === null || typeof outer !== 'object' || Array.isArray(outer) || ArrayBuffer.isView(outer)) return null;
  const sub = name.slice(cut + 1);
  return Object.hasOwn(outer, sub) ? rowTensor(name, (outer as Record<string, unknown>)[sub], p.rows) : null;
}

/**
 * Rows [start, end) of a batch output as a response tensor.
 * @param t - the batch output.
 * @param start - first row.
 * @param end - one past the last row.
 * @returns the tensor with shape [end - start, ...rowShape].
 * @throws RequestError 500 if a float is not finite (the batch was checked: a bug, never NaN on the wire).
 */
export function sliceRows(t: RowTensor, start: number, end: number): Tensor {
  const per = t.rowShape.reduce((a, b) => a * b, 1);
  const shape = [end - start, ...t.rowShape];
  if (t.datatype === 'BYTES') return { name: t.name, datatype: 'BYTES', shape, data: (t.values as readonly string[]).slice(start * per, end * per) };
  const vals = t.values as ArrayLike<number>;
  if (t.datatype === 'BOOL') return { name: t.name, datatype: 'BOOL', shape, data: Array.from({ length: (end - start) * per }, (_, i) => vals[start * per + i] !== 0) };
  const data = new Array<number>((end - start) * per);
  for (let i = 0; i < data.length; i++) {
    const x = vals[start * per + i];
    if (!Number.isFinite(x)) throw new RequestError(500, `output "${t.name}" row ${start + Math.floor(i / per)} is ${x}: not sent as a number`);
    data[i] = x;
  }
  return { name: t.name, datatype: t.datatype, shape, data };
}

/**
 * Triton's classification extension: the top `k` classes of each row of an [N, K] output as
 * "score:index:label" strings, best first.
 * @param t - the output (e.g. probs), as a response tensor [N, K].
 * @param k - classes per row.
 * @param labels - class names.
 * @returns a BYTES tensor [N, k] with the output's name.
 * @throws RequestError 400 if the output is not [N, K] over the classes, or k is over K.
 */
export function classification(t: Tensor, k: number, labels: readonly string[]): Tensor {
  const K = labels.length;
  if (t.shape.length !== 2 || t.shape[1] !== K || t.datatype === 'BYTES' || t.datatype === 'BOOL')
    throw new RequestError(400, `outputs "${t.name}".parameters.classification: the output is [${t.shape}], not one score per class [N, ${K}]`);
  if (k > K) throw new RequestError(400, `outputs "${t.name}".parameters.classification: ${k} is more than the ${K} classes`);
  const vals = t.data as number[];
  const data: string[] = [];
  for (let i = 0; i < t.shape[0]; i++) {
    const idx = Array.from({ length: K }, (_, j) => j).sort((a, b) => vals[i * K + b] - vals[i * K + a] || a - b);
    for (const j of idx.slice(0, k)) data.push(`${vals[i * K + j]}:${j}:${labels[j]}`);
  }
  return { name: t.name, datatype: 'BYTES', shape: [t.shape[0], k], data };
}
