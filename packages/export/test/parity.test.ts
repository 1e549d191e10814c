/**
 * Parity of the exported graphs with the float64 reference, for all four methods, on checkpoints
 * from the real sngp-train CLI (random-weight fixtures if the trainer is not built), plus the
 * independent python onnx checker and onnxruntime-web (wasm) under Node.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { type Checkpoint, decodeModelCard, type Method, ONNX_NAMES, Rng, spectralNorm } from '@sngp/core';
import { readCheckpoint } from '@sngp/core/node';
import { decodeModel, exportModel, type OrtLike, verificationPoints, verifyModel } from '../src/index.js';
import { PKG_DIR, PYTHON, tempDir, trainCheckpoint } from './fixtures.js';

ortWeb.env.wasm.numThreads = 1;

interface Case {
  name: string;
  method: Method;
  train: string[];
}

const small = ['--width', '32', '--depth', '2', '--seed', '3', '--quiet'];
const CASES: Case[] = [
  { name: 'deterministic', method: 'deterministic', train: small },
  { name: 'sngp-m256', method: 'sngp', train: [...small, '--random-features', '256'] },
  // The default M = 1024: the real covariance size (4 MB float32 in the graph, 1024^2 float64 Cholesky).
  { name: 'sngp-m1024', method: 'sngp', train: small },
  { name: 'mc-dropout', method: 'mc-dropout', train: small },
  { name: 'ensemble', method: 'ensemble', train: [...small, '--ensemble-size', '3'] },
];

const dir = tempDir('sngp-parity-');
const ckpts: Record<string, Checkpoint> = {};
const files: Record<string, string> = {};
const bytes: Record<string, Uint8Array> = {};

beforeAll(() => {
  // Real checkpoints from the sngp-train CLI (turbo builds @sngp/train before these tests).
  for (const c of CASES) {
    const ck = join(dir, c.name);
    trainCheckpoint(c.method, ck, c.train);
    ckpts[c.name] = readCheckpoint(ck);
    bytes[c.name] = exportModel(ckpts[c.name]).bytes;
    files[c.name] = join(dir, `${c.name}.onnx`);
    writeFileSync(files[c.name], bytes[c.name]);
  }
}, 900_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run a model with a given onnxruntime on the verification points (+ MC dropout noise). */
async function run(ort: OrtLike, name: string, noiseSeed = 1): Promise<Record<string, Float32Array>> {
  const ckpt = ckpts[name];
  const hp = ckpt.config.hyperParameters;
  const pts = verificationPoints(ckpt.config);
  const feeds: Record<string, ReturnType<typeof mk>> = {};
  function mk(data: Float32Array, dims: number[]) {
    return new ort.Tensor('float32', data, dims);
  }
  feeds[ONNX_NAMES.features] = mk(pts.x, [pts.n, hp.inputDim]);
  if (ckpt.config.method === 'mc-dropout') {
    const shape = [hp.mcSamples, hp.numLayers, hp.hiddenDim];
    feeds[ONNX_NAMES.dropoutNoise] = mk(new Rng(noiseSeed).fillUniform(new Float32Array(shape[0] * shape[1] * shape[2])), shape);
  }
  const session = await ort.InferenceSession.create(bytes[name]);
  const out = await session.run(feeds);
  await session.release?.();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

describe("models exported from sngp-train checkpoints match the float64 reference", () => {
  for (const c of CASES) {
    it(`${c.name}: onnxruntime-node vs reference`, async () => {
      const v = await verifyModel(bytes[c.name], ckpts[c.name], { ort: ortNode as unknown as OrtLike });
      console.log(`${c.name}: max |logits diff| ${v.maxLogitsDiff.toExponential(2)}` +
        (v.maxVarianceRelDiff !== undefined ? `, variance rel diff ${v.maxVarianceRelDiff.toExponential(2)}` : '') +
        (v.maxProbsDiff !== undefined ? `, probs diff ${v.maxProbsDiff.toExponential(2)}` : '') +
        ` over ${v.rows} rows (onnx ${v.seconds.onnx.toFixed(2)} s, reference ${v.seconds.reference.toFixed(2)} s)`);
      expect(v.failures).toEqual([]);
      expect(v.passed).toBe(true);
      expect(v.rows).toBe(10500);
      expect(v.maxLogitsDiff).toBeLessThanOrEqual(1e-4);
      if (c.method === 'sngp') expect(v.maxVarianceRelDiff).toBeLessThanOrEqual(1e-3);
      if (c.method === 'mc-dropout' || c.method === 'ensemble') expect(v.maxProbsDiff).toBeLessThanOrEqual(1e-4);
    }, 300_000);
  }

  it('mc-dropout: the noise input drives the samples, and any fixed noise matches the reference', async () => {
    const a = await run(ortNode as unknown as OrtLike, 'mc-dropout', 1);
    const b = await run(ortNode as unknown as OrtLike, 'mc-dropout', 2);
    let diff = 0;
    for (let i = 0; i < a.logits.length; i++) diff = Math.max(diff, Math.abs(a.logits[i] - b.logits[i]));
    expect(diff).toBeGreaterThan(1e-3);
    const v = await verifyModel(bytes['mc-dropout'], ckpts['mc-dropout'], { seed: 2 });
    expect(v.passed).toBe(true);
  }, 120_000);

  it('sngp: baked hidden kernels satisfy ||W||_2 <= c', () => {
    for (const name of ['sngp-m256', 'sngp-m1024']) {
      const hp = ckpts[name].config.hyperParameters;
      const model = decodeModel(bytes[name]);
      for (let i = 0; i < hp.numLayers; i++) {
        const t = model.graph.initializer.find((x) => x.name === `blocks.${i}.kernel`)!;
        const w = new Float32Array(new Uint8Array(t.rawData!).slice().buffer);
        expect(spectralNorm(w, hp.hiddenDim, hp.hiddenDim).sigma).toBeLessThanOrEqual(hp.specNormBound * (1 + 1e-6));
      }
    }
  });

  it('metadata_props carry the model card', () => {
    for (const c of CASES) {
      const { config } = ckpts[c.name];
      const props = Object.fromEntries(decodeModel(bytes[c.name]).metadataProps.map((p) => [p.key, p.value]));
      const card = decodeModelCard(props, c.name);
      const hp = config.hyperParameters;
      expect(card.method).toBe(c.method);
      expect(card.classes).toEqual(config.classes);
      expect(card.featureNames).toEqual(config.featureNames);
      expect(card.trainingMetrics).toEqual(config.metrics);
      expect(card.meanFieldFactor).toBe(c.method === 'sngp' ? hp.meanFieldFactor : null);
      expect(card.numSamples).toBe(c.method === 'mc-dropout' ? hp.mcSamples : c.method === 'ensemble' ? hp.ensembleSize : null);
      expect(card.dropoutNoiseShape).toEqual(c.method === 'mc-dropout' ? [hp.numLayers, hp.hiddenDim] : null);
    }
  });
});

describe('independent checks', () => {
  it('python onnx: check_model(full_check=True) passes, no N x N intermediate, opset 17 / IR 8', () => {
    const r = spawnSync(PYTHON, [join(PKG_DIR, 'test', 'check-onnx.py'), ...CASES.map((c) => files[c.name])], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ir_version: number; opset: number[]; ops: string[]; max_batch_dims: number; untyped_values: string[] });
    expect(results).toHaveLength(CASES.length);
    for (const res of results) {
      expect(res.ir_version).toBe(8);
      expect(res.opset).toEqual([17]);
      expect(res.max_batch_dims).toBe(1);
      expect(res.untyped_values).toEqual([]);
      for (const op of ['Dropout', 'RandomUniform', 'RandomNormal', 'RandomUniformLike', 'RandomNormalLike']) expect(res.ops).not.toContain(op);
    }
  }, 120_000);

  for (const c of CASES) {
    it(`${c.name}: onnxruntime-web (wasm) under Node gives the same outputs as onnxruntime-node`, async () => {
      const web = await run(ortWeb as unknown as OrtLike, c.name);
      const node = await run(ortNode as unknown as OrtLike, c.name);
      expect(Object.keys(web).sort()).toEqual(Object.keys(node).sort());
      for (const k of Object.keys(node)) {
        let abs = 0;
        let rel = 0;
        for (let i = 0; i < node[k].length; i++) {
          const d = Math.abs(node[k][i] - web[k][i]);
          abs = Math.max(abs, d);
          rel = Math.max(rel, d / Math.max(Math.abs(node[k][i]), 1e-12));
        }
        expect(web[k].length).toBe(node[k].length);
        expect(abs, `${c.name}.${k}`).toBeLessThanOrEqual(1e-4);
        if (k === ONNX_NAMES.variance) expect(rel, `${c.name}.${k} relative`).toBeLessThanOrEqual(1e-3);
      }
    }, 300_000);
  }
});
