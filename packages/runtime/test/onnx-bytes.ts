/**
 * Byte-level edits of ONNX files for tests and the fuzz stage: read or replace the model card
 * (`metadata_props`, ModelProto field 14) and drop top-level fields, without any ONNX library.
 */

/** One top-level protobuf field: its bytes [start, end) and, if length-delimited, where its payload starts. */
export interface ProtoField {
  start: number;
  end: number;
  payload: number;
  field: number;
  wire: number;
}

/** Iterate the top-level protobuf fields of `buf` (throws on malformed input). */
export function* topLevelFields(buf: Uint8Array): Generator<ProtoField> {
  let pos = 0;
  const varint = (): number => {
    let r = 0;
    let mul = 1;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const b = buf[pos++];
      r += (b & 0x7f) * mul;
      if (!(b & 0x80)) return r;
      mul *= 128;
    }
  };
  while (pos < buf.length) {
    const start = pos;
    const key = varint();
    const wire = key % 8;
    let payload = pos;
    if (wire === 0) varint();
    else if (wire === 2) {
      const len = varint(); // not `pos += varint()`: that reads pos before the call advances it
      payload = pos;
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`wire type ${wire}`);
    if (pos > buf.length) throw new Error('field overruns the buffer');
    yield { start, end: pos, payload, field: Math.floor(key / 8), wire };
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Remove every top-level length-delimited protobuf field `field`. */
export function stripField(buf: Uint8Array, field: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of topLevelFields(buf)) if (!(f.wire === 2 && f.field === field)) parts.push(buf.subarray(f.start, f.end));
  return concat(parts);
}

function varintBytes(n: number): number[] {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  return concat([Uint8Array.from([...varintBytes(field * 8 + 2), ...varintBytes(payload.length)]), payload]);
}

/** The metadata_props entries of a model (StringStringEntryProto: key = 1, value = 2). */
export function readMetadata(buf: Uint8Array): Record<string, string> {
  const dec = new TextDecoder();
  const out: Record<string, string> = {};
  for (const f of topLevelFields(buf)) {
    if (f.field !== 14 || f.wire !== 2) continue;
    const entry = buf.subarray(f.payload, f.end);
    const kv = ['', ''];
    for (const g of topLevelFields(entry)) if (g.wire === 2 && (g.field === 1 || g.field === 2)) kv[g.field - 1] = dec.decode(entry.subarray(g.payload, g.end));
    out[kv[0]] = kv[1];
  }
  return out;
}

/** The model with its metadata_props replaced by `props`. */
export function withMetadata(buf: Uint8Array, props: Record<string, string>): Uint8Array {
  const enc = new TextEncoder();
  const entries = Object.entries(props).map(([k, v]) =>
    lengthDelimited(14, concat([lengthDelimited(1, enc.encode(k)), lengthDelimited(2, enc.encode(v))])),
  );
  return concat([stripField(buf, 14), ...entries]);
}
