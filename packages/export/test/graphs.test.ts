/** Graph variants on random-weight checkpoints: standardisation, K > 2, D != 2, mean-field probs, edge cases. */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { meanFieldProbs, ONNX_NAMES, softmaxRows, tensor } from '@sngp/core';
import { decodeModel, encodeModel, exportModel, ONNX_IR_VERSION, ONNX_OPSET, referenceForward, verifyModel } from '../src/index.js';
import { sngpGraph } from '../src/graphs/sngp.js';
import { randomCheckpoint } from './fixtures.js';

async function runModel(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run(feeds);
  await s.release();
  return out;
}

const std3 = { mean: [1, -2, 0.5], std: [2, 0.5, 3] };

describe('graph variants', () => {
  for (const method of ['deterministic', 'sngp', 'mc-dropout', 'ensemble'] as const) {
    it(`${method}: standardisation in the graph, 3 features, 3 classes`, async () => {
      const ckpt = randomCheckpoint(method, { hp: { inputDim: 3, numClasses: 3 }, standardization: std3 });
      const { bytes } = exportModel(ckpt);
      const v = await verifyModel(bytes, ckpt);
      expect(v.points).toMatch(/Gaussian/);
      expect(v.failures).toEqual([]);
      // The same weights without standardisation give different logits: the graph really applies it.
      const raw = exportModel({ ...ckpt, config: { ...ckpt.config, standardization: null } }).bytes;
      const x = new ort.Tensor('float32', Float32Array.from([1, 2, 3, -1, 0, 4]), [2, 3]);
      const feeds: Record<string, ort.Tensor> = { [ONNX_NAMES.features]: x };
      const hp = ckpt.config.hyperParameters;
      if (method === 'mc-dropout')
        feeds[ONNX_NAMES.dropoutNoise] = new ort.Tensor('float32', new Float32Array(hp.mcSamples * hp.numLayers * hp.hiddenDim).fill(0.5), [hp.mcSamples, hp.numLayers, hp.hiddenDim]);
      const a = (await runModel(bytes, feeds)).logits.data as Float32Array;
      const b = (await runModel(raw, feeds)).logits.data as Float32Array;
      expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeGreaterThan(1e-3);
    }, 60_000);
  }

  it('sngp --mean-field-probs: probs = softmax(logits / sqrt(1 + lambda var)) in the graph', async () => {
    for (const lambda of [Math.PI / 8, 3 / Math.PI ** 2, -1]) {
      const ckpt = randomCheckpoint('sngp', { hp: { numClasses: 3, meanFieldFactor: lambda } });
      const { bytes, report } = exportModel(ckpt, { meanFieldProbs: true });
      expect(report.outputs).toEqual(['logits', 'variance', 'probs']);
      expect(report.card.graphProbs).toBe(true);
      const v = await verifyModel(bytes, ckpt);
      expect(v.failures).toEqual([]);
      expect(v.maxProbsDiff).toBeLessThanOrEqual(1e-4);
      const x = Float32Array.from([0, 0, 2.5, -1.75, 10, 10]);
      const out = await runModel(bytes, { features: new ort.Tensor('float32', x, [3, 2]) });
      const logits = out.logits.data as Float32Array;
      const expected = lambda < 0 ? softmaxRows(logits, 3) : meanFieldProbs(logits, out.variance.data as Float32Array, 3, lambda);
      const probs = out.probs.data as Float32Array;
      for (let i = 0; i < probs.length; i++) expect(Math.abs(probs[i] - expected[i])).toBeLessThan(1e-6);
    }
  }, 60_000);

  it('verification fails (and says why) when the model does not match the checkpoint', async () => {
    for (const method of ['deterministic', 'sngp'] as const) {
      const { bytes } = exportModel(randomCheckpoint(method, { seed: 1 }));
      const v = await verifyModel(bytes, randomCheckpoint(method, { seed: 2 }));
      expect(v.passed).toBe(false);
      expect(v.failures.join()).toMatch(/logits diff/);
    }
  }, 60_000);

  it('sngp without the option has no probs output and graph_probs false', () => {
    const { report } = exportModel(randomCheckpoint('sngp'));
    expect(report.outputs).toEqual(['logits', 'variance']);
    expect(report.card.graphProbs).toBe(false);
  });

  it('sngp: a precision that cannot be ridge * I + Phi^T Phi is refused, not patched with jitter', () => {
    const m = 32;
    const ckpt = randomCheckpoint('sngp', { hp: { numRandomFeatures: m } });
    ckpt.tensors['gp.precision'] = tensor(new Float64Array(m * m), [m, m]);
    expect(() => exportModel(ckpt)).toThrow(/^weights.safetensors: tensor "gp.precision": diagonal entry \[0, 0\] = 0 is below the ridge 1/);
    // Rank-1 precision (no ridge term) with a diagonal above the ridge: singular, refused by the eigenvalue bound.
    const p = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) p[i * m + j] = 2 * Math.sign(Math.cos(i)) * Math.sign(Math.cos(j));
    ckpt.tensors['gp.precision'] = tensor(p, [m, m]);
    expect(() => exportModel(ckpt)).toThrow(/tensor "gp.precision": has an eigenvalue below the ridge 1/);
  });

  it('sngp: the variance output is clamped at 0 (phi^T Sigma phi cannot come out negative)', async () => {
    const ckpt = randomCheckpoint('sngp');
    const { baked } = exportModel(ckpt);
    // A covariance that is negative definite, or a low-rank factor with L L^T > I, would give
    // negative variances without the clamp.
    const m = baked.gp!.m;
    const negative = new Float64Array(m * m);
    for (let i = 0; i < m; i++) negative[i * m + i] = -1;
    const tooBig = new Float64Array(m * m);
    for (let i = 0; i < m; i++) tooBig[i * m + i] = 2;
    const x = Float32Array.from([0, 0, 1, -1, 2.5, -1.75]);
    for (const posterior of [
      { ...baked.gp!.posterior, kind: 'full' as const, covariance: negative },
      { ...baked.gp!.posterior, kind: 'low-rank' as const, rank: m, factor: tooBig },
    ]) {
      const bytes = encodeModel({
        irVersion: ONNX_IR_VERSION,
        producerName: 'test',
        producerVersion: '0',
        metadataProps: [],
        graph: sngpGraph({ ...baked, gp: { ...baked.gp!, posterior } }),
        opsetImport: [{ domain: '', version: ONNX_OPSET }],
      });
      const out = await runModel(bytes, { features: new ort.Tensor('float32', x, [3, 2]) });
      expect(Array.from(out.variance.data as Float32Array), posterior.kind).toEqual([0, 0, 0]);
    }
    // The real covariance still gives the positive reference variance through the same node.
    const real = await runModel(exportModel(ckpt).bytes, { features: new ort.Tensor('float32', x, [3, 2]) });
    const ref = referenceForward(ckpt, x, 3).variance!;
    (real.variance.data as Float32Array).forEach((v, i) => expect(Math.abs(v - ref[i]) / ref[i]).toBeLessThan(1e-3));
    expect(Math.min(...ref)).toBeGreaterThan(0);
  });

  it('mc-dropout with no residual blocks still returns [T, N, K] logits', async () => {
    const ckpt = randomCheckpoint('mc-dropout', { hp: { numLayers: 0 } });
    const { bytes } = exportModel(ckpt);
    const out = await runModel(bytes, {
      features: new ort.Tensor('float32', Float32Array.from([0, 1, 2, 3]), [2, 2]),
      dropout_noise: new ort.Tensor('float32', new Float32Array(0), [5, 0, 16]),
    });
    expect(out.logits.dims).toEqual([5, 2, 2]);
    const ref = referenceForward(ckpt, [0, 1, 2, 3], 2, { samples: 5 });
    const got = out.logits.data as Float32Array;
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - ref.logits[i])).toBeLessThan(1e-5);
  });

  it('mc-dropout: noise >= rate keeps a unit scaled by 1/(1-rate), noise < rate drops it', async () => {
    const ckpt = randomCheckpoint('mc-dropout', { hp: { dropoutRate: 0.25 } });
    const hp = ckpt.config.hyperParameters;
    const { bytes } = exportModel(ckpt);
    const size = hp.numLayers * hp.hiddenDim;
    // Sample 0 keeps everything at exactly the rate, sample 1 drops everything.
    const noise = new Float32Array(2 * size);
    noise.fill(0.25, 0, size);
    noise.fill(0.2499, size);
    const x = Float32Array.from([0.3, -0.7]);
    const out = await runModel(bytes, { features: new ort.Tensor('float32', x, [1, 2]), dropout_noise: new ort.Tensor('float32', noise, [2, hp.numLayers, hp.hiddenDim]) });
    const got = out.logits.data as Float32Array;
    const ref = referenceForward(ckpt, x, 1, { noise });
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - ref.logits[i])).toBeLessThan(1e-5);
    // All blocks dropped: logits = output head of the input projection alone.
    const w = ckpt.tensors;
    const hid = Array.from({ length: hp.hiddenDim }, (_, j) => x[0] * w['input.kernel'].data[j] + x[1] * w['input.kernel'].data[hp.hiddenDim + j] + w['input.bias'].data[j]);
    for (let k = 0; k < 2; k++) {
      let s = w['output.bias'].data[k];
      for (let j = 0; j < hp.hiddenDim; j++) s += hid[j] * w['output.kernel'].data[j * 2 + k];
      expect(Math.abs(got[2 + k] - s)).toBeLessThan(1e-5);
    }
  });

  it('ensemble: members are batched into [M, ., .] initializers, not M sub-graphs', () => {
    const ckpt = randomCheckpoint('ensemble', { hp: { ensembleSize: 4 } });
    const model = decodeModel(exportModel(ckpt).bytes);
    const kernels = model.graph.initializer.filter((t) => t.name.endsWith('.kernel'));
    expect(kernels.map((t) => t.dims[0])).toEqual(kernels.map(() => 4));
    expect(model.graph.node.filter((n) => n.opType === 'MatMul')).toHaveLength(ckpt.config.hyperParameters.numLayers + 2);
  });
});

