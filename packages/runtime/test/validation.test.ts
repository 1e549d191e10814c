import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SngpError } from '@sngp/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOnnxHeader } from '@sngp/core';
import { loadModel, type SngpModel } from '../src/node.js';
import { OnnxSngpModel, checkGraph } from '../src/model.js';
import type { FloatTensor, Runner, ValueSignature } from '../src/ort-session.js';
import { METHODS, modelPath } from './fixtures.js';
import { stripField, withMetadata } from './onnx-bytes.js';

let model: SngpModel;
beforeAll(async () => {
  model = await loadModel(modelPath('sngp'), { device: 'cpu' });
});
afterAll(() => model.dispose());

async function predictError(features: unknown, options = {}): Promise<string> {
  const err = await model.predict(features as number[][], options).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SngpError);
  return (err as Error).message;
}

/** The choice a fake runner stands in for. */
const CPU = { requested: 'cpu' as const, provider: 'cpu', reason: 'cpu requested' };

describe('input validation names row and column', () => {
  it('empty input', async () => {
    expect(await predictError([])).toBe('features: empty input (no rows to predict)');
    expect(await predictError(new Float32Array(0))).toBe('features: empty input (no rows to predict)');
  });

  it('wrong width', async () => {
    expect(await predictError([[1, 2], [1, 2, 3]])).toMatch(/^features\[1\]: expected 2 values \(.+, .+\), got 3$/);
    expect(await predictError(new Float32Array(5))).toMatch(/Float32Array length 5 is not a multiple of the model's 2 features/);
    expect(await predictError(new Float32Array(6), { rows: 2 })).toMatch(/length 6 does not match rows 2 x 2 features/);
  });

  it('NaN and Infinity', async () => {
    expect(await predictError([[0, 0], [0, 0], [1, NaN]])).toMatch(/^features\[2\]\[1\] \(column 1 ".+"\): NaN is not a finite number$/);
    expect(await predictError([[-Infinity, 0]])).toMatch(/^features\[0\]\[0\] \(column 0 ".+"\): -Infinity is not a finite number$/);
    expect(await predictError(Float32Array.of(0, 0, 0, 0, 0, Infinity))).toMatch(/^features\[5\] \(row 2, column 1 ".+"\): Infinity/);
    expect(await predictError([[1e300, 0]])).toMatch(/outside the float32 range/);
  });

  it('non-numeric values', async () => {
    expect(await predictError([[1, '2']])).toMatch(/^features\[0\]\[1\] \(column 1 ".+"\): expected a number, got string "2"$/);
    expect(await predictError([[1, null]])).toMatch(/features\[0\]\[1\].*got null/);
    expect(await predictError([[1, 2], 'ab'])).toMatch(/^features\[1\]: expected an array of 2 numbers .*got string "ab"$/);
    expect(await predictError('1,2')).toMatch(/^features: expected number\[\]\[\] or Float32Array, got string/);
  });

  it('bad options', async () => {
    expect(await predictError([[0, 0]], { batchSize: 0 })).toMatch(/options.batchSize: expected a positive integer, got 0/);
    expect(await predictError([[0, 0]], { meanFieldFactor: NaN })).toMatch(/options.meanFieldFactor/);
  });

  it('options.threads: onnxruntime-node with one intra-op thread gives the same outputs; a bad count is refused', async () => {
    const x = new Float32Array([0.5, 0.25, 2.5, -1.75, -1, 0.3]);
    const one = await loadModel(modelPath('sngp'), { device: 'cpu', threads: 1 });
    const dflt = await loadModel(modelPath('sngp'), { device: 'cpu' });
    const [p1, p2] = [(await one.predict(x)).probs, (await dflt.predict(x)).probs];
    for (let i = 0; i < p1.length; i++) expect(Math.abs(p1[i] - p2[i])).toBeLessThan(1e-6);
    await one.dispose();
    await dflt.dispose();
    await expect(loadModel(modelPath('sngp'), { threads: 0 })).rejects.toThrow(/options.threads: expected a positive integer, got 0/);
    await expect(loadModel(modelPath('sngp'), { threads: 1.5 })).rejects.toThrow(/options.threads: expected a positive integer, got 1.5/);
  });

  it('a disposed model refuses to predict', async () => {
    const m = await loadModel(modelPath('deterministic'), { device: 'cpu' });
    await m.dispose();
    await expect(m.predict([[0, 0]])).rejects.toThrow(/disposed/);
  });
});

describe('model files', () => {
  const dir = tmpdir();
  const write = (name: string, data: Uint8Array | string): string => {
    const p = join(dir, `sngp-runtime-${process.pid}-${name}`);
    writeFileSync(p, data);
    return p;
  };

  it('reads the model card from metadata_props', () => {
    const header = readOnnxHeader(new Uint8Array(readFileSync(modelPath('mc-dropout'))), 'm');
    expect(header.irVersion).toBe(8);
    expect(header.opsets).toContainEqual({ domain: '', version: 17 });
    expect(header.metadata['sngp.method']).toBe('mc-dropout');
    const shape = JSON.parse(header.metadata['sngp.dropout_noise_shape']) as number[];
    expect(shape).toHaveLength(2);
    expect(shape.every((v) => Number.isInteger(v) && v > 0)).toBe(true);
  });

  it('not ONNX at all', async () => {
    const p = write('text.onnx', '{"hello": "world"}\n');
    await expect(loadModel(p)).rejects.toThrow(new RegExp(`^${p}: not an ONNX model`));
    await expect(loadModel(new Uint8Array(0))).rejects.toThrow(/not an ONNX model/);
  });

  it('ONNX without our model card', async () => {
    // Same model with the metadata_props (field 14) entries dropped: a valid ONNX file of someone else's.
    const bytes = new Uint8Array(readFileSync(modelPath('deterministic')));
    const stripped = stripField(bytes, 14);
    expect(stripped.length).toBeLessThan(bytes.length);
    const p = write('plain.onnx', stripped);
    await expect(loadModel(p)).rejects.toThrow(`${p}: not an SNGP toolkit model (metadata key "sngp.method" is missing)`);
  });

  it('missing file and directory', async () => {
    await expect(loadModel(join(dir, 'does-not-exist.onnx'))).rejects.toThrow(/does-not-exist.onnx: cannot read the model: no such file/);
    await expect(loadModel(dir)).rejects.toThrow(/is a directory/);
  });
});

describe('no silent NaN: every output is checked', () => {
  it.each(METHODS)('%s: finite features that overflow inside the graph throw, naming the row and output', async (method) => {
    const m = await loadModel(modelPath(method), { device: 'cpu' });
    try {
      const err = await m.predict([[0.5, 0.2], [3e38, -3e38], [0, 1]]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SngpError);
      expect((err as Error).message).toMatch(
        new RegExp(`^${modelPath(method)}: input row 1 gives a non-finite output "(logits|variance|probs)" \\((NaN|-?Infinity)\\); check the input's scale: features must be finite and within the range the model was trained on`),
      );
      // Chunked: the row index is the caller's, not the chunk's.
      await expect(m.predict([[0.5, 0.2], [0, 1], [3e38, -3e38], [3e38, 3e38]], { batchSize: 1 })).rejects.toThrow(/input row 2 \(and 1 more row\) gives/);
    } finally {
      await m.dispose();
    }
  });

  it.each(METHODS)("%s: nonFinite: 'mark' flags the bad rows and leaves the others exact", async (method) => {
    const m = await loadModel(modelPath(method), { device: 'cpu' });
    try {
      const good = [[0.5, 0.2], [0, 1], [-1, 0.5]];
      const clean = await m.predict(good);
      expect(clean.invalid).toBeUndefined();
      const p = await m.predict([good[0], [3e38, -3e38], good[1], good[2]], { nonFinite: 'mark' });
      expect(Array.from(p.invalid!)).toEqual([0, 1, 0, 0]);
      expect(p.predicted[1]).toBe(-1);
      expect(Number.isNaN(p.probs[2]) && Number.isNaN(p.probs[3]) && Number.isNaN(p.confidence[1]) && Number.isNaN(p.uncertainty[1])).toBe(true);
      const keep = [0, 2, 3];
      keep.forEach((r, i) => {
        expect(p.predicted[r]).toBe(clean.predicted[i]);
        expect(p.probs[2 * r]).toBeCloseTo(clean.probs[2 * i], 6);
        expect(p.uncertainty[r]).toBeCloseTo(clean.uncertainty[i], 6);
      });
    } finally {
      await m.dispose();
    }
  });

  it('rejects an unknown nonFinite policy', async () => {
    expect(await predictError([[0, 0]], { nonFinite: 'ignore' })).toBe(`options.nonFinite: expected 'throw' or 'mark', got "ignore"`);
  });
});

/** A stand-in for an onnxruntime session: fixed outputs, a declared signature. */
function fakeRunner(opts: {
  inputs?: string[];
  outputs?: string[];
  signature?: Record<string, ValueSignature>;
  run?: (feeds: Record<string, FloatTensor>) => Record<string, Float32Array>;
}): Runner {
  return {
    inputNames: opts.inputs ?? ['features'],
    outputNames: opts.outputs ?? ['logits', 'variance'],
    featureDim: null,
    signature: opts.signature ?? {},
    run: async (feeds) => {
      const out: Record<string, FloatTensor> = {};
      const produced: Record<string, Float32Array> = opts.run ? opts.run(feeds) : {};
      for (const [k, data] of Object.entries(produced)) out[k] = { data, dims: [data.length] };
      return out;
    },
    release: async () => {},
  };
}

const sngpCard = {
  formatVersion: 1, method: 'sngp' as const, classes: ['a', 'b'], featureNames: ['x', 'y'], meanFieldFactor: Math.PI / 8,
  numSamples: null, dropoutNoiseShape: null, graphProbs: false, trainingMetrics: {},
};

describe('outputs of a model that runs', () => {
  it('names the output that is not finite (here the SNGP variance, logits fine)', async () => {
    const runner = fakeRunner({
      run: (f) => {
        const n = f.features.dims[0];
        return { logits: new Float32Array(2 * n).fill(0.5), variance: Float32Array.from({ length: n }, (_, i) => (i === 1 ? Infinity : 0.1)) };
      },
    });
    const m = new OnnxSngpModel(runner, sngpCard, {}, CPU, 100, 'fake.onnx');
    await expect(m.predict([[0, 0], [1, 1]])).rejects.toThrow(/^fake.onnx: input row 1 gives a non-finite output "variance" \(Infinity\)/);
    const marked = await m.predict([[0, 0], [1, 1]], { nonFinite: 'mark' });
    expect(Array.from(marked.invalid!)).toEqual([0, 1]);
    expect(marked.probs[0]).toBeCloseTo(0.5, 6);
  });

  it('when every row fails, says the model is the likely culprit', async () => {
    const runner = fakeRunner({ run: (f) => ({ logits: new Float32Array(2 * f.features.dims[0]).fill(NaN), variance: new Float32Array(f.features.dims[0]) }) });
    await expect(new OnnxSngpModel(runner, sngpCard, {}, CPU, 100, 'fake.onnx').predict([[0, 0], [1, 1], [2, 2]])).rejects.toThrow(
      /^fake.onnx: input row 0 \(and all 2 other rows\) gives a non-finite output "logits" \(NaN\): the model itself is likely broken .*re-export it/,
    );
  });

  it('clamps a slightly negative variance at 0 in the mean-field (no NaN from the square root)', async () => {
    const runner = fakeRunner({ run: () => ({ logits: Float32Array.of(4, 0), variance: Float32Array.of(-1e9) }) });
    const p = await new OnnxSngpModel(runner, sngpCard, {}, CPU, 100).predict([[0, 0]]);
    expect(p.probs[0]).toBeCloseTo(1 / (1 + Math.exp(-4)), 6); // as if the variance were 0
  });

  it('an onnxruntime failure while running is an SngpError naming the model', async () => {
    const runner = fakeRunner({ run: () => { throw new Error('Non-zero status code returned while running MatMul node.\nStacktrace: ...'); } });
    await expect(new OnnxSngpModel(runner, sngpCard, {}, CPU, 100, 'bad.onnx').predict([[0, 0]])).rejects.toThrow(
      new SngpError('bad.onnx: onnxruntime cannot run the model: Non-zero status code returned while running MatMul node.'),
    );
  });
});

describe('the model card must match the graph', () => {
  const sig = (shape: (number | string)[], type = 'float32'): ValueSignature => ({ type, shape });
  const check = (card: object, runner: Runner) => () => checkGraph({ ...sngpCard, ...card }, runner, 'm.onnx');

  it('classes vs logits / probs width', () => {
    const runner = fakeRunner({ signature: { features: sig(['N', 2]), logits: sig(['N', 2]), variance: sig(['N']) } });
    expect(check({}, runner)).not.toThrow();
    expect(check({ classes: ['a', 'b', 'c'] }, runner)).toThrow(
      'm.onnx: graph output "logits" has size 2 in dimension 1 but the model card names 3 classes; re-export the model with sngp-export',
    );
    const ens = fakeRunner({ outputs: ['logits', 'probs'], signature: { probs: sig(['N', 4]), logits: sig([3, 'N', 4]) } });
    expect(check({ method: 'ensemble', numSamples: 3, meanFieldFactor: null }, ens)).toThrow(/graph output "probs" has size 4 in dimension 1 but the model card names 2 classes/);
  });

  it('features vs input width, member count, noise shape, rank and element type', () => {
    expect(check({}, fakeRunner({ signature: { features: sig(['N', 3]) } }))).toThrow(/graph input "features" has size 3 in dimension 1 but the model card names 2 features/);
    expect(check({}, fakeRunner({ signature: { variance: sig(['N', 1]) } }))).toThrow(/graph output "variance" has shape \[N,1\], expected 1 dimensions/);
    expect(check({}, fakeRunner({ signature: { logits: sig(['N', 2], 'float64') } }))).toThrow(/graph output "logits" is float64, expected float32/);
    const ens = fakeRunner({ outputs: ['logits', 'probs'], signature: { logits: sig([3, 'N', 2]) } });
    expect(check({ method: 'ensemble', numSamples: 5, meanFieldFactor: null }, ens)).toThrow(/graph output "logits" has size 3 in dimension 0 but the model card says 5 members/);
    const mc = fakeRunner({ inputs: ['features', 'dropout_noise'], outputs: ['logits', 'probs'], signature: { dropout_noise: sig(['T', 2, 16]) } });
    const mcCard = { method: 'mc-dropout', numSamples: 4, meanFieldFactor: null };
    expect(check({ ...mcCard, dropoutNoiseShape: [2, 16] }, mc)).not.toThrow();
    expect(check({ ...mcCard, dropoutNoiseShape: [2, 32] }, mc)).toThrow(/graph input "dropout_noise" has size 16 in dimension 2 but the model card's noise shape is \[2, 32\]/);
  });

  it('a real model whose card was edited is refused at load with one line', async () => {
    const bytes = new Uint8Array(readFileSync(modelPath('sngp')));
    const card = (await loadModel(bytes, { device: 'cpu' }).then(async (m) => { const c = m.info.metadata; await m.dispose(); return c; }));
    const edited = (changes: Record<string, string>) => withMetadata(bytes, { ...card, ...changes });
    await expect(loadModel(edited({ 'sngp.classes': '["a","b","c"]' }), { device: 'cpu' })).rejects.toThrow(
      /^model bytes \(\d+ B\): graph output "logits" has size 2 in dimension 1 but the model card names 3 classes; re-export the model with sngp-export$/,
    );
    await expect(loadModel(edited({ 'sngp.feature_names': '["x"]' }), { device: 'cpu' })).rejects.toThrow(/graph input "features" has 2 columns but the model card names 1 features/);
    await expect(loadModel(edited({ 'sngp.classes': '["a"]' }), { device: 'cpu' })).rejects.toThrow(/model card key "sngp.classes" must be a JSON array of at least 2 unique strings, got \["a"\]/);
    await expect(loadModel(edited({ 'sngp.classes': '"ab"' }), { device: 'cpu' })).rejects.toThrow(/"sngp.classes" must be/);
  });
});
