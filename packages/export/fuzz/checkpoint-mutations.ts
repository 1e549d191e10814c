/**
 * Seeded mutations of real checkpoints (checkpoint.json + weights.safetensors from sngp-train):
 * safetensors bytes, header length, header JSON (offsets overlapping, negative, fractional, out of
 * range; shapes; dtypes; missing, renamed or extra tensors; metadata), special floats in tensor
 * data, impossible SNGP precisions (all zero, indefinite, asymmetric, scaled below the ridge), and
 * checkpoint.json fields (hyper-parameters, classes, feature names, standardisation, method) or its
 * text. Each mutant is a pure function of (seed, index) and carries a label saying what it did.
 */
import { Rng } from '@sngp/core';

export interface BaseCheckpoint {
  method: string;
  json: string;
  weights: Uint8Array;
}

export interface CheckpointMutant {
  json: string;
  weights: Uint8Array;
  label: string;
  /** The base it was made from, when not the one the index picked. */
  method?: string;
}

interface TensorEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const SPECIAL_FLOATS = [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e30, 1e300, -1e300, 0, -0, 1e-300, 65504];
const WEIRD_VALUES: unknown[] = [0, -1, 1, 2, 3, 2.5, 1e9, 1e300, -0, 100000, 2 ** 31, '', 'x', null, true, [], {}];
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

function parse(weights: Uint8Array): { header: Record<string, unknown>; headerLen: number } {
  const headerLen = Number(new DataView(weights.buffer, weights.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(weights.subarray(8, 8 + headerLen))), headerLen };
}

/** Re-encode `header` in front of the original data bytes (a consistent length field). */
function withHeader(weights: Uint8Array, headerLen: number, header: unknown): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const data = weights.subarray(8 + headerLen);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const tensorNames = (header: Record<string, unknown>) => Object.keys(header).filter((k) => k !== '__metadata__');

function stBytes(rng: Rng, b: BaseCheckpoint): CheckpointMutant {
  const out = Uint8Array.from(b.weights);
  const { headerLen } = parse(b.weights);
  const inHeader = rng.uniform() < 0.5;
  const n = 1 + rng.int(8);
  for (let i = 0; i < n; i++) {
    const p = inHeader ? rng.int(8 + headerLen) : rng.int(out.length);
    if (rng.uniform() < 0.5) out[p] ^= 1 << rng.int(8);
    else out[p] = rng.int(256);
  }
  return { json: b.json, weights: out, label: `${n} byte changes in the safetensors ${inHeader ? 'header' : 'file'}` };
}

function stFloats(rng: Rng, b: BaseCheckpoint): CheckpointMutant {
  const out = Uint8Array.from(b.weights);
  const { header, headerLen } = parse(out);
  const names = tensorNames(header);
  const name = pick(rng, names);
  const t = header[name] as TensorEntry;
  const size = (t.data_offsets[1] - t.data_offsets[0]) / (t.dtype === 'F64' ? 8 : 4);
  if (size === 0) return { json: b.json, weights: out, label: `no-op on empty ${name}` };
  const view = new DataView(out.buffer);
  const n = 1 + rng.int(4);
  const what: string[] = [];
  for (let i = 0; i < n; i++) {
    const at = rng.int(size);
    const v = pick(rng, SPECIAL_FLOATS);
    const p = 8 + headerLen + t.data_offsets[0] + at * (t.dtype === 'F64' ? 8 : 4);
    if (t.dtype === 'F64') view.setFloat64(p, v, true);
    else view.setFloat32(p, v, true);
    what.push(`${name}[${at}]=${v}`);
  }
  return { json: b.json, weights: out, label: `floats ${what.join(',')}` };
}

function stLength(rng: Rng, b: BaseCheckpoint): CheckpointMutant {
  const out = Uint8Array.from(b.weights);
  const { headerLen } = parse(out);
  const v = pick(rng, [0n, 1n, BigInt(headerLen - 1), BigInt(headerLen + 1), BigInt(headerLen + 8), BigInt(out.length), 2n ** 63n, 2n ** 64n - 1n, BigInt(rng.int(2 ** 31))]);
  new DataView(out.buffer).setBigUint64(0, v, true);
  return { json: b.json, weights: out, label: `header length ${v}` };
}

function stTruncateOrExtend(rng: Rng, b: BaseCheckpoint): CheckpointMutant {
  if (rng.uniform() < 0.6) {
    const n = rng.int(b.weights.length);
    return { json: b.json, weights: b.weights.slice(0, n), label: `safetensors truncated to ${n}` };
  }
  const extra = 1 + rng.int(64);
  const out = new Uint8Array(b.weights.length + extra);
  out.set(b.weights);
  return { json: b.json, weights: out, label: `${extra} bytes appended` };
}

