/**
 * Issue #22 over the protocol: a model whose card carries a conformal rule and an abstain rule
 * serves its prediction sets (mask and size) and abstain flags as outputs, lists them in its
 * metadata, and `connect()` returns the same sets and flags as `loadModel()` for the same rows.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibrateConformal, chooseAbstainRule, moonsValidation, readOnnxHeader, replaceOnnxMetadata, twoMoons, type Method } from '@sngp/core';
import { connect, loadModel, type Prediction } from '@sngp/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SngpServer } from '../src/index.js';
import { featuresBody, get, modelPath, post, startServer } from './fixtures.js';

/**
 * Rules whose sets take different sizes on these rows: SNGP at alpha 0.1 gives empty sets far from
 * the data and single classes on it; the deterministic net at alpha 0.002 (the largest calibration
 * score, above 0.5) gives both classes near the boundary.
 */
const CASES: { method: Method; alpha: number; sizes: [number, number] }[] = [
  { method: 'sngp', alpha: 0.1, sizes: [0, 1] },
  { method: 'deterministic', alpha: 0.002, sizes: [1, 2] },
];

let dir: string;
let server: SngpServer;
let url: string;
/** The two-moons test draw and the OOD cluster: in-domain rows, boundary rows and far rows. */
const { test, ood } = twoMoons();
const rows = new Float32Array([...test.x, ...ood.x]);
const n = rows.length / 2;

/** Calibrate both rules on the validation draw and write them into a copy of the model's card. */
async function calibratedCopy(method: Method, alpha: number): Promise<string> {
  const bytes = new Uint8Array(readFileSync(modelPath(method)));
  const plain = await loadModel(bytes);
  const v = moonsValidation();
  const p = await plain.predict(v.x);
  await plain.dispose();
  const conformal = calibrateConformal(p.logProbs, 2, v.y!, { alpha, score: 'lac', source: 'moons-validation' });
  const correct = Uint8Array.from(p.predicted, (c, i) => (c === v.y![i] ? 1 : 0));
  const abstain = chooseAbstainRule(p.scores.logNonMax, correct, { kind: 'keep', value: 0.95 }, { score: 'logNonMax', source: 'moons-validation' });
  const props = { ...readOnnxHeader(bytes, method).metadata, 'sngp.conformal': JSON.stringify(conformal), 'sngp.abstain': JSON.stringify(abstain) };
  const path = join(dir, `${method}-rules.onnx`);
  writeFileSync(path, replaceOnnxMetadata(bytes, props, method));
  return path;
}

const paths: Record<string, string> = {};
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sngp-serve-rules-'));
  for (const c of CASES) paths[c.method] = await calibratedCopy(c.method, c.alpha);
  ({ server, url } = await startServer({ models: Object.values(paths) }));
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = (a: ArrayLike<number>, v: number): number => Array.prototype.filter.call(a, (x: number) => x === v).length;

describe('prediction sets and abstain flags over the protocol', () => {
  for (const { method, alpha, sizes } of CASES) {
    const name = `${method}-rules`;
    it(`${method} (LAC, alpha ${alpha}): metadata lists them, infer returns them as predict does, connect() equals loadModel()`, async () => {
      const local = await loadModel(paths[method]);
      const want = await local.predict(rows);
      await local.dispose();
      // The rows exercise every value the test asserts on, so a wrong mapping cannot pass.
      for (const size of sizes) expect(count(want.setSize!, size), `rows with sets of size ${size}`).toBeGreaterThan(0);
      expect(count(want.abstain!, 0)).toBeGreaterThan(0);
      expect(count(want.abstain!, 1)).toBeGreaterThan(0);

      const meta = await get(`${url}/v2/models/${name}`);
      expect(meta.status).toBe(200);
      const outputs = Object.fromEntries(meta.body.outputs.map((o: { name: string }) => [o.name, o]));
      expect(outputs.setMask).toEqual({ name: 'setMask', datatype: 'BOOL', shape: [-1, 2] });
      expect(outputs.setSize).toEqual({ name: 'setSize', datatype: 'INT32', shape: [-1] });
      expect(outputs.abstain).toEqual({ name: 'abstain', datatype: 'BOOL', shape: [-1] });
      expect(outputs.predictedLabel).toEqual({ name: 'predictedLabel', datatype: 'BYTES', shape: [-1] });
      expect(JSON.parse(meta.body.parameters.sngp_card['sngp.conformal']).alpha).toBe(alpha);

      const r = await post(`${url}/v2/models/${name}/infer`, {
        ...featuresBody([]),
        inputs: [{ name: 'features', shape: [n, 2], datatype: 'FP32', data: Array.from(rows) }],
        outputs: [{ name: 'setMask' }, { name: 'setSize' }, { name: 'abstain' }, { name: 'predictedLabel' }],
      });
      expect(r.status).toBe(200);
      const [mask, size, abstain, label] = r.body.outputs;
      expect(mask).toMatchObject({ name: 'setMask', datatype: 'BOOL', shape: [n, 2] });
      expect(mask.data).toEqual(Array.from(want.setMask!, (v) => v === 1));
      expect(size).toEqual({ name: 'setSize', datatype: 'INT32', shape: [n], data: Array.from(want.setSize!) });
      expect(abstain).toEqual({ name: 'abstain', datatype: 'BOOL', shape: [n], data: Array.from(want.abstain!, (v) => v === 1) });
      expect(label.data).toEqual(want.predictedLabel);

      // connect(): the card (with both rules) from the server's metadata, post-processing client-side.
      const remote = await connect(url, { model: name });
      const got: Prediction = await remote.predict(rows);
      await remote.dispose();
      expect(remote.info.card.conformal).toEqual(JSON.parse(meta.body.parameters.sngp_card['sngp.conformal']));
      expect(Array.from(got.setMask!)).toEqual(Array.from(want.setMask!));
      expect(Array.from(got.setSize!)).toEqual(Array.from(want.setSize!));
      expect(got.sets).toEqual(want.sets);
      expect(Array.from(got.abstain!)).toEqual(Array.from(want.abstain!));
      expect(got.predictedLabel).toEqual(want.predictedLabel);
    });
  }

  it('a model without rules has no such outputs; asking for one is a 400 naming it', async () => {
    // The main job's models carry rules (sngp-calibrate): a copy with them stripped.
    const bytes = new Uint8Array(readFileSync(modelPath('sngp')));
    const { 'sngp.conformal': _c, 'sngp.abstain': _a, ...props } = readOnnxHeader(bytes, 'sngp').metadata;
    mkdirSync(join(dir, 'plain'));
    const path = join(dir, 'plain', 'sngp.onnx');
    writeFileSync(path, replaceOnnxMetadata(bytes, props, 'sngp'));
    const { server: plain, url: u } = await startServer({ models: [path] });
    try {
      const meta = await get(`${u}/v2/models/sngp`);
      const names = meta.body.outputs.map((o: { name: string }) => o.name);
      expect(names).not.toContain('setMask');
      expect(names).not.toContain('abstain');
      const r = await post(`${u}/v2/models/sngp/infer`, featuresBody([[0, 0]], { outputs: [{ name: 'abstain' }] }));
      expect(r.status).toBe(400);
      expect(r.body.error).toMatch(/outputs\[0\]\.name: unknown output "abstain"/);
    } finally {
      await plain.close();
    }
  });
});
