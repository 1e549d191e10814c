import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Checkpoint,
  type CheckpointConfig,
  DEFAULT_HYPER_PARAMETERS,
  type NamedTensor,
  Rng,
  checkpointTensorSpec,
  decodeModelCard,
  decodeSafetensors,
  encodeModelCard,
  encodeSafetensors,
  tensor,
} from '../src/index.js';
import { checkpointTensorCount } from '../src/checkpoint.js';
import { readCheckpoint, writeCheckpoint } from '../src/node.js';

function fakeCheckpoint(method: CheckpointConfig['method'], seed = 0): Checkpoint {
  const hp = { ...DEFAULT_HYPER_PARAMETERS, inputDim: 2, numClasses: 2, hiddenDim: 4, numLayers: 2, numRandomFeatures: 8, ensembleSize: 2 };
  const rng = new Rng(seed);
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, s] of Object.entries(checkpointTensorSpec(method, hp))) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const data = s.dtype === 'F64' ? new Float64Array(size) : new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = rng.normal();
    tensors[name] = tensor(data, s.shape);
  }
  const config: CheckpointConfig = {
    format: 'sngp-checkpoint',
    formatVersion: 1,
    method,
    hyperParameters: hp,
    training: { data: 'moons', labelColumn: null, epochs: 1, batchSize: 128, learningRate: 1e-4, seed, trainRows: 1000, validationRows: 0 },
    classes: ['0', '1'],
    featureNames: ['x', 'y'],
    standardization: null,
    metrics: { trainAccuracy: 0.5 },
    versions: {},
    backend: 'none',
    createdAt: new Date(0).toISOString(),
  };
  return { config, tensors };
}

describe('safetensors', () => {
  it('round-trips F32/F64/I32 tensors and metadata', () => {
    const t = {
      a: tensor(new Float32Array([1.5, -2, 3, 4]), [2, 2]),
      b: tensor(new Float64Array([Math.PI]), [1]),
      c: tensor(new Int32Array([7, -8, 9]), [3]),
    };
    const { tensors, metadata } = decodeSafetensors(encodeSafetensors(t, { k: 'v' }));
    expect(metadata).toEqual({ k: 'v' });
    for (const [name, v] of Object.entries(t)) {
      expect(tensors[name].dtype).toBe(v.dtype);
      expect(tensors[name].shape).toEqual(v.shape);
      expect([...tensors[name].data]).toEqual([...v.data]);
    }
  });

  it('is readable by numpy with nothing but the layout', () => {
    const bytes = encodeSafetensors({ w: tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]) });
    const dir = mkdtempSync(join(tmpdir(), 'st-'));
    writeFileSync(join(dir, 'w.safetensors'), bytes);
    const script = [
      'import json, struct, sys, numpy as np',
      'b = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8+n])',
      's, e = h["w"]["data_offsets"]; a = np.frombuffer(b[8+n+s:8+n+e], dtype="<f4").reshape(h["w"]["shape"])',
      'print(json.dumps(a.sum(axis=0).tolist()))',
    ].join('\n');
    const out = execFileSync('/usr/bin/python3', ['-c', script, join(dir, 'w.safetensors')], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([5, 7, 9]);
  });

  it('rejects truncated files and bad headers with the file name', () => {
    const bytes = encodeSafetensors({ w: tensor(new Float32Array(16), [16]) });
    expect(() => decodeSafetensors(bytes.subarray(0, 4), 'w.st')).toThrow(/w.st: truncated/);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4), 'w.st')).toThrow(/w.st: truncated \(tensor "w"/);
    const bad = new Uint8Array(bytes);
    bad[8] = 0x7b + 1; // corrupt the opening brace
    expect(() => decodeSafetensors(bad, 'w.st')).toThrow(/w.st: invalid header JSON/);
  });
});