function stHeader(rng: Rng, b: BaseCheckpoint): CheckpointMutant {
  const { header, headerLen } = parse(b.weights);
  const names = tensorNames(header);
  const name = pick(rng, names);
  const t = header[name] as TensorEntry;
  const other = header[pick(rng, names)] as TensorEntry;
  const edits: [string, () => void][] = [
    ['offsets shifted', () => { const d = pick(rng, [-8, -4, 4, 8]); t.data_offsets = [t.data_offsets[0] + d, t.data_offsets[1] + d]; }],
    ['offsets reversed', () => { t.data_offsets = [t.data_offsets[1], t.data_offsets[0]]; }],
    ['offsets negative', () => { t.data_offsets = [-t.data_offsets[1], -t.data_offsets[0]]; }],
    ['offsets fractional', () => { t.data_offsets = [t.data_offsets[0] + 0.5, t.data_offsets[1] + 0.5]; }],
    ['offsets as strings', () => { (t as unknown as { data_offsets: unknown }).data_offsets = t.data_offsets.map(String); }],
    ['offsets huge', () => { t.data_offsets = [2 ** 53, 2 ** 53 + (t.data_offsets[1] - t.data_offsets[0])]; }],
    ['offsets overlap another tensor', () => { t.data_offsets = [...other.data_offsets]; }],
    ['offsets swapped with another tensor', () => { [t.data_offsets, other.data_offsets] = [other.data_offsets, t.data_offsets]; }],
    ['offsets missing', () => { delete (t as Partial<TensorEntry>).data_offsets; }],
    ['shape dim changed', () => { const i = rng.int(Math.max(1, t.shape.length)); t.shape[i] = pick(rng, [0, -1, 1.5, (t.shape[i] ?? 1) + 1, (t.shape[i] ?? 1) * 2, 2 ** 40]); }],
    ['shape gains a dim of 1', () => { t.shape = [...t.shape, 1]; }],
    ['shape loses a dim', () => { t.shape = t.shape.slice(1); }],
    ['shape reversed', () => { t.shape = [...t.shape].reverse(); }],
    ['shape as string', () => { (t as unknown as { shape: unknown }).shape = String(t.shape); }],
    ['dtype changed', () => { t.dtype = pick(rng, ['F64', 'F32', 'I32', 'F16', 'BOOL', 'f32', '']); }],
    ['tensor deleted', () => { delete header[name]; }],
    ['tensor renamed', () => { header[`${name}.x`] = t; delete header[name]; }],
    ['tensor entry not an object', () => { header[name] = pick(rng, [null, 7, 'x', [1, 2]]); }],
    ['extra tensor', () => { header['extra'] = { dtype: 'F32', shape: [1], data_offsets: [0, 4] }; }],
    ['metadata not strings', () => { header['__metadata__'] = pick(rng, [{ format: 1 }, ['a'], 'x', null, { a: { b: 'c' } }]); }],
    ['header not an object', () => {}],
  ];
  const [what, edit] = pick(rng, edits);
  edit();
  const encoded = what === 'header not an object' ? [name] : header;
  return { json: b.json, weights: withHeader(b.weights, headerLen, encoded), label: `header: ${what} (${name})` };
}

function precision(rng: Rng, _: BaseCheckpoint, bases: BaseCheckpoint[]): CheckpointMutant {
  const b = bases.find((x) => x.method === 'sngp')!;
  const out = Uint8Array.from(b.weights);
  const { header, headerLen } = parse(out);
  const t = header['gp.precision'] as TensorEntry;
  const m = t.shape[0];
  const p = new Float64Array(out.slice(8 + headerLen + t.data_offsets[0], 8 + headerLen + t.data_offsets[1]).buffer);
  const i = rng.int(m);
  const j = (i + 1 + rng.int(m - 1)) % m;
  const edits: [string, () => void][] = [
    ['all zero', () => p.fill(0)],
    ['negated', () => p.forEach((v, k) => (p[k] = -v))],
    ['scaled by 1e-3 (eigenvalues below the ridge)', () => p.forEach((v, k) => (p[k] = v * 1e-3))],
    ['scaled by 1e30', () => p.forEach((v, k) => (p[k] = v * 1e30))],
    ['asymmetric entry', () => (p[i * m + j] += 1)],
    ['diagonal entry zeroed', () => (p[i * m + i] = 0)],
    ['symmetric pair made indefinite', () => (p[i * m + j] = p[j * m + i] = 1e6)],
    ['identity (valid: no data seen)', () => p.forEach((_, k) => (p[k] = k % (m + 1) === 0 ? 1 : 0))],
    ['tiny identity', () => p.forEach((_, k) => (p[k] = k % (m + 1) === 0 ? 1e-300 : 0))],
  ];
  const [what, edit] = pick(rng, edits);
  edit();
  out.set(new Uint8Array(p.buffer), 8 + headerLen + t.data_offsets[0]);
  return { json: b.json, weights: out, label: `precision: ${what}`, method: b.method };
}

