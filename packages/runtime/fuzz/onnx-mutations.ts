/**
 * Seeded mutations of real exported ONNX files: random bit flips and byte changes (mostly landing
 * in weights), special floats poked into the bytes, truncation, splicing two models, dropping or
 * duplicating chunks and top-level fields, and targeted model-card edits (the fields the runtime
 * validates at load). Each mutation returns the new bytes and a label saying what it did, so a
 * failing case can be reproduced from (seed, index) or read from its label.
 */
import { MODEL_CARD_KEYS, Rng } from '@sngp/core';
import { concat, readMetadata, stripField, withMetadata } from '../test/onnx-bytes.js';

export interface BaseModel {
  method: string;
  bytes: Uint8Array;
}

export interface Mutant {
  bytes: Uint8Array;
  label: string;
}

const SPECIAL_FLOATS = [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e30, 1e-45, -0, 65504, 1e10];
const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x08, 0x12, 0x7a];

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

/** Card values the runtime must refuse or survive, per key. */
const CARD_VALUES: Record<string, string[]> = {
  [MODEL_CARD_KEYS.classes]: ['[]', '["a"]', '"ab"', '["a","a"]', '["a","b","c"]', '[1,2]', '{"a":1}', 'null', '[', `["${'x'.repeat(5000)}","y"]`, '["a","b"]'],
  [MODEL_CARD_KEYS.featureNames]: ['[]', '["x"]', '["x","y","z"]', '["x","x"]', '[null,null]', '"xy"', '["a","b"]'],
  [MODEL_CARD_KEYS.formatVersion]: ['0', '2', '', 'one', '1.0', '-1', '1e0', 'NaN'],
  [MODEL_CARD_KEYS.method]: ['deterministic', 'sngp', 'mc-dropout', 'ensemble', 'bayes', ''],
  [MODEL_CARD_KEYS.meanFieldFactor]: ['NaN', 'Infinity', '-1', '1e308', '', '0', 'abc', '1e38'],
  [MODEL_CARD_KEYS.numSamples]: ['0', '-3', '2.5', '1e9', '100000', '', 'NaN', '1', '3', '1000'],
  [MODEL_CARD_KEYS.dropoutNoiseShape]: ['[]', '[6]', '[0,0]', '[-1,128]', '[2,32,1]', '[1000000,1000000]', '"x"', '[2.5,3]', '[0,16]', '[2,16]', '[16,2]'],
  [MODEL_CARD_KEYS.graphProbs]: ['true', 'false', 'yes', ''],
  [MODEL_CARD_KEYS.trainingMetrics]: ['{"acc":"x"}', '[]', 'null', '{', '{"acc":1e999}', '{}'],
};

function bitFlips(rng: Rng, b: Uint8Array): Mutant {
  const out = Uint8Array.from(b);
  const n = 1 + rng.int(8);
  const where: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = rng.int(out.length);
    out[p] ^= 1 << rng.int(8);
    where.push(p);
  }
  return { bytes: out, label: `bit flips at ${where.join(',')}` };
}

function byteChanges(rng: Rng, b: Uint8Array): Mutant {
  const out = Uint8Array.from(b);
  const n = 1 + rng.int(16);
  for (let i = 0; i < n; i++) out[rng.int(out.length)] = rng.uniform() < 0.5 ? rng.int(256) : pick(rng, INTERESTING_BYTES);
  return { bytes: out, label: `${n} byte changes` };
}

function floatPoke(rng: Rng, b: Uint8Array): Mutant {
  const out = Uint8Array.from(b);
  const view = new DataView(out.buffer);
  // Most of a model's bytes are float32 weights: land in the second half of the file, usually inside them.
  const n = 1 + rng.int(4);
  const what: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = Math.floor(out.length / 2) + rng.int(Math.max(1, out.length / 2 - 4));
    const v = pick(rng, SPECIAL_FLOATS);
    view.setFloat32(p, v, true);
    what.push(`${v}@${p}`);
  }
  return { bytes: out, label: `float poke ${what.join(',')}` };
}

function truncate(rng: Rng, b: Uint8Array): Mutant {
  const n = rng.int(b.length);
  return { bytes: b.slice(0, n), label: `truncated to ${n} of ${b.length}` };
}

function splice(rng: Rng, b: Uint8Array, other: BaseModel): Mutant {
  const cutA = rng.int(b.length);
  const cutB = rng.int(other.bytes.length);
  return { bytes: concat([b.subarray(0, cutA), other.bytes.subarray(cutB)]), label: `spliced [0, ${cutA}) + ${other.method}[${cutB}, end)` };
}

function chunkEdit(rng: Rng, b: Uint8Array): Mutant {
  const start = rng.int(b.length);
  const len = 1 + rng.int(Math.min(256, b.length - start));
  if (rng.uniform() < 0.5) return { bytes: concat([b.subarray(0, start), b.subarray(start + len)]), label: `deleted ${len} bytes at ${start}` };
  return { bytes: concat([b.subarray(0, start + len), b.subarray(start, start + len), b.subarray(start + len)]), label: `duplicated ${len} bytes at ${start}` };
}

function dropField(rng: Rng, b: Uint8Array): Mutant {
  // ModelProto: ir_version 1 (varint, kept), graph 7, opset_import 8, metadata_props 14.
  const field = pick(rng, [7, 8, 14]);
  return { bytes: stripField(b, field), label: `dropped field ${field}` };
}

function cardEdit(rng: Rng, b: Uint8Array): Mutant {
  const props = readMetadata(b);
  const edits: string[] = [];
  const n = 1 + (rng.uniform() < 0.3 ? rng.int(3) : 0);
  for (let i = 0; i < n; i++) {
    const r = rng.uniform();
    if (r < 0.1) {
      const key = pick(rng, Object.keys(props));
      delete props[key];
      edits.push(`deleted ${key}`);
    } else {
      const key = pick(rng, Object.keys(CARD_VALUES));
      props[key] = pick(rng, CARD_VALUES[key]);
      edits.push(`${key}=${props[key].slice(0, 40)}`);
    }
  }
  return { bytes: withMetadata(b, props), label: `card: ${edits.join('; ')}` };
}

/** Mutation kinds with their weights (card edits are common: they test validation, not luck). */
const KINDS: [number, (rng: Rng, b: Uint8Array, other: BaseModel) => Mutant][] = [
  [20, bitFlips],
  [15, byteChanges],
  [15, floatPoke],
  [8, truncate],
  [7, splice],
  [7, chunkEdit],
  [3, dropField],
  [25, cardEdit],
];

/** Mutant number `index` of `seed`: a pure function of both, so any case can be regenerated. */
export function mutateModel(bases: BaseModel[], seed: number, index: number): Mutant & { method: string } {
  const rng = new Rng(seed * 1_000_003 + index);
  const base = bases[index % bases.length];
  const total = KINDS.reduce((s, [w]) => s + w, 0);
  let r = rng.uniform() * total;
  for (const [w, kind] of KINDS) {
    if ((r -= w) < 0) {
      const m = kind(rng, base.bytes, pick(rng, bases));
      return { ...m, method: base.method, label: `${base.method}: ${m.label}` };
    }
  }
  throw new Error('unreachable');
}