/** A safetensors file with a hand-written header (padded to 8 bytes) and `dataBytes` of data. */
function rawSafetensors(header: unknown, dataBytes: number): Uint8Array {
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

describe('safetensors validation (what the format requires)', () => {
  const f32 = (shape: unknown, offsets: unknown) => ({ dtype: 'F32', shape, data_offsets: offsets });
  const decode = (header: unknown, dataBytes: number) => () => decodeSafetensors(rawSafetensors(header, dataBytes), 'w.st');

  it('accepts tensors in any header order as long as their offsets tile the data', () => {
    const { tensors } = decodeSafetensors(rawSafetensors({ b: f32([2], [8, 16]), a: f32([2], [0, 8]), e: f32([0], [16, 16]) }, 16));
    expect(Object.keys(tensors).sort()).toEqual(['a', 'b', 'e']);
    expect(tensors.e.data.length).toBe(0);
  });

  it('refuses overlapping, gapped, uncovered and out-of-range offsets', () => {
    expect(decode({ a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, 12)).toThrow(/w.st: tensor "b" \(bytes 4-12\) overlaps the tensor before it \(ends at 8\)/);
    expect(decode({ a: f32([2], [0, 8]), b: f32([2], [0, 8]) }, 8)).toThrow(/overlaps/);
    expect(decode({ a: f32([2], [4, 12]) }, 12)).toThrow(/w.st: 4 unused bytes before tensor "a"/);
    expect(decode({ a: f32([2], [0, 8]) }, 12)).toThrow(/w.st: 4 bytes after the last tensor/);
    expect(decode({ a: f32([2], [8, 0]) }, 8)).toThrow(/data_offsets \[8, 0\] end before they begin/);
    expect(decode({ a: f32([2], [0, 8]) }, 4)).toThrow(/w.st: truncated \(tensor "a" ends/);
  });

  it('refuses negative, fractional or non-numeric offsets and shapes', () => {
    expect(decode({ a: f32([2], [-8, 0]) }, 0)).toThrow(/tensor "a": data_offsets must be two non-negative integers, got \[-8,0\]/);
    expect(decode({ a: f32([2], [0.5, 8.5]) }, 8)).toThrow(/data_offsets must be two non-negative integers/);
    expect(decode({ a: f32([2], ['0', '8']) }, 8)).toThrow(/data_offsets must be two non-negative integers/);
    expect(decode({ a: f32([2], [0, 8, 16]) }, 8)).toThrow(/data_offsets must be two non-negative integers/);
    expect(decode({ a: f32([-2], [0, 8]) }, 8)).toThrow(/tensor "a": shape must be an array of non-negative integers, got \[-2\]/);
    expect(decode({ a: f32([1.5, 2], [0, 12]) }, 12)).toThrow(/shape must be an array of non-negative integers/);
    expect(decode({ a: f32('2', [0, 8]) }, 8)).toThrow(/shape must be an array of non-negative integers/);
    expect(decode({ a: f32([2 ** 40, 2 ** 40], [0, 8]) }, 8)).toThrow(/of shape \[1099511627776,1099511627776\] has 8 bytes, expected 4\.8\d*e\+24/);
    expect(decode({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, 4)).toThrow(/unsupported dtype "F16"/);
    expect(decode({ a: 7 }, 0)).toThrow(/tensor "a" is not an object/);
  });

  it('refuses metadata that is not string to string, a non-object header and an absurd header length', () => {
    expect(decode({ __metadata__: { k: 1 } }, 0)).toThrow(/"__metadata__" entry "k" is not a string/);
    expect(decode({ __metadata__: ['a'] }, 0)).toThrow(/"__metadata__" must be an object of strings/);
    expect(decode([1, 2], 0)).toThrow(/header is not a JSON object/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
    expect(() => decodeSafetensors(huge, 'w.st')).toThrow(/w.st: header length 9223372036854775808 exceeds the 100000000-byte limit/);
    const invalidUtf8 = rawSafetensors({}, 0);
    invalidUtf8[8] = 0xff;
    expect(() => decodeSafetensors(invalidUtf8, 'w.st')).toThrow(/w.st: invalid header JSON/);
  });

  it('keeps a tensor named "__proto__" as a tensor', () => {
    const bytes = new TextEncoder().encode('{"__proto__":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}');
    const out = new Uint8Array(8 + bytes.length + 4);
    new DataView(out.buffer).setBigUint64(0, BigInt(bytes.length), true);
    out.set(bytes, 8);
    out.set([7, 0, 0, 0], 8 + bytes.length);
    const { tensors } = decodeSafetensors(out);
    expect(Object.keys(tensors)).toEqual(['__proto__']);
    expect([...tensors['__proto__'].data]).toEqual([7]);
  });
});

describe('checkpoint I/O', () => {
  it.each(['deterministic', 'sngp', 'mc-dropout', 'ensemble'] as const)('round-trips a %s checkpoint', (method) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ck-')), 'model');
    const ck = fakeCheckpoint(method);
    writeCheckpoint(dir, ck);
    const back = readCheckpoint(dir);
    expect(back.config).toEqual(ck.config);
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(ck.tensors).sort());
    for (const [k, t] of Object.entries(ck.tensors)) expect([...back.tensors[k].data]).toEqual([...t.data]);
  });

  it('replaces an existing checkpoint whole and leaves no temp files', () => {
    const parent = mkdtempSync(join(tmpdir(), 'ck-'));
    const dir = join(parent, 'model');
    writeCheckpoint(dir, fakeCheckpoint('deterministic', 1));
    writeCheckpoint(dir, fakeCheckpoint('sngp', 2));
    expect(readCheckpoint(dir).config.method).toBe('sngp');
    expect(readdirSync(parent)).toEqual(['model']);
  });

  it('refuses to write an incomplete checkpoint and keeps the old one', () => {
    const parent = mkdtempSync(join(tmpdir(), 'ck-'));
    const dir = join(parent, 'model');
    writeCheckpoint(dir, fakeCheckpoint('deterministic'));
    const before = readFileSync(join(dir, 'weights.safetensors'));
    const broken = fakeCheckpoint('sngp');
    delete broken.tensors['gp.beta'];
    expect(() => writeCheckpoint(dir, broken)).toThrow(/missing tensor "gp.beta"/);
    expect(readFileSync(join(dir, 'weights.safetensors'))).toEqual(before);
    expect(readdirSync(parent)).toEqual(['model']);
  });

  it('names what is wrong when reading', () => {
    const parent = mkdtempSync(join(tmpdir(), 'ck-'));
    expect(() => readCheckpoint(join(parent, 'nope'))).toThrow(/does not exist/);
    const dir = join(parent, 'm');
    writeCheckpoint(dir, fakeCheckpoint('sngp'));
    const cfg = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    cfg.method = 'bayes';
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(cfg));
    expect(() => readCheckpoint(dir)).toThrow(/checkpoint.json: field "method"/);
    cfg.method = 'sngp';
    cfg.hyperParameters.hiddenDim = 5;
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(cfg));
    expect(() => readCheckpoint(dir)).toThrow(/tensor "input.kernel" has shape \[2,4\], expected \[2,5\]/);
    expect(existsSync(join(dir, 'weights.safetensors'))).toBe(true);
  });

  it('refuses corrupt layer and member counts before listing the tensors they imply', () => {
    // Found by the fuzz stage: numLayers = 1e9 used to build a billion tensor names (a hang).
    const dir = join(mkdtempSync(join(tmpdir(), 'ck-')), 'm');
    for (const [method, field, value, needed] of [
      ['sngp', 'numLayers', 1e9, 3e9 + 7],
      ['ensemble', 'ensembleSize', 1e6, 1e6 * 8],
    ] as const) {
      writeCheckpoint(dir, fakeCheckpoint(method));
      const cfg = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
      cfg.hyperParameters[field] = value;
      writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(cfg));
      expect(() => readCheckpoint(dir)).toThrow(new RegExp(`needs ${needed} tensors, the file has \\d+ \\(checkpoint.json does not match the weights\\)`));
    }
  });

  it('counts the tensors of every method as the spec lists them', () => {
    for (const method of ['deterministic', 'sngp', 'mc-dropout', 'ensemble'] as const)
      for (const numLayers of [0, 1, 3])
        for (const ensembleSize of [1, 4]) {
          const hp = { ...DEFAULT_HYPER_PARAMETERS, inputDim: 2, numClasses: 2, numLayers, ensembleSize };
          expect(checkpointTensorCount(method, hp), `${method} ${numLayers} ${ensembleSize}`).toBe(Object.keys(checkpointTensorSpec(method, hp)).length);
        }
  });
});

