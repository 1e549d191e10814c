import { SngpError } from './errors.js';

/*
 * The safetensors layout: u64 little-endian header length, a JSON header mapping each tensor name
 * to {dtype, shape, data_offsets} (offsets relative to the end of the header), then the raw
 * little-endian bytes. Readable by numpy alone; no tfjs needed.
 */

/** The element types a checkpoint uses, by their safetensors names: float32, float64, int32. */
export type TensorDtype = 'F32' | 'F64' | 'I32';
/** The typed arrays that hold a {@link TensorDtype}: F32, F64 and I32 respectively. */
export type TensorData = Float32Array | Float64Array | Int32Array;

/** One tensor of a safetensors file (the name is its key in the enclosing record). */
export interface NamedTensor {
  /** Element type; always matches the class of `data`. */
  dtype: TensorDtype;
  /** Dimensions, outermost first ([] for a scalar); their product is `data.length`. */
  shape: number[];
  /** The values, row-major. */
  data: TensorData;
}

const BYTES: Record<TensorDtype, number> = { F32: 4, F64: 8, I32: 4 };

function dtypeOf(data: TensorData): TensorDtype {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  return 'I32';
}

/**
 * A tensor with its dtype taken from the array type.
 * @param data - the values, row-major (kept, not copied).
 * @param shape - dimensions, outermost first.
 * @returns the tensor.
 * @throws Error if the shape's size is not `data.length` (a programming error).
 */
export function tensor(data: TensorData, shape: number[]): NamedTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new Error(`tensor of shape [${shape}] needs ${size} values, got ${data.length}`);
  return { dtype: dtypeOf(data), shape, data };
}

/**
 * Serialise tensors (in name order, 8-byte aligned header) plus optional string metadata.
 * @param tensors - tensors by name.
 * @param metadata - string-to-string pairs stored as the header's `__metadata__` (omitted if absent).
 * @returns the complete file contents.
 */
export function encodeSafetensors(tensors: Record<string, NamedTensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const bytes = t.data.length * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors[name];
    const src = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(src, p); // typed arrays are little-endian on every platform Node and browsers run on
    p += src.byteLength;
  }
  return out;
}

/**
 * Largest JSON header accepted: the reference implementation's limit (100 MB). A checkpoint's header
 * is a few kB; a bigger length field is corruption, not a model.
 */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parse safetensors bytes; `source` names the file in error messages. Everything the format
 * requires is checked, so a corrupt file fails here with one line instead of yielding garbage
 * tensors: a sane header length, a JSON object header, string-to-string `__metadata__`, known
 * dtypes, shapes of non-negative integers, and integer `data_offsets` that, sorted, tile the data
 * buffer exactly (no gap, no overlap, nothing left over).
 * @param bytes - the whole file.
 * @param source - names the file in error messages (default "safetensors").
 * @returns the tensors (copied, so aligned) and the metadata.
 * @throws SngpError for anything that breaks the format (truncated, bad header, unsupported dtype,
 *   offsets that do not match the shapes or do not tile the data).
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = 'safetensors',
): {
  /** Tensors by name (a prototype-free record, so any name is safe). */
  tensors: Record<string, NamedTensor>;
  /** The header's `__metadata__` ({} if absent). */
  metadata: Record<string, string>;
} {
  if (bytes.length < 8) throw new SngpError(`${source}: truncated (${bytes.length} bytes, no header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen64 = view.getBigUint64(0, true);
  if (headerLen64 > BigInt(MAX_SAFETENSORS_HEADER_BYTES))
    throw new SngpError(`${source}: header length ${headerLen64} exceeds the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit (corrupt file?)`);
  const headerLen = Number(headerLen64);
  if (8 + headerLen > bytes.length)
    throw new SngpError(`${source}: truncated (header says ${headerLen} bytes, file has ${bytes.length - 8})`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new SngpError(`${source}: invalid header JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(header)) throw new SngpError(`${source}: header is not a JSON object`);
  const dataStart = 8 + headerLen;
  const dataLength = bytes.length - dataStart;
  const entries: { name: string; dtype: TensorDtype; shape: number[]; begin: number; end: number }[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isPlainObject(raw)) throw new SngpError(`${source}: "__metadata__" must be an object of strings`);
      for (const [k, v] of Object.entries(raw))
        if (typeof v !== 'string') throw new SngpError(`${source}: "__metadata__" entry "${k}" is not a string`);
      metadata = raw as Record<string, string>;
      continue;
    }
    const where = `${source}: tensor "${name}"`;
    if (!isPlainObject(raw)) throw new SngpError(`${where} is not an object`);
    const { dtype, shape, data_offsets: offsets } = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !Object.hasOwn(BYTES, dtype))
      throw new SngpError(`${where} has unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(BYTES).join(', ')})`);
    if (!Array.isArray(shape) || !shape.every((v) => Number.isSafeInteger(v) && v >= 0))
      throw new SngpError(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((v) => Number.isSafeInteger(v) && v >= 0))
      throw new SngpError(`${where}: data_offsets must be two non-negative integers, got ${JSON.stringify(offsets)}`);
    const [begin, end] = offsets as [number, number];
    if (end < begin) throw new SngpError(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataLength)
      throw new SngpError(`${source}: truncated (tensor "${name}" ends at byte ${dataStart + end}, file has ${bytes.length})`);
    // A shape with a huge product cannot match the (bounded) byte range: compare without overflow.
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = size * BYTES[dtype as TensorDtype];
    if (end - begin !== expected)
      throw new SngpError(`${where} of shape [${shape}] has ${end - begin} bytes, expected ${expected}`);
    entries.push({ name, dtype: dtype as TensorDtype, shape: shape as number[], begin, end });
  }
  // The format requires the tensors to tile the data buffer: sorted by offset, each starts where the
  // previous one ended and the last ends at the end of the file.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin < cursor) throw new SngpError(`${source}: tensor "${e.name}" (bytes ${e.begin}-${e.end}) overlaps the tensor before it (ends at ${cursor})`);
    if (e.begin > cursor) throw new SngpError(`${source}: ${e.begin - cursor} unused bytes before tensor "${e.name}" (data_offsets must be contiguous)`);
    cursor = e.end;
  }
  if (cursor !== dataLength)
    throw new SngpError(`${source}: ${dataLength - cursor} bytes after the last tensor (data_offsets must cover the data exactly)`);
  // No prototype: a tensor named "__proto__" must stay a tensor, not become the object's prototype.
  const tensors: Record<string, NamedTensor> = Object.create(null) as Record<string, NamedTensor>;
  for (const { name, dtype, shape, begin, end } of entries) {
    // Copy so the tensor is aligned regardless of the header length of the file.
    const slice = bytes.slice(dataStart + begin, dataStart + end);
    const data =
      dtype === 'F32' ? new Float32Array(slice.buffer) : dtype === 'F64' ? new Float64Array(slice.buffer) : new Int32Array(slice.buffer);
    tensors[name] = { dtype, shape, data };
  }
  return { tensors, metadata };
}
