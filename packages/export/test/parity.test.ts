/**
 * Parity of the exported graphs with the float64 reference, for all four methods, on the main
 * job's sngp-train checkpoints (100 epochs, default sizes: the suite's shared fixture, produced by
 * turbo's `@sngp/pipeline#train` before these tests), plus the independent python onnx checker and
 * onnxruntime-web's engine (the runtime's 'wasm' device) under Node.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Checkpoint, METHODS, type Method, ONNX_NAMES, decodeModelCard, dropoutNoise, spectralNorm } from '@sngp/core';
import { readCheckpoint } from '@sngp/core/node';
import { type FloatTensor, loadModel } from '@sngp/runtime';
import { type BakedModel, decodeModel, exportModel, verificationPoints, verifyModel } from '../src/index.js';
import { PKG_DIR, PYTHON, tempDir } from './fixtures.js';

interface Case {
  name: string;
  method: Method;
}

const CASES: Case[] = METHODS.map((method) => ({ name: method, method }));
const CHECKPOINTS = resolve(PKG_DIR, '../../artifacts/checkpoints');

const dir = tempDir('sngp-parity-');
const ckpts: Record<string, Checkpoint> = {};
const files: Record<string, string> = {};
const bytes: Record<string, Uint8Array> = {};
/** The exported weights (baked once: verifying against them skips a second bake). */
const baked: Record<string, BakedModel> = {};

beforeAll(() => {
  for (const c of CASES) {
    // The main job exports MC dropout from the deterministic checkpoint (the same network).
    const asMc = c.method === 'mc-dropout';
    const ck = join(CHECKPOINTS, asMc ? 'deterministic' : c.method);
    if (!existsSync(ck)) throw new Error(`${ck} is missing: run \`npx turbo run train --filter=@sngp/pipeline\` first`);
    // The low-rank error measured on the export's sample of points: low-rank.test.ts measures it on
    // all of them; here the graphs are checked against the reference below.
    const result = exportModel(readCheckpoint(ck), asMc ? { as: 'mc-dropout' } : { coverage: 'sample' });
    ckpts[c.name] = { config: result.baked.config, tensors: readCheckpoint(ck).tensors };
    baked[c.name] = result.baked;
    bytes[c.name] = result.bytes;
    files[c.name] = join(dir, `${c.name}.onnx`);
    writeFileSync(files[c.name], bytes[c.name]);
  }
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Every 5th verification point (grid + test + OOD): the full 11,500 rows through the float64
 * reference are what sngp-export itself checks in the main job; here 2,300 keep the suite fast.
 */
function points(ckpt: Checkpoint): { x: Float32Array; n: number; label: string } {
  const all = verificationPoints(ckpt.config);
  const d = ckpt.config.hyperParameters.inputDim;
  const n = Math.ceil(all.n / 5);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) x.set(all.x.subarray(5 * i * d, (5 * i + 1) * d), i * d);
  return { x, n, label: `every 5th of ${all.label}` };
}

/** The graph's outputs through the runtime on a device, on the verification points (+ MC dropout noise). */
async function run(device: 'cpu' | 'wasm', name: string, noiseSeed = 1): Promise<Record<string, Float32Array>> {
  const ckpt = ckpts[name];
  const hp = ckpt.config.hyperParameters;
  const pts = points(ckpt);
  const feeds: Record<string, FloatTensor> = { [ONNX_NAMES.features]: { data: pts.x, dims: [pts.n, hp.inputDim] } };
  if (ckpt.config.method === 'mc-dropout') feeds[ONNX_NAMES.dropoutNoise] = dropoutNoise(hp.mcSamples, [hp.numLayers, hp.hiddenDim], noiseSeed);
  const model = await loadModel(bytes[name], { device, strict: true });
  try {
    const out = await model.runGraph(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data]));
  } finally {
    await model.dispose();
  }
}

describe("models exported from sngp-train checkpoints match the float64 reference", () => {
  for (const c of CASES) {
    it(`${c.name}: onnxruntime-node vs reference`, async () => {
      const v = await verifyModel(bytes[c.name], baked[c.name], { device: 'cpu', points: points(ckpts[c.name]) });
      console.log(`${c.name}: max |logits diff| ${v.maxLogitsDiff.toExponential(2)}` +
        (v.maxVarianceRelDiff !== undefined ? `, variance rel diff ${v.maxVarianceRelDiff.toExponential(2)}` : '') +
        (v.maxProbsDiff !== undefined ? `, probs diff ${v.maxProbsDiff.toExponential(2)}` : '') +
        ` over ${v.rows} rows (onnx ${v.seconds.onnx.toFixed(2)} s, reference ${v.seconds.reference.toFixed(2)} s)`);
      expect(v.failures).toEqual([]);
      expect(v.passed).toBe(true);
      expect(v.rows).toBe(2300);
      expect(v.maxLogitsDiff).toBeLessThanOrEqual(1e-4);
      if (c.method === 'sngp') expect(v.maxVarianceRelDiff).toBeLessThanOrEqual(1e-3);
      if (c.method === 'mc-dropout' || c.method === 'ensemble') expect(v.maxProbsDiff).toBeLessThanOrEqual(1e-4);
    }, 300_000);
  }

  it('mc-dropout: the noise input drives the samples, and any fixed noise matches the reference', async () => {
    const a = await run('cpu', 'mc-dropout', 1);
    const b = await run('cpu', 'mc-dropout', 2);
    let diff = 0;
    for (let i = 0; i < a.logits.length; i++) diff = Math.max(diff, Math.abs(a.logits[i] - b.logits[i]));
    expect(diff).toBeGreaterThan(1e-3);
    const v = await verifyModel(bytes['mc-dropout'], baked['mc-dropout'], { seed: 2, points: points(ckpts['mc-dropout']) });
    expect(v.passed).toBe(true);
  }, 120_000);

  it('sngp: baked hidden kernels satisfy ||W||_2 <= c', () => {
    for (const name of ['sngp']) {
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
      // SNGP: the calibrated lambda and T when the checkpoint has a calibration fit, else the defaults.
      expect(card.meanFieldFactor).toBe(c.method === 'sngp' ? (config.calibration?.meanFieldFactor ?? hp.meanFieldFactor) : null);
      if (c.method === 'sngp') expect(card.temperature ?? 1).toBe(config.calibration?.temperature ?? 1);
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
      const web = await run('wasm', c.name);
      const node = await run('cpu', c.name);
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
