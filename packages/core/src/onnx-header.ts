import { SngpError } from './errors.js';

/*
 * Just enough protobuf to read an ONNX ModelProto's header fields without loading the graph:
 * onnxruntime's JS API does not expose `metadata_props`; the runtime needs the model card before
 * deciding how to run a model, and the CLIs need it to recognise a model of ours before replacing
 * one. Only top-level fields are decoded; the graph is skipped.
 */

/** The top-level fields of an ONNX model file, from {@link readOnnxHeader}. */
export interface OnnxHeader {
  /** ModelProto.ir_version. */
  irVersion: number;
  /** ModelProto.opset_import: operator set domain ("" = the default ONNX domain) and version. */
  opsets: {
    /** Operator set domain; "" is the default ONNX domain. */
    domain: string;
    /** Operator set version (our exports: 17). */
    version: number;
  }[];
  /** ModelProto.metadata_props as a map (the model card's `sngp.*` keys live here). */
  metadata: Record<string, string>;
}

// ModelProto / OpsetIdProto / StringStringEntryProto field numbers (onnx.proto).
const MODEL_IR_VERSION = 1;
const MODEL_OPSET_IMPORT = 8;
const MODEL_GRAPH = 7;
const MODEL_METADATA_PROPS = 14;

class ProtoError extends Error {}

interface Field {
  field: number;
  wire: number;
  varint: number;
  bytes: Uint8Array | null;
}

function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new ProtoError('truncated varint');
      const b = buf[pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new ProtoError('varint too long');
  };
  while (pos < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0) throw new ProtoError('field number 0');
    if (wire === 0) yield { field, wire, varint: varint(), bytes: null };
    else if (wire === 2) {
      const len = varint();
      if (pos + len > buf.length) throw new ProtoError(`field ${field} overruns the buffer`);
      yield { field, wire, varint: 0, bytes: buf.subarray(pos, pos + len) };
      pos += len;
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
      if (pos > buf.length) throw new ProtoError('truncated fixed field');
    } else throw new ProtoError(`unsupported wire type ${wire}`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Read the top-level header fields of a serialised ONNX ModelProto (the graph is skipped, not
 * decoded). Pure: works in Node and browsers. Throws an SngpError naming `source` when the bytes
 * are not an ONNX model (invalid protobuf, or no ir_version / graph field).
 * @param bytes - the whole .onnx file.
 * @param source - names the model in error messages (a path, URL or "model bytes").
 * @returns IR version, opset imports and metadata_props.
 * @throws SngpError if the bytes are not an ONNX model.
 */
export function readOnnxHeader(bytes: Uint8Array, source: string): OnnxHeader {
  let irVersion: number | null = null;
  let hasGraph = false;
  const opsets: OnnxHeader['opsets'] = [];
  const metadata: Record<string, string> = {};
  try {
    for (const f of fields(bytes)) {
      if (f.field === MODEL_IR_VERSION && f.wire === 0) irVersion = f.varint;
      else if (f.field === MODEL_GRAPH && f.wire === 2) hasGraph = true;
      else if (f.field === MODEL_OPSET_IMPORT && f.bytes) {
        const op = { domain: '', version: 0 };
        for (const g of fields(f.bytes)) {
          if (g.field === 1 && g.bytes) op.domain = utf8.decode(g.bytes);
          else if (g.field === 2 && g.wire === 0) op.version = g.varint;
        }
        opsets.push(op);
      } else if (f.field === MODEL_METADATA_PROPS && f.bytes) {
        let key = '';
        let value = '';
        for (const g of fields(f.bytes)) {
          if (g.field === 1 && g.bytes) key = utf8.decode(g.bytes);
          else if (g.field === 2 && g.bytes) value = utf8.decode(g.bytes);
        }
        metadata[key] = value;
      }
    }
  } catch (e) {
    if (e instanceof ProtoError) throw new SngpError(`${source}: not an ONNX model (invalid protobuf: ${e.message})`);
    throw e;
  }
  if (irVersion === null || !hasGraph)
    throw new SngpError(`${source}: not an ONNX model (no ${irVersion === null ? 'ir_version' : 'graph'} field)`);
  return { irVersion, opsets, metadata };
}

function varintBytes(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/**
 * The same ONNX model with its `metadata_props` replaced by `props` (every other top-level field,
 * the graph included, is copied byte for byte). Pure: works in Node and browsers.
 * @param bytes - the whole .onnx file.
 * @param props - the new metadata_props, in order.
 * @param source - names the model in error messages.
 * @returns the new file's bytes.
 * @throws SngpError if the bytes are not an ONNX model.
 */
export function replaceOnnxMetadata(bytes: Uint8Array, props: Record<string, string>, source: string): Uint8Array {
  readOnnxHeader(bytes, source);
  const enc = new TextEncoder();
  const delimited = (field: number, payload: Uint8Array): Uint8Array => {
    const head = [...varintBytes(field * 8 + 2), ...varintBytes(payload.length)];
    const out = new Uint8Array(head.length + payload.length);
    out.set(head);
    out.set(payload, head.length);
    return out;
  };
  const parts: Uint8Array[] = [];
  // Copy every top-level field except metadata_props, as bytes (positions from a second walk).
  let pos = 0;
  for (const f of fields(bytes)) {
    const start = pos;
    const end = f.bytes ? f.bytes.byteOffset - bytes.byteOffset + f.bytes.length : nextFieldEnd(bytes, start);
    pos = end;
    if (!(f.field === MODEL_METADATA_PROPS && f.wire === 2)) parts.push(bytes.subarray(start, end));
  }
  for (const [key, value] of Object.entries(props)) {
    const k = delimited(1, enc.encode(key));
    const v = delimited(2, enc.encode(value));
    const entry = new Uint8Array(k.length + v.length);
    entry.set(k);
    entry.set(v, k.length);
    parts.push(delimited(MODEL_METADATA_PROPS, entry));
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** End of the varint or fixed-width field starting at `start` (its key, then its value). */
function nextFieldEnd(buf: Uint8Array, start: number): number {
  let pos = start;
  let key = 0;
  let mul = 1;
  for (;;) {
    const b = buf[pos++];
    key += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) break;
    mul *= 128;
  }
  const wire = key % 8;
  if (wire === 1) return pos + 8;
  if (wire === 5) return pos + 4;
  while (buf[pos++] & 0x80);
  return pos;
}