/** Every JSON leaf path of `v` (arrays and objects included as paths too). */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = prefix.length ? [prefix] : [];
  if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) out.push(...paths(c, [...prefix, Array.isArray(v) ? Number(k) : k]));
  return out;
}

function setPath(root: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let o = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (value === undefined) delete o[last];
  else o[last] = value;
}

function jsonField(rng: Rng, b: BaseCheckpoint): CheckpointMutant {
  const cfg = JSON.parse(b.json) as Record<string, unknown>;
  const r = rng.uniform();
  let what: string;
  if (r < 0.35) {
    // Hyper-parameters: the numbers every loop and allocation is sized by.
    const key = pick(rng, Object.keys(cfg.hyperParameters as object));
    const v = pick(rng, [...WEIRD_VALUES, 1e6, 2 ** 30, 64, 5]);
    setPath(cfg, ['hyperParameters', key], v);
    what = `hyperParameters.${key}=${JSON.stringify(v)}`;
  } else if (r < 0.5) {
    const key = pick(rng, ['classes', 'featureNames']);
    const v = pick(rng, [[], ['a'], ['a', 'a'], [1, 2], ['a', 'b', 'c'], 'ab', [`${'x'.repeat(3000)}`, 'y'], ['', ' ']]);
    cfg[key] = v;
    what = `${key}=${JSON.stringify(v).slice(0, 40)}`;
  } else if (r < 0.62) {
    const d = (cfg.featureNames as string[]).length;
    const v = pick(rng, [
      null,
      { mean: [0], std: [1] },
      { mean: Array(d).fill(0), std: Array(d).fill(0) },
      { mean: Array(d).fill(0), std: Array(d).fill(-1) },
      { mean: Array(d).fill(1e39), std: Array(d).fill(1) },
      { mean: Array(d).fill(0), std: Array(d).fill(1e-300) },
      { mean: Array(d).fill(0), std: Array(d).fill(1e300) },
      { mean: Array(d).fill(3e38), std: Array(d).fill(1e-30) },
      { mean: 'x', std: [] },
    ]);
    cfg.standardization = v;
    what = `standardization=${JSON.stringify(v).slice(0, 60)}`;
  } else if (r < 0.7) {
    const v = pick(rng, ['deterministic', 'sngp', 'mc-dropout', 'ensemble', 'bayes']);
    cfg.method = v;
    what = `method=${v}`;
  } else {
    const all = paths(cfg);
    const path = pick(rng, all);
    const v = rng.uniform() < 0.2 ? undefined : pick(rng, WEIRD_VALUES);
    setPath(cfg, path, v);
    what = `${path.join('.')}=${v === undefined ? '(deleted)' : JSON.stringify(v)}`;
  }
  return { json: JSON.stringify(cfg, null, 2), weights: b.weights, label: `checkpoint.json ${what}` };
}

function jsonText(rng: Rng, b: BaseCheckpoint): CheckpointMutant {
  const bytes = new TextEncoder().encode(b.json);
  if (rng.uniform() < 0.4) {
    const n = rng.int(bytes.length);
    return { json: new TextDecoder().decode(bytes.subarray(0, n)), weights: b.weights, label: `checkpoint.json truncated to ${n}` };
  }
  const out = Uint8Array.from(bytes);
  const n = 1 + rng.int(6);
  for (let i = 0; i < n; i++) out[rng.int(out.length)] = pick(rng, [0x30 + rng.int(10), 0x2d, 0x2e, 0x65, 0x22, 0x7d, rng.int(256)]);
  return { json: new TextDecoder().decode(out), weights: b.weights, label: `checkpoint.json ${n} byte changes` };
}

const KINDS: [number, (rng: Rng, b: BaseCheckpoint, bases: BaseCheckpoint[]) => CheckpointMutant][] = [
  [12, stBytes],
  [14, stFloats],
  [6, stLength],
  [6, stTruncateOrExtend],
  [20, stHeader],
  [10, precision],
  [24, jsonField],
  [8, jsonText],
];

/** Mutant number `index` of `seed`: a pure function of both. */
export function mutateCheckpoint(bases: BaseCheckpoint[], seed: number, index: number): CheckpointMutant {
  const rng = new Rng(seed * 1_000_003 + index);
  const base = bases[index % bases.length];
  const total = KINDS.reduce((s, [w]) => s + w, 0);
  let r = rng.uniform() * total;
  for (const [w, kind] of KINDS) {
    if ((r -= w) < 0) {
      const m = kind(rng, base, bases);
      return { ...m, label: `${m.method ?? base.method}: ${m.label}` };
    }
  }
  throw new Error('unreachable');
}