describe('a deterministic checkpoint exported as MC dropout (no second training)', () => {
  it('gives an MC-dropout graph over the same weights, with its own sample count, verified', async () => {
    const ckpt = randomCheckpoint('deterministic');
    const { bytes, baked, report } = exportModel(ckpt, { as: 'mc-dropout', mcSamples: 5 });
    expect(report.method).toBe('mc-dropout');
    expect(report.inputs).toEqual([ONNX_NAMES.features, ONNX_NAMES.dropoutNoise]);
    expect(report.card.numSamples).toBe(5);
    const v = await verifyModel(bytes, baked);
    expect(v.failures).toEqual([]);
    expect(v.samples).toBe(5);
    // The same weights: every initializer the deterministic graph has is in the MC graph, unchanged.
    const init = (b: Uint8Array) => new Map(decodeModel(b).graph.initializer.map((t) => [t.name, Buffer.from(t.rawData ?? []).toString('hex')]));
    const mc = init(bytes);
    const det = init(exportModel(ckpt).bytes);
    const kernels = [...det.keys()].filter((k) => k.endsWith('.kernel'));
    expect(kernels.length).toBe(ckpt.config.hyperParameters.numLayers + 2);
    for (const k of kernels) expect(mc.get(k), k).toBe(det.get(k));
  });

  it('refuses to turn an SNGP or ensemble checkpoint into MC dropout, and --mc-samples on other methods', () => {
    expect(() => exportModel(randomCheckpoint('sngp'), { as: 'mc-dropout' })).toThrow(/cannot export a sngp checkpoint as mc-dropout/);
    expect(() => exportModel(randomCheckpoint('ensemble'), { as: 'mc-dropout' })).toThrow(/cannot export a ensemble checkpoint/);
    expect(() => exportModel(randomCheckpoint('deterministic'), { mcSamples: 3 })).toThrow(/--mc-samples applies to MC dropout models only/);
    expect(() => exportModel(randomCheckpoint('deterministic'), { as: 'mc-dropout', mcSamples: 0 })).toThrow(/--mc-samples must be an integer/);
  });
});