describe('model card', () => {
  it('round-trips through metadata_props entries', () => {
    const card = {
      formatVersion: 1, method: 'mc-dropout' as const, classes: ['a', 'b'], featureNames: ['x', 'y'],
      meanFieldFactor: null, numSamples: 10, dropoutNoiseShape: [6, 128], graphProbs: false, trainingMetrics: { acc: 0.99 },
    };
    const props = Object.fromEntries(encodeModelCard(card).map(({ key, value }) => [key, value]));
    expect(Object.keys(props).every((k) => k.startsWith('sngp.'))).toBe(true);
    // Optional SNGP-only keys that are absent decode as null.
    expect(decodeModelCard(props)).toEqual({ ...card, temperature: null, calibration: null, training: null, posterior: null });
    // ... and present ones round-trip.
    const sngp = {
      ...card, method: 'sngp' as const, meanFieldFactor: 0.4, numSamples: null, dropoutNoiseShape: null, temperature: 0.8,
      calibration: { data: 'validation split', rows: 200, nllBefore: 0.3, nllAfter: 0.2 }, posterior: null,
    };
    const back = decodeModelCard(Object.fromEntries(encodeModelCard(sngp).map(({ key, value }) => [key, value])));
    expect(back).toMatchObject({ temperature: 0.8, calibration: sngp.calibration, meanFieldFactor: 0.4 });
  });

  describe('validates every field at load', () => {
    const valid = encodeModelCard({
      formatVersion: 1, method: 'mc-dropout', classes: ['a', 'b'], featureNames: ['x', 'y'],
      meanFieldFactor: null, numSamples: 10, dropoutNoiseShape: [2, 16], graphProbs: false, trainingMetrics: { acc: 0.9 },
    });
    const props = (changes: Record<string, string | undefined>): Record<string, string> => {
      const p: Record<string, string> = Object.fromEntries(valid.map(({ key, value }) => [key, value]));
      for (const [k, v] of Object.entries(changes)) if (v === undefined) delete p[k]; else p[k] = v;
      return p;
    };
    const cases: [string, Record<string, string | undefined>, RegExp][] = [
      ['no classes', { 'sngp.classes': '[]' }, /m.onnx: model card key "sngp.classes" must be a JSON array of at least 2 unique strings, got \[\]; re-export/],
      ['one class', { 'sngp.classes': '["a"]' }, /"sngp.classes" must be a JSON array of at least 2 unique strings, got \["a"\]/],
      ['classes as a string', { 'sngp.classes': '"ab"' }, /"sngp.classes" must be .* got "ab"/],
      ['duplicate classes', { 'sngp.classes': '["a","a"]' }, /"sngp.classes" must be a JSON array of at least 2 unique strings/],
      ['numeric classes', { 'sngp.classes': '[0,1]' }, /"sngp.classes" must be/],
      ['no feature names', { 'sngp.feature_names': '[]' }, /"sngp.feature_names" must be a JSON array of at least 1 unique string, got \[\]/],
      ['duplicate feature names', { 'sngp.feature_names': '["x","x"]' }, /"sngp.feature_names" must be/],
      ['feature names not JSON', { 'sngp.feature_names': '[x' }, /"sngp.feature_names" is not valid JSON/],
      ['format version 2', { 'sngp.format_version': '2' }, /format version 2, this runtime reads 1/],
      ['format version missing', { 'sngp.format_version': undefined }, /format version null, this runtime reads 1/],
      ['zero samples', { 'sngp.num_samples': '0' }, /"sngp.num_samples" must be an integer in \[1, 100000\], got 0/],
      ['fractional samples', { 'sngp.num_samples': '2.5' }, /"sngp.num_samples" must be an integer/],
      ['huge samples', { 'sngp.num_samples': '1e9' }, /"sngp.num_samples" must be an integer in \[1, 100000\]/],
      ['empty samples', { 'sngp.num_samples': '' }, /"sngp.num_samples" is not a finite number: ""/],
      ['noise shape rank 3', { 'sngp.dropout_noise_shape': '[1,2,3]' }, /"sngp.dropout_noise_shape" must be \[numLayers >= 0, hiddenDim >= 1\]/],
      ['noise width 0', { 'sngp.dropout_noise_shape': '[2,0]' }, /"sngp.dropout_noise_shape" must be/],
      ['negative layers', { 'sngp.dropout_noise_shape': '[-1,4]' }, /"sngp.dropout_noise_shape" must be/],
      ['noise too large', { 'sngp.dropout_noise_shape': '[1000,100000]' }, /asks for 1000000000 dropout noise values per call/],
      ['graph_probs not boolean', { 'sngp.graph_probs': 'yes' }, /"sngp.graph_probs" must be "true" or "false", got "yes"/],
      ['metrics not numbers', { 'sngp.training_metrics': '{"acc":"high"}' }, /"sngp.training_metrics" must be a JSON object of finite numbers/],
      ['mean-field factor Infinity', { 'sngp.mean_field_factor': 'Infinity' }, /"sngp.mean_field_factor" is not a finite number: "Infinity"/],
      ['unknown method', { 'sngp.method': 'bayes' }, /unknown method "bayes" in model card \(expected one of: deterministic, sngp, mc-dropout, ensemble\)/],
    ];
    it.each(cases)('%s', (_name, changes, pattern) => {
      expect(() => decodeModelCard(props(changes), 'm.onnx')).toThrow(pattern);
    });
    it('accepts the valid card and an MC dropout net without residual blocks', () => {
      expect(decodeModelCard(props({})).numSamples).toBe(10);
      expect(decodeModelCard(props({ 'sngp.dropout_noise_shape': '[0,16]' })).dropoutNoiseShape).toEqual([0, 16]);
    });
  });

  it('rejects models that are not ours or incomplete', () => {
    expect(() => decodeModelCard({}, 'm.onnx')).toThrow(/m.onnx: not an SNGP toolkit model/);
    expect(() => decodeModelCard({ 'sngp.method': 'sngp', 'sngp.format_version': '1', 'sngp.classes': '["a","b"]', 'sngp.feature_names': '["x"]' }))
      .toThrow(/lacks "sngp.mean_field_factor"/);
  });
});
