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
});

describe('model card', () => {
  it('round-trips through metadata_props entries', () => {
    const card = {
      formatVersion: 1, method: 'mc-dropout' as const, classes: ['a', 'b'], featureNames: ['x', 'y'],
      meanFieldFactor: null, numSamples: 10, dropoutNoiseShape: [6, 128], graphProbs: false, trainingMetrics: { acc: 0.99 },
    };
    const props = Object.fromEntries(encodeModelCard(card).map(({ key, value }) => [key, value]));
    expect(Object.keys(props).every((k) => k.startsWith('sngp.'))).toBe(true);
    expect(decodeModelCard(props)).toEqual(card);
  });

  it('rejects models that are not ours or incomplete', () => {
    expect(() => decodeModelCard({}, 'm.onnx')).toThrow(/m.onnx: not an SNGP toolkit model/);
    expect(() => decodeModelCard({ 'sngp.method': 'sngp', 'sngp.format_version': '1', 'sngp.classes': '["a","b"]', 'sngp.feature_names': '["x"]' }))
      .toThrow(/lacks "sngp.mean_field_factor"/);
  });
});
