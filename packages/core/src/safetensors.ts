import { SngpError } from './errors.js';

/**
 * The safetensors layout: u64 little-endian header length, a JSON header mapping each tensor name
 * to {dtype, shape, data_offsets} (offsets relative to the end of the header), then the raw
 * little-endian bytes. Readable by numpy alone; no tfjs needed.
 */
export type TensorDtype = 'F32' | 'F64' | 'I32';
export type TensorData = Float32Array | Float64Array | Int32Array;

export interface NamedTensor {
  dtype: TensorDtype;
  shape: number[];
  data: TensorData;
}

const BYTES: Record<TensorDtype, number> = { F32: 4, F64: 8, I32: 4 };

function dtypeOf(data: TensorData): TensorDtype {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  return 'I32';
}

export function tensor(data: TensorData, shape: number[]): NamedTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new Error(`tensor of shape [${shape}] needs ${size} values, got ${data.length}`);
  return { dtype: dtypeOf(data), shape, data };
}

/** Serialise tensors (in name order, 8-byte aligned header) plus optional string metadata. */
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

/** Parse safetensors bytes; `source` names the file in error messages. */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = 'safetensors',
): { tensors: Record<string, NamedTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new SngpError(`${source}: truncated (${bytes.length} bytes, no header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (8 + headerLen > bytes.length)
    throw new SngpError(`${source}: truncated (header says ${headerLen} bytes, file has ${bytes.length - 8})`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new SngpError(`${source}: invalid header JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new SngpError(`${source}: header is not a JSON object`);
  const dataStart = 8 + headerLen;
  const tensors: Record<string, NamedTensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = raw as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    const dtype = info.dtype as TensorDtype;
    if (!(dtype in BYTES)) throw new SngpError(`${source}: tensor "${name}" has unsupported dtype ${info.dtype}`);
    if (!Array.isArray(info.shape) || !Array.isArray(info.data_offsets))
      throw new SngpError(`${source}: tensor "${name}" lacks shape or data_offsets`);
    const [begin, end] = info.data_offsets;
    const size = info.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== size * BYTES[dtype])
      throw new SngpError(`${source}: tensor "${name}" of shape [${info.shape}] has ${end - begin} bytes, expected ${size * BYTES[dtype]}`);
    if (dataStart + end > bytes.length)
      throw new SngpError(`${source}: truncated (tensor "${name}" ends at byte ${dataStart + end}, file has ${bytes.length})`);
    // Copy so the tensor is aligned regardless of the header length of the file.
    const slice = bytes.slice(dataStart + begin, dataStart + end);
    const data =
      dtype === 'F32' ? new Float32Array(slice.buffer) : dtype === 'F64' ? new Float64Array(slice.buffer) : new Int32Array(slice.buffer);
    tensors[name] = { dtype, shape: info.shape, data };
  }
  return { tensors, metadata };
}
